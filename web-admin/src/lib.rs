//! Pullprint's HTTPS front: the pages and endpoints a person or a monitoring
//! system reaches on the console listener (443 in production, 18443 under
//! `pullprint demo`).
//!
//! Each HTTP request is turned into a typed [`Action`] before anything runs;
//! a [`Site`] (or any other [`Appliance`]) carries it out against the
//! domain. This crate owns every page and route on the web port; it owns
//! no socket (the shared accept loop serves its router) and no state.
//!
//! Served so far, without a session (the design allows health and setup to
//! be reached before login):
//! - `GET /healthz`: `{"status": "ok"}` or `{"status": "degraded"}`; 200
//!   when healthy, 503 when not. With `Authorization: Bearer` and the
//!   daemon's [`StatusToken`] (what `pullprint status` sends), the whole
//!   [`Health`] report: it names settings and problems an outsider should
//!   not read.
//! - `GET /ca.crt`: the internal CA certificate, for workstations and printers to trust.
//!
//! And for each user, with their directory password in HTTP Basic (a print
//! token is not enough to manage tokens):
//! - `GET /api/v1/me/tokens`: the user's print tokens (never their secrets);
//! - `POST /api/v1/me/tokens` with `{"label": "..."}`: a new token, shown once;
//! - `DELETE /api/v1/me/tokens/{id}`: revoke one.
//!
//! The self-service page for people ([`me`]): `GET /me` shows a form;
//! `POST /me/pin` sets the PIN and `POST /me/passcode` issues a passcode
//! (shown once). Each takes the directory user name and password in the same
//! form, so a forged cross-site post cannot act without the password; the
//! `Origin` header, when sent, must be this site.

pub mod console;
pub mod me;
pub mod phone;
pub mod phone_setup;
pub mod setup;
pub mod site;
pub mod views;
pub use me::{esc as html_escape, same_origin};
pub use phone::{MyPhoneOp, MyPhonesView, PhoneOp, PhoneView, WhoMe};
pub use site::{Facts, PhoneDesk, Site};
pub use views::{
    Actor, AuditView, CertificateView, ConsoleAct, JobsView, KeyedWords, LiveSettings, PeopleView, PersonOp,
    PersonView, PrinterPage, ReportView, SettingView, SettingsView, SystemOps, SystemView,
};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use local_connector::net::{Route, Routes};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a request asks the appliance to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Report health: in full for the holder of the status token.
    Health {
        /// The bearer token the request carried, if any.
        token: Option<zeroize::Zeroizing<String>>,
    },
    /// Hand out the internal CA certificate.
    CaCertificate,
    /// Something a user does with their own print tokens.
    MyTokens {
        /// Who claims to ask.
        who: Credentials,
        /// What they want.
        op: TokenOp,
    },
    /// A user sets their PIN.
    SetMyPin {
        /// Who claims to ask.
        who: Credentials,
        /// The new PIN.
        pin: String,
    },
    /// Sign in to the admin console with a directory password.
    ConsoleSignIn {
        /// Who claims to sign in.
        who: Credentials,
    },
    /// Who holds this console session, if it is open (the request counts as use).
    ConsoleSession {
        /// The session cookie's token.
        token: zeroize::Zeroizing<String>,
    },
    /// End a console session.
    ConsoleSignOut {
        /// The session cookie's token.
        token: zeroize::Zeroizing<String>,
        /// The client's address.
        source: std::net::IpAddr,
    },
    /// Gather the console's dashboard.
    Dashboard,
    /// The registered printers, for the console.
    Printers,
    /// Something done in the console, by a signed-in user.
    Console {
        /// Who, from where.
        by: Box<Actor>,
        /// What.
        act: Box<ConsoleAct>,
    },
    /// A user asks for a new passcode.
    NewMyPasscode {
        /// Who claims to ask.
        who: Credentials,
    },
    /// Something done from a phone that opened a printer's label address.
    Phone {
        /// The label id in the address.
        label: String,
        /// The phone's credential, from its cookie.
        phone: Option<zeroize::Zeroizing<String>>,
        /// The client's address.
        source: std::net::IpAddr,
        /// What.
        op: PhoneOp,
    },
    /// A person's bound phones, from `/me`.
    MyPhones {
        /// Who asks.
        who: WhoMe,
        /// What.
        op: MyPhoneOp,
    },
    /// A signed-in phone's set-up page for printing from it.
    PhoneSetup {
        /// The phone's credential, from its cookie.
        phone: Option<zeroize::Zeroizing<String>>,
        /// Make a print token for it.
        make_token: bool,
        /// The client's address.
        source: std::net::IpAddr,
    },
    /// Bind this browser with the one-time code of a `/me` page's QR.
    BindPhone {
        /// The code.
        code: zeroize::Zeroizing<String>,
        /// The browser, in words (from its user agent).
        browser: String,
        /// Bind now (a POST); without it, only say whose code it is.
        confirm: bool,
        /// The client's address.
        source: std::net::IpAddr,
    },
}

/// A user name and password (HTTP Basic or a form), and where they came
/// from (for lockout); the password never prints and is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name as given.
    pub user: String,
    /// The password as given.
    pub password: zeroize::Zeroizing<String>,
    /// The client's address.
    pub source: std::net::IpAddr,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>, {})", self.user, self.source)
    }
}

/// An operation on one's own print tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOp {
    /// List them.
    List,
    /// Make one.
    Create {
        /// What it is for.
        label: String,
    },
    /// Revoke one.
    Revoke {
        /// Its id.
        id: String,
    },
}

/// A print token as listed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenView {
    /// Public id.
    pub id: String,
    /// What it is for.
    pub label: String,
    /// When it was made, ms since the epoch.
    pub created_ms: u64,
}

/// A print token just made; `token` is shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NewTokenView {
    /// Public id.
    pub id: String,
    /// What it is for.
    pub label: String,
    /// The token itself.
    pub token: String,
}

/// The appliance's answer to an [`Action`].
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A health report.
    Health(Box<Health>),
    /// Health in one word (`ok`, `degraded`), for those without the token.
    Status(String),
    /// A PEM document.
    Pem(String),
    /// The caller's tokens.
    Tokens(Vec<TokenView>),
    /// A token was made.
    NewToken(NewTokenView),
    /// A passcode was issued; shown once.
    Passcode(zeroize::Zeroizing<String>),
    /// Signed in to the console: the session token for the cookie.
    ConsoleSignedIn(zeroize::Zeroizing<String>),
    /// The holder of a console session.
    ConsoleUser(Box<console::ConsoleUser>),
    /// The console's dashboard.
    Dashboard(Box<Dashboard>),
    /// The registered printers.
    /// The registered printers, then those Device Scout found that are not.
    Printers(Vec<PrinterView>, Vec<FoundView>),
    /// A page of the audit log.
    AuditPage(Box<AuditView>),
    /// A page of jobs and releases.
    Jobs(Box<JobsView>),
    /// People found.
    People(Box<PeopleView>),
    /// One person.
    Person(Box<PersonView>),
    /// The settings page.
    Settings(Box<SettingsView>),
    /// A report.
    Report(Box<ReportView>),
    /// The system page.
    System(Box<SystemView>),
    /// One printer's page.
    Printer(Box<PrinterPage>),
    /// A file made for download (removed once sent).
    File(std::path::PathBuf),
    /// A PDF made for download: its bytes.
    Pdf(Vec<u8>),
    /// Settings changed: (key, new value).
    Changed(Vec<(String, String)>),
    /// Settings refused: (key, why).
    Invalid(Vec<(String, String)>),
    /// The phone page at a printer's label.
    Phone(Box<PhoneView>),
    /// A person's bound phones and a code to bind another.
    MyPhones(Box<MyPhonesView>),
    /// How to print from a signed-in phone.
    PhoneSetup(Box<phone_setup::SetupView>),
    /// A one-time binding code: whose it is, and the new credential once bound.
    PhoneBound {
        /// The user it binds to.
        user: String,
        /// The credential for the cookie, once bound.
        credential: Option<zeroize::Zeroizing<String>>,
    },
    /// Done, nothing to say.
    Done,
    /// The credentials were wrong or missing.
    Unauthenticated,
    /// No such thing (of the caller's).
    NotFound,
    /// Refused, with the reason in words.
    Refused(String),
    /// The appliance failed; details are in its log.
    Failed,
}

/// Carries out actions; implemented by the appliance.
pub trait Appliance: Send + Sync + 'static {
    /// Perform `action`.
    fn perform(&self, action: Action) -> Outcome;
}

/// What the console's dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// The full health report.
    pub health: Health,
    /// Printers registered.
    pub printers: usize,
    /// Of which secured (they hold a panel credential).
    pub printers_secured: usize,
    /// The directory in words: which, and whether it answers.
    pub directory: String,
    /// Activity: (what, today, the last 30 days).
    pub activity: Vec<(String, u64, u64)>,
    /// The latest failed releases of the last 30 days: (when ms, owner, printer, why).
    pub failed: Vec<(u64, String, String, String)>,
    /// Device Scout: whether it has ranges to watch.
    pub scout_on: bool,
    /// When its last discovery sweep finished (ms; 0: never).
    pub last_discovery_ms: u64,
    /// Printers it found that are not registered.
    pub found_unsecured: usize,
    /// Printers in error or low on supplies: (name, address, alerts).
    pub watch: Vec<(String, String, Vec<AlertView>)>,
}

/// An alert Device Scout raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertView {
    /// `supply-low`, `waste-full`, `printer-error`, `printer-warning`, `down`, `unreachable`.
    pub kind: String,
    pub subject: String,
    pub detail: String,
    /// Needs someone now.
    pub critical: bool,
    pub since_ms: u64,
}

/// What Device Scout last read from a printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoutView {
    /// Its identity in the scout's inventory.
    pub key: String,
    pub model: String,
    pub serial: Option<String>,
    pub location: Option<String>,
    pub colour: bool,
    /// Device and printer status, and the error bits set, in words.
    pub status: String,
    pub page_count: Option<u64>,
    /// (description, level in words, low).
    pub supplies: Vec<(String, String, bool)>,
    /// (name, level in words).
    pub trays: Vec<(String, String)>,
    pub display: Vec<String>,
    pub alerts: Vec<AlertView>,
    /// When it was last read (ms).
    pub read_ms: u64,
    /// Why the last read failed, if it did.
    pub error: Option<String>,
}

/// A printer Device Scout found that no registration covers yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundView {
    pub address: String,
    /// The maker's keyword (`hp`, `km`, `savin`...).
    pub vendor: String,
    /// The registration form's maker for it, when Pullprint has a panel
    /// integration for that maker.
    pub registrable: Option<String>,
    pub first_seen_ms: u64,
    /// The scan range it was found in.
    pub range: String,
    pub scout: ScoutView,
}

/// A registered printer as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterView {
    /// Its public id (`d-...`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its maker.
    pub vendor: String,
    /// Its address.
    pub address: String,
    /// It holds a panel credential (not revoked).
    pub secured: bool,
    /// Its panel connections must present its client certificate.
    pub mutual_tls: bool,
    /// How its card reader reports badges, in words.
    pub reader: String,
    /// How released jobs reach it: `IPPS` first, then any dangerous
    /// plaintext transport it is allowed.
    pub transports: Vec<String>,
    /// Whether a transport here is plaintext (dangerous).
    pub plaintext: bool,
    /// How its TLS certificate is trusted, in words.
    pub trust: String,
    /// Trust on first use is on and nothing is pinned yet (dangerous).
    pub trust_dangerous: bool,
    /// Last heartbeat from its panel, seconds since the epoch (0: never).
    pub last_seen: u64,
    /// What Device Scout last read from it, when it watches it.
    pub scout: Option<ScoutView>,
    /// Where it stands, for people.
    pub location: String,
    /// The address its QR label holds, once it has a label id.
    pub label_url: Option<String>,
}

/// The health report served at `/healthz` and printed by `pullprint status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    /// Pullprint version.
    pub version: String,
    /// Seconds since the daemon started.
    pub uptime_s: u64,
    /// Site identifier (public).
    pub site_id: String,
    /// Parked jobs.
    pub parked_jobs: u64,
    /// Free bytes on the data disk.
    pub data_free_bytes: u64,
    /// Problems that make the status `degraded`, in words for an admin.
    pub problems: Vec<String>,
    /// Dangerous settings that are switched on.
    pub dangerous_settings: Vec<String>,
    /// Badges, users, addresses and sources locked now after repeated
    /// failed sign-ins (a high number suggests guessing).
    #[serde(default)]
    pub locked_sign_ins: u64,
    /// When the server certificate expires (RFC 3339, UTC).
    #[serde(default)]
    pub certificate_expires: String,
    /// Whole days until then.
    #[serde(default)]
    pub certificate_days_left: u64,
    /// Cloud sync: the outbox's backlog and lag, and the last failure.
    #[serde(default)]
    pub cloud: CloudHealth,
}

/// Cloud sync in the health report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CloudHealth {
    /// Where the tenant is.
    pub tenant: String,
    /// Metadata records waiting.
    pub backlog: u64,
    /// Job-copy operations waiting.
    pub copies_backlog: u64,
    /// Seconds since the oldest waiting record happened (0 when none waits).
    pub lag_s: u64,
    /// Why the last upload failed; empty after a success.
    pub last_error: String,
    /// Failed attempts in a row.
    pub failures: u32,
    /// Seconds until the next attempt after a failure.
    pub retry_in_s: u64,
    /// Optional records (device statistics, meter reads, health) not
    /// recorded because the outbox was full.
    pub paused: u64,
    /// Records uploaded since the daemon started.
    pub uploaded: u64,
}

/// How long the outbox may lag behind after failures before health says degraded.
pub const CLOUD_LAG_PROBLEM_S: u64 = 900;

impl CloudHealth {
    /// From the outbox's status, as of `now_ms`.
    pub fn of(s: &cloud_sync::outbox::SyncStatus, now_ms: u64) -> CloudHealth {
        CloudHealth {
            tenant: s.tenant.clone(),
            backlog: s.backlog as u64,
            copies_backlog: s.copies_backlog as u64,
            lag_s: s.oldest_at_ms.map_or(0, |t| now_ms.saturating_sub(t) / 1000),
            last_error: s.last_error.clone().unwrap_or_default(),
            failures: s.failures,
            retry_in_s: s.retry_at_ms.map_or(0, |t| t.saturating_sub(now_ms) / 1000),
            paused: s.paused,
            uploaded: s.uploaded,
        }
    }

    /// A problem to report, when sync has failed for a while.
    pub fn problem(&self) -> Option<String> {
        (self.failures > 0 && self.lag_s >= CLOUD_LAG_PROBLEM_S).then(|| {
            format!(
                "cloud sync to {} has failed {} time(s) ({}); {} records and {} copies wait, the oldest {} min old; nothing is lost",
                self.tenant,
                self.failures,
                self.last_error,
                self.backlog,
                self.copies_backlog,
                self.lag_s / 60
            )
        })
    }
}

fn routes() -> Routes<Arc<dyn Appliance>> {
    let r = Routes::new()
        .get("/healthz", health)
        .get("/ca.crt", ca)
        .get("/api/v1/me/tokens", list_tokens)
        .post("/api/v1/me/tokens", create_token)
        .delete("/api/v1/me/tokens/{id}", revoke_token)
        .get("/me", me::page)
        .post("/me/pin", me::set_pin)
        .post("/me/passcode", me::new_passcode);
    console::routes(phone_setup::routes(phone::routes(r)))
}

/// Every route the web listener serves, from the very builder [`router`]
/// uses (what the route sweep covers).
pub fn route_table() -> Vec<Route> {
    routes().table().to_vec()
}

/// Build the router.
pub fn router(app: Arc<dyn Appliance>) -> Router {
    routes().into_router().fallback(not_found).with_state(app)
}

/// HTTP Basic credentials from the request, if well formed.
fn credentials(headers: &axum::http::HeaderMap, source: std::net::IpAddr) -> Option<Credentials> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (user, password) = local_connector::auth::basic::parse(v)?;
    Some(Credentials { user, password, source })
}

/// Run a token action (which checks a slow password hash) off the async threads.
async fn token_action(
    app: Arc<dyn Appliance>,
    headers: axum::http::HeaderMap,
    peer: std::net::SocketAddr,
    op: TokenOp,
) -> Response {
    let Some(who) = credentials(&headers, peer.ip()) else {
        return answer(Outcome::Unauthenticated);
    };
    match tokio::task::spawn_blocking(move || app.perform(Action::MyTokens { who, op })).await {
        Ok(o) => answer(o),
        Err(_) => answer(Outcome::Failed),
    }
}

fn answer(o: Outcome) -> Response {
    let json_error =
        |code: StatusCode, msg: &str| (code, axum::Json(serde_json::json!({ "error": msg }))).into_response();
    harden(match o {
        Outcome::Tokens(t) => axum::Json(t).into_response(),
        Outcome::NewToken(t) => (StatusCode::CREATED, axum::Json(t)).into_response(),
        Outcome::Done => StatusCode::NO_CONTENT.into_response(),
        Outcome::Unauthenticated => {
            let mut r = json_error(StatusCode::UNAUTHORIZED, "sign in with your directory user name and password");
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Pullprint\", charset=\"UTF-8\""),
            );
            r
        }
        Outcome::NotFound => json_error(StatusCode::NOT_FOUND, "no such print token"),
        Outcome::Refused(why) => json_error(StatusCode::CONFLICT, &why),
        Outcome::Failed
        | Outcome::Health(_)
        | Outcome::Status(_)
        | Outcome::Pem(_)
        | Outcome::Passcode(_)
        | Outcome::ConsoleSignedIn(_)
        | Outcome::ConsoleUser(_)
        | Outcome::Dashboard(_)
        | Outcome::Printers(..)
        | Outcome::AuditPage(_)
        | Outcome::Jobs(_)
        | Outcome::People(_)
        | Outcome::Person(_)
        | Outcome::Settings(_)
        | Outcome::Report(_)
        | Outcome::System(_)
        | Outcome::Printer(_)
        | Outcome::File(_)
        | Outcome::Pdf(_)
        | Outcome::Phone(_)
        | Outcome::MyPhones(_)
        | Outcome::PhoneSetup(_)
        | Outcome::PhoneBound { .. }
        | Outcome::Changed(_)
        | Outcome::Invalid(_) => json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the appliance log"),
    })
}

/// The client's address, added to every request by the listener.
type Peer = axum::Extension<std::net::SocketAddr>;

async fn list_tokens(
    State(app): State<Arc<dyn Appliance>>,
    axum::Extension(peer): Peer,
    headers: axum::http::HeaderMap,
) -> Response {
    token_action(app, headers, peer, TokenOp::List).await
}

#[derive(Debug, Deserialize)]
struct CreateBody {
    #[serde(default)]
    label: String,
}

async fn create_token(
    State(app): State<Arc<dyn Appliance>>,
    axum::Extension(peer): Peer,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let label = if body.is_empty() {
        String::new()
    } else {
        match serde_json::from_slice::<CreateBody>(&body) {
            Ok(b) => b.label,
            Err(e) => {
                return harden(
                    (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": format!("bad JSON: {e}") })))
                        .into_response(),
                );
            }
        }
    };
    token_action(app, headers, peer, TokenOp::Create { label }).await
}

async fn revoke_token(
    State(app): State<Arc<dyn Appliance>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::Extension(peer): Peer,
    headers: axum::http::HeaderMap,
) -> Response {
    token_action(app, headers, peer, TokenOp::Revoke { id }).await
}

pub(crate) fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

async fn health(State(app): State<Arc<dyn Appliance>>, headers: axum::http::HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| zeroize::Zeroizing::new(t.trim().to_owned()));
    let code = |status: &str| if status == "ok" { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    match app.perform(Action::Health { token }) {
        Outcome::Health(h) => harden((code(&h.status), axum::Json(h)).into_response()),
        Outcome::Status(s) => harden((code(&s), axum::Json(serde_json::json!({ "status": s }))).into_response()),
        _ => harden(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

/// The secret that unlocks the full health report: made afresh at each
/// start, in a file only the service user (and root) can read, so that
/// `pullprint status` on the appliance can show everything while the
/// network sees one word.
#[derive(Clone)]
pub struct StatusToken(zeroize::Zeroizing<String>);

impl std::fmt::Debug for StatusToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusToken(<redacted>)")
    }
}

impl StatusToken {
    /// A new random token, written to `path` (mode 0600; a link there is
    /// replaced, never followed).
    pub fn create(path: &std::path::Path) -> std::io::Result<StatusToken> {
        let bytes = zeroize::Zeroizing::new(local_connector::crypto::random_bytes::<32>());
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let token = StatusToken(zeroize::Zeroizing::new(hex));
        local_connector::durable::write_atomic(path, token.0.as_bytes(), 0o600)?;
        Ok(token)
    }

    /// The token the running daemon wrote to `path`.
    pub fn read(path: &std::path::Path) -> std::io::Result<StatusToken> {
        Ok(StatusToken(zeroize::Zeroizing::new(std::fs::read_to_string(path)?.trim().to_owned())))
    }

    /// The token, for an `Authorization: Bearer` header.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this token (in time that does not depend on where they differ).
    pub fn matches(&self, given: &str) -> bool {
        local_connector::crypto::ct_eq(self.0.as_bytes(), given.as_bytes())
    }
}

async fn ca(State(app): State<Arc<dyn Appliance>>) -> Response {
    match app.perform(Action::CaCertificate) {
        Outcome::Pem(p) => harden(
            (
                [
                    (header::CONTENT_TYPE, "application/x-pem-file"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"pullprint-ca.crt\""),
                ],
                p,
            )
                .into_response(),
        ),
        _ => harden(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

async fn not_found() -> Response {
    harden((StatusCode::NOT_FOUND, "not found\n").into_response())
}
