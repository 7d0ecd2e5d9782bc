//! Roaming release between two appliances of one tenant (s3s-fs on
//! loopback), each with its own ippeveprinter: the second appliance is the
//! first's backup recovered with the same site password, as an admin sets
//! up a branch. A job parked at headquarters is listed and printed at the
//! branch, byte for byte; headquarters then shreds its own; a job
//! released at both sites at the same moment prints once; and one deleted
//! at the branch is shredded at headquarters.

use crate::cloud::{BUCKET, metadata, objects, tenant_section};
use crate::release::{jobs, wait};
use pullprint_tests::browser::Browser;
use pullprint_tests::peers::{Avahi, EveOptions, EvePrinter, localhost_certificate};
use pullprint_tests::s3::{S3Server, SECRET_KEY};
use pullprint_tests::site::{Site, api, badge_login};
use pullprint_tests::*;
use serde_json::{Value, json};
use std::path::Path;

const CARD: &str = "1000";

/// An ippeveprinter with a certificate from `site`'s CA, registered at
/// `site` as `name`; its panel credential.
fn printer(site: &Site, name: &str, certs: &Path) -> (EvePrinter, String) {
    std::fs::create_dir_all(certs).expect("certs");
    let ca = (site.data.join("tls/ca.crt"), site.data.join("tls/ca.key"));
    let (crt, key, _) = localhost_certificate(certs, Some((&ca.0, &ca.1)));
    let eve = EvePrinter::start_with(name, &EveOptions { cert: Some((crt, key)), ..EveOptions::default() });
    let cred = site.printer(name, "hp", "localhost");
    site.cli(&["device", "set", name, "--uri", &format!("ipps://localhost:{}/ipp/print", eve.port)]);
    (eve, cred)
}

/// Sign in with the badge at printer `cred` and ask for `ids` to print: the
/// panel API's status and answer.
fn ask(d: &Daemon, cred: &str, ids: &[&str]) -> (u16, Value) {
    let (code, v) = badge_login(d, cred, CARD);
    assert_eq!(code, 201, "{v}");
    let s = v["session"].as_str().expect("session").to_owned();
    api(d, "POST", "/panel/v1/jobs/release", cred, Some(&s), Some(json!({ "ids": ids })))
}

fn copies(s3: &S3Server) -> Vec<String> {
    objects(s3).into_iter().map(|(k, _)| k).filter(|k| k.starts_with("jobs/")).collect()
}

#[test]
fn a_job_parked_at_one_site_prints_at_another_byte_for_byte_and_a_race_prints_it_once() {
    let _avahi = Avahi::start();
    let t = world_traversable_tempdir();
    let s3 = S3Server::start(&t.path().join("s3"), &[BUCKET]);
    let section = tenant_section(t.path(), &s3.endpoint(), SECRET_KEY, "copies = true\n");
    let hq = Site::new(&section);
    hq.user("alice", CARD);
    let branch = hq.second_appliance(&section.replace("site = \"hq\"", "site = \"branch\""));
    let (eve_hq, cred_hq) = printer(&hq, "Eve HQ", &t.path().join("certs-hq"));
    let (eve_br, cred_br) = printer(&branch, "Eve Branch", &t.path().join("certs-branch"));
    let (a, b) = (hq.serve(), branch.serve());

    // Parked at headquarters; its sealed copy reaches the tenant.
    let doc = pdf("Travel plan", 5, 200_000);
    assert_eq!(a.print_as("alice", "alice-Passw0rd-1", &doc).0, 200);
    wait(&a, 60, "the copy's upload", || copies(&s3).len() == 1);
    let here = jobs(&a, &cred_hq, CARD);
    assert_eq!(here.len(), 1, "{here:?}");
    assert!(here[0].get("site").is_none(), "a job parked here names no site: {}", here[0]);
    let id = here[0]["id"].as_str().expect("id").to_owned();

    // The branch's panel lists it, with where it is parked.
    let there = jobs(&b, &cred_br, CARD);
    assert_eq!(there.len(), 1, "{there:?}");
    assert_eq!((there[0]["id"].as_str(), there[0]["site"].as_str()), (Some(id.as_str()), Some("hq")));
    assert_eq!(there[0]["name"], here[0]["name"]);

    // Printed at the branch's panel, as the person there does it: it is
    // listed with where it is parked, selected, and printed; the very bytes
    // submitted at headquarters.
    let browser = Browser::start(800, 480, &branch.data.join("tls/server.crt"));
    browser.goto(&format!("https://{}/panel/app/start?device={cred_br}", b.panel));
    browser.fill("#card", &format!("{CARD}\n"));
    browser.click("#review");
    let rows = browser.text("#documents");
    assert!(rows.contains("(parked at site hq)"), "{rows}");
    browser.screenshot("panel-roaming-documents");
    browser.click(&format!("#j-{id}"));
    browser.click("#print-selected");
    assert!(browser.text("#released").contains("1 document(s) sent"), "{}", browser.source());
    browser.screenshot("panel-roaming-printed");
    drop(browser);
    wait(&b, 60, "the branch's printer", || eve_br.documents().len() == 1);
    assert!(eve_br.documents()[0].1 == doc, "the branch's printer got other bytes than were submitted");
    // Headquarters hands it over, the tenant's copy goes, nothing prints twice.
    wait(&a, 30, "headquarters shredding its own", || jobs(&a, &cred_hq, CARD).is_empty());
    wait(&b, 30, "the branch's release ending", || jobs(&b, &cred_br, CARD).is_empty());
    wait(&a, 30, "the copy's removal", || copies(&s3).is_empty());
    assert!(eve_hq.documents().is_empty(), "printed at headquarters too");
    let (code, v) = ask(&a, &cred_hq, &[&id]);
    assert_eq!(code, 404, "gone from headquarters: {v}");
    wait(&a, 30, "the records of how it ended", || {
        let ended: Vec<(String, String)> = metadata(&s3)
            .iter()
            .filter(|l| l["kind"] == "job.ended" && l["job"] == id.as_str())
            .map(|l| (l["site"].as_str().unwrap_or("").to_owned(), l["reason"].as_str().unwrap_or("").to_owned()))
            .collect();
        ended.contains(&("hq".into(), "roamed".into())) && ended.contains(&("branch".into(), "printed".into()))
    });

    // Three jobs, each released at both sites at the same moment: each
    // prints once, at one of them, and the other site says where it went.
    let docs: Vec<Vec<u8>> = (0..3).map(|i| pdf(&format!("Race {i}"), 10 + i, 50_000)).collect();
    for d in &docs {
        assert_eq!(a.print_as("alice", "alice-Passw0rd-1", d).0, 200);
    }
    wait(&a, 60, "the copies' upload", || copies(&s3).len() == 3);
    let ids: Vec<String> = jobs(&a, &cred_hq, CARD).iter().map(|j| j["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(ids.len(), 3);
    wait(&b, 30, "the branch listing them", || jobs(&b, &cred_br, CARD).len() == 3);
    for id in &ids {
        let barrier = std::sync::Barrier::new(2);
        let (x, y) = std::thread::scope(|s| {
            let x = s.spawn(|| {
                barrier.wait();
                ask(&a, &cred_hq, &[id])
            });
            let y = s.spawn(|| {
                barrier.wait();
                ask(&b, &cred_br, &[id])
            });
            (x.join().expect("hq"), y.join().expect("branch"))
        });
        let won: Vec<u16> = [x.0, y.0].into_iter().filter(|c| *c == 202).collect();
        assert_eq!(won.len(), 1, "one site prints job {id}: hq {x:?}, branch {y:?}");
        let lost = if x.0 == 202 { &y } else { &x };
        assert!(lost.0 == 409 || lost.0 == 404, "the other is refused: {lost:?}");
        if lost.0 == 409 {
            assert_eq!(lost.1["error"], "taken_elsewhere", "{lost:?}");
        }
    }
    wait(&a, 90, "the three printing", || eve_hq.documents().len() + eve_br.documents().len() == 4);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let mut printed: Vec<Vec<u8>> =
        eve_hq.documents().into_iter().chain(eve_br.documents().into_iter().skip(1)).map(|d| d.1).collect();
    assert_eq!(printed.len(), 3, "each job printed once");
    printed.sort();
    let mut want = docs.clone();
    want.sort();
    assert!(printed == want, "the printed documents are the three submitted, once each");
    wait(&a, 30, "both sites' lists emptying", || {
        jobs(&a, &cred_hq, CARD).is_empty() && jobs(&b, &cred_br, CARD).is_empty()
    });

    // Deleted at the branch: shredded at headquarters too, never printed.
    assert_eq!(a.print_as("alice", "alice-Passw0rd-1", &pdf("Draft", 20, 10_000)).0, 200);
    wait(&b, 60, "the branch listing it", || jobs(&b, &cred_br, CARD).len() == 1);
    let id = jobs(&b, &cred_br, CARD)[0]["id"].as_str().expect("id").to_owned();
    let (code, v) = badge_login(&b, &cred_br, CARD);
    assert_eq!(code, 201, "{v}");
    let session = v["session"].as_str().expect("session").to_owned();
    let (code, v) = api(&b, "DELETE", &format!("/panel/v1/jobs/{id}"), &cred_br, Some(&session), None);
    assert!(code == 204 || code == 200, "{code} {v}");
    wait(&a, 30, "headquarters shredding it", || jobs(&a, &cred_hq, CARD).is_empty());
    assert!(jobs(&b, &cred_br, CARD).is_empty());
    wait(&a, 30, "its copy's removal", || copies(&s3).is_empty());
    assert_eq!(eve_hq.documents().len() + eve_br.documents().len(), 4, "nothing more printed");

    for d in [a, b] {
        let (st, log) = d.terminate();
        assert!(st.success(), "{log}");
    }
}
