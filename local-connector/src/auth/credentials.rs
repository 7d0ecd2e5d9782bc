//! What a person carries or remembers besides their directory password:
//! badges, PINs and passcodes, for local and Active Directory users alike.
//!
//! Nothing here can be read back, or searched without the site's card secret:
//! - a badge is stored as HMAC-SHA-256(card secret, canonical card id), the
//!   lookup key;
//! - a PIN as a salted slow hash of HMAC(card secret, PIN), so a stolen file
//!   cannot be searched through the small PIN space without the key;
//! - a passcode is `IIIIII-SSSSSS`: a random public index (the lookup key)
//!   and a secret part stored like a PIN. It is generated, shown once, and
//!   never stored in clear.
//!
//! The e-mail address of email+PIN login is kept with the PIN, so that such
//! a login needs no directory search (and works while the directory is down).
//!
//! One JSON file, `directory/credentials.json`, shared with the command line
//! ([`SharedJson`]).

use crate::clock::now_s;
use crate::crypto::{hmac_sha256, random_bytes};
use crate::directory::SlowHash;
use crate::shared::{SharedFileError, SharedJson};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Iterations of the slow hash over keyed PINs and passcodes. Lower than for
/// passwords (600,000) because the input is already keyed by the card secret,
/// which an attacker holding only the file does not have, and because every
/// failed panel login costs one such hash.
pub const PIN_ITERATIONS: u32 = 100_000;

/// Errors of the credential store.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// Reading or writing the file failed.
    #[error("credentials: {0}")]
    File(#[from] SharedFileError),
    /// The badge is bound to someone else.
    #[error("that badge is already bound to another user")]
    BadgeTaken,
    /// The e-mail address is already used by another user's PIN.
    #[error("another user already signs in with that e-mail address")]
    EmailTaken,
    /// The PIN is not acceptable.
    #[error("{0}")]
    WeakPin(&'static str),
}

/// A PIN and the address it is used with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRecord {
    /// Lower-case e-mail address.
    pub email: Option<String>,
    /// Slow hash of the keyed PIN.
    pub hash: SlowHash,
    /// When it was set, seconds since the epoch.
    pub set_at: u64,
}

/// A passcode's secret half.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasscodeRecord {
    /// Whose it is.
    pub login: String,
    /// Slow hash of the keyed secret half.
    pub hash: SlowHash,
    /// When it was issued, seconds since the epoch.
    pub issued_at: u64,
}

/// One badge binding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadgeRecord {
    /// Whose it is.
    pub login: String,
    /// When it was bound, seconds since the epoch.
    pub bound_at: u64,
    /// How: `admin`, `enrolment` or `demo`.
    pub how: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    /// Badge tag (hex HMAC) → binding.
    badges: BTreeMap<String, BadgeRecord>,
    /// Login → PIN.
    pins: BTreeMap<String, PinRecord>,
    /// Passcode index → secret half.
    passcodes: BTreeMap<String, PasscodeRecord>,
}

/// A passcode just issued; shown once.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct NewPasscode(String);

impl NewPasscode {
    /// `IIIIII-SSSSSS`.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPasscode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPasscode(<redacted>)")
    }
}

/// The credential store.
#[derive(Debug)]
pub struct Credentials {
    file: SharedJson<File>,
    card_secret: zeroize::Zeroizing<[u8; 32]>,
    /// A hash of nothing anyone knows, checked when there is no real one so
    /// that a miss costs what a wrong guess costs.
    decoy: SlowHash,
}

/// Whether a PIN may be chosen: 4 to 8 digits, not one digit repeated, and
/// not a run such as 1234 or 9876.
pub fn check_pin(pin: &str) -> Result<(), CredentialError> {
    let b = pin.as_bytes();
    if !(4..=8).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return Err(CredentialError::WeakPin("a PIN is 4 to 8 digits"));
    }
    if b.iter().all(|&d| d == b[0]) {
        return Err(CredentialError::WeakPin("a PIN may not repeat one digit"));
    }
    let steps: Vec<i16> = b.windows(2).map(|w| i16::from(w[1]) - i16::from(w[0])).collect();
    if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1) {
        return Err(CredentialError::WeakPin("a PIN may not be a run of digits such as 1234"));
    }
    Ok(())
}

/// Split a typed passcode into its index and secret halves (digits only;
/// spaces and dashes are ignored).
pub fn parse_passcode(typed: &str) -> Option<(String, String)> {
    let digits: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits[..6].to_owned(), digits[6..].to_owned()))
}

impl Credentials {
    /// Open `path` (missing means empty).
    pub fn open(path: &Path, card_secret: [u8; 32]) -> Result<Credentials, CredentialError> {
        let decoy = SlowHash::new(&random_bytes::<32>(), PIN_ITERATIONS);
        Ok(Credentials { file: SharedJson::open(path)?, card_secret: card_secret.into(), decoy })
    }

    fn current(&self) -> Arc<File> {
        self.file.snapshot().unwrap_or_else(|e| {
            log::error!("credentials: {e}");
            Arc::new(File::default())
        })
    }

    /// The lookup key of a canonical badge id.
    pub fn badge_tag(&self, canonical: &str) -> String {
        hex::encode(hmac_sha256(self.card_secret.as_slice(), format!("badge:{canonical}").as_bytes()))
    }

    fn keyed(&self, what: &str, secret: &str) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(hmac_sha256(self.card_secret.as_slice(), format!("{what}:{secret}").as_bytes()))
    }

    /// Who holds the badge with this tag.
    pub fn badge_owner(&self, tag: &str) -> Option<String> {
        self.current().badges.get(tag).map(|b| b.login.clone())
    }

    /// Bind a badge (canonical id) to `login`; binding it again to the same
    /// user is not an error.
    pub fn bind_badge(&self, login: &str, canonical: &str, how: &str) -> Result<(), CredentialError> {
        let tag = self.badge_tag(canonical);
        self.bind_badge_tag(login, &tag, how)
    }

    /// Bind many badges (login, canonical id) in one write, as an import
    /// does; a badge already bound to someone else stops the import with
    /// nothing written.
    pub fn bind_many(&self, pairs: &[(String, String)], how: &str) -> Result<usize, CredentialError> {
        let tagged: Vec<(String, &str)> = pairs.iter().map(|(l, c)| (self.badge_tag(c), l.as_str())).collect();
        let now = now_s();
        self.file.update(|f| {
            let mut added = 0;
            for (tag, login) in &tagged {
                match f.badges.get(tag) {
                    Some(b) if b.login != *login => return Err(CredentialError::BadgeTaken),
                    Some(_) => {}
                    None => {
                        let record = BadgeRecord { login: (*login).to_owned(), bound_at: now, how: how.into() };
                        f.badges.insert(tag.clone(), record);
                        added += 1;
                    }
                }
            }
            Ok(added)
        })
    }

    /// Bind a badge by its tag.
    pub fn bind_badge_tag(&self, login: &str, tag: &str, how: &str) -> Result<(), CredentialError> {
        self.file.update(|f| {
            if let Some(b) = f.badges.get(tag) {
                return if b.login == login { Ok(()) } else { Err(CredentialError::BadgeTaken) };
            }
            f.badges.insert(tag.into(), BadgeRecord { login: login.into(), bound_at: now_s(), how: how.into() });
            Ok(())
        })
    }

    /// Unbind one badge (canonical id); true when it was bound.
    pub fn unbind_badge(&self, canonical: &str) -> Result<bool, CredentialError> {
        let tag = self.badge_tag(canonical);
        self.file.update(|f| Ok(f.badges.remove(&tag).is_some()))
    }

    /// Unbind all of a user's badges; how many there were.
    pub fn unbind_all(&self, login: &str) -> Result<usize, CredentialError> {
        self.file.update(|f| {
            let before = f.badges.len();
            f.badges.retain(|_, b| b.login != login);
            Ok(before - f.badges.len())
        })
    }

    /// A user's badges with a short handle each (the first 12 hex digits of
    /// its keyed tag, which reveal nothing of the badge), for unbinding one.
    pub fn badges_with_handles(&self, login: &str) -> Vec<(String, BadgeRecord)> {
        self.current()
            .badges
            .iter()
            .filter(|(_, b)| b.login == login)
            .map(|(tag, b)| (tag.get(..12).unwrap_or(tag).to_owned(), b.clone()))
            .collect()
    }

    /// Unbind the badge of `login` whose handle is `handle`; whether there was one.
    pub fn unbind_handle(&self, login: &str, handle: &str) -> Result<bool, CredentialError> {
        if handle.len() != 12 {
            return Ok(false);
        }
        self.file.update(|f| {
            let tag = f.badges.iter().find(|(t, b)| t.starts_with(handle) && b.login == login).map(|(t, _)| t.clone());
            Ok(tag.is_some_and(|t| f.badges.remove(&t).is_some()))
        })
    }

    /// A user's badges: when and how each was bound (the ids themselves are not kept).
    pub fn badges_of(&self, login: &str) -> Vec<BadgeRecord> {
        self.current().badges.values().filter(|b| b.login == login).cloned().collect()
    }

    /// Set `login`'s PIN, used with `email`. The PIN is not checked against
    /// [`check_pin`] here: callers facing users do that.
    pub fn set_pin(&self, login: &str, email: Option<&str>, pin: &str) -> Result<(), CredentialError> {
        let email = email.map(str::to_lowercase);
        let hash = SlowHash::new(&*self.keyed("pin", pin), PIN_ITERATIONS);
        self.file.update(|f| {
            if let Some(e) = &email
                && f.pins.iter().any(|(l, p)| l != login && p.email.as_ref() == Some(e))
            {
                return Err(CredentialError::EmailTaken);
            }
            f.pins.insert(login.into(), PinRecord { email, hash, set_at: now_s() });
            Ok(())
        })
    }

    /// Keep the address of `login`'s PIN in step with the directory.
    pub fn update_email(&self, login: &str, email: Option<&str>) -> Result<(), CredentialError> {
        let email = email.map(str::to_lowercase);
        if self.current().pins.get(login).is_none_or(|p| p.email == email) {
            return Ok(());
        }
        self.file.update(|f| {
            if let Some(p) = f.pins.get_mut(login) {
                p.email = email;
            }
            Ok(())
        })
    }

    /// Remove `login`'s PIN; true when there was one.
    pub fn clear_pin(&self, login: &str) -> Result<bool, CredentialError> {
        self.file.update(|f| Ok(f.pins.remove(login).is_some()))
    }

    /// Whether `login` has a PIN.
    pub fn has_pin(&self, login: &str) -> bool {
        self.current().pins.contains_key(login)
    }

    /// The user whose PIN goes with `email`, if `pin` is right. Exactly one
    /// slow hash is computed whether or not the address is known.
    pub fn verify_email_pin(&self, email: &str, pin: &str) -> Option<String> {
        let email = email.trim().to_lowercase();
        let f = self.current();
        let found = f.pins.iter().find(|(_, p)| p.email.as_deref() == Some(email.as_str()));
        let hash = found.map_or(&self.decoy, |(_, p)| &p.hash);
        let ok = hash.verify_min(&*self.keyed("pin", pin), PIN_ITERATIONS);
        found.filter(|_| ok).map(|(l, _)| l.clone())
    }

    /// Whether `pin` is `login`'s PIN (one slow hash either way).
    pub fn verify_pin(&self, login: &str, pin: &str) -> bool {
        let f = self.current();
        let found = f.pins.get(login);
        let ok = found.map_or(&self.decoy, |p| &p.hash).verify_min(&*self.keyed("pin", pin), PIN_ITERATIONS);
        found.is_some() && ok
    }

    /// Spend one slow hash on nothing: what a miss costs, so that it looks
    /// like a wrong guess from outside.
    pub fn decoy_check(&self) {
        let _ = self.decoy.verify_min(&*self.keyed("pin", "decoy"), PIN_ITERATIONS);
    }

    /// Issue a new passcode for `login`, replacing any earlier one.
    pub fn issue_passcode(&self, login: &str) -> Result<NewPasscode, CredentialError> {
        let mut rng = rand::rngs::OsRng;
        let secret = format!("{:06}", rng.gen_range(0..1_000_000u32));
        let hash = SlowHash::new(&*self.keyed("passcode", &secret), PIN_ITERATIONS);
        let index = self.file.update(|f| {
            f.passcodes.retain(|_, p| p.login != login);
            // A million indices; with 100,000 users a free one is found in a few draws.
            let index = loop {
                let i = format!("{:06}", rng.gen_range(0..1_000_000u32));
                if !f.passcodes.contains_key(&i) {
                    break i;
                }
            };
            f.passcodes.insert(index.clone(), PasscodeRecord { login: login.into(), hash, issued_at: now_s() });
            Ok::<_, CredentialError>(index)
        })?;
        Ok(NewPasscode(format!("{index}-{secret}")))
    }

    /// Withdraw `login`'s passcode; true when there was one.
    pub fn revoke_passcode(&self, login: &str) -> Result<bool, CredentialError> {
        self.file.update(|f| {
            let before = f.passcodes.len();
            f.passcodes.retain(|_, p| p.login != login);
            Ok(before != f.passcodes.len())
        })
    }

    /// Whether `login` has a passcode.
    pub fn has_passcode(&self, login: &str) -> bool {
        self.current().passcodes.values().any(|p| p.login == login)
    }

    /// The owner of the passcode with this index, if `secret` is right (one
    /// slow hash either way).
    pub fn verify_passcode(&self, index: &str, secret: &str) -> Option<String> {
        let f = self.current();
        let found = f.passcodes.get(index);
        let ok = found.map_or(&self.decoy, |p| &p.hash).verify_min(&*self.keyed("passcode", secret), PIN_ITERATIONS);
        found.filter(|_| ok).map(|p| p.login.clone())
    }

    /// Forget everything of `login` (the user was removed).
    pub fn forget(&self, login: &str) -> Result<(), CredentialError> {
        self.file.update(|f| {
            f.badges.retain(|_, b| b.login != login);
            f.pins.remove(login);
            f.passcodes.retain(|_, p| p.login != login);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Credentials) {
        let d = tempfile::tempdir().expect("tempdir");
        let c = Credentials::open(&d.path().join("credentials.json"), [7u8; 32]).expect("open");
        (d, c)
    }

    #[test]
    fn badges_pins_and_passcodes_are_never_stored_in_clear() {
        let (d, c) = store();
        c.bind_badge("alice", "uid:12345678", "admin").expect("bind");
        c.set_pin("alice", Some("Alice@Example.test"), "7391").expect("pin");
        let code = c.issue_passcode("alice").expect("passcode");
        let tag = c.badge_tag("uid:12345678");
        assert_eq!(c.badge_owner(&tag).as_deref(), Some("alice"));
        assert_eq!(c.verify_email_pin("alice@example.TEST", "7391").as_deref(), Some("alice"));
        assert_eq!(c.verify_email_pin("alice@example.test", "7392"), None);
        assert_eq!(c.verify_email_pin("nobody@example.test", "7391"), None);
        let (i, s) = parse_passcode(code.reveal()).expect("format");
        assert_eq!(c.verify_passcode(&i, &s).as_deref(), Some("alice"));
        assert_eq!(c.verify_passcode(&i, "000000").as_deref().filter(|_| s != "000000"), None);
        let raw = std::fs::read_to_string(d.path().join("credentials.json")).expect("read");
        for secret in ["12345678", "7391", &s] {
            assert!(!raw.contains(&format!("\"{secret}")), "{secret} stored in clear");
        }
        // Another site's secret finds nothing.
        let other = Credentials::open(&d.path().join("credentials.json"), [8u8; 32]).expect("open");
        assert_eq!(other.badge_owner(&other.badge_tag("uid:12345678")), None);
        assert_eq!(other.verify_email_pin("alice@example.test", "7391"), None);
    }

    #[test]
    fn one_badge_one_user_and_a_new_passcode_replaces_the_old() {
        let (_d, c) = store();
        c.bind_badge("alice", "uid:01", "admin").expect("bind");
        c.bind_badge("alice", "uid:01", "admin").expect("again, same user");
        assert!(matches!(c.bind_badge("bob", "uid:01", "admin"), Err(CredentialError::BadgeTaken)));
        assert_eq!(c.badges_of("alice").len(), 1);
        assert!(c.unbind_badge("uid:01").expect("unbind"));
        assert!(c.bind_badge("bob", "uid:01", "enrolment").is_ok());
        let first = c.issue_passcode("bob").expect("one");
        let second = c.issue_passcode("bob").expect("two");
        let (i1, s1) = parse_passcode(first.reveal()).expect("format");
        let (i2, s2) = parse_passcode(second.reveal()).expect("format");
        assert_eq!(c.verify_passcode(&i1, &s1), None, "the old passcode is withdrawn");
        assert_eq!(c.verify_passcode(&i2, &s2).as_deref(), Some("bob"));
        c.set_pin("bob", Some("bob@example.test"), "2580").expect("pin");
        assert!(matches!(c.set_pin("carol", Some("BOB@example.test"), "2580"), Err(CredentialError::EmailTaken)));
        c.forget("bob").expect("forget");
        assert!(!c.has_pin("bob") && !c.has_passcode("bob") && c.badges_of("bob").is_empty());
    }

    #[test]
    fn weak_pins_are_refused_and_passcodes_parse_leniently() {
        for weak in ["123", "1111", "1234", "98765", "12a4", "123456789"] {
            assert!(check_pin(weak).is_err(), "{weak}");
        }
        for fine in ["1357", "2580", "90210", "12345670"] {
            assert!(check_pin(fine).is_ok(), "{fine}");
        }
        assert_eq!(parse_passcode("123456-654321"), Some(("123456".into(), "654321".into())));
        assert_eq!(parse_passcode("123 456 654 321"), Some(("123456".into(), "654321".into())));
        assert_eq!(parse_passcode("12345-654321"), None);
        assert_eq!(parse_passcode("12345a-654321"), None);
    }
}
