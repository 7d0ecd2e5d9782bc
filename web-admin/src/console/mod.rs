//! The admin console: the pages administrators, the helpdesk and auditors
//! use in a browser, on the web listener (443 in production, 18443 under
//! `pullprint demo`). `docs/CONSOLE.md` documents its routes.
//!
//! Built secure first:
//! - every console page needs a session ([`Signed`]); without one a page
//!   redirects to `/login` and an API route answers 401;
//! - the session is a random token in a `__Host-` cookie (`Secure`,
//!   `HttpOnly`, `SameSite=Strict`, path `/`), new at every sign-in, ended
//!   after 15 idle minutes or 8 hours ([`sessions`]);
//! - every state change carries the session's form token (`csrf`) and a
//!   same-origin `Origin`; the sign-in form carries a token of its own,
//!   double-submitted in a cookie, so that no other site can sign a
//!   browser in;
//! - sign-in goes through the same lockout as every other sign-in;
//! - every page is server-rendered (maud, checked at compile time) with no
//!   script, under a CSP that allows only this site's own stylesheet
//!   (embedded in the binary), and may not be framed.

pub mod sessions;

use crate::{Action, Appliance, Credentials, Dashboard, Outcome, PrinterView, harden};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use local_connector::auth::policy::ConsoleRole;
use local_connector::crypto::{ct_eq, random_bytes};
use local_connector::html::{form, same_origin};
use local_connector::net::Routes;
use maud::{DOCTYPE, Markup, html};
pub use sessions::ConsoleUser;
use std::sync::Arc;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-pullprint-console";
/// The sign-in form's own token, double-submitted.
pub const LOGIN_COOKIE: &str = "__Host-pullprint-login";
const CSS: &str = include_str!("console.css");
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The console's routes, added to the web listener's.
pub(crate) fn routes(r: Routes<Arc<dyn Appliance>>) -> Routes<Arc<dyn Appliance>> {
    r.get("/login", login_page)
        .post("/login", login)
        .post("/logout", logout)
        .get("/", dashboard)
        .get("/printers", printers)
        .get("/static/console.css", stylesheet)
}

/// A console page's security headers, on top of [`harden`]'s.
fn page(status: StatusCode, body: Markup) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body.into_string()).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    harden(r)
}

fn redirect(to: &'static str) -> Response {
    harden((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
}

fn cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn set_cookie(r: &mut Response, name: &str, value: &str, max_age: Option<u64>) {
    let age = max_age.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
    if let Ok(v) = HeaderValue::from_str(&format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict{age}")) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The signed-in console user of a request. Without an open session a page
/// is redirected to `/login`, and an `/api/` route gets 401.
#[derive(Debug, Clone)]
pub struct Signed(pub ConsoleUser);

impl axum::extract::FromRequestParts<Arc<dyn Appliance>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &Arc<dyn Appliance>,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, SESSION_COOKIE).map(|t| zeroize::Zeroizing::new(t.to_owned()));
        if let Some(token) = token
            && let Outcome::ConsoleUser(u) = app.perform(Action::ConsoleSession { token })
        {
            return Ok(Signed(*u));
        }
        Err(if parts.uri.path().starts_with("/api/") {
            crate::answer(Outcome::Unauthenticated)
        } else {
            redirect("/login")
        })
    }
}

/// The page frame: skip link, navigation for `user`'s role, the page.
fn frame(user: &ConsoleUser, here: &str, title: &str, content: Markup) -> Markup {
    let nav: &[(&str, &str, &[ConsoleRole])] = &[
        ("/", "Dashboard", &[ConsoleRole::Admin, ConsoleRole::Helpdesk]),
        ("/printers", "Printers", &[ConsoleRole::Admin]),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " — Pullprint console" }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header {
                    a.brand href="/" { "Pullprint" }
                    nav aria-label="Console" {
                        ul {
                            @for (href, label, roles) in nav {
                                @if roles.contains(&user.role) {
                                    li {
                                        @if *href == here {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div.who {
                        span { (user.display_name) " (" (user.role.name()) ")" }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(user.csrf);
                            button type="submit" id="sign-out" { "Sign out" }
                        }
                    }
                }
                main id="main" { h1 { (title) } (content) }
            }
        }
    }
}

fn login_form(status: StatusCode, notice: Option<&str>, username: &str) -> Response {
    let csrf = hex::encode(random_bytes::<32>());
    let body = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { "Sign in — Pullprint console" }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                main id="main" {
                    div.login {
                        h1 { "Pullprint console" }
                        @if let Some(n) = notice {
                            p.notice.bad role="alert" id="login-error" { (n) }
                        }
                        form method="post" action="/login" {
                            label for="username" { "User name" }
                            input type="text" id="username" name="username" autocomplete="username" required
                                value=(username);
                            label for="password" { "Password" }
                            input type="password" id="password" name="password" autocomplete="current-password"
                                required;
                            input type="hidden" name="csrf" value=(csrf);
                            button.primary type="submit" id="sign-in" { "Sign in" }
                        }
                        p { small { "For administrators, the helpdesk and auditors. To set your own PIN or get a passcode, go to " a href="/me" { "your PIN and passcode" } "." } }
                    }
                }
            }
        }
    };
    let mut r = page(status, body);
    set_cookie(&mut r, LOGIN_COOKIE, &csrf, Some(3600));
    r
}

/// `GET /login`
async fn login_page(State(app): State<Arc<dyn Appliance>>, h: HeaderMap) -> Response {
    if let Some(t) = cookie(&h, SESSION_COOKIE)
        && let Outcome::ConsoleUser(_) = app.perform(Action::ConsoleSession { token: t.to_owned().into() })
    {
        return redirect("/");
    }
    login_form(StatusCode::OK, None, "")
}

/// `POST /login`: `username`, `password`, `csrf`.
async fn login(
    State(app): State<Arc<dyn Appliance>>,
    axum::Extension(peer): axum::Extension<std::net::SocketAddr>,
    h: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = form(&body);
    let field = |k: &str| f.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (username, password, csrf) = (field("username"), field("password"), field("csrf"));
    let expected = cookie(&h, LOGIN_COOKIE).unwrap_or_default();
    if !same_origin(&h) || expected.is_empty() || !ct_eq(expected.as_bytes(), csrf.as_bytes()) {
        return login_form(
            StatusCode::FORBIDDEN,
            Some("This sign-in did not come from this site's own form; sign in again."),
            "",
        );
    }
    let who = Credentials { user: username.to_string(), password, source: peer.ip() };
    let outcome = tokio::task::spawn_blocking(move || app.perform(Action::ConsoleSignIn { who }))
        .await
        .unwrap_or(Outcome::Failed);
    match outcome {
        Outcome::ConsoleSignedIn(token) => {
            let mut r = redirect("/");
            set_cookie(&mut r, SESSION_COOKIE, &token, None);
            set_cookie(&mut r, LOGIN_COOKIE, "", Some(0));
            r
        }
        Outcome::Unauthenticated => {
            login_form(StatusCode::UNAUTHORIZED, Some("That user name and password were not recognised."), &username)
        }
        Outcome::Refused(why) => login_form(StatusCode::FORBIDDEN, Some(&why), &username),
        _ => login_form(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some("Something went wrong on the appliance; try again, and see its log if it keeps happening."),
            &username,
        ),
    }
}

/// `POST /logout`: `csrf`.
async fn logout(
    State(app): State<Arc<dyn Appliance>>,
    Signed(user): Signed,
    h: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = form(&body);
    let csrf = f.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.to_string()).unwrap_or_default();
    if !same_origin(&h) || !user.csrf_matches(&csrf) {
        return forbidden(&user, "This form did not come from this console's own page; nothing was done.");
    }
    if let Some(t) = cookie(&h, SESSION_COOKIE) {
        app.perform(Action::ConsoleSignOut { token: t.to_owned().into() });
    }
    let mut r = redirect("/login");
    set_cookie(&mut r, SESSION_COOKIE, "", Some(0));
    r
}

fn forbidden(user: &ConsoleUser, why: &str) -> Response {
    page(
        StatusCode::FORBIDDEN,
        frame(user, "", "Not allowed", html! { p.notice.bad role="alert" id="forbidden" { (why) } }),
    )
}

/// A refusal unless `user`'s role is one of `roles`.
fn refuse_unless(user: &ConsoleUser, roles: &[ConsoleRole]) -> Option<Response> {
    (!roles.contains(&user.role))
        .then(|| forbidden(user, &format!("This page is not for the {} role.", user.role.name())))
}

/// `GET /`: the dashboard.
async fn dashboard(State(app): State<Arc<dyn Appliance>>, Signed(user): Signed) -> Response {
    if let Some(r) = refuse_unless(&user, &[ConsoleRole::Admin, ConsoleRole::Helpdesk]) {
        return r;
    }
    let d = match tokio::task::spawn_blocking(move || app.perform(Action::Dashboard)).await {
        Ok(Outcome::Dashboard(d)) => d,
        _ => return forbidden(&user, "The appliance could not gather the dashboard; see its log."),
    };
    page(StatusCode::OK, frame(&user, "/", "Dashboard", dashboard_view(&d)))
}

fn dashboard_view(d: &Dashboard) -> Markup {
    let h = &d.health;
    html! {
        @if h.problems.is_empty() {
            p.notice.ok role="status" id="status" { "The appliance is healthy." }
        } @else {
            div.notice.bad role="alert" id="status" {
                p { strong { "The appliance needs attention:" } }
                ul.plain { @for p in &h.problems { li { (p) } } }
            }
        }
        @if !h.dangerous_settings.is_empty() {
            div.notice.warn id="dangerous" {
                p { strong.danger { "Dangerous settings in force" } }
                ul.plain { @for s in &h.dangerous_settings { li.danger { (s) } } }
            }
        }
        div.cards {
            div.card { div.n id="parked" { (h.parked_jobs) } div.l { "jobs parked now" } }
            div.card { div.n { (d.printers) } div.l { "printers registered (" (d.printers_secured) " secured)" } }
            div.card { div.n { (h.locked_sign_ins) } div.l { "sign-ins locked after failed guesses" } }
            div.card { div.n { (h.data_free_bytes >> 30) " GiB" } div.l { "free on the data disk" } }
        }
        h2 { "Directory" }
        p id="directory" { (d.directory) }
        h2 { "This appliance" }
        table {
            tbody {
                tr { th scope="row" { "Version" } td { (h.version) } }
                tr { th scope="row" { "Up for" } td { (uptime(h.uptime_s)) } }
                tr { th scope="row" { "Site" } td { code { (h.site_id) } } }
                tr { th scope="row" { "Server certificate" } td { "expires " (h.certificate_expires) " (" (h.certificate_days_left) " days)" } }
            }
        }
    }
}

/// `GET /printers`: the registered printers (admins).
async fn printers(State(app): State<Arc<dyn Appliance>>, Signed(user): Signed) -> Response {
    if let Some(r) = refuse_unless(&user, &[ConsoleRole::Admin]) {
        return r;
    }
    let list = match tokio::task::spawn_blocking(move || app.perform(Action::Printers)).await {
        Ok(Outcome::Printers(l)) => l,
        _ => return forbidden(&user, "The appliance could not list its printers; see its log."),
    };
    page(StatusCode::OK, frame(&user, "/printers", "Printers", printers_view(&list, now_s())))
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// "never", "just now", "5 minutes ago", "3 hours ago", "2 days ago".
fn ago(then: u64, now: u64) -> String {
    if then == 0 {
        return "never".into();
    }
    match now.saturating_sub(then) {
        0..60 => "just now".into(),
        s @ 60..3600 => format!("{} minutes ago", s / 60),
        s @ 3600..86400 => format!("{} hours ago", s / 3600),
        s => format!("{} days ago", s / 86400),
    }
}

fn printers_view(list: &[PrinterView], now: u64) -> Markup {
    html! {
        @if list.is_empty() {
            p id="no-printers" {
                "No printer is registered yet. Register one with "
                code { "pullprint device add NAME --vendor VENDOR --address ADDRESS" }
                ", then secure its panel as docs/PANELS.md in the Pullprint documentation says."
            }
        } @else {
            p.muted {
                (list.len()) @if list.len() == 1 { " printer." } @else { " printers." }
                " Plaintext transports and trust on first use are dangerous settings, shown in red."
            }
            div.scroll {
                table id="printers" {
                    caption.sr-only { "Registered printers" }
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Maker" }
                            th scope="col" { "Address" }
                            th scope="col" { "Panel" }
                            th scope="col" { "Reader" }
                            th scope="col" { "Release over" }
                            th scope="col" { "Trust" }
                            th scope="col" { "Last heartbeat" }
                        }
                    }
                    tbody {
                        @for p in list {
                            tr id=(format!("printer-{}", p.id)) {
                                th scope="row" { (p.name) br; small { code { (p.id) } } }
                                td { (p.vendor) }
                                td { code { (p.address) } }
                                td {
                                    @if p.secured { "secured" @if p.mutual_tls { ", mutual TLS" } } @else { span.danger { "not secured (revoked)" } }
                                }
                                td { (p.reader) }
                                td {
                                    @for (i, t) in p.transports.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        @if i > 0 { span.danger { (t) } } @else { (t) }
                                    }
                                }
                                td { @if p.trust_dangerous { span.danger { (p.trust) } } @else { (p.trust) } }
                                td { (ago(p.last_seen, now)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn uptime(s: u64) -> String {
    match s {
        0..3600 => format!("{} minutes", s / 60),
        3600..86400 => format!("{} hours {} minutes", s / 3600, s % 3600 / 60),
        _ => format!("{} days {} hours", s / 86400, s % 86400 / 3600),
    }
}

/// `GET /static/console.css`: the stylesheet (public: the sign-in page uses it).
async fn stylesheet() -> Response {
    let mut r = ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer(plaintext: bool, tofu: bool) -> PrinterView {
        PrinterView {
            id: "d-abc".into(),
            name: "Lobby <east>".into(),
            vendor: "HP".into(),
            address: "10.0.0.5".into(),
            secured: true,
            mutual_tls: false,
            reader: "hex".into(),
            transports: if plaintext {
                vec!["IPPS".into(), "RAW 9100 (plaintext)".into()]
            } else {
                vec!["IPPS".into()]
            },
            plaintext,
            trust: if tofu {
                "the first certificate it shows will be trusted (dangerous)".into()
            } else {
                "internal CA".into()
            },
            trust_dangerous: tofu,
            last_seen: 1_000,
        }
    }

    #[test]
    fn dangerous_transports_and_trust_are_red_and_names_are_escaped() {
        let html = printers_view(&[printer(true, true)], 1_000 + 7_200).into_string();
        assert!(html.contains("<span class=\"danger\">RAW 9100 (plaintext)</span>"), "{html}");
        assert!(html.contains("<span class=\"danger\">the first certificate"), "{html}");
        assert!(html.contains("Lobby &lt;east&gt;") && !html.contains("<east>"), "{html}");
        assert!(html.contains("2 hours ago") && html.contains("1 printer."), "{html}");
        let safe = printers_view(&[printer(false, false)], 1_000).into_string();
        assert!(!safe.contains("class=\"danger\""), "{safe}");
        assert!(printers_view(&[], 0).into_string().contains("No printer is registered yet"));
    }
}
