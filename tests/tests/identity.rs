//! Who may print, and how much: local users and print tokens managed from
//! the command line while the daemon runs, and the queue's size and
//! per-user limits, on a production `serve` (not the demo).

use pullprint_tests::browser;
use pullprint_tests::ipp::{Request, basic, status, tag};
use pullprint_tests::site::Site;
use pullprint_tests::*;
use std::path::Path;

fn print(d: &Daemon, user: &str, password: &str, doc: &[u8]) -> (u16, Option<u16>) {
    d.print_as(user, password, doc)
}

fn job_files(data: &Path) -> Vec<String> {
    std::fs::read_dir(data.join("store/jobs"))
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect())
        .unwrap_or_default()
}

/// A token printed by the CLI on a line of its own: `ppt-XXXXX-...`.
fn token_in(out: &str) -> String {
    out.lines().map(str::trim).find(|l| l.starts_with("ppt-")).expect("token in output").to_owned()
}

#[test]
fn local_users_and_print_tokens_from_the_command_line_take_effect_at_once() {
    let site = Site::new("");
    let pw = site.password_file("carol-password-1");
    let o = site.run(&[
        "user",
        "add",
        "carol",
        "--display-name",
        "Carol Example",
        "--email",
        "carol@example.test",
        "--group",
        "PrintUsers",
        "--password-file",
        pw.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let short = site.password_file("short");
    let o = site.run(&["user", "add", "dave", "--password-file", short.to_str().expect("utf8")]);
    assert!(!o.status.success() && text(&o).contains("too short"), "{}", text(&o));
    let list = text(&site.run(&["user", "list"]));
    assert!(list.contains("carol") && list.contains("Carol Example") && list.contains("PrintUsers"), "{list}");

    let d = site.serve();
    let pdf = b"%PDF-1.4\n%%EOF\n";
    assert_eq!(print(&d, "carol", "carol-password-1", pdf), (200, Some(0)));
    assert_eq!(print(&d, "carol", "wrong-password", pdf).0, 401);

    // Carol serves herself over HTTPS with her directory password.
    let api = |method: &str, path: &str, user: &str, pw: &str, body: &[u8]| {
        let auth = basic(user, pw);
        https_request(
            d.web,
            &d.data.join("tls/ca.crt"),
            method,
            path,
            &[("Authorization", &auth), ("Content-Type", "application/json")],
            body,
        )
        .expect("API request")
    };
    let (code, _, body) =
        api("POST", "/api/v1/me/tokens", "carol", "carol-password-1", br#"{"label":"Carol's phone"}"#);
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
    let made: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let phone = made["token"].as_str().expect("token").to_owned();
    let phone_id = made["id"].as_str().expect("id").to_owned();
    assert_eq!(made["label"], "Carol's phone");
    assert_eq!(print(&d, "carol", &phone, pdf), (200, Some(0)));
    assert_eq!(api("GET", "/api/v1/me/tokens", "carol", &phone, b"").0, 401, "a token cannot manage tokens");
    assert_eq!(api("GET", "/api/v1/me/tokens", "carol", "wrong-password", b"").0, 401);
    let (code, _, body) = api("GET", "/api/v1/me/tokens", "carol", "carol-password-1", b"");
    assert_eq!(code, 200);
    let listed = String::from_utf8_lossy(&body).into_owned();
    assert!(listed.contains(&phone_id) && !listed.contains(&phone[4..]), "{listed}");
    let path = format!("/api/v1/me/tokens/{phone_id}");
    assert_eq!(api("DELETE", &path, "alice", "pullprint-demo", b"").0, 401, "alice is not in this directory");
    assert_eq!(api("DELETE", &path, "carol", "carol-password-1", b"").0, 204);
    assert_eq!(print(&d, "carol", &phone, pdf).0, 401, "revoked by its owner, refused at once");

    // A token made while the daemon runs works at once, for carol only.
    let o = site.run(&["token", "create", "carol", "--label", "Carol's laptop"]);
    assert!(o.status.success(), "{}", text(&o));
    let token = token_in(&text(&o));
    assert_eq!(print(&d, "carol", &token, pdf), (200, Some(0)));
    assert_eq!(print(&d, "alice", &token, pdf).0, 401, "a token is bound to its user");
    let stored = std::fs::read_to_string(site.data.join("directory/tokens.json")).expect("tokens file");
    assert!(!stored.contains(&token[4..]), "the token is not stored");
    let list = text(&site.run(&["token", "list", "carol"]));
    assert!(list.contains("Carol's laptop") && !list.contains(&token[4..]), "{list}");
    let id = list.lines().nth(1).and_then(|l| l.split_whitespace().next()).expect("token id").to_owned();

    // Revoked: refused on the next request.
    let o = site.run(&["token", "revoke", &id]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(print(&d, "carol", &token, pdf).0, 401, "a revoked token is refused at once");

    // A new password, then removal, take effect at once too, despite the
    // daemon's cache of verified passwords.
    let pw2 = site.password_file("carol-password-2");
    let o = site.run(&["user", "passwd", "carol", "--password-file", pw2.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(print(&d, "carol", "carol-password-1", pdf).0, 401, "the old password is refused");
    assert_eq!(print(&d, "carol", "carol-password-2", pdf), (200, Some(0)));
    let o = site.run(&["user", "remove", "carol"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(print(&d, "carol", "carol-password-2", pdf).0, 401, "a removed user is refused");

    let (s, log) = d.terminate();
    assert!(s.success(), "{log}");
    for secret in ["carol-password", &token[4..], &phone[4..]] {
        assert!(!log.contains(secret), "a secret reached the log: {log}");
    }
}

#[test]
fn job_size_and_per_user_limits_answer_with_clear_statuses() {
    let site = Site::new("max_job_bytes = 1048576\n[ipp]\nmax_jobs_per_user = 2\n");
    let pw = site.password_file("erin-password-1");
    let o = site.run(&["user", "add", "erin", "--password-file", pw.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    let d = site.serve();

    // Over the size limit: request-entity-too-large, and nothing on disk.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(3 << 20, b' ');
    assert_eq!(
        print(&d, "erin", "erin-password-1", &big),
        (200, Some(0x0408)),
        "client-error-request-entity-too-large"
    );
    assert!(job_files(&site.data).is_empty(), "left behind: {:?}", job_files(&site.data));

    // Two parked jobs are the limit here; the third is refused, clearly.
    let pdf = b"%PDF-1.4\n%%EOF\n";
    assert_eq!(print(&d, "erin", "erin-password-1", pdf), (200, Some(0)));
    assert_eq!(print(&d, "erin", "erin-password-1", pdf), (200, Some(0)));
    assert_eq!(print(&d, "erin", "erin-password-1", pdf), (200, Some(0x0404)), "client-error-not-possible");
    let (s, log) = d.terminate();
    assert!(s.success(), "{log}");
    assert_eq!(job_files(&site.data).iter().filter(|f| f.ends_with(".job")).count(), 2);
}

#[test]
fn dangerous_settings_are_off_by_default_and_flagged_when_on() {
    // Off by default: nothing flagged, no plain listener, no trust.
    let site = Site::new("");
    let d = site.serve();
    let (_, body) = d.health().expect("health");
    let h: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(h["dangerous_settings"], serde_json::json!([]));
    let (code, _) = print(&d, "nobody-in-particular", "", b"%PDF-1.4\n");
    assert_eq!(code, 401, "no bare requesting-user-name without the dangerous setting");
    drop(d);

    let site =
        Site::new("[dangerous]\nplain_ipp_listen = [\"127.0.0.1:0\"]\ntrust_user_name_from = [\"127.0.0.1/32\"]\n");
    let d = site.serve();
    let (_, body) = d.health().expect("health");
    let h: serde_json::Value = serde_json::from_str(&body).expect("json");
    let flagged = h["dangerous_settings"].as_array().expect("list").clone();
    assert_eq!(flagged.len(), 2, "{h}");
    let report = text(&site.run(&["status"]));
    assert!(
        report.contains("dangerous.plain_ipp_listen") && report.contains("dangerous.trust_user_name_from"),
        "{report}"
    );
    let ep: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.data.join("run/endpoints.json")).expect("endpoints")).expect("json");
    let plain: std::net::SocketAddr = ep["plain_ipp"][0].as_str().expect("plain listener").parse().expect("addr");

    // From a trusted network, a bare requesting-user-name owns the job.
    let mut r = Request::new(0x0002, 1, &format!("ipp://{plain}/ipp/print"));
    r.attr(tag::NAME, "requesting-user-name", b"Frank");
    r.attr(tag::MIME, "document-format", b"application/pdf");
    let mut conn = client::Conn::plain(plain).expect("connect");
    let resp = conn.post("/ipp/print", &[("Content-Type", "application/ipp")], &r.finish(b"%PDF-1.4\n")).expect("post");
    assert_eq!((resp.status, status(&resp.body)), (200, Some(0)));
    // A password is never taken in clear text, not even a right one.
    let auth = basic("frank", "anything");
    let resp = conn
        .post("/ipp/print", &[("Content-Type", "application/ipp"), ("Authorization", &auth)], &r.finish(b"%PDF-1.4\n"))
        .expect("post");
    assert_eq!(resp.status, 403, "{}", String::from_utf8_lossy(&resp.body));
    let (s, log) = d.terminate();
    assert!(s.success(), "{log}");
    assert!(log.contains("DANGEROUS SETTING ON: dangerous.plain_ipp_listen"), "{log}");
    let store = open_store(&site.data);
    assert_eq!(store.jobs_of("frank").expect("list").len(), 1, "the job is frank's");
}

fn credentials_of(data: &Path) -> local_connector::auth::credentials::Credentials {
    local_connector::auth::credentials::Credentials::open(
        &data.join("directory/credentials.json"),
        site_key_of(data).card_secret(),
    )
    .expect("credentials")
}

#[test]
fn people_set_their_pin_and_get_a_passcode_on_the_self_service_page() {
    let site = Site::new("");
    let pw = site.password_file("Dave-Passw0rd-1");
    let o = site.run(&[
        "user",
        "add",
        "dave",
        "--email",
        "Dave@Example.test",
        "--password-file",
        pw.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = site.run(&["user", "add", "erin", "--password-file", pw.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    let d = site.serve();

    let (code, page) = d.get("/me").expect("GET /me");
    assert_eq!(code, 200);
    assert!(page.contains("id=\"pin-form\"") && page.contains("id=\"passcode-form\""), "{page}");
    assert!(!page.contains("http://") && !page.contains("<script"), "no external assets, no script: {page}");

    let pin_form = |login: &str, password: &str, pin: &str, pin2: &str| {
        d.post_form("/me/pin", &[("login", login), ("password", password), ("pin", pin), ("pin2", pin2)], &[])
    };
    let (code, head, body) = pin_form("dave", "wrong-password", "2580", "2580");
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("not recognised"), "{body}");
    assert!(head.to_ascii_lowercase().contains("content-security-policy: default-src 'none'"), "{head}");
    let (code, _, body) = pin_form("dave", "Dave-Passw0rd-1", "1234", "1234");
    assert_eq!(code, 400, "a weak PIN: {body}");
    assert!(body.contains("run of digits"), "{body}");
    let (code, _, body) = pin_form("dave", "Dave-Passw0rd-1", "2580", "2581");
    assert!(code == 400 && body.contains("differ"), "{body}");
    let (code, _, body) = pin_form("erin", "Dave-Passw0rd-1", "2580", "2580");
    assert!(code == 400 && body.contains("no e-mail address"), "{body}");
    let (code, _, body) = pin_form("dave", "Dave-Passw0rd-1", "2580", "2580");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("Your PIN is set"), "{body}");
    // A cross-site post is refused before anything is checked.
    let (code, _, _) = d.post_form(
        "/me/pin",
        &[("login", "dave"), ("password", "Dave-Passw0rd-1"), ("pin", "9630"), ("pin2", "9630")],
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(code, 403);

    let (code, _, body) = d.post_form("/me/passcode", &[("login", "dave"), ("password", "Dave-Passw0rd-1")], &[]);
    assert_eq!(code, 200, "{body}");
    let code_text = body.split("id=\"passcode\">").nth(1).and_then(|r| r.split('<').next()).expect("passcode shown");
    let (index, secret) =
        local_connector::auth::credentials::parse_passcode(code_text).expect("a passcode of 12 digits");

    let creds = credentials_of(&site.data);
    assert_eq!(creds.verify_email_pin("dave@example.test", "2580").as_deref(), Some("dave"));
    assert_eq!(creds.verify_email_pin("dave@example.test", "9630"), None, "the cross-site PIN was not set");
    assert_eq!(creds.verify_passcode(&index, &secret).as_deref(), Some("dave"));
    let raw = std::fs::read_to_string(site.data.join("directory/credentials.json")).expect("read");
    assert!(!raw.contains("2580") && !raw.contains(&secret), "a PIN or passcode is stored in clear");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    for secret in ["Dave-Passw0rd-1", "2580", secret.as_str()] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}

#[test]
fn repeated_wrong_passwords_lock_the_user_and_the_lock_survives_a_restart() {
    let site = Site::new("[auth]\nbackoff_after = 5\nlockout_after = 6\nlockout_duration = \"10m\"\n");
    let pw = site.password_file("Gina-Passw0rd-1");
    let o = site.run(&["user", "add", "gina", "--password-file", pw.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    let d = site.serve();
    assert_eq!(print(&d, "gina", "Gina-Passw0rd-1", b"%PDF-1.4\n%%EOF\n"), (200, Some(0)));
    for i in 0..6 {
        if i == 5 {
            // After five failures each attempt must wait a second before it is even checked.
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        assert_eq!(print(&d, "gina", "guess-guess", b"%PDF-1.4\n%%EOF\n").0, 401);
    }
    assert_eq!(print(&d, "gina", "Gina-Passw0rd-1", b"%PDF-1.4\n%%EOF\n").0, 401, "locked: even the right password");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(log.contains("user locked for 10 min after 6 failed password logins"), "{log}");
    assert!(!log.contains("guess-guess"), "a password reached the log");

    let d = site.serve();
    assert_eq!(print(&d, "gina", "Gina-Passw0rd-1", b"%PDF-1.4\n%%EOF\n").0, 401, "the lock survives a restart");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(log.contains("too many failed attempts"), "the reason is logged: {log}");
    assert_eq!(open_store(&site.data).jobs_of("gina").expect("list").len(), 1);
}

#[test]
fn helpdesk_manages_badges_pins_passcodes_and_policy_from_the_command_line() {
    let site = Site::new("");
    let pw = site.password_file("Hana-Passw0rd-1");
    let o = site.run(&[
        "user",
        "add",
        "hana",
        "--email",
        "hana@example.test",
        "--password-file",
        pw.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let ok = |args: &[&str]| {
        let o = site.run(args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        text(&o)
    };
    let fails = |args: &[&str]| {
        let o = site.run(args);
        assert!(!o.status.success(), "{args:?} should fail: {}", text(&o));
        text(&o)
    };
    // One card, read by two kinds of reader: the same badge.
    ok(&["badge", "bind", "hana", "04:A1:B2:C3"]);
    let out = fails(&["badge", "bind", "nobody", "04:A1:B2:C4"]);
    assert!(out.contains("no user"), "{out}");
    assert!(ok(&["badge", "list", "hana"]).contains("admin"));
    let out = fails(&["badge", "bind", "hana", "0x2409A5", "--encoding", "wiegand26"]);
    assert!(out.contains("parity"), "a misread Wiegand frame is refused: {out}");
    ok(&["badge", "unbind", "77705923", "--encoding", "decimal"]);
    let creds = credentials_of(&site.data);
    assert_eq!(creds.badge_owner(&creds.badge_tag("uid:04A1B2C3")), None, "unbound through its decimal reading");

    let pin = site.data.with_extension("pin");
    std::fs::write(&pin, "1111\n").expect("pin file");
    let out = fails(&["pin", "set", "hana", "--pin-file", pin.to_str().expect("utf8")]);
    assert!(out.contains("repeat"), "{out}");
    std::fs::write(&pin, "8024\n").expect("pin file");
    ok(&["pin", "set", "hana", "--pin-file", pin.to_str().expect("utf8")]);
    assert_eq!(credentials_of(&site.data).verify_email_pin("hana@example.test", "8024").as_deref(), Some("hana"));
    let out = ok(&["passcode", "issue", "hana"]);
    let code = out.lines().map(str::trim).find(|l| l.len() == 13 && l.as_bytes()[6] == b'-').expect("passcode shown");
    let (i, s) = local_connector::auth::credentials::parse_passcode(code).expect("format");
    assert_eq!(credentials_of(&site.data).verify_passcode(&i, &s).as_deref(), Some("hana"));
    ok(&["passcode", "revoke", "hana"]);
    assert_eq!(credentials_of(&site.data).verify_passcode(&i, &s), None);

    let out = ok(&["policy", "show"]);
    assert!(out.contains("colour   *") && out.contains("admin    PullprintAdmins"), "{out}");
    let out = ok(&["policy", "set", "colour", "Colour Printing", "Managers"]);
    assert!(out.contains("colour   Colour Printing, Managers"), "{out}");
    let out = ok(&["policy", "set", "fax"]);
    assert!(out.contains("fax      (nobody)"), "{out}");
    assert!(fails(&["policy", "set", "teleport", "x"]).contains("no function"));
    let out = ok(&["user", "remove", "hana"]);
    assert!(out.contains("badges, PIN and passcode"), "{out}");
    assert!(!credentials_of(&site.data).has_pin("hana"));
}

#[test]
fn the_self_service_page_works_in_a_browser() {
    let site = Site::new("");
    let pw = site.password_file("Ivan-Passw0rd-1");
    let o = site.run(&[
        "user",
        "add",
        "ivan",
        "--email",
        "ivan@example.test",
        "--password-file",
        pw.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let d = site.serve();
    let ep: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.data.join("run/endpoints.json")).expect("endpoints")).expect("json");
    let web = ep["web"][0].as_str().expect("web").to_owned();
    // A phone-sized window, trusting exactly this appliance's server key.
    let b = browser::Browser::start(390, 844, &site.data.join("tls/server.crt"));
    b.goto(&format!("https://{web}/me"));
    b.screenshot("me-page");
    // A wrong password, then a weak PIN: each says what to do, and keeps the user name.
    b.fill("#pin-login", "ivan");
    b.fill("#pin-password", "not-my-password");
    b.fill("#pin", "4826");
    b.fill("#pin2", "4826");
    b.click("#set-pin");
    assert!(b.text(".err").contains("not recognised"), "{}\n{}", b.source(), d.log());
    b.fill("#pin-password", "Ivan-Passw0rd-1");
    b.fill("#pin", "4444");
    b.fill("#pin2", "4444");
    b.click("#set-pin");
    assert!(b.text(".err").contains("repeat one digit"), "{}", b.source());
    b.fill("#pin-password", "Ivan-Passw0rd-1");
    b.fill("#pin", "4826");
    b.fill("#pin2", "4826");
    b.click("#set-pin");
    assert!(b.text("#result").contains("Your PIN is set"), "{}", b.source());
    b.screenshot("me-pin-set");
    b.goto(&format!("https://{web}/me"));
    b.fill("#code-login", "ivan");
    b.fill("#code-password", "Ivan-Passw0rd-1");
    b.click("#new-passcode");
    let shown = b.text("#passcode");
    b.screenshot("me-passcode");
    let (i, s) = local_connector::auth::credentials::parse_passcode(&shown).expect("a 12-digit passcode is shown");
    let creds = credentials_of(&site.data);
    assert_eq!(creds.verify_email_pin("ivan@example.test", "4826").as_deref(), Some("ivan"));
    assert_eq!(creds.verify_passcode(&i, &s).as_deref(), Some("ivan"));
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}
