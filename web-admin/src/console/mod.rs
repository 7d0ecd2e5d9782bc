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

mod audit;
mod jobs;
mod overview;
mod people;
mod printer;
mod reports;
pub mod sessions;
mod settings;
mod system;

use crate::{Action, Actor, Appliance, ConsoleAct, Credentials, Outcome, harden};
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
        .get("/", overview::dashboard)
        .get("/printers", overview::printers)
        .post("/printers", printer::add)
        .get("/printers/{id}", printer::show)
        .post("/printers/{id}/location", printer::location)
        .post("/printers/{id}/{op}", printer::op)
        .get("/labels.pdf", printer::labels)
        .get("/users", people::search)
        .get("/users/{login}", people::person)
        .post("/users/{login}/{op}", people::act)
        .get("/jobs", jobs::list)
        .post("/jobs/{id}/delete", jobs::delete)
        .get("/audit", audit::list)
        .post("/audit/verify", audit::verify)
        .get("/reports", reports::show)
        .get("/reports/charts/{name}", reports::chart)
        .get("/reports/csv/{name}", reports::csv)
        .get("/system", system::page_get)
        .post("/system/certificate", system::install)
        .post("/system/certificate/internal", system::internal)
        .post("/system/backup", system::backup)
        .get("/settings", settings::page_get)
        .post("/settings", settings::change)
        .post("/settings/privacy", settings::privacy)
        .post("/settings/directory/test", settings::test_directory)
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

pub(crate) fn cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
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

/// The signed-in console user of a request, and the client's address.
/// Without an open session a page is redirected to `/login`, and an `/api/`
/// route gets 401.
#[derive(Debug, Clone)]
pub struct Signed(pub ConsoleUser, pub std::net::IpAddr);

impl Signed {
    fn actor(&self) -> Actor {
        Actor { user: self.0.clone(), source: self.1 }
    }
}

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
            let source = parts
                .extensions
                .get::<std::net::SocketAddr>()
                .map_or(std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), |a| a.ip());
            return Ok(Signed(*u, source));
        }
        Err(if parts.uri.path().starts_with("/api/") {
            crate::answer(Outcome::Unauthenticated)
        } else {
            redirect("/login")
        })
    }
}

/// A page's head: its title, the phone viewport and the one stylesheet.
pub(crate) fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width,initial-scale=1";
            title { (title) }
            link rel="stylesheet" href="/static/console.css";
        }
    }
}

/// The page frame: skip link, navigation for `user`'s role, the page.
fn frame(user: &ConsoleUser, here: &str, title: &str, content: Markup) -> Markup {
    let nav: &[(&str, &str, &[ConsoleRole])] = &[
        ("/", "Dashboard", &[ConsoleRole::Admin, ConsoleRole::Helpdesk]),
        ("/printers", "Printers", &[ConsoleRole::Admin]),
        ("/users", "Users", &[ConsoleRole::Admin, ConsoleRole::Helpdesk]),
        ("/jobs", "Jobs", &[ConsoleRole::Admin, ConsoleRole::Helpdesk]),
        ("/reports", "Reports", &[ConsoleRole::Admin, ConsoleRole::Auditor]),
        ("/audit", "Audit log", &[ConsoleRole::Admin, ConsoleRole::Auditor]),
        ("/settings", "Settings", &[ConsoleRole::Admin]),
        ("/system", "System", &[ConsoleRole::Admin]),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("{title} — Pullprint console")))
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
            (head("Sign in — Pullprint console"))
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
async fn logout(State(app): State<Arc<dyn Appliance>>, h: HeaderMap, posted: Posted) -> Response {
    let source = posted.who.1;
    if let Some(t) = cookie(&h, SESSION_COOKIE) {
        app.perform(Action::ConsoleSignOut { token: t.to_owned().into(), source });
    }
    let mut r = redirect("/login");
    set_cookie(&mut r, SESSION_COOKIE, "", Some(0));
    r
}

/// A state change: its signed-in user and its form's fields, once the
/// form's token (`csrf`) and the request's origin are checked. A forged
/// post is answered 403 before the handler runs, and nothing is done.
pub(crate) struct Posted {
    who: Signed,
    form: Vec<(String, String)>,
}

impl axum::extract::FromRequest<Arc<dyn Appliance>> for Posted {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, app: &Arc<dyn Appliance>) -> Result<Self, Response> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let who = Signed::from_request_parts(&mut parts, app).await?;
        let Ok(body) = axum::body::to_bytes(body, 64 * 1024).await else {
            return Err(forbidden(&who.0, "That form is too large; nothing was done."));
        };
        let form = checked_form(&who.0, &parts.headers, &body).map_err(|r| *r)?;
        Ok(Posted { who, form })
    }
}

/// A state change's form fields, once its token and origin are checked;
/// otherwise the refusal to answer (nothing is done).
fn checked_form(user: &ConsoleUser, h: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, Box<Response>> {
    let f: Vec<(String, String)> = form(body).into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let csrf = field(&f, "csrf");
    if !same_origin(h) || !user.csrf_matches(&csrf) {
        return Err(Box::new(forbidden(
            user,
            "This form did not come from this console's own page; nothing was done.",
        )));
    }
    Ok(f)
}

/// A field of a form or query, or "".
fn field(f: &[(String, String)], k: &str) -> String {
    f.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
}

/// The fields of a query string.
fn query(q: Option<&str>) -> Vec<(String, String)> {
    form(q.unwrap_or("").as_bytes()).into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Carry out a console act on a blocking thread.
async fn act(app: Arc<dyn Appliance>, who: &Signed, act: ConsoleAct) -> Outcome {
    let by = Box::new(who.actor());
    let act = Box::new(act);
    tokio::task::spawn_blocking(move || app.perform(Action::Console { by, act })).await.unwrap_or(Outcome::Failed)
}

/// A page for an outcome that is not the one asked for.
fn trouble(user: &ConsoleUser, o: Outcome) -> Response {
    match o {
        Outcome::Refused(why) => forbidden(user, &why),
        Outcome::NotFound => page(
            StatusCode::NOT_FOUND,
            frame(
                user,
                "",
                "Not found",
                html! { p.notice.bad role="alert" id="not-found" { "There is no such thing here (any more)." } },
            ),
        ),
        _ => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            frame(
                user,
                "",
                "Something went wrong",
                html! {
                    p.notice.bad role="alert" { "The appliance could not do that; its log says why." }
                },
            ),
        ),
    }
}

/// `YYYY-MM-DD` (UTC) as ms since the epoch.
fn day_ms(d: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(&format!("{d} 00:00:00")).ok()?;
    t.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs() * 1000)
}

/// A time (ms since the epoch) as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn when(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    let s = humantime::format_rfc3339_seconds(t).to_string();
    format!("{} {} UTC", s.get(..10).unwrap_or(&s), s.get(11..16).unwrap_or(""))
}

/// A `303 See Other` to `to` (a path of this site).
fn see_other(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => harden((StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response()),
        Err(_) => redirect("/"),
    }
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

/// `GET /static/console.css`: the stylesheet (public: the sign-in page uses it).
async fn stylesheet() -> Response {
    let mut r = ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}
