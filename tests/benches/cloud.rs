//! Cloud sync benchmark, against s3s-fs on loopback:
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench cloud [-- --quick]
//! ```
//!
//! - **Ingest while syncing:** 8 clients submit 100 KB PDFs over IPPS to two
//!   daemons in alternate rounds, both staging every job's record and copy
//!   in their outbox: one drains it into the tenant as it goes (every
//!   200 ms, copies on), the other holds it (`sync_every = "1h"`). The
//!   figure is the ratio of the medians: what uploading costs ingest.
//! - **Drain:** the holding daemon is restarted to drain its backlog (a
//!   record and a 100 KB copy for each job), timed from start until health
//!   says the outbox is empty; against the same number of objects of the
//!   same size put one after another through `object_store` into the same
//!   s3s-fs, in the same run.
//!
//! Everything binds to 127.0.0.1 and is stopped by PID at the end.

use cloud_sync::tenant::{S3Config, SecretKey, Tenant, TenantConfig};
use object_store::{ObjectStoreExt, PutPayload};
use pullprint_tests::client::Conn;
use pullprint_tests::ipp::{Request, basic, status, tag};
use pullprint_tests::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use pullprint_tests::{
    Daemon, is_root, pullprint as pullprint_cmd, pullprint_bin, text, world_traversable_tempdir, write_config,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 8;
const JOB: usize = 100 * 1024;
const PASSWORD: &str = "bench-password-1";
const BUCKET: &str = "bench";

/// A 100 KB document that starts as a PDF.
fn document() -> Vec<u8> {
    let mut d = b"%PDF-1.4\n".to_vec();
    let mut i = 0u64;
    while d.len() < JOB - 64 {
        i += 1;
        d.extend_from_slice(format!("% filler {i:010} abcdefghijklmnopqrstuvwxyz0123456789\n").as_bytes());
    }
    d.extend_from_slice(b"%%EOF\n");
    d
}

/// A site under `dir` whose tenant is the s3s-fs at `endpoint`, prefix
/// `prefix`, drained every `every`; its configuration file.
fn site(dir: &Path, endpoint: &str, prefix: &str, every: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let data = dir.join("data");
    let creds = dir.join("s3");
    std::fs::write(&creds, format!("{ACCESS_KEY}\n{SECRET_KEY}\n")).expect("credentials");
    let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
    let cfg = write_config(
        dir,
        &data,
        &format!(
            "[ipp]\nmax_jobs_per_user = 100000000\nmax_bytes_per_user = 1099511627776\n\
             [tenant]\nkind = \"s3\"\nendpoint = \"{endpoint}\"\nbucket = \"{BUCKET}\"\nprefix = \"{prefix}\"\n\
             path_style = true\ndangerous_allow_http = true\ncopies = true\nsync_every = \"{every}\"\n\
             credentials_file = \"{}\"\n{service}",
            creds.display()
        ),
    );
    let c = cfg.to_str().expect("utf8");
    let o = pullprint_cmd(&["--config", c, "init"]);
    assert!(o.status.success(), "init: {}", text(&o));
    let pw = dir.join("bench.pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("password file");
    let o = pullprint_cmd(&["--config", c, "user", "add", "bench", "--password-file", pw.to_str().expect("utf8")]);
    assert!(o.status.success(), "user add: {}", text(&o));
    cfg
}

fn serve(cfg: &Path) -> Daemon {
    let data = cfg.parent().expect("dir").join("data");
    Daemon::start(&["--config", cfg.to_str().expect("utf8"), "serve"], &data, &[]).expect("serve")
}

/// 8 clients submit for `secs`: acknowledged jobs a second.
fn ingest(d: &Daemon, doc: &Arc<Vec<u8>>, secs: f64) -> f64 {
    let acked = AtomicU64::new(0);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let auth = basic("bench", PASSWORD);
    let uri = format!("ipps://{}/ipp/print", d.ipp);
    std::thread::scope(|s| {
        for _ in 0..CLIENTS {
            s.spawn(|| {
                let mut conn = Conn::tls(d.ipp, &d.data.join("tls/ca.crt")).expect("connect");
                let headers = [("Content-Type", "application/ipp"), ("Authorization", auth.as_str())];
                let mut id = 1;
                while Instant::now() < deadline {
                    let mut r = Request::new(0x0002, id, &uri);
                    r.attr(tag::NAME, "requesting-user-name", b"bench");
                    r.attr(tag::MIME, "document-format", b"application/pdf");
                    id += 1;
                    let resp = conn.post("/ipp/print", &headers, &r.finish(doc)).expect("post");
                    assert!(resp.status == 200 && status(&resp.body) == Some(0), "HTTP {}", resp.status);
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    acked.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The health report's `cloud` object.
fn cloud(d: &Daemon) -> serde_json::Value {
    let (_, body) = d.health().expect("health");
    serde_json::from_str::<serde_json::Value>(&body).expect("json")["cloud"].clone()
}

fn waiting(d: &Daemon) -> (u64, u64) {
    let c = cloud(d);
    (c["backlog"].as_u64().unwrap_or(0), c["copies_backlog"].as_u64().unwrap_or(0))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    assert!(
        pullprint_bin().parent().is_some_and(|p| p.ends_with("release")),
        "benchmark the release build: cargo build --release -p pullprint"
    );
    let (secs, rounds) = if quick { (3.0, 1) } else { (8.0, 3) };
    let doc = Arc::new(document());
    let tmp = world_traversable_tempdir();
    let s3 = S3Server::start(&tmp.path().join("s3"), &[BUCKET]);
    let syncing_cfg = site(&tmp.path().join("syncing"), &s3.endpoint(), "syncing", "200ms");
    let holding_cfg = site(&tmp.path().join("holding"), &s3.endpoint(), "holding", "1h");
    let syncing = serve(&syncing_cfg);
    let holding = serve(&holding_cfg);

    println!("Ingest: {CLIENTS} clients, 100 KB PDFs over IPPS, {secs} s a run, {rounds} round(s)");
    let (mut on, mut held) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let a = ingest(&syncing, &doc, secs);
        let b = ingest(&holding, &doc, secs);
        println!("  round {round}: uploading as it goes {a:.0} jobs/s   holding its outbox {b:.0} jobs/s");
        on.push(a);
        held.push(b);
    }
    let (a, b) = (median(&mut on), median(&mut held));
    println!("  median: {a:.0} against {b:.0} jobs/s: ingest while syncing is {:.3}x (target >= 0.95x)", a / b);

    // The holding daemon's backlog: drained on a restart set to sync.
    let (records, copies) = waiting(&holding);
    let (status, _) = holding.terminate();
    assert!(status.success());
    let text = std::fs::read_to_string(&holding_cfg).expect("config");
    std::fs::write(&holding_cfg, text.replace("sync_every = \"1h\"", "sync_every = \"200ms\"")).expect("config");
    let job_file = files_size(&tmp.path().join("holding/data/store/jobs"));
    let start = Instant::now();
    let d = serve(&holding_cfg);
    while waiting(&d) != (0, 0) {
        assert!(start.elapsed() < Duration::from_secs(1800), "the backlog did not drain: {}", cloud(&d));
        std::thread::sleep(Duration::from_millis(50));
    }
    let drain = start.elapsed().as_secs_f64();
    let mib = job_file as f64 / f64::from(1 << 20);
    println!(
        "Drain: {records} records and {copies} copies ({mib:.0} MiB of job files) in {drain:.2} s (daemon start included): \
         {:.0} copies/s, {:.1} MiB/s",
        copies as f64 / drain,
        mib / drain
    );

    // The same number of objects, of the job files' mean size, put one after another.
    let size = usize::try_from(job_file / copies.max(1)).expect("size");
    let raw = raw_puts(&s3.endpoint(), usize::try_from(copies).expect("count"), size);
    println!(
        "Raw puts: {copies} objects of {size} bytes through object_store, one after another: {raw:.2} s = {:.0}/s; \
         the drain reaches {:.2}x of it (target >= 0.8x)",
        copies as f64 / raw,
        raw / drain
    );
    drop(d);
    drop(syncing);
}

fn files_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |rd| rd.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
}

/// Seconds to put `n` objects of `size` bytes, one after another.
fn raw_puts(endpoint: &str, n: usize, size: usize) -> f64 {
    let tenant = Tenant::open(&TenantConfig::S3(S3Config {
        endpoint: endpoint.into(),
        bucket: BUCKET.into(),
        region: "us-east-1".into(),
        prefix: "raw".into(),
        access_key: ACCESS_KEY.into(),
        secret_key: SecretKey(zeroize::Zeroizing::new(SECRET_KEY.into())),
        path_style: true,
        dangerous_skip_tls_verify: false,
        dangerous_allow_http: true,
        timeout: Duration::from_secs(10),
    }))
    .expect("tenant");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let body = bytes::Bytes::from(vec![0x5au8; size]);
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..n {
            tenant
                .store()
                .put(&tenant.key(&format!("objects/{i:08}.bin")), PutPayload::from(body.clone()))
                .await
                .expect("put");
        }
        start.elapsed().as_secs_f64()
    })
}
