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
    // The helpdesk may not.
    let (session, _) = crate::console_pages::session_of(&d, "helpdesk", "helpdesk-Passw0rd-1");
    let (status, _, _) =
        https_request(d.web, &ca, "GET", "/labels.pdf?paper=a4", &[("Cookie", &session)], b"").expect("labels");
    assert_eq!(status, 403);
}
