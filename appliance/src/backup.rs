//! `pullprint backup` and `pullprint restore`: the whole data folder as one
//! tar archive.
//!
//! What a backup holds: the key derivation parameters, the certificates, the
//! TLS private keys *sealed under the site key*, the local directory, print
//! tokens, badges, PINs and passcodes (all keyed, none in clear), the
//! authorization policy, Device Scout's inventory and meter history, and
//! every job file (already encrypted). What it never holds: the site key itself.
//! So a backup alone opens nothing; with the recovery password,
//! `pullprint init --recover` unlocks it on any appliance.
//!
//! Job files are immutable once committed, so a backup taken while the daemon
//! runs is consistent: a job shredded mid-backup is simply left out. The job
//! index is not backed up; it is rebuilt from the job files on first start.
//!
//! The archive ends with `MANIFEST.json`, listing every file with its SHA-256,
//! and `MANIFEST.mac`, an HMAC-SHA-256 of the manifest under a key derived
//! from the site key. Restore unpacks into a staging folder beside the
//! target, checks every path and hash against the manifest, and only then
//! renames the folder into place, keeping the manifest and its MAC in
//! `keys/`. Restore has no key to check the MAC with; `init --recover`,
//! which recreates the key, checks it before it unlocks anything, so an
//! archive altered after it was made (a user added to `users.json` and its
//! hash fixed in the manifest, say) never unlocks.

use crate::datadir::DataDir;
use crate::init::SEALED_SUFFIX;
use anyhow::{Context, Result, anyhow, bail};
use local_connector::durable;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

const MANIFEST: &str = "MANIFEST.json";
const MANIFEST_MAC: &str = "MANIFEST.mac";
/// Where a restored folder keeps the manifest for `init --recover`.
pub const RESTORED_MANIFEST: &str = "keys/restored-manifest.json";
/// Where a restored folder keeps the manifest's MAC for `init --recover`.
pub const RESTORED_MANIFEST_MAC: &str = "keys/restored-manifest.mac";

/// The MAC of manifest bytes `m` under `site`'s key, hex.
pub fn manifest_mac(site: &local_connector::crypto::SiteKey, m: &[u8]) -> String {
    hex::encode(local_connector::crypto::hmac_sha256(&site.backup_manifest_key(), m))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    pullprint_version: String,
    site_id: String,
    created: String,
    /// Relative path → hex SHA-256.
    files: BTreeMap<String, String>,
}

/// What a backup contained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    /// Files written.
    pub files: usize,
    /// Job files among them.
    pub jobs: usize,
    /// Bytes of file content.
    pub bytes: u64,
}

/// A writer that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// A tar header for a private regular file of `len` bytes, with no timestamp,
/// so that the same data always archives to the same bytes.
fn file_header(len: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(len);
    h.set_mode(0o600);
    h.set_mtime(0);
    h.set_cksum();
    h
}

/// Write a backup of `dd` to `out` (created with mode 0600, atomically).
pub fn backup(dd: &DataDir, out: &Path) -> Result<BackupSummary> {
    let site = dd.load_site_key().context("a backup seals the TLS keys under the site key")?;
    let params = dd.read_params()?;
    let tmp = out.with_extension("partial");
    // The partial file is made anew, never opened through a link that
    // someone left at its name (a backup often runs as root): a stale one
    // is unlinked (a link itself, not what it points to), then the file is
    // created exclusively without following links.
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing the stale {}", tmp.display()));
        }
        _ => {}
    }
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        fs::OpenOptions::new().write(true).create_new(true).custom_flags(libc::O_NOFOLLOW).mode(0o600).open(&tmp)
    }
    .with_context(|| format!("creating {}", tmp.display()))?;
    let mut tar = tar::Builder::new(io::BufWriter::with_capacity(1 << 20, file));
    let mut files = BTreeMap::new();
    let mut summary = BackupSummary { files: 0, jobs: 0, bytes: 0 };

    let mut add_bytes = |tar: &mut tar::Builder<_>, name: &str, data: &[u8]| -> Result<()> {
        let mut h = file_header(data.len() as u64);
        tar.append_data(&mut h, name, data).with_context(|| format!("archiving {name}"))?;
        files.insert(name.to_owned(), hex::encode(Sha256::digest(data)));
        summary.files += 1;
        summary.bytes += data.len() as u64;
        Ok(())
    };
    add_bytes(&mut tar, "keys/site.json", &fs::read(dd.params())?)?;
    for name in ["ca.crt", "server.crt"] {
        add_bytes(&mut tar, &format!("tls/{name}"), &fs::read(dd.tls().join(name))?)?;
    }
    for name in ["ca.key", "server.key"] {
        let plain = zeroize::Zeroizing::new(fs::read(dd.tls().join(name))?);
        let sealed = site.backup_seal().seal(name.as_bytes(), &plain);
        add_bytes(&mut tar, &format!("tls/{name}{SEALED_SUFFIX}"), &sealed)?;
    }
    // Users, print tokens, signed-in phones, badges/PINs/passcodes, the
    // policy, the printers and the settings changed in the console. Tokens,
    // phones and credentials are keyed under the site key, so they work again wherever
    // the site key is recovered. The lockout table and remembered directory
    // users (directory/auth/) are left out: they rebuild themselves.
    for name in
        ["users.json", "tokens.json", "phones.json", "credentials.json", "policy.json", "devices.json", "settings.toml"]
    {
        match fs::read(dd.root.join("directory").join(name)) {
            Ok(b) => add_bytes(&mut tar, &format!("directory/{name}"), &b)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading directory/{name}")),
        }
    }
    // Device Scout's inventory and change log: the printers would be found
    // again, but their meter history and alerts would not.
    for name in ["inventory.json", "changes.jsonl"] {
        match fs::read(dd.scout().join(name)) {
            Ok(b) => add_bytes(&mut tar, &format!("scout/{name}"), &b)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading scout/{name}")),
        }
    }
    // The audit log and its head, consistent with each other (its index
    // rebuilds itself from the log).
    let (head, log) = local_connector::audit::snapshot(&dd.audit()).context("reading the audit log")?;
    if !head.is_empty() {
        add_bytes(&mut tar, "audit/head", &head)?;
        add_bytes(&mut tar, "audit/log", &log)?;
    }

    let jobs_dir = dd.store().join("jobs");
    let mut names: Vec<_> = match fs::read_dir(&jobs_dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).context("listing jobs"),
    };
    names.retain(|n| n.ends_with(".job"));
    names.sort();
    for n in names {
        let f = match File::open(jobs_dir.join(&n)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue, // shredded meanwhile
            Err(e) => return Err(e).with_context(|| format!("opening job {n}")),
        };
        let len = f.metadata()?.len();
        let rel = format!("store/jobs/{n}");
        let mut h = file_header(len);
        let mut rdr = Hashing { inner: f.take(len), hash: Sha256::new() };
        tar.append_data(&mut h, &rel, &mut rdr).with_context(|| format!("archiving {rel}"))?;
        files.insert(rel, hex::encode(rdr.hash.finalize()));
        summary.files += 1;
        summary.jobs += 1;
        summary.bytes += len;
    }
    let manifest = Manifest {
        format: "pullprint-backup-1".into(),
        pullprint_version: env!("CARGO_PKG_VERSION").into(),
        site_id: params.site_id,
        created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        files,
    };
    let m = serde_json::to_vec_pretty(&manifest)?;
    let mut h = file_header(m.len() as u64);
    tar.append_data(&mut h, MANIFEST, &m[..])?;
    let mac = manifest_mac(&site, &m);
    let mut h = file_header(mac.len() as u64);
    tar.append_data(&mut h, MANIFEST_MAC, mac.as_bytes())?;
    let mut w = tar.into_inner()?;
    w.flush()?;
    let f = w.into_inner().map_err(|e| anyhow!("flushing backup: {}", e.error()))?;
    f.sync_all()?;
    fs::rename(&tmp, out)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        durable::sync_dir(parent)?;
    }
    Ok(summary)
}

fn safe_relative(p: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            _ => bail!("the backup contains an unsafe path {}", p.display()),
        }
    }
    if out.as_os_str().is_empty() {
        bail!("the backup contains an empty path");
    }
    Ok(out)
}

/// Restore `archive` into `target`, which must not exist or be empty.
pub fn restore(archive: &Path, target: &Path) -> Result<BackupSummary> {
    if target.exists() && fs::read_dir(target)?.next().is_some() {
        bail!("{} is not empty; restore into a new or empty folder", target.display());
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    durable::create_dir_durable(parent, 0o755)?;
    let staging = parent.join(format!(
        ".{}.restoring",
        target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "pullprint".into())
    ));
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    let result = unpack_and_verify(archive, &staging);
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if target.exists() {
        fs::remove_dir(target)?;
    }
    fs::rename(&staging, target)?;
    durable::sync_dir(parent)?;
    Ok(summary)
}

fn unpack_and_verify(archive: &Path, staging: &Path) -> Result<BackupSummary> {
    durable::create_dir_durable(staging, 0o700)?;
    let f = File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut tar = tar::Archive::new(io::BufReader::with_capacity(1 << 20, f));
    let mut seen = BTreeMap::new();
    let mut manifest: Option<(Manifest, Vec<u8>)> = None;
    let mut mac: Option<Vec<u8>> = None;
    let mut summary = BackupSummary { files: 0, jobs: 0, bytes: 0 };
    for entry in tar.entries().context("reading the archive")? {
        let mut entry = entry.context("reading the archive")?;
        if !entry.header().entry_type().is_file() {
            bail!("the backup contains something other than a regular file");
        }
        let rel = safe_relative(&entry.path()?)?;
        let name = rel.to_string_lossy().into_owned();
        if name == MANIFEST {
            let mut b = Vec::new();
            entry.take(16 << 20).read_to_end(&mut b)?;
            manifest = Some((serde_json::from_slice(&b).context("MANIFEST.json is malformed")?, b));
            continue;
        }
        if name == MANIFEST_MAC {
            let mut b = Vec::new();
            entry.take(128).read_to_end(&mut b)?;
            mac = Some(b);
            continue;
        }
        let dest = staging.join(&rel);
        if let Some(d) = dest.parent() {
            durable::create_dir_durable(d, 0o700)?;
        }
        let mut out = {
            use std::os::unix::fs::OpenOptionsExt;
            fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&dest)
        }
        .with_context(|| format!("the backup holds {name} twice, or it cannot be written"))?;
        let mut rdr = Hashing { inner: &mut entry, hash: Sha256::new() };
        let n = io::copy(&mut rdr, &mut out)?;
        out.sync_data()?;
        seen.insert(name.clone(), hex::encode(rdr.hash.finalize()));
        summary.files += 1;
        summary.bytes += n;
        if name.starts_with("store/jobs/") {
            summary.jobs += 1;
        }
    }
    let (manifest, manifest_bytes) = manifest
        .ok_or_else(|| anyhow!("the backup has no MANIFEST.json; it is incomplete or not a Pullprint backup"))?;
    let mac = mac.ok_or_else(|| {
        anyhow!("the backup has no MANIFEST.mac: it was altered, or made by a Pullprint too old to authenticate it")
    })?;
    if manifest.format != "pullprint-backup-1" {
        bail!("unsupported backup format {:?}", manifest.format);
    }
    if manifest.files != seen {
        let missing: Vec<_> = manifest.files.keys().filter(|k| !seen.contains_key(*k)).collect();
        let extra: Vec<_> = seen.keys().filter(|k| !manifest.files.contains_key(*k)).collect();
        let altered: Vec<_> =
            manifest.files.iter().filter(|(k, v)| seen.get(*k).is_some_and(|s| s != *v)).map(|(k, _)| k).collect();
        bail!("the backup does not match its manifest: missing {missing:?}, unexpected {extra:?}, altered {altered:?}");
    }
    for d in ["keys", "tls", "store", "directory"] {
        durable::create_dir_durable(&staging.join(d), 0o700)?;
    }
    // For `init --recover`, which has the key to check the MAC with.
    durable::write_atomic(&staging.join(RESTORED_MANIFEST), &manifest_bytes, 0o600)?;
    durable::write_atomic(&staging.join(RESTORED_MANIFEST_MAC), &mac, 0o600)?;
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["tls/ca.crt", "tls/server.crt"] {
            fs::set_permissions(staging.join(f), fs::Permissions::from_mode(0o644))?;
        }
        fs::set_permissions(staging.join("tls"), fs::Permissions::from_mode(0o755))?;
    }
    Ok(summary)
}
