//! Panel services under load, against the real daemon on loopback:
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench panel [-- --quick]
//! ```
//!
//! - **200 concurrent panels.** Each panel, in a loop: TLS connect to 4321,
//!   badge login, list its user's 50 parked jobs, disconnect. Reported: the
//!   latency of one whole round (p50, p99) against the 25 ms target, and
//!   logins per second against the 2,000/s target. Measured twice: with TLS
//!   session resumption (each panel keeps its own client session cache, as
//!   a printer does) and with a full handshake every time. The server's CPU
//!   time per round is measured too, which gives its capacity per core
//!   without the load generator that shares the machine.
//! - **Memory with 1,000 open sessions**: the daemon's resident set, against
//!   the 100 MiB limit, and its growth from the idle daemon measured in the
//!   same run.
//!
//! Client and server share this machine's cores, so the figures are a floor
//! for the server alone.

use pullprint_tests::bench::{BenchSite, badge_session, bench_site};
use pullprint_tests::client::{Conn, client_config};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PANELS: usize = 200;
const JOBS: usize = 50;

fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// CPU time the process has used (user + system).
fn cpu_of(pid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    // After the command: state is field 0, utime 11, stime 12 (in clock ticks).
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let hz = 100; // USER_HZ on Linux
    Duration::from_millis((ticks(11) + ticks(12)) * 1000 / hz)
}

fn percentile(v: &mut [Duration], per_mille: usize) -> Duration {
    v.sort();
    v[((v.len() - 1) * per_mille + 500) / 1000]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Round {
    latencies: Vec<Duration>,
    logins: usize,
    took: Duration,
}

/// `PANELS` threads doing connect, badge login, job list for `window`:
/// each starts its next round at once (closed loop), or, with `pace`, every
/// `pace` (open loop: panels that come when people do, not when the last
/// round ended). Paced latencies count from when a round was due, so a
/// server that falls behind is not flattered by the rounds it delayed.
fn run(
    addr: SocketAddr,
    ca: &std::path::Path,
    device: &str,
    window: Duration,
    resume: bool,
    pace: Option<Duration>,
) -> Round {
    let all = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let threads: Vec<_> = (0..PANELS)
        .map(|i| {
            let (all, device) = (all.clone(), device.to_owned());
            // Each panel is its own printer, with its own TLS session cache.
            let cfg = client_config(ca).expect("client config");
            let ca = ca.to_owned();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let auth = format!("Bearer {device}");
                let body = br#"{"method":"badge","card":"04A1B2C3"}"#;
                // Spread the panels' first rounds over one period.
                let mut due = start
                    + pace.map_or(Duration::ZERO, |p| {
                        p * u32::try_from(i).unwrap_or(0) / u32::try_from(PANELS).unwrap_or(1)
                    });
                while start.elapsed() < window {
                    if pace.is_some()
                        && let Some(wait) = due.checked_duration_since(Instant::now())
                    {
                        std::thread::sleep(wait);
                    }
                    let t = if pace.is_some() { due } else { Instant::now() };
                    due += pace.unwrap_or(Duration::ZERO);
                    // Without resumption every connection gets a fresh client configuration (no session cache).
                    let cfg = if resume { cfg.clone() } else { client_config(&ca).expect("config") };
                    let mut c = Conn::tls_with(addr, cfg).expect("connect");
                    let r = c
                        .post(
                            "/panel/v1/sessions",
                            &[("Authorization", &auth), ("Content-Type", "application/json")],
                            body,
                        )
                        .expect("login");
                    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
                    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
                    let session = v["session"].as_str().expect("session").to_owned();
                    let r = c
                        .get("/panel/v1/jobs", &[("Authorization", &auth), ("X-Pullprint-Session", &session)])
                        .expect("jobs");
                    assert_eq!(r.status, 200);
                    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
                    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(JOBS));
                    mine.push(t.elapsed());
                }
                all.lock().expect("lock").extend(mine);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("panel thread");
    }
    let took = start.elapsed();
    let latencies = std::mem::take(&mut *all.lock().expect("lock"));
    Round { logins: latencies.len(), latencies, took }
}

fn report(name: &str, mut r: Round, server_cpu: Duration) {
    let rate = r.logins as f64 / r.took.as_secs_f64();
    let (p50, p99) = (percentile(&mut r.latencies, 500), percentile(&mut r.latencies, 990));
    let per_round = server_cpu.as_secs_f64() / r.logins as f64;
    println!(
        "  {name:<22} {rate:>6.0} logins/s ({:.2}x the 2,000/s target); round p50 {:.1} ms, p99 {:.1} ms ({:.2}x the 25 ms target)",
        rate / 2000.0,
        ms(p50),
        ms(p99),
        ms(p99) / 25.0
    );
    println!(
        "  {:<22} server CPU {:.3} ms per round: {:.0} rounds/s per server core ({:.2}x the target on one core)",
        "",
        per_round * 1000.0,
        1.0 / per_round,
        1.0 / per_round / 2000.0
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let window = Duration::from_secs(if quick { 3 } else { 10 });
    // alice with a badge, one printer, and 50 held jobs of hers.
    let BenchSite { dir: _dir, device, daemon: d, .. } = bench_site(JOBS, |_| {});
    let ca = d.data.join("tls/ca.crt");
    let idle_rss = rss_kib(d.pid());

    println!("{PANELS} concurrent panels, {} s each way, {JOBS} jobs listed per round:", window.as_secs());
    for (name, resume) in [("with TLS resumption", true), ("full handshake", false)] {
        let cpu = cpu_of(d.pid());
        let r = run(d.panel, &ca, &device, window, resume, None);
        report(name, r, cpu_of(d.pid()) - cpu);
    }
    println!("The same {PANELS} panels in an open loop, with TLS resumption, each due every {PANELS}/RATE s:");
    for offered in [500u32, 1000, 2000] {
        let pace = Duration::from_secs(PANELS as u64) / offered;
        let cpu = cpu_of(d.pid());
        let r = run(d.panel, &ca, &device, window, true, Some(pace));
        report(&format!("{offered} rounds/s offered"), r, cpu_of(d.pid()) - cpu);
    }

    // Memory with 1,000 open sessions (on one keep-alive connection).
    let before = rss_kib(d.pid());
    let mut c = Conn::tls(d.panel, &ca).expect("panel");
    for _ in 0..1000 {
        badge_session(&mut c, &device);
    }
    let after = rss_kib(d.pid());
    println!(
        "Resident memory: idle {:.1} MiB; after the load {:.1} MiB; with 1,000 more open sessions {:.1} MiB ({:.2}x the 100 MiB limit, +{:.1} MiB for the sessions)",
        idle_rss as f64 / 1024.0,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        after as f64 / 1024.0 / 100.0,
        after.saturating_sub(before) as f64 / 1024.0
    );
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}
