//! The data folder: where everything the appliance keeps lives, its layout,
//! and the checks that it is private to the service user.
//!
//! ```text
//! <data dir>/                 0700, owned by the service user
//!   keys/site.json            key derivation parameters and key check (no secret)
//!   keys/site.key             the derived site key, 0600
//!   tls/ca.crt, tls/ca.key    internal CA (key 0600)
//!   tls/server.crt, .key      server certificate for every listener (key 0600)
//!   store/                    the job store (jobs/, index/, quarantine/)
//!   directory/users.json      the local user directory
//!   directory/tokens.json     print tokens (keyed hashes)
//!   directory/credentials.json badges, PINs, passcodes (keyed hashes)
//!   directory/policy.json     authorization policy (absent: the default)
//!   directory/devices.json    secured printers and their credentials (keyed hashes)
//!   directory/auth/           lockout table, remembered directory users (sled)
//! ```

use anyhow::{Context, Result, bail};
use local_connector::crypto::{KeyParams, SiteKey};
use local_connector::durable;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Paths inside one data folder.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The folder itself.
    pub root: PathBuf,
}

const KEY_FILE_TAG: &str = "pullprint-site-key-v1 ";

impl DataDir {
    /// Wrap a data folder path.
    pub fn new(root: &Path) -> DataDir {
        DataDir { root: root.to_owned() }
    }
    /// `keys/`
    pub fn keys(&self) -> PathBuf {
        self.root.join("keys")
    }
    /// `keys/site.json`
    pub fn params(&self) -> PathBuf {
        self.keys().join("site.json")
    }
    /// `keys/site.key`
    pub fn site_key(&self) -> PathBuf {
        self.keys().join("site.key")
    }
    /// `tls/`
    pub fn tls(&self) -> PathBuf {
        self.root.join("tls")
    }
    /// `store/`
    pub fn store(&self) -> PathBuf {
        self.root.join("store")
    }
    /// `directory/users.json`
    pub fn users(&self) -> PathBuf {
        self.root.join("directory").join("users.json")
    }

    /// `directory/tokens.json`
    pub fn tokens(&self) -> PathBuf {
        self.root.join("directory").join("tokens.json")
    }

    /// `directory/phones.json`
    pub fn phones(&self) -> PathBuf {
        self.root.join("directory").join("phones.json")
    }

    /// `directory/credentials.json`
    pub fn credentials(&self) -> PathBuf {
        self.root.join("directory").join("credentials.json")
    }

    /// `directory/policy.json`
    pub fn policy(&self) -> PathBuf {
        self.root.join("directory").join("policy.json")
    }

    /// Device Scout's inventory and change log.
    pub fn scout(&self) -> PathBuf {
        self.root.join("scout")
    }

    /// `directory/devices.json`
    pub fn devices(&self) -> PathBuf {
        self.root.join("directory").join("devices.json")
    }

    /// `directory/auth/`
    pub fn auth_state(&self) -> PathBuf {
        self.root.join("directory").join("auth")
    }

    /// `audit/`: the hash-chained audit log and its index.
    pub fn audit(&self) -> PathBuf {
        self.root.join("audit")
    }

    /// True once `pullprint init` (or a restore) has put parameters here.
    pub fn is_initialised(&self) -> bool {
        self.params().is_file()
    }

    /// Read the key derivation parameters.
    pub fn read_params(&self) -> Result<KeyParams> {
        let p = self.params();
        let b = fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
        serde_json::from_slice(&b).with_context(|| format!("{} is malformed", p.display()))
    }

    /// Write the key derivation parameters.
    pub fn write_params(&self, params: &KeyParams) -> Result<()> {
        let b = serde_json::to_vec_pretty(params)?;
        durable::write_atomic(&self.params(), &b, 0o600).with_context(|| format!("writing {}", self.params().display()))
    }

    /// Store the derived site key, readable by its owner only.
    pub fn write_site_key(&self, key: &SiteKey) -> Result<()> {
        let text = format!("{KEY_FILE_TAG}{}\n", hex::encode(key.expose_bytes()));
        let text = zeroize::Zeroizing::new(text);
        durable::write_atomic(&self.site_key(), text.as_bytes(), 0o600)
            .with_context(|| format!("writing {}", self.site_key().display()))
    }

    /// Load the site key and check it against the parameters.
    pub fn load_site_key(&self) -> Result<SiteKey> {
        let p = self.site_key();
        let text = match fs::read_to_string(&p) {
            Ok(t) => zeroize::Zeroizing::new(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "the site key {} is missing: this appliance is locked. Run `pullprint init --recover` with the \
                 site recovery password to unlock it",
                p.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("reading {}", p.display())),
        };
        let hexkey = text
            .trim_end()
            .strip_prefix(KEY_FILE_TAG)
            .with_context(|| format!("{} is not a Pullprint site key file", p.display()))?;
        let mut raw = zeroize::Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(hexkey, &mut raw[..]).with_context(|| format!("{} is damaged", p.display()))?;
        let key = SiteKey::from_bytes(*raw);
        key.verify(&self.read_params()?)
            .with_context(|| format!("{} does not belong to this site's keys/site.json", p.display()))?;
        Ok(key)
    }

    /// Refuse to run on a data folder that others can read or change, or that
    /// belongs to someone other than `uid`: the site key and the TLS keys live here.
    pub fn check_private(&self, uid: u32) -> Result<()> {
        let mut problems = Vec::new();
        let mut check = |path: &Path, must_exist: bool, max_mode: u32| match fs::symlink_metadata(path) {
            Ok(m) => {
                if m.file_type().is_symlink() {
                    problems.push(format!("{} is a symbolic link", path.display()));
                } else {
                    if m.uid() != uid {
                        problems.push(format!(
                            "{} is owned by uid {}, not the service user (uid {uid})",
                            path.display(),
                            m.uid()
                        ));
                    }
                    let mode = m.permissions().mode() & 0o777;
                    if mode & !max_mode != 0 {
                        problems.push(format!("{} has mode {mode:o}; at most {max_mode:o} is allowed", path.display()));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {}
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        };
        check(&self.root, true, 0o700);
        check(&self.keys(), true, 0o700);
        check(&self.params(), true, 0o600);
        check(&self.site_key(), false, 0o600);
        check(&self.tls(), true, 0o755);
        check(&self.tls().join("ca.key"), true, 0o600);
        check(&self.tls().join("server.key"), true, 0o600);
        check(&self.store(), false, 0o700);
        if problems.is_empty() {
            Ok(())
        } else {
            bail!(
                "the data folder {} is not private to the service user:\n  - {}\nFix with: chown -R <service user>: {} && chmod -R go-rwx {}",
                self.root.display(),
                problems.join("\n  - "),
                self.root.display(),
                self.root.display()
            )
        }
    }

    /// Give the whole folder to `uid:gid` (used when root initialises for the service user).
    pub fn chown_all(&self, uid: u32, gid: u32) -> Result<()> {
        fn walk(p: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
            std::os::unix::fs::lchown(p, Some(uid), Some(gid))?;
            if fs::symlink_metadata(p)?.is_dir() {
                for e in fs::read_dir(p)? {
                    walk(&e?.path(), uid, gid)?;
                }
            }
            Ok(())
        }
        walk(&self.root, uid, gid).with_context(|| format!("changing owner of {}", self.root.display()))
    }
}
