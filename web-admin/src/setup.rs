//! First-boot setup: the pages `pullprint serve` offers on an empty data
//! folder, instead of everything else, until an admin finishes them.
//!
//! The console is where print-management products have been breached
//! through their setup page (PaperCut, CVE-2023-27350), so this one hands
//! out nothing without the one-time setup code that the appliance prints
//! to its journal and serial console, which only someone at the machine (or
//! its hypervisor) can read. Setup creates the site, its certificates and
//! the first admin, then shows the site recovery password once and waits
//! until the admin confirms they have kept it. After that these routes are
//! gone: the appliance starts its services and serves the console.

use crate::harden;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use local_connector::html::{form, same_origin};
use maud::{DOCTYPE, Markup, html};
use std::sync::Arc;

/// What setup asks for.
#[derive(Clone, PartialEq, Eq)]
pub struct SetupForm {
    /// The one-time setup code, as typed.
    pub code: String,
    /// The first admin's user name.
    pub username: String,
    /// Their password.
    pub password: zeroize::Zeroizing<String>,
    /// The same, again.
    pub password2: zeroize::Zeroizing<String>,
    /// The appliance's DNS names, for its certificate, as typed.
    pub hostnames: String,
    /// Its IP addresses, for its certificate, as typed.
    pub addresses: String,
}

impl std::fmt::Debug for SetupForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SetupForm({}, <secrets>, {:?}, {:?})", self.username, self.hostnames, self.addresses)
    }
}

/// How setup went.
#[derive(Debug)]
pub enum SetupOutcome {
    /// The site exists: the recovery password to show once, and the token
    /// that the confirmation must carry.
    Done {
        /// The site recovery password.
        recovery: zeroize::Zeroizing<String>,
        /// Carried by the confirmation form.
        finish_token: String,
    },
    /// The code was wrong (the appliance may have issued a new one).
    WrongCode(String),
    /// Something in the form, by field.
    Invalid(Vec<(String, String)>),
    /// The appliance failed; its log says why.
    Failed(String),
}

/// Carries out first-boot setup; implemented by the appliance.
pub trait FirstBoot: Send + Sync + 'static {
    /// Check the code and, when it is right and the form valid, set up.
    fn set_up(&self, f: SetupForm) -> SetupOutcome;
    /// The admin confirmed they saved the recovery password: finish
    /// (whether `token` is the one [`SetupOutcome::Done`] gave).
    fn finish(&self, token: &str) -> bool;
}

const CSS: &str = include_str!("console/console.css");
const CSP: &str = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            (crate::console::head(&format!("{title} — Pullprint setup")))
            body { main id="main" { div.login.wide { h1 { (title) } (body) } } }
        }
    };
    let mut r = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], doc.into_string()).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    harden(r)
}

/// The router served during setup: `/setup` and its form, the stylesheet,
/// health (`{"status":"setup"}`, 503), and a redirect to `/setup` for
/// everything else.
pub fn router(app: Arc<dyn FirstBoot>) -> Router {
    Router::new()
        .route("/setup", axum::routing::get(setup_page).post(set_up))
        .route("/setup/finish", axum::routing::post(finish))
        .route("/static/console.css", axum::routing::get(stylesheet))
        .route("/healthz", axum::routing::get(health))
        .fallback(to_setup)
        .with_state(app)
}

async fn to_setup() -> Response {
    harden((StatusCode::SEE_OTHER, [(header::LOCATION, "/setup")]).into_response())
}

async fn health() -> Response {
    harden((StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "setup" }))).into_response())
}

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

fn setup_form(problems: &[(String, String)], username: &str, hostnames: &str, addresses: &str) -> Markup {
    let problem = |k: &str| problems.iter().find(|(key, _)| key == k).map(|(_, w)| w.clone());
    let field = |id: &str, label: &str, kind: &str, value: &str, help: &str, auto: &str| {
        let help_id = format!("{id}-help");
        html! {
            label for=(id) { (label) }
            input type=(kind) id=(id) name=(id) value=(value) autocomplete=(auto) aria-describedby=(help_id);
            p.muted id=(help_id) { (help) }
            @if let Some(w) = problem(id) { p.danger role="alert" { (w) } }
        }
    };
    html! {
        @if !problems.is_empty() {
            div.notice.bad role="alert" id="setup-error" {
                ul.plain { @for (_, w) in problems { li { (w) } } }
            }
        }
        p { "This appliance has no site yet. Setting it up creates its keys and certificates and its first administrator." }
        form method="post" action="/setup" {
            (field("code", "Setup code", "text", "", "Printed on the appliance's console and in its journal (journalctl -u pullprint) when it started.", "off"))
            (field("username", "Administrator's user name", "text", username, "A local account in the PullprintAdmins group. Directory (AD) admins can sign in once the directory is configured.", "username"))
            (field("password", "Password", "password", "", "At least 12 characters.", "new-password"))
            (field("password2", "The password again", "password", "", "", "new-password"))
            (field("hostnames", "Host names", "text", hostnames, "The names people and printers use to reach the appliance, separated by spaces or commas; they go into its certificate.", "off"))
            (field("addresses", "IP addresses", "text", addresses, "Its addresses, separated by spaces or commas; they go into its certificate too.", "off"))
            button.primary type="submit" id="set-up" { "Set up the appliance" }
        }
    }
}

/// `GET /setup`
async fn setup_page() -> Response {
    page(StatusCode::OK, "Set up Pullprint", setup_form(&[], "admin", "", ""))
}

/// `POST /setup`
async fn set_up(State(app): State<Arc<dyn FirstBoot>>, h: HeaderMap, body: axum::body::Bytes) -> Response {
    let f = form(&body);
    let get = |k: &str| f.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let sf = SetupForm {
        code: get("code").to_string(),
        username: get("username").trim().to_owned(),
        password: get("password"),
        password2: get("password2"),
        hostnames: get("hostnames").to_string(),
        addresses: get("addresses").to_string(),
    };
    let (username, hostnames, addresses) = (sf.username.clone(), sf.hostnames.clone(), sf.addresses.clone());
    if !same_origin(&h) {
        let p = vec![(String::new(), "This form did not come from this appliance's own page.".to_owned())];
        return page(StatusCode::FORBIDDEN, "Set up Pullprint", setup_form(&p, &username, &hostnames, &addresses));
    }
    let outcome = tokio::task::spawn_blocking(move || app.set_up(sf))
        .await
        .unwrap_or_else(|_| SetupOutcome::Failed("setup stopped unexpectedly".into()));
    let again = |status, problems: Vec<(String, String)>| {
        page(status, "Set up Pullprint", setup_form(&problems, &username, &hostnames, &addresses))
    };
    match outcome {
        SetupOutcome::Done { recovery, finish_token } => page(
            StatusCode::OK,
            "Save the site recovery password",
            html! {
                p { "The site is set up. This is its recovery password:" }
                p.secret id="recovery-password" { (recovery.as_str()) }
                p { "It is shown only now. It is the only way to unlock the appliance's data on new hardware or after its key is lost (" code { "pullprint init --recover" } "), and backups are useless without it. Keep it offline, in a safe or a password manager, apart from the backups." }
                form method="post" action="/setup/finish" {
                    input type="hidden" name="token" value=(finish_token);
                    label.check for="saved" {
                        input type="checkbox" id="saved" name="saved" value="yes" required;
                        " I have saved the recovery password somewhere safe"
                    }
                    button.primary type="submit" id="finish" { "Finish setup" }
                }
            },
        ),
        SetupOutcome::WrongCode(why) => again(StatusCode::UNAUTHORIZED, vec![("code".into(), why)]),
        SetupOutcome::Invalid(problems) => again(StatusCode::UNPROCESSABLE_ENTITY, problems),
        SetupOutcome::Failed(why) => again(StatusCode::INTERNAL_SERVER_ERROR, vec![(String::new(), why)]),
    }
}

/// `POST /setup/finish`: `token`, `saved=yes`.
async fn finish(State(app): State<Arc<dyn FirstBoot>>, h: HeaderMap, body: axum::body::Bytes) -> Response {
    let f = form(&body);
    let get = |k: &str| f.iter().find(|(key, _)| key == k).map(|(_, v)| v.to_string()).unwrap_or_default();
    if !same_origin(&h) || get("saved") != "yes" || !app.finish(&get("token")) {
        return page(
            StatusCode::FORBIDDEN,
            "Not finished",
            html! { p.notice.bad role="alert" id="not-finished" { "Setup is finished only from its own page, once the box saying the recovery password is saved is ticked. Go back and tick it." } },
        );
    }
    page(
        StatusCode::OK,
        "Setup is done",
        html! {
            p.notice.ok role="status" id="setup-done" { "The appliance is starting its services. In a few seconds, sign in to the console at " a href="/login" { "/login" } " with the administrator you made." }
            p { "Its browsers and printers should trust its internal CA, which " a href="/ca.crt" { "/ca.crt" } " hands out once it has started." }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_escapes_what_it_shows_again_and_debug_hides_passwords() {
        let html = setup_form(&[("username".into(), "<b>bad</b>".into())], "<admin>", "a\"b", "").into_string();
        assert!(html.contains("&lt;b&gt;bad") && html.contains("&lt;admin&gt;") && html.contains("a&quot;b"), "{html}");
        let f = SetupForm {
            code: "C".into(),
            username: "admin".into(),
            password: zeroize::Zeroizing::new("hunter2hunter2".into()),
            password2: zeroize::Zeroizing::new("hunter2hunter2".into()),
            hostnames: String::new(),
            addresses: String::new(),
        };
        assert!(!format!("{f:?}").contains("hunter2"));
    }
}
