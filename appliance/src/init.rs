//! First boot (`pullprint init`) and recovery (`pullprint init --recover`).

use crate::certs;
use crate::config::Config;
use crate::datadir::DataDir;
use crate::privdrop;
use anyhow::{Context, Result, bail};
use local_connector::crypto::{CryptoError, MIN_PBKDF2_ITERATIONS, SiteKey};
use local_connector::durable;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use zeroize::Zeroizing;

/// Suffix of secrets sealed under the site key inside a backup.
pub const SEALED_SUFFIX: &str = ".sealed";

/// Who will own the data folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The configured service user (`pullprint init` run as root chowns to it).
    ServiceUser,
    /// Whoever runs the command (`pullprint demo`).
    Invoker,
}

/// Initialise a new site in the configured data folder. Returns the recovery
/// password's display form, which the caller shows once.
pub fn init(cfg: &Config, owner: Owner) -> Result<Zeroizing<String>> {
    let dd = DataDir::new(&cfg.data_dir);
    if dd.is_initialised() {
        bail!(
            "{} is already initialised (keys/site.json exists). To unlock a restored or copied data folder use \
             `pullprint init --recover`; to start over, move the folder away first",
            dd.root.display()
        );
    }
    // Everything that could refuse the folder is checked before a key or
    // a password exists, so a refusal never leaves a half-made site or a
    // recovery password shown for nothing.
    prepare_root(&dd.root)?;
    durable::create_dir_durable(&dd.keys(), 0o700).context("creating keys folder")?;
    durable::create_dir_durable(&dd.store(), 0o700).context("creating store folder")?;
    durable::create_dir_durable(&dd.root.join("directory"), 0o700).context("creating directory folder")?;
    let (password, params, key) = SiteKey::create(MIN_PBKDF2_ITERATIONS)?;
    certs::create_all(&dd.tls(), &cfg.site_name, &cfg.hostnames, &cfg.addresses, cfg.key_type)?;
    dd.write_site_key(&key)?;
    // The parameters are written last: their presence marks a finished init.
    dd.write_params(&params)?;
    if owner == Owner::ServiceUser {
        give_to_service_user(&dd, cfg)?;
    }
    log::info!("initialised site {} in {}", params.site_id, dd.root.display());
    Ok(Zeroizing::new(password.display()))
}

/// Recreate the site key from the recovery password on a data folder that
/// holds the site's parameters (a restored backup). Nothing changes when the
/// password is wrong.
pub fn recover(cfg: &Config, password: &str) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    if !dd.is_initialised() {
        bail!(
            "{} holds no site parameters (keys/site.json). Restore a backup into it first (`pullprint restore`), \
             then run `pullprint init --recover`",
            dd.root.display()
        );
    }
    let params = dd.read_params()?;
    let key = match SiteKey::recover(password, &params) {
        Ok(k) => k,
        Err(CryptoError::WrongPassword) => {
            bail!(
                "that recovery password does not belong to this site (site id {}); nothing was changed",
                params.site_id
            )
        }
        Err(e) => bail!("{e}; nothing was changed"),
    };
    // A restored folder: its backup's manifest must carry this site's MAC,
    // or the archive was altered after it was made.
    let restored = (dd.root.join(crate::backup::RESTORED_MANIFEST), dd.root.join(crate::backup::RESTORED_MANIFEST_MAC));
    if restored.0.exists() || restored.1.exists() {
        let m = std::fs::read(&restored.0).context("reading the restored backup's manifest")?;
        let mac = std::fs::read(&restored.1).context("reading the restored backup's manifest MAC")?;
        let expected = crate::backup::manifest_mac(&key, &m);
        if !local_connector::crypto::ct_eq(expected.as_bytes(), mac.trim_ascii()) {
            bail!(
                "the restored backup was altered after it was made (its manifest does not carry this site's MAC); \
                 nothing was unlocked. Restore an untouched backup."
            );
        }
    }
    // Unseal what the backup sealed under the site key before touching anything.
    let mut unsealed = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dd.tls()) {
        for e in entries {
            let path = e?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if let Some(plain_name) = name.strip_suffix(SEALED_SUFFIX) {
                let sealed = std::fs::read(&path)?;
                let plain = key
                    .backup_seal()
                    .open(plain_name.as_bytes(), &sealed)
                    .with_context(|| format!("tls/{name} does not open under this site key"))?;
                unsealed.push((path.clone(), dd.tls().join(plain_name), Zeroizing::new(plain)));
            }
        }
    }
    for (sealed, plain_path, plain) in &unsealed {
        durable::write_atomic(plain_path, plain, 0o600)?;
        std::fs::remove_file(sealed)?;
    }
    if !dd.tls().join("ca.key").exists() {
        certs::create_all(&dd.tls(), &cfg.site_name, &cfg.hostnames, &cfg.addresses, cfg.key_type)?;
    }
    dd.write_site_key(&key)?;
    for f in [&restored.0, &restored.1] {
        let _ = std::fs::remove_file(f);
    }
    give_to_service_user(&dd, cfg)?;
    log::info!("site {} recovered in {}", params.site_id, dd.root.display());
    Ok(())
}

/// What may already be in a folder a site is made in: the leftovers of an
/// init cut short, and what `mkfs` puts on a fresh data disk.
const MAY_HOLD: &[&str] = &["keys", "store", "directory", "tls", "run", "lost+found"];

/// Make (or take) the data folder for a new site: create it private, or
/// take an existing empty folder of the invoker's (as `mkdir` made it) and
/// make it private. Refuse, with nothing changed, a link, a file, a folder
/// of someone else's (unless root, who hands it to the service user
/// afterwards), or one that holds anything else.
fn prepare_root(root: &Path) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = match std::fs::symlink_metadata(root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return durable::create_dir_durable(root, 0o700).with_context(|| format!("creating {}", root.display()));
        }
        Err(e) => bail!("cannot use {}: {e}", root.display()),
        Ok(m) => m,
    };
    if !meta.is_dir() {
        bail!("{} is not a folder (a file or a symbolic link); name a folder for the site", root.display());
    }
    let me = nix::unistd::getuid();
    if meta.uid() != me.as_raw() && !me.is_root() {
        bail!("{} belongs to uid {}, not to you (uid {me}); use a folder of your own", root.display(), meta.uid());
    }
    let entries = std::fs::read_dir(root).with_context(|| format!("reading {}", root.display()))?;
    for e in entries {
        let name = e?.file_name();
        if !MAY_HOLD.iter().any(|m| name == std::ffi::OsStr::new(m)) {
            bail!("{} is not empty (it holds {:?}); a site is made in a new or empty folder", root.display(), name);
        }
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private", root.display()))?;
        log::info!("made {} private (mode 700): it will hold the site's keys", root.display());
    }
    Ok(())
}

/// When root prepares a folder for the daemon, hand it to the service user.
fn give_to_service_user(dd: &DataDir, cfg: &Config) -> Result<()> {
    if !nix::unistd::getuid().is_root() {
        return Ok(());
    }
    match privdrop::lookup(&cfg.service_user) {
        Ok(run_as) if run_as.uid != 0 => dd.chown_all(run_as.uid, run_as.gid),
        Ok(_) => Ok(()),
        Err(e) => {
            log::warn!("{e:#}; the data folder stays owned by root and `pullprint serve` will refuse it until chowned");
            Ok(())
        }
    }
}

/// Read the recovery password: from a file, from a terminal without echo, or
/// as one line of standard input.
pub fn read_password(file: Option<&Path>) -> Result<Zeroizing<String>> {
    read_secret(file, "Site recovery password")
}

/// Read a secret: the first line of `file`, or from a terminal without echo
/// after `prompt`, or one line of standard input.
pub fn read_secret(file: Option<&Path>, prompt: &str) -> Result<Zeroizing<String>> {
    if let Some(f) = file {
        let text = Zeroizing::new(std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?);
        return Ok(Zeroizing::new(text.lines().next().unwrap_or_default().to_owned()));
    }
    let stdin = std::io::stdin();
    let mut line = Zeroizing::new(String::new());
    if stdin.is_terminal() {
        use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
        let saved = tcgetattr(&stdin).ok();
        if let Some(t) = &saved {
            let mut quiet = t.clone();
            quiet.local_flags.remove(LocalFlags::ECHO);
            let _ = tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
        }
        let r = stdin.lock().read_line(&mut line);
        if let Some(t) = &saved {
            let _ = tcsetattr(&stdin, SetArg::TCSANOW, t);
        }
        eprintln!();
        r?;
    } else {
        stdin.lock().read_line(&mut line)?;
    }
    Ok(Zeroizing::new(line.trim().to_owned()))
}

/// The words shown once after `pullprint init`.
pub fn password_banner(dd: &Path, password: &str) -> String {
    format!(
        "Pullprint site initialised in {}.\n\n  SITE RECOVERY PASSWORD (shown once, never stored):\n\n      {password}\n\n\
         Write it down and keep it offline. With a backup it restores this site on a new\n\
         appliance (`pullprint restore`, then `pullprint init --recover`). Without it, a\n\
         backup's jobs and keys cannot be opened.\n",
        dd.display()
    )
}
