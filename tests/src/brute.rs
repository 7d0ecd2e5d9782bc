//! Guessing through the real listeners: a site whose one user, gina, has
//! every kind of credential (badge, password, e-mail and PIN, passcode),
//! with a registered printer; the pairs of attempts that must not be told
//! apart (an unknown credential and a wrong one, at the panel and on the
//! IPPS queue); and a client that sends them over kept-alive connections,
//! as a printer's panel and a print client do.

use crate::client::{Conn, Response, client_config};
use crate::site::Site;
use crate::{Daemon, ipp};
use serde_json::{Value, json};
use std::sync::Arc;

/// gina's badge, as her reader reports it.
pub const BADGE: &str = "046A1122";
/// gina's password (as [`Site::user`] sets it).
pub const PASSWORD: &str = "gina-Passw0rd-1";
/// gina's e-mail address.
pub const EMAIL: &str = "gina@example.test";
/// gina's PIN.
pub const PIN: &str = "5829";
/// A configuration under which guesses are never throttled, so that the
/// same pair can be tried many times: self-enrolment off (an unknown badge
/// is refused, not offered enrolment) and a PIN asked after every badge
/// (so that a badge can be wrong as well as unknown).
pub const UNTHROTTLED: &str =
    "[auth]\nself_enrolment = false\nbadge_needs_pin = true\nbackoff_after = 1000000\nlockout_after = 1000001\n";

/// A site with gina and a printer.
#[derive(Debug)]
pub struct Range {
    /// The site.
    pub site: Site,
    /// The printer's panel credential.
    pub printer: String,
    /// gina's passcode.
    pub passcode: String,
}

impl Range {
    /// A range whose configuration has `extra` in it.
    pub fn new(extra: &str) -> Range {
        let site = Site::new(extra);
        site.user("gina", BADGE);
        let pin = site.data.with_extension("pin");
        std::fs::write(&pin, format!("{PIN}\n")).expect("pin file");
        site.cli(&["pin", "set", "gina", "--pin-file", pin.to_str().expect("utf8")]);
        let out = site.cli(&["passcode", "issue", "gina"]);
        let passcode = out
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 13 && l.as_bytes()[6] == b'-')
            .expect("passcode shown")
            .to_owned();
        let printer = site.printer("lobby", "km", "127.0.0.5");
        Range { site, printer, passcode }
    }

    /// The pairs of round `i`, as (method, unknown, wrong). The unknown
    /// credentials differ in each round; the wrong ones are gina's.
    pub fn pairs(&self, i: usize) -> Vec<(&'static str, Attempt, Attempt)> {
        let panel = |v: Value| Attempt::Panel(v);
        // The same index with another secret is a wrong passcode; another index, an unknown one.
        let (index, secret) = self.passcode.split_once('-').expect("IIIIII-SSSSSS");
        let other_secret = format!("{:06}", (secret.parse::<u32>().expect("digits") + 1) % 1_000_000);
        let other_index = format!("{:06}", (index.parse::<usize>().expect("digits") + 1 + i) % 1_000_000);
        vec![
            (
                "badge and PIN",
                panel(json!({"method": "badge", "card": format!("{:08X}", 0xB000_0000usize + i), "pin": PIN})),
                panel(json!({"method": "badge", "card": BADGE, "pin": "5820"})),
            ),
            (
                "e-mail and PIN",
                panel(json!({"method": "pin", "email": format!("nobody{i}@example.test"), "pin": PIN})),
                panel(json!({"method": "pin", "email": EMAIL, "pin": "5820"})),
            ),
            (
                "passcode",
                panel(json!({"method": "passcode", "passcode": format!("{other_index}-{secret}")})),
                panel(json!({"method": "passcode", "passcode": format!("{index}-{other_secret}")})),
            ),
            (
                "password at the panel",
                panel(json!({"method": "password", "login": format!("nobody{i}"), "password": PASSWORD})),
                panel(json!({"method": "password", "login": "gina", "password": "gina-Passw0rd-2"})),
            ),
            (
                "IPP Basic",
                Attempt::Ipp { user: format!("nobody{i}"), password: PASSWORD.into() },
                Attempt::Ipp { user: "gina".into(), password: "gina-Passw0rd-2".into() },
            ),
        ]
    }
}

/// One sign-in attempt through a listener.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// A panel sign-in (`POST /panel/v1/sessions`) with this body.
    Panel(Value),
    /// A Print-Job on the IPPS queue with these HTTP Basic credentials.
    Ipp {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
}

/// What a listener answered, with the headers that vary by time (`date`) left out.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers, lower-cased names, `date` left out.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl From<Response> for Answer {
    fn from(r: Response) -> Answer {
        let headers = r.headers.into_iter().filter(|(k, _)| k != "date").collect();
        Answer { status: r.status, headers, body: r.body }
    }
}

/// A panel and a print client, each on one kept-alive connection, opened
/// again when the daemon closes it.
pub struct Guesser<'a> {
    d: &'a Daemon,
    printer: String,
    tls: Arc<rustls::ClientConfig>,
    panel: Option<Conn>,
    ipp: Option<Conn>,
}

impl std::fmt::Debug for Guesser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guesser").field("panel", &self.d.panel).field("ipp", &self.d.ipp).finish_non_exhaustive()
    }
}

impl<'a> Guesser<'a> {
    /// A guesser at `d`, signing in at the printer whose credential is `printer`.
    pub fn new(d: &'a Daemon, printer: &str) -> Guesser<'a> {
        let tls = client_config(&d.data.join("tls/ca.crt")).expect("CA");
        Guesser { d, printer: printer.to_owned(), tls, panel: None, ipp: None }
    }

    /// Send `a` and read the answer.
    pub fn send(&mut self, a: &Attempt) -> Answer {
        let (addr, slot) = match a {
            Attempt::Panel(_) => (self.d.panel, &mut self.panel),
            Attempt::Ipp { .. } => (self.d.ipp, &mut self.ipp),
        };
        let mut conn = match slot.take() {
            Some(c) => c,
            None => Conn::tls_with(addr, self.tls.clone()).expect("connect"),
        };
        let r = match a {
            Attempt::Panel(body) => {
                let auth = format!("Bearer {}", self.printer);
                conn.post(
                    "/panel/v1/sessions",
                    &[("Authorization", &auth), ("Content-Type", "application/json")],
                    body.to_string().as_bytes(),
                )
            }
            Attempt::Ipp { user, password } => {
                let mut req = ipp::Request::new(0x0002, 1, &format!("ipps://{addr}/ipp/print"));
                req.attr(ipp::tag::NAME, "requesting-user-name", user.as_bytes());
                req.attr(ipp::tag::MIME, "document-format", b"application/pdf");
                let auth = ipp::basic(user, password);
                conn.post(
                    "/ipp/print",
                    &[("Content-Type", "application/ipp"), ("Authorization", &auth)],
                    &req.finish(b"%PDF-1.4\n%%EOF\n"),
                )
            }
        }
        .expect("answer");
        let closes = r.headers.iter().any(|(k, v)| k == "connection" && v.eq_ignore_ascii_case("close"));
        if !closes {
            *slot = Some(conn);
        }
        Answer::from(r)
    }
}
