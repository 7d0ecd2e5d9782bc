//! The panel listener (4321; 14321 under `demo`): the versioned JSON API
//! printer panels call, described in `docs/panel-api.yaml`, and the panel
//! app served to their embedded browsers ([`super::app`]).
//!
//! Every API request names its printer with `Authorization: Bearer
//! ppd-...` (the device credential) and, after sign-in, its session with
//! `X-Pullprint-Session: pps-...`. Errors are JSON `{"error": CODE,
//! "message": TEXT}` with a status that says what to do; see the OpenAPI
//! document for each code.

use super::sessions::Session;
use super::{Panel, PanelError, body};
use crate::auth::Refusal;
use crate::net::{ClientCert, Route, Routes};
use crate::printers::Device;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use std::net::SocketAddr;
use std::sync::Arc;

/// The session header.
pub const SESSION_HEADER: &str = "x-pullprint-session";

/// The SHA-256 (hex) of the client certificate the TLS connection
/// presented. Set by [`client_cert_layer`] from the connection itself; any
/// value a client sends under this name is removed first.
const CLIENT_CERT_HEADER: &str = "x-pullprint-tls-client-cert";

/// Replace any client-sent [`CLIENT_CERT_HEADER`] by what the connection's
/// handshake established, so that handlers read one trustworthy header.
async fn client_cert_layer(mut req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let presented = req.extensions().get::<ClientCert>().and_then(|c| c.0.clone());
    let h = req.headers_mut();
    h.remove(CLIENT_CERT_HEADER);
    if let Some(v) = presented.and_then(|p| HeaderValue::from_str(&p).ok()) {
        h.insert(CLIENT_CERT_HEADER, v);
    }
    next.run(req).await
}

/// The SHA-256 (hex) of the client certificate of the request's connection.
pub fn client_cert(h: &HeaderMap) -> Option<&str> {
    h.get(CLIENT_CERT_HEADER).and_then(|v| v.to_str().ok())
}

/// Shared state of the panel routes.
pub type PanelState = Arc<Panel>;

/// The panel API's routes.
fn api_routes() -> Routes<PanelState> {
    Routes::new()
        .post("/panel/v1/sessions", sign_in)
        .delete("/panel/v1/sessions/current", sign_out)
        .get("/panel/v1/authorization", authorization)
        .get("/panel/v1/jobs", jobs)
        .post("/panel/v1/jobs/release", release)
        .delete("/panel/v1/jobs/{id}", delete_job)
        .get("/panel/v1/accessories/reader", reader)
        .post("/panel/v1/accessories/heartbeat", heartbeat)
        .post("/panel/v1/statistics", statistics)
        .post("/panel/v1/vendors/hp/prePromptResult", hp_pre_prompt)
        .post("/panel/v1/vendors/hp/postPromptResult", hp_post_prompt)
        .post("/panel/v1/vendors/hp/signoutNotification", hp_signout)
}

/// Every route the panel listener serves, API and app, from the very
/// builders [`router`] uses (what the route sweep covers).
pub fn route_table() -> Vec<Route> {
    api_routes().table().iter().chain(super::app::routes().table()).copied().collect()
}

/// The panel listener's router.
pub fn router(panel: PanelState) -> Router {
    let api = api_routes()
        .into_router()
        .layer(axum::middleware::from_fn_with_state(panel.clone(), require_device))
        .layer(axum::middleware::from_fn_with_state(panel.clone(), cors));
    api.merge(super::app::routes().into_router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(client_cert_layer))
        .with_state(panel)
}

/// Refuse an API request without a registered printer's credential before
/// its body is read, so that nobody without one can hold a connection
/// trickling a body in.
async fn require_device(
    State(p): State<PanelState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match p.device(bearer(req.headers()), client_cert(req.headers())) {
        Ok(d) => {
            req.extensions_mut().insert(Caller(d));
            next.run(req).await
        }
        Err(e) => panel_error(&e),
    }
}

/// The registered printer calling, as [`require_device`] found it: its
/// credential is checked once per request, before the body is read.
#[derive(Debug, Clone)]
struct Caller(Device);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Every API route is behind `require_device`; a route that is not
        // is a bug, refused rather than served without a printer.
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| panel_error(&PanelError::Device))
    }
}

/// The origin a registered printer's own web apps run at: HP's web apps
/// call the panel API from pages the printer serves itself, so the browser
/// asks (CORS) whether that origin may. Only registered, not revoked
/// printers' origins may; any other origin gets no CORS headers, and the
/// browser keeps the answer from the page.
fn printer_origin(p: &Panel, origin: &str) -> bool {
    let Some(host) = origin.strip_prefix("https://") else { return false };
    let host =
        host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    p.devices().list().iter().any(|d| !d.credential.is_empty() && d.address.eq_ignore_ascii_case(host))
}

async fn cors(State(p): State<PanelState>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allowed = origin.as_deref().filter(|o| printer_origin(&p, o)).and_then(|o| HeaderValue::from_str(o).ok());
    if req.method() == axum::http::Method::OPTIONS {
        let Some(o) = allowed else {
            return error(StatusCode::FORBIDDEN, "not_allowed", "that origin is not a registered printer", None);
        };
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, DELETE"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, x-pullprint-session"),
        );
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        return r;
    }
    let mut r = next.run(req).await;
    if let Some(o) = allowed {
        r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        r.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    r
}

fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A JSON error.
pub fn error(status: StatusCode, code: &str, message: &str, extra: Option<(&str, serde_json::Value)>) -> Response {
    let mut body = serde_json::json!({ "error": code, "message": message });
    if let Some((k, v)) = extra {
        body[k] = v;
    }
    harden((status, Json(body)).into_response())
}

/// The HTTP form of a panel error.
pub fn panel_error(e: &PanelError) -> Response {
    let msg = e.to_string();
    let (status, code) = e.reply();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match e {
        PanelError::Refused(Refusal::Throttled(d) | Refusal::Locked(d)) => {
            let secs = d.as_secs().max(1);
            let mut resp = error(status, code, &msg, Some(("retry_after_s", secs.into())));
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        PanelError::Refused(Refusal::Enrol(ticket)) => {
            error(status, code, &msg, Some(("ticket", ticket.clone().into())))
        }
        _ => error(status, code, &msg, None),
    }
}

fn bearer(h: &HeaderMap) -> Option<&str> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).map(str::trim)
}

fn session_token(h: &HeaderMap) -> Option<&str> {
    h.get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The session a request names, at the printer calling.
fn session_of(p: &Panel, d: &Device, h: &HeaderMap) -> Result<Session, PanelError> {
    p.session(d, session_token(h))
}

async fn sign_in(
    State(p): State<PanelState>,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    Caller(d): Caller,
    bytes: axum::body::Bytes,
) -> Response {
    let login = match body::login(&bytes) {
        Ok(l) => l,
        Err(e) => return panel_error(&e),
    };
    match p.sign_in(&d, login, peer.ip()).await {
        Ok(s) => harden((StatusCode::CREATED, Json(s)).into_response()),
        Err(e) => panel_error(&e),
    }
}

async fn sign_out(State(p): State<PanelState>, Caller(d): Caller, h: HeaderMap) -> Response {
    match session_token(&h) {
        Some(t) if p.sign_out(&d, t) => harden(StatusCode::NO_CONTENT.into_response()),
        _ => panel_error(&PanelError::Session(super::sessions::SessionError::Unknown)),
    }
}

async fn authorization(State(p): State<PanelState>, Caller(d): Caller, h: HeaderMap) -> Response {
    match session_of(&p, &d, &h) {
        Ok(s) => harden(
            Json(serde_json::json!({
                "user": super::UserView::from(&s.identity),
                "rights": s.rights,
            }))
            .into_response(),
        ),
        Err(e) => panel_error(&e),
    }
}

async fn jobs(State(p): State<PanelState>, Caller(d): Caller, h: HeaderMap) -> Response {
    let s = match session_of(&p, &d, &h) {
        Ok(x) => x,
        Err(e) => return panel_error(&e),
    };
    let p2 = p.clone();
    match tokio::task::spawn_blocking(move || p2.jobs(&s)).await {
        Ok(Ok(jobs)) => harden(Json(serde_json::json!({ "jobs": jobs })).into_response()),
        Ok(Err(e)) => panel_error(&e),
        Err(_) => panel_error(&PanelError::Internal),
    }
}

async fn release(State(p): State<PanelState>, Caller(d): Caller, h: HeaderMap, bytes: axum::body::Bytes) -> Response {
    let s = match session_of(&p, &d, &h) {
        Ok(x) => x,
        Err(e) => return panel_error(&e),
    };
    let ids = match body::release_ids(&bytes) {
        Ok(ids) => ids,
        Err(e) => return panel_error(&e),
    };
    let p2 = p.clone();
    match tokio::task::spawn_blocking(move || p2.release(&d, &s, ids.as_deref())).await {
        Ok(Ok(queued)) => harden((StatusCode::ACCEPTED, Json(serde_json::json!({ "queued": queued }))).into_response()),
        Ok(Err(e)) => panel_error(&e),
        Err(_) => panel_error(&PanelError::Internal),
    }
}

async fn delete_job(State(p): State<PanelState>, Path(id): Path<String>, Caller(d): Caller, h: HeaderMap) -> Response {
    let s = match session_of(&p, &d, &h) {
        Ok(x) => x,
        Err(e) => return panel_error(&e),
    };
    let p2 = p.clone();
    match tokio::task::spawn_blocking(move || p2.delete(&s, &id)).await {
        Ok(Ok(())) => harden(StatusCode::NO_CONTENT.into_response()),
        Ok(Err(e)) => panel_error(&e),
        Err(_) => panel_error(&PanelError::Internal),
    }
}

async fn reader(State(p): State<PanelState>, Caller(d): Caller) -> Response {
    harden(Json(p.reader(&d)).into_response())
}

async fn heartbeat(State(p): State<PanelState>, Caller(d): Caller) -> Response {
    p.heartbeat(&d);
    harden(StatusCode::NO_CONTENT.into_response())
}

async fn statistics(State(p): State<PanelState>, Caller(d): Caller, bytes: axum::body::Bytes) -> Response {
    let transactions = match body::transactions(&bytes) {
        Ok(x) => x,
        Err(e) => return panel_error(&e),
    };
    if transactions.len() > 10_000 {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "too_many", "send at most 10,000 transactions at once", None);
    }
    let p2 = p.clone();
    match tokio::task::spawn_blocking(move || p2.record(&d, transactions)).await {
        Ok(Ok(n)) => harden(Json(serde_json::json!({ "recorded": n })).into_response()),
        Ok(Err(e)) => panel_error(&e),
        Err(_) => panel_error(&PanelError::Internal),
    }
}

/// HP OXPd authentication agent, step 1 [documented flow; the JSON field
/// names are Pullprint's own]: the device announces a sign-in; Pullprint
/// answers "continue" with the prompt page for the device's browser.
async fn hp_pre_prompt(
    State(p): State<PanelState>,
    Caller(d): Caller,
    h: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    let context = match body::prompt_context(&bytes) {
        Ok(x) => x,
        Err(e) => return panel_error(&e),
    };
    let id = p.prompts().open(&d.id, &context);
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    harden(
        Json(serde_json::json!({
            "result": "continue",
            "promptUrl": format!("https://{host}/panel/app/hp/prompt?id={id}"),
        }))
        .into_response(),
    )
}

/// HP OXPd authentication agent, step 3: the device asks how the prompt
/// ended: `succeeded` (with the user and a session for this device),
/// `canceled`, `pending`, or `failed` (no such prompt, or it expired).
async fn hp_post_prompt(State(p): State<PanelState>, Caller(d): Caller, bytes: axum::body::Bytes) -> Response {
    use super::prompts::PromptState;
    let context = match body::hp_context(&bytes) {
        Ok(x) => x,
        Err(e) => return panel_error(&e),
    };
    let v = match p.prompts().take(&d.id, &context) {
        Some(PromptState::SignedIn(s)) => serde_json::json!({
            "result": "succeeded",
            "session": s.session,
            "user": s.user,
            "rights": s.rights,
            "idle_timeout_s": s.idle_timeout_s,
        }),
        Some(PromptState::Cancelled) => serde_json::json!({ "result": "canceled" }),
        Some(PromptState::Waiting) => serde_json::json!({ "result": "pending" }),
        None => serde_json::json!({ "result": "failed" }),
    };
    harden(Json(v).into_response())
}

/// HP OXPd authentication agent: the person signed out at the device.
async fn hp_signout(State(p): State<PanelState>, caller: Caller, h: HeaderMap) -> Response {
    sign_out(State(p), caller, h).await
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no such panel service; see docs/panel-api.yaml", None)
}
