//! Verified release to real printers: ippeveprinter over IPPS (and IPP or
//! RAW only where a printer's dangerous setting allows), a printer killed
//! mid-release, the appliance killed mid-release, and many printers at once.
//! Releases are asked for as a person does: a badge at the printer's panel.

use pullprint_tests::peers::{Avahi, EveOptions, EvePrinter, localhost_certificate, samples};
use pullprint_tests::site::{Site, api, badge_login};
use pullprint_tests::*;
use serde_json::{Value, json};
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sign in with `card` at printer `cred` and ask for `ids` (all when `None`) to print there.
pub(crate) fn release(d: &Daemon, cred: &str, card: &str, ids: Option<&[String]>) {
    let (code, v) = badge_login(d, cred, card);
    assert_eq!(code, 201, "{v}");
    let s = v["session"].as_str().expect("session");
    let body = match ids {
        Some(ids) => json!({ "ids": ids }),
        None => json!({}),
    };
    let (code, v) = api(d, "POST", "/panel/v1/jobs/release", cred, Some(s), Some(body));
    assert_eq!(code, 202, "{v}");
}

/// The user's job list as the panel of `cred` shows it.
pub(crate) fn jobs(d: &Daemon, cred: &str, card: &str) -> Vec<Value> {
    let (_, v) = badge_login(d, cred, card);
    let s = v["session"].as_str().expect("session").to_owned();
    let (code, v) = api(d, "GET", "/panel/v1/jobs", cred, Some(&s), None);
    assert_eq!(code, 200, "{v}");
    api(d, "DELETE", "/panel/v1/sessions/current", cred, Some(&s), None);
    v["jobs"].as_array().cloned().unwrap_or_default()
}

/// Wait up to `secs` for `cond`; panic with `what` and the daemon's log otherwise.
pub(crate) fn wait(d: &Daemon, secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "{what} did not happen within {secs} s:\n{}", d.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The release state of the user's only job, and its message.
pub(crate) fn only_release(d: &Daemon, cred: &str, card: &str) -> (String, String) {
    let j = jobs(d, cred, card);
    assert_eq!(j.len(), 1, "{j:?}");
    let r = &j[0]["release"];
    (r["state"].as_str().unwrap_or("").to_owned(), r["message"].as_str().unwrap_or("").to_owned())
}

/// A TCP listener on loopback that keeps every byte it is sent.
struct Sink {
    port: u16,
    got: Arc<Mutex<Vec<u8>>>,
}

impl Sink {
    fn start() -> Sink {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let keep = got.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { return };
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf);
                keep.lock().expect("lock").extend_from_slice(&buf);
            }
        });
        Sink { port, got }
    }

    fn bytes(&self) -> Vec<u8> {
        self.got.lock().expect("lock").clone()
    }
}

fn site_ca(site: &Site) -> (std::path::PathBuf, std::path::PathBuf) {
    (site.data.join("tls/ca.crt"), site.data.join("tls/ca.key"))
}

/// A site with `user` (badge `card`) and one ippeveprinter, "Eve", serving
/// a certificate from the site's CA, registered and pointed at.
pub(crate) struct WithPrinter {
    pub(crate) site: Site,
    pub(crate) eve: EvePrinter,
    /// Eve's panel credential.
    pub(crate) cred: String,
    /// How Eve was started, to start it again.
    opts: EveOptions,
    /// The SHA-256 of Eve's certificate.
    cert_sha: String,
    pub(crate) _certs: tempfile::TempDir,
}

pub(crate) fn with_printer(extra: &str, user: &str, card: &str, vendor: &str, slow: bool) -> WithPrinter {
    with_printer_as(extra, user, card, vendor, EveOptions { slow, ..EveOptions::default() })
}

/// As [`with_printer`], with Eve started as `base` says (her certificate aside).
fn with_printer_as(extra: &str, user: &str, card: &str, vendor: &str, base: EveOptions) -> WithPrinter {
    let site = Site::new(extra);
    site.user(user, card);
    let certs = world_traversable_tempdir();
    let (ca_crt, ca_key) = site_ca(&site);
    let (crt, key, cert_sha) = localhost_certificate(certs.path(), Some((&ca_crt, &ca_key)));
    let opts = EveOptions { cert: Some((crt, key)), ..base };
    let eve = EvePrinter::start_with("Eve", &opts);
    let cred = site.printer("Eve", vendor, "localhost");
    site.cli(&["device", "set", "Eve", "--uri", &format!("ipps://localhost:{}/ipp/print", eve.port)]);
    WithPrinter { site, eve, cred, opts, cert_sha, _certs: certs }
}

#[test]
fn ipps_to_ippeveprinter_delivers_the_very_bytes_and_checks_the_printers_certificate() {
    let _avahi = Avahi::start();
    let WithPrinter { site, eve, cred, cert_sha: sha, _certs, .. } = with_printer("", "alice", "12345678", "hp", false);
    let d = site.serve();

    // The certificate chains to the internal CA: it prints, and the job is shredded.
    let doc = pdf("Quarterly report", 1, 300_000);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &doc).0, 200);
    release(&d, &cred, "12345678", None);
    wait(&d, 30, "the release", || jobs(&d, &cred, "12345678").is_empty());
    let printed = eve.documents();
    assert_eq!(printed.len(), 1, "{:?}", printed.iter().map(|p| &p.0).collect::<Vec<_>>());
    assert!(printed[0].1 == doc, "the printer got other bytes than were submitted");
    assert!(printed[0].0.contains("quarterly_report"), "the job name: {}", printed[0].0);
    let shown = site.cli(&["device", "show", "Eve"]);
    assert!(shown.contains("application/pdf") && shown.contains("internal CA"), "{shown}");

    // A pin that does not match: refused, nothing sent, the job stays.
    site.cli(&["device", "set", "Eve", "--tls-pin", &"ab".repeat(32)]);
    let doc2 = pdf("Boarding pass", 2, 50_000);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &doc2).0, 200);
    release(&d, &cred, "12345678", None);
    wait(&d, 10, "the refusal", || only_release(&d, &cred, "12345678").0 == "failed");
    let (_, why) = only_release(&d, &cred, "12345678");
    assert!(why.contains("does not match the one pinned"), "{why}");
    assert_eq!(eve.documents().len(), 1, "nothing reached the printer");

    // The right pin: it prints, once.
    site.cli(&["device", "set", "Eve", "--tls-pin", &sha]);
    release(&d, &cred, "12345678", None);
    wait(&d, 30, "the release", || jobs(&d, &cred, "12345678").is_empty());
    let printed = eve.documents();
    assert_eq!(printed.len(), 2);
    assert!(printed[1].1 == doc2);

    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    let recs = open_store(&site.data).release_records_since(0, 10).expect("records");
    let outcomes: Vec<(&str, &str, bool)> =
        recs.iter().map(|r| (r.outcome.as_str(), r.transport.as_str(), r.printer_job.is_some())).collect();
    assert_eq!(outcomes, [("printed", "ipps", true), ("failed", "ipps", false), ("printed", "ipps", true)]);
    assert!(recs.iter().all(|r| r.owner == "alice" && r.by == "alice" && r.pages == Some(1)));
}

#[test]
fn plaintext_ipp_and_raw_are_used_only_where_allowed() {
    let _avahi = Avahi::start();
    let site = Site::new("");
    site.user("bob", "87654321");
    // ippeveprinter with the certificate it makes itself, which has no
    // subjectAltName: IPPS to it fails, as it does to many office printers.
    let eve = EvePrinter::start("Eve plain");
    let sink = Sink::start();
    let raw = Sink::start();
    let plain = site.printer("Plain only", "xerox", "127.0.0.1");
    site.cli(&["device", "set", "Plain only", "--uri", &format!("ipp://127.0.0.1:{}/ipp/print", sink.port)]);
    let eve_cred = site.printer("Eve", "km", "localhost");
    site.cli(&["device", "set", "Eve", "--uri", &format!("ipps://localhost:{}/ipp/print", eve.port)]);
    let raw_cred = site.printer("Raw", "ricoh", "127.0.0.2");
    site.cli(&["device", "set", "Raw", "--uri", &format!("socket://127.0.0.1:{}", raw.port)]);
    let d = site.serve();
    let doc = pdf("Payslip", 3, 20_000);
    assert_eq!(d.print_as("bob", "bob-Passw0rd-1", &doc).0, 200);

    // Plain IPP not allowed: refused with the reason; not one byte left.
    release(&d, &plain, "87654321", None);
    wait(&d, 10, "the refusal", || only_release(&d, &plain, "87654321").0 == "failed");
    let (_, why) = only_release(&d, &plain, "87654321");
    assert!(why.contains("unencrypted") && why.contains("not allowed"), "{why}");
    // IPPS that fails without a fallback: refused too.
    release(&d, &eve_cred, "87654321", None);
    wait(&d, 10, "the refusal", || only_release(&d, &eve_cred, "87654321").0 == "failed");
    assert!(only_release(&d, &eve_cred, "87654321").1.contains("secure connection"));
    // RAW not allowed.
    release(&d, &raw_cred, "87654321", None);
    wait(&d, 10, "the refusal", || only_release(&d, &raw_cred, "87654321").0 == "failed");
    std::thread::sleep(Duration::from_millis(300));
    assert!(sink.bytes().is_empty() && raw.bytes().is_empty(), "plaintext left the appliance");
    assert!(eve.documents().is_empty());

    // With the fallback allowed, a certificate that fails its check is
    // still refused: a machine in the middle can show any certificate, so
    // only a TLS port where nothing answers may fall back (security review,
    // finding 8). Nothing leaves in plaintext.
    site.cli(&["device", "set", "Eve", "--dangerous-allow", "ipp"]);
    let (_, health) = d.health().expect("health");
    assert!(health.contains("dangerous_allow ipp"), "{health}");
    release(&d, &eve_cred, "87654321", None);
    wait(&d, 10, "the refusal", || only_release(&d, &eve_cred, "87654321").0 == "failed");
    let (_, why) = only_release(&d, &eve_cred, "87654321");
    assert!(why.contains("secure connection") && why.contains("not trusted"), "{why}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(eve.documents().is_empty(), "the job went out in plaintext after a certificate failure");

    // RAW, allowed: the very bytes, recorded as unverified.
    let doc2 = pdf("Label", 4, 10_000);
    assert_eq!(d.print_as("bob", "bob-Passw0rd-1", &doc2).0, 200);
    site.cli(&["device", "set", "Raw", "--dangerous-allow", "socket"]);
    release(&d, &raw_cred, "87654321", None);
    wait(&d, 30, "the release over RAW", || jobs(&d, &raw_cred, "87654321").is_empty());
    // Both of bob's parked jobs go (the payslip Eve was refused, then the
    // label), in the order they were printed.
    assert!(raw.bytes() == [doc.as_slice(), doc2.as_slice()].concat(), "RAW got {} bytes", raw.bytes().len());

    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(log.contains("DOWNGRADE"), "downgrades are logged:\n{log}");
    let recs = open_store(&site.data).release_records_since(0, 10).expect("records");
    let ends: Vec<(&str, &str)> = recs.iter().map(|r| (r.outcome.as_str(), r.transport.as_str())).collect();
    assert_eq!(
        ends,
        [
            ("failed", ""),
            ("failed", "ipps"),
            ("failed", ""),
            ("failed", "ipps"),
            ("sent-unverified", "socket"),
            ("sent-unverified", "socket")
        ]
    );
}

#[test]
fn a_printer_killed_mid_release_keeps_the_job_and_a_retry_prints_it_once() {
    let _avahi = Avahi::start();
    let WithPrinter { site, eve, cred, opts, _certs, .. } = with_printer("", "alice", "12345678", "lexmark", false);
    let port = eve.port;
    let mut d = site.serve();
    let doc = pdf("Large scan", 5, 192 << 20);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &doc).0, 200);
    release(&d, &cred, "12345678", None);
    // Freeze the printer as soon as the document starts to arrive, then kill it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let arrived = |eve: &EvePrinter| std::fs::read_dir(&eve.spool).map(|d| d.count()).unwrap_or(0);
    while arrived(&eve) == 0 {
        assert!(Instant::now() < deadline, "nothing reached the printer:\n{}", d.log());
        std::thread::sleep(Duration::from_millis(1));
    }
    let pid = nix::unistd::Pid::from_raw(eve.pid());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).expect("SIGSTOP");
    std::thread::sleep(Duration::from_millis(200));
    let partial = eve.documents().len();
    drop(eve);
    let killed = Instant::now();
    wait(&d, 10, "the failure to show", || only_release(&d, &cred, "12345678").0 == "failed");
    assert!(killed.elapsed() < Duration::from_secs(10));
    let (_, why) = only_release(&d, &cred, "12345678");
    assert!(why.contains("broke") || why.contains("cannot be reached"), "{why}");
    assert_eq!(partial, 1);

    // The job is still held and still decrypts whole.
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    {
        let store = open_store(&site.data);
        let held = store.jobs_of("alice").expect("jobs");
        assert_eq!(held.len(), 1);
        store.verify(held[0].id).expect("the held job decrypts");
    }
    d = site.serve();

    // The printer comes back (on its address, with a fresh spool); a retry prints once.
    let eve = EvePrinter::start_with("Eve", &EveOptions { port: Some(port), ..opts });
    release(&d, &cred, "12345678", None);
    wait(&d, 60, "the retry", || jobs(&d, &cred, "12345678").is_empty());
    let printed = eve.documents();
    assert_eq!(printed.len(), 1);
    assert!(printed[0].1 == doc, "the retry delivered other bytes");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

#[test]
fn neither_a_killed_appliance_nor_a_lost_printer_makes_a_job_print_twice() {
    let _avahi = Avahi::start();
    // A printer that takes 5 to 15 s to print each job.
    let extra = "[release]\nlost_contact_after = \"2s\"\npoll_interval = \"200ms\"\n";
    let WithPrinter { site, eve, cred, _certs, .. } = with_printer(extra, "alice", "12345678", "xerox", true);
    let mut d = site.serve();

    // kill -9 of the appliance while the printer prints: after the restart
    // it follows the same printer job to its end.
    let doc = pdf("Contract", 6, 40_000);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &doc).0, 200);
    release(&d, &cred, "12345678", None);
    wait(&d, 20, "printing", || only_release(&d, &cred, "12345678").0 == "printing");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(d.pid()), nix::sys::signal::Signal::SIGKILL).expect("kill");
    let _ = d.child.wait();
    d = site.serve();
    wait(&d, 40, "the resumed release", || jobs(&d, &cred, "12345678").is_empty());
    assert_eq!(eve.documents().len(), 1, "printed once");

    // The printer falls silent while it prints: the release fails (the job
    // stays held). It then finishes after all; the retry finds the job on
    // the printer and does not send it again.
    let doc2 = pdf("Invoice", 7, 40_000);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &doc2).0, 200);
    release(&d, &cred, "12345678", None);
    wait(&d, 20, "printing", || only_release(&d, &cred, "12345678").0 == "printing");
    let pid = nix::unistd::Pid::from_raw(eve.pid());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).expect("SIGSTOP");
    wait(&d, 20, "lost contact", || only_release(&d, &cred, "12345678").0 == "failed");
    assert!(only_release(&d, &cred, "12345678").1.contains("lost contact"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).expect("SIGCONT");
    release(&d, &cred, "12345678", None);
    wait(&d, 40, "the retry", || jobs(&d, &cred, "12345678").is_empty());
    let printed = eve.documents();
    assert_eq!(printed.len(), 2, "{:?}", printed.iter().map(|p| &p.0).collect::<Vec<_>>());
    assert!(printed[0].1 == doc && printed[1].1 == doc2);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

#[test]
fn twenty_jobs_released_at_once_to_five_printers_arrive_once_each_in_order() {
    let _avahi = Avahi::start();
    let site = Site::new("");
    site.user("alice", "12345678");
    let certs = world_traversable_tempdir();
    let (ca_crt, ca_key) = site_ca(&site);
    let (crt, key, _) = localhost_certificate(certs.path(), Some((&ca_crt, &ca_key)));
    let mut printers = Vec::new();
    for i in 0..5 {
        let eve = EvePrinter::start_with(
            &format!("Eve {i}"),
            &EveOptions { cert: Some((crt.clone(), key.clone())), ..EveOptions::default() },
        );
        let name = format!("Floor {i}");
        let cred = site.printer(&name, "hp", &format!("127.0.1.{}", i + 1));
        site.cli(&["device", "set", &name, "--uri", &format!("ipps://localhost:{}/ipp/print", eve.port)]);
        printers.push((eve, cred));
    }
    let d = site.serve();
    let docs: Vec<Vec<u8>> = (0..20).map(|i| pdf(&format!("Doc {i:02}"), 100 + i, 30_000)).collect();
    for doc in &docs {
        assert_eq!(d.print_as("alice", "alice-Passw0rd-1", doc).0, 200);
    }
    let mut listed = jobs(&d, &printers[0].1, "12345678");
    listed.sort_by_key(|j| j["submitted_at_ms"].as_u64());
    let ids: Vec<String> = listed.iter().map(|j| j["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(ids.len(), 20);
    std::thread::scope(|s| {
        for (p, (_, cred)) in printers.iter().enumerate() {
            let mine: Vec<String> = ids.iter().skip(p).step_by(5).cloned().collect();
            let d = &d;
            s.spawn(move || release(d, cred, "12345678", Some(&mine)));
        }
    });
    wait(&d, 90, "all releases", || jobs(&d, &printers[0].1, "12345678").is_empty());
    for (p, (eve, _)) in printers.iter().enumerate() {
        let got = eve.documents();
        let want: Vec<&Vec<u8>> = docs.iter().skip(p).step_by(5).collect();
        assert_eq!(got.len(), 4, "printer {p}: {:?}", got.iter().map(|g| &g.0).collect::<Vec<_>>());
        for (g, w) in got.iter().zip(want) {
            assert!(&g.1 == w, "printer {p} got {} out of order or altered", g.0);
        }
    }
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

#[test]
fn the_demo_releases_to_the_printer_its_banner_names() {
    // As the README says: `pullprint demo`, an ippeveprinter on
    // localhost:8631 with the keys the demo made, print as alice, badge in
    // at the demo printer's panel.
    let _avahi = Avahi::start();
    let t = world_traversable_tempdir();
    let data = t.path().join("demo");
    let d = Daemon::start(&demo_args(&data).iter().map(String::as_str).collect::<Vec<_>>(), &data, &[])
        .expect("demo starts");
    let log = d.log();
    let cred = log
        .split(|c: char| c.is_whitespace() || c == '=')
        .find(|w| w.starts_with("ppd-"))
        .expect("the demo printer's credential in the banner")
        .to_owned();
    assert!(log.contains("ipps://localhost:8631/ipp/print"), "{log}");
    let keys = data.join("demo-printer");
    let eve = EvePrinter::start_with(
        "Demo printer",
        &EveOptions {
            port: Some(8631),
            cert: Some((keys.join("localhost.crt"), keys.join("localhost.key"))),
            ..EveOptions::default()
        },
    );
    let doc = pdf("Demo page", 9, 10_000);
    assert_eq!(d.print_as("alice", "pullprint-demo", &doc).0, 200);
    release(&d, &cred, "12345678", None);
    wait(&d, 30, "the demo release", || jobs(&d, &cred, "12345678").is_empty());
    assert!(eve.documents().len() == 1 && eve.documents()[0].1 == doc);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

#[test]
fn admins_release_list_and_withdraw_from_the_command_line() {
    let _avahi = Avahi::start();
    let WithPrinter { site, eve, cred, _certs, .. } = with_printer("", "alice", "12345678", "ricoh", false);
    let d = site.serve();
    for (i, title) in ["Minutes", "Agenda"].iter().enumerate() {
        assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &pdf(title, 20 + i as u64, 5_000)).0, 200);
    }
    let mut listed = jobs(&d, &cred, "12345678");
    listed.sort_by_key(|j| j["submitted_at_ms"].as_u64());
    let ids: Vec<String> = listed.iter().map(|j| j["id"].as_str().expect("id").to_owned()).collect();
    assert!(site.cli(&["release", "list"]).contains("No releases"));
    let out = site.cli(&["release", "print", &ids[0], "--at", "Eve"]);
    assert!(out.contains("queued at Eve"), "{out}");
    wait(&d, 30, "the admin's release", || eve.documents().len() == 1);
    // A printer that cannot be reached: the failure is listed with its reason.
    site.cli(&["device", "set", "Eve", "--uri", "ipps://127.0.0.1:9/ipp/print"]);
    site.cli(&["release", "print", &ids[1], "--at", "Eve"]);
    wait(&d, 15, "the failure to be listed", || site.cli(&["release", "list"]).contains("failed"));
    let list = site.cli(&["release", "list"]);
    assert!(list.contains("Agenda") && list.contains("cannot be reached"), "{list}");
    assert!(site.cli(&["release", "cancel", &ids[1]]).contains("withdrawn"));
    assert!(site.cli(&["release", "list"]).contains("No releases"));
    let o = pullprint(&["--config", site.cfg.to_str().expect("utf8"), "release", "print", &ids[1], "--at", "Nowhere"]);
    assert!(!o.status.success() && text(&o).contains("no printer \"Nowhere\""), "{}", text(&o));
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(log.contains("control: uid"), "admin releases are logged:\n{log}");
}

#[test]
fn jobs_sent_ahead_while_the_printer_prints_survive_a_kill_and_print_once_in_order() {
    let _avahi = Avahi::start();
    // A printer that takes 5 to 15 s a job, one at a time, answering
    // server-error-busy meanwhile: Print All of three jobs offers the next
    // while the printer prints the one before, and backs off while busy.
    let WithPrinter { site, eve, cred, _certs, .. } = with_printer("", "alice", "12345678", "hp", true);
    let mut d = site.serve();
    let docs: Vec<Vec<u8>> = (0..3).map(|i| pdf(&format!("Chapter {i}"), 40 + i, 20_000)).collect();
    for doc in &docs {
        assert_eq!(d.print_as("alice", "alice-Passw0rd-1", doc).0, 200);
    }
    release(&d, &cred, "12345678", None);
    let states = |d: &Daemon| -> Vec<String> {
        jobs(d, &cred, "12345678").iter().map(|j| j["release"]["state"].as_str().unwrap_or("").to_owned()).collect()
    };
    wait(&d, 20, "one job printing and the next offered", || {
        let s = states(&d);
        s.iter().any(|x| x == "printing") && s.iter().any(|x| x == "sending")
    });
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(d.pid()), nix::sys::signal::Signal::SIGKILL).expect("kill");
    let _ = d.child.wait();
    d = site.serve();
    wait(&d, 90, "all three to print", || jobs(&d, &cred, "12345678").is_empty());
    let got = eve.documents();
    assert_eq!(got.len(), 3, "{:?}", got.iter().map(|g| &g.0).collect::<Vec<_>>());
    for (g, want) in got.iter().zip(&docs) {
        assert!(&g.1 == want, "{} out of order or altered", g.0);
    }
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

/// Printer-side attacks: a real Ghostscript PostScript job and a real PCL 5
/// job, each wrapped in PJL and carrying PostScript or PCL that would change
/// the printer for good (leave the job's encapsulation, set system
/// parameters and passwords, delete files, keep permanent macros and fonts)
/// or multiply the copies, are released to ippeveprinter. What it spools
/// never carries those commands intact, the pages are all there, and the
/// log says what was neutralised (the job's metadata carries the same notes).
#[test]
fn device_control_in_postscript_and_pcl_never_reaches_the_printer_intact() {
    let _avahi = Avahi::start();
    let base = EveOptions { pdls: true, ..EveOptions::default() };
    let WithPrinter { site, eve, cred, _certs, .. } = with_printer_as("", "alice", "12345678", "hp", base);
    let d = site.serve();
    let uel = b"\x1b%-12345X";
    let pjl = |language: &str| {
        format!(
            "@PJL JOB NAME=\"Attack\"\r\n@PJL SET PASSWORD=0\r\n@PJL SET COPIES=99\r\n@PJL SET QTY=9\r\n\
             @PJL FSDELETE NAME=\"0:\\\\webServer\"\r\n@PJL ENTER LANGUAGE={language}\r\n"
        )
    };

    let driver_ps = std::fs::read(samples().join("five-pages-driver.ps")).expect("sample");
    let mut ps = uel.to_vec();
    ps.extend_from_slice(pjl("POSTSCRIPT").as_bytes());
    ps.extend_from_slice(
        b"%!PS-Adobe-3.0\nserverdict begin 0 exitserver\ntrue 0 startjob pop\n\
          << /Password 0 /SystemParamsPassword (owned) >> setsystemparams\n\
          (%disk0%/etc/x) deletefile (%disk0%/a) (%disk0%/b) renamefile\n\
          << /NumCopies 40 >> setpagedevice /#copies 40 def\n",
    );
    ps.extend_from_slice(&driver_ps);
    ps.extend_from_slice(uel);
    ps.extend_from_slice(b"@PJL EOJ\r\n");
    ps.extend_from_slice(uel);

    let pcl5 = std::fs::read(samples().join("five-pages.pcl")).expect("sample");
    let mut pcl = uel.to_vec();
    pcl.extend_from_slice(pjl("PCL").as_bytes());
    // Copies, a macro made permanent, a soft font made permanent, every
    // macro and font deleted; then the real job.
    pcl.extend_from_slice(b"\x1bE\x1b&l40X\x1b&f7Y\x1b&f0X\x1bE\x1b&f1X\x1b&f10X\x1b*c9d6F\x1b&f6X\x1b*c0F");
    pcl.extend_from_slice(&pcl5);
    pcl.extend_from_slice(uel);

    for (format, doc) in [("application/postscript", &ps), ("application/vnd.hp-pcl", &pcl)] {
        assert_eq!(d.print_format_as("alice", "alice-Passw0rd-1", format, doc), (200, Some(0)), "{format}");
    }
    release(&d, &cred, "12345678", None);
    wait(&d, 60, "the release", || jobs(&d, &cred, "12345678").is_empty());
    let printed = eve.documents();
    assert_eq!(printed.len(), 2, "{:?}", printed.iter().map(|p| &p.0).collect::<Vec<_>>());

    let spooled_ps = String::from_utf8_lossy(&printed[0].1).into_owned();
    for gone in ["exitserver", "startjob", "setsystemparams", "deletefile", "renamefile", "NumCopies", "#copies"] {
        assert!(!spooled_ps.contains(gone), "{gone} reached the printer");
    }
    for gone in ["PASSWORD", "COPIES", "QTY", "FSDELETE"] {
        assert!(!spooled_ps.contains(gone) && !String::from_utf8_lossy(&printed[1].1).contains(gone), "{gone}");
    }
    // The driver's PostScript is there, five pages of it, and still reads.
    assert_eq!(spooled_ps.matches("%%Page:").count(), 5, "the pages are all there");
    let pages = tempfile::tempdir().expect("tempdir");
    let at = pages.path().join("spooled.ps");
    std::fs::write(&at, &printed[0].1).expect("write");
    let gs = std::process::Command::new("gs")
        .args(["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=bbox"])
        .arg(&at)
        .output()
        .expect("gs");
    let gs_says = String::from_utf8_lossy(&gs.stderr);
    assert_eq!(gs_says.matches("%%BoundingBox").count(), 5, "Ghostscript renders five pages: {gs_says}");

    let spooled_pcl = &printed[1].1;
    for intact in [&b"\x1b&l40X"[..], b"\x1b&f10X", b"\x1b*c6F", b"\x1b&f6X", b"\x1b*c0F"] {
        assert!(!spooled_pcl.windows(intact.len()).any(|w| w == intact), "{:?} reached the printer", intact);
    }
    assert!(spooled_pcl.windows(pcl5.len()).any(|w| w == pcl5.as_slice()), "the PCL job itself is untouched");

    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains("owned"), "a payload's values never reach the log");
    for said in [
        "removed PJL commands that change the printer: SET PASSWORD, SET COPIES, SET QTY, FSDELETE",
        "neutralised PostScript",
        "neutralised PCL",
    ] {
        assert!(log.contains(said), "the log says {said:?}: {log}");
    }
    let recs = open_store(&site.data).release_records_since(0, 10).expect("records");
    assert_eq!(recs.iter().filter(|r| r.outcome == "printed").count(), 2);
}
