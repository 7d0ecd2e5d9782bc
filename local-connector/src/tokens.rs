//! Print tokens: per-user app passwords for print clients that store
//! credentials (a laptop's print dialog, a phone), so that the user's
//! directory password is never saved on a device and one device can be cut
//! off alone.
//!
//! A token is 25 random Crockford base32 symbols (125 bits), shown once as
//! `ppt-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`. It is used as the password in HTTP
//! Basic with the owner's user name. Only HMAC-SHA-256 of the token under a
//! key derived from the site key is stored: the token is random, so a keyed
//! fast hash gives no foothold, and without the site key the file reveals
//! nothing.
//!
//! The file (`directory/tokens.json`) is shared by the daemon and the
//! `pullprint token` command ([`SharedJson`]), so a token revoked from the
//! command line is refused by the running daemon at once.

use crate::crypto::{ct_eq, hmac_sha256, random_bytes};
use crate::shared::{SharedFileError, SharedJson};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Symbols of randomness in a token.
const SYMBOLS: usize = 25;
/// Most tokens per user.
pub const MAX_PER_USER: usize = 20;
/// Longest label kept.
const MAX_LABEL: usize = 64;

/// Token store errors.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read or written.
    #[error("print tokens: {0}")]
    File(#[from] SharedFileError),
    /// The user already has the most tokens allowed.
    #[error("{user} already has {MAX_PER_USER} print tokens; revoke one first")]
    TooMany {
        /// The user.
        user: String,
    },
}

/// One token, as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInfo {
    /// Short public id, for revoking.
    pub id: String,
    /// The owner.
    pub user: String,
    /// What the user called it ("MacBook", "phone").
    pub label: String,
    /// When it was made, ms since the epoch.
    pub created_ms: u64,
    /// HMAC-SHA-256 of the token, hex.
    tag: String,
}

/// A token just made: the secret is shown once.
pub struct NewToken {
    /// Its public id.
    pub id: String,
    /// Its label, as stored.
    pub label: String,
    /// The token itself.
    pub secret: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewToken({}, <redacted>)", self.id)
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    tokens: Vec<TokenInfo>,
}

impl Default for File {
    fn default() -> Self {
        File { version: 1, tokens: Vec::new() }
    }
}

/// The print tokens of a site.
#[derive(Debug)]
pub struct TokenStore {
    file: SharedJson<File>,
    key: zeroize::Zeroizing<[u8; 32]>,
}

/// True when `password` has the shape of a print token (so it is checked as
/// one, not as a directory password).
pub fn looks_like_token(password: &str) -> bool {
    canonical(password).is_some() && password.trim().get(..3).is_some_and(|p| p.eq_ignore_ascii_case("ppt"))
}

/// The canonical form of what a person typed: upper case, no prefix or separators.
/// Crockford's reading: I and L are 1, O is 0; case and separators do not matter.
fn canonical(token: &str) -> Option<String> {
    let c: String = token
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        })
        .collect();
    let c = if c.len() == SYMBOLS + 3 && c.starts_with("PPT") { c[3..].to_owned() } else { c };
    (c.len() == SYMBOLS && c.bytes().all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && b != b'U'))).then_some(c)
}

impl TokenStore {
    /// Open the store at `path` (missing means none yet); `key` comes from the site key.
    pub fn open(path: &Path, key: [u8; 32]) -> Result<TokenStore, TokenError> {
        Ok(TokenStore { file: SharedJson::open(path)?, key: zeroize::Zeroizing::new(key) })
    }

    fn tag(&self, canonical: &str) -> String {
        hex::encode(hmac_sha256(self.key.as_slice(), canonical.as_bytes()))
    }

    /// Make a token for `user`. The secret is in the result only.
    pub fn create(&self, user: &str, label: &str) -> Result<NewToken, TokenError> {
        let symbols = crate::crypto::random_symbols(SYMBOLS);
        let secret = zeroize::Zeroizing::new(format!(
            "ppt-{}",
            symbols
                .as_bytes()
                .chunks(5)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("-")
        ));
        let id = hex::encode(random_bytes::<4>());
        let label: String = label.chars().filter(|c| !c.is_control()).take(MAX_LABEL).collect();
        let label = if label.trim().is_empty() { "print token".to_owned() } else { label.trim().to_owned() };
        let info = TokenInfo {
            id: id.clone(),
            user: user.to_owned(),
            label: label.clone(),
            created_ms: crate::clock::now_ms(),
            tag: self.tag(&symbols),
        };
        self.file.update(|f| {
            if f.tokens.iter().filter(|t| t.user.eq_ignore_ascii_case(user)).count() >= MAX_PER_USER {
                return Err(TokenError::TooMany { user: user.to_owned() });
            }
            f.tokens.push(info);
            Ok(())
        })?;
        Ok(NewToken { id, label, secret })
    }

    /// Revoke token `id`; with `owner`, only if it is theirs. True if one was removed.
    pub fn revoke(&self, id: &str, owner: Option<&str>) -> Result<bool, TokenError> {
        self.file.update(|f| {
            let before = f.tokens.len();
            f.tokens.retain(|t| !(t.id == id && owner.is_none_or(|o| t.user.eq_ignore_ascii_case(o))));
            Ok(f.tokens.len() != before)
        })
    }

    /// Revoke every token of `user` (when the user leaves). How many went.
    pub fn revoke_all(&self, user: &str) -> Result<usize, TokenError> {
        self.file.update(|f| {
            let before = f.tokens.len();
            f.tokens.retain(|t| !t.user.eq_ignore_ascii_case(user));
            Ok(before - f.tokens.len())
        })
    }

    /// The tokens, of `user` only when given.
    pub fn list(&self, user: Option<&str>) -> Result<Vec<TokenInfo>, TokenError> {
        Ok(self
            .file
            .snapshot()?
            .tokens
            .iter()
            .filter(|t| user.is_none_or(|u| t.user.eq_ignore_ascii_case(u)))
            .cloned()
            .collect())
    }

    /// The owner's name as stored, when `token` is a live token of `user`.
    /// A file that cannot be read refuses every token (and is logged),
    /// rather than failing open.
    pub fn verify(&self, user: &str, token: &str) -> Option<String> {
        let c = canonical(token)?;
        let tag = self.tag(&c);
        let file = match self.file.snapshot() {
            Ok(f) => f,
            Err(e) => {
                log::error!("print tokens: {e}");
                return None;
            }
        };
        file.tokens
            .iter()
            .find(|t| ct_eq(t.tag.as_bytes(), tag.as_bytes()) && t.user.eq_ignore_ascii_case(user))
            .map(|t| t.user.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_for_its_owner_only_until_revoked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.json");
        let s = TokenStore::open(&path, [7; 32]).expect("open");
        let t = s.create("alice", "MacBook").expect("create");
        assert!(t.secret.starts_with("ppt-") && t.secret.len() == 4 + 25 + 4);
        assert_eq!(s.verify("alice", &t.secret).as_deref(), Some("alice"));
        assert_eq!(
            s.verify("ALICE", &t.secret.to_lowercase().replace('-', " ")).as_deref(),
            Some("alice"),
            "typing variations are accepted"
        );
        assert!(s.verify("bob", &t.secret).is_none(), "another user cannot use it");
        assert!(s.verify("alice", "ppt-00000-00000-00000-00000-00000").is_none());
        let stored = std::fs::read_to_string(&path).expect("file");
        let bare = t.secret.trim_start_matches("ppt-").replace('-', "");
        assert!(!stored.contains(&bare) && !stored.contains(t.secret.as_str()), "the secret is never stored");
        assert!(!s.revoke(&t.id, Some("bob")).expect("revoke"), "bob cannot revoke alice's token");
        assert!(s.revoke(&t.id, Some("alice")).expect("revoke"));
        assert!(s.verify("alice", &t.secret).is_none());
    }

    #[test]
    fn another_process_changes_are_seen_and_a_different_key_verifies_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.json");
        let daemon = TokenStore::open(&path, [1; 32]).expect("open");
        let cli = TokenStore::open(&path, [1; 32]).expect("open");
        let t = cli.create("alice", "phone").expect("create");
        assert!(daemon.verify("alice", &t.secret).is_some(), "made by the CLI, seen by the daemon");
        assert_eq!(daemon.list(Some("alice")).expect("list").len(), 1);
        cli.revoke_all("alice").expect("revoke");
        assert!(daemon.verify("alice", &t.secret).is_none(), "revoked by the CLI, refused by the daemon");
        let t = cli.create("alice", "phone").expect("create");
        let other_site = TokenStore::open(&path, [2; 32]).expect("open");
        assert!(other_site.verify("alice", &t.secret).is_none());
    }

    #[test]
    fn tokens_per_user_are_limited() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = TokenStore::open(&dir.path().join("tokens.json"), [3; 32]).expect("open");
        for i in 0..MAX_PER_USER {
            s.create("alice", &format!("t{i}")).expect("create");
        }
        assert!(matches!(s.create("alice", "one more"), Err(TokenError::TooMany { .. })));
        s.create("bob", "first").expect("bob is not limited by alice");
    }
}
