//! `pullprint status`: ask the running daemon for its health over HTTPS on
//! loopback, verifying it against the site's own CA; when it does not answer,
//! say what the data folder shows.

use crate::config::Config;
use crate::datadir::DataDir;
use anyhow::{Context, Result, anyhow};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// The daemon answered, but only in one word: the caller cannot read its
/// status token.
#[derive(Debug)]
struct OnlyStatus {
    status: String,
    token: std::path::PathBuf,
}

impl std::fmt::Display for OnlyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pullprint is running: {}. The full report needs {}, which only root and the service user can read (try `sudo pullprint status`).",
            self.status,
            self.token.display()
        )
    }
}

impl std::error::Error for OnlyStatus {}

/// Fetch `/healthz` from the first web listener.
pub fn fetch_health(cfg: &Config) -> Result<web_admin::Health> {
    let dd = DataDir::new(&cfg.data_dir);
    // The running daemon says where it bound; fall back to the configuration.
    let bound = std::fs::read(dd.root.join("run/endpoints.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<crate::startup::Endpoints>(&b).ok())
        .and_then(|e| e.web.first().copied());
    let mut addr = match bound {
        Some(a) => a,
        None => *cfg.web_listen.first().ok_or_else(|| anyhow!("no web listener configured"))?,
    };
    if addr.ip().is_unspecified() {
        addr = SocketAddr::new(if addr.is_ipv4() { IpAddr::from([127, 0, 0, 1]) } else { "::1".parse()? }, addr.port());
    }
    let ca = std::fs::read(dd.tls().join("ca.crt")).context("reading tls/ca.crt")?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&ca) {
        roots.add(c.map_err(|e| anyhow!("tls/ca.crt: {e}"))?)?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::IpAddress(addr.ip().into());
    let conn = rustls::ClientConnection::new(Arc::new(client), name)?;
    let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .with_context(|| format!("Pullprint is not answering on https://{addr}"))?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // The full report is for the holder of the token the daemon wrote at
    // start (readable by root and the service user only).
    let token = web_admin::StatusToken::read(&dd.root.join("run/status.token")).ok();
    let auth = token.as_ref().map(|t| format!("Authorization: Bearer {}\r\n", t.reveal())).unwrap_or_default();
    write!(tls, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n")?;
    let mut resp = Vec::new();
    match tls.read_to_end(&mut resp) {
        Ok(_) => {}
        // Some servers close without close_notify; what arrived is still whole HTTP.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !resp.is_empty() => {}
        Err(e) => return Err(e).with_context(|| format!("reading the health report from https://{addr}")),
    }
    let text = String::from_utf8_lossy(&resp);
    let body = text.split("\r\n\r\n").nth(1).ok_or_else(|| anyhow!("malformed HTTP reply from https://{addr}"))?;
    if token.is_none()
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(body.trim())
        && let Some(s) = v.get("status").and_then(|s| s.as_str())
    {
        return Err(OnlyStatus { status: s.to_owned(), token: dd.root.join("run/status.token") }.into());
    }
    serde_json::from_str(body.trim()).with_context(|| format!("malformed health report from https://{addr}"))
}

/// Print the status; the exit code is 0 when healthy, 1 when degraded, 3 when not running.
pub fn run(cfg: &Config, json: bool) -> u8 {
    match fetch_health(cfg) {
        Ok(h) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&h).unwrap_or_default());
            } else {
                println!("Pullprint {}: {}", h.version, h.status);
                println!("  site id:      {}", h.site_id);
                println!("  uptime:       {}", humantime::format_duration(Duration::from_secs(h.uptime_s)));
                println!("  parked jobs:  {}", h.parked_jobs);
                println!("  data free:    {} MiB", h.data_free_bytes >> 20);
                println!("  certificate:  expires {} ({} days)", h.certificate_expires, h.certificate_days_left);
                let c = &h.cloud;
                println!(
                    "  cloud sync:   {}: {} records and {} copies waiting{}, {} uploaded since start",
                    c.tenant,
                    c.backlog,
                    c.copies_backlog,
                    if c.lag_s > 0 {
                        format!(" (lag {})", humantime::format_duration(Duration::from_secs(c.lag_s)))
                    } else {
                        String::new()
                    },
                    c.uploaded
                );
                if c.failures > 0 {
                    println!(
                        "                last attempt failed ({} in a row): {}; next try in {} s",
                        c.failures, c.last_error, c.retry_in_s
                    );
                }
                if c.paused > 0 {
                    println!("                {} optional records paused while the outbox was full", c.paused);
                }
                if h.locked_sign_ins > 0 {
                    println!("  locked:       {} sign-in(s) locked after repeated failures", h.locked_sign_ins);
                }
                for p in &h.problems {
                    println!("  PROBLEM:      {p}");
                }
                for d in &h.dangerous_settings {
                    println!("  DANGEROUS:    {d}");
                }
            }
            if h.status == "ok" { 0 } else { 1 }
        }
        Err(e) if e.downcast_ref::<OnlyStatus>().is_some() => {
            println!("{e}");
            if e.downcast_ref::<OnlyStatus>().is_some_and(|o| o.status == "ok") { 0 } else { 1 }
        }
        Err(e) => {
            println!("Pullprint is not running: {e:#}");
            let dd = DataDir::new(&cfg.data_dir);
            if !dd.is_initialised() {
                println!("  data folder {} is not initialised (run `pullprint init`)", dd.root.display());
            } else if !dd.site_key().exists() {
                println!("  data folder {} is locked: run `pullprint init --recover`", dd.root.display());
            } else {
                let jobs = std::fs::read_dir(dd.store().join("jobs"))
                    .map(|r| {
                        r.filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".job")).count()
                    })
                    .unwrap_or(0);
                println!("  data folder {}: initialised, {jobs} job file(s)", dd.root.display());
            }
            3
        }
    }
}
