//! Device Scout against real printers' recordings served by Debian's
//! snmpsim: a fleet of more than 50 agents, a non-printer and silent
//! addresses on loopback; SNMPv3 authPriv; exclusions that are never
//! contacted.

use local_connector::scout::report::PrinterReport;
use local_connector::scout::walk::Walk;
use pullprint_tests::peers::free_port;
use pullprint_tests::snmp::{NOT_A_PRINTER, PRINTERS, Silent, Snmpsim, recordings};
use pullprint_tests::*;
use serde_json::Value;
use std::net::Ipv4Addr;

/// What the reader makes of a recording read whole from its file.
fn expected_report(file: &str) -> Value {
    let text = std::fs::read_to_string(recordings().join(file)).expect("recording");
    let walk = Walk::from_snmprec(&text).expect("a recording parses");
    serde_json::to_value(PrinterReport::from_walk(&walk).expect("a printer")).expect("json")
}

fn scan(args: &[&str]) -> (Vec<Value>, String) {
    let out = pullprint(&[&["scout", "scan"], args].concat());
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "scout scan failed: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (v.as_array().expect("a JSON array").clone(), stderr)
}

fn by_address(found: &[Value], a: Ipv4Addr) -> Option<&Value> {
    found.iter().find(|p| p["address"] == a.to_string())
}

/// 54 printers on 127.0.1.1-54 (the six recordings in turn), a Linux
/// server's agent on .55, silent addresses on .56-.60; .20-.24 excluded.
#[test]
fn a_sweep_finds_exactly_the_printers_reads_them_right_and_never_contacts_the_excluded() {
    let dir = world_traversable_tempdir();
    let port = free_port();
    let net = |n: u8| Ipv4Addr::new(127, 0, 1, n);
    let mut devices: Vec<(Ipv4Addr, &str)> =
        (1..=54).map(|n| (net(n), PRINTERS[(n as usize - 1) % PRINTERS.len()])).collect();
    devices.push((net(55), NOT_A_PRINTER));
    let sim = Snmpsim::fleet(dir.path(), port, &devices);
    let silent = Silent::start(&(56..=60).map(net).collect::<Vec<_>>(), port);

    let port_s = port.to_string();
    let (found, stderr) =
        scan(&["127.0.1.0/24", "--exclude", "127.0.1.20-127.0.1.24", "--port", &port_s, "--timeout", "500", "--json"]);

    // Exactly the printers, none excluded, and not the Linux server.
    let mut want: Vec<String> = (1..=54).filter(|n| !(20..=24).contains(n)).map(|n| net(n).to_string()).collect();
    let mut got: Vec<String> = found.iter().map(|p| p["address"].as_str().expect("address").to_owned()).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "{stderr}");
    assert!(stderr.contains("49 printers, 1 other agents, 0 failed"), "{stderr}");
    // Every value the reader gets from the recording's file, read live.
    for (n, (addr, file)) in devices.iter().enumerate().take(54) {
        if (20..=24).contains(&(n + 1)) {
            continue;
        }
        let mut live = by_address(&found, *addr).expect("found").clone();
        live.as_object_mut().expect("object").remove("address");
        assert_eq!(live, expected_report(file), "{addr} serving {file}");
    }
    // The values expected.md lists, as the JSON contract spells them.
    let km = by_address(&found, net(3)).expect("the Konica Minolta");
    assert_eq!((km["vendor"].as_str(), km["enterprise"].as_u64()), (Some("km"), Some(18334)));
    assert_eq!(km["model"], "bizhub C250i");
    assert_eq!(km["serial"], "AA2M021115700");
    assert_eq!(km["page_count"], 33810);
    assert_eq!(km["colour"], true);
    let levels: Vec<&Value> =
        km["supplies"].as_array().expect("supplies").iter().map(|s| &s["level_percent"]).collect();
    assert_eq!(levels, [&Value::from(76), &Value::from(78), &Value::from(77), &Value::from(86), &Value::from("some")]);
    assert_eq!(km["status"]["errors"], serde_json::json!(["serviceRequested"]));
    let ricoh = by_address(&found, net(5)).expect("the Ricoh");
    assert_eq!((ricoh["vendor"].as_str(), ricoh["model"].as_str()), (Some("ricoh"), Some("Aficio MP C3002")));
    assert_eq!((ricoh["serial"].as_str(), ricoh["page_count"].as_u64()), (Some("W492KB03439"), Some(271_871)));
    let hp = by_address(&found, net(2)).expect("the HP M130nw");
    assert_eq!((hp["vendor"].as_str(), hp["serial"].as_str()), (Some("hp"), Some("VNCRC48198")));
    assert!(hp["model"].as_str().expect("model").contains("LaserJet MFP M130nw"));
    assert_eq!((hp["page_count"].as_u64(), hp["colour"].as_bool()), (Some(15232), Some(false)));
    let xerox = by_address(&found, net(6)).expect("the Xerox");
    assert_eq!((xerox["vendor"].as_str(), xerox["model"].as_str()), (Some("xerox"), Some("AltaLink C8045")));
    let xl: Vec<u64> = xerox["supplies"].as_array().expect("supplies")[..4]
        .iter()
        .map(|s| s["level_percent"].as_u64().expect("a percentage"))
        .collect();
    assert_eq!(xl, [20, 66, 72, 60], "level / capacity, never the raw level");
    let lexmark = by_address(&found, net(4)).expect("the Lexmark, from sysDescr and sysObjectID alone");
    assert_eq!((lexmark["vendor"].as_str(), lexmark["enterprise"].as_u64()), (Some("lexmark"), Some(641)));

    // snmpsim's log: the excluded endpoints (19-23 from 0) never contacted, the others all were.
    for n in 0..55 {
        assert_eq!(sim.endpoint_contacted(n), !(19..=23).contains(&n), "endpoint {n} (127.0.1.{})", n + 1);
    }
    // Silent addresses were asked, timed out, and asked once more.
    assert_eq!(silent.packets.load(std::sync::atomic::Ordering::Relaxed), 10, "{stderr}");
}

#[test]
fn snmpv1_finds_the_same_printers_and_a_wrong_community_finds_nothing() {
    let dir = world_traversable_tempdir();
    let port = free_port();
    let net = |n: u8| Ipv4Addr::new(127, 0, 2, n);
    let mut devices: Vec<(Ipv4Addr, &str)> =
        PRINTERS.iter().enumerate().map(|(i, f)| (net(u8::try_from(i + 1).expect("few")), *f)).collect();
    devices.push((net(7), NOT_A_PRINTER));
    let _sim = Snmpsim::fleet(dir.path(), port, &devices);
    let port_s = port.to_string();
    let (found, stderr) =
        scan(&["127.0.2.1-127.0.2.7", "--port", &port_s, "--snmp-version", "1", "--timeout", "500", "--json"]);
    assert_eq!(found.len(), 6, "{stderr}");
    for (addr, file) in &devices[..6] {
        let mut live = by_address(&found, *addr).expect("found").clone();
        live.as_object_mut().expect("object").remove("address");
        assert_eq!(live, expected_report(file), "{addr} serving {file} over SNMPv1");
    }
    let (found, stderr) = scan(&[
        "127.0.2.1-127.0.2.7",
        "--port",
        &port_s,
        "--community",
        "not-the-community",
        "--timeout",
        "300",
        "--json",
    ]);
    assert!(found.is_empty());
    assert!(stderr.contains("0 printers, 0 other agents, 0 failed, 7 silent"), "{stderr}");
}

fn v3_scan(port: u16, addr: &str, auth: (&str, &str), privacy: &str, context: &str) -> (Vec<Value>, String) {
    let port_s = port.to_string();
    scan(&[
        addr,
        "--port",
        &port_s,
        "--v3-user",
        "printmon",
        "--v3-auth-proto",
        auth.0,
        "--v3-auth-key",
        auth.1,
        "--v3-priv-proto",
        privacy,
        "--v3-priv-key",
        "privpass123",
        "--v3-context",
        context,
        "--timeout",
        "700",
        "--json",
    ])
}

#[test]
fn snmpv3_authpriv_reads_the_device_its_context_names_and_wrong_keys_are_a_clear_error() {
    let dir = world_traversable_tempdir();
    let port = free_port();
    let _sim = Snmpsim::v3(dir.path(), Ipv4Addr::new(127, 0, 3, 1), port, "SHA", "AES");
    let (found, stderr) = v3_scan(port, "127.0.3.1", ("SHA", "authpass123"), "AES", "konica_c250i");
    assert_eq!(found.len(), 1, "{stderr}");
    let mut live = found[0].clone();
    live.as_object_mut().expect("object").remove("address");
    assert_eq!(live, expected_report("konica_c250i.snmprec"));

    let (found, stderr) = v3_scan(port, "127.0.3.1", ("SHA", "authpass124"), "AES", "konica_c250i");
    assert!(found.is_empty());
    assert!(stderr.contains("127.0.3.1: SNMPv3:"), "a clear error for that device: {stderr}");
    assert!(stderr.contains("1 failed"), "{stderr}");
}

#[test]
fn snmpv3_with_sha_256_and_aes_256_reads_the_device_too() {
    let dir = world_traversable_tempdir();
    let port = free_port();
    let _sim = Snmpsim::v3(dir.path(), Ipv4Addr::new(127, 0, 3, 2), port, "SHA256", "AES256");
    let (found, stderr) = v3_scan(port, "127.0.3.2", ("SHA-256", "authpass123"), "AES-256", "ricoh_mpc3002");
    assert_eq!(found.len(), 1, "{stderr}");
    let mut live = found[0].clone();
    live.as_object_mut().expect("object").remove("address");
    assert_eq!(live, expected_report("ricoh_mpc3002.snmprec"));
    // SHA-1 against a SHA-256 user: refused, clearly.
    let (found, stderr) = v3_scan(port, "127.0.3.2", ("SHA", "authpass123"), "AES-256", "ricoh_mpc3002");
    assert!(found.is_empty() && stderr.contains("127.0.3.2: SNMPv3:"), "{stderr}");
}

/// A RAW (socket) listener that stands for a printer's engine: for each
/// job it is sent, it moves the printer's page counter by `pages`.
struct CountingPrinter {
    port: u16,
    got: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl CountingPrinter {
    fn start(agent: (Ipv4Addr, u16), counter: u32, pages: u32) -> CountingPrinter {
        use std::io::Read;
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = got.clone();
        std::thread::spawn(move || {
            let mut now = counter;
            for s in l.incoming() {
                let Ok(mut s) = s else { return };
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf);
                keep.lock().expect("lock").push(buf);
                if pages > 0 {
                    now += pages;
                    pullprint_tests::snmp::set_counter32(agent.0, agent.1, "1.3.6.1.2.1.43.10.2.1.4.1.1", now);
                }
            }
        });
        CountingPrinter { port, got }
    }

    fn jobs(&self) -> Vec<Vec<u8>> {
        self.got.lock().expect("lock").clone()
    }
}

#[test]
fn a_raw_release_is_printed_when_the_page_counter_rises_and_held_with_a_reason_when_not() {
    use pullprint_tests::site::{Site, api, badge_login};
    let dir = world_traversable_tempdir();
    let port = free_port();
    let (counts, stuck) = (Ipv4Addr::new(127, 0, 4, 1), Ipv4Addr::new(127, 0, 4, 2));
    let _sim = Snmpsim::fleet_of(
        dir.path(),
        port,
        &[
            (counts, pullprint_tests::snmp::with_writable_page_counter("konica_c250i.snmprec")),
            (stuck, pullprint_tests::snmp::with_writable_page_counter("ricoh_mpc3002.snmprec")),
        ],
    );
    let site = Site::new(&format!(
        "\n[scout]\ntimeout = \"500ms\"\nraw_confirm_timeout = \"4s\"\n\
         [[scout.range]]\nname = \"print room\"\naddresses = [\"127.0.4.1-127.0.4.2\"]\nport = {port}\n"
    ));
    site.user("bob", "87654321");
    // The listeners' threads hold no handle on snmpsim: it stops with the test.
    let good = CountingPrinter::start((counts, port), 33810, 1);
    let bad = CountingPrinter::start((stuck, port), 271_871, 0);
    let counts_cred = site.printer("Counts", "km", &counts.to_string());
    site.cli(&["device", "set", "Counts", "--uri", &format!("socket://127.0.0.1:{}", good.port)]);
    site.cli(&["device", "set", "Counts", "--dangerous-allow", "socket"]);
    let stuck_cred = site.printer("Stuck", "ricoh", &stuck.to_string());
    site.cli(&["device", "set", "Stuck", "--uri", &format!("socket://127.0.0.1:{}", bad.port)]);
    site.cli(&["device", "set", "Stuck", "--dangerous-allow", "socket"]);
    let d = site.serve();
    let jobs = |cred: &str| -> Vec<Value> {
        let (_, v) = badge_login(&d, cred, "87654321");
        let s = v["session"].as_str().expect("session").to_owned();
        let (_, v) = api(&d, "GET", "/panel/v1/jobs", cred, Some(&s), None);
        api(&d, "DELETE", "/panel/v1/sessions/current", cred, Some(&s), None);
        v["jobs"].as_array().cloned().unwrap_or_default()
    };
    let release = |cred: &str| {
        let (code, v) = badge_login(&d, cred, "87654321");
        assert_eq!(code, 201, "{v}");
        let s = v["session"].as_str().expect("session");
        let (code, v) = api(&d, "POST", "/panel/v1/jobs/release", cred, Some(s), Some(serde_json::json!({})));
        assert_eq!(code, 202, "{v}");
    };
    let wait = |what: &str, mut cond: Box<dyn FnMut() -> bool + '_>| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !cond() {
            assert!(std::time::Instant::now() < deadline, "{what} did not happen in 30 s:\n{}", d.log());
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };

    // The counter rises by the job's page: printed, and verified.
    let doc = pdf("Counted", 1, 5_000);
    assert_eq!(d.print_as("bob", "bob-Passw0rd-1", &doc).0, 200);
    release(&counts_cred);
    wait("the counted release", Box::new(|| jobs(&counts_cred).is_empty()));
    assert_eq!(good.jobs(), std::slice::from_ref(&doc));

    // The counter does not move: the job stays held, with why.
    let doc2 = pdf("Not counted", 2, 5_000);
    assert_eq!(d.print_as("bob", "bob-Passw0rd-1", &doc2).0, 200);
    release(&stuck_cred);
    wait(
        "the unconfirmed release",
        Box::new(|| jobs(&stuck_cred).first().is_some_and(|j| j["release"]["state"] == "failed")),
    );
    let held = jobs(&stuck_cred);
    assert_eq!(held.len(), 1, "the job is kept: {held:?}");
    let why = held[0]["release"]["message"].as_str().expect("a reason").to_owned();
    assert!(why.contains("page counter rose by 0 of the 1 pages"), "{why}");
    assert_eq!(bad.jobs(), [doc2], "it was sent, once");

    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(log.contains("confirmed job") && log.contains("by its page counter"), "{log}");
    let recs = open_store(&site.data).release_records_since(0, 10).expect("records");
    let ends: Vec<(&str, &str)> = recs.iter().map(|r| (r.outcome.as_str(), r.transport.as_str())).collect();
    assert_eq!(ends, [("printed", "socket"), ("failed", "socket")]);
}

/// The console, in headless Chromium, as an admin sees what the scout
/// found: the dashboard's printers to look at, the printers found and not
/// secured, a registered printer's status and supplies; and registering
/// one from the list secures it.
#[test]
fn the_console_shows_what_the_scout_found_and_registering_a_found_printer_secures_it() {
    use pullprint_tests::browser::Browser;
    use pullprint_tests::site::Site;
    let dir = world_traversable_tempdir();
    let port = free_port();
    let net = |n: u8| Ipv4Addr::new(127, 0, 5, n);
    let _sim = Snmpsim::fleet(
        dir.path(),
        port,
        &[(net(1), "konica_c250i.snmprec"), (net(2), "ricoh_mpc3002.snmprec"), (net(3), "xerox.snmprec")],
    );
    let site = Site::new(&format!(
        "\n[scout]\ntimeout = \"500ms\"\nlow_supply_percent = 25\n\
         [[scout.range]]\nname = \"second floor\"\naddresses = [\"127.0.5.0/29\"]\nport = {port}\n"
    ));
    site.staff("admin", "PullprintAdmins");
    site.printer("Ricoh 2F", "ricoh", "127.0.5.2");
    let d = site.serve();
    // The daemon sweeps at start; `scout list` reads what it recorded.
    let list = || -> Vec<Value> {
        let o = site.run(&["scout", "list", "--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<Value>(&o.stdout).expect("json").as_array().cloned().unwrap_or_default()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while list().len() < 3 {
        assert!(std::time::Instant::now() < deadline, "the first sweep did not finish:\n{}", d.log());
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let states: Vec<(String, String)> = list()
        .iter()
        .map(|p| (p["address"].as_str().unwrap_or("").to_owned(), p["state"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert!(states.contains(&("127.0.5.1".into(), "found, not secured".into())), "{states:?}");
    assert!(states.contains(&("127.0.5.2".into(), "secured".into())), "{states:?}");

    let web = format!("https://{}", d.web);
    let b = Browser::start(1280, 1000, &d.data.join("tls/server.crt"));
    b.goto(&format!("{web}/login"));
    b.wait_for("#sign-in");
    b.fill("#username", "admin");
    b.fill("#password", "admin-Passw0rd-1");
    b.click("#sign-in");
    b.wait_for("#watch");
    let watch = b.text("#watch");
    assert!(watch.contains("Ricoh 2F") && watch.contains("Cyan Toner low (20 %)"), "{watch}");
    assert!(
        watch.contains("Konica Minolta bizhub C250i (not registered)") && watch.contains("serviceRequested"),
        "{watch}"
    );
    assert!(b.text("#scout-summary").contains("2 found on the network, not secured"), "{}", b.source());
    b.screenshot("console-dashboard-scout");
    b.assert_accessible("the dashboard with Device Scout");

    b.click("a[href='/printers#found']");
    b.wait_for("#found-printers");
    let found = b.text("#found-printers");
    assert!(found.contains("127.0.5.1") && found.contains("127.0.5.3"), "{found}");
    assert!(!found.contains("127.0.5.2"), "a registered printer is not 'found': {found}");
    assert!(found.contains("AA2M021115700") && found.contains("Toner (Black): 86 %"), "{found}");
    let registered = b.text("#printers");
    assert!(registered.contains("271871 pages") && registered.contains("Cyan Toner: 20 %"), "{registered}");
    b.screenshot("console-printers-found");
    b.assert_accessible("the printers page with printers found");

    // The registered Ricoh's own page: supplies, trays and its first meter reading.
    b.click("#printers tbody tr a");
    b.wait_for("#scout");
    assert!(b.text("#scout").contains("W492KB03439"), "{}", b.source());
    assert!(b.text("#supplies").contains("Cyan Toner") && b.text("#supplies").contains("20 %"), "{}", b.source());
    assert!(b.text("#trays").contains("Bypass Tray"), "{}", b.source());
    assert!(b.text("#meters").contains("271871"), "{}", b.source());
    b.screenshot("console-printer-scout");
    b.assert_accessible("a printer's page with Device Scout's reading");
    b.goto(&format!("{web}/printers"));
    b.wait_for("#found-printers");

    // Register the Konica Minolta from the list: it is secured, with a credential.
    b.click("#register-127-0-5-1");
    b.wait_for("#credential");
    assert!(b.text("#credential").trim().starts_with("ppd-"), "{}", b.source());
    b.goto(&format!("{web}/printers"));
    b.wait_for("#printers");
    let found = b.text("#found-printers");
    assert!(!found.contains("127.0.5.1") && found.contains("127.0.5.3"), "{found}");
    assert!(b.text("#printers").contains("bizhub C250i 127.0.5.1"), "{}", b.source());
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}
