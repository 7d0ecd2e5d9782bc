//! The local user directory: the embedded default for sites without Active
//! Directory, and the home of demo users.
//!
//! Nothing secret is stored in a form that can be read back or brute-forced
//! without the site key:
//! - passwords: PBKDF2-HMAC-SHA256, random salt, ≥ 600 000 iterations;
//! - PINs: the same slow salted hash over HMAC(site card secret, PIN), so a
//!   stolen file alone cannot be searched through the small PIN space;
//! - badge numbers: HMAC-SHA-256 under the site's card secret, for lookup.
//!
//! The directory is one JSON file replaced atomically on every change, shared
//! with the `pullprint user` command ([`SharedJson`]).

use crate::crypto::{MIN_PBKDF2_ITERATIONS, ct_eq, hmac_sha256, pbkdf2_sha256, random_bytes};
use crate::shared::{SharedFileError, SharedJson};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Errors of the local directory.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Reading or writing the directory file failed.
    #[error("local directory: {0}")]
    File(#[from] SharedFileError),
    /// A user of that name exists already.
    #[error("user {0:?} already exists")]
    Exists(String),
    /// No such user.
    #[error("no user {0:?}")]
    NoSuchUser(String),
    /// The badge is bound to someone else.
    #[error("that badge is already bound to another user")]
    BadgeTaken,
}

/// A salted slow hash, stored as `pbkdf2-sha256$<iterations>$<salt>$<hash>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SlowHash(String);

impl SlowHash {
    /// Hash `secret` with a fresh salt.
    pub fn new(secret: &[u8], iterations: u32) -> SlowHash {
        let salt = random_bytes::<16>();
        let h = pbkdf2_sha256(secret, &salt, iterations);
        SlowHash(format!("pbkdf2-sha256${iterations}${}${}", hex::encode(salt), hex::encode(h)))
    }

    /// Check `secret` against the hash in constant time.
    pub fn verify(&self, secret: &[u8]) -> bool {
        let mut parts = self.0.split('$');
        let (Some("pbkdf2-sha256"), Some(iter), Some(salt), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Ok(iter), Ok(salt), Ok(hash)) = (iter.parse::<u32>(), hex::decode(salt), hex::decode(hash)) else {
            return false;
        };
        if iter < MIN_PBKDF2_ITERATIONS {
            return false;
        }
        ct_eq(&pbkdf2_sha256(secret, &salt, iter), &hash)
    }
}

/// One user of the local directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalUser {
    /// Login name.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// E-mail address, for email+PIN login.
    pub email: Option<String>,
    /// Groups, for authorization policy.
    pub groups: Vec<String>,
    /// Password hash.
    pub password: SlowHash,
    /// PIN hash (over the keyed PIN).
    pub pin: Option<SlowHash>,
    /// HMAC-SHA-256 tags of the user's badges, hex.
    pub badges: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    users: BTreeMap<String, LocalUser>,
}

impl Default for File {
    fn default() -> Self {
        File { version: 1, users: BTreeMap::new() }
    }
}

/// The local directory.
#[derive(Debug)]
pub struct LocalDirectory {
    file: SharedJson<File>,
    card_secret: [u8; 32],
    iterations: u32,
}

impl LocalDirectory {
    /// Open `path` (missing means empty). `card_secret` comes from the site key.
    pub fn open(path: &Path, card_secret: [u8; 32]) -> Result<LocalDirectory, DirectoryError> {
        Ok(LocalDirectory { file: SharedJson::open(path)?, card_secret, iterations: MIN_PBKDF2_ITERATIONS })
    }

    /// The current users; a file that cannot be read is logged and treated as
    /// empty, so that logins fail closed.
    fn current(&self) -> std::sync::Arc<File> {
        self.file.snapshot().unwrap_or_else(|e| {
            log::error!("local directory: {e}");
            std::sync::Arc::new(File::default())
        })
    }

    fn badge_tag(&self, badge: &str) -> String {
        hex::encode(hmac_sha256(&self.card_secret, badge.trim().as_bytes()))
    }

    fn keyed_pin(&self, pin: &str) -> [u8; 32] {
        hmac_sha256(&self.card_secret, format!("pin:{pin}").as_bytes())
    }

    /// Add a user.
    pub fn add_user(
        &self,
        name: &str,
        display_name: &str,
        email: Option<&str>,
        password: &str,
        groups: &[&str],
    ) -> Result<(), DirectoryError> {
        let user = LocalUser {
            name: name.into(),
            display_name: display_name.into(),
            email: email.map(str::to_owned),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            password: SlowHash::new(password.as_bytes(), self.iterations),
            pin: None,
            badges: Vec::new(),
        };
        self.file.update(|f| {
            if f.users.contains_key(name) {
                return Err(DirectoryError::Exists(name.into()));
            }
            f.users.insert(name.into(), user);
            Ok(())
        })
    }

    /// Set a user's password.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), DirectoryError> {
        let hash = SlowHash::new(password.as_bytes(), self.iterations);
        self.file.update(|f| {
            f.users.get_mut(name).ok_or_else(|| DirectoryError::NoSuchUser(name.into()))?.password = hash;
            Ok(())
        })
    }

    /// Remove a user.
    pub fn remove_user(&self, name: &str) -> Result<(), DirectoryError> {
        self.file.update(|f| f.users.remove(name).map(|_| ()).ok_or_else(|| DirectoryError::NoSuchUser(name.into())))
    }

    /// Set a user's PIN.
    pub fn set_pin(&self, name: &str, pin: &str) -> Result<(), DirectoryError> {
        let hash = SlowHash::new(&self.keyed_pin(pin), self.iterations);
        self.file.update(|f| {
            f.users.get_mut(name).ok_or_else(|| DirectoryError::NoSuchUser(name.into()))?.pin = Some(hash);
            Ok(())
        })
    }

    /// Bind a badge (already normalised by its reader profile) to a user.
    pub fn bind_badge(&self, name: &str, badge: &str) -> Result<(), DirectoryError> {
        let tag = self.badge_tag(badge);
        self.file.update(|f| {
            if f.users.values().any(|u| u.name != name && u.badges.contains(&tag)) {
                return Err(DirectoryError::BadgeTaken);
            }
            let u = f.users.get_mut(name).ok_or_else(|| DirectoryError::NoSuchUser(name.into()))?;
            if !u.badges.contains(&tag) {
                u.badges.push(tag);
            }
            Ok(())
        })
    }

    /// The user with this login name and password.
    pub fn verify_password(&self, name: &str, password: &str) -> Option<LocalUser> {
        let f = self.current();
        let u = f.users.get(name)?;
        u.password.verify(password.as_bytes()).then(|| u.clone())
    }

    /// What changes when the user's password changes or the user is removed:
    /// lets a cache of verified passwords notice both at once.
    pub fn password_stamp(&self, name: &str) -> Option<SlowHash> {
        self.current().users.get(name).map(|u| u.password.clone())
    }

    /// The user holding this badge.
    pub fn find_badge(&self, badge: &str) -> Option<LocalUser> {
        let tag = self.badge_tag(badge);
        self.current().users.values().find(|u| u.badges.iter().any(|b| ct_eq(b.as_bytes(), tag.as_bytes()))).cloned()
    }

    /// The user with this e-mail address and PIN.
    pub fn verify_email_pin(&self, email: &str, pin: &str) -> Option<LocalUser> {
        let keyed = self.keyed_pin(pin);
        let f = self.current();
        let u = f.users.values().find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))?;
        u.pin.as_ref()?.verify(&keyed).then(|| u.clone())
    }

    /// All users (for listings).
    pub fn users(&self) -> Vec<LocalUser> {
        self.current().users.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_badges_and_pins_with_nothing_in_clear() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("users.json");
        let dir = LocalDirectory::open(&p, [9u8; 32]).expect("open");
        dir.add_user("alice", "Alice Print", Some("alice@example.test"), "pw-secret-1", &["PrintUsers"]).expect("add");
        dir.bind_badge("alice", "12345678").expect("badge");
        dir.set_pin("alice", "1234").expect("pin");
        assert!(dir.verify_password("alice", "pw-secret-1").is_some());
        assert!(dir.verify_password("alice", "wrong").is_none());
        assert_eq!(dir.find_badge("12345678").map(|u| u.name), Some("alice".into()));
        assert!(dir.find_badge("87654321").is_none());
        assert!(dir.verify_email_pin("ALICE@example.test", "1234").is_some());
        assert!(dir.verify_email_pin("alice@example.test", "4321").is_none());
        let raw = std::fs::read_to_string(&p).expect("read");
        for secret in ["pw-secret-1", "12345678", "1234\""] {
            assert!(!raw.contains(secret), "{secret} stored in clear");
        }
        // Reopened, with the same card secret, the badge still resolves; with another it does not.
        let again = LocalDirectory::open(&p, [9u8; 32]).expect("reopen");
        assert!(again.find_badge("12345678").is_some());
        let other = LocalDirectory::open(&p, [8u8; 32]).expect("reopen");
        assert!(other.find_badge("12345678").is_none());
        assert!(matches!(dir.add_user("alice", "", None, "x", &[]), Err(DirectoryError::Exists(_))));
    }
}
