//! The site the panel and phone benchmarks load: alice (password
//! [`PASSWORD`], badge `04:A1:B2:C3`), one printer registered as `bench`,
//! and her held jobs, served by the daemon.

use crate::client::Conn;
use crate::ipp::{Request, basic, tag};
use crate::{Daemon, is_root, pullprint, text, world_traversable_tempdir, write_config};
use std::path::PathBuf;

/// alice's directory password.
pub const PASSWORD: &str = "bench-password-1";

/// A served benchmark site.
#[derive(Debug)]
pub struct BenchSite {
    /// Its folder (removed on drop).
    pub dir: tempfile::TempDir,
    /// Its configuration file.
    pub cfg: PathBuf,
    /// The printer's panel credential (`ppd-...`).
    pub device: String,
    /// The daemon.
    pub daemon: Daemon,
}

impl BenchSite {
    /// Run `pullprint --config CFG ARGS`, which must succeed; its output.
    pub fn cli(&self, args: &[&str]) -> String {
        cli(&self.cfg, args)
    }
}

fn cli(cfg: &std::path::Path, args: &[&str]) -> String {
    let mut a = vec!["--config", cfg.to_str().expect("utf8")];
    a.extend_from_slice(args);
    let o = pullprint(&a);
    assert!(o.status.success(), "{args:?}: {}", text(&o));
    text(&o)
}

/// Set the site up, `before_serve` it (with the configuration file), serve
/// it, and park `jobs` small PDFs of alice's.
pub fn bench_site(jobs: usize, before_serve: impl FnOnce(&std::path::Path)) -> BenchSite {
    let dir = world_traversable_tempdir();
    let data = dir.path().join("data");
    let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
    let cfg = write_config(dir.path(), &data, service);
    cli(&cfg, &["init"]);
    let pw = dir.path().join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("pw");
    let pw = pw.to_str().expect("utf8");
    cli(&cfg, &["user", "add", "alice", "--email", "alice@example.test", "--password-file", pw]);
    cli(&cfg, &["badge", "bind", "alice", "04:A1:B2:C3"]);
    let out = cli(&cfg, &["device", "add", "bench", "--vendor", "km", "--address", "127.9.9.9"]);
    let device = out.split_whitespace().find(|w| w.starts_with("ppd-")).expect("credential").to_owned();
    before_serve(&cfg);
    let daemon = Daemon::start(&["--config", cfg.to_str().expect("utf8"), "serve"], &data, &[]).expect("serve");
    let mut c = Conn::tls(daemon.ipp, &data.join("tls/ca.crt")).expect("ipp");
    let auth = basic("alice", PASSWORD);
    for i in 0..jobs {
        let mut r = Request::new(0x0002, 1, &format!("ipps://{}/ipp/print", daemon.ipp));
        r.attr(tag::NAME, "job-name", format!("Document {i}").as_bytes());
        r.attr(tag::MIME, "document-format", b"application/pdf");
        let headers = [("Content-Type", "application/ipp"), ("Authorization", auth.as_str())];
        let resp = c.post("/ipp/print", &headers, &r.finish(b"%PDF-1.4\n%%EOF\n")).expect("print");
        assert_eq!(resp.status, 200);
    }
    BenchSite { dir, cfg, device, daemon }
}

/// Sign alice in by her badge at printer `device` over `c` (the panel
/// port): the session token.
pub fn badge_session(c: &mut Conn, device: &str) -> String {
    let bearer = format!("Bearer {device}");
    let r = c
        .post(
            "/panel/v1/sessions",
            &[("Authorization", &bearer), ("Content-Type", "application/json")],
            br#"{"method":"badge","card":"04A1B2C3"}"#,
        )
        .expect("login");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    v["session"].as_str().expect("session").to_owned()
}
