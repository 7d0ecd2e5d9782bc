//! A panel sign-in while 2,000 hostile connections hold the daemon's
//! listeners, against the real daemon on loopback:
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench hostile [-- --quick]
//! ```
//!
//! The hostile connections come from 127.0.0.2 to 127.0.0.9 (so that the
//! per-address cap does not cut them), spread over the web, IPPS and panel
//! ports, a third each never starting the TLS handshake, sending only a
//! ClientHello, or sending headers one byte a second. Each one the server
//! drops at its deadline is opened again at once, so the sign-ins also
//! meet the reconnection bursts at 10 s (handshakes) and 20 s (headers).
//!
//! A sign-in is one badge login on the panel API over a new connection,
//! paced one every 100 ms; measured with TLS session resumption (as a
//! printer's panel does) and with a full handshake each time, first on a
//! quiet daemon, then with the crowd. Reported: p50, p99 and the slowest,
//! and how much slower the crowd made them. Client, crowd and server share
//! this machine's cores.

use pullprint_tests::client::{Conn, client_config};
use pullprint_tests::hostile::{Crowd, raise_open_file_limit};
use pullprint_tests::site::Site;
use std::net::IpAddr;
use std::time::{Duration, Instant};

const HOSTILE: usize = 2000;
const PACE: Duration = Duration::from_millis(100);

fn percentile(v: &mut [Duration], per_mille: usize) -> Duration {
    v.sort();
    v[((v.len() - 1) * per_mille + 500) / 1000]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `n` sign-ins, one due every [`PACE`]; their latencies.
fn sign_ins(d: &pullprint_tests::Daemon, device: &str, n: usize, resume: bool) -> Vec<Duration> {
    let ca = d.data.join("tls/ca.crt");
    let shared = client_config(&ca).expect("client config");
    let bearer = format!("Bearer {device}");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    let mut due = Instant::now();
    (0..n)
        .map(|_| {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            due += PACE;
            let t = Instant::now();
            let cfg = if resume { shared.clone() } else { client_config(&ca).expect("client config") };
            let mut c = Conn::tls_with(d.panel, cfg).expect("panel connection");
            let r =
                c.post("/panel/v1/sessions", &headers, br#"{"method":"badge","card":"CAFE0001"}"#).expect("sign-in");
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            t.elapsed()
        })
        .collect()
}

struct Figures {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn figures(mut v: Vec<Duration>) -> Figures {
    Figures {
        p50: percentile(&mut v, 500),
        p99: percentile(&mut v, 990),
        max: v.iter().copied().max().unwrap_or_default(),
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 50 } else { 300 };
    raise_open_file_limit(2 * HOSTILE as u64 + 1024);
    let site = Site::new("");
    site.user("alice", "CAFE0001");
    let device = site.printer("Lobby", "hp", "127.0.0.50");
    let d = site.serve();
    let sources: Vec<IpAddr> = (2..=9).map(|i| IpAddr::from([127, 0, 0, i])).collect();

    println!("Panel sign-ins, one every {} ms, {n} each way:", PACE.as_millis());
    let mut quiet = Vec::new();
    for (name, resume) in [("with TLS resumption", true), ("full handshake", false)] {
        let _warm = sign_ins(&d, &device, 5, resume);
        quiet.push((name, resume, figures(sign_ins(&d, &device, n, resume))));
    }
    let crowd = Crowd::start(
        &[d.web, d.ipp, d.panel],
        &sources,
        HOSTILE,
        client_config(&d.data.join("tls/ca.crt")).expect("cfg"),
    );
    assert!(crowd.wait_open(HOSTILE, Duration::from_secs(60)), "only {} hostile connections opened", crowd.open());
    for (name, resume, q) in quiet {
        let dropped = crowd.dropped();
        let c = figures(sign_ins(&d, &device, n, resume));
        let line =
            |f: &Figures| format!("p50 {:6.1} ms  p99 {:6.1} ms  max {:6.1} ms", ms(f.p50), ms(f.p99), ms(f.max));
        println!("  {name}:");
        println!("    quiet           {}", line(&q));
        println!(
            "    2,000 hostile   {}  (x{:.2} at p50, x{:.2} at p99; {} hostile connections dropped and reopened meanwhile)",
            line(&c),
            c.p50.as_secs_f64() / q.p50.as_secs_f64(),
            c.p99.as_secs_f64() / q.p99.as_secs_f64(),
            crowd.dropped() - dropped,
        );
    }
    drop(crowd);
    let (status, _) = d.terminate();
    assert!(status.success());
}
