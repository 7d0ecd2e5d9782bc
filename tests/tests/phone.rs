//! Release from a phone: the printers' QR labels, as an admin prints them
//! and as a phone's camera reads them (pdftoppm renders the sheet, zbarimg
//! decodes its codes).

use pullprint_tests::site::Site;
use pullprint_tests::*;
use std::path::Path;
use std::process::Command;

/// Every QR code zbarimg finds in the images `paths`.
fn decode(paths: &[std::path::PathBuf]) -> Vec<String> {
    let o = Command::new("zbarimg").args(["--raw", "-q"]).args(paths).output().expect("zbarimg (Debian zbar-tools)");
    assert!(o.status.success(), "zbarimg found no code: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).lines().map(str::to_owned).collect()
}

/// Render `pdf`'s pages at 200 dpi; the images, in page order.
fn render(pdf: &Path) -> Vec<std::path::PathBuf> {
    let stem = pdf.with_extension("");
    let o = Command::new("pdftoppm").args(["-r", "200", "-png"]).arg(pdf).arg(&stem).output().expect("pdftoppm");
    assert!(o.status.success(), "pdftoppm: {}", text(&o));
    let dir = pdf.parent().expect("dir");
    let name = stem.file_name().expect("stem").to_string_lossy().into_owned();
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png")
                && p.file_name().is_some_and(|f| f.to_string_lossy().starts_with(&format!("{name}-")))
        })
        .collect();
    pages.sort();
    pages
}

/// The label id of printer `name`, as the registry holds it.
fn label_of(site: &Site, name: &str) -> String {
    let devices: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.data.join("directory/devices.json")).expect("devices"))
            .expect("json");
    devices["devices"]
        .as_object()
        .expect("devices")
        .values()
        .find(|d| d["name"] == name)
        .and_then(|d| d["label"].as_str())
        .expect("a label id")
        .to_owned()
}

#[test]
fn label_sheets_carry_each_printers_release_address_and_a_rotated_label_changes_it() {
    let site = Site::new("");
    site.printer("Lobby", "hp", "127.0.0.5");
    let d = site.serve();
    site.cli(&["device", "set", "Lobby", "--location", "Ground floor, by the door"]);
    let out = tempfile::tempdir().expect("tempdir");
    let sheet = out.path().join("lobby.pdf");
    let said = site.cli(&["device", "label", "Lobby", "--out", sheet.to_str().expect("utf8")]);
    // The address is the console's, on the port the daemon listens on.
    let url = format!("https://localhost:{}/r/{}", d.web.port(), label_of(&site, "Lobby"));
    assert!(said.contains(&url), "{said}");
    assert_eq!(decode(&render(&sheet)), std::slice::from_ref(&url), "the code on the sheet");
    let words = Command::new("pdftotext").arg(&sheet).arg("-").output().expect("pdftotext");
    let words = String::from_utf8_lossy(&words.stdout);
    for w in ["Lobby", "Ground floor, by the door", "Scan the code", "Print here"] {
        assert!(words.contains(w), "{w:?} not on the label:\n{words}");
    }
    // The code alone, for a label of one's own design.
    let png = out.path().join("lobby.png");
    site.cli(&["device", "label", "Lobby", "--out", png.to_str().expect("utf8")]);
    assert_eq!(decode(std::slice::from_ref(&png)), std::slice::from_ref(&url));
    // A stolen label: rotated, the printer's new code differs, and the old id is gone.
    let said = site.cli(&["device", "rotate-label", "Lobby"]);
    let new_url = format!("https://localhost:{}/r/{}", d.web.port(), label_of(&site, "Lobby"));
    assert_ne!(new_url, url);
    assert!(said.contains(&new_url) && said.contains("stop working"), "{said}");
    site.cli(&["device", "label", "Lobby", "--out", png.to_str().expect("utf8")]);
    assert_eq!(decode(&[png]), [new_url]);
    // Nine printers take two sheets; every code reads back.
    for i in 1..=8 {
        site.printer(&format!("Floor {i}"), "km", &format!("127.0.1.{i}"));
    }
    let all = out.path().join("all.pdf");
    let said = site.cli(&["device", "label", "--all", "--paper", "letter", "--out", all.to_str().expect("utf8")]);
    assert!(said.contains("for 9 printers"), "{said}");
    let pages = render(&all);
    assert_eq!(pages.len(), 2, "8 labels to a sheet");
    let mut codes = decode(&pages);
    codes.sort();
    let mut want: Vec<String> = std::iter::once("Lobby".to_owned())
        .chain((1..=8).map(|i| format!("Floor {i}")))
        .map(|n| format!("https://localhost:{}/r/{}", d.web.port(), label_of(&site, &n)))
        .collect();
    want.sort();
    assert_eq!(codes, want);
    // What cannot be made is said, and no file is left behind.
    let bad = out.path().join("two.png");
    let o = site.run(&["device", "label", "Lobby", "Floor 1", "--out", bad.to_str().expect("utf8")]);
    assert!(!o.status.success() && text(&o).contains("one printer"), "{}", text(&o));
    assert!(!bad.exists());
    let before = std::fs::read(&sheet).expect("sheet");
    let o = site.run(&["device", "label", "Nowhere", "--out", sheet.to_str().expect("utf8")]);
    assert!(!o.status.success() && text(&o).contains("Nowhere"), "{}", text(&o));
    assert!(std::fs::read(&sheet).expect("sheet") == before, "a sheet already there is left as it was");
    let o = site.run(&["device", "label", "Lobby", "--out", out.path().join("x.txt").to_str().expect("utf8")]);
    assert!(!o.status.success() && text(&o).contains(".pdf"), "{}", text(&o));
}

#[test]
fn an_admin_prints_labels_from_the_console_and_gives_a_printer_a_new_label_id() {
    use pullprint_tests::browser::Browser;
    let site = Site::new("");
    site.staff("admin", "PullprintAdmins");
    site.staff("helpdesk", "PullprintHelpdesk");
    site.printer("Lobby", "hp", "127.0.0.5");
    site.printer("Floor 2", "km", "127.0.0.6");
    let d = site.serve();
    let web = format!("https://{}", d.web);
    let b = Browser::start(1280, 1000, &d.data.join("tls/server.crt"));
    crate::console_pages::console_sign_in(&b, &web, "admin");
    b.wait_for("#parked");
    b.click("a[href='/printers']");
    b.wait_for("#labels-a4");
    b.click("#printers a[href^='/printers/d-']");
    b.wait_for("#location-field");
    b.fill("#location-field", "Ground floor, by the door");
    b.click("#set-location");
    b.wait_for("#label-url");
    assert_eq!(b.text("#location"), "Ground floor, by the door");
    let first = b.text("#label-url");
    b.screenshot("console-printer-label");
    b.assert_accessible("a printer's page with its label");
    b.click("#rotate-label-printer");
    b.wait_for("#done");
    let second = b.text("#label-url");
    assert_ne!(first, second, "a new label id");
    drop(b);
    // The sheet, as the admin's browser downloads it: every printer, codes that read back.
    let (session, _) = crate::console_pages::session_of(&d, "admin", "admin-Passw0rd-1");
    let ca = d.data.join("tls/ca.crt");
    let (status, h, pdf) =
        https_request(d.web, &ca, "GET", "/labels.pdf?paper=a4", &[("Cookie", &session)], b"").expect("labels");
    assert_eq!(status, 200, "{h}");
    assert!(h.to_lowercase().contains("application/pdf"), "{h}");
    let out = tempfile::tempdir().expect("tempdir");
    let sheet = out.path().join("sheet.pdf");
    std::fs::write(&sheet, &pdf).expect("write");
    let mut codes = decode(&render(&sheet));
    codes.sort();
    let mut want: Vec<String> = ["Lobby", "Floor 2"]
        .iter()
        .map(|n| format!("https://localhost:{}/r/{}", d.web.port(), label_of(&site, n)))
        .collect();
    want.sort();
    assert_eq!(codes, want);
    assert!(want.contains(&second) && !want.contains(&first), "the new label, not the old");
    // A printer that is not registered: 404, and no sheet.
    let (admin, _) = crate::console_pages::session_of(&d, "admin", "admin-Passw0rd-1");
    let (status, _, _) =
        https_request(d.web, &ca, "GET", "/labels.pdf?printer=d-nowhere", &[("Cookie", &admin)], b"").expect("labels");
    assert_eq!(status, 404);
    // A location of more than one line is refused, and the refusal's record does not copy it.
    let id = second.rsplit('/').next().expect("label id").to_owned();
    let printers = std::fs::read_to_string(site.data.join("directory/devices.json")).expect("devices");
    let printer: serde_json::Value = serde_json::from_str(&printers).expect("json");
    let key = printer["devices"]
        .as_object()
        .expect("devices")
        .values()
        .find(|d| d["label"] == id.as_str())
        .and_then(|d| d["id"].as_str())
        .expect("the printer")
        .to_owned();
    let (_, _, page) = https_request(d.web, &ca, "GET", &format!("/printers/{key}"), &[("Cookie", &admin)], b"")
        .expect("printer page");
    let page = String::from_utf8_lossy(&page).into_owned();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_owned();
    let origin = format!("https://{}", d.web);
    let (status, _, _) = https_request(
        d.web,
        &ca,
        "POST",
        &format!("/printers/{key}/location"),
        &[("Cookie", &admin), ("Origin", &origin), ("Content-Type", "application/x-www-form-urlencoded")],
        format!("csrf={csrf}&location=Lobby%0AINJECTED").as_bytes(),
    )
    .expect("location");
    assert!(status >= 400, "{status}");
    let (_, _, audit) =
        https_request(d.web, &ca, "GET", "/audit?action=printer.location", &[("Cookie", &admin)], b"").expect("audit");
    let audit = String::from_utf8_lossy(&audit);
    assert!(audit.contains("not one line") && !audit.contains("INJECTED"), "{audit}");
    // The helpdesk may not.
    let (session, _) = crate::console_pages::session_of(&d, "helpdesk", "helpdesk-Passw0rd-1");
    let (status, _, _) =
        https_request(d.web, &ca, "GET", "/labels.pdf?paper=a4", &[("Cookie", &session)], b"").expect("labels");
    assert_eq!(status, 403);
}

/// Wait up to `secs` for `cond`.
fn until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "{what} did not happen within {secs} s");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_phone_signs_in_at_a_label_prints_to_a_real_printer_and_is_refused_once_signed_out_or_the_label_rotated() {
    use pullprint_tests::browser::Browser;
    use pullprint_tests::peers::Avahi;
    let _avahi = Avahi::start();
    let w = crate::release::with_printer("", "alice", "12345678", "hp", false);
    let (site, eve) = (&w.site, &w.eve);
    site.cli(&["device", "set", "Eve", "--location", "Floor 3, by the lifts"]);
    let d = site.serve();
    let (first, second) = (pdf("Phone one", 1, 20_000), pdf("Phone two", 2, 20_000));
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &first).0, 200);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &second).0, 200);
    let url = format!("https://localhost:{}/r/{}", d.web.port(), label_of(site, "Eve"));
    let cert = d.data.join("tls/server.crt");

    // The label opens a sign-in page on a phone that is not signed in.
    let phone = Browser::phone(&cert);
    phone.goto(&url);
    phone.wait_for("#sign-in");
    assert!(phone.source().contains("Floor 3, by the lifts"), "the printer's location is shown");
    assert!(phone.fits_width(), "the sign-in page fits a phone's width");
    phone.assert_accessible("the phone sign-in page");
    phone.screenshot("phone-sign-in");
    phone.submit(&[("#login", "alice"), ("#password", "not-her-password")], "#sign-in-button");
    phone.wait_for("#notice");
    assert!(phone.text("#notice").contains("not recognised"), "{}", phone.text("#notice"));
    phone.submit(&[("#login", "alice"), ("#password", "alice-Passw0rd-1")], "#sign-in-button");
    phone.wait_for("#jobs");
    assert!(phone.text("#notice").contains("signed in for printing"), "{}", phone.text("#notice"));
    assert_eq!(phone.source().matches("data-state=\"held\"").count(), 2, "both jobs are listed");
    phone.assert_accessible("the phone's job list");
    assert!(phone.fits_width(), "the job list fits a phone's width");
    phone.screenshot("phone-jobs");

    // One job (the newest, listed first), then Print All for the rest.
    phone.click("#jobs li:first-child input[type=checkbox]");
    phone.click("#print-selected");
    phone.wait_for("#notice");
    assert!(phone.text("#notice").contains("1 document(s) sent to Eve"), "{}", phone.text("#notice"));
    until(30, "the first print", || eve.documents().len() == 1);
    assert!(eve.documents()[0].1 == second, "the printer got the chosen job, byte for byte");
    // The page follows the release to its end, as the printer reports it.
    phone.wait_for("#recent li[data-outcome='printed']");
    phone.screenshot("phone-printed");
    phone.click("#print-all");
    phone.wait_for("#notice");
    assert!(phone.text("#notice").contains("1 document(s) sent"), "{}", phone.text("#notice"));
    until(30, "the second print", || eve.documents().len() == 2);
    assert!(eve.documents()[1].1 == first);

    // "Print at once": scanning the label prints what waits, with no list first.
    phone.goto(&format!("{url}?list"));
    phone.click("#at-once");
    phone.click("#save-at-once");
    phone.wait_for("#notice");
    assert!(phone.text("#notice").contains("Saved"), "{}", phone.text("#notice"));
    let third = pdf("Phone three", 3, 20_000);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &third).0, 200);
    phone.goto(&url);
    phone.wait_for("#notice");
    assert!(phone.text("#notice").contains("sent to Eve"), "{}", phone.text("#notice"));
    until(30, "the print at once", || eve.documents().len() == 3);
    assert!(eve.documents()[2].1 == third);

    // On her workstation's /me page she sees the phone, and signs it out.
    // The phone first leaves its page, which refreshes itself while a
    // release is under way: a refresh after the sign-out would show the
    // refusal, and clear the dead cookie, before the phone is looked at.
    phone.goto(&format!("https://localhost:{}/me", d.web.port()));
    phone.wait_for("#phones-form");
    let desk = Browser::start(1280, 1000, &cert);
    let web = format!("https://localhost:{}", d.web.port());
    desk.goto(&format!("{web}/me"));
    desk.submit(&[("#phone-login", "alice"), ("#phone-password", "alice-Passw0rd-1")], "#my-phones");
    desk.wait_for("#phones");
    assert!(desk.text("#phones").contains("Android, Chrome"), "{}", desk.text("#phones"));
    desk.assert_accessible("the /me phones page");
    desk.screenshot("me-phones");
    desk.click("#phones button");
    desk.wait_for("#no-phones");
    // Each showing of the page gives a new code, and the one before stops working.
    let shot = desk.screenshot("me-phones-signed-out");
    assert!(desk.text("#notice").contains("signed out"), "{}", desk.text("#notice"));
    // The signed-out phone is refused: it is asked to sign in again, and prints nothing.
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &pdf("Phone four", 4, 20_000)).0, 200);
    phone.goto(&url);
    phone.wait_for("#sign-in");
    assert!(phone.text("#notice").contains("no longer signed in"), "{}", phone.text("#notice"));
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(eve.documents().len(), 3, "a signed-out phone prints nothing");

    // The one-time code of the /me page, read from the screen as a camera would, binds the phone again.
    let bind_url = decode(std::slice::from_ref(&shot)).pop().expect("a code on the /me page");
    assert!(bind_url.starts_with(&format!("{web}/p/")), "{bind_url}");
    phone.goto(&bind_url);
    phone.click("#bind");
    phone.wait_for("#bound");
    phone.goto(&format!("{url}?list"));
    phone.wait_for("#jobs");
    phone.goto(&bind_url);
    phone.wait_for("#expired");

    // A stolen label, rotated: the old address is "not in use", and so is one never issued.
    site.cli(&["device", "rotate-label", "Eve"]);
    phone.goto(&url);
    phone.wait_for("#unknown");
    let page = phone.source();
    assert!(!page.contains("Eve") && !page.contains("Floor 3"), "an old label reveals nothing of the printer");
    phone.screenshot("phone-unknown-label");
    phone.goto(&format!("https://localhost:{}/r/00000000-0000-4000-8000-000000000000", d.web.port()));
    phone.wait_for("#unknown");
    phone.goto(&format!("https://localhost:{}/r/{}?list", d.web.port(), label_of(site, "Eve")));
    phone.wait_for("#jobs");
    drop((phone, desk));
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains("alice-Passw0rd-1"), "no password in the log");
}

#[test]
fn a_phones_releases_are_rate_limited_audited_and_the_helpdesk_signs_a_phone_out() {
    let site = Site::new("");
    site.user("alice", "12345678");
    site.staff("admin", "PullprintAdmins");
    site.printer("Lobby", "hp", "127.0.0.5");
    let d = site.serve();
    let ca = d.data.join("tls/ca.crt");
    let label = label_of(&site, "Lobby");
    let origin = format!("https://{}", d.web);
    let post = |path: &str, cookie: &str, body: &str| {
        let mut h = vec![("Origin", origin.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        if !cookie.is_empty() {
            h.push(("Cookie", cookie));
        }
        let (status, headers, body) = https_request(d.web, &ca, "POST", path, &h, body.as_bytes()).expect("request");
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    };
    // A form posted from another site is refused.
    let (status, _, _) = https_request(
        d.web,
        &ca,
        "POST",
        &format!("/r/{label}/sign-in"),
        &[("Origin", "https://evil.example"), ("Content-Type", "application/x-www-form-urlencoded")],
        b"login=alice&password=alice-Passw0rd-1",
    )
    .expect("request");
    assert_eq!(status, 403);
    let (status, headers, _) = post(&format!("/r/{label}/sign-in"), "", "login=alice&password=alice-Passw0rd-1");
    assert_eq!(status, 303, "{headers}");
    let set = headers
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie: __host-pp-phone="))
        .expect("the phone's cookie")
        .to_owned();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    let cookie = set.split_once(": ").expect("header").1.split(';').next().expect("value").to_owned();
    // Nothing waits: each try is counted, and the eleventh in a minute is refused.
    for _ in 0..10 {
        let (status, _, page) = post(&format!("/r/{label}/release"), &cookie, "all=1");
        assert_eq!(status, 200);
        assert!(page.contains("no documents waiting"), "{page}");
    }
    let (_, _, page) = post(&format!("/r/{label}/release"), &cookie, "all=1");
    assert!(page.contains("wait") && page.contains("seconds"), "{page}");
    // The audit log has the binding and the releases, with the refusal.
    let (admin, _) = crate::console_pages::session_of(&d, "admin", "admin-Passw0rd-1");
    let (_, _, audit) =
        https_request(d.web, &ca, "GET", "/audit?action=phone.release", &[("Cookie", &admin)], b"").expect("audit");
    let audit = String::from_utf8_lossy(&audit);
    assert!(audit.contains("too many releases in a minute"), "{audit}");
    let (_, _, audit) =
        https_request(d.web, &ca, "GET", "/audit?action=phone.bind", &[("Cookie", &admin)], b"").expect("audit");
    assert!(String::from_utf8_lossy(&audit).contains("alice"));
    // The helpdesk sees the phone on alice's page and signs it out.
    let (_, _, person) = https_request(d.web, &ca, "GET", "/users/alice", &[("Cookie", &admin)], b"").expect("person");
    let person = String::from_utf8_lossy(&person).into_owned();
    let id = person.split("data-phone=\"").nth(1).and_then(|s| s.split('"').next()).expect("a phone listed").to_owned();
    let csrf =
        person.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_owned();
    let (status, _, _) = post("/users/alice/revoke-phone", &admin, &format!("csrf={csrf}&phone={id}"));
    assert_eq!(status, 303);
    let (_, headers, page) = post(&format!("/r/{label}/release"), &cookie, "all=1");
    assert!(page.contains("no longer signed in") && page.contains("id=\"sign-in\""), "{page}");
    assert!(headers.contains("__Host-pp-phone=;"), "the dead cookie is cleared: {headers}");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

#[test]
fn a_signed_in_phone_is_set_up_to_print_and_ipptool_prints_with_its_token_as_the_phone_would() {
    use pullprint_tests::browser::Browser;
    let site = Site::new("");
    site.user("alice", "12345678");
    site.printer("Lobby", "hp", "127.0.0.5");
    let d = site.serve();
    let web = format!("https://localhost:{}", d.web.port());
    let phone = Browser::phone(&d.data.join("tls/server.crt"));
    // Not signed in yet: it is told how.
    phone.goto(&format!("{web}/phone/setup"));
    phone.wait_for("#not-signed-in");
    phone.goto(&format!("{web}/r/{}", label_of(&site, "Lobby")));
    phone.submit(&[("#login", "alice"), ("#password", "alice-Passw0rd-1")], "#sign-in-button");
    phone.wait_for("#none");
    phone.click("#setup");
    phone.wait_for("#make-token");
    assert_eq!(phone.text("#queue-uri"), format!("ipps://localhost:{}/ipp/print", d.ipp.port()));
    phone.click("#make-token");
    phone.wait_for("#token");
    let token = phone.text("#token");
    assert_eq!(phone.text("#token-user"), "alice");
    assert!(token.starts_with("ppt-"), "{token}");
    assert!(phone.fits_width(), "the set-up page fits a phone's width");
    phone.assert_accessible("the phone set-up page");
    phone.screenshot("phone-setup");

    // The phone's print service, played by ipptool: IPP Everywhere, the token as the password.
    let pdf = pullprint_tests::peers::samples().join("five-pages.pdf");
    let print = |password: &str| {
        Command::new("ipptool")
            .args(["-tv", "-f"])
            .arg(&pdf)
            .arg(format!("ipps://alice:{password}@{}/ipp/print", d.ipp))
            .arg("print-job.test")
            .output()
            .expect("ipptool")
    };
    let run = print(&token);
    assert!(run.status.success() && text(&run).contains("job-state (enum) = pending-held"), "{}", text(&run));
    let wrong = print("ppt-00000-00000-00000-00000-00000");
    assert!(!wrong.status.success(), "a wrong token is refused: {}", text(&wrong));
    phone.goto(&format!("{web}/r/{}?list", label_of(&site, "Lobby")));
    phone.wait_for("#jobs");
    assert_eq!(phone.source().matches("data-state=\"held\"").count(), 1, "the job from the phone waits");

    // The iPhone profile: for the signed-in phone only, a well-formed plist naming the queue.
    let cookie = format!("__Host-pp-phone={}", phone.cookie("__Host-pp-phone").expect("the phone's cookie"));
    let ca = d.data.join("tls/ca.crt");
    let path = "/phone/printer.mobileconfig";
    let (status, _, _) = https_request(d.web, &ca, "GET", path, &[], b"").expect("profile");
    assert_eq!(status, 401);
    let (status, h, body) = https_request(d.web, &ca, "GET", path, &[("Cookie", &cookie)], b"").expect("profile");
    assert_eq!(status, 200, "{h}");
    assert!(h.contains("application/x-apple-aspen-config"), "{h}");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("p.mobileconfig"), &body).expect("write");
    let read = Command::new("python3")
        .arg("-c")
        .arg(
            "import plistlib,sys; p=plistlib.load(open(sys.argv[1],'rb')); a=p['PayloadContent'][0]['AirPrint'][0]; \
             print(p['PayloadType'], p['PayloadContent'][0]['PayloadType'], a['IPAddress'], a['Port'], a['ResourcePath'], a['ForceTLS'])",
        )
        .arg(dir.path().join("p.mobileconfig"))
        .output()
        .expect("python3");
    assert_eq!(
        text(&read).trim(),
        format!("Configuration com.apple.airprint localhost {} /ipp/print True", d.ipp.port()),
        "{}",
        text(&read)
    );
    drop(phone);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains(&token), "the token is not logged");
}
