//! Printing from a phone: the set-up page a signed-in phone opens from its
//! release page, and the printer profile for iPhones and iPads.
//!
//! - `GET /phone/setup`: the queue's address and the steps for iOS and
//!   Android; `POST /phone/setup` makes a print token for the phone, shown
//!   once, which the phone's print service uses as the password of IPP
//!   Everywhere submission (the person's own password never goes into it).
//! - `GET /phone/printer.mobileconfig`: an Apple configuration profile with
//!   one AirPrint payload (the queue's host, port and path, TLS forced), for
//!   a phone away from the office network where the queue is not announced.
//!
//! Both need the phone's credential (its cookie): a phone not signed in is
//! told how to sign it in.

use crate::phone::{credential, page};
use crate::{Action, Appliance, Outcome, harden};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use local_connector::html::same_origin;
use local_connector::net::Routes;
use maud::html;
use std::net::SocketAddr;
use std::sync::Arc;

/// What the set-up page shows.
#[derive(Debug, Clone)]
pub struct SetupView {
    /// The user name the phone signs in with.
    pub login: String,
    /// The queue's name, as phones list it.
    pub printer: String,
    /// The queue's address (`ipps://HOST[:PORT]/ipp/print`).
    pub uri: String,
    /// A print token just made for the phone, shown once.
    pub token: Option<zeroize::Zeroizing<String>>,
    /// What went wrong making one.
    pub refused: Option<String>,
    /// The iOS configuration profile.
    pub profile: String,
}

pub(crate) fn routes(r: Routes<Arc<dyn Appliance>>) -> Routes<Arc<dyn Appliance>> {
    r.get("/phone/setup", show).post("/phone/setup", show).get("/phone/printer.mobileconfig", profile)
}

fn not_signed_in() -> Response {
    page(
        StatusCode::UNAUTHORIZED,
        "Print from your phone",
        "",
        None,
        html! {
            p.msg.err #not-signed-in role="alert" { "This phone is not signed in for printing yet." }
            p { "Scan the QR label on any printer and sign in there, or open the /me page on your computer, choose Your phones, and scan the code it shows. Then come back here." }
        },
    )
}

fn setup_page(v: &SetupView) -> Response {
    page(
        StatusCode::OK,
        "Print from your phone",
        &v.login,
        None,
        html! {
            p { "Your phone can send documents to Pullprint as to any printer. They wait, encrypted, until you print them at a printer of your choice, and are deleted unprinted after a while." }
            h2 { "1. A print token for this phone" }
            @if let Some(t) = &v.token {
                p.msg.ok role="status" { "When your phone asks for a user name and password for " b { (v.printer) } ", enter:" }
                p { "User name: " code #token-user { (v.login) } }
                p { "Password: " code #token { (t.as_str()) } }
                p { small { "It is shown only now. It can print as you and nothing else: your own password never goes into the phone. Revoke it on the /me page if the phone is lost." } }
            } @else {
                @if let Some(why) = &v.refused { p.msg.err #notice role="alert" { (why) } }
                p { "Your phone asks for a user name and password the first time it prints. Make a print token for it, and use it as the password." }
                form method="post" action="/phone/setup" {
                    button.wide type="submit" #make-token { "Make a print token" }
                }
            }
            h2 { "2. iPhone or iPad" }
            ol {
                li { "On the office Wi-Fi, " b { (v.printer) } " appears by itself when you choose Print. Elsewhere, " a #profile href="/phone/printer.mobileconfig" { "download the printer profile" } ", then open Settings, General, VPN & Device Management, and install it." }
                li { "In any app, choose Share, then Print, then the printer " b { (v.printer) } "." }
                li { "When asked, enter your user name and the print token." }
            }
            h2 { "3. Android" }
            ol {
                li { "On the office Wi-Fi, " b { (v.printer) } " appears by itself in the Print menu. If it does not, open Settings, Connected devices, Connection preferences, Printing, then Default Print Service (or Mopria Print Service), choose Add printer, and add it by address." }
                li { "In any app, choose Share or ⋮, then Print, then " b { (v.printer) } "." }
                li { "When asked, enter your user name and the print token." }
            }
            p { small { "The printer's address, for apps that ask for one: " code #queue-uri { (v.uri) } } }
        },
    )
}

async fn perform(app: Arc<dyn Appliance>, action: Action) -> Outcome {
    tokio::task::spawn_blocking(move || app.perform(action)).await.unwrap_or(Outcome::Failed)
}

/// `GET /phone/setup`; `POST /phone/setup` makes a print token.
async fn show(
    State(app): State<Arc<dyn Appliance>>,
    method: axum::http::Method,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    h: HeaderMap,
) -> Response {
    let make_token = method == axum::http::Method::POST;
    if make_token && !same_origin(&h) {
        return not_signed_in();
    }
    let action = Action::PhoneSetup { phone: credential(&h), make_token, source: peer.ip() };
    match perform(app, action).await {
        Outcome::PhoneSetup(v) => setup_page(&v),
        _ => not_signed_in(),
    }
}

/// `GET /phone/printer.mobileconfig`
async fn profile(
    State(app): State<Arc<dyn Appliance>>,
    axum::Extension(peer): axum::Extension<SocketAddr>,
    h: HeaderMap,
) -> Response {
    match perform(app, Action::PhoneSetup { phone: credential(&h), make_token: false, source: peer.ip() }).await {
        Outcome::PhoneSetup(v) => {
            let mut r = v.profile.into_response();
            let headers = r.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-apple-aspen-config"));
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"pullprint-printer.mobileconfig\""),
            );
            harden(r)
        }
        _ => not_signed_in(),
    }
}

/// The host, port and path of an `ipps://` address.
fn parts(uri: &str) -> (String, u16, String) {
    let rest = uri.strip_prefix("ipps://").unwrap_or(uri);
    let (authority, path) = rest.split_once('/').map_or((rest, "ipp/print"), |(a, p)| (a, p));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p.parse().unwrap_or(631)),
        _ => (authority, 631),
    };
    (host.trim_start_matches('[').trim_end_matches(']').to_owned(), port, format!("/{path}"))
}

/// A UUID made from `seed`, the same each time (a profile installed again
/// replaces the one before).
fn uuid_of(seed: &str, what: &str) -> String {
    let h = local_connector::crypto::hmac_sha256(what.as_bytes(), seed.as_bytes());
    let x = hex::encode(&h[..16]);
    format!("{}-{}-4{}-8{}-{}", &x[0..8], &x[8..12], &x[13..16], &x[17..20], &x[20..32]).to_uppercase()
}

/// An Apple configuration profile adding the queue `uri` as an AirPrint
/// printer named `name`, for site `site`.
pub fn airprint_profile(uri: &str, name: &str, site: &str) -> String {
    let esc = local_connector::html::escape;
    let (host, port, path) = parts(uri);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\"><dict>\n\
         <key>PayloadContent</key><array><dict>\n\
         <key>AirPrint</key><array><dict>\n\
         <key>IPAddress</key><string>{host}</string>\n\
         <key>Port</key><integer>{port}</integer>\n\
         <key>ResourcePath</key><string>{path}</string>\n\
         <key>ForceTLS</key><true/>\n\
         </dict></array>\n\
         <key>PayloadType</key><string>com.apple.airprint</string>\n\
         <key>PayloadVersion</key><integer>1</integer>\n\
         <key>PayloadIdentifier</key><string>org.pullprint.airprint.{site}</string>\n\
         <key>PayloadUUID</key><string>{inner}</string>\n\
         <key>PayloadDisplayName</key><string>{name}</string>\n\
         </dict></array>\n\
         <key>PayloadDisplayName</key><string>Pullprint: {name}</string>\n\
         <key>PayloadDescription</key><string>Adds the printer {name}: documents sent to it wait until you print them at a printer of your choice.</string>\n\
         <key>PayloadIdentifier</key><string>org.pullprint.profile.{site}</string>\n\
         <key>PayloadType</key><string>Configuration</string>\n\
         <key>PayloadUUID</key><string>{outer}</string>\n\
         <key>PayloadVersion</key><integer>1</integer>\n\
         </dict></plist>\n",
        host = esc(&host),
        path = esc(&path),
        name = esc(name),
        site = esc(site),
        inner = uuid_of(site, "airprint payload"),
        outer = uuid_of(site, "airprint profile"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_names_the_queue_host_port_and_path() {
        assert_eq!(parts("ipps://print.example.com/ipp/print"), ("print.example.com".into(), 631, "/ipp/print".into()));
        assert_eq!(parts("ipps://[fd00::5]:8631/ipp/print"), ("fd00::5".into(), 8631, "/ipp/print".into()));
        let p = airprint_profile("ipps://print.example.com:8631/ipp/print", "Follow <Me>", "abc");
        assert!(p.contains("<string>print.example.com</string>") && p.contains("<integer>8631</integer>"), "{p}");
        assert!(p.contains("Follow &lt;Me&gt;") && p.contains("<key>ForceTLS</key><true/>"), "{p}");
        assert_eq!(p, airprint_profile("ipps://print.example.com:8631/ipp/print", "Follow <Me>", "abc"));
        assert_ne!(uuid_of("abc", "x"), uuid_of("abd", "x"));
    }
}
