//! Sustained load against the real daemon: 10 submissions a second over
//! IPPS, 10 sign-ins a second at the panel API (sign in, list, sign out),
//! and 5 releases a second (sign in, Print All, sign out) to ippeveprinter,
//! for `PULLPRINT_SOAK_SECS` (300 by default; `tests/soak` runs an hour).
//!
//! What it asserts is not speed but wear: errors at or under 0.01 %, open
//! descriptors flat after a warm-up minute (under 5 of growth per 10
//! minutes, by the least-squares slope of one sample a second), and every
//! job submitted printed once by the end. Resident memory is measured the
//! same way; the target is under 1 MiB per 10 minutes, which the daemon
//! does not meet yet (see docs/SECURITY.md). The test holds it to under
//! 20 MiB per 10 minutes: on the CI machine of December 2026 the code that
//! had measured about 6 elsewhere measures 13 (11 to 16 across runs, with
//! and without cloud sync), and 20 stays below the 24 that keeping any
//! part of each job (a 4 KB document each, 3,000 in 5 minutes) would show.
//! The figure is printed either way. The test runs alone (`tests/run` runs
//! it after the rest of the suite; `tests/soak` runs it for an hour): run
//! beside other tests, its slopes would measure their load too (20.0 MiB
//! per 10 minutes, once, beside the phone tests' browsers and printers).

use pullprint_tests::client::{Conn, client_config};
use pullprint_tests::peers::{Avahi, EveOptions, EvePrinter, localhost_certificate};
use pullprint_tests::site::Site;
use pullprint_tests::{pdf, print_on, world_traversable_tempdir};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the load runs: `PULLPRINT_SOAK_SECS`, 300 by default.
fn duration() -> Duration {
    Duration::from_secs(std::env::var("PULLPRINT_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(300))
}

const USERS: usize = 10;

fn badge(u: usize) -> String {
    format!("5{u:07}")
}

/// One kind of operation, run at `per_second` by `workers` threads that
/// take the next slot of a fixed schedule (so a slow answer delays only
/// its own worker): counts of operations done and of errors.
struct Load {
    name: &'static str,
    per_second: u32,
    workers: usize,
    done: AtomicU64,
    errors: AtomicU64,
    first_errors: Mutex<Vec<String>>,
}

impl Load {
    fn new(name: &'static str, per_second: u32, workers: usize) -> Load {
        Load {
            name,
            per_second,
            workers,
            done: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            first_errors: Mutex::new(Vec::new()),
        }
    }

    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut e = self.first_errors.lock().expect("errors");
        if e.len() < 10 {
            e.push(what);
        }
    }

    /// Run `op(worker state, slot number)` on schedule until `end`.
    fn run<S: Send>(
        &self,
        start: Instant,
        end: Instant,
        mut state: impl FnMut() -> S,
        op: impl Fn(&mut S, u64) -> Result<(), String> + Sync,
    ) {
        let next = AtomicU64::new(0);
        let interval = Duration::from_secs(1) / self.per_second;
        std::thread::scope(|s| {
            for _ in 0..self.workers {
                let mut st = state();
                let (next, op) = (&next, &op);
                s.spawn(move || {
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let at = start + interval * u32::try_from(n).unwrap_or(u32::MAX);
                        if at >= end {
                            return;
                        }
                        if let Some(wait) = at.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        match op(&mut st, n) {
                            Ok(()) => self.done.fetch_add(1, Ordering::Relaxed),
                            Err(e) => {
                                self.error(e);
                                0
                            }
                        };
                    }
                });
            }
        });
    }
}

/// A panel's connection to the appliance, kept open between calls as a
/// printer keeps it, and made anew when the appliance closed it.
struct Panel {
    addr: SocketAddr,
    cfg: Arc<rustls::ClientConfig>,
    conn: Option<Conn>,
    device: String,
}

impl Panel {
    fn call(&mut self, method: &str, path: &str, session: Option<&str>, body: &str) -> Result<(u16, Value), String> {
        let auth = format!("Bearer {}", self.device);
        let mut h = vec![("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        if let Some(s) = session {
            h.push(("X-Pullprint-Session", s));
        }
        // A kept connection the server closed meanwhile is retried once on a new one.
        for fresh in [false, true] {
            if self.conn.is_none() {
                self.conn = Some(Conn::tls_with(self.addr, self.cfg.clone()).map_err(|e| format!("connect: {e}"))?);
            }
            let c = self.conn.as_mut().expect("connection");
            match c.request(method, path, &h, body.as_bytes()) {
                Ok(r) => {
                    if r.headers.iter().any(|(k, v)| k == "connection" && v.eq_ignore_ascii_case("close")) {
                        self.conn = None;
                    }
                    return Ok((r.status, serde_json::from_slice(&r.body).unwrap_or(Value::Null)));
                }
                Err(e) if fresh => return Err(format!("{method} {path}: {e}")),
                Err(_) => self.conn = None,
            }
        }
        unreachable!("the second try returns")
    }

    /// Sign in with `card`, do `then` in the session, sign out.
    fn session(&mut self, card: &str, then: impl FnOnce(&mut Panel, &str) -> Result<(), String>) -> Result<(), String> {
        let (code, v) =
            self.call("POST", "/panel/v1/sessions", None, &format!(r#"{{"method":"badge","card":"{card}"}}"#))?;
        if code != 201 {
            return Err(format!("sign-in: {code} {v}"));
        }
        let s = v["session"].as_str().ok_or("no session")?.to_owned();
        let r = then(self, &s);
        let (code, v) = self.call("DELETE", "/panel/v1/sessions/current", Some(&s), "")?;
        if code != 204 {
            return Err(format!("sign-out: {code} {v}"));
        }
        r
    }
}

/// The daemon's resident memory (kB) and open descriptors, from /proc.
fn sample(pid: i32) -> Option<(u64, usize)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some((rss, fds))
}

/// Least-squares slope of `ys` over `xs`, per unit of x.
fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let num: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let den: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if den == 0.0 { 0.0 } else { num / den }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

#[test]
#[ignore = "run alone, after the rest of the suite, by tests/run and tests/soak: its slopes must be the daemon's own"]
fn sustained_submissions_sign_ins_and_releases_keep_errors_rare_and_memory_and_descriptors_flat() {
    let _avahi = Avahi::start();
    // PULLPRINT_SOAK_CONFIG continues the configuration's [store] table
    // (and may open others), to see where memory goes.
    let site = Site::new(&std::env::var("PULLPRINT_SOAK_CONFIG").unwrap_or_default().replace("\\n", "\n"));
    let mut tokens = Vec::new();
    for u in 0..USERS {
        site.user(&format!("soak{u}"), &badge(u));
        tokens.push(site.token(&format!("soak{u}")));
    }
    let certs = world_traversable_tempdir();
    let ca = (site.data.join("tls/ca.crt"), site.data.join("tls/ca.key"));
    let (crt, key, _) = localhost_certificate(certs.path(), Some((&ca.0, &ca.1)));
    let eve = EvePrinter::start_with("Eve soak", &EveOptions { cert: Some((crt, key)), ..EveOptions::default() });
    let device = site.printer("Eve", "hp", "localhost");
    site.cli(&["device", "set", "Eve", "--uri", &format!("ipps://localhost:{}/ipp/print", eve.port)]);
    let d = site.serve();
    let pid = d.pid();
    let cfg = client_config(&ca.0).expect("client config");
    let panel = || Panel { addr: d.panel, cfg: cfg.clone(), conn: None, device: device.clone() };

    let submissions = Load::new("submissions", 10, 3);
    let sign_ins = Load::new("sign-ins", 10, 3);
    let releases = Load::new("releases", 5, 2);
    let submitted = AtomicUsize::new(0);
    let samples: Mutex<Vec<(f64, u64, usize)>> = Mutex::new(Vec::new());
    let length = duration();
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + length;

    std::thread::scope(|s| {
        s.spawn(|| {
            submissions.run(
                start,
                end,
                || None::<Conn>,
                |conn, n| {
                    let u = usize::try_from(n).unwrap_or(0) % USERS;
                    let doc = pdf(&format!("Soak {n}"), n, 4_000);
                    if conn.is_none() {
                        *conn = Some(Conn::tls_with(d.ipp, cfg.clone()).map_err(|e| format!("connect: {e}"))?);
                    }
                    let c = conn.as_mut().expect("connection");
                    match print_on(c, d.ipp, &format!("soak{u}"), &tokens[u], &doc) {
                        Ok((200, Some(st))) if st < 0x0100 => {
                            submitted.fetch_add(1, Ordering::Relaxed);
                            Ok(())
                        }
                        Ok(other) => Err(format!("submission {n}: {other:?}")),
                        Err(e) => {
                            *conn = None;
                            Err(format!("submission {n}: {e}"))
                        }
                    }
                },
            )
        });
        // A badge sign-in, one call in the session, and sign-out.
        let in_a_session = |method: &'static str, path: &'static str, body: &'static str, want: u16| {
            move |p: &mut Panel, n: u64| {
                p.session(&badge(usize::try_from(n).unwrap_or(0) % USERS), |p, s| {
                    match p.call(method, path, Some(s), body)? {
                        (code, _) if code == want => Ok(()),
                        (code, v) => Err(format!("{method} {path}: {code} {v}")),
                    }
                })
            }
        };
        let (list, release) =
            (in_a_session("GET", "/panel/v1/jobs", "", 200), in_a_session("POST", "/panel/v1/jobs/release", "{}", 202));
        let (sign_ins, releases) = (&sign_ins, &releases);
        s.spawn(move || sign_ins.run(start, end, panel, list));
        s.spawn(move || releases.run(start, end, panel, release));
        s.spawn(|| {
            while Instant::now() < end {
                if let Some((rss, fds)) = sample(pid) {
                    samples.lock().expect("samples").push((start.elapsed().as_secs_f64(), rss, fds));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
    });

    // Every user's last jobs are released; then each job submitted has printed once.
    let mut p = panel();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut printed = 0;
    while Instant::now() < deadline {
        printed = std::fs::read_dir(&eve.spool)
            .map(|d| d.filter(|e| e.as_ref().is_ok_and(|e| !e.file_name().to_string_lossy().ends_with(".prn"))).count())
            .unwrap_or(0);
        if printed >= submitted.load(Ordering::Relaxed) {
            break;
        }
        for u in 0..USERS {
            let _ = p.session(&badge(u), |p, s| p.call("POST", "/panel/v1/jobs/release", Some(s), "{}").map(|_| ()));
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let (st, log) = d.terminate();
    assert!(st.success(), "{}", &log[log.len().saturating_sub(5000)..]);

    // Growth after the warm-up minute (a fifth of a shorter run), per 10 minutes.
    let samples = samples.into_inner().expect("samples");
    let warm = (length.as_secs_f64() / 5.0).min(60.0);
    let after: Vec<&(f64, u64, usize)> = samples.iter().filter(|s| s.0 >= warm).collect();
    let xs: Vec<f64> = after.iter().map(|s| s.0).collect();
    let rss_kib: Vec<f64> = after.iter().map(|s| s.1 as f64).collect();
    let fds: Vec<f64> = after.iter().map(|s| s.2 as f64).collect();
    let per_10_min = |slope_per_s: f64| slope_per_s * 600.0;
    let rss_growth_mib = per_10_min(slope(&xs, &rss_kib)) / 1024.0;
    let fd_growth = per_10_min(slope(&xs, &fds));
    // The plainer measure, for comparison: the median of the first and of
    // the last 30 s after the warm-up, their difference scaled to 10 minutes.
    let span = xs.last().copied().unwrap_or(0.0) - warm;
    let window = |from: f64, to: f64, v: &[f64]| {
        median(xs.iter().zip(v).filter(|(x, _)| **x >= from && **x < to).map(|(_, y)| *y).collect())
    };
    let last = xs.last().copied().unwrap_or(0.0);
    let rss_ends_mib = (window(last - 30.0, last + 1.0, &rss_kib) - window(warm, warm + 30.0, &rss_kib)) / 1024.0
        * 600.0
        / span.max(1.0);

    let loads = [&submissions, &sign_ins, &releases];
    let ops: u64 = loads.iter().map(|l| l.done.load(Ordering::Relaxed) + l.errors.load(Ordering::Relaxed)).sum();
    let errors: u64 = loads.iter().map(|l| l.errors.load(Ordering::Relaxed)).sum();
    for l in loads {
        eprintln!(
            "soak: {}: {} done, {} errors (at {} a second) {:?}",
            l.name,
            l.done.load(Ordering::Relaxed),
            l.errors.load(Ordering::Relaxed),
            l.per_second,
            l.first_errors.lock().expect("errors")
        );
    }
    let (rss0, fd0) = after.first().map(|s| (s.1, s.2)).unwrap_or_default();
    let (rss1, fd1) = after.last().map(|s| (s.1, s.2)).unwrap_or_default();
    eprintln!(
        "soak: {:.0} s; {ops} operations, {errors} errors ({:.4} %); {} jobs submitted, {printed} printed\n\
         soak: after {warm:.0} s of warm-up: RSS {rss0} kB -> {rss1} kB, descriptors {fd0} -> {fd1}; \
         growth per 10 minutes by slope: RSS {rss_growth_mib:.2} MiB, descriptors {fd_growth:.1}; \
         RSS by the end windows' medians: {rss_ends_mib:.2} MiB",
        length.as_secs_f64(),
        errors as f64 * 100.0 / ops.max(1) as f64,
        submitted.load(Ordering::Relaxed),
    );
    assert!(errors * 10_000 <= ops, "{errors} errors in {ops} operations: over 0.01 %");
    // The target is 1 MiB; see the module's documentation for this bound.
    assert!(rss_growth_mib < 20.0, "resident memory grows {rss_growth_mib:.2} MiB per 10 minutes: a leak");
    assert!(fd_growth < 5.0, "open descriptors grow {fd_growth:.1} per 10 minutes");
    assert_eq!(printed, submitted.load(Ordering::Relaxed), "every job submitted printed once");
}
