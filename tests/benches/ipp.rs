//! IPP submission benchmark, against a real cupsd measured in the same run:
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench ipp [-- --quick]
//! ```
//!
//! - **Durable ingest:** 8 clients, each on its own keep-alive connection,
//!   submit 100 KB PDFs with Print-Job as fast as they are acknowledged.
//!   Pullprint is driven over IPPS with HTTP Basic, and parks every job
//!   encrypted and fsynced before it answers. cupsd is driven over plain IPP
//!   (the cheaper transport), into a raw queue that holds every job
//!   (`job-hold-until=indefinite`); it does not fsync before it answers. The
//!   two alternate in rounds, and the figure is the ratio of the medians.
//! - **A 1 GiB job** over IPPS: throughput, against the 300 MB/s target, and
//!   the daemon's resident memory growth while it streams.
//!
//! Both servers bind to 127.0.0.1 only and are stopped by PID at the end.

use pullprint_tests::client::Conn;
use pullprint_tests::ipp::{Request, basic, status, tag};
use pullprint_tests::peers::{Cupsd, samples};
use pullprint_tests::{
    Daemon, is_root, pullprint as pullprint_cmd, pullprint_bin, text, world_traversable_tempdir, write_config,
};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 8;
const JOB: usize = 100 * 1024;
const PASSWORD: &str = "bench-password-1";

/// A real 100 KB PDF: Ghostscript's five-page sample, padded with comment
/// lines after its end (which PDF readers ignore).
fn pdf_100k() -> Vec<u8> {
    let mut d = std::fs::read(samples().join("five-pages.pdf")).expect("sample pdf");
    let mut i = 0u64;
    while d.len() < JOB - 80 {
        i += 1;
        d.extend_from_slice(format!("% padding line {i:08} 0123456789abcdefghijklmnopqrstuvwxyz\n").as_bytes());
    }
    d.truncate(JOB - 1);
    d.push(b'\n');
    d
}

fn rss_kib(pid: i32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Where to send jobs and how.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    path: String,
    uri: String,
    /// CA file for TLS, or `None` for plain IPP.
    ca: Option<std::path::PathBuf>,
    auth: Option<String>,
    /// Extra job attributes (cupsd: hold the job).
    hold: bool,
}

impl Target {
    fn connect(&self) -> Conn {
        match &self.ca {
            Some(ca) => Conn::tls(self.addr, ca),
            None => Conn::plain(self.addr),
        }
        .expect("connect")
    }

    fn print_job(&self, id: i32, doc: &[u8]) -> Vec<u8> {
        let mut r = Request::new(0x0002, id, &self.uri);
        r.attr(tag::NAME, "requesting-user-name", b"bench");
        r.attr(tag::NAME, "job-name", b"bench");
        r.attr(tag::MIME, "document-format", b"application/pdf");
        if self.hold {
            r.job_group();
            r.attr(tag::KEYWORD, "job-hold-until", b"indefinite");
        }
        r.finish(doc)
    }

    fn headers(&self) -> Vec<(&str, &str)> {
        let mut h = vec![("Content-Type", "application/ipp")];
        if let Some(a) = &self.auth {
            h.push(("Authorization", a.as_str()));
        }
        h
    }
}

/// 8 clients submit for `secs`; acknowledged jobs per second.
fn ingest(t: &Target, doc: &Arc<Vec<u8>>, secs: f64) -> f64 {
    let acked = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    std::thread::scope(|s| {
        for c in 0..CLIENTS {
            let (t, doc, acked) = (t.clone(), doc.clone(), acked.clone());
            s.spawn(move || {
                let mut conn = t.connect();
                let headers = t.headers();
                let mut id = 1;
                while Instant::now() < deadline {
                    let body = t.print_job(id, &doc);
                    id += 1;
                    match conn.post(&t.path, &headers, &body) {
                        Ok(r) if r.status == 200 && status(&r.body) == Some(0) => {
                            acked.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => panic!("client {c}: HTTP {} IPP {:?}", r.status, status(&r.body)),
                        Err(e) => panic!("client {c}: {e}"),
                    }
                }
            });
        }
    });
    acked.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The disk's durable small-write rate, as a ceiling: 8 threads each append
/// 100 KB to their own file and fdatasync, for `secs`.
fn raw_fdatasync_rate(dir: &Path, secs: f64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    std::thread::scope(|s| {
        for c in 0..CLIENTS {
            let done = done.clone();
            s.spawn(move || {
                let mut f = std::fs::File::create(dir.join(format!("raw-{c}"))).expect("raw file");
                let buf = vec![0x5au8; JOB];
                while start.elapsed().as_secs_f64() < secs {
                    f.write_all(&buf).expect("write");
                    f.sync_data().expect("fdatasync");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    for c in 0..CLIENTS {
        let _ = std::fs::remove_file(dir.join(format!("raw-{c}")));
    }
    rate
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A 1 GiB document over one IPPS connection: MB/s and peak RSS growth (MiB).
fn big_job(t: &Target, pid: i32, total: u64) -> (f64, f64) {
    let baseline = rss_kib(pid);
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    // A PDF whose one stream holds `total` bytes of noise: how a scan or a
    // photo book looks to the queue (almost all stream data).
    let pdf_head = format!("%PDF-1.7\n1 0 obj<</Length {total}>>stream\n").into_bytes();
    let pdf_tail = b"\nendstream endobj\n2 0 obj<</Type/Catalog/Pages 3 0 R>>endobj\n\
3 0 obj<</Type/Pages/Kids[]/Count 1>>endobj\ntrailer<</Root 2 0 R>>\n%%EOF\n";
    let head = t.print_job(1, &pdf_head);
    let mut chunk = vec![0u8; 1 << 20];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for b in chunk.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x.to_le_bytes()[0];
    }
    let mut conn = t.connect();
    let start = Instant::now();
    let len = head.len() as u64 + total + pdf_tail.len() as u64;
    let r = conn
        .post_with(&t.path, &t.headers(), len, |w: &mut dyn Write| {
            w.write_all(&head)?;
            let mut left = total;
            while left > 0 {
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
                w.write_all(&chunk[..n])?;
                left -= n as u64;
            }
            w.write_all(pdf_tail)
        })
        .expect("large job");
    let secs = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    assert_eq!((r.status, status(&r.body)), (200, Some(0)), "the 1 GiB job was refused");
    let growth = peak.load(Ordering::Relaxed).saturating_sub(baseline) as f64 / 1024.0;
    (total as f64 / secs / 1e6, growth)
}

/// A production `serve` on loopback (as root it drops to `nobody`), with
/// per-user limits raised so that the benchmark is never refused, and one
/// local user, `bench`.
fn pullprint(dir: &Path) -> Daemon {
    let data = dir.join("data");
    let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
    let cfg = write_config(
        dir,
        &data,
        &format!(
            "max_job_bytes = 4294967296\n[ipp]\nmax_jobs_per_user = 100000000\nmax_bytes_per_user = 1099511627776\n{service}"
        ),
    );
    let cfg = cfg.to_str().expect("utf8");
    let o = pullprint_cmd(&["--config", cfg, "init"]);
    assert!(o.status.success(), "init: {}", text(&o));
    let pw = dir.join("bench.pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("password file");
    let o = pullprint_cmd(&["--config", cfg, "user", "add", "bench", "--password-file", pw.to_str().expect("utf8")]);
    assert!(o.status.success(), "user add: {}", text(&o));
    Daemon::start(&["--config", cfg, "serve"], &data, &[]).expect("pullprint serve starts")
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let bin = pullprint_bin();
    assert!(
        bin.parent().is_some_and(|p| p.ends_with("release")),
        "benchmark the release build: cargo build --release -p pullprint"
    );
    let secs = if quick { 3.0 } else { 8.0 };
    let rounds = if quick { 1 } else { 3 };
    let doc = Arc::new(pdf_100k());

    let tmp = world_traversable_tempdir();
    let daemon = pullprint(tmp.path());
    let ours = Target {
        addr: daemon.ipp,
        path: "/ipp/print".into(),
        uri: format!("ipps://{}/ipp/print", daemon.ipp),
        ca: Some(daemon.data.join("tls/ca.crt")),
        auth: Some(basic("bench", PASSWORD)),
        hold: false,
    };

    let cupsd = Cupsd::start_with("warn");
    let out = cupsd
        .run("lpadmin", &["-p", "held", "-E", "-v", "socket://127.0.0.1:9", "-o", "job-hold-until-default=indefinite"]);
    assert!(out.status.success(), "lpadmin: {}", String::from_utf8_lossy(&out.stderr));
    let cups_addr: SocketAddr = format!("127.0.0.1:{}", cupsd.port).parse().expect("addr");
    let theirs = Target {
        addr: cups_addr,
        path: "/printers/held".into(),
        uri: format!("ipp://127.0.0.1:{}/printers/held", cupsd.port),
        ca: None,
        auth: None,
        hold: true,
    };

    println!("IPP ingest: {CLIENTS} clients, 100 KB PDFs, {secs} s per run, {rounds} round(s)");
    let (mut p, mut c, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let a = ingest(&ours, &doc, secs);
        let b = ingest(&theirs, &doc, secs);
        let raw = raw_fdatasync_rate(tmp.path(), secs / 2.0);
        println!(
            "  round {round}: Pullprint (IPPS, fsync) {a:.0} jobs/s   cupsd held queue (IPP) {b:.0} jobs/s   \
             disk: 8 x (100 KB append + fdatasync) {raw:.0}/s"
        );
        p.push(a);
        c.push(b);
        r.push(raw);
    }
    let (p, c, r) = (median(&mut p), median(&mut c), median(&mut r));
    println!(
        "  median: Pullprint {p:.0}/s, cupsd {c:.0}/s: ratio {:.2}x (target >= 3x); \
         Pullprint reaches {:.2}x of the disk's durable write rate ({r:.0}/s)",
        p / c,
        p / r
    );
    drop(cupsd);

    let total: u64 = if quick { 256 << 20 } else { 1 << 30 };
    let (mbps, growth) = big_job(&ours, daemon.pid(), total);
    println!(
        "Large job over IPPS: {} MiB at {mbps:.0} MB/s = {:.2}x the 300 MB/s target; daemon RSS grew {growth:.1} MiB",
        total >> 20,
        mbps / 300.0
    );
    let (s, log) = daemon.terminate();
    assert!(s.success(), "{log}");
}
