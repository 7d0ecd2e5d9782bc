//! The route sweep: every route of the web and panel listeners, taken from
//! the routers' own tables (so a route added later cannot escape it), and
//! every operation the IPP queue advertises, asked with no credentials, with
//! another printer's, and with another user's. None answers with another's
//! data, and none acts on another's job.

use local_connector::net::Route;
use pullprint_tests::ipp::{self, Request, tag};
use pullprint_tests::site::{Site, api, badge_login};
use pullprint_tests::*;
use serde_json::json;

/// What must never appear in an answer to someone else: alice's job's
/// name, her display name and e-mail address, the job's id, her panel
/// session, her print token's id and printer A's credential.
struct Secrets(Vec<String>);

impl Secrets {
    fn check(&self, what: &str, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        for s in &self.0 {
            assert!(!text.contains(s.as_str()), "{what} revealed {s:?}:\n{text}");
        }
    }
}

/// `path` with its parameters filled in with `id`.
fn concrete(r: &Route, id: &str) -> String {
    r.path.replace("{id}", id)
}

#[test]
fn no_route_on_any_port_answers_with_data_without_the_right_credentials() {
    let site = Site::new("");
    site.user("alice", "04:A1:B2:C3");
    site.user("bob", "04:B0:B0:B0");
    let a = site.printer("A", "km", "127.0.0.5");
    let b = site.printer("B", "xerox", "127.0.0.6");
    let d = site.serve();
    let ca = d.data.join("tls/ca.crt");
    let title = "Merger-plan-ZX81";
    let doc = format!(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 1/Kids[]>>endobj\n\
         3 0 obj<</Title({title})>>endobj\ntrailer<</Root 1 0 R/Info 3 0 R>>\n%%EOF\n"
    );
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", doc.as_bytes()), (200, Some(0)));
    let (code, v) = badge_login(&d, &a, "04:A1:B2:C3");
    assert_eq!(code, 201, "{v}");
    let session = v["session"].as_str().expect("session").to_owned();
    let (_, v) = api(&d, "GET", "/panel/v1/jobs", &a, Some(&session), None);
    let job = v["jobs"][0]["id"].as_str().expect("alice's job").to_owned();
    let alice = basic_auth("alice", "alice-Passw0rd-1");
    let (code, _, token) =
        https_request(d.web, &ca, "POST", "/api/v1/me/tokens", &[("Authorization", &alice)], b"{\"label\":\"laptop\"}")
            .expect("token");
    assert_eq!(code, 201);
    let token: serde_json::Value = serde_json::from_slice(&token).expect("json");
    let token_id = token["id"].as_str().expect("id").to_owned();
    let secrets = Secrets(vec![
        title.into(),
        "Alice".into(),
        "alice@example.test".into(),
        job.clone(),
        session.clone(),
        token_id.clone(),
        a.clone(),
    ]);

    // The panel listener: every route, with no credential, with printer B's
    // credential and alice's session from printer A, and with B's cookies
    // holding A's session (the panel app).
    let panel = local_connector::panel::server::route_table();
    assert!(panel.len() >= 20, "{panel:?}");
    for r in &panel {
        let path = concrete(r, &job);
        let b_with_a_session = [("Authorization", format!("Bearer {b}")), ("X-Pullprint-Session", session.clone())];
        let cookies = [("Cookie", format!("__Host-pp-device={b}; __Host-pp-session={session}"))];
        let asks: [(&str, Vec<(&str, String)>); 3] = [
            ("nothing", vec![]),
            ("printer B with A's session", b_with_a_session.to_vec()),
            ("printer B's cookies with A's session", cookies.to_vec()),
        ];
        for (who, headers) in asks {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let body: &[u8] = if r.method == "POST" { b"{}" } else { b"" };
            let mut h = h;
            h.push(("Content-Type", "application/json"));
            let (code, _, resp) = https_request(d.panel, &ca, r.method, &path, &h, body).expect("panel");
            secrets.check(&format!("{} {path} with {who}", r.method), &resp);
            if r.path.starts_with("/panel/v1/") && who == "nothing" {
                assert_eq!(code, 401, "{} {path} without a credential", r.method);
            }
        }
    }

    // The web listener: every route with no credentials and with bob's.
    let web = web_admin::route_table();
    assert!(web.len() >= 8, "{web:?}");
    let bob = basic_auth("bob", "bob-Passw0rd-1");
    for r in &web {
        let path = concrete(r, &token_id);
        for (who, h) in [("nothing", vec![]), ("bob", vec![("Authorization", bob.as_str())])] {
            let (code, _, resp) = https_request(d.web, &ca, r.method, &path, &h, b"").expect("web");
            secrets.check(&format!("{} {path} with {who}", r.method), &resp);
            if r.path.starts_with("/api/") && who == "nothing" {
                assert_eq!(code, 401, "{} {path} without credentials", r.method);
            }
        }
    }

    // The IPP queue: every operation it advertises, with no credentials and as bob.
    let uri = format!("ipps://{}/ipp/print", d.ipp);
    let call = |op: u16, auth: Option<&str>| {
        let mut req = Request::new(op, 7, &uri);
        req.attr(tag::NAME, "requesting-user-name", b"alice");
        // Alice's is the first job of this store.
        req.attr(tag::INTEGER, "job-id", &1i32.to_be_bytes());
        req.attr(tag::KEYWORD, "which-jobs", b"all");
        let mut h = vec![("Content-Type", "application/ipp")];
        if let Some(a) = auth {
            h.push(("Authorization", a));
        }
        https_request(d.ipp, &ca, "POST", "/ipp/print", &h, &req.finish(b"")).expect("ipp")
    };
    let (_, _, attrs) = call(0x000b, None);
    let ops = operations_supported(&attrs);
    assert!(ops.len() >= 8, "{ops:x?}");
    for op in ops {
        for (who, auth) in [("nothing", None), ("bob", Some(bob.as_str()))] {
            let (code, _, resp) = call(op, auth);
            secrets.check(&format!("IPP operation 0x{op:04x} with {who}"), &resp);
            if who == "nothing" && op != 0x000b {
                assert_eq!(code, 401, "IPP operation 0x{op:04x} without credentials");
            }
        }
    }

    // Nothing was released, cancelled or revoked by anyone else.
    let (_, v) = api(&d, "GET", "/panel/v1/jobs", &a, Some(&session), None);
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(1), "alice's job is still parked: {v}");
    assert_eq!(v["jobs"][0]["release"], json!(null), "and was never sent anywhere: {v}");
    let (code, tokens) = https_get_as(&d, "/api/v1/me/tokens", &alice);
    assert_eq!(code, 200);
    assert!(tokens.contains(&token_id), "alice's token is still there");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

fn basic_auth(user: &str, password: &str) -> String {
    ipp::basic(user, password)
}

fn https_get_as(d: &Daemon, path: &str, auth: &str) -> (u16, String) {
    let (code, _, body) =
        https_request(d.web, &d.data.join("tls/ca.crt"), "GET", path, &[("Authorization", auth)], b"").expect("GET");
    (code, String::from_utf8_lossy(&body).into_owned())
}

/// The `operations-supported` of a Get-Printer-Attributes answer.
fn operations_supported(resp: &[u8]) -> Vec<u16> {
    let m = ipp::read(resp).expect("an IPP answer");
    let ops = m.groups.iter().map(|g| g.integers("operations-supported")).find(|v| !v.is_empty());
    ops.unwrap_or_default().into_iter().filter_map(|n| u16::try_from(n).ok()).collect()
}
