//! The console's pages, one journey each, in headless Chromium against a
//! real daemon: the helpdesk finds a person, binds a badge that then signs
//! them in at a printer, issues a passcode and lifts a lock; an admin
//! shreds a job, which is gone from the panel; an auditor reads the audit
//! log with names hidden; and `pullprint audit verify` catches an edit.

use pullprint_tests::browser::Browser;
use pullprint_tests::site::{Site, api, badge_login, sign_in};
use pullprint_tests::*;
use serde_json::json;

pub(crate) fn console_sign_in(b: &Browser, web: &str, user: &str) {
    b.goto(&format!("{web}/login"));
    b.wait_for("#sign-in");
    b.fill("#username", user);
    b.fill("#password", &format!("{user}-Passw0rd-1"));
    b.click("#sign-in");
}

fn verify(site: &Site) -> (bool, String) {
    let o = site.run(&["audit", "verify"]);
    (o.status.success(), text(&o))
}

#[test]
fn the_helpdesk_binds_a_badge_that_then_signs_in_at_a_printer_and_lifts_a_lock() {
    let site = Site::new("[auth]\nbackoff_after = 3\nlockout_after = 4\nlockout_duration = \"10m\"\n");
    site.staff("helpdesk", "PullprintHelpdesk");
    site.staff("bob", "PrintUsers");
    let printer = site.printer("Lobby", "hp", "127.0.0.5");
    let d = site.serve();
    let web = format!("https://{}", d.web);
    let b = Browser::start(1280, 900, &d.data.join("tls/server.crt"));
    console_sign_in(&b, &web, "helpdesk");
    b.wait_for("#parked");
    b.click("a[href='/users']");
    b.wait_for("#q");
    b.fill("#q", "bo");
    b.click("form[role=search] button");
    b.wait_for("#people");
    assert!(b.text("#people").contains("bob Example"), "{}", b.source());
    b.screenshot("console-users-search");
    b.assert_accessible("the users search");
    b.click("a[href='/users/bob']");
    b.wait_for("#no-badges");
    b.screenshot("console-user");
    b.assert_accessible("a user's page");
    // An unknown badge is refused at the printer; once bound, it signs bob in.
    assert_eq!(badge_login(&d, &printer, "CAFE0001").0, 401);
    b.fill("#card", "CAFE0001");
    b.click("#bind-badge");
    b.wait_for("#done");
    assert!(b.text("#done").contains("badge is bound"), "{}", b.source());
    assert!(b.text("#badges").contains("console"), "{}", b.source());
    b.screenshot("console-user-badge-bound");
    let (code, v) = badge_login(&d, &printer, "CAFE0001");
    assert_eq!((code, v["user"]["login"].as_str()), (201, Some("bob")), "{v}");
    // The same badge cannot be bound to another person.
    b.goto(&format!("{web}/users/helpdesk"));
    b.wait_for("#card");
    b.fill("#card", "CAFE0001");
    b.click("#bind-badge");
    assert!(b.text("#forbidden").contains("bound to someone else"), "{}", b.source());

    // A passcode, shown once, signs bob in.
    b.goto(&format!("{web}/users/bob"));
    b.wait_for("#issue-passcode");
    b.click("#issue-passcode");
    b.wait_for("#passcode");
    let code = b.text("#passcode").trim().to_owned();
    b.screenshot("console-user-passcode");
    b.assert_accessible("a new passcode");
    let (status, v) = sign_in(&d, &printer, json!({"method": "passcode", "passcode": code}));
    assert_eq!((status, v["user"]["login"].as_str()), (201, Some("bob")), "{v}");

    // Guesses at bob's password lock him out; the helpdesk sees and lifts it.
    let guess = || sign_in(&d, &printer, json!({"method": "password", "login": "bob", "password": "wrong-guess"})).0;
    for i in 0..4 {
        if i == 3 {
            // After three failures an attempt waits a second before it is checked.
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        assert_eq!(guess(), 401);
    }
    let right = || sign_in(&d, &printer, json!({"method": "password", "login": "bob", "password": "bob-Passw0rd-1"}));
    assert_ne!(right().0, 201, "locked: even the right password");
    b.goto(&format!("{web}/users/bob"));
    b.wait_for("#lockout");
    assert!(b.text("#lockout").contains("Locked until"), "{}", b.source());
    b.screenshot("console-user-locked");
    b.assert_accessible("a locked user's page");
    b.click("#clear-lockout");
    b.wait_for("#done");
    assert!(b.text("#lockout").contains("Not locked"), "{}", b.source());
    assert_eq!(right().0, 201, "the lock is lifted");

    // The helpdesk may not read the audit log, nor reach it by address.
    assert!(!b.source().contains("href=\"/audit\""));
    b.goto(&format!("{web}/audit"));
    assert!(b.text("#forbidden").contains("may not"), "{}", b.source());
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains(&code), "a passcode reached the log");
    assert!(!log.contains("CAFE0001") && !log.to_lowercase().contains("cafe0001"), "a badge number reached the log");
    let (ok, out) = verify(&site);
    assert!(ok, "{out}");
    assert!(out.contains("intact"), "{out}");
}

#[test]
fn an_admin_shreds_a_job_an_auditor_reads_the_log_with_names_hidden_and_an_edit_is_caught() {
    let site = Site::new("");
    site.user("alice", "04:A1:B2:C3");
    site.staff("admin", "PullprintAdmins");
    site.staff("auditor", "PullprintAuditors");
    let printer = site.printer("Lobby", "hp", "127.0.0.5");
    let d = site.serve();
    let web = format!("https://{}", d.web);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &pdf("Quarterly figures", 1, 0)).0, 200);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &pdf("Holiday rota", 2, 0)).0, 200);
    let b = Browser::start(1280, 900, &d.data.join("tls/server.crt"));
    console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    b.click("a[href='/jobs']");
    b.wait_for("#jobs");
    assert_eq!(b.text("#jobs tbody").lines().filter(|l| l.contains("alice")).count(), 2, "{}", b.source());
    b.fill("#owner", "alice");
    b.click("form[role=search] button");
    b.wait_for("#jobs");
    b.screenshot("console-jobs");
    b.assert_accessible("the jobs page");
    // The newest first: the holiday rota goes.
    assert!(b.text("#jobs tbody tr").contains("alice"), "{}", b.source());
    b.click("#jobs tbody tr button");
    b.wait_for("#done");
    assert!(b.text("#done").contains("shredded"), "{}", b.source());
    assert_eq!(b.text("#jobs tbody").lines().filter(|l| l.contains("alice")).count(), 1, "{}", b.source());
    b.screenshot("console-jobs-deleted");
    // At the printer, one job is left.
    let (code, v) = badge_login(&d, &printer, "04A1B2C3");
    assert_eq!(code, 201, "{v}");
    let session = v["session"].as_str().expect("session").to_owned();
    let (_, v) = api(&d, "GET", "/panel/v1/jobs", &printer, Some(&session), None);
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(1), "{v}");

    // The admin sees who did what.
    b.click("a[href='/audit']");
    b.wait_for("#audit");
    let log = b.text("#audit");
    assert!(log.contains("job.delete") && log.contains("admin") && log.contains("console.sign-in"), "{log}");
    b.screenshot("console-audit-admin");
    b.assert_accessible("the audit log");
    b.click("#sign-out");
    b.wait_for("#sign-in");

    // The auditor lands on the audit log, with names as pseudonyms.
    console_sign_in(&b, &web, "auditor");
    b.wait_for("#audit");
    let log = b.text("#audit");
    assert!(log.contains("job.delete") && log.contains("user-"), "{log}");
    assert!(!log.contains("admin\n") && !log.contains("alice"), "names are hidden from auditors: {log}");
    b.screenshot("console-audit-auditor");
    b.assert_accessible("the audit log, for an auditor");
    b.goto(&format!("{web}/jobs"));
    assert!(b.text("#forbidden").contains("may not"), "{}", b.source());
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");

    // The chain verifies; one byte changed in the second record breaks it there.
    let (ok, out) = verify(&site);
    assert!(ok && out.contains("intact"), "{out}");
    let path = site.data.join("audit/log");
    let mut bytes = std::fs::read(&path).expect("audit log");
    let second = bytes.iter().position(|b| *b == b'\n').expect("a first line") + 12;
    bytes[second] ^= 0x20;
    std::fs::write(&path, bytes).expect("write");
    let (ok, out) = verify(&site);
    assert!(!ok, "{out}");
    assert!(out.contains("record 2"), "{out}");
}

/// The hours between two console times (`YYYY-MM-DD HH:MM UTC`).
fn hours_between(from: &str, to: &str) -> i64 {
    let parse = |t: &str| humantime::parse_rfc3339_weak(&format!("{}:00", t.trim())).expect("a console time");
    let d = parse(to).duration_since(parse(from)).expect("later");
    i64::try_from(d.as_secs() / 3600).expect("hours")
}

#[test]
fn an_admin_changes_retention_which_applies_at_once_and_survives_a_restart_and_the_helpdesk_cannot() {
    let site = Site::new("");
    site.user("alice", "04:A1:B2:C3");
    site.staff("admin", "PullprintAdmins");
    site.staff("helpdesk", "PullprintHelpdesk");
    let d = site.serve();
    let web = format!("https://{}", d.web);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &pdf("Board minutes", 3, 0)).0, 200);
    let b = Browser::start(1280, 1000, &d.data.join("tls/server.crt"));
    let expiry_hours = |b: &Browser, web: &str| {
        b.goto(&format!("{web}/jobs"));
        b.wait_for("#jobs");
        // The row's times, "YYYY-MM-DD HH:MM UTC": submitted, then expires.
        let row = b.text("#jobs tbody tr");
        let times: Vec<&str> = row.match_indices(" UTC").filter_map(|(i, _)| row.get(i.checked_sub(16)?..i)).collect();
        assert_eq!(times.len(), 2, "{row}");
        hours_between(times[0], times[1])
    };
    console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    assert_eq!(expiry_hours(&b, &web), 24, "the configuration's retention");
    b.click("a[href='/settings']");
    b.wait_for("#store-retention");
    b.screenshot("console-settings");
    b.assert_accessible("the settings page");
    // A value the configuration file would refuse is refused, with its words.
    b.fill("#store-retention", "soon");
    b.click("#save-settings");
    b.wait_for("#refused");
    assert!(b.text("#refused").contains("store.retention"), "{}", b.source());
    b.screenshot("console-settings-refused");
    b.goto(&format!("{web}/settings"));
    b.wait_for("#store-retention");
    b.fill("#store-retention", "2h");
    b.click("#save-settings");
    b.wait_for("#done");
    assert!(b.text("#done").contains("in force now"), "{}", b.source());
    // The parked job now expires two hours after it came, and so do new ones.
    assert_eq!(expiry_hours(&b, &web), 2);
    b.goto(&format!("{web}/audit"));
    b.wait_for("#audit");
    assert!(b.text("#audit").contains("setting.change"), "{}", b.source());
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(log.contains("console: admin set store.retention to 2h"), "{log}");

    // After a restart the console's setting still holds.
    let d = site.serve();
    let web = format!("https://{}", d.web);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &pdf("After restart", 4, 0)).0, 200);
    let b = Browser::start(1280, 1000, &d.data.join("tls/server.crt"));
    console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    assert_eq!(expiry_hours(&b, &web), 2, "the newest job got the console's retention");
    b.click("#sign-out");
    b.wait_for("#sign-in");
    // The helpdesk has no settings page, nor may post to it.
    console_sign_in(&b, &web, "helpdesk");
    b.wait_for("#parked");
    assert!(!b.source().contains("href=\"/settings\""));
    b.goto(&format!("{web}/settings"));
    assert!(b.text("#forbidden").contains("may not"), "{}", b.source());
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

/// First boot: `pullprint serve` on an empty data folder serves only the
/// setup pages, with a one-time code printed to its console; setup makes
/// the site and the first admin, shows the recovery password once, and
/// after the admin confirms it the console serves and setup is gone.
#[test]
fn first_boot_setup_makes_the_site_and_its_admin_then_the_setup_pages_are_gone() {
    let t = world_traversable_tempdir();
    let data = t.path().join("data");
    let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
    let cfg = write_config(t.path(), &data, service);
    let args = ["--config", cfg.to_str().expect("utf8"), "serve"];
    let (child, log, web_addr) = Daemon::start_first_boot(&args, &data).expect("setup serves");
    let web = format!("https://{web_addr}");
    let printed = std::fs::read_to_string(&log).expect("log");
    let code = printed
        .lines()
        .find_map(|l| l.split("enter the setup code ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the setup code is printed")
        .to_owned();
    assert!(printed.contains("SHA-256"), "{printed}");
    // Only setup is served: health says so, and every other page leads to it.
    let ca = data.join("run/setup.crt");
    let (status, body) = https_get(web_addr, &ca, "/healthz").expect("health");
    assert_eq!((status, body.contains("setup")), (503, true), "{body}");
    let (status, h, _) = https_request(web_addr, &ca, "GET", "/login", &[], b"").expect("login");
    assert!(status == 303 && h.to_lowercase().contains("location: /setup"), "{h}");

    let b = Browser::start(1280, 1000, &ca);
    b.goto(&format!("{web}/"));
    b.wait_for("#set-up");
    b.screenshot("console-setup");
    b.assert_accessible("the setup page");
    let fill = |code: &str| {
        b.fill("#code", code);
        b.fill("#username", "admin");
        b.fill("#password", "first-admin-Passw0rd");
        b.fill("#password2", "first-admin-Passw0rd");
        b.fill("#hostnames", "print.example.test");
        b.fill("#addresses", "127.0.0.1");
        b.click("#set-up");
    };
    fill("AAAA-BBBB-CCCC-DDDD");
    b.wait_for("#setup-error");
    assert!(b.text("#setup-error").contains("wrong"), "{}", b.source());
    assert!(!data.join("keys/site.json").exists(), "a wrong code makes nothing");
    b.screenshot("console-setup-wrong-code");
    fill(&code.to_lowercase());
    b.wait_for("#recovery-password");
    let recovery = b.text("#recovery-password").trim().to_owned();
    assert!(recovery.len() >= 20 && recovery.contains('-'), "{recovery}");
    b.screenshot("console-setup-recovery");
    b.assert_accessible("the recovery password page");
    b.click("#saved");
    b.click("#finish");
    b.wait_for("#setup-done");
    drop(b);

    // The appliance now serves as on any day: the console, with the admin made at setup.
    let d = Daemon::ready(child, &data, log).expect("serves after setup");
    let web = format!("https://{}", d.web);
    let (status, _, _) = https_request(d.web, &data.join("tls/ca.crt"), "GET", "/setup", &[], b"").expect("setup");
    assert_eq!(status, 404, "the setup pages are gone");
    let (status, h, _) =
        https_request(d.web, &data.join("tls/ca.crt"), "POST", "/setup", &[], b"code=x").expect("post");
    assert_eq!(status, 404, "{h}");
    let b = Browser::start(1280, 900, &data.join("tls/server.crt"));
    b.goto(&format!("{web}/login"));
    b.wait_for("#sign-in");
    b.fill("#username", "admin");
    b.fill("#password", "first-admin-Passw0rd");
    b.click("#sign-in");
    b.wait_for("#parked");
    b.goto(&format!("{web}/audit"));
    b.wait_for("#audit");
    assert!(b.text("#audit").contains("setup.done"), "{}", b.source());
    drop(b);
    // The certificate carries the names given at setup.
    let pem = std::fs::read_to_string(data.join("tls/server.crt")).expect("cert");
    let sans = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(pem.as_bytes())?;
            c.wait_with_output()
        })
        .expect("openssl");
    let sans = String::from_utf8_lossy(&sans.stdout).into_owned();
    assert!(sans.contains("print.example.test"), "{sans}");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains(&recovery), "the recovery password reached the log");
    assert!(!log.contains("first-admin-Passw0rd"), "the admin's password reached the log");
    // The recovery password unlocks the site: a restore would work with it.
    let o = pullprint_with_stdin(
        &["init", "--recover", "--data-dir", data.to_str().expect("utf8")],
        &format!("{recovery}\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
}

/// Seed the store of a stopped site with what a month of use leaves:
/// releases of alice and bob at two printers, and jobs that expired or
/// were deleted. Returns the printers' ids.
fn seed_usage(site: &Site) -> (String, String) {
    use local_connector::store::{ColorMode, JobSubmission, ReleaseRecord, Sides};
    let lobby = site.printer("Lobby", "hp", "127.0.0.5");
    let finance = site.printer("Finance floor", "xerox", "127.0.0.6");
    let ids = |name: &str| {
        let out = site.cli(&["device", "list"]);
        out.lines()
            .find(|l| l.contains(name))
            .and_then(|l| l.split_whitespace().find(|w| w.starts_with("d-")))
            .expect("id")
            .to_owned()
    };
    let (lobby_id, finance_id) = (ids("Lobby"), ids("Finance"));
    drop((lobby, finance));
    let store = open_store(&site.data);
    let now = local_connector::clock::now_ms();
    let job = |owner: &str, pages: u32, copies: u32, sides: Sides| {
        let mut w = store
            .create(JobSubmission {
                owner: owner.into(),
                document_name: "q3.pdf".into(),
                pages: Some(pages),
                format: "application/pdf".into(),
                copies,
                sides,
                ..Default::default()
            })
            .expect("create");
        w.write_body(b"%PDF-1.7\n%%EOF\n").expect("write");
        w.commit().expect("commit")
    };
    for (owner, device, pages, copies, color, sides) in [
        ("alice", &lobby_id, 10, 2, ColorMode::Color, Sides::OneSided),
        ("bob", &lobby_id, 4, 1, ColorMode::Monochrome, Sides::TwoSidedLongEdge),
        ("bob", &finance_id, 7, 1, ColorMode::Monochrome, Sides::OneSided),
    ] {
        let m = job(owner, pages, copies, sides);
        let rec = ReleaseRecord {
            job: m.id,
            owner: owner.into(),
            by: owner.into(),
            document_name: m.document_name.clone(),
            device: device.clone(),
            pages: Some(pages),
            copies,
            color,
            transport: "ipps".into(),
            uri: "ipps://127.0.0.5/ipp/print".into(),
            printer_job: Some(42),
            outcome: "printed".into(),
            detail: None,
            at_ms: now - 1_000,
            synced: false,
            sides,
        };
        store.finish_release(&rec, None).expect("record");
    }
    // Never printed: 6 pages deleted, 3 pages × 2 copies two-sided expired.
    let gone = job("alice", 6, 1, Sides::OneSided);
    store.discard(gone.id, "deleted", "alice").expect("delete");
    let old = job("bob", 3, 2, Sides::TwoSidedLongEdge);
    store.discard(old.id, "expired", "system").expect("expire");
    drop(store);
    if is_root() {
        // Written as root here; the daemon runs as nobody.
        let o =
            std::process::Command::new("chown").args(["-R", "65534:65534"]).arg(&site.data).output().expect("chown");
        assert!(o.status.success(), "{}", text(&o));
    }
    (lobby_id, finance_id)
}

#[test]
fn reports_sum_pages_printed_and_saved_with_charts_and_csv_and_hide_names_from_auditors() {
    let site = Site::new("");
    site.user("alice", "04:A1:B2:C3");
    site.staff("admin", "PullprintAdmins");
    site.staff("auditor", "PullprintAuditors");
    site.staff("helpdesk", "PullprintHelpdesk");
    seed_usage(&site);
    let d = site.serve();
    let web = format!("https://{}", d.web);
    let b = Browser::start(1280, 1000, &d.data.join("tls/server.crt"));
    console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    // The dashboard counts today and the last 30 days.
    let activity = b.text("#activity");
    for row in ["jobs printed 3 3", "jobs expired unclaimed 1 1", "pages printed 31 31", "sheets of paper saved 10 10"]
    {
        assert!(activity.contains(row), "{row}: {activity}");
    }
    b.screenshot("console-dashboard-activity");
    b.assert_accessible("the dashboard with activity");
    b.click("a[href='/reports']");
    b.wait_for("#per-printer");
    // 10×2 + 4 + 7 pages printed; 6 + 3×2 never printed, on 6 + 4 sheets.
    assert_eq!(b.text("#printed-pages").trim(), "31");
    assert_eq!(b.text("#saved-pages").trim(), "12");
    assert!(b.text("#saved").contains("expired unclaimed"), "{}", b.source());
    let printers = b.text("#per-printer");
    assert!(printers.contains("Lobby") && printers.contains("Finance floor"), "{printers}");
    assert!(b.text("#per-user").contains("alice"), "{}", b.source());
    let split = b.text("#split");
    assert!(split.contains("colour 1 20 20") && split.contains("two-sided 1 4 2"), "{split}");
    b.screenshot("console-reports");
    b.assert_accessible("the reports page");

    // The charts are SVG from this site; the CSVs carry the same numbers.
    let ca = d.data.join("tls/ca.crt");
    let (session, _) = session_of(&d, "admin", "admin-Passw0rd-1");
    let get = |path: &str| https_request(d.web, &ca, "GET", path, &[("Cookie", &session)], b"").expect("get");
    let (status, h, svg) = get("/reports/charts/days");
    assert_eq!(status, 200);
    assert!(h.to_lowercase().contains("content-type: image/svg+xml"), "{h}");
    assert!(String::from_utf8_lossy(&svg).contains("<svg"));
    let (status, h, csv) = get("/reports/csv/users");
    assert_eq!(status, 200);
    assert!(h.to_lowercase().contains("text/csv") && h.contains("attachment"), "{h}");
    let csv = String::from_utf8_lossy(&csv).into_owned();
    assert!(
        csv.starts_with("user,jobs,pages,sheets\r\n")
            && csv.contains("alice,1,20,20\r\n")
            && csv.contains("bob,2,11,9\r\n"),
        "{csv}"
    );
    let (_, _, saved) = get("/reports/csv/saved");
    let saved = String::from_utf8_lossy(&saved).into_owned();
    assert!(saved.contains("expired,1,6,4") && saved.contains("deleted,1,6,6"), "{saved}");
    assert_eq!(get("/reports/csv/nonsense").0, 404);
    b.click("#sign-out");
    b.wait_for("#sign-in");

    // The auditor sees the same numbers, with pseudonyms for people.
    console_sign_in(&b, &web, "auditor");
    b.wait_for("#audit");
    b.goto(&format!("{web}/reports"));
    b.wait_for("#per-user");
    let users = b.text("#per-user");
    assert!(users.contains("user-") && !users.contains("alice") && !users.contains("bob"), "{users}");
    assert_eq!(b.text("#printed-pages").trim(), "31");
    b.screenshot("console-reports-auditor");
    b.click("#sign-out");
    b.wait_for("#sign-in");
    // The helpdesk has no reports.
    console_sign_in(&b, &web, "helpdesk");
    b.wait_for("#parked");
    b.goto(&format!("{web}/reports"));
    assert!(b.text("#forbidden").contains("may not"), "{}", b.source());
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

/// A console session for `user` over plain HTTPS (for downloads): its
/// cookie, and the form token of its pages.
pub(crate) fn session_of(d: &Daemon, user: &str, password: &str) -> (String, String) {
    let ca = d.data.join("tls/ca.crt");
    let token_of = |page: &[u8]| {
        let page = String::from_utf8_lossy(page).into_owned();
        let at = page.find("name=\"csrf\" value=\"").expect("csrf") + 19;
        page[at..].split('"').next().expect("token").to_owned()
    };
    let (_, _, page) = https_request(d.web, &ca, "GET", "/login", &[], b"").expect("login page");
    let token = token_of(&page);
    let cookie = format!("__Host-pullprint-login={token}");
    let body = format!("username={user}&password={password}&csrf={token}");
    let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let (status, h, _) = https_request(d.web, &ca, "POST", "/login", &headers, body.as_bytes()).expect("sign in");
    assert_eq!(status, 303, "{h}");
    let session = h
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.trim()))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    let (_, _, page) = https_request(d.web, &ca, "GET", "/", &[("Cookie", &session)], b"").expect("dashboard");
    (session, token_of(&page))
}

#[test]
fn the_system_page_installs_an_own_certificate_goes_back_to_the_internal_ca_and_downloads_a_backup() {
    let site = Site::new("");
    site.staff("admin", "PullprintAdmins");
    site.staff("helpdesk", "PullprintHelpdesk");
    let d = site.serve();
    let web = format!("https://{}", d.web);
    // The admin's own certificate: one for this host from a CA of "the company".
    let t = tempfile::tempdir().expect("tempdir");
    let p = |n: &str| t.path().join(n);
    let (crt, key, company) = (p("own.crt"), p("own.key"), p("company-ca.crt"));
    let openssl = |args: &[&str]| {
        let o = std::process::Command::new("openssl").args(args).current_dir(t.path()).output().expect("openssl");
        assert!(o.status.success(), "openssl {args:?}: {}", text(&o));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &["-days", "30", "-subj", "/CN=Company CA", "-keyout", "company-ca.key", "-out", "company-ca.crt"],
        ]
        .concat(),
    );
    openssl(
        &[&["req"][..], &ec, &["-subj", "/CN=print.example.test", "-keyout", "own.key", "-out", "own.csr"]].concat(),
    );
    std::fs::write(p("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        .expect("ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "own.csr",
        "-CA",
        "company-ca.crt",
        "-CAkey",
        "company-ca.key",
        "-CAcreateserial",
        "-days",
        "20",
        "-extfile",
        "ext.cnf",
        "-out",
        "own.crt",
    ]);
    let b = Browser::start(1280, 1000, &d.data.join("tls/server.crt"));
    console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    b.click("a[href='/system']");
    b.wait_for("#version");
    assert!(b.text("#issuer").contains("internal CA"), "{}", b.source());
    assert!(b.text("#log").contains("console: admin signed in as admin"), "{}", b.text("#log"));
    b.screenshot("console-system");
    b.assert_accessible("the system page");
    // A key that does not fit is refused, and nothing changes.
    let other = t.path().join("other.key");
    let o = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"])
        .arg(&other)
        .output()
        .expect("openssl");
    assert!(o.status.success());
    let pem = |p: &std::path::Path| std::fs::read_to_string(p).expect("pem").trim_end().to_owned();
    b.fill("#certificate", &pem(&crt));
    b.fill("#key", &pem(&other));
    b.click("#install-certificate");
    b.wait_for("#refused");
    assert!(b.text("#refused").contains("does not fit"), "{}", b.source());
    b.fill("#certificate", &pem(&crt));
    b.fill("#key", &pem(&key));
    b.click("#install-certificate");
    b.wait_for("#done");
    drop(b);
    // Within seconds the listeners present it: a client that trusts only it connects.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while https_get(d.web, &company, "/healthz").is_err() {
        assert!(std::time::Instant::now() < deadline, "the own certificate was not served within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let own_pin = d.data.join("tls/server.crt");
    assert_eq!(std::fs::read_to_string(&own_pin).expect("crt"), std::fs::read_to_string(&crt).expect("crt"), "LF kept");
    let b = Browser::start(1280, 1000, &crt);
    console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    b.goto(&format!("{web}/system"));
    b.wait_for("#issuer");
    assert!(b.text("#issuer").contains("your own CA"), "{}", b.source());
    b.screenshot("console-system-own-certificate");
    b.click("#internal-certificate");
    drop(b);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while https_get(d.web, &d.data.join("tls/ca.crt"), "/healthz").is_err() {
        assert!(std::time::Instant::now() < deadline, "the internal CA's certificate was not served again within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    // A backup, streamed: a tar with its manifest, and nothing left behind.
    let (session, csrf) = session_of(&d, "admin", "admin-Passw0rd-1");
    let ca = d.data.join("tls/ca.crt");
    let headers = [("Cookie", session.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let (status, h, tar) =
        https_request(d.web, &ca, "POST", "/system/backup", &headers, format!("csrf={csrf}").as_bytes())
            .expect("backup");
    assert_eq!(status, 200, "{h}");
    assert!(h.to_lowercase().contains("application/x-tar") && h.contains("pullprint-backup-"), "{h}");
    let names: Vec<String> = tar::Archive::new(&tar[..])
        .entries()
        .expect("a tar")
        .map(|e| e.expect("entry").path().expect("path").to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n == "MANIFEST.json") && names.iter().any(|n| n == "audit/log"), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("site.key")), "{names:?}");
    let leftovers = std::fs::read_dir(d.data.join("run"))
        .expect("run")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("backup-"))
        .count();
    assert_eq!(leftovers, 0);
    // The helpdesk has no system page.
    let (session, _) = session_of(&d, "helpdesk", "helpdesk-Passw0rd-1");
    let (status, _, _) = https_request(d.web, &ca, "GET", "/system", &[("Cookie", &session)], b"").expect("system");
    assert_eq!(status, 403);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(log.contains("installed their own server certificate"), "{log}");
    assert!(!log.contains("PRIVATE KEY"), "a key reached the log");
}

#[test]
fn an_admin_registers_a_printer_whose_credential_then_works_and_rotates_revokes_and_removes_it() {
    let site = Site::new("");
    site.staff("admin", "PullprintAdmins");
    let d = site.serve();
    let web = format!("https://{}", d.web);
    let b = Browser::start(1280, 1000, &d.data.join("tls/server.crt"));
    console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    b.click("a[href='/printers']");
    b.wait_for("#add-printer");
    b.fill("#name", "Lobby");
    b.fill("#address", "127.0.0.9");
    b.click("#add-printer");
    b.wait_for("#credential");
    let first = b.text("#credential").trim().to_owned();
    assert!(first.starts_with("ppd-"), "{first}");
    assert!(b.text("#steps").contains("documented") || b.text("#steps").contains("own choice"), "{}", b.source());
    assert!(b.text("#app-url").contains(&first));
    b.screenshot("console-printer-registered");
    b.assert_accessible("a printer's page");
    let reader = |cred: &str| api(&d, "GET", "/panel/v1/accessories/reader", cred, None, None).0;
    assert_eq!(reader(&first), 200, "the new printer's panel may call");
    // The same name again is refused.
    b.goto(&format!("{web}/printers"));
    b.wait_for("#add-printer");
    b.fill("#name", "Lobby");
    b.fill("#address", "127.0.0.10");
    b.click("#add-printer");
    assert!(b.text("#forbidden").contains("registered already"), "{}", b.source());
    // Rotate: a new credential, the old one refused.
    b.goto(&format!("{web}/printers"));
    b.wait_for("#printers");
    b.click("#printers tbody tr a");
    b.wait_for("#rotate-printer");
    b.click("#rotate-printer");
    b.wait_for("#credential");
    let second = b.text("#credential").trim().to_owned();
    assert_ne!(second, first);
    assert_eq!((reader(&first), reader(&second)), (401, 200));
    // Revoke: refused; remove: gone.
    b.click("#revoke-printer");
    b.wait_for("#done");
    assert!(b.text("#panel-state").contains("not secured"), "{}", b.source());
    assert_eq!(reader(&second), 401);
    b.click("#remove-printer");
    b.wait_for("#no-printers");
    b.goto(&format!("{web}/audit"));
    b.wait_for("#audit");
    let log = b.text("#audit");
    for a in ["printer.add", "printer.rotate", "printer.revoke", "printer.remove"] {
        assert!(log.contains(a), "{a}: {log}");
    }
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains(&first) && !log.contains(&second), "a printer credential reached the log");
}

/// At a phone's width every console page fits the screen (wide tables
/// scroll inside their own boxes) and stays accessible.
#[test]
fn console_pages_fit_a_phone() {
    let site = Site::new("");
    site.user("alice", "04:A1:B2:C3");
    site.staff("admin", "PullprintAdmins");
    seed_usage(&site);
    let d = site.serve();
    let web = format!("https://{}", d.web);
    let b = Browser::start(390, 844, &d.data.join("tls/server.crt"));
    console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    for (path, ready, name) in [
        ("/", "#parked", "dashboard"),
        ("/printers", "#printers", "printers"),
        ("/users?q=a", "#people", "users"),
        ("/users/alice", "#lockout", "user"),
        ("/jobs", "#releases", "jobs"),
        ("/reports", "#per-printer", "reports"),
        ("/audit", "#audit", "audit"),
        ("/settings", "#store-retention", "settings"),
        ("/system", "#version", "system"),
    ] {
        b.goto(&format!("{web}{path}"));
        b.wait_for(ready);
        b.screenshot(&format!("console-phone-{name}"));
        assert!(b.fits_width(), "{path} is wider than a phone");
        b.assert_accessible(&format!("the {name} page on a phone"));
    }
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}
