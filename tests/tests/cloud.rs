//! Cloud sync against a real S3-compatible server (s3s-fs, checking SigV4
//! signatures) on loopback: the outbox's records and zero-knowledge job
//! copies reach the tenant once each, privacy-filtered and encrypted; an
//! outage and kill -9 lose nothing and duplicate nothing; wrong credentials
//! are a clear error while the backlog is kept.

use pullprint_tests::browser::Browser;
use pullprint_tests::client::Conn;
use pullprint_tests::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use pullprint_tests::site::{Site, api, badge_login};
use pullprint_tests::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) const BUCKET: &str = "acme-print";
const PREFIX: &str = "pullprint";
const MARKER: &str = "PLAINTEXT-MARKER";

/// `[tenant]` for the s3s-fs at `endpoint`, with `secret`, writing the
/// credentials file beside the data folder.
pub(crate) fn tenant_section(dir: &Path, endpoint: &str, secret: &str, extra: &str) -> String {
    let creds = dir.join(format!("s3-{secret}"));
    std::fs::write(&creds, format!("{ACCESS_KEY}\n{secret}\n")).expect("credentials");
    format!(
        "\n[tenant]\nkind = \"s3\"\nendpoint = \"{endpoint}\"\nbucket = \"{BUCKET}\"\nprefix = \"{PREFIX}\"\n\
         path_style = true\ndangerous_allow_http = true\ntimeout = \"2s\"\nsync_every = \"200ms\"\n\
         site = \"hq\"\ncredentials_file = \"{}\"\n{extra}",
        creds.display()
    )
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The tenant's objects (keys under the prefix) in s3s-fs's folder.
pub(crate) fn objects(s3: &S3Server) -> Vec<(String, PathBuf)> {
    let root = s3.dir.join(BUCKET).join(PREFIX);
    let mut v: Vec<(String, PathBuf)> = files(&root)
        .into_iter()
        // s3s-fs keeps its own bookkeeping beside the objects.
        .filter(|p| !p.to_string_lossy().contains(".s3s"))
        .map(|p| (p.strip_prefix(&root).expect("under root").to_string_lossy().into_owned(), p))
        .collect();
    v.sort();
    v
}

/// Every metadata line in the tenant, from its gzip JSON-lines objects.
pub(crate) fn metadata(s3: &S3Server) -> Vec<Value> {
    let mut out = Vec::new();
    for (key, path) in objects(s3) {
        if !key.starts_with("metadata/") {
            continue;
        }
        assert!(key.starts_with("metadata/site=") && key.contains("/date=") && key.ends_with(".jsonl.gz"), "{key}");
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("open"))
            .read_to_string(&mut text)
            .expect("gzip");
        for line in text.lines() {
            out.push(serde_json::from_str(line).expect("a JSON line"));
        }
    }
    out
}

/// The health report's `cloud` object.
fn cloud(d: &Daemon) -> Value {
    let (_, body) = d.health().expect("health");
    serde_json::from_str::<Value>(&body).expect("json")["cloud"].clone()
}

/// Wait until the outbox is empty (records and copies).
fn drained(d: &Daemon, within: Duration) -> Value {
    let start = Instant::now();
    loop {
        let c = cloud(d);
        if c["backlog"] == 0 && c["copies_backlog"] == 0 {
            return c;
        }
        assert!(start.elapsed() < within, "the outbox did not drain: {c}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The SQL block of docs/TENANT.md, on the tenant folder `root`.
fn tenant_query(root: &Path) -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/TENANT.md")).expect("TENANT.md");
    let sql = doc.split("```sql\n").nth(1).and_then(|s| s.split("```").next()).expect("a SQL block");
    sql.replace("TENANT", root.to_str().expect("utf8"))
}

/// Run `sql` with DuckDB's Python package (`tests/tools/duckdb`); its rows.
fn duckdb(sql: &str) -> Vec<Vec<Value>> {
    let python = std::env::var_os("PULLPRINT_DUCKDB_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        let tools = std::env::var_os("PULLPRINT_TOOLS")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/pullprint-tools")))
            .expect("HOME or PULLPRINT_TOOLS");
        tools.join("duckdb-venv/bin/python")
    });
    assert!(python.exists(), "{} is missing: run tests/tools/duckdb once (tests/run does)", python.display());
    let o = std::process::Command::new(python)
        .args(["-c", "import duckdb, json, sys; print(json.dumps(duckdb.sql(sys.argv[1]).fetchall()))", sql])
        .output()
        .expect("python");
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).expect("rows")
}

/// The job of a copy's key `jobs/owner=P/site=hq/JOB.bin`.
fn copy_job(key: &str) -> Option<String> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        ["jobs", owner, "site=hq", file] if owner.starts_with("owner=p-") => {
            file.strip_suffix(".bin").map(str::to_owned)
        }
        _ => None,
    }
}

fn doc(i: usize) -> Vec<u8> {
    format!("%PDF-1.4\n% {MARKER}-{i:04}\n%%EOF\n").into_bytes()
}

/// Names of five letters or more: the tenant's ciphertext is searched for
/// them, and a shorter one would turn up there by chance now and then.
const USERS: [&str; 4] = ["alice", "bobby", "carol", "david"];

/// Print `n` jobs from 4 clients at once, one for each of [`USERS`], each
/// on one kept-alive connection (as a workstation's spooler does; a
/// handshake a job would only load the machine the other tests share).
fn print_many(d: &Daemon, from: usize, n: usize) {
    let uri = format!("ipps://{}/ipp/print", d.ipp);
    std::thread::scope(|s| {
        for (t, user) in USERS.iter().enumerate() {
            let uri = &uri;
            s.spawn(move || {
                let auth = pullprint_tests::ipp::basic(user, &format!("{user}-Passw0rd-1"));
                let headers = [("Content-Type", "application/ipp"), ("Authorization", auth.as_str())];
                let mut conn = Conn::tls(d.ipp, &d.data.join("tls/ca.crt")).expect("connect");
                for i in (from..from + n).filter(|i| i % 4 == t) {
                    let mut r = pullprint_tests::ipp::Request::new(0x0002, 1, uri);
                    r.attr(pullprint_tests::ipp::tag::NAME, "requesting-user-name", user.as_bytes());
                    r.attr(pullprint_tests::ipp::tag::MIME, "document-format", b"application/pdf");
                    let resp = conn.post("/ipp/print", &headers, &r.finish(&doc(i))).expect("post");
                    assert_eq!((resp.status, pullprint_tests::ipp::status(&resp.body)), (200, Some(0)), "job {i}");
                }
            });
        }
    });
}

fn users(site: &Site) {
    for (i, u) in USERS.iter().enumerate() {
        site.user(u, &format!("100{i}"));
    }
}

#[test]
fn a_thousand_jobs_reach_the_tenant_once_each_as_ciphertext_and_their_copies_leave_with_them() {
    let t = world_traversable_tempdir();
    let s3 = S3Server::start(&t.path().join("s3"), &[BUCKET]);
    let site = Site::new(&tenant_section(
        t.path(),
        &s3.endpoint(),
        SECRET_KEY,
        "copies = true\nuser_names = \"pseudonym\"\ndocument_names = \"omit\"\n",
    ));
    users(&site);
    let device = site.printer("floor-1", "hp", "127.0.0.1");
    let d = site.serve();
    print_many(&d, 0, 1000);
    let c = drained(&d, Duration::from_secs(180));
    assert_eq!(c["last_error"], "", "{c}");

    let objs = objects(&s3);
    let copies: Vec<&(String, PathBuf)> = objs.iter().filter(|(k, _)| k.starts_with("jobs/")).collect();
    assert_eq!(copies.len(), 1000, "one copy a job");
    let owners: BTreeSet<&str> = copies.iter().map(|(k, _)| k.split('/').nth(1).expect("owner=")).collect();
    assert_eq!(owners.len(), 4, "{owners:?}");
    assert!(owners.iter().all(|o| o.starts_with("owner=p-")), "owners are pseudonyms: {owners:?}");

    let lines = metadata(&s3);
    let parked: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "job.parked").collect();
    assert_eq!(parked.len(), 1000, "one record a job");
    let events: BTreeSet<&str> = lines.iter().map(|l| l["event"].as_str().expect("event")).collect();
    assert_eq!(events.len(), lines.len(), "no record twice");
    let jobs: BTreeSet<String> = parked.iter().map(|l| l["job"].as_str().expect("job").to_owned()).collect();
    let copied: BTreeSet<String> = copies.iter().map(|(k, _)| copy_job(k).expect("a copy's key")).collect();
    assert_eq!(jobs, copied, "the copies are the parked jobs'");
    for l in &parked {
        assert_eq!(l["v"], 1);
        assert_eq!(l["site"], "hq");
        assert!(l["user"].as_str().expect("user").starts_with("p-"), "{l}");
        assert!(l.get("document").is_none(), "document names are omitted: {l}");
        assert!(l["at"].as_str().expect("at").ends_with('Z'));
    }
    // Nothing in the tenant is plaintext: not the documents, not the user.
    let names: Vec<String> = lines.iter().map(Value::to_string).collect();
    for (key, path) in &objs {
        let bytes = std::fs::read(path).expect("read");
        let hay = String::from_utf8_lossy(&bytes);
        let found: Vec<&str> = std::iter::once(MARKER).chain(USERS).filter(|w| hay.contains(w)).collect();
        assert!(found.is_empty(), "plaintext {found:?} in {key}");
    }
    assert!(
        !names.iter().any(|n| n.contains(MARKER) || USERS.iter().any(|u| n.contains(u))),
        "plaintext in the metadata"
    );

    // docs/TENANT.md's DuckDB query, run as it stands over the tenant.
    let rows = duckdb(&tenant_query(&s3.dir.join(BUCKET).join(PREFIX)));
    let rows: Vec<(String, u64)> =
        rows.iter().map(|r| (r[0].as_str().expect("user").to_owned(), r[1].as_u64().expect("jobs"))).collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows.iter().all(|(u, n)| u.starts_with("p-") && *n == 250), "{rows:?}");

    // Ten of alice's jobs end at the panel: their copies go, their ends are recorded.
    let (code, v) = badge_login(&d, &device, "1000");
    assert_eq!(code, 201, "{v}");
    let session = v["session"].as_str().expect("session").to_owned();
    let (code, v) = api(&d, "GET", "/panel/v1/jobs", &device, Some(&session), None);
    assert_eq!(code, 200, "{v}");
    let gone: Vec<String> =
        v["jobs"].as_array().expect("jobs").iter().take(10).map(|j| j["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(gone.len(), 10);
    assert!(gone.iter().all(|g| jobs.contains(g)), "the panel's ids are the tenant's");
    for id in &gone {
        let (code, v) = api(&d, "DELETE", &format!("/panel/v1/jobs/{id}"), &device, Some(&session), None);
        assert!(code == 204 || code == 200, "{code} {v}");
    }
    drained(&d, Duration::from_secs(60));
    let left: BTreeSet<String> = objects(&s3).into_iter().filter_map(|(k, _)| copy_job(&k)).collect();
    assert_eq!(left.len(), 990);
    assert!(gone.iter().all(|g| !left.contains(g)), "the ended jobs' copies are deleted");
    let ended: BTreeMap<String, String> = metadata(&s3)
        .iter()
        .filter(|l| l["kind"] == "job.ended")
        .map(|l| (l["job"].as_str().expect("job").to_owned(), l["reason"].as_str().expect("reason").to_owned()))
        .collect();
    assert_eq!(ended.len(), 10);
    assert!(gone.iter().all(|g| ended.get(g).map(String::as_str) == Some("deleted")), "{ended:?}");
}

#[test]
fn wrong_credentials_are_a_clear_error_the_backlog_is_kept_and_it_drains_once_they_are_right() {
    let t = world_traversable_tempdir();
    let s3 = S3Server::start(&t.path().join("s3"), &[BUCKET]);
    let site = Site::new(&tenant_section(t.path(), &s3.endpoint(), "not-the-secret", ""));
    users(&site);
    site.staff("admin", "PullprintAdmins");
    let d = site.serve();
    print_many(&d, 0, 20);
    let start = Instant::now();
    let c = loop {
        let c = cloud(&d);
        if c["failures"].as_u64().unwrap_or(0) >= 1 {
            break c;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no failure reported: {c}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(c["backlog"].as_u64().expect("backlog") >= 20, "the backlog is kept: {c}");
    let err = c["last_error"].as_str().expect("error");
    assert!(err.to_lowercase().contains("signature") || err.contains("403"), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");
    let status = text(&site.run(&["status"]));
    assert!(status.contains("records and 0 copies waiting") && status.contains("last attempt failed"), "{status}");
    assert!(!status.contains("not-the-secret"), "{status}");
    assert!(objects(&s3).is_empty(), "nothing was written");
    let log = d.log();
    assert!(!log.contains("not-the-secret"), "the secret is never logged");
    // The console's dashboard says the same, as an admin sees it.
    // Tall enough that the screenshot shows the cloud table below the fold.
    let b = Browser::start(1280, 2000, &d.data.join("tls/server.crt"));
    crate::console_pages::console_sign_in(&b, &format!("https://{}", d.web), "admin");
    b.wait_for("#cloud");
    let shown = b.text("#cloud");
    assert!(shown.contains(&format!("s3://{BUCKET}/{PREFIX}")), "{shown}");
    assert!(shown.contains("records, 0 job copies") && shown.contains("failed ("), "{shown}");
    assert!(shown.contains("Nothing is lost") && !shown.contains("not-the-secret"), "{shown}");
    b.screenshot("console-dashboard-cloud-failing");
    b.assert_accessible("the dashboard with cloud sync failing");
    drop(b);

    // With the right secret, the same records go up, once each.
    let (status, _) = d.terminate();
    assert!(status.success());
    let cfg = std::fs::read_to_string(&site.cfg).expect("config");
    let right = t.path().join(format!("s3-{SECRET_KEY}"));
    std::fs::write(&right, format!("{ACCESS_KEY}\n{SECRET_KEY}\n")).expect("credentials");
    std::fs::write(&site.cfg, cfg.replace("s3-not-the-secret", &format!("s3-{SECRET_KEY}"))).expect("config");
    let d = site.serve();
    drained(&d, Duration::from_secs(60));
    let parked = metadata(&s3).into_iter().filter(|l| l["kind"] == "job.parked").count();
    assert_eq!(parked, 20);
}

#[test]
fn an_outage_and_two_kill_9_during_the_drain_lose_nothing_and_duplicate_nothing() {
    let t = world_traversable_tempdir();
    let mut s3 = S3Server::start(&t.path().join("s3"), &[BUCKET]);
    let site = Site::new(&tenant_section(t.path(), &s3.endpoint(), SECRET_KEY, "copies = true\n"));
    users(&site);
    let mut d = site.serve();
    print_many(&d, 0, 4);
    drained(&d, Duration::from_secs(30));

    // The tenant goes away; printing goes on at a job a second, then a burst.
    s3.stop();
    let mut slowest = Duration::ZERO;
    for i in 4..16 {
        let t0 = Instant::now();
        let user = USERS[i % 4];
        assert_eq!(d.print_as(user, &format!("{user}-Passw0rd-1"), &doc(i)), (200, Some(0)), "job {i}");
        slowest = slowest.max(t0.elapsed());
        std::thread::sleep(Duration::from_secs(1).saturating_sub(t0.elapsed()));
    }
    // Ingest never waits for the tenant (its requests time out after 2 s).
    assert!(slowest < Duration::from_secs(2), "a job took {slowest:?} while the tenant was away");
    print_many(&d, 16, 200);
    let c = cloud(&d);
    assert!(c["failures"].as_u64().unwrap_or(0) >= 1, "{c}");
    assert!(c["backlog"].as_u64().unwrap_or(0) >= 212 && c["copies_backlog"].as_u64().unwrap_or(0) >= 212, "{c}");

    // It comes back; the daemon is killed twice while it drains.
    s3.resume();
    for wait in [Duration::from_millis(150), Duration::from_millis(400)] {
        d.child.kill().expect("SIGKILL");
        d.child.wait().expect("wait");
        d = site.serve();
        std::thread::sleep(wait);
    }
    d.child.kill().expect("SIGKILL");
    d.child.wait().expect("wait");
    d = site.serve();
    drained(&d, Duration::from_secs(120));

    let lines = metadata(&s3);
    let mut seen = BTreeMap::new();
    for l in &lines {
        *seen.entry(l["event"].as_str().expect("event").to_owned()).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "records in the tenant twice: {twice:?}");
    let parked = lines.iter().filter(|l| l["kind"] == "job.parked").count();
    assert_eq!(parked, 216, "every job's record, once");
    let copies = objects(&s3).iter().filter_map(|(k, _)| copy_job(k)).count();
    assert_eq!(copies, 216, "every job's copy");
}
