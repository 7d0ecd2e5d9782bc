//! Bound phones: the long-lived, revocable credential a person's phone
//! browser holds so that scanning a printer's QR label releases their jobs
//! there without a sign-in each time.
//!
//! A phone is bound after a directory sign-in in its browser, or by a
//! one-time code shown on a workstation's `/me` page. Binding issues
//! `ID.SECRET` (a public id and 256 random bits) for an HttpOnly cookie.
//! Only HMAC-SHA-256 of it, under a key derived from the site key, is
//! stored (`directory/phones.json`), as for print tokens: without the site
//! key the file reveals nothing, and a stolen file binds no phone.
//!
//! The label a printer carries names no user and unlocks nothing: a release
//! needs both the label and a bound phone, and the phone's owner must still
//! be a user the directory knows (checked at each use, by the caller).
//!
//! In memory only (the daemon alone serves phones): one-time codes
//! ([`Passes`]) and the release rate limit ([`Limiter`]).

use crate::crypto::{ct_eq, hmac_sha256, random_bytes};
use crate::shared::{SharedFileError, SharedJson};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most phones one person may bind.
pub const MAX_PER_USER: usize = 10;
/// Longest label kept (it comes from the browser's user agent).
const MAX_LABEL: usize = 64;
/// `last_used_ms` is written at most this often for one phone.
const TOUCH_EVERY_MS: u64 = 5 * 60 * 1000;

/// Phone store errors.
#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    /// The file could not be read or written.
    #[error("bound phones: {0}")]
    File(#[from] SharedFileError),
    /// The user already has the most phones allowed.
    #[error("{user} already has {MAX_PER_USER} phones bound; remove one on the /me page first")]
    TooMany {
        /// The user.
        user: String,
    },
}

/// One bound phone, as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneInfo {
    /// Short public id, for removing it.
    pub id: String,
    /// Its owner.
    pub user: String,
    /// What it is ("iPhone, Safari"), from its browser.
    pub label: String,
    /// When it was bound, ms since the epoch.
    pub created_ms: u64,
    /// When it last released or listed jobs, ms since the epoch.
    pub last_used_ms: u64,
    /// Scanning a label prints every held job at once, with no list first.
    pub release_at_once: bool,
    /// HMAC-SHA-256 of the credential, hex.
    tag: String,
}

/// A phone just bound: the credential is in the result only.
pub struct NewPhone {
    /// Its public id.
    pub id: String,
    /// The credential for the cookie (`ID.SECRET`).
    pub credential: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for NewPhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewPhone({}, <redacted>)", self.id)
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    phones: Vec<PhoneInfo>,
}

impl Default for File {
    fn default() -> Self {
        File { version: 1, phones: Vec::new() }
    }
}

/// The bound phones of a site.
#[derive(Debug)]
pub struct PhoneStore {
    file: SharedJson<File>,
    key: zeroize::Zeroizing<[u8; 32]>,
}

/// A short name for a browser, from its user agent: "iPhone, Safari".
pub fn describe(user_agent: &str) -> String {
    let ua = user_agent;
    let device = ["iPhone", "iPad", "Android", "Windows", "Macintosh", "Linux"]
        .into_iter()
        .find(|d| ua.contains(d))
        .map(|d| if d == "Macintosh" { "Mac" } else { d })
        .unwrap_or("a browser");
    let browser =
        [("EdgA/", "Edge"), ("Edg/", "Edge"), ("CriOS/", "Chrome"), ("FxiOS/", "Firefox"), ("Firefox/", "Firefox")]
            .into_iter()
            .chain([("SamsungBrowser/", "Samsung Internet"), ("Chrome/", "Chrome"), ("Safari/", "Safari")])
            .find(|(k, _)| ua.contains(k))
            .map(|(_, name)| name);
    match browser {
        Some(b) => format!("{device}, {b}"),
        None => device.to_owned(),
    }
}

impl PhoneStore {
    /// Open the store at `path` (missing means none yet); `secret` comes
    /// from the site key, and is narrowed to a key for phones alone.
    pub fn open(path: &Path, secret: [u8; 32]) -> Result<PhoneStore, PhoneError> {
        let key = zeroize::Zeroizing::new(hmac_sha256(&secret, b"pullprint bound phones v1"));
        Ok(PhoneStore { file: SharedJson::open(path)?, key })
    }

    fn tag(&self, credential: &str) -> String {
        hex::encode(hmac_sha256(self.key.as_slice(), credential.as_bytes()))
    }

    /// Bind a phone to `user`, described by `label`.
    pub fn bind(&self, user: &str, label: &str) -> Result<NewPhone, PhoneError> {
        let id = hex::encode(random_bytes::<5>());
        let credential = zeroize::Zeroizing::new(format!("{id}.{}", hex::encode(random_bytes::<32>())));
        let label: String = label.chars().filter(|c| !c.is_control()).take(MAX_LABEL).collect();
        let now = crate::clock::now_ms();
        let info = PhoneInfo {
            id: id.clone(),
            user: user.to_owned(),
            label: if label.trim().is_empty() { "a phone".to_owned() } else { label.trim().to_owned() },
            created_ms: now,
            last_used_ms: now,
            release_at_once: false,
            tag: self.tag(&credential),
        };
        self.file.update(|f| {
            if f.phones.iter().filter(|p| p.user.eq_ignore_ascii_case(user)).count() >= MAX_PER_USER {
                return Err(PhoneError::TooMany { user: user.to_owned() });
            }
            f.phones.push(info);
            Ok(())
        })?;
        Ok(NewPhone { id, credential })
    }

    /// The phone holding `credential`, if it is bound. A file that cannot
    /// be read refuses every phone (and is logged) rather than failing open.
    pub fn verify(&self, credential: &str) -> Option<PhoneInfo> {
        let (id, _) = credential.split_once('.')?;
        let tag = self.tag(credential);
        let file = match self.file.snapshot() {
            Ok(f) => f,
            Err(e) => {
                log::error!("bound phones: {e}");
                return None;
            }
        };
        let found = file.phones.iter().find(|p| p.id == id && ct_eq(p.tag.as_bytes(), tag.as_bytes()))?.clone();
        let now = crate::clock::now_ms();
        if now.saturating_sub(found.last_used_ms) >= TOUCH_EVERY_MS
            && let Err(e) = self.change(&found.id, None, |p| p.last_used_ms = now)
        {
            log::warn!("bound phones: noting use of {}: {e}", found.id);
        }
        Some(found)
    }

    /// Apply `change` to phone `id` (of `owner` only, when given). True if it was there.
    fn change(&self, id: &str, owner: Option<&str>, change: impl FnOnce(&mut PhoneInfo)) -> Result<bool, PhoneError> {
        self.file.update(|f| {
            Ok(match f.phones.iter_mut().find(|p| p.id == id && owner.is_none_or(|o| p.user.eq_ignore_ascii_case(o))) {
                Some(p) => {
                    change(p);
                    true
                }
                None => false,
            })
        })
    }

    /// Choose whether scanning a label prints at once, for phone `id` of `owner`.
    pub fn set_release_at_once(&self, id: &str, owner: &str, on: bool) -> Result<bool, PhoneError> {
        self.change(id, Some(owner), |p| p.release_at_once = on)
    }

    /// Remove phone `id`; with `owner`, only if it is theirs. True if one was removed.
    pub fn revoke(&self, id: &str, owner: Option<&str>) -> Result<bool, PhoneError> {
        self.file.update(|f| {
            let before = f.phones.len();
            f.phones.retain(|p| !(p.id == id && owner.is_none_or(|o| p.user.eq_ignore_ascii_case(o))));
            Ok(f.phones.len() != before)
        })
    }

    /// Remove every phone of `user` (when the user leaves). How many went.
    pub fn revoke_all(&self, user: &str) -> Result<usize, PhoneError> {
        self.file.update(|f| {
            let before = f.phones.len();
            f.phones.retain(|p| !p.user.eq_ignore_ascii_case(user));
            Ok(before - f.phones.len())
        })
    }

    /// The bound phones, of `user` only when given, most recently used first.
    pub fn list(&self, user: Option<&str>) -> Result<Vec<PhoneInfo>, PhoneError> {
        let mut l: Vec<PhoneInfo> = self
            .file
            .snapshot()?
            .phones
            .iter()
            .filter(|p| user.is_none_or(|u| p.user.eq_ignore_ascii_case(u)))
            .cloned()
            .collect();
        l.sort_by_key(|p| std::cmp::Reverse(p.last_used_ms));
        Ok(l)
    }
}

/// Short-lived codes that stand for a user, kept in memory as keyed
/// hashes: the one-time code of a phone-binding QR, and the pass that lets
/// a `/me` page manage the phones its user just signed in for.
#[derive(Debug)]
pub struct Passes {
    key: [u8; 32],
    ttl: Duration,
    open: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

/// Most codes outstanding at once (a bound on memory).
const MAX_PASSES: usize = 10_000;

impl Passes {
    /// Codes that last `ttl`.
    pub fn new(ttl: Duration) -> Passes {
        Passes { key: random_bytes::<32>(), ttl, open: Mutex::new(HashMap::new()) }
    }

    /// How long a code lasts.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (String, Instant)>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new code for `user`: 160 random bits, hex.
    pub fn issue(&self, user: &str) -> zeroize::Zeroizing<String> {
        self.issue_for(user, false)
    }

    /// A new code for `user` that replaces any other of theirs (a new
    /// binding QR makes the one shown before stop working).
    pub fn issue_only(&self, user: &str) -> zeroize::Zeroizing<String> {
        self.issue_for(user, true)
    }

    fn issue_for(&self, user: &str, only: bool) -> zeroize::Zeroizing<String> {
        let code = zeroize::Zeroizing::new(hex::encode(random_bytes::<20>()));
        let mut open = self.map();
        open.retain(|_, (who, at)| at.elapsed() < self.ttl && !(only && who == user));
        if open.len() >= MAX_PASSES
            && let Some(oldest) = open.iter().min_by_key(|(_, (_, at))| *at).map(|(k, _)| *k)
        {
            open.remove(&oldest);
        }
        open.insert(hmac_sha256(&self.key, code.as_bytes()), (user.to_owned(), Instant::now()));
        code
    }

    /// The user `code` stands for, while it lasts; it stays usable.
    pub fn check(&self, code: &str) -> Option<String> {
        let open = self.map();
        let (user, at) = open.get(&hmac_sha256(&self.key, code.trim().as_bytes()))?;
        (at.elapsed() < self.ttl).then(|| user.clone())
    }

    /// The user `code` stands for, while it lasts; it is used up.
    pub fn take(&self, code: &str) -> Option<String> {
        let (user, at) = self.map().remove(&hmac_sha256(&self.key, code.trim().as_bytes()))?;
        (at.elapsed() < self.ttl).then_some(user)
    }
}

/// At most `max` events per key in any `window` (a sliding log per key).
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    window: Duration,
    seen: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    /// A limit of `max` in `window`.
    pub fn new(max: usize, window: Duration) -> Limiter {
        Limiter { max, window, seen: Mutex::new(HashMap::new()) }
    }

    /// Count one event for `key`: `Ok` if within the limit, or how long
    /// until the next one is allowed.
    pub fn allow(&self, key: &str) -> Result<(), Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > MAX_PASSES {
            seen.retain(|_, times| times.last().is_some_and(|t| t.elapsed() < self.window));
        }
        let times = seen.entry(key.to_owned()).or_default();
        times.retain(|t| t.elapsed() < self.window);
        if times.len() >= self.max {
            return Err(self.window.saturating_sub(times[0].elapsed()));
        }
        times.push(Instant::now());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_works_until_removed_and_its_secret_is_never_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("phones.json");
        let s = PhoneStore::open(&path, [7; 32]).expect("open");
        let p = s.bind("alice", "iPhone, Safari").expect("bind");
        let found = s.verify(&p.credential).expect("bound");
        assert_eq!((found.user.as_str(), found.label.as_str()), ("alice", "iPhone, Safari"));
        let stored = std::fs::read_to_string(&path).expect("file");
        let secret = p.credential.split_once('.').expect("id.secret").1;
        assert!(!stored.contains(secret), "the secret is never stored");
        let forged = format!("{}.{}", p.id, "0".repeat(64));
        assert!(s.verify(&forged).is_none(), "the id alone is not enough");
        assert!(s.verify("nonsense").is_none());
        assert!(!s.revoke(&p.id, Some("bob")).expect("revoke"), "bob cannot remove alice's phone");
        assert!(s.set_release_at_once(&p.id, "alice", true).expect("set"));
        assert!(s.verify(&p.credential).expect("bound").release_at_once);
        let cli = PhoneStore::open(&path, [7; 32]).expect("open");
        assert_eq!(cli.revoke_all("ALICE").expect("revoke"), 1, "another process removes it");
        assert!(s.verify(&p.credential).is_none(), "and the daemon refuses it at once");
        let other_site = PhoneStore::open(&path, [8; 32]).expect("open");
        let p = s.bind("alice", "").expect("bind");
        assert!(other_site.verify(&p.credential).is_none(), "another site key verifies nothing");
        assert_eq!(s.list(Some("alice")).expect("list")[0].label, "a phone");
    }

    #[test]
    fn phones_per_user_are_limited() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = PhoneStore::open(&dir.path().join("phones.json"), [3; 32]).expect("open");
        for _ in 0..MAX_PER_USER {
            s.bind("alice", "phone").expect("bind");
        }
        assert!(matches!(s.bind("alice", "one more"), Err(PhoneError::TooMany { .. })));
        s.bind("bob", "first").expect("bob is not limited by alice");
    }

    #[test]
    fn one_time_codes_are_used_once_and_expire() {
        let passes = Passes::new(Duration::from_secs(60));
        let code = passes.issue("alice");
        assert_eq!(passes.check(&code).as_deref(), Some("alice"));
        assert_eq!(passes.take(&code).as_deref(), Some("alice"));
        assert!(passes.take(&code).is_none(), "used up");
        assert!(passes.take("00").is_none());
        let (first, second) = (passes.issue_only("bob"), passes.issue_only("bob"));
        assert!(passes.check(&first).is_none(), "a new code replaces bob's earlier one");
        assert_eq!(passes.check(&second).as_deref(), Some("bob"));
        let short = Passes::new(Duration::ZERO);
        let code = short.issue("alice");
        assert!(short.check(&code).is_none() && short.take(&code).is_none(), "expired");
    }

    #[test]
    fn the_limiter_counts_within_its_window() {
        let l = Limiter::new(2, Duration::from_secs(60));
        assert!(l.allow("a").is_ok() && l.allow("a").is_ok());
        assert!(l.allow("a").is_err_and(|wait| wait > Duration::from_secs(50)));
        assert!(l.allow("b").is_ok(), "keys are counted apart");
    }

    #[test]
    fn browsers_are_named_from_their_user_agent() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe(iphone), "iPhone, Safari");
        let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";
        assert_eq!(describe(pixel), "Android, Chrome");
        assert_eq!(describe(""), "a browser");
    }
}
