//! Release to a real printer, against peers measured in the same run:
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench release [-- --quick]
//! ```
//!
//! - **A 50 MB job.** From the release call at the panel to the first
//!   document byte in ippeveprinter's spool (target: under 20 ms), and the
//!   throughput from there to the whole document being there, against
//!   plain loopback TCP (the same bytes through a socket pair in this
//!   process) and against ipptool sending the same file to the same
//!   ippeveprinter over IPPS. Also RAW to a socket that discards, which is
//!   the engine's own pipeline (decrypt, send) with no printer behind it.
//! - **Per-job overhead, 100 KB jobs.** N jobs released at once to one
//!   printer, from the release call to the last one confirmed printed,
//!   per job; against `ipptool -n N` sending the same file N times with
//!   print-job.test to the same printer (which does not wait for each job
//!   to finish). Target: at most 1.2× ipptool.
//!
//! Everything runs on loopback; ippeveprinter "prints" with /bin/true.

use pullprint_tests::peers::{Avahi, EveOptions, EvePrinter, localhost_certificate};
use pullprint_tests::site::{Site, api, badge_login};
use pullprint_tests::*;
use serde_json::json;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

fn pdf(seed: u64, noise: usize) -> Vec<u8> {
    let mut d = format!(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 1/Kids[]>>endobj\n\
         4 0 obj<</Length {noise}>>stream\n"
    )
    .into_bytes();
    d.extend_from_slice(&body_for(seed, noise));
    d.extend_from_slice(b"\nendstream\nendobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
    d
}

fn session(d: &Daemon, cred: &str) -> String {
    let (code, v) = badge_login(d, cred, "12345678");
    assert_eq!(code, 201, "{v}");
    v["session"].as_str().expect("session").to_owned()
}

fn release_all(d: &Daemon, cred: &str, s: &str) {
    let (code, v) = api(d, "POST", "/panel/v1/jobs/release", cred, Some(s), Some(json!({})));
    assert_eq!(code, 202, "{v}");
}

fn spool_bytes(spool: &Path) -> u64 {
    std::fs::read_dir(spool)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().ends_with(".prn"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn clear(spool: &Path) {
    for e in std::fs::read_dir(spool).expect("spool").flatten() {
        let _ = std::fs::remove_file(e.path());
    }
}

/// MB/s of `len` bytes through a loopback TCP connection.
fn loopback_tcp(len: usize) -> f64 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    let reader = std::thread::spawn(move || {
        let (mut s, _) = l.accept().expect("accept");
        let mut buf = vec![0u8; 256 * 1024];
        let mut n = 0;
        while let Ok(k) = s.read(&mut buf) {
            if k == 0 {
                break;
            }
            n += k;
        }
        n
    });
    let chunk = vec![7u8; 256 * 1024];
    let t = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let mut sent = 0;
    while sent < len {
        s.write_all(&chunk).expect("write");
        sent += chunk.len();
    }
    drop(s);
    let got = reader.join().expect("reader");
    got as f64 / t.elapsed().as_secs_f64() / 1e6
}

fn ipptool(uri: &str, file: &Path, repeat: u32) -> Duration {
    let t = Instant::now();
    let o = std::process::Command::new("ipptool")
        .args(["-n", &repeat.to_string(), "-f"])
        .arg(file)
        .args([uri, "print-job.test"])
        .output()
        .expect("ipptool");
    assert!(o.status.success(), "ipptool: {}", String::from_utf8_lossy(&o.stdout));
    t.elapsed()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 1 } else { 3 };
    let per_job_n: u32 = if quick { 20 } else { 50 };
    let _avahi = Avahi::start();
    let site = Site::new("");
    site.user("alice", "12345678");
    let certs = world_traversable_tempdir();
    let ca = (site.data.join("tls/ca.crt"), site.data.join("tls/ca.key"));
    let (crt, key, _) = localhost_certificate(certs.path(), Some((&ca.0, &ca.1)));
    let eve = EvePrinter::start_with("Bench", &EveOptions { cert: Some((crt, key)), ..EveOptions::default() });
    let cred = site.printer("Bench", "hp", "localhost");
    let uri = format!("ipps://localhost:{}/ipp/print", eve.port);
    site.cli(&["device", "set", "Bench", "--uri", &uri]);
    let d = site.serve();

    // 1. A 50 MB job.
    let big = pdf(1, 50 << 20);
    let big_file = certs.path().join("big.pdf");
    std::fs::write(&big_file, &big).expect("write");
    let tcp: Vec<f64> = (0..rounds).map(|_| loopback_tcp(big.len())).collect();
    let mut firsts = Vec::new();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..rounds {
        clear(&eve.spool);
        assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &big).0, 200);
        let s = session(&d, &cred);
        let t = Instant::now();
        release_all(&d, &cred, &s);
        let mut first = None;
        loop {
            let n = spool_bytes(&eve.spool);
            if first.is_none() && n > 0 {
                first = Some(t.elapsed());
            }
            if n >= big.len() as u64 {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(60), "the 50 MB release did not arrive:\n{}", d.log());
            std::hint::spin_loop();
        }
        let whole = t.elapsed();
        let first = first.unwrap_or(whole);
        firsts.push(first);
        ours.push(big.len() as f64 / (whole - first).max(Duration::from_micros(1)).as_secs_f64() / 1e6);
        // Wait until confirmed and shredded, so rounds do not overlap.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !api(&d, "GET", "/panel/v1/jobs", &cred, Some(&s), None).1["jobs"].as_array().is_some_and(Vec::is_empty) {
            assert!(Instant::now() < deadline, "not confirmed:\n{}", d.log());
            std::thread::sleep(Duration::from_millis(10));
        }
        clear(&eve.spool);
        let took = ipptool(&uri, &big_file, 1);
        theirs.push(big.len() as f64 / took.as_secs_f64() / 1e6);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    firsts.sort();
    let first = firsts[firsts.len() / 2];
    let (tcp, ours_m, theirs_m) = (med(&mut tcp.clone()), med(&mut ours), med(&mut theirs));
    println!("50 MB job over IPPS to ippeveprinter, median of {rounds}:");
    println!(
        "  first document byte at the printer {:.1} ms after the release call ({:.2}x the 20 ms target)",
        first.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3 / 20.0
    );
    println!(
        "  throughput {ours_m:.0} MB/s = {:.2}x loopback TCP ({tcp:.0} MB/s; target >= 0.5x) = {:.2}x ipptool over IPPS to the same printer ({theirs_m:.0} MB/s)",
        ours_m / tcp,
        ours_m / theirs_m
    );

    // RAW to a discarding socket: the engine's own pipeline.
    let sink = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let sink_port = sink.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for s in sink.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = vec![0u8; 256 * 1024];
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
        }
    });
    let raw_cred = site.printer("Sink", "ricoh", "127.0.0.3");
    site.cli(&[
        "device",
        "set",
        "Sink",
        "--uri",
        &format!("socket://127.0.0.1:{sink_port}"),
        "--dangerous-allow",
        "socket",
    ]);
    assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &big).0, 200);
    let s = session(&d, &raw_cred);
    let t = Instant::now();
    release_all(&d, &raw_cred, &s);
    while !api(&d, "GET", "/panel/v1/jobs", &raw_cred, Some(&s), None).1["jobs"].as_array().is_some_and(Vec::is_empty) {
        assert!(t.elapsed() < Duration::from_secs(60), "RAW release did not end:\n{}", d.log());
        std::thread::sleep(Duration::from_millis(2));
    }
    let raw = big.len() as f64 / t.elapsed().as_secs_f64() / 1e6;
    println!(
        "  RAW to a discarding socket (decrypt and send, no printer): {raw:.0} MB/s = {:.2}x loopback TCP",
        raw / tcp
    );

    // 2. Per-job overhead of 100 KB jobs.
    let small = pdf(2, 100 * 1024);
    let small_file = certs.path().join("small.pdf");
    std::fs::write(&small_file, &small).expect("write");
    let mut ratios = Vec::new();
    let mut each_ratios = Vec::new();
    for round in 0..rounds {
        clear(&eve.spool);
        for _ in 0..per_job_n {
            assert_eq!(d.print_as("alice", "alice-Passw0rd-1", &small).0, 200);
        }
        let s = session(&d, &cred);
        let t = Instant::now();
        release_all(&d, &cred, &s);
        let deadline = Instant::now() + Duration::from_secs(120);
        while !api(&d, "GET", "/panel/v1/jobs", &cred, Some(&s), None).1["jobs"].as_array().is_some_and(Vec::is_empty) {
            assert!(Instant::now() < deadline, "the 100 KB jobs did not all print:\n{}", d.log());
            std::thread::sleep(Duration::from_millis(2));
        }
        let ours = t.elapsed() / per_job_n;
        clear(&eve.spool);
        let theirs = ipptool(&uri, &small_file, per_job_n) / per_job_n;
        clear(&eve.spool);
        let each: Duration = (0..per_job_n).map(|_| ipptool(&uri, &small_file, 1)).sum::<Duration>() / per_job_n;
        let r = ours.as_secs_f64() / theirs.as_secs_f64();
        println!(
            "round {}: {per_job_n} jobs of 100 KB: {:.1} ms a job, released and confirmed printed; \
             ipptool print-job {:.1} ms a job on one connection ({r:.2}x; target <= 1.2x), \
             {:.1} ms a job run one by one ({:.2}x)",
            round + 1,
            ours.as_secs_f64() * 1e3,
            theirs.as_secs_f64() * 1e3,
            each.as_secs_f64() * 1e3,
            ours.as_secs_f64() / each.as_secs_f64()
        );
        ratios.push(r);
        each_ratios.push(ours.as_secs_f64() / each.as_secs_f64());
    }
    println!(
        "per-job overhead, median: {:.2}x ipptool on one connection (target <= 1.2x); {:.2}x ipptool run once per job",
        med(&mut ratios),
        med(&mut each_ratios)
    );
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}
