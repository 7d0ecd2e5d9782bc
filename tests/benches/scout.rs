//! Device Scout's sweeps against snmpsim serving the real recordings on
//! loopback, with `pullprint scout scan` as an admin runs it:
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench scout [-- --quick]
//! ```
//!
//! 1. A /24 (254 addresses) with 50 responding printers, full data
//!    collection, at the default rate: against the 5 s limit.
//! 2. A sysDescr-only sweep of the same /24, beside Debian's onesixtyone
//!    at the same packet rate, both measured in this run.
//! 3. A /16 (65,534 addresses, the same 50 printers in it) at 1,000
//!    packets/s and (without `--quick`) at the default rate, with the
//!    sweep's peak memory.
//!
//! Loopback addresses with no agent answer with ICMP "port unreachable",
//! which neither sweeper reads: to both they are silent addresses.

use pullprint_tests::peers::free_port;
use pullprint_tests::snmp::{PRINTERS, Snmpsim};
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant};

const DEFAULT_RATE: u32 = local_connector::scout::sweep::DEFAULT_RATE;

/// Run `pullprint scout scan ARGS` under /usr/bin/time: (wall time, peak
/// RSS in KiB, stderr's summary line).
fn scan(args: &[&str]) -> (Duration, u64, String) {
    let bin = pullprint_tests::pullprint_bin();
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "rss=%M"])
        .arg(&bin)
        .args(["scout", "scan"])
        .args(args)
        .output()
        .expect("run pullprint scout scan");
    let took = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let rss = stderr.lines().find_map(|l| l.strip_prefix("rss=")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let summary = stderr.lines().find(|l| l.starts_with("swept")).unwrap_or("").to_owned();
    (took, rss, summary)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let dir = pullprint_tests::world_traversable_tempdir();
    let port = free_port();
    let port_s = port.to_string();
    // 50 printers, 127.6.0.1-50: inside the /24 and the /16 below.
    let fleet: Vec<(Ipv4Addr, &str)> =
        (1..=50u8).map(|n| (Ipv4Addr::new(127, 6, 0, n), PRINTERS[usize::from(n - 1) % PRINTERS.len()])).collect();
    let _sim = Snmpsim::fleet(dir.path(), port, &fleet);
    println!("snmpsim serves {} printers on 127.6.0.1-50:{port}", fleet.len());

    // 1. A /24, full collection, default rate.
    let mut runs = Vec::new();
    for _ in 0..3 {
        let (t, rss, summary) = scan(&["127.6.0.0/24", "--port", &port_s, "--json"]);
        assert!(summary.contains("50 printers"), "{summary}");
        runs.push((t, rss));
    }
    runs.sort();
    let (t24, rss24) = runs[1];
    println!(
        "/24, 50 printers, full read, {DEFAULT_RATE} pps: median of 3 {:.2} s = {:.2} of the 5 s limit (peak RSS {} MiB)",
        t24.as_secs_f64(),
        t24.as_secs_f64() / 5.0,
        rss24 / 1024
    );

    // 2. sysDescr only, beside onesixtyone at the same rate (-w: ms between packets).
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, (1..=254).map(|n| format!("127.6.0.{n}\n")).collect::<String>()).expect("hosts");
    let wait_ms = 1000 / DEFAULT_RATE;
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..3 {
        let (t, _, summary) = scan(&["127.6.0.0/24", "--port", &port_s, "--identify-only", "--retries", "0", "--json"]);
        assert!(summary.contains("50 printers"), "{summary}");
        ours.push(t);
        let t = Instant::now();
        let out = Command::new("onesixtyone")
            .args(["-p", &port_s, "-w", &wait_ms.to_string(), "-i"])
            .arg(&hosts)
            .arg("public")
            .output()
            .expect("onesixtyone (Debian package onesixtyone) runs");
        theirs.push(t.elapsed());
        let found = String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("[public]")).count();
        assert_eq!(found, 50, "onesixtyone found {found}");
    }
    ours.sort();
    theirs.sort();
    println!(
        "/24 sysDescr only at {DEFAULT_RATE} pps: pullprint {:.2} s, onesixtyone {:.2} s (median of 3): {:.2}x onesixtyone's time",
        ours[1].as_secs_f64(),
        theirs[1].as_secs_f64(),
        ours[1].as_secs_f64() / theirs[1].as_secs_f64()
    );
    // Each ends with its own wait for late answers: ours the 1 s timeout;
    // onesixtyone's is fixed, measured here on one silent address.
    let t = Instant::now();
    let _ = Command::new("onesixtyone").args(["-p", &port_s, "127.6.1.1", "public"]).output();
    let their_wait = t.elapsed().as_secs_f64();
    let (our_send, their_send) = (ours[1].as_secs_f64() - 1.0, theirs[1].as_secs_f64() - their_wait);
    println!(
        "  less each one's final wait (pullprint 1.00 s, onesixtyone {their_wait:.2} s): sending took {our_send:.2} s and {their_send:.2} s ({:.2}x), against {:.2} s for 254 packets at the rate",
        our_send / their_send,
        254.0 / f64::from(DEFAULT_RATE)
    );

    // 3. A /16.
    let mut rates = vec![1000];
    if !quick {
        rates.push(DEFAULT_RATE);
    }
    for rate in rates {
        let rate_s = rate.to_string();
        let (t, rss, summary) = scan(&["127.6.0.0/16", "--port", &port_s, "--rate", &rate_s, "--json"]);
        assert!(summary.contains("50 printers"), "{summary}");
        // Silent addresses are asked twice (one retry, the default), so the
        // floor is the packets sent over the rate.
        let words: Vec<&str> = summary.split_whitespace().collect();
        let packets: f64 = words
            .windows(2)
            .find(|w| w[1] == "first-contact")
            .and_then(|w| w[0].parse().ok())
            .expect("the summary counts its packets");
        let ideal = packets / f64::from(rate);
        println!(
            "/16 (65,534 addresses), 50 printers, {rate} pps: {:.1} s for {packets} packets = {:.2}x the {ideal:.1} s the rate allows (peak RSS {} MiB)",
            t.as_secs_f64(),
            t.as_secs_f64() / ideal,
            rss / 1024
        );
    }
}
