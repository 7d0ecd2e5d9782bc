//! The self-service page: a person sets the PIN they type at printers
//! (with their e-mail address), gets a new passcode, or signs in a phone
//! ([`crate::phone`]), after signing in with their directory user name and
//! password.
//!
//! It is plain HTML with no script and no external asset, readable on a
//! phone. Every answer is a full page, and every failure says what to do.

use crate::{Action, Appliance, Credentials, Outcome, harden};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1d2733}\
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}label{display:block;margin:.8rem 0 .2rem}\
input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}\
.ok{background:#e6f4ea;border-left:4px solid #1e8e3e;padding:.8rem}\
.err{background:#fce8e6;border-left:4px solid #d93025;padding:.8rem}\
.code{font-size:1.8rem;letter-spacing:.2rem;font-family:monospace}small{color:#5f6b7a}";

pub use local_connector::html::{escape as esc, same_origin};

fn html(status: StatusCode, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Pullprint — your PIN and passcode</title><style>{STYLE}</style></head><body>{body}</body></html>"
    );
    let mut r = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    harden(r)
}

fn forms(notice: &str, login: &str) -> String {
    let login = esc(login);
    format!(
        "<h1>Your PIN and passcode</h1>{notice}\
         <p>Sign in with your usual user name and password to set the PIN you use at printers \
         with your e-mail address, or to get a passcode.</p>\
         <form method=\"post\" action=\"/me/pin\" id=\"pin-form\">\
         <h2>Set your PIN</h2>\
         <label for=\"pin-login\">User name</label>\
         <input id=\"pin-login\" name=\"login\" autocomplete=\"username\" required value=\"{login}\">\
         <label for=\"pin-password\">Password</label>\
         <input id=\"pin-password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <label for=\"pin\">New PIN <small>(4 to 8 digits, not 1234 or 1111)</small></label>\
         <input id=\"pin\" name=\"pin\" type=\"password\" inputmode=\"numeric\" pattern=\"[0-9]{{4,8}}\" \
         autocomplete=\"new-password\" required>\
         <label for=\"pin2\">New PIN again</label>\
         <input id=\"pin2\" name=\"pin2\" type=\"password\" inputmode=\"numeric\" pattern=\"[0-9]{{4,8}}\" \
         autocomplete=\"new-password\" required>\
         <button type=\"submit\" id=\"set-pin\">Set PIN</button></form>\
         <form method=\"post\" action=\"/me/passcode\" id=\"passcode-form\">\
         <h2>Get a passcode</h2>\
         <p>A passcode is a 12-digit number you can type at any printer instead of signing in. \
         It is shown once; getting a new one cancels the old one.</p>\
         <label for=\"code-login\">User name</label>\
         <input id=\"code-login\" name=\"login\" autocomplete=\"username\" required value=\"{login}\">\
         <label for=\"code-password\">Password</label>\
         <input id=\"code-password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\" id=\"new-passcode\">Get a new passcode</button></form>\
         <form method=\"post\" action=\"/me/phones\" id=\"phones-form\">\
         <h2>Print from your phone</h2>\
         <p>A signed-in phone prints your documents when you scan the QR label on a printer, with no app. \
         Sign in to get a code to scan with your phone, or to see and sign out the phones that print as you.</p>\
         <label for=\"phone-login\">User name</label>\
         <input id=\"phone-login\" name=\"login\" autocomplete=\"username\" required value=\"{login}\">\
         <label for=\"phone-password\">Password</label>\
         <input id=\"phone-password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\" id=\"my-phones\">Your phones</button></form>"
    )
}

/// `GET /me`
pub async fn page() -> Response {
    html(StatusCode::OK, &forms("", ""))
}

/// The PIN form.
#[derive(Deserialize)]
pub struct PinForm {
    login: String,
    password: zeroize::Zeroizing<String>,
    pin: zeroize::Zeroizing<String>,
    pin2: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for PinForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinForm({}, <redacted>)", self.login)
    }
}

impl std::fmt::Debug for PasscodeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasscodeForm({}, <redacted>)", self.login)
    }
}

/// The passcode form.
#[derive(Deserialize)]
pub struct PasscodeForm {
    login: String,
    password: zeroize::Zeroizing<String>,
}

fn error(login: &str, status: StatusCode, msg: &str) -> Response {
    html(status, &forms(&format!("<p class=\"err\" role=\"alert\">{}</p>", esc(msg)), login))
}

async fn perform(app: Arc<dyn Appliance>, action: Action) -> Outcome {
    tokio::task::spawn_blocking(move || app.perform(action)).await.unwrap_or(Outcome::Failed)
}

fn refused(login: &str, o: Outcome) -> Response {
    match o {
        Outcome::Unauthenticated => {
            error(login, StatusCode::UNAUTHORIZED, "That user name and password were not recognised.")
        }
        Outcome::Refused(why) => error(login, StatusCode::BAD_REQUEST, &why),
        _ => error(
            login,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the appliance; try again, and tell IT if it keeps happening.",
        ),
    }
}

/// `POST /me/pin`
pub async fn set_pin(
    State(app): State<Arc<dyn Appliance>>,
    axum::Extension(peer): axum::Extension<std::net::SocketAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<PinForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return error("", StatusCode::FORBIDDEN, "This form must be sent from this site.");
    }
    let Ok(axum::Form(f)) = form else {
        return error("", StatusCode::BAD_REQUEST, "Fill in every field.");
    };
    if *f.pin != *f.pin2 {
        return error(&f.login, StatusCode::BAD_REQUEST, "The two PINs differ; type the same PIN twice.");
    }
    let who = Credentials { user: f.login.clone(), password: f.password, source: peer.ip() };
    match perform(app, Action::SetMyPin { who, pin: f.pin.to_string() }).await {
        Outcome::Done => html(
            StatusCode::OK,
            &format!(
                "<h1>Your PIN and passcode</h1><p class=\"ok\" role=\"status\" id=\"result\">Your PIN is set, {}. \
                 At a printer, choose e-mail and PIN and sign in with your e-mail address and this PIN.</p>\
                 <p><a href=\"/me\">Back</a></p>",
                esc(&f.login)
            ),
        ),
        o => refused(&f.login, o),
    }
}

/// `POST /me/passcode`
pub async fn new_passcode(
    State(app): State<Arc<dyn Appliance>>,
    axum::Extension(peer): axum::Extension<std::net::SocketAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<PasscodeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return error("", StatusCode::FORBIDDEN, "This form must be sent from this site.");
    }
    let Ok(axum::Form(f)) = form else {
        return error("", StatusCode::BAD_REQUEST, "Fill in every field.");
    };
    let who = Credentials { user: f.login.clone(), password: f.password, source: peer.ip() };
    match perform(app, Action::NewMyPasscode { who }).await {
        Outcome::Passcode(code) => html(
            StatusCode::OK,
            &format!(
                "<h1>Your new passcode</h1><p class=\"ok\" role=\"status\">Type this at any printer to sign in. \
                 It is shown only now: write it down somewhere safe. Your earlier passcode no longer works.</p>\
                 <p class=\"code\" id=\"passcode\">{}</p><p><a href=\"/me\">Back</a></p>",
                esc(&code)
            ),
        ),
        o => refused(&f.login, o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_foreign_origins_are_refused() {
        assert_eq!(esc("<a href=\"x\">'&"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("print.example:18443"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://print.example:18443"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://print.example:18443"));
        assert!(!same_origin(&h));
    }
}
