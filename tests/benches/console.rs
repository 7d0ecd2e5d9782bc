//! The console's pages over a large store, against the real daemon on
//! loopback:
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench console [-- --jobs N --audit N --owners N]
//! ```
//!
//! Two sites are filled in the same run, each through the store's and the
//! audit log's own APIs (as the daemon writes them): a small one (1,000
//! parked jobs, 1,000 audit records) and a large one (by default 1,000,000
//! jobs of 1 KB over 100,000 owners, and 1,000,000 audit records). For each,
//! the daemon serves and one signed-in admin asks each page 200 times:
//! the jobs page (newest, one owner's, one state: the worst case, which
//! reads up to 5,000 candidates), the audit page (newest, one actor's,
//! one action's) and the people search. Reported: p50 and p99 against the
//! 50 ms target, and the large site's p99 as a ratio of the small one's:
//! paging never reads everything, so the ratio stays near 1.

use local_connector::audit::{AuditLog, Entry};
use local_connector::store::{JobStore, JobSubmission};
use pullprint_tests::{
    Daemon, https_request, is_root, pullprint, site_key_of, store_options, text, world_traversable_tempdir,
    write_config,
};
use std::path::Path;
use std::time::{Duration, Instant};

const ROUNDS: usize = 200;

struct Size {
    jobs: usize,
    owners: usize,
    audit: usize,
}

fn arg(name: &str, default: usize) -> usize {
    let a: Vec<String> = std::env::args().collect();
    a.iter().position(|x| x == name).and_then(|i| a.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Fill the data folder `data` of an initialised site.
fn fill(data: &Path, size: &Size) -> Duration {
    let t0 = Instant::now();
    let site = site_key_of(data);
    let (store, _) = JobStore::open(store_options(&data.join("store")), &site).expect("store");
    let body = vec![b'x'; 1024];
    std::thread::scope(|s| {
        for w in 0..4 {
            let (store, body) = (store.clone(), &body);
            s.spawn(move || {
                for i in (w..size.jobs).step_by(4) {
                    let owner = format!("user{:06}", i % size.owners);
                    let mut j = store
                        .create(JobSubmission {
                            owner,
                            document_name: format!("document {i}.pdf"),
                            pages: Some(2),
                            format: "application/pdf".into(),
                            copies: 1,
                            ..Default::default()
                        })
                        .expect("create");
                    j.write_body(body).expect("write");
                    j.commit().expect("commit");
                }
            });
        }
    });
    drop(store);
    let audit = AuditLog::open(&data.join("audit"), site.audit_key()).expect("audit");
    let actions = ["console.sign-in", "job.release", "job.delete", "badge.bind", "setting.change"];
    let mut left = size.audit;
    let mut n = 0usize;
    while left > 0 {
        let batch = left.min(10_000);
        audit
            .append_all((0..batch).map(|k| {
                let i = n + k;
                Entry::new(&format!("user{:06}", i % size.owners), "user", "127.0.0.1", actions[i % actions.len()])
                    .target(&format!("job {i}"))
            }))
            .expect("append");
        n += batch;
        left -= batch;
    }
    audit.flush().expect("flush");
    t0.elapsed()
}

fn percentile(v: &mut [Duration], per_mille: usize) -> Duration {
    v.sort();
    v[((v.len() - 1) * per_mille + 500) / 1000]
}

/// Sign in as `admin`: the session cookie.
fn session(d: &Daemon) -> String {
    let ca = d.data.join("tls/ca.crt");
    let (_, _, page) = https_request(d.web, &ca, "GET", "/login", &[], b"").expect("login page");
    let page = String::from_utf8_lossy(&page).into_owned();
    let at = page.find("name=\"csrf\" value=\"").expect("csrf") + 19;
    let token = page[at..].split('"').next().expect("token").to_owned();
    let cookie = format!("__Host-pullprint-login={token}");
    let body = format!("username=admin&password=admin-Passw0rd-1&csrf={token}");
    let h = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let (_, head, _) = https_request(d.web, &ca, "POST", "/login", &h, body.as_bytes()).expect("sign in");
    head.lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.trim()))
        .and_then(|v| v.split(';').next())
        .expect("session")
        .to_owned()
}

/// A site of `size`: its p50 and p99 for each page.
fn measure(label: &str, size: &Size) -> Vec<(String, Duration, Duration)> {
    let t = world_traversable_tempdir();
    let data = t.path().join("data");
    let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
    let cfg = write_config(t.path(), &data, &format!("index_cache_bytes = 268435456\n{service}"));
    let c = cfg.to_str().expect("utf8");
    let o = pullprint(&["--config", c, "init"]);
    assert!(o.status.success(), "{}", text(&o));
    let pw = data.with_extension("pw");
    std::fs::write(&pw, "admin-Passw0rd-1\n").expect("pw");
    let o = pullprint(&[
        "--config",
        c,
        "user",
        "add",
        "admin",
        "--group",
        "PullprintAdmins",
        "--password-file",
        pw.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let took = fill(&data, size);
    eprintln!("{label}: filled {} jobs and {} audit records in {:.0} s", size.jobs, size.audit, took.as_secs_f64());
    if is_root() {
        let o = std::process::Command::new("chown").args(["-R", "65534:65534"]).arg(&data).output().expect("chown");
        assert!(o.status.success());
    }
    let started = Instant::now();
    let d = Daemon::start_within(&["--config", c, "serve"], &data, Duration::from_secs(1200)).expect("serve");
    eprintln!("{label}: serving {:.1} s after start", started.elapsed().as_secs_f64());
    let cookie = session(&d);
    let ca = d.data.join("tls/ca.crt");
    let owner = format!("user{:06}", size.owners / 2);
    let pages = [
        ("jobs, newest".to_owned(), "/jobs".to_owned()),
        ("jobs, one owner".to_owned(), format!("/jobs?owner={owner}")),
        ("jobs, one state (worst case)".to_owned(), "/jobs?state=failed".to_owned()),
        ("audit, newest".to_owned(), "/audit".to_owned()),
        ("audit, one actor".to_owned(), format!("/audit?actor={owner}")),
        ("audit, one action".to_owned(), "/audit?action=badge.bind".to_owned()),
        ("users, search".to_owned(), "/users?q=adm".to_owned()),
    ];
    let mut out = Vec::new();
    for (name, path) in pages {
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t0 = Instant::now();
            let (status, _, _) = https_request(d.web, &ca, "GET", &path, &[("Cookie", &cookie)], b"").expect("page");
            times.push(t0.elapsed());
            assert_eq!(status, 200, "{path}");
        }
        let (p50, p99) = (percentile(&mut times, 500), percentile(&mut times, 990));
        out.push((name, p50, p99));
    }
    let _ = d.terminate();
    out
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let large = Size {
        jobs: arg("--jobs", if quick { 20_000 } else { 1_000_000 }),
        owners: arg("--owners", if quick { 2_000 } else { 100_000 }),
        audit: arg("--audit", if quick { 20_000 } else { 1_000_000 }),
    };
    let small = Size { jobs: 1_000, owners: 100, audit: 1_000 };
    let s = measure("small", &small);
    let l = measure("large", &large);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "\nconsole pages, {} requests each over one kept-alive-free HTTPS connection per request (TLS handshake included)",
        ROUNDS
    );
    println!(
        "{:<30} {:>22} {:>34} {:>10}",
        "page",
        "1,000 jobs: p50 / p99",
        format!("{} jobs: p50 / p99", large.jobs),
        "p99 ratio"
    );
    let mut worst: f64 = 0.0;
    for ((name, sp50, sp99), (_, lp50, lp99)) in s.iter().zip(&l) {
        let ratio = ms(*lp99) / ms(*sp99).max(0.001);
        worst = worst.max(ms(*lp99));
        println!(
            "{name:<30} {:>9.1} / {:>6.1} ms {:>21.1} / {:>6.1} ms {:>9.2}×",
            ms(*sp50),
            ms(*sp99),
            ms(*lp50),
            ms(*lp99),
            ratio
        );
    }
    println!("worst p99 on the large site: {worst:.1} ms against the 50 ms target");
}
