//! Job store benchmark: `cargo bench -p local-connector --bench store [-- --quick]`.
//!
//! Every figure is reported beside a limit measured in the same run on the
//! same disk, because the machine is shared and noisy:
//! - raw: append 100 KB to one file and fdatasync, repeatedly (the disk's
//!   durable small-write rate; a store cannot beat one fsync per job alone);
//! - durable ingest of 100 KB jobs with 1 and 8 concurrent writers, as a
//!   ratio to raw;
//! - encryption throughput in memory, and its share of the ingest CPU time;
//! - a 1 GB job streamed in and out, with resident memory growth, against
//!   the disk's raw sequential write + fdatasync rate.
//!
//! Set `PULLPRINT_BENCH_DIR` to measure another disk (default: the temp dir).

use local_connector::crypto::SiteKey;
use local_connector::crypto::stream::BodyEncryptor;
use local_connector::store::{JobStore, JobSubmission, StoreOptions};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const JOB: usize = 100 * 1024;

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn cpu_time() -> Duration {
    // utime + stime of this process, from /proc (clock ticks of 10 ms on Linux).
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = after.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // Fields after ')' start at 3 (state, which did not parse): utime is field 14, stime 15.
    let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn raw_append_fdatasync(dir: &Path, secs: f64) -> f64 {
    let p = dir.join("raw.bin");
    let mut f = OpenOptions::new().create(true).append(true).open(&p).expect("raw file");
    let buf = vec![0x5au8; JOB];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        f.write_all(&buf).expect("write");
        f.sync_data().expect("fdatasync");
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(p);
    rate
}

fn raw_sequential(dir: &Path, bytes: u64) -> f64 {
    let p = dir.join("seq.bin");
    let mut f = OpenOptions::new().create(true).write(true).truncate(true).open(&p).expect("seq file");
    let buf = vec![0xa5u8; 1 << 20];
    let start = Instant::now();
    let mut done = 0;
    while done < bytes {
        f.write_all(&buf).expect("write");
        done += buf.len() as u64;
    }
    f.sync_data().expect("fdatasync");
    let rate = bytes as f64 / start.elapsed().as_secs_f64() / 1e6;
    drop(f);
    let _ = std::fs::remove_file(p);
    rate
}

fn submission() -> JobSubmission {
    JobSubmission {
        owner: "bench".into(),
        document_name: "bench.pdf".into(),
        format: "application/pdf".into(),
        copies: 1,
        ..Default::default()
    }
}

fn ingest(store: &JobStore, writers: usize, secs: f64) -> (f64, u64, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let cpu0 = cpu_time();
    let start = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|_| {
            let (store, stop, count) = (store.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || {
                let body = vec![0x42u8; JOB];
                while !stop.load(Ordering::Relaxed) {
                    let mut w = store.create(submission()).expect("create");
                    w.write_body(&body).expect("write");
                    w.commit().expect("commit");
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("join");
    }
    let n = count.load(Ordering::Relaxed);
    (n as f64 / start.elapsed().as_secs_f64(), n, cpu_time() - cpu0)
}

fn encryption_rate(bytes: usize) -> (f64, Duration) {
    let key = [7u8; 32];
    let data = vec![0x33u8; 1 << 20];
    let cpu0 = cpu_time();
    let start = Instant::now();
    let mut enc = BodyEncryptor::new(std::io::sink(), &key, &[1; 7], b"bench header");
    let mut done = 0;
    while done < bytes {
        enc.write_all(&data).expect("encrypt");
        done += data.len();
    }
    enc.finish().expect("finish");
    (bytes as f64 / start.elapsed().as_secs_f64() / 1e6, cpu_time() - cpu0)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let secs = if quick { 2.0 } else { 5.0 };
    let big: u64 = if quick { 256 << 20 } else { 1 << 30 };
    let base = std::env::var_os("PULLPRINT_BENCH_DIR").map(Into::into).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new().prefix("pullprint-bench-").tempdir_in(base).expect("bench dir");
    println!(
        "Pullprint job store benchmark ({} mode), in {}",
        if quick { "quick" } else { "full" },
        dir.path().display()
    );

    let raw = raw_append_fdatasync(dir.path(), secs);
    println!("raw 100 KB append+fdatasync:        {raw:>9.0} /s   (the limit)");

    let key = SiteKey::from_bytes([9u8; 32]);
    let opts = StoreOptions {
        dir: dir.path().join("store"),
        retention: Duration::from_secs(3600),
        max_job_bytes: 4 << 30,
        min_free_bytes: 0,
        index_cache_bytes: 64 << 20,
        outbox: None,
    };
    let (store, _) = JobStore::open(opts, &key).expect("open store");
    let (r1, n1, _) = ingest(&store, 1, secs);
    println!("durable ingest, 1 writer:           {r1:>9.0} /s   {:.2}× raw  ({n1} jobs)", r1 / raw);
    let (r8, n8, cpu8) = ingest(&store, 8, secs);
    println!("durable ingest, 8 writers:          {r8:>9.0} /s   {:.2}× raw  ({n8} jobs; target ≥ 0.80×)", r8 / raw);

    let (enc_mb, _) = encryption_rate(if quick { 256 << 20 } else { 1 << 30 });
    println!("AES-256-GCM STREAM encryption:      {enc_mb:>9.0} MB/s");
    // CPU the 8-writer run spent encrypting, estimated from the in-memory rate.
    let enc_secs = (n8 as f64 * JOB as f64) / (enc_mb * 1e6);
    let share = enc_secs / cpu8.as_secs_f64().max(1e-9);
    println!(
        "encryption share of ingest CPU:     {:>9.1} %   (target ≤ 10 %; ingest used {:.2} s CPU)",
        share * 100.0,
        cpu8.as_secs_f64()
    );

    let seq = raw_sequential(dir.path(), big);
    println!("raw sequential write+fdatasync:     {seq:>9.0} MB/s (the limit)");
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let rss0 = rss_kib();
    peak.store(rss0, Ordering::Relaxed);
    let piece = vec![0x17u8; 1 << 20];
    let start = Instant::now();
    let mut w = store.create(submission()).expect("create big");
    let mut done = 0;
    while done < big {
        w.write_body(&piece).expect("write big");
        done += piece.len() as u64;
    }
    let meta = w.commit().expect("commit big");
    let in_mb = big as f64 / start.elapsed().as_secs_f64() / 1e6;
    let in_peak = peak.load(Ordering::Relaxed);
    let start = Instant::now();
    let mut r = store.read(meta.id).expect("open big");
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0u64;
    loop {
        let n = r.read(&mut buf).expect("read big");
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    assert_eq!(got, big);
    let out_mb = big as f64 / start.elapsed().as_secs_f64() / 1e6;
    sampling.store(false, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let growth = peak.load(Ordering::Relaxed).saturating_sub(rss0) as f64 / 1024.0;
    println!("{} MiB job in (encrypt+fdatasync): {in_mb:>9.0} MB/s  {:.2}× raw sequential", big >> 20, in_mb / seq);
    println!("{} MiB job out (decrypt):          {out_mb:>9.0} MB/s", big >> 20);
    println!(
        "resident memory growth, in and out: {growth:>8.1} MiB  (limit 64 MiB; {:.1} MiB during ingest)",
        in_peak.saturating_sub(rss0) as f64 / 1024.0
    );
    println!(
        "SUMMARY raw={raw:.0}/s ingest1={r1:.0}/s({:.2}x) ingest8={r8:.0}/s({:.2}x) enc={enc_mb:.0}MB/s enc_share={:.1}% big_in={in_mb:.0}MB/s({:.2}x) big_out={out_mb:.0}MB/s rss_growth={growth:.1}MiB",
        r1 / raw,
        r8 / raw,
        share * 100.0,
        in_mb / seq
    );
}
