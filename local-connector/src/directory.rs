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
//! The directory is one JSON file replaced atomically on every change.

use crate::crypto::{MIN_PBKDF2_ITERATIONS, ct_eq, hmac_sha256, pbkdf2_sha256, random_bytes};
use crate::durable;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// Errors of the local directory.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Reading or writing the directory file failed.
    #[error("{step} {path}: {source}")]
    Io {
        /// What was being done.
        step: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The directory file does not parse.
    #[error("directory file {path} is malformed: {why}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parse error.
        why: String,
    },
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

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    users: BTreeMap<String, LocalUser>,
}

/// The local directory.
#[derive(Debug)]
pub struct LocalDirectory {
    path: PathBuf,
    card_secret: [u8; 32],
    iterations: u32,
    users: RwLock<File>,
}

impl LocalDirectory {
    /// Open `path` (missing means empty). `card_secret` comes from the site key.
    pub fn open(path: &Path, card_secret: [u8; 32]) -> Result<LocalDirectory, DirectoryError> {
        let users = match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| DirectoryError::Malformed { path: path.to_owned(), why: e.to_string() })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => File { version: 1, users: BTreeMap::new() },
            Err(source) => return Err(DirectoryError::Io { step: "read", path: path.to_owned(), source }),
        };
        Ok(LocalDirectory {
            path: path.to_owned(),
            card_secret,
            iterations: MIN_PBKDF2_ITERATIONS,
            users: RwLock::new(users),
        })
    }

    fn save(&self, f: &File) -> Result<(), DirectoryError> {
        let bytes = serde_json::to_vec_pretty(f)
            .map_err(|e| DirectoryError::Malformed { path: self.path.clone(), why: e.to_string() })?;
        durable::write_atomic(&self.path, &bytes, 0o600).map_err(|source| DirectoryError::Io {
            step: "write",
            path: self.path.clone(),
            source,
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
        let mut f = self.users.write().unwrap_or_else(|p| p.into_inner());
        if f.users.contains_key(name) {
            return Err(DirectoryError::Exists(name.into()));
        }
        f.users.insert(
            name.into(),
            LocalUser {
                name: name.into(),
                display_name: display_name.into(),
                email: email.map(str::to_owned),
                groups: groups.iter().map(|g| (*g).to_owned()).collect(),
                password: SlowHash::new(password.as_bytes(), self.iterations),
                pin: None,
                badges: Vec::new(),
            },
        );
        self.save(&f)
    }

    /// Set a user's PIN.
    pub fn set_pin(&self, name: &str, pin: &str) -> Result<(), DirectoryError> {
        let keyed = self.keyed_pin(pin);
        let mut f = self.users.write().unwrap_or_else(|p| p.into_inner());
        let u = f.users.get_mut(name).ok_or_else(|| DirectoryError::NoSuchUser(name.into()))?;
        u.pin = Some(SlowHash::new(&keyed, self.iterations));
        self.save(&f)
    }

    /// Bind a badge (already normalised by its reader profile) to a user.
    pub fn bind_badge(&self, name: &str, badge: &str) -> Result<(), DirectoryError> {
        let tag = self.badge_tag(badge);
        let mut f = self.users.write().unwrap_or_else(|p| p.into_inner());
        if f.users.values().any(|u| u.name != name && u.badges.contains(&tag)) {
            return Err(DirectoryError::BadgeTaken);
        }
        let u = f.users.get_mut(name).ok_or_else(|| DirectoryError::NoSuchUser(name.into()))?;
        if !u.badges.contains(&tag) {
            u.badges.push(tag);
        }
        self.save(&f)
    }

    /// The user with this login name and password.
    pub fn verify_password(&self, name: &str, password: &str) -> Option<LocalUser> {
        let f = self.users.read().unwrap_or_else(|p| p.into_inner());
        let u = f.users.get(name)?;
        u.password.verify(password.as_bytes()).then(|| u.clone())
    }

    /// The user holding this badge.
    pub fn find_badge(&self, badge: &str) -> Option<LocalUser> {
        let tag = self.badge_tag(badge);
        let f = self.users.read().unwrap_or_else(|p| p.into_inner());
        f.users.values().find(|u| u.badges.iter().any(|b| ct_eq(b.as_bytes(), tag.as_bytes()))).cloned()
    }

    /// The user with this e-mail address and PIN.
    pub fn verify_email_pin(&self, email: &str, pin: &str) -> Option<LocalUser> {
        let keyed = self.keyed_pin(pin);
        let f = self.users.read().unwrap_or_else(|p| p.into_inner());
        let u = f.users.values().find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))?;
        u.pin.as_ref()?.verify(&keyed).then(|| u.clone())
    }

    /// All users (for listings).
    pub fn users(&self) -> Vec<LocalUser> {
        self.users.read().unwrap_or_else(|p| p.into_inner()).users.values().cloned().collect()
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
