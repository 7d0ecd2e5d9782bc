//! The panel app: HTML pages for a printer's embedded browser (Konica
//! Minolta i-Option, Ricoh Web Browser NX, Xerox EIP, HP web apps), made for
//! touch screens of 800×480 and up, with no script and no external asset.
//!
//! The admin registers `https://APPLIANCE:4321/panel/app/start?device=ppd-...`
//! as the printer's app URL (`pullprint deploy` prints it). That first request
//! trades the device credential for an HttpOnly, `__Host-`, SameSite=Strict
//! cookie and redirects to a URL without it; after sign-in a second such
//! cookie carries the session. Every page checks both, exactly as the JSON
//! API does ([`crate::panel`]).
//!
//! Screens: sign in (badge, which the reader types into the focused field;
//! keypad user name and password; e-mail and PIN; passcode; badge
//! enrolment), then the menu: **Print All**, **Review Documents** (select,
//! print or delete), **More Device Functions**, **Log out**. Every failure
//! is shown in words on the screen.

use super::prompts::PromptState;
use super::server::{PanelState, client_cert};
use super::sessions::Session;
use super::{JobView, Login, Panel, PanelError};
use crate::auth::Refusal;
use crate::html::{escape as esc, same_origin};
use crate::net::Routes;
use crate::printers::Device;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

const DEVICE_COOKIE: &str = "__Host-pp-device";
const SESSION_COOKIE: &str = "__Host-pp-session";

const STYLE: &str = "*{box-sizing:border-box}body{margin:0;font-family:system-ui,sans-serif;font-size:20px;color:#1d2733;background:#f4f6f8}\
header{display:flex;justify-content:space-between;align-items:center;background:#1d3b5a;color:#fff;padding:10px 16px;height:56px}\
header b{font-size:22px}main{padding:12px 16px}\
.btn{display:inline-flex;align-items:center;justify-content:center;text-decoration:none;min-width:160px;min-height:64px;margin:6px;padding:12px 18px;font-size:22px;border:0;border-radius:8px;background:#2b6cb0;color:#fff}\
.btn.alt{background:#4a5568}.btn.warn{background:#c53030}.btn.small{min-height:48px;min-width:120px;font-size:18px}\
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px}.grid form{margin:0}.grid .btn{width:100%;min-height:120px;font-size:26px;margin:0}\
input[type=text],input[type=password],input[type=email]{width:100%;font-size:22px;padding:10px;margin:4px 0 10px}\
.msg{padding:10px 14px;border-radius:6px;margin-bottom:10px}.err{background:#fce8e6;border-left:6px solid #d93025}\
.ok{background:#e6f4ea;border-left:6px solid #1e8e3e}\
table{width:100%;border-collapse:collapse;background:#fff}td,th{padding:10px 8px;border-bottom:1px solid #dde3ea;text-align:left}\
td input{width:32px;height:32px}.tabs{display:flex;gap:6px;margin-bottom:8px}.tabs a{flex:1;text-align:center;padding:12px;background:#e2e8f0;border-radius:6px;color:#1d2733;text-decoration:none}\
.tabs a.on{background:#2b6cb0;color:#fff}.bar{position:sticky;bottom:0;background:#f4f6f8;padding:6px 0}";

/// The app's routes.
pub fn routes() -> Routes<PanelState> {
    Routes::new()
        .get("/panel/app/start", start)
        .get("/panel/app/", home)
        .post("/panel/app/sign-in", sign_in)
        .get("/panel/app/documents", documents)
        .post("/panel/app/release", release)
        .post("/panel/app/delete", delete)
        .get("/panel/app/more", more)
        .post("/panel/app/logout", logout)
        .get("/panel/app/hp/prompt", hp_prompt)
        .post("/panel/app/hp/cancel", hp_cancel)
}

fn page(status: StatusCode, title: &str, user: Option<&str>, body: &str) -> Response {
    let right = match user {
        Some(u) => format!(
            "<span>{}</span><form method=\"post\" action=\"/panel/app/logout\" style=\"margin:0\">\
             <button class=\"btn small alt\" id=\"logout\">Log out</button></form>",
            esc(u)
        ),
        None => String::new(),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t}</title>\
         <style>{STYLE}</style></head><body><header><b>{t}</b>{right}</header><main>{body}</main></body></html>",
        t = esc(title)
    );
    let mut r = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

fn cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

fn set_cookie(r: &mut Response, name: &str, value: &str) {
    let max_age = if value.is_empty() { "; Max-Age=0" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict{max_age}"))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn redirect(to: &'static str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut().insert(header::LOCATION, HeaderValue::from_static(to));
    r
}

fn not_secured() -> Response {
    page(
        StatusCode::UNAUTHORIZED,
        "Pullprint",
        None,
        "<div class=\"msg err\" id=\"error\">This printer is not set up for Pullprint, or its registration was \
         withdrawn. Ask IT to run <code>pullprint deploy</code> for it.</div>",
    )
}

fn device(p: &Panel, h: &HeaderMap) -> Option<Device> {
    p.device(cookie(h, DEVICE_COOKIE).as_deref(), client_cert(h)).ok()
}

fn session(p: &Panel, d: &Device, h: &HeaderMap) -> Option<Session> {
    p.session(d, cookie(h, SESSION_COOKIE).as_deref()).ok()
}

use crate::html::form;

fn field(f: &[(String, zeroize::Zeroizing<String>)], k: &str) -> String {
    f.iter().find(|(key, _)| key == k).map(|(_, v)| v.to_string()).unwrap_or_default()
}

/// A secret field (a password, PIN or passcode), kept wiped-on-drop.
fn secret(f: &[(String, zeroize::Zeroizing<String>)], k: &str) -> crate::crypto::Secret {
    f.iter().find(|(key, _)| key == k).map(|(_, v)| crate::crypto::Secret::from(v.as_str())).unwrap_or_default()
}

#[derive(serde::Deserialize)]
struct StartQuery {
    device: String,
}

async fn start(
    State(p): State<PanelState>,
    h: HeaderMap,
    q: Result<Query<StartQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else { return not_secured() };
    match p.device(Some(&q.device), client_cert(&h)) {
        Ok(d) => {
            log::info!("panel app: {} ({}) started", d.name, d.id);
            let mut r = redirect("/panel/app/");
            set_cookie(&mut r, DEVICE_COOKIE, &q.device);
            set_cookie(&mut r, SESSION_COOKIE, "");
            r
        }
        Err(_) => not_secured(),
    }
}

fn sign_in_page(status: StatusCode, d: &Device, notice: &str, tab: &str) -> Response {
    sign_in_form(status, d, notice, tab, None)
}

/// The sign-in screen; with `prompt`, it is a device-requested prompt (HP)
/// whose result the device collects, so no cookie is involved.
fn sign_in_form(status: StatusCode, d: &Device, notice: &str, tab: &str, prompt: Option<&str>) -> Response {
    let base = match prompt {
        Some(id) => format!("/panel/app/hp/prompt?id={}&amp;", esc(id)),
        None => "/panel/app/?".to_owned(),
    };
    let tabs = [("badge", "Badge"), ("password", "User name"), ("pin", "E-mail + PIN"), ("passcode", "Passcode")]
        .iter()
        .map(|(k, label)| {
            format!(
                "<a href=\"{base}tab={k}\" id=\"tab-{k}\"{}>{label}</a>",
                if *k == tab { " class=\"on\"" } else { "" }
            )
        })
        .collect::<String>();
    let hidden =
        prompt.map(|id| format!("<input type=\"hidden\" name=\"prompt\" value=\"{}\">", esc(id))).unwrap_or_default();
    let cancel = prompt
        .map(|id| {
            format!(
                "<form method=\"post\" action=\"/panel/app/hp/cancel\"><input type=\"hidden\" name=\"prompt\" value=\"{}\">\
                 <button class=\"btn alt\" id=\"cancel\">Cancel</button></form>",
                esc(id)
            )
        })
        .unwrap_or_default();
    let form = match tab {
        "password" => {
            "<label for=\"login\">User name</label><input type=\"text\" id=\"login\" name=\"login\" autofocus autocomplete=\"off\">\
             <label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\">\
             <input type=\"hidden\" name=\"method\" value=\"password\">"
        }
        "pin" => {
            "<label for=\"email\">E-mail address</label><input type=\"email\" id=\"email\" name=\"email\" autofocus autocomplete=\"off\">\
             <label for=\"pin\">PIN</label><input type=\"password\" id=\"pin\" name=\"pin\" inputmode=\"numeric\">\
             <input type=\"hidden\" name=\"method\" value=\"pin\">"
        }
        "passcode" => {
            "<label for=\"passcode\">Passcode</label><input type=\"password\" id=\"passcode\" name=\"passcode\" inputmode=\"numeric\" autofocus>\
             <input type=\"hidden\" name=\"method\" value=\"passcode\">"
        }
        _ => {
            "<label for=\"card\">Hold your badge to the reader</label>\
             <input type=\"password\" id=\"card\" name=\"card\" autofocus autocomplete=\"off\">\
             <input type=\"hidden\" name=\"method\" value=\"badge\">"
        }
    };
    page(
        status,
        &format!("Pullprint · {}", d.name),
        None,
        &format!(
            "{notice}<div class=\"tabs\">{tabs}</div><form method=\"post\" action=\"/panel/app/sign-in\" id=\"sign-in\">\
             {form}{hidden}<button class=\"btn\" id=\"sign-in-button\">Sign in</button></form>{cancel}"
        ),
    )
}

fn enrol_page(d: &Device, ticket: &str, notice: &str, prompt: Option<&str>) -> Response {
    let hidden =
        prompt.map(|id| format!("<input type=\"hidden\" name=\"prompt\" value=\"{}\">", esc(id))).unwrap_or_default();
    page(
        StatusCode::OK,
        &format!("Pullprint · {}", d.name),
        None,
        &format!(
            "{notice}<div class=\"msg\" id=\"enrol-notice\">This badge is not registered yet. Sign in once with your user name \
             and password, and it will be yours from now on.</div>\
             <form method=\"post\" action=\"/panel/app/sign-in\" id=\"enrol\"><input type=\"hidden\" name=\"method\" value=\"enrol\">\
             <input type=\"hidden\" name=\"ticket\" value=\"{}\">{hidden}\
             <label for=\"login\">User name</label><input type=\"text\" id=\"login\" name=\"login\" autofocus autocomplete=\"off\">\
             <label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\">\
             <button class=\"btn\" id=\"enrol-button\">Register badge and sign in</button></form>",
            esc(ticket)
        ),
    )
}

fn err(msg: &str) -> String {
    format!("<div class=\"msg err\" id=\"error\" role=\"alert\">{}</div>", esc(msg))
}

#[derive(serde::Deserialize)]
struct TabQuery {
    tab: Option<String>,
}

async fn home(State(p): State<PanelState>, h: HeaderMap, q: Query<TabQuery>) -> Response {
    let Some(d) = device(&p, &h) else { return not_secured() };
    match session(&p, &d, &h) {
        Some(s) => menu(&s, ""),
        None => sign_in_page(StatusCode::OK, &d, "", q.tab.as_deref().unwrap_or("badge")),
    }
}

fn menu(s: &Session, notice: &str) -> Response {
    let who = if s.identity.offline {
        format!("{} (directory offline)", s.identity.display_name)
    } else {
        s.identity.display_name.clone()
    };
    let print_all = if s.rights.release {
        "<form method=\"post\" action=\"/panel/app/release\"><input type=\"hidden\" name=\"all\" value=\"1\">\
         <button class=\"btn\" id=\"print-all\">Print All</button></form>"
    } else {
        "<button class=\"btn alt\" disabled>Print All (not allowed)</button>"
    };
    page(
        StatusCode::OK,
        "Pullprint",
        Some(&who),
        &format!(
            "{notice}<div class=\"grid\">{print_all}\
             <a class=\"btn\" href=\"/panel/app/documents\" id=\"review\">Review Documents</a>\
             <a class=\"btn alt\" href=\"/panel/app/more\" id=\"more\">More Device Functions</a>\
             <form method=\"post\" action=\"/panel/app/logout\"><button class=\"btn alt\" id=\"logout-big\">Log out</button></form></div>"
        ),
    )
}

fn when(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    let s = humantime::format_rfc3339_seconds(t).to_string();
    // 2026-11-21T14:05:09Z -> 2026-11-21 14:05 UTC
    format!("{} {} UTC", &s[..10], &s[11..16])
}

fn pages(j: &JobView) -> String {
    match j.pages {
        Some(n) => format!("{}{n}", if j.pages_estimated { "~" } else { "" }),
        None => "?".into(),
    }
}

fn documents_page(p: &Panel, s: &Session, notice: &str) -> Response {
    let jobs = match p.jobs(s) {
        Ok(j) => j,
        Err(e) => return menu(s, &err(&e.to_string())),
    };
    let rows = if jobs.is_empty() {
        "<tr><td colspan=\"4\" id=\"empty\">You have no documents waiting.</td></tr>".to_owned()
    } else {
        jobs.iter()
            .map(|j| {
                let state = match (&j.release, j.printed_at_ms) {
                    (Some(r), _) => match (r.state.as_str(), r.message.as_deref()) {
                        ("failed", m) => format!(
                            "<div class=\"msg err release\">Not printed: {}. It is still here; print it again.</div>",
                            esc(m.unwrap_or("the printer did not print it"))
                        ),
                        ("stopped", m) => format!(
                            "<div class=\"msg err release\">The printer stopped: {}</div>",
                            esc(m.unwrap_or("see the printer"))
                        ),
                        ("printing", _) => " <span class=\"release\">(printing)</span>".into(),
                        _ => " <span class=\"release\">(sending to a printer)</span>".into(),
                    },
                    (None, Some(_)) => " <span class=\"release\">(printed; kept for a reprint)</span>".into(),
                    (None, None) => match &j.site {
                        Some(site) => format!(" <span class=\"release site\">(parked at site {})</span>", esc(site)),
                        None => String::new(),
                    },
                };
                format!(
                    "<tr class=\"job\" data-id=\"{id}\"><td><input type=\"checkbox\" name=\"id\" value=\"{id}\" id=\"j-{id}\"></td>\
                     <td class=\"name\"><label for=\"j-{id}\">{name}</label>{state}</td><td class=\"time\">{time}</td>\
                     <td class=\"pages\">{pages} p.</td></tr>",
                    id = esc(&j.id),
                    name = esc(&j.name),
                    time = when(j.submitted_at_ms),
                    pages = pages(j)
                )
            })
            .collect()
    };
    page(
        StatusCode::OK,
        "Review Documents",
        Some(&s.identity.display_name),
        &format!(
            "{notice}<form method=\"post\" id=\"documents\"><table><tr><th></th><th>Document</th><th>Sent</th><th>Pages</th></tr>{rows}</table>\
             <div class=\"bar\"><button class=\"btn\" formaction=\"/panel/app/release\" id=\"print-selected\">Print Selected</button>\
             <button class=\"btn warn\" formaction=\"/panel/app/delete\" id=\"delete-selected\">Delete Selected</button>\
             <a class=\"btn alt\" href=\"/panel/app/\" id=\"back\">Back</a></div></form>"
        ),
    )
}

async fn documents(State(p): State<PanelState>, h: HeaderMap) -> Response {
    let Some(d) = device(&p, &h) else { return not_secured() };
    let Some(s) = session(&p, &d, &h) else { return redirect("/panel/app/") };
    let p2 = p.clone();
    tokio::task::spawn_blocking(move || documents_page(&p2, &s, ""))
        .await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The device a prompt id belongs to, if the prompt is waiting and the
/// device still secured.
fn prompt_device(p: &Panel, id: &str, h: &HeaderMap) -> Option<Device> {
    let dev = p.prompts().device_of(id)?;
    p.devices().find(&dev).filter(|d| !d.credential.is_empty() && d.accepts_connection(client_cert(h)))
}

fn prompt_expired() -> Response {
    page(
        StatusCode::GONE,
        "Pullprint",
        None,
        "<div class=\"msg err\" id=\"error\">This sign-in has expired. Start again from the printer's sign-in button.</div>",
    )
}

async fn sign_in(
    State(p): State<PanelState>,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    h: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = form(&body);
    let prompt = Some(field(&f, "prompt")).filter(|x| !x.is_empty());
    let d = match &prompt {
        Some(id) => match prompt_device(&p, id, &h) {
            Some(d) => d,
            None => return prompt_expired(),
        },
        None => match device(&p, &h) {
            Some(d) => d,
            None => return not_secured(),
        },
    };
    let retry = |status: StatusCode, notice: &str, tab: &str| sign_in_form(status, &d, notice, tab, prompt.as_deref());
    if !same_origin(&h) {
        return retry(StatusCode::FORBIDDEN, &err("This form must be sent from the printer's panel."), "badge");
    }
    let method = field(&f, "method");
    let login = match method.as_str() {
        "badge" => Login::Badge { card: field(&f, "card"), pin: None },
        "password" => Login::Password { login: field(&f, "login"), password: secret(&f, "password") },
        "pin" => Login::Pin { email: field(&f, "email"), pin: secret(&f, "pin") },
        "passcode" => Login::Passcode { passcode: secret(&f, "passcode") },
        "enrol" => {
            Login::Enrol { ticket: field(&f, "ticket"), login: field(&f, "login"), password: secret(&f, "password") }
        }
        _ => return retry(StatusCode::BAD_REQUEST, &err("Choose how to sign in."), "badge"),
    };
    let tab = if method == "enrol" { "badge".to_owned() } else { method.clone() };
    match p.sign_in(&d, login, peer.ip()).await {
        Ok(s) => match &prompt {
            // The device collects the result (postPromptResult); nothing is kept in the browser.
            Some(id) => {
                let who = s.user.display_name.clone();
                if !p.prompts().complete(id, PromptState::SignedIn(Box::new(s))) {
                    return prompt_expired();
                }
                page(
                    StatusCode::OK,
                    "Pullprint",
                    None,
                    &format!(
                        "<div class=\"msg ok\" id=\"signed-in\" role=\"status\">Signed in as {}. The printer continues.</div>",
                        esc(&who)
                    ),
                )
            }
            None => {
                let mut r = redirect("/panel/app/");
                set_cookie(&mut r, SESSION_COOKIE, &s.session);
                r
            }
        },
        Err(PanelError::Refused(Refusal::Enrol(ticket))) => enrol_page(&d, &ticket, "", prompt.as_deref()),
        Err(PanelError::Refused(Refusal::PinRequired)) => retry(
            StatusCode::UNAUTHORIZED,
            &err("This site asks for your PIN with your badge: use E-mail + PIN, or ask IT."),
            "pin",
        ),
        Err(e) => retry(StatusCode::from_u16(e.reply().0).unwrap_or(StatusCode::UNAUTHORIZED), &err(&e.words()), &tab),
    }
}

#[derive(serde::Deserialize)]
struct PromptQuery {
    id: String,
    tab: Option<String>,
}

/// `GET /panel/app/hp/prompt?id=...`: the sign-in prompt an HP device shows
/// after `prePromptResult` (documented). Its first load carries the
/// `x-oxpd2-uiContext` header (documented); its value is not needed here.
async fn hp_prompt(
    State(p): State<PanelState>,
    h: HeaderMap,
    q: Result<Query<PromptQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else { return prompt_expired() };
    let Some(d) = prompt_device(&p, &q.id, &h) else { return prompt_expired() };
    if h.contains_key("x-oxpd2-uicontext") {
        log::debug!("panel: {} ({}) opened its sign-in prompt with a UI context", d.name, d.id);
    }
    sign_in_form(StatusCode::OK, &d, "", q.tab.as_deref().unwrap_or("badge"), Some(&q.id))
}

/// `POST /panel/app/hp/cancel`: the person cancelled the prompt.
async fn hp_cancel(State(p): State<PanelState>, body: axum::body::Bytes) -> Response {
    let id = field(&form(&body), "prompt");
    p.prompts().complete(&id, PromptState::Cancelled);
    page(StatusCode::OK, "Pullprint", None, "<div class=\"msg\" id=\"cancelled\">Cancelled.</div>")
}

async fn release(State(p): State<PanelState>, h: HeaderMap, body: axum::body::Bytes) -> Response {
    let Some(d) = device(&p, &h) else { return not_secured() };
    let Some(s) = session(&p, &d, &h) else { return redirect("/panel/app/") };
    if !same_origin(&h) {
        return menu(&s, &err("This form must be sent from the printer's panel."));
    }
    let f = form(&body);
    let all = field(&f, "all") == "1";
    let ids: Vec<String> = f.into_iter().filter(|(k, _)| k == "id").map(|(_, v)| v.to_string()).collect();
    let p2 = p.clone();
    tokio::task::spawn_blocking(move || {
        if !all && ids.is_empty() {
            return documents_page(&p2, &s, &err("Select the documents to print first."));
        }
        match p2.release(&d, &s, if all { None } else { Some(&ids) }) {
            Ok(q) if q.is_empty() => menu(&s, &err("You have no documents waiting.")),
            Ok(q) => {
                let msg = format!(
                    "<div class=\"msg ok\" id=\"released\" role=\"status\">{} document(s) sent to this printer. \
                     Collect them from the output tray.</div>",
                    q.len()
                );
                if all { menu(&s, &msg) } else { documents_page(&p2, &s, &msg) }
            }
            Err(e) => menu(&s, &err(&e.words())),
        }
    })
    .await
    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn delete(State(p): State<PanelState>, h: HeaderMap, body: axum::body::Bytes) -> Response {
    let Some(d) = device(&p, &h) else { return not_secured() };
    let Some(s) = session(&p, &d, &h) else { return redirect("/panel/app/") };
    if !same_origin(&h) {
        return menu(&s, &err("This form must be sent from the printer's panel."));
    }
    let ids: Vec<String> = form(&body).into_iter().filter(|(k, _)| k == "id").map(|(_, v)| v.to_string()).collect();
    let p2 = p.clone();
    tokio::task::spawn_blocking(move || {
        if ids.is_empty() {
            return documents_page(&p2, &s, &err("Select the documents to delete first."));
        }
        for id in &ids {
            if let Err(e) = p2.delete(&s, id) {
                return documents_page(&p2, &s, &err(&e.words()));
            }
        }
        let msg =
            format!("<div class=\"msg ok\" id=\"deleted\" role=\"status\">{} document(s) deleted.</div>", ids.len());
        documents_page(&p2, &s, &msg)
    })
    .await
    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn more(State(p): State<PanelState>, h: HeaderMap) -> Response {
    let Some(d) = device(&p, &h) else { return not_secured() };
    let Some(s) = session(&p, &d, &h) else { return redirect("/panel/app/") };
    let yes_no = |b: bool| if b { "allowed" } else { "not allowed" };
    page(
        StatusCode::OK,
        "More Device Functions",
        Some(&s.identity.display_name),
        &format!(
            "<p>Use the printer's own buttons for copying, scanning and faxing; you stay signed in.</p>\
             <table id=\"rights\"><tr><td>Copy</td><td>{}</td></tr><tr><td>Scan</td><td>{}</td></tr>\
             <tr><td>Fax</td><td>{}</td></tr><tr><td>Colour</td><td>{}</td></tr></table>\
             <a class=\"btn alt\" href=\"/panel/app/\" id=\"back\">Back</a>",
            yes_no(s.rights.copy),
            yes_no(s.rights.scan),
            yes_no(s.rights.fax),
            yes_no(s.rights.colour)
        ),
    )
}

async fn logout(State(p): State<PanelState>, h: HeaderMap) -> Response {
    if let (Some(d), Some(t)) = (device(&p, &h), cookie(&h, SESSION_COOKIE)) {
        p.sign_out(&d, &t);
    }
    let mut r = redirect("/panel/app/");
    set_cookie(&mut r, SESSION_COOKIE, "");
    r
}
