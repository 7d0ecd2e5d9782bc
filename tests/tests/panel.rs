//! The panel services on their own listener: device credentials, sessions
//! bound to one printer, the user's queue, rights from the policy,
//! statistics, and the panel app in headless Chromium as a printer's
//! embedded browser.

use pullprint_tests::browser::Browser;
use pullprint_tests::site::{Site, api, api_as, badge_login};
use pullprint_tests::*;
use serde_json::{Value, json};
use std::path::Path;

#[test]
fn sessions_are_bound_to_their_printer_and_rights_come_from_the_policy() {
    let site = Site::new("[panel]\nsession_idle = \"10s\"\n");
    site.user("alice", "04:A1:B2:C3");
    let a = site.printer("2nd floor", "km", "127.0.0.5");
    let b = site.printer("3rd floor", "xerox", "127.0.0.6");
    let d = site.serve();
    let pw = "alice-Passw0rd-1";
    let (ok, _) = d.print_as("alice", pw, b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 3/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
    assert_eq!(ok, 200);
    assert_eq!(d.print_as("alice", pw, b"%PDF-1.4\n%%EOF\n").0, 200);

    // No credential, a wrong one: the printer itself is refused.
    let (code, v) = api(&d, "GET", "/panel/v1/accessories/reader", "ppd-NOT-A-CREDENTIAL", None, None);
    assert_eq!((code, v["error"].as_str()), (401, Some("device")), "{v}");
    let (code, v) = api(&d, "GET", "/panel/v1/accessories/reader", &a, None, None);
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["reader"]["encoding"], "hex");
    // Without a printer's credential, a body is not even read: a client
    // that announces one and sends nothing is refused at once, not after
    // the request deadline.
    let mut c = pullprint_tests::client::Conn::tls(d.panel, &d.data.join("tls/ca.crt")).expect("tls");
    let r = c
        .post_with("/panel/v1/sessions", &[("Authorization", "Bearer ppd-NOT-A-CREDENTIAL")], 60_000, |w| w.flush())
        .expect("an answer");
    assert_eq!(r.status, 401, "refused before the body, not cut off at the deadline");

    // CORS: pages a registered printer serves itself (HP's web apps) may call the API.
    let ca = d.data.join("tls/ca.crt");
    let preflight = |origin: &str| {
        https_request(
            d.panel,
            &ca,
            "OPTIONS",
            "/panel/v1/sessions",
            &[("Origin", origin), ("Access-Control-Request-Method", "POST")],
            b"",
        )
        .expect("preflight")
    };
    let (code, head, _) = preflight("https://127.0.0.5");
    assert_eq!(code, 204, "{head}");
    assert!(head.to_ascii_lowercase().contains("access-control-allow-origin: https://127.0.0.5"), "{head}");
    let (code, head, _) = preflight("https://evil.example");
    assert_eq!(code, 403, "{head}");
    assert!(!head.to_ascii_lowercase().contains("access-control-allow-origin"), "{head}");

    // A badge swipe at printer A opens a session there, and only there.
    let (code, v) = badge_login(&d, &a, "04A1B2C3");
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["user"]["login"], "alice");
    assert_eq!(v["rights"]["release"], true);
    let session = v["session"].as_str().expect("session").to_owned();
    let (code, v) = api(&d, "GET", "/panel/v1/jobs", &a, Some(&session), None);
    assert_eq!(code, 200, "{v}");
    let jobs = v["jobs"].as_array().expect("jobs").clone();
    assert_eq!(jobs.len(), 2, "{v}");
    assert!(jobs.iter().any(|j| j["pages"] == 3), "page counts are listed: {v}");
    let (code, v) = api(&d, "GET", "/panel/v1/jobs", &b, Some(&session), None);
    assert_eq!((code, v["error"].as_str()), (401, Some("session")), "printer B cannot use A's session: {v}");
    let (code, _) = api(&d, "POST", "/panel/v1/jobs/release", &b, Some(&session), Some(json!({})));
    assert_eq!(code, 401, "nor release with it");

    // Release one job at A: it is queued there.
    let first = jobs[0]["id"].as_str().expect("id").to_owned();
    let (code, v) = api(&d, "POST", "/panel/v1/jobs/release", &a, Some(&session), Some(json!({"ids": [first]})));
    assert_eq!(code, 202, "{v}");
    let (_, v) = api(&d, "GET", "/panel/v1/jobs", &a, Some(&session), None);
    assert!(v["jobs"].as_array().expect("jobs").iter().any(|j| j["releasing_at"].is_string()), "{v}");
    // Someone else's (or a made-up) job is simply not found.
    let (code, _) = api(&d, "DELETE", "/panel/v1/jobs/0123456789abcdef0123456789abcdef", &a, Some(&session), None);
    assert_eq!(code, 404);

    // Statistics from the printer, tied to the signed-in user.
    let tx = json!({"transactions": [
        {"kind": "copy", "pages": 4, "colour_pages": 1, "duplex": true, "session": session},
        {"kind": "scan", "pages": 2},
    ]});
    let (code, v) = api(&d, "POST", "/panel/v1/statistics", &a, None, Some(tx));
    assert_eq!((code, v["recorded"].as_u64()), (200, Some(2)), "{v}");
    let (code, _) = api(
        &d,
        "POST",
        "/panel/v1/statistics",
        &a,
        None,
        Some(json!({"transactions": [{"kind": "teleport", "pages": 1}]})),
    );
    assert_eq!(code, 400);

    // Unknown badge: enrolment is offered, and a directory sign-in binds it.
    let (code, v) = badge_login(&d, &a, "CAFE0001");
    assert_eq!((code, v["error"].as_str()), (401, Some("enrol")), "{v}");
    let ticket = v["ticket"].as_str().expect("ticket").to_owned();
    let (code, v) = api(
        &d,
        "POST",
        "/panel/v1/sessions",
        &a,
        None,
        Some(json!({"method": "enrol", "ticket": ticket, "login": "alice", "password": pw})),
    );
    assert_eq!(code, 201, "{v}");
    assert_eq!(badge_login(&d, &a, "cafe0001").0, 201, "the badge is alice's now");

    // Logout ends the session.
    let (_, v) = badge_login(&d, &a, "04A1B2C3");
    let s2 = v["session"].as_str().expect("session").to_owned();
    assert_eq!(api(&d, "DELETE", "/panel/v1/sessions/current", &a, Some(&s2), None).0, 204);
    assert_eq!(api(&d, "GET", "/panel/v1/jobs", &a, Some(&s2), None).0, 401);

    // The policy decides: without the release right, release is refused.
    site.cli(&["policy", "set", "release", "Nobody-Group"]);
    let (_, v) = badge_login(&d, &a, "04A1B2C3");
    assert_eq!(v["rights"]["release"], false, "{v}");
    let s3 = v["session"].as_str().expect("session").to_owned();
    let (code, v) = api(&d, "POST", "/panel/v1/jobs/release", &a, Some(&s3), Some(json!({})));
    assert_eq!((code, v["error"].as_str()), (403, Some("not_allowed")), "{v}");

    // An idle session expires.
    std::thread::sleep(std::time::Duration::from_millis(10_500));
    let (code, v) = api(&d, "GET", "/panel/v1/jobs", &a, Some(&s3), None);
    assert_eq!((code, v["error"].as_str()), (401, Some("session")), "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("expired"), "{v}");

    // A revoked printer is refused from its next request.
    site.cli(&["device", "revoke", "2nd floor"]);
    let (code, v) = badge_login(&d, &a, "04A1B2C3");
    assert_eq!((code, v["error"].as_str()), (401, Some("device")), "{v}");
    assert_eq!(badge_login(&d, &b, "04A1B2C3").0, 201, "printer B is unaffected");

    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains(pw) && !log.contains("04A1B2C3") && !log.contains(&a), "secrets reached the log");
    let store = open_store(&site.data);
    let txs = store.transactions_since(0, 100).expect("transactions");
    assert_eq!(txs.len(), 2);
    assert!(txs.iter().any(|t| t.kind == "copy" && t.user.as_deref() == Some("alice") && t.colour_pages == 1));
    assert!(txs.iter().any(|t| t.kind == "scan" && t.user.is_none()));
    let releases = store.pending_releases().expect("releases");
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].1.by, "alice");
}

#[test]
fn a_badge_swipe_on_a_simulated_konica_minolta_panel_shows_the_queue_and_prints_all() {
    let site = Site::new("");
    site.user("alice", "12345678");
    let km = site.printer("KM C450i", "km", "127.0.0.7");
    let d = site.serve();
    for name in ["Quarterly report", "Boarding pass"] {
        let pdf = format!(
            "%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 2/Kids[]>>endobj\n\
             3 0 obj<</Title({name})>>endobj\ntrailer<</Root 1 0 R/Info 3 0 R>>\n%%EOF\n"
        );
        assert_eq!(d.print_as("alice", "alice-Passw0rd-1", pdf.as_bytes()).0, 200);
    }
    // The i-Option browser is Chromium at the panel's 800x480, trusting the appliance's key
    // (the "install the CA on the printer" step).
    let b = Browser::start(800, 480, &site.data.join("tls/server.crt"));
    let base = format!("https://{}", d.panel);
    b.goto(&format!("{base}/panel/app/start?device={km}"));
    b.screenshot("km-panel-sign-in");
    // The card reader types the card number into the focused field, then Enter.
    b.fill("#card", "12345678\n");
    assert!(b.text("header").contains("alice Example"), "{}", b.source());
    b.screenshot("km-panel-menu");
    b.click("#review");
    let rows = b.text("#documents");
    assert!(rows.contains("Quarterly report") && rows.contains("Boarding pass"), "{rows}");
    assert!(rows.contains("2 p."), "page counts: {rows}");
    assert!(rows.contains(" UTC"), "submission times: {rows}");
    b.screenshot("km-panel-documents");
    b.click("#back");
    b.click("#print-all");
    assert!(b.text("#released").contains("2 document(s) sent"), "{}", b.source());
    b.screenshot("km-panel-printed");
    // No printer answers at this one's address (nothing listens on
    // 127.0.0.7:631): within seconds Review Documents says why, and the
    // jobs are still there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        b.click("#review");
        if b.text("#documents").matches("Not printed").count() == 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no reason shown: {}", b.source());
        b.click("#back");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert!(b.text("#documents").contains("cannot be reached"), "{}", b.source());
    b.screenshot("km-panel-not-printed");
    b.click("#back");
    b.click("#logout");
    b.wait_for("#card");
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    let store = open_store(&site.data);
    let releases = store.pending_releases().expect("releases");
    assert_eq!(releases.len(), 2, "Print All asked for both jobs");
    assert_eq!(store.jobs_of("alice").expect("jobs").len(), 2, "jobs that did not print stay parked");
}

#[test]
fn email_and_pin_on_a_simulated_xerox_panel() {
    let site = Site::new("");
    site.user("erin", "0E0E0E0E");
    let pin = site.data.with_extension("pin");
    std::fs::write(&pin, "5829\n").expect("pin file");
    site.cli(&["pin", "set", "erin", "--pin-file", pin.to_str().expect("utf8")]);
    let xerox = site.printer("Xerox C8170", "xerox", "127.0.0.8");
    let d = site.serve();
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 3/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
    assert_eq!(d.print_as("erin", "erin-Passw0rd-1", pdf).0, 200);
    // The EIP browser loads the registered app URL (documented); Chromium stands in for it.
    let b = Browser::start(800, 480, &site.data.join("tls/server.crt"));
    b.goto(&format!("https://{}/panel/app/start?device={xerox}", d.panel));
    b.click("#tab-pin");
    b.submit(&[("#email", "erin@example.test"), ("#pin", "5820")], "#sign-in-button");
    assert!(b.text("#error").contains("Not recognised"), "{}", b.source());
    b.submit(&[("#email", "erin@example.test"), ("#pin", "5829")], "#sign-in-button");
    assert!(b.text("header").contains("erin Example"), "{}", b.source());
    b.click("#review");
    assert!(b.text("#documents").contains("3 p."), "{}", b.source());
    b.screenshot("xerox-panel-documents");
    b.click(".job input");
    b.click("#delete-selected");
    assert!(b.text("#deleted").contains("1 document(s) deleted"), "{}", b.source());
    assert!(b.text("#empty").contains("no documents"), "{}", b.source());
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains("5829"), "a PIN reached the log");
    assert!(open_store(&site.data).jobs_of("erin").expect("jobs").is_empty(), "deleted at the panel means shredded");
}

#[test]
fn keypad_login_with_an_active_directory_password_on_a_simulated_hp_panel() {
    use pullprint_tests::samba::{self, SambaDc};
    let dc = SambaDc::start();
    let t = world_traversable_tempdir();
    let pw = t.path().join("svc.pw");
    std::fs::write(&pw, format!("{}\n", samba::SERVICE_PASSWORD)).expect("service password");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let ad = format!(
        "[ad]\nurls = [\"ldaps://localhost:636\"]\nca_file = \"{}\"\nbase_dn = \"{}\"\nrealm = \"{}\"\ndomain = \"{}\"\n\
         bind_dn = \"{}\"\nbind_password_file = \"{}\"\n",
        dc.ca.display(),
        samba::BASE_DN,
        samba::REALM,
        samba::DOMAIN,
        dc.service_dn(),
        pw.display()
    );
    let site = Site::new(&ad);
    let hp = site.printer("HP E78630", "hp", "127.0.0.9");
    let d = site.serve();
    assert_eq!(d.print_as("PULLPRINT\\alice", samba::ALICE_PASSWORD, b"%PDF-1.4\n%%EOF\n").0, 200);
    // The OXPd authentication agent flow [documented]: the device announces a
    // sign-in, shows the appliance's prompt page in its browser, then asks how
    // it ended. (The JSON field names are Pullprint's own.)
    let ctx = json!({"authenticationContext": "hp-auth-context-1"});
    let (code, v) = api(&d, "POST", "/panel/v1/vendors/hp/prePromptResult", &hp, None, Some(ctx.clone()));
    assert_eq!((code, v["result"].as_str()), (200, Some("continue")), "{v}");
    let prompt_url = v["promptUrl"].as_str().expect("prompt URL").to_owned();
    let (_, v) = api(&d, "POST", "/panel/v1/vendors/hp/postPromptResult", &hp, None, Some(ctx.clone()));
    assert_eq!(v["result"], "pending", "{v}");
    let b = Browser::start(800, 480, &site.data.join("tls/server.crt"));
    // The first load carries the device's UI context header, and only the first.
    b.set_extra_headers(&json!({"x-oxpd2-uiContext": "ui-context-token"}));
    b.goto(&prompt_url);
    b.set_extra_headers(&json!({}));
    b.click("#tab-password");
    b.submit(&[("#login", "alice@pullprint.test"), ("#password", "Wrong!Passw0rd")], "#sign-in-button");
    assert!(b.text("#error").contains("Not recognised"), "{}", b.source());
    b.submit(&[("#login", "alice@pullprint.test"), ("#password", samba::ALICE_PASSWORD)], "#sign-in-button");
    assert!(b.text("#signed-in").contains("Alice"), "the AD display name: {}", b.source());
    b.screenshot("hp-panel-signed-in");
    let (_, v) = api(&d, "POST", "/panel/v1/vendors/hp/postPromptResult", &hp, None, Some(ctx.clone()));
    assert_eq!((v["result"].as_str(), v["user"]["login"].as_str()), (Some("succeeded"), Some("alice")), "{v}");
    let session = v["session"].as_str().expect("session").to_owned();
    let (_, again) = api(&d, "POST", "/panel/v1/vendors/hp/postPromptResult", &hp, None, Some(ctx));
    assert_eq!(again["result"], "failed", "a prompt's result is collected once: {again}");
    // The job list and release pages use the session; then the device signs out.
    let (code, v) = api(&d, "GET", "/panel/v1/jobs", &hp, Some(&session), None);
    assert_eq!((code, v["jobs"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
    assert_eq!(api(&d, "POST", "/panel/v1/jobs/release", &hp, Some(&session), Some(json!({}))).0, 202);
    assert_eq!(api(&d, "POST", "/panel/v1/vendors/hp/signoutNotification", &hp, Some(&session), None).0, 204);
    assert_eq!(api(&d, "GET", "/panel/v1/jobs", &hp, Some(&session), None).0, 401);
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains(samba::ALICE_PASSWORD), "a password reached the log");
    assert_eq!(open_store(&site.data).pending_releases().expect("releases").len(), 1);
}

#[test]
fn deploy_secures_a_ricoh_whose_logs_reach_the_store_and_unsecures_it_cleanly() {
    let site = Site::new("");
    site.user("rita", "5A5A5A5A");
    let d = site.serve();
    assert_eq!(d.print_as("rita", "rita-Passw0rd-1", b"%PDF-1.4\n%%EOF\n").0, 200);
    let out = site.cli(&["deploy", "127.0.0.11", "--secure", "--vendor", "ricoh", "--name", "Ricoh IM C3000"]);
    let inbound = format!("printer   -> appliance TCP {}", d.panel.port());
    for expected in [
        inbound.as_str(),
        "TCP 51443",
        "[invented]",
        "CA certificate",
        "/panel/app/start?device=ppd-",
        "Web Browser NX",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
    let cred = out.split(|c: char| c.is_whitespace() || c == '=').find(|w| w.starts_with("ppd-")).expect("credential");
    assert_eq!(api(&d, "GET", "/panel/v1/accessories/reader", cred, None, None).0, 200);
    assert_eq!(api(&d, "POST", "/panel/v1/accessories/heartbeat", cred, None, None).0, 204);
    // Step 2.1: the admin installs the appliance's CA on the printer and
    // confirms it on the panel [documented]. Until then Web Browser NX
    // refuses the panel app; Chromium stands in for it, before and after.
    let untrusting = Browser::start_trusting(1024, 600, None);
    untrusting.goto_expect_certificate_error(&format!("https://{}/panel/app/start?device={cred}", d.panel));
    drop(untrusting);
    let b = Browser::start(1024, 600, &site.data.join("tls/server.crt"));
    b.goto(&format!("https://{}/panel/app/start?device={cred}", d.panel));
    // The card reader arrives as keystrokes into the focused field.
    b.fill("#card", "5A5A5A5A\n");
    assert!(b.text("header").contains("rita Example"), "{}", b.source());
    b.click("#print-all");
    assert!(b.text("#released").contains("1 document(s) sent"), "{}", b.source());
    b.screenshot("ricoh-panel-printed");
    b.click("#logout");
    b.wait_for("#card");
    drop(b);
    // The Ricoh pushes its job log after each job.
    let log = json!({"transactions": [{"kind": "print", "pages": 12, "colour_pages": 12, "duplex": true}]});
    assert_eq!(api(&d, "POST", "/panel/v1/statistics", cred, None, Some(log)).0, 200);
    let listed = site.cli(&["device", "list"]);
    assert!(listed.contains("Ricoh IM C3000") && listed.contains("secured") && !listed.contains("never"), "{listed}");
    // Securing again issues a new credential; the old one stops working.
    let again = site.cli(&["deploy", "Ricoh IM C3000", "--secure"]);
    let cred2 =
        again.split(|c: char| c.is_whitespace() || c == '=').find(|w| w.starts_with("ppd-")).expect("credential");
    assert_eq!(api(&d, "GET", "/panel/v1/accessories/reader", cred, None, None).0, 401);
    assert_eq!(api(&d, "GET", "/panel/v1/accessories/reader", cred2, None, None).0, 200);
    let out = site.cli(&["deploy", "Ricoh IM C3000", "--unsecure"]);
    assert!(out.contains("no longer secured") && out.contains("Remove the sign-in application"), "{out}");
    assert_eq!(api(&d, "GET", "/panel/v1/accessories/reader", cred2, None, None).0, 401);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    let txs = open_store(&site.data).transactions_since(0, 10).expect("transactions");
    assert_eq!(txs.len(), 1);
    assert_eq!((txs[0].kind.as_str(), txs[0].pages, txs[0].colour_pages, txs[0].duplex), ("print", 12, 12, true));
}

#[test]
fn a_lexmark_esf_client_over_mutual_tls_validates_a_card_lists_releases_and_reports_usage() {
    // Lexmark's eSF apps are native clients on the printer [documented]: card
    // validation is a web-service call, the job list a native screen that
    // fetches, releases and deletes, and Device Usage forwards copy, fax,
    // e-mail and scan transactions. No browser is involved; this scripted
    // client makes the same HTTPS calls, presenting the printer's client
    // certificate as a printer secured with mutual TLS does.
    let site = Site::new("");
    site.user("lena", "0A0B0C0D");
    let d = site.serve();
    for _ in 0..2 {
        assert_eq!(d.print_as("lena", "lena-Passw0rd-1", b"%PDF-1.4\n%%EOF\n").0, 200);
    }
    let certs = world_traversable_tempdir();
    let out_dir = certs.path().to_str().expect("utf8");
    let out = site.cli(&[
        "deploy",
        "127.0.0.12",
        "--secure",
        "--vendor",
        "lexmark",
        "--name",
        "Lexmark CX930",
        "--mutual-tls",
        "--cert-out",
        out_dir,
    ]);
    assert!(out.contains("Mutual TLS") && out.contains("-client.key"), "{out}");
    let cred = out.split(|c: char| c.is_whitespace() || c == '=').find(|w| w.starts_with("ppd-")).expect("credential");
    let crt = certs.path().join("lexmark-cx930-client.crt");
    let key = certs.path().join("lexmark-cx930-client.key");
    assert!(out.contains(&crt.display().to_string()), "{out}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).expect("key").permissions().mode() & 0o077, 0, "the key is private");
    assert!(site.cli(&["device", "list"]).contains("secured+mTLS"));
    // Another printer's certificate from the same CA.
    site.cli(&["deploy", "127.0.0.13", "--secure", "--vendor", "lexmark", "--mutual-tls", "--cert-out", out_dir]);
    let other_crt = certs.path().join("127-0-0-13-client.crt");
    let other_key = certs.path().join("127-0-0-13-client.key");

    let ca = d.data.join("tls/ca.crt");
    let call =
        |client: Option<(&Path, &Path)>, method: &str, path: &str, session: Option<&str>, body: Option<Value>| {
            api_as(&d, client, method, path, cred, session, body)
        };
    let mine = Some((crt.as_path(), key.as_path()));
    let card = json!({"method": "badge", "card": "0a0b0c0d"});

    // The credential alone, or with another printer's certificate, is not enough.
    let (code, v) = call(None, "POST", "/panel/v1/sessions", None, Some(card.clone()));
    assert_eq!((code, v["error"].as_str()), (401, Some("device_certificate")), "{v}");
    let (code, v) =
        call(Some((other_crt.as_path(), other_key.as_path())), "POST", "/panel/v1/sessions", None, Some(card.clone()));
    assert_eq!((code, v["error"].as_str()), (401, Some("device_certificate")), "{v}");
    // A certificate the internal CA did not issue fails the handshake itself.
    let stranger = certs.path().join("stranger");
    let o = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=stranger", "-keyout"])
        .arg(stranger.with_extension("key"))
        .arg("-out")
        .arg(stranger.with_extension("crt"))
        .output()
        .expect("openssl");
    assert!(o.status.success(), "{}", text(&o));
    let r = https_request_as(
        d.panel,
        &ca,
        Some((&stranger.with_extension("crt"), &stranger.with_extension("key"))),
        "GET",
        "/panel/v1/accessories/reader",
        &[("Authorization", &format!("Bearer {cred}"))],
        b"",
    );
    assert!(r.is_err(), "a foreign client certificate was accepted: {r:?}");

    // Card validation, then the native job list.
    let (code, v) = call(mine, "POST", "/panel/v1/sessions", None, Some(card));
    assert_eq!(code, 201, "{v}");
    let session = v["session"].as_str().expect("session").to_owned();
    let (code, v) = call(mine, "GET", "/panel/v1/jobs", Some(&session), None);
    assert_eq!(code, 200, "{v}");
    let ids: Vec<String> =
        v["jobs"].as_array().expect("jobs").iter().map(|j| j["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(ids.len(), 2, "{v}");
    // Release the first, delete the second on the server.
    let (code, v) = call(mine, "POST", "/panel/v1/jobs/release", Some(&session), Some(json!({"ids": [ids[0]]})));
    assert_eq!(code, 202, "{v}");
    let (code, _) = call(mine, "DELETE", &format!("/panel/v1/jobs/{}", ids[1]), Some(&session), None);
    assert_eq!(code, 204);
    // Device Usage: copy, fax, e-mail and scan, for the signed-in user.
    let usage = json!({"transactions": [
        {"kind": "copy", "pages": 6, "colour_pages": 2, "duplex": true, "session": session},
        {"kind": "fax", "pages": 3, "session": session},
        {"kind": "email", "pages": 5, "colour_pages": 5, "session": session},
        {"kind": "scan", "pages": 1, "session": session},
    ]});
    let (code, v) = call(mine, "POST", "/panel/v1/statistics", None, Some(usage));
    assert_eq!((code, v["recorded"].as_u64()), (200, Some(4)), "{v}");
    assert_eq!(call(mine, "DELETE", "/panel/v1/sessions/current", Some(&session), None).0, 204);

    // Back to the credential alone, when the admin says so.
    let again = site.cli(&["deploy", "Lexmark CX930", "--secure", "--credential-only"]);
    let cred2 =
        again.split(|c: char| c.is_whitespace() || c == '=').find(|w| w.starts_with("ppd-")).expect("credential");
    let (code, v) = call(None, "GET", "/panel/v1/accessories/reader", None, None);
    assert_eq!((code, v["error"].as_str()), (401, Some("device")), "re-securing issued a new credential: {v}");
    assert_eq!(api(&d, "GET", "/panel/v1/accessories/reader", cred2, None, None).0, 200, "no certificate needed now");

    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains(cred) && !log.contains("0A0B0C0D") && !log.contains("0a0b0c0d"), "secrets reached the log");
    let store = open_store(&site.data);
    let txs = store.transactions_since(0, 100).expect("transactions");
    let kinds: Vec<&str> = txs.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    for k in ["copy", "fax", "email", "scan"] {
        assert!(kinds.contains(&k), "{k} missing: {kinds:?}");
    }
    assert!(txs.iter().all(|t| t.user.as_deref() == Some("lena")));
    assert_eq!(store.pending_releases().expect("releases").len(), 1);
    assert_eq!(store.jobs_of("lena").expect("jobs").len(), 1, "the deleted job is shredded");
}
