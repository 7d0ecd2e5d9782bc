//! Release from a phone: the pages a phone's ordinary camera and browser
//! open from a printer's QR label, with no app to install.
//!
//! - `GET /r/{label}`: the printer's page. A phone not bound yet gets a
//!   sign-in form; a bound phone sees its owner's held jobs with **Print
//!   all** and per-job printing, and each release's progress as the release
//!   engine reports it (queued, sending, printing, printed or failed with the
//!   reason). A phone whose owner chose "print at once" prints everything
//!   held when the label is scanned: only on a navigation the browser itself
//!   started (`Sec-Fetch-Site: none`, no query, not a prefetch), never on a
//!   link from another site or a refresh of the page.
//! - `POST /r/{label}/{op}`: `sign-in`, `release`, `at-once`, `forget`.
//! - `GET /p/{code}` and `POST /p/{code}`: bind a phone with the one-time
//!   code of the QR a workstation's `/me` page shows.
//! - `POST /me/phones` (sign in) and `POST /me/phones/revoke`: a person's
//!   bound phones, a QR to bind another, and removing one.
//!
//! An unknown or retired label gets one plain page that says only that the
//! label is not in use. The phone's credential is an HttpOnly, `__Host-`
//! cookie (`SameSite=Lax`, so that a label scanned from another app still
//! finds it; every form also checks `Origin`).

use crate::{Action, Appliance, Credentials, Outcome, harden};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use local_connector::html::{form, same_origin};
use local_connector::net::Routes;
use local_connector::panel::JobView;
use maud::{Markup, PreEscaped, html};
use std::net::SocketAddr;
use std::sync::Arc;

/// The phone's credential.
pub const PHONE_COOKIE: &str = "__Host-pp-phone";
/// How long a phone stays bound without use of the page: 400 days, the
/// longest browsers keep a cookie. Removing it on `/me` ends it at once.
const PHONE_COOKIE_AGE: u64 = 400 * 86_400;

/// What a phone does at a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneOp {
    /// Show the page; `scanned`: the browser opened the label address
    /// itself, so a "print at once" phone prints.
    Show {
        /// Opened from the label, not from a link or a refresh.
        scanned: bool,
    },
    /// Sign in with a directory password, binding this phone.
    SignIn {
        /// The user name and password.
        who: Credentials,
        /// The browser in words.
        browser: String,
    },
    /// Print these jobs here, or all held (`None`).
    Release {
        /// The jobs chosen.
        ids: Option<Vec<String>>,
    },
    /// Print at once when a label is scanned, or not.
    AtOnce(bool),
    /// Sign this phone out (remove it).
    Forget,
}

/// Who asks about their phones on `/me`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhoMe {
    /// A directory password.
    Password(Credentials),
    /// The pass the last `/me` phones page carried.
    Pass(zeroize::Zeroizing<String>, std::net::IpAddr),
}

/// What a person does with their phones on `/me`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MyPhoneOp {
    /// List them, with a code to bind another.
    Show,
    /// Remove one.
    Revoke(String),
}

/// The page a label opens.
#[derive(Debug, Clone, Default)]
pub struct PhoneView {
    /// The label id.
    pub label: String,
    /// The printer's name.
    pub printer: String,
    /// Where it stands.
    pub location: String,
    /// The phone's owner, once bound (display name).
    pub user: Option<String>,
    /// Their jobs held here or at other sites of the tenant.
    pub jobs: Vec<JobView>,
    /// Releases of theirs at this printer that ended in the last 15
    /// minutes, newest first: (document, outcome, detail, when ms).
    pub recent: Vec<(String, String, Option<String>, u64)>,
    /// Print at once on scanning.
    pub at_once: bool,
    /// What just happened: (good news, words).
    pub notice: Option<(bool, String)>,
    /// A credential to set (just bound).
    pub credential: Option<zeroize::Zeroizing<String>>,
    /// The cookie held a credential that no longer works: clear it.
    pub clear: bool,
}

/// A person's phones on `/me`.
#[derive(Debug, Clone)]
pub struct MyPhonesView {
    /// Who.
    pub user: String,
    /// (id, what it is, bound ms, last used ms).
    pub phones: Vec<(String, String, u64, u64)>,
    /// Lets the page's forms act for the user for a short while.
    pub pass: zeroize::Zeroizing<String>,
    /// The one-time binding address the QR holds.
    pub bind_url: zeroize::Zeroizing<String>,
    /// That address as an SVG QR code.
    pub bind_qr: String,
    /// Minutes the code lasts.
    pub minutes: u64,
    /// What just happened.
    pub notice: Option<String>,
}

pub(crate) fn routes(r: Routes<Arc<dyn Appliance>>) -> Routes<Arc<dyn Appliance>> {
    r.get("/r/{label}", show)
        .post("/r/{label}/{op}", act)
        .get("/p/{code}", bind)
        .post("/p/{code}", bind)
        .post("/me/phones", my_phones)
        .post("/me/phones/revoke", revoke)
}

const STYLE: &str = "*{box-sizing:border-box}body{margin:0;font-family:system-ui,sans-serif;font-size:17px;color:#1d2733;background:#f4f6f8}\
header{background:#1d3b5a;color:#fff;padding:12px 16px}header b{font-size:19px}header small{display:block;color:#cbd5e0}\
main{padding:12px 16px;max-width:36rem;margin:0 auto}h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.6rem}\
label{display:block;margin:.7rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.6rem;font-size:1rem}\
button{min-height:48px;padding:.6rem 1.1rem;font-size:1rem;border:0;border-radius:8px;background:#2b6cb0;color:#fff;margin:.4rem 0}\
button.alt{background:#4a5568}button.wide{width:100%;font-size:1.15rem;min-height:56px}\
.msg{padding:.7rem .9rem;border-radius:6px;margin:.6rem 0}.err{background:#fce8e6;border-left:5px solid #d93025}\
.ok{background:#e6f4ea;border-left:5px solid #1e8e3e}ul.jobs{list-style:none;padding:0;margin:0}\
ul.jobs li{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:.6rem;margin:.4rem 0;display:flex;gap:.6rem;align-items:flex-start}\
ul.jobs input{width:28px;height:28px;flex:none}.state{font-weight:600}.failed{color:#b3261e}small{color:#5f6b7a}\
code{word-break:break-all}svg{display:block;margin:1rem 0}";

pub(crate) fn page(status: StatusCode, title: &str, sub: &str, refresh: Option<&str>, body: Markup) -> Response {
    let doc = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                @if let Some(to) = refresh { meta http-equiv="refresh" content=(format!("3;url={to}")); }
                title { (title) " — Pullprint" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header { b { (title) } @if !sub.is_empty() { small { (sub) } } }
                main { (body) }
            }
        }
    };
    let mut r = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], doc.into_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    harden(r)
}

fn set_phone_cookie(r: &mut Response, value: &str) {
    let age = if value.is_empty() { 0 } else { PHONE_COOKIE_AGE };
    let c = format!("{PHONE_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={age}");
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub(crate) fn credential(h: &HeaderMap) -> Option<zeroize::Zeroizing<String>> {
    crate::console::cookie(h, PHONE_COOKIE).map(|c| zeroize::Zeroizing::new(c.to_owned()))
}

fn browser(h: &HeaderMap) -> String {
    local_connector::phones::describe(h.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or(""))
}

async fn perform(app: Arc<dyn Appliance>, action: Action) -> Outcome {
    tokio::task::spawn_blocking(move || app.perform(action)).await.unwrap_or(Outcome::Failed)
}

fn unknown_label() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Label not in use",
        "",
        None,
        html! {
            p.msg.err #unknown role="alert" {
                "This printer label is not in use. The printer may have been given a new label."
            }
            p { "Print from another printer, or tell IT which printer carries this label." }
        },
    )
}

fn failed() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "",
        None,
        html! { p.msg.err role="alert" { "Something went wrong on the appliance; try again, and tell IT if it keeps happening." } },
    )
}

/// The answer to a phone action at a label.
fn phone_answer(o: Outcome) -> Response {
    let v = match o {
        Outcome::Phone(v) => v,
        Outcome::NotFound => return unknown_label(),
        _ => return failed(),
    };
    let mut r = phone_page(&v);
    if let Some(c) = &v.credential {
        set_phone_cookie(&mut r, c);
    } else if v.clear {
        set_phone_cookie(&mut r, "");
    }
    r
}

fn state_words(j: &JobView) -> (String, bool) {
    match &j.release {
        Some(r) => match r.state.as_str() {
            "queued" => ("Queued to print".into(), false),
            "sending" => ("Sending to the printer".into(), false),
            "printing" => ("Printing".into(), false),
            "stopped" => (format!("The printer stopped: {}", r.message.as_deref().unwrap_or("see its panel")), true),
            _ => (format!("Not printed: {}", r.message.as_deref().unwrap_or("see IT")), true),
        },
        None if j.printed_at_ms.is_some() => ("Printed; kept for a reprint".into(), false),
        None => (String::new(), false),
    }
}

fn clock(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    let s = humantime::format_rfc3339_seconds(t).to_string();
    format!("{} UTC", s.get(11..16).unwrap_or(""))
}

fn phone_page(v: &PhoneView) -> Response {
    let base = format!("/r/{}", v.label);
    let notice = v.notice.as_ref().map(|(ok, text)| {
        html! { p.msg.(if *ok { "ok" } else { "err" }) #notice role=(if *ok { "status" } else { "alert" }) { (text) } }
    });
    let Some(user) = &v.user else {
        return page(
            StatusCode::OK,
            &v.printer,
            &v.location,
            None,
            html! {
                (notice.unwrap_or_default())
                h1 { "Sign in to print here" }
                p { "Sign in once with your usual user name and password. This phone then stays signed in for printing only: next time, scan a label and your documents are listed." }
                form method="post" action=(format!("{base}/sign-in")) #sign-in {
                    label for="login" { "User name" }
                    input #login type="text" name="login" autocomplete="username" autocapitalize="none" required;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button.wide type="submit" #sign-in-button { "Sign in" }
                }
                p { small { "You can sign this phone out at any time here or on the " a href="/me" { "/me page" } ", which can also bind a phone with a code instead of a password." } }
            },
        );
    };
    let waiting: Vec<&JobView> = v.jobs.iter().filter(|j| j.release.is_none() && j.printed_at_ms.is_none()).collect();
    let moving = v
        .jobs
        .iter()
        .any(|j| j.release.as_ref().is_some_and(|r| matches!(r.state.as_str(), "queued" | "sending" | "printing")));
    let refresh = moving.then(|| format!("{base}?list"));
    page(
        StatusCode::OK,
        &v.printer,
        &v.location,
        refresh.as_deref(),
        html! {
            (notice.unwrap_or_default())
            h1 { "Hello, " (user) }
            @if waiting.is_empty() {
                p #none { "You have no documents waiting to print." }
            } @else {
                form method="post" action=(format!("{base}/release")) #release-all {
                    input type="hidden" name="all" value="1";
                    button.wide type="submit" #print-all { "Print all (" (waiting.len()) ")" }
                }
            }
            @if !v.jobs.is_empty() {
                form method="post" action=(format!("{base}/release")) #release-some {
                    h2 { "Your documents" }
                    ul.jobs #jobs {
                        @for j in &v.jobs {
                            @let (state, bad) = state_words(j);
                            @let free = j.release.is_none() && j.printed_at_ms.is_none();
                            li data-job=(j.id) data-state=(j.release.as_ref().map_or(if free { "held" } else { "printed" }, |r| r.state.as_str())) {
                                @if free || j.printed_at_ms.is_some() {
                                    input type="checkbox" name="id" value=(j.id) id=(format!("job-{}", j.id)) aria-label=(format!("Choose {}", j.name));
                                }
                                div {
                                    label for=(format!("job-{}", j.id)) style="margin:0" { b { (j.name) } }
                                    small {
                                        (j.pages.map_or("pages unknown".to_owned(), |p| format!("{p} page(s)")))
                                        " · " (j.copies) " cop" (if j.copies == 1 { "y" } else { "ies" })
                                        @if let Some(site) = &j.site { " · parked at " (site) }
                                    }
                                    @if !state.is_empty() { div.state.failed[bad] { (state) } }
                                }
                            }
                        }
                    }
                    button type="submit" #print-selected { "Print selected" }
                }
            }
            @if !v.recent.is_empty() {
                h2 { "Done here in the last 15 minutes" }
                ul.jobs #recent {
                    @for (doc, outcome, detail, at) in &v.recent {
                        li data-outcome=(outcome) {
                            div {
                                b { (doc) } " "
                                small { (clock(*at)) }
                                div.state.failed[outcome == "failed"] {
                                    @match outcome.as_str() {
                                        "printed" => "Printed",
                                        "sent-unverified" => "Sent (this printer does not confirm printing)",
                                        _ => "Not printed",
                                    }
                                    @if let Some(d) = detail { ": " (d) }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "This phone" }
            form method="post" action=(format!("{base}/at-once")) #at-once-form {
                label style="display:flex;gap:.5rem;align-items:center" {
                    input #at-once type="checkbox" name="on" value="1" checked[v.at_once] style="width:24px;height:24px";
                    "Print everything as soon as I scan a printer's label"
                }
                button.alt type="submit" #save-at-once { "Save" }
            }
            p { a #setup href="/phone/setup" { "Print from this phone" } }
            form method="post" action=(format!("{base}/forget")) #forget-form {
                button.alt type="submit" #forget { "Sign this phone out" }
            }
        },
    )
}

/// `GET /r/{label}`
async fn show(
    State(app): State<Arc<dyn Appliance>>,
    Path(label): Path<String>,
    RawQuery(q): RawQuery,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    h: HeaderMap,
) -> Response {
    let header = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    let prefetch = header("sec-purpose").contains("prefetch") || header("purpose").contains("prefetch");
    let scanned = q.is_none() && header("sec-fetch-site") == "none" && !prefetch;
    let mut o =
        perform(app, Action::Phone { label, phone: credential(&h), source: peer.ip(), op: PhoneOp::Show { scanned } })
            .await;
    if let (Some(q), Outcome::Phone(v)) = (q.as_deref(), &mut o)
        && q.split('&').any(|kv| kv == "bound=1")
        && v.notice.is_none()
    {
        v.notice = Some((true, "This phone is signed in for printing. Next time, scan any printer's label.".into()));
    }
    phone_answer(o)
}

async fn phone_post(app: Arc<dyn Appliance>, label: String, peer: SocketAddr, h: &HeaderMap, op: PhoneOp) -> Response {
    if !same_origin(h) {
        return page(
            StatusCode::FORBIDDEN,
            "Refused",
            "",
            None,
            html! { p.msg.err role="alert" { "This form must be sent from this site." } },
        );
    }
    phone_answer(perform(app, Action::Phone { label, phone: credential(h), source: peer.ip(), op }).await)
}

/// `POST /r/{label}/{op}`: `sign-in` (`login`, `password`), `release`
/// (`all=1`, or one `id` field per job), `at-once` (`on=1` or nothing),
/// `forget`.
async fn act(
    State(app): State<Arc<dyn Appliance>>,
    Path((label, op)): Path<(String, String)>,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    h: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = form(&body);
    let on = |k: &str| f.iter().any(|(n, v)| n == k && v.as_str() == "1");
    let op = match op.as_str() {
        "sign-in" => {
            let who = Credentials {
                user: field(&f, "login").to_string(),
                password: field(&f, "password"),
                source: peer.ip(),
            };
            PhoneOp::SignIn { who, browser: browser(&h) }
        }
        "release" => {
            let ids: Vec<String> = f.iter().filter(|(k, _)| k == "id").map(|(_, v)| v.to_string()).collect();
            PhoneOp::Release { ids: (!on("all")).then_some(ids) }
        }
        "at-once" => PhoneOp::AtOnce(on("on")),
        "forget" => PhoneOp::Forget,
        _ => return unknown_label(),
    };
    let signing_in = matches!(op, PhoneOp::SignIn { .. });
    let r = phone_post(app, label.clone(), peer, &h, op).await;
    // A new binding goes on to the page by GET, so that a reload does not post the password again.
    if signing_in && r.headers().get(header::SET_COOKIE).is_some() && r.status() == StatusCode::OK {
        let mut to = harden(StatusCode::SEE_OTHER.into_response());
        if let Ok(v) = HeaderValue::from_str(&format!("/r/{label}?bound=1")) {
            to.headers_mut().insert(header::LOCATION, v);
        }
        for c in r.headers().get_all(header::SET_COOKIE) {
            to.headers_mut().append(header::SET_COOKIE, c.clone());
        }
        return to;
    }
    r
}

fn bind_answer(code: &str, o: Outcome) -> Response {
    match o {
        Outcome::PhoneBound { user, credential: None } => page(
            StatusCode::OK,
            "Sign in this phone",
            "",
            None,
            html! {
                h1 { "Sign in this phone as " (user) "?" }
                p { "Your phone then stays signed in for printing only: scan any printer's label to print your documents there." }
                form method="post" action=(format!("/p/{code}")) #bind-form {
                    button.wide type="submit" #bind { "Yes, sign in this phone" }
                }
                p { small { "Not you? Close this page: nothing happens." } }
            },
        ),
        Outcome::PhoneBound { user, credential: Some(c) } => {
            let mut r = page(
                StatusCode::OK,
                "Phone signed in",
                "",
                None,
                html! {
                    p.msg.ok #bound role="status" { "This phone is signed in for printing as " (user) "." }
                    p { "Now scan the QR label on any printer: your documents are listed there, ready to print." }
                },
            );
            set_phone_cookie(&mut r, &c);
            r
        }
        Outcome::NotFound => page(
            StatusCode::NOT_FOUND,
            "Code not valid",
            "",
            None,
            html! {
                p.msg.err #expired role="alert" { "This code was used already or has expired." }
                p { "On your computer, open the /me page again and scan the new code it shows." }
            },
        ),
        Outcome::Refused(why) => {
            page(StatusCode::CONFLICT, "Phone not signed in", "", None, html! { p.msg.err role="alert" { (why) } })
        }
        _ => failed(),
    }
}

/// `GET /p/{code}`: whose code it is; nothing is bound yet (a link
/// preview must not bind a phone). `POST /p/{code}`: bind.
async fn bind(
    State(app): State<Arc<dyn Appliance>>,
    method: axum::http::Method,
    Path(code): Path<String>,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    h: HeaderMap,
) -> Response {
    let code = zeroize::Zeroizing::new(code);
    let confirm = method == axum::http::Method::POST;
    if confirm && !same_origin(&h) {
        return bind_answer(&code, Outcome::Refused("This form must be sent from this site.".into()));
    }
    let action = Action::BindPhone { code: code.clone(), browser: browser(&h), confirm, source: peer.ip() };
    bind_answer(&code, perform(app, action).await)
}

fn my_phones_page(v: &MyPhonesView) -> Response {
    page(
        StatusCode::OK,
        "Your phones",
        &v.user,
        None,
        html! {
            @if let Some(n) = &v.notice { p.msg.ok #notice role="status" { (n) } }
            h1 { "Sign in a phone" }
            p { "Scan this code with your phone's camera, then confirm on the phone. It works once, for " (v.minutes) " minutes." }
            (PreEscaped(&v.bind_qr))
            p { small { "Or open this address on the phone: " code #bind-url { (v.bind_url.as_str()) } } }
            h2 { "Phones signed in" }
            @if v.phones.is_empty() {
                p #no-phones { "None." }
            } @else {
                ul.jobs #phones {
                    @for (id, what, bound, used) in &v.phones {
                        li data-phone=(id) {
                            div style="flex:1" {
                                b { (what) }
                                small { " signed in " (crate::console::when(*bound)) ", last used " (crate::console::when(*used)) }
                            }
                            form method="post" action="/me/phones/revoke" style="margin:0" {
                                input type="hidden" name="pass" value=(v.pass.as_str());
                                input type="hidden" name="id" value=(id);
                                button.alt type="submit" id=(format!("revoke-{id}")) aria-label=(format!("Sign out {what}")) { "Sign out" }
                            }
                        }
                    }
                }
            }
            p { a href="/me" { "Back" } }
        },
    )
}

fn my_phones_answer(o: Outcome) -> Response {
    let msg = match o {
        Outcome::MyPhones(v) => return my_phones_page(&v),
        Outcome::Unauthenticated => {
            "That user name and password were not recognised, or this page was open too long: sign in again.".to_owned()
        }
        Outcome::Refused(why) => why,
        _ => return failed(),
    };
    page(
        StatusCode::UNAUTHORIZED,
        "Your phones",
        "",
        None,
        html! { p.msg.err role="alert" { (msg) } p { a href="/me" { "Back" } } },
    )
}

/// A field of a posted form (empty when missing), wiped on drop.
fn field(f: &[(String, zeroize::Zeroizing<String>)], k: &str) -> zeroize::Zeroizing<String> {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// `POST /me/phones` (`login`, `password`: sign in) and
/// `POST /me/phones/revoke` (`pass`, `id`: sign one out).
async fn me_phones(app: Arc<dyn Appliance>, peer: SocketAddr, h: &HeaderMap, body: &[u8], revoke: bool) -> Response {
    if !same_origin(h) {
        return my_phones_answer(Outcome::Refused("This form must be sent from this site.".into()));
    }
    let f = form(body);
    let (who, op) = if revoke {
        (WhoMe::Pass(field(&f, "pass"), peer.ip()), MyPhoneOp::Revoke(field(&f, "id").to_string()))
    } else {
        let c =
            Credentials { user: field(&f, "login").to_string(), password: field(&f, "password"), source: peer.ip() };
        (WhoMe::Password(c), MyPhoneOp::Show)
    };
    my_phones_answer(perform(app, Action::MyPhones { who, op }).await)
}

/// `POST /me/phones`
async fn my_phones(
    State(app): State<Arc<dyn Appliance>>,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    h: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    me_phones(app, peer, &h, &body, false).await
}

/// `POST /me/phones/revoke`
async fn revoke(
    State(app): State<Arc<dyn Appliance>>,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    h: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    me_phones(app, peer, &h, &body, true).await
}
