//! Panel sessions: who signed in at which printer.
//!
//! A session is opened by a successful sign-in at one device and is bound
//! to it: presented by any other device it is refused. It ends on logout,
//! after [`Sessions::idle`] without use, or after [`MAX_LIFETIME`] whatever
//! happens. Session tokens (`pps-` and 32 hex digits, 128 bits) live only in
//! memory, keyed by their HMAC under a key of this process, so a restart
//! signs everyone out, as a printer's own reboot would.

use crate::auth::Identity;
use crate::auth::policy::Rights;
use crate::crypto::{hmac_sha256, random_bytes};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest a session lasts, however busy.
pub const MAX_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// Most sessions at once (a bound on memory; the oldest idle go first).
pub const MAX_SESSIONS: usize = 100_000;

/// One signed-in user at one device.
#[derive(Debug, Clone)]
pub struct Session {
    /// The device it is bound to.
    pub device: String,
    /// Who.
    pub identity: Identity,
    /// What they may do.
    pub rights: Rights,
    /// How they signed in (`badge`, `password`, `pin`, `passcode`).
    pub method: &'static str,
    created: Instant,
    last: Instant,
}

impl Session {
    /// A session for one request, never kept: a bound phone's, which
    /// carries its own credential each time.
    pub fn for_request(device: &str, identity: Identity, rights: Rights, method: &'static str) -> Session {
        let now = Instant::now();
        Session { device: device.into(), identity, rights, method, created: now, last: now }
    }
}

/// Why a session token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Not a session (or ended by logout).
    #[error("no such session; sign in again")]
    Unknown,
    /// Ended by inactivity or age.
    #[error("the session has expired; sign in again")]
    Expired,
    /// Opened at another printer.
    #[error("this session belongs to another printer")]
    WrongDevice,
}

/// The open sessions.
#[derive(Debug)]
pub struct Sessions {
    key: zeroize::Zeroizing<[u8; 32]>,
    idle: Duration,
    open: Mutex<HashMap<[u8; 32], Session>>,
}

impl Sessions {
    /// Sessions that end after `idle` without use.
    pub fn new(idle: Duration) -> Sessions {
        Sessions { key: zeroize::Zeroizing::new(random_bytes()), idle, open: Mutex::new(HashMap::new()) }
    }

    /// The idle timeout.
    pub fn idle(&self) -> Duration {
        self.idle
    }

    fn tag(&self, token: &str) -> [u8; 32] {
        hmac_sha256(self.key.as_slice(), token.as_bytes())
    }

    fn alive(&self, s: &Session, now: Instant) -> bool {
        now.duration_since(s.last) < self.idle && now.duration_since(s.created) < MAX_LIFETIME
    }

    /// Open a session at `device`; its token.
    pub fn open(&self, device: &str, identity: Identity, rights: Rights, method: &'static str) -> String {
        let token = format!("pps-{}", hex::encode(random_bytes::<16>()));
        let now = Instant::now();
        let s = Session { device: device.into(), identity, rights, method, created: now, last: now };
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() >= MAX_SESSIONS {
            open.retain(|_, s| now.duration_since(s.last) < self.idle && now.duration_since(s.created) < MAX_LIFETIME);
            if open.len() >= MAX_SESSIONS
                && let Some(oldest) = open.iter().min_by_key(|(_, s)| s.last).map(|(k, _)| *k)
            {
                open.remove(&oldest);
            }
        }
        open.insert(self.tag(&token), s);
        token
    }

    /// The session for `token`, presented by `device`; counts as use.
    pub fn get(&self, token: &str, device: &str) -> Result<Session, SessionError> {
        let now = Instant::now();
        let tag = self.tag(token);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let s = open.get_mut(&tag).ok_or(SessionError::Unknown)?;
        if s.device != device {
            return Err(SessionError::WrongDevice);
        }
        if !(now.duration_since(s.last) < self.idle && now.duration_since(s.created) < MAX_LIFETIME) {
            open.remove(&tag);
            return Err(SessionError::Expired);
        }
        s.last = now;
        Ok(s.clone())
    }

    /// End a session (logout) presented by `device`; true when it was open.
    pub fn close(&self, token: &str, device: &str) -> bool {
        let tag = self.tag(token);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.get(&tag).is_some_and(|s| s.device == device) {
            open.remove(&tag);
            return true;
        }
        false
    }

    /// End every session of a device (its credential was revoked).
    pub fn close_device(&self, device: &str) -> usize {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let before = open.len();
        open.retain(|_, s| s.device != device);
        before - open.len()
    }

    /// Forget ended sessions; how many are still open.
    pub fn sweep(&self) -> usize {
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, s| self.alive(s, now));
        open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Source;

    fn alice() -> Identity {
        Identity {
            login: "alice".into(),
            display_name: "Alice".into(),
            email: None,
            department: None,
            groups: vec![],
            source: Source::Local,
            seen_ms: 0,
            offline: false,
        }
    }

    const ALL: Rights = Rights { release: true, copy: true, scan: true, fax: true, colour: true };

    #[test]
    fn a_session_is_bound_to_its_device_and_ends() {
        let s = Sessions::new(Duration::from_millis(200));
        let t = s.open("d-a", alice(), ALL, "badge");
        assert_eq!(s.get(&t, "d-a").map(|x| x.identity.login), Ok("alice".into()));
        assert_eq!(s.get(&t, "d-b").map(|_| ()), Err(SessionError::WrongDevice));
        assert!(!s.close(&t, "d-b"), "another device cannot log it out");
        assert_eq!(s.get("pps-nonsense", "d-a").map(|_| ()), Err(SessionError::Unknown));
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(s.get(&t, "d-a").map(|_| ()), Err(SessionError::Expired));
        let t2 = s.open("d-a", alice(), ALL, "pin");
        assert!(s.close(&t2, "d-a"));
        assert_eq!(s.get(&t2, "d-a").map(|_| ()), Err(SessionError::Unknown));
        let _ = s.open("d-c", alice(), ALL, "badge");
        assert_eq!(s.close_device("d-c"), 1);
    }
}
