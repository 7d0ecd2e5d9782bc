//! The server certificate renewed before it expires, and a new one served
//! without a restart.
//!
//! Every [`CHECK_EVERY`] the daemon looks at `tls/server.crt` and
//! `tls/server.key`. When they changed (`pullprint certificate renew`, or a
//! certificate an admin put there) it reads them and, once the key is seen
//! to fit the certificate, every listener presents them from the next
//! handshake on. When the certificate in force has fewer than
//! [`RENEW_BEFORE`] left, the daemon issues a new one from the internal CA,
//! as `pullprint certificate renew` does, and serves it. Printers and
//! workstations trust the CA, not the certificate, so a renewal changes
//! nothing for them.
//!
//! A failed renewal is logged and tried again after [`RETRY_AFTER`]. Health
//! reports a certificate with fewer than 30 days left, which, since renewal
//! starts at 30 days, means renewal is failing.

use super::{ServerFiles, lock_tls};
use crate::config::KeyType;
use anyhow::{Context, Result};
use local_connector::net::ServerCert;
use rustls::pki_types::{CertificateDer, pem::PemObject};
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Renew the server certificate when it has fewer than this left: 30 days,
/// so that a month of failed attempts shows in health before it expires.
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 86400);
/// How often the daemon looks at the files (two `stat` calls) and at the
/// expiry of the certificate in force.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);
/// After a failed renewal, wait this long before trying again.
pub const RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What a certificate is issued for: `site.hostnames`, `site.addresses`
/// (the issuer adds loopback) and `tls.key_type`.
#[derive(Debug, Clone)]
pub struct Names {
    /// DNS names.
    pub hostnames: Vec<String>,
    /// IP addresses.
    pub addresses: Vec<IpAddr>,
    /// The key to make.
    pub key_type: KeyType,
}

/// Which version of the files is in force: device, inode, modification
/// time and length of `server.crt`, then of `server.key`. Files are replaced
/// by renaming, so a new version has a new inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp([(u64, u64, i64, i64, u64); 2]);

impl Stamp {
    fn of(tls_dir: &Path) -> std::io::Result<Stamp> {
        let one = |n: &str| {
            std::fs::metadata(tls_dir.join(n)).map(|m| (m.dev(), m.ino(), m.mtime(), m.mtime_nsec(), m.len()))
        };
        Ok(Stamp([one("server.crt")?, one("server.key")?]))
    }
}

/// What one [`Renewal::check`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Nothing changed.
    Unchanged,
    /// The files changed and are now served.
    Reloaded,
    /// The certificate was due; a new one is issued and served.
    Renewed,
    /// The certificate was due, and issuing a new one failed.
    Failed,
}

/// The daemon's side of the server certificate: it keeps [`ServerCert`]
/// in step with `tls/`, and renews the certificate when it is due.
#[derive(Debug)]
pub struct Renewal {
    tls_dir: PathBuf,
    names: Names,
    cert: Arc<ServerCert>,
    /// The version of the files last read successfully.
    served: Option<Stamp>,
    /// Why they could not be read last time (logged once, not every check).
    unreadable: Option<String>,
    /// When a renewal last failed.
    failed_at: Option<Instant>,
}

impl Renewal {
    /// Keep `cert` in step with the files in `tls_dir`, renewing for `names`.
    pub fn new(tls_dir: &Path, names: Names, cert: Arc<ServerCert>) -> Renewal {
        Renewal { tls_dir: tls_dir.to_owned(), names, cert, served: None, unreadable: None, failed_at: None }
    }

    /// Look at the files and the expiry once, as of `now`: serve changed
    /// files, and renew a certificate that is due. Blocking (a renewal makes
    /// a key); run it off the async threads.
    pub fn check(&mut self, now: SystemTime) -> Checked {
        let mut did = if self.reload() { Checked::Reloaded } else { Checked::Unchanged };
        let due = self.cert.not_after() < now + RENEW_BEFORE;
        if due && self.failed_at.is_none_or(|t| t.elapsed() >= RETRY_AFTER) {
            match renew_if_due(&self.tls_dir, &self.names, now) {
                Ok(renewed) => {
                    self.failed_at = None;
                    if renewed {
                        log::info!("certificate: the server certificate was due for renewal; issued a new one");
                    }
                    if self.reload() {
                        did = Checked::Renewed;
                    }
                }
                Err(e) => {
                    log::error!(
                        "certificate: renewing the server certificate failed: {e:#}; trying again in {} min",
                        RETRY_AFTER.as_secs() / 60
                    );
                    self.failed_at = Some(Instant::now());
                    did = Checked::Failed;
                }
            }
        }
        did
    }

    /// Serve the files if they changed since they were last read; whether
    /// a different certificate is now in force.
    fn reload(&mut self) -> bool {
        let loaded = Stamp::of(&self.tls_dir).map_err(anyhow::Error::from).and_then(|stamp| {
            if self.served.as_ref() == Some(&stamp) {
                return Ok(None);
            }
            let (key, not_after) = ServerFiles::read(&self.tls_dir)?.certified()?;
            Ok(Some((stamp, key, not_after)))
        });
        match loaded {
            Ok(None) => false,
            Ok(Some((stamp, key, not_after))) => {
                self.served = Some(stamp);
                self.unreadable = None;
                let new = key.end_entity_cert().ok().map(|c| c.clone().into_owned());
                if new.is_none() || new == self.cert.end_entity() {
                    return false;
                }
                self.cert.replace(key, not_after);
                log::info!(
                    "certificate: now serving {} (expires {})",
                    new.as_ref().map(describe).unwrap_or_default(),
                    humantime::format_rfc3339_seconds(not_after)
                );
                true
            }
            Err(e) => {
                // A renewal in another process holds the lock while it
                // writes, so a half-written pair is not seen; a key that does
                // not fit its certificate is kept out until it does.
                let why = format!("{e:#}");
                if self.unreadable.as_deref() != Some(why.as_str()) {
                    log::warn!("certificate: not serving the files in {}: {why}", self.tls_dir.display());
                    self.unreadable = Some(why);
                }
                false
            }
        }
    }
}

/// Under the exclusive lock on `tls/`, issue a new server certificate if
/// the one on disk expires within [`RENEW_BEFORE`] of `now` (or cannot be
/// read); whether it did. Checked again under the lock, so that a renewal
/// by `pullprint certificate renew` a moment before is not repeated.
fn renew_if_due(tls_dir: &Path, names: &Names, now: SystemTime) -> Result<bool> {
    let _exclusive = lock_tls(tls_dir, nix::fcntl::FlockArg::LockExclusive)?;
    if tls_dir.join(super::CUSTOM_MARK).exists() {
        anyhow::bail!(
            "the server certificate is the admin's own (uploaded in the console) and is not renewed automatically: \
             upload a new one, or go back to the internal CA on the console's system page"
        );
    }
    let on_disk = std::fs::read(tls_dir.join("server.crt"))
        .context("reading tls/server.crt")
        .and_then(|pem| CertificateDer::from_pem_slice(&pem).map_err(|e| anyhow::anyhow!("tls/server.crt: {e}")))
        .and_then(|c| super::not_after(&c));
    if matches!(on_disk, Ok(t) if t >= now + RENEW_BEFORE) {
        return Ok(false);
    }
    let (crt, key) = (tls_dir.join("server.crt"), tls_dir.join("server.key"));
    super::issue_server_to(tls_dir, (&crt, &key), &names.hostnames, &names.addresses, names.key_type)?;
    Ok(true)
}

/// "serial 5f3a…" of a certificate, for the log.
fn describe(cert: &CertificateDer<'_>) -> String {
    match x509_parser::parse_x509_certificate(cert) {
        Ok((_, c)) => {
            // The integer, as `openssl x509 -serial` shows it: without the
            // zero byte DER puts before a serial whose top bit is set.
            let mut bytes = c.raw_serial();
            while bytes.len() > 1 && bytes[0] == 0 {
                bytes = &bytes[1..];
            }
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("the certificate with serial {hex}")
        }
        Err(_) => "a certificate".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, PathBuf, Names) {
        let t = tempfile::tempdir().expect("tempdir");
        let tls = t.path().join("tls");
        let names = Names { hostnames: vec!["print.example".into()], addresses: vec![], key_type: KeyType::EcdsaP256 };
        super::super::create_all(&tls, "test", &names.hostnames, &names.addresses, names.key_type).expect("certs");
        (t, tls, names)
    }

    fn leaf_on_disk(tls: &Path) -> Vec<u8> {
        let pem = std::fs::read(tls.join("server.crt")).expect("crt");
        CertificateDer::from_pem_slice(&pem).expect("pem").as_ref().to_vec()
    }

    #[test]
    fn a_certificate_renewed_by_another_process_is_served_at_the_next_check() {
        let (_t, tls, names) = site();
        let identity = super::super::ServerIdentity::load(&tls).expect("load");
        let mut r = Renewal::new(&tls, names.clone(), identity.cert.clone());
        assert_eq!(r.check(SystemTime::now()), Checked::Unchanged, "the files in force are not new");
        super::super::issue_server(&tls, &names.hostnames, &names.addresses, names.key_type).expect("renew");
        assert_eq!(r.check(SystemTime::now()), Checked::Reloaded);
        assert_eq!(identity.cert.end_entity().expect("leaf").as_ref(), leaf_on_disk(&tls));
        assert_eq!(r.check(SystemTime::now()), Checked::Unchanged);
    }

    #[test]
    fn a_key_that_does_not_fit_the_certificate_is_not_served() {
        let (_t, tls, names) = site();
        let identity = super::super::ServerIdentity::load(&tls).expect("load");
        let before = identity.cert.end_entity();
        let mut r = Renewal::new(&tls, names.clone(), identity.cert.clone());
        // A new certificate, but the old key put back beside it.
        let old_key = std::fs::read(tls.join("server.key")).expect("key");
        super::super::issue_server(&tls, &names.hostnames, &names.addresses, names.key_type).expect("renew");
        local_connector::durable::write_atomic(&tls.join("server.key"), &old_key, 0o600).expect("key");
        assert_eq!(r.check(SystemTime::now()), Checked::Unchanged);
        assert_eq!(identity.cert.end_entity(), before);
    }

    #[test]
    fn a_certificate_due_for_renewal_is_renewed_and_served() {
        let (_t, tls, names) = site();
        let identity = super::super::ServerIdentity::load(&tls).expect("load");
        let before = identity.cert.end_entity();
        let mut r = Renewal::new(&tls, names, identity.cert.clone());
        // As the daemon would see it 340 days from now: 25 days left.
        let later = SystemTime::now() + Duration::from_secs(340 * 86400);
        assert_eq!(r.check(later), Checked::Renewed);
        assert_ne!(identity.cert.end_entity(), before);
        assert_eq!(identity.cert.end_entity().expect("leaf").as_ref(), leaf_on_disk(&tls));
        let left = identity.cert.not_after().duration_since(SystemTime::now()).expect("future").as_secs() / 86400;
        assert!((364..=365).contains(&left), "{left} days");
        assert_eq!(r.check(SystemTime::now()), Checked::Unchanged, "the new one is not due");
    }
}
