//! What the authentication service remembers across restarts, in one sled
//! database owned by the daemon (`directory/auth/`):
//! - `lockout`: failure counts and locks, by key;
//! - `identities`: directory users as last seen (name, mail, groups), so
//!   badge and PIN logins of known users work while the directory is down.
//!
//! Keys of the lockout tree are keyed hashes, never a badge number or a
//! source address in clear.

use super::Identity;
use super::lockout::Failures;
use std::path::Path;

/// The database.
#[derive(Debug, Clone)]
pub struct AuthState {
    db: sled::Db,
    lockout: sled::Tree,
    /// A credential-at-a-source key → the account key it belongs to, so
    /// that the console can show and clear one person's locks.
    accounts: sled::Tree,
    identities: sled::Tree,
}

impl AuthState {
    /// Open (or create) the database at `path`.
    pub fn open(path: &Path) -> Result<AuthState, sled::Error> {
        let db = sled::Config::new().path(path).cache_capacity(8 << 20).mode(sled::Mode::LowSpace).open()?;
        Ok(AuthState {
            lockout: db.open_tree("lockout")?,
            accounts: db.open_tree("lockout-accounts")?,
            identities: db.open_tree("identities")?,
            db,
        })
    }

    /// Failures stored for a key.
    pub fn failures(&self, key: &[u8]) -> Failures {
        match self.lockout.get(key) {
            Ok(Some(v)) => serde_json::from_slice(&v).unwrap_or_default(),
            Ok(None) => Failures::default(),
            Err(e) => {
                log::error!("auth state: {e}");
                Failures::default()
            }
        }
    }

    /// Store failures for a key; `durable` flushes at once (a new lock must
    /// survive a crash).
    pub fn set_failures(&self, key: &[u8], f: &Failures, durable: bool) {
        let v = serde_json::to_vec(f).unwrap_or_default();
        if let Err(e) = self.lockout.insert(key, v) {
            log::error!("auth state: {e}");
        }
        if durable && let Err(e) = self.db.flush() {
            log::error!("auth state: {e}");
        }
    }

    /// Forget a key's failures.
    pub fn clear_failures(&self, key: &[u8]) {
        if let Err(e) = self.lockout.remove(key) {
            log::error!("auth state: {e}");
        }
    }

    /// Note that credential key `key` belongs to account key `account`.
    pub fn link(&self, key: &[u8], account: &[u8]) {
        if let Err(e) = self.accounts.insert(key, account) {
            log::error!("auth state: {e}");
        }
    }

    /// The credential keys that belong to account key `account`.
    pub fn linked(&self, account: &[u8]) -> Vec<Vec<u8>> {
        self.accounts.iter().flatten().filter(|(_, a)| a.as_ref() == account).map(|(k, _)| k.to_vec()).collect()
    }

    /// Drop entries that no longer matter.
    pub fn prune(&self, expired: impl Fn(&Failures) -> bool) -> usize {
        let mut n = 0;
        for (k, v) in self.lockout.iter().flatten() {
            if serde_json::from_slice::<Failures>(&v).map_or(true, |f| expired(&f)) && self.lockout.remove(k).is_ok() {
                n += 1;
            }
        }
        for (k, _) in self.accounts.iter().flatten() {
            if !self.lockout.contains_key(&k).unwrap_or(true) {
                let _ = self.accounts.remove(k);
            }
        }
        n
    }

    /// Keys locked now (for the console and status).
    pub fn locked(&self, now_ms: u64) -> usize {
        self.lockout
            .iter()
            .flatten()
            .filter(|(_, v)| serde_json::from_slice::<Failures>(v).is_ok_and(|f| f.locked_until_ms > now_ms))
            .count()
    }

    /// Clear every lock and count (an admin's "unlock all").
    pub fn clear_all_failures(&self) {
        if let Err(e) = self.lockout.clear().and_then(|()| self.accounts.clear()) {
            log::error!("auth state: {e}");
        }
    }

    /// A directory user as last seen.
    pub fn identity(&self, login: &str) -> Option<Identity> {
        let v = self.identities.get(login.as_bytes()).ok()??;
        serde_json::from_slice(&v).ok()
    }

    /// Remember a directory user.
    pub fn remember(&self, id: &Identity) {
        let v = serde_json::to_vec(id).unwrap_or_default();
        if let Err(e) = self.identities.insert(id.login.as_bytes(), v) {
            log::error!("auth state: {e}");
        }
    }

    /// Forget a directory user (disabled, removed).
    pub fn forget(&self, login: &str) {
        if let Err(e) = self.identities.remove(login.as_bytes()) {
            log::error!("auth state: {e}");
        }
    }

    /// Write everything to disk.
    pub fn flush(&self) {
        if let Err(e) = self.db.flush() {
            log::error!("auth state: {e}");
        }
    }
}
