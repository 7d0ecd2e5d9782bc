//! The IPP queue's server shell (631; 10631 under `demo`): HTTP/1.1 over TLS 1.2+, `POST /ipp/print` with
//! `application/ipp` bodies (RFC 8010 §4, RFC 7472).
//!
//! The body is read until the attribute section is complete (checked by the
//! sans-IO scanner as bytes arrive), handed to the queue, and, for jobs, the
//! document is streamed into the store through a bounded channel so memory
//! stays constant whatever the job's size.
//!
//! Identity is HTTP Basic over TLS: a print token, or a directory password
//! checked by the authentication service ([`crate::auth`]), which
//! throttles guesses per user and source.

use crate::auth::basic::Authenticator;
use crate::ipp::{Caller, Queue, Step, codec};
use crate::net::{REQUEST_DEADLINE, Subnet};
use axum::body::Body;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Document bytes buffered between the socket and the store.
const PIPE_DEPTH: usize = 16;
/// How long a refused request's remaining body is read, so that the client
/// sees the answer rather than a reset.
const DRAIN_FOR: Duration = Duration::from_secs(30);

/// The next frame of `body`, or an error once it has been idle for `idle`,
/// or once `until` has passed.
async fn next_frame(
    body: &mut Body,
    idle: Duration,
    until: Option<Instant>,
) -> Option<Result<hyper::body::Frame<Bytes>, String>> {
    let idle_until = Instant::now() + idle;
    let at = until.map_or(idle_until, |u| u.min(idle_until));
    match tokio::time::timeout_at(at, body.frame()).await {
        Ok(f) => f.map(|r| r.map_err(|e| e.to_string())),
        Err(_) if at < idle_until => Some(Err("the attributes did not arrive in time".into())),
        Err(_) => Some(Err(format!("nothing arrived for {} s", idle.as_secs()))),
    }
}

fn plain(status: StatusCode, msg: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(format!("{msg}\n")));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain"));
    r
}

fn ipp_reply(bytes: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/ipp"));
    r
}

fn unauthorized() -> Response<Body> {
    let mut r = plain(StatusCode::UNAUTHORIZED, "authentication required");
    r.headers_mut().insert(
        hyper::header::WWW_AUTHENTICATE,
        hyper::header::HeaderValue::from_static("Basic realm=\"Pullprint\", charset=\"UTF-8\""),
    );
    r
}

/// What the IPP router needs.
#[derive(Debug, Clone)]
pub struct IppState {
    /// The queue.
    pub queue: Arc<Queue>,
    /// Credential checks.
    pub auth: Arc<Authenticator>,
    /// `dangerous.trust_user_name_from`.
    pub trusted: Arc<Vec<Subnet>>,
    /// A request body that brings nothing for this long is abandoned (slow
    /// clients would otherwise hold a connection, and a job, for ever).
    pub body_idle: Duration,
}

/// How the connection reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// IPPS (TLS 1.2+).
    Tls,
    /// Plain IPP, only with `dangerous.plain_ipp_listen`.
    Plain,
}

/// The IPP listener's router: every request goes through [`handle`].
pub fn router(state: IppState) -> axum::Router {
    axum::Router::new().fallback(entry).layer(axum::extract::DefaultBodyLimit::disable()).with_state(state)
}

async fn entry(
    axum::extract::State(st): axum::extract::State<IppState>,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    axum::Extension(transport): axum::Extension<Transport>,
    req: Request<Body>,
) -> Response<Body> {
    match handle(st, peer, transport, req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// Serve one HTTP request on the IPP listener.
pub async fn handle(
    st: IppState,
    peer: SocketAddr,
    transport: Transport,
    req: Request<Body>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let IppState { queue, auth, trusted, body_idle } = st;
    let path = req.uri().path();
    if !(path == "/ipp/print" || path.starts_with("/ipp/print/")) {
        return Ok(plain(StatusCode::NOT_FOUND, "no such queue; print to /ipp/print"));
    }
    if req.method() != hyper::Method::POST {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "IPP requests are POSTed with Content-Type application/ipp"));
    }
    let is_ipp = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/ipp")));
    if !is_ipp {
        return Ok(plain(StatusCode::BAD_REQUEST, "Content-Type must be application/ipp"));
    }
    let authz = req.headers().get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut body = req.into_body();

    // 1. Read until the attribute section is complete. It is small, and
    // read before any credential is checked: it must arrive within the
    // deadline of a small request however it trickles.
    let attributes_by = Instant::now() + REQUEST_DEADLINE;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    // The scanner goes on where it stopped: a body trickled in byte by
    // byte costs what it costs sent at once.
    let mut scanner = codec::Scanner::default();
    let framed = loop {
        match scanner.scan(&buf) {
            Ok(codec::Scan::Complete(f)) => break f,
            Ok(codec::Scan::NeedMore) => {}
            Err(e) => {
                log::debug!("IPP request from {peer} refused: {e}");
                drain(body).await;
                return Ok(bad_request(&buf, &e.to_string()));
            }
        }
        match next_frame(&mut body, body_idle, Some(attributes_by)).await {
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    buf.extend_from_slice(&d);
                }
            }
            Some(Err(e)) => {
                log::debug!("IPP request from {peer} broke off: {e}");
                return Ok(plain(StatusCode::BAD_REQUEST, "request body broke off"));
            }
            None => return Ok(bad_request(&buf, "the IPP message ends before its end-of-attributes tag")),
        }
    };
    let rest = buf.split_off(framed.data_at());

    // 2. Who is asking. A wrong password is treated like none: ask again.
    let op = framed.header().code;
    let trust_stated_name = trusted.iter().any(|n| n.contains(peer.ip()));
    let user = match authz {
        // A password is never taken over plain text, even a right one.
        Some(_) if transport == Transport::Plain => {
            log::warn!("IPP: refused credentials sent without TLS from {peer}");
            drain(body).await;
            return Ok(plain(
                StatusCode::FORBIDDEN,
                "credentials are never accepted over unencrypted IPP; print to the ipps:// queue",
            ));
        }
        Some(h) => match auth.basic(&h, peer.ip()).await {
            Some(u) => Some(u),
            None => {
                log::info!("IPP: failed authentication from {peer}");
                drain(body).await;
                return Ok(unauthorized());
            }
        },
        None => None,
    };
    if user.is_none() && Queue::needs_user(op) && !trust_stated_name {
        drain(body).await;
        // Asking for a password over plain text would invite one in clear.
        return Ok(match transport {
            Transport::Tls => unauthorized(),
            Transport::Plain => plain(
                StatusCode::FORBIDDEN,
                "unencrypted IPP serves only the networks in dangerous.trust_user_name_from; print to the ipps:// queue",
            ),
        });
    }
    let caller = Caller { user, addr: peer.ip().to_string(), trust_stated_name };
    let q = queue.clone();
    let step = match tokio::task::spawn_blocking(move || q.handle(&caller, &framed, &buf)).await {
        Ok(s) => s,
        Err(e) => {
            log::error!("IPP handler panicked: {e}");
            return Ok(plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error"));
        }
    };
    match step {
        // An answer given without the document (an error, or an operation
        // that takes none) still reads what the client sends, so that the
        // connection stays usable for its next request.
        Step::Reply(bytes) => {
            drain(body).await;
            Ok(ipp_reply(bytes))
        }
        Step::Unauthenticated => {
            drain(body).await;
            Ok(match transport {
                Transport::Tls => unauthorized(),
                Transport::Plain => plain(StatusCode::FORBIDDEN, "requesting-user-name is missing or not a valid name"),
            })
        }
        Step::Receive(receiver) => Ok(ipp_reply(receive(*receiver, rest, (body, body_idle), peer).await)),
    }
}

/// Read and discard the rest of a request body (bounded), so that a client
/// still sending its document receives our early answer instead of a reset.
async fn drain(mut body: Body) {
    const LIMIT: u64 = 256 << 20;
    let mut seen = 0u64;
    let until = Instant::now() + DRAIN_FOR;
    while let Ok(Some(Ok(f))) = tokio::time::timeout_at(until, body.frame()).await {
        if let Ok(d) = f.into_data() {
            seen += d.len() as u64;
            if seen > LIMIT {
                return;
            }
        }
    }
}

fn bad_request(buf: &[u8], why: &str) -> Response<Body> {
    // Answer in IPP when at least the header arrived, so the client sees the status.
    match codec::wire::header(buf) {
        Some(h) => ipp_reply(
            codec::Writer::response(h.version, codec::status::BAD_REQUEST, h.request_id)
                .text("status-message", why)
                .finish(),
        ),
        None => plain(StatusCode::BAD_REQUEST, why),
    }
}

/// Stream the document into the store on a blocking thread.
async fn receive(
    mut receiver: crate::ipp::Receiver,
    first: Vec<u8>,
    (mut body, idle): (Body, Duration),
    peer: SocketAddr,
) -> Vec<u8> {
    enum Piece {
        Data(Bytes),
        End,
        Broken(String),
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Piece>(PIPE_DEPTH);
    let writer = tokio::task::spawn_blocking(move || {
        while let Some(p) = rx.blocking_recv() {
            match p {
                Piece::Data(d) => {
                    if let Err(e) = receiver.write(&d) {
                        return receiver.fail(e);
                    }
                }
                Piece::End => return receiver.finish(),
                Piece::Broken(why) => return receiver.abort(&why),
            }
        }
        receiver.abort("the request body broke off")
    });
    if !first.is_empty() {
        let _ = tx.send(Piece::Data(Bytes::from(first))).await;
    }
    let mut broken = false;
    loop {
        match next_frame(&mut body, idle, None).await {
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data()
                    && tx.send(Piece::Data(d)).await.is_err()
                {
                    // The writer stopped (too large, disk full): its reply says why.
                    break;
                }
            }
            Some(Err(e)) => {
                log::info!("IPP document from {peer} broke off: {e}; nothing was stored");
                let _ = tx.send(Piece::Broken(format!("the document broke off: {e}"))).await;
                broken = true;
                break;
            }
            None => {
                let _ = tx.send(Piece::End).await;
                break;
            }
        }
    }
    drop(tx);
    // If the writer stopped early (too large, disk full), read the rest so
    // the client receives the answer rather than a reset. A body that broke
    // off or went silent has nothing more to read: waiting for it would
    // only hold the connection longer.
    if !broken {
        drain(body).await;
    }
    writer.await.unwrap_or_else(|e| {
        log::error!("IPP receiver panicked: {e}");
        Vec::new()
    })
}
