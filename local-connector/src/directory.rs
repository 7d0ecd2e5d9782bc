//! The local user directory: the embedded default for sites without Active
//! Directory, and the home of demo users.
//!
//! Passwords are stored as PBKDF2-HMAC-SHA256 with a random salt and at
//! least 600 000 iterations. Badges, PINs and passcodes, for local and
//! Active Directory users alike, live in the credential store
//! ([`crate::auth::credentials`]).
//!
//! The directory is one JSON file replaced atomically on every change, shared
//! with the `pullprint user` command ([`SharedJson`]).

use crate::crypto::{MIN_PBKDF2_ITERATIONS, ct_eq, pbkdf2_sha256, random_bytes};
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

    /// A hash that no secret matches, made without hashing (a random salt
    /// and a random value), whose check costs what a real one costs: what
    /// an unknown user's password is checked against.
    pub fn decoy(iterations: u32) -> SlowHash {
        let (salt, h) = (random_bytes::<16>(), random_bytes::<32>());
        SlowHash(format!("pbkdf2-sha256${iterations}${}${}", hex::encode(salt), hex::encode(h)))
    }

    /// Check `secret` against the hash in constant time; hashes of fewer
    /// than the password floor's iterations are refused.
    pub fn verify(&self, secret: &[u8]) -> bool {
        self.verify_min(secret, MIN_PBKDF2_ITERATIONS)
    }

    /// Check `secret`, refusing hashes of fewer than `floor` iterations.
    pub fn verify_min(&self, secret: &[u8], floor: u32) -> bool {
        let mut parts = self.0.split('$');
        let (Some("pbkdf2-sha256"), Some(iter), Some(salt), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Ok(iter), Ok(salt), Ok(hash)) = (iter.parse::<u32>(), hex::decode(salt), hex::decode(hash)) else {
            return false;
        };
        if iter < floor {
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
    iterations: u32,
}

impl LocalDirectory {
    /// Open `path` (missing means empty).
    pub fn open(path: &Path) -> Result<LocalDirectory, DirectoryError> {
        Ok(LocalDirectory { file: SharedJson::open(path)?, iterations: MIN_PBKDF2_ITERATIONS })
    }

    /// The current users; a file that cannot be read is logged and treated as
    /// empty, so that logins fail closed.
    fn current(&self) -> std::sync::Arc<File> {
        self.file.snapshot().unwrap_or_else(|e| {
            log::error!("local directory: {e}");
            std::sync::Arc::new(File::default())
        })
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

    /// The user with this e-mail address (case does not matter).
    pub fn find_email(&self, email: &str) -> Option<LocalUser> {
        let email = email.trim();
        self.current()
            .users
            .values()
            .find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
            .cloned()
    }

    /// A user by login name.
    pub fn user(&self, name: &str) -> Option<LocalUser> {
        self.current().users.get(name).cloned()
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
    fn users_and_passwords_with_nothing_in_clear() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("users.json");
        let dir = LocalDirectory::open(&p).expect("open");
        dir.add_user("alice", "Alice Print", Some("alice@example.test"), "pw-secret-1", &["PrintUsers"]).expect("add");
        assert!(dir.verify_password("alice", "pw-secret-1").is_some());
        assert!(dir.verify_password("alice", "wrong").is_none());
        assert_eq!(dir.find_email("ALICE@example.test").map(|u| u.name), Some("alice".into()));
        let raw = std::fs::read_to_string(&p).expect("read");
        assert!(!raw.contains("pw-secret-1"), "password stored in clear");
        assert!(matches!(dir.add_user("alice", "", None, "x", &[]), Err(DirectoryError::Exists(_))));
        dir.remove_user("alice").expect("remove");
        assert!(dir.user("alice").is_none());
    }
}
