//! Console sessions: who is signed in to the admin console, for how long,
//! and the token their forms must carry.
//!
//! A session is a random 256-bit token in a `__Host-` cookie; the table
//! keeps only its keyed hash, so that the table itself (in a core dump, say)
//! holds nothing a browser could present. A session ends after
//! [`IDLE`] without a request, [`ABSOLUTE`] after sign-in whatever its use,
//! or at sign-out; every sign-in makes a new one.

use local_connector::auth::policy::ConsoleRole;
use local_connector::crypto::{ct_eq, hmac_sha256, random_bytes};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(15 * 60);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE: Duration = Duration::from_secs(8 * 3600);
/// Open sessions at most; past it the oldest is ended.
const MAX_SESSIONS: usize = 1000;

/// Who a console session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUser {
    /// Login name.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// What they may do.
    pub role: ConsoleRole,
    /// The token every form of theirs carries (`csrf`), checked on each
    /// state change.
    pub csrf: String,
}

impl ConsoleUser {
    /// Whether `given` is this session's form token.
    pub fn csrf_matches(&self, given: &str) -> bool {
        ct_eq(self.csrf.as_bytes(), given.as_bytes())
    }
}

#[derive(Debug)]
struct Open {
    user: ConsoleUser,
    created: Instant,
    seen: Instant,
}

impl Open {
    fn alive(&self, now: Instant) -> bool {
        now.duration_since(self.seen) < IDLE && now.duration_since(self.created) < ABSOLUTE
    }
}

/// The open console sessions.
#[derive(Debug)]
pub struct Sessions {
    key: [u8; 32],
    open: Mutex<HashMap<[u8; 32], Open>>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions { key: random_bytes(), open: Mutex::new(HashMap::new()) }
    }
}

impl Sessions {
    fn id(&self, token: &str) -> [u8; 32] {
        hmac_sha256(&self.key, token.as_bytes())
    }

    /// Open a session for `user` (whose `csrf` is replaced by a fresh
    /// one); returns the token for the cookie.
    pub fn open(&self, mut user: ConsoleUser) -> zeroize::Zeroizing<String> {
        let token = zeroize::Zeroizing::new(hex::encode(random_bytes::<32>()));
        user.csrf = hex::encode(random_bytes::<32>());
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() >= MAX_SESSIONS {
            open.retain(|_, s| s.alive(now));
        }
        if open.len() >= MAX_SESSIONS
            && let Some(oldest) = open.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| *k)
        {
            open.remove(&oldest);
        }
        open.insert(self.id(&token), Open { user, created: now, seen: now });
        token
    }

    /// The user of session `token`, if it is open; the request counts as use.
    pub fn get(&self, token: &str) -> Option<ConsoleUser> {
        self.get_at(token, Instant::now())
    }

    fn get_at(&self, token: &str, now: Instant) -> Option<ConsoleUser> {
        let id = self.id(token);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        match open.get_mut(&id) {
            Some(s) if s.alive(now) => {
                s.seen = now;
                Some(s.user.clone())
            }
            Some(_) => {
                open.remove(&id);
                None
            }
            None => None,
        }
    }

    /// End session `token`; whether it was open.
    pub fn close(&self, token: &str) -> bool {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id(token)).is_some()
    }

    /// End every session of `login` (their role or password changed).
    pub fn close_user(&self, login: &str) -> usize {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let before = open.len();
        open.retain(|_, s| !s.user.login.eq_ignore_ascii_case(login));
        before - open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> ConsoleUser {
        ConsoleUser {
            login: "admin".into(),
            display_name: "Admin".into(),
            role: ConsoleRole::Admin,
            csrf: String::new(),
        }
    }

    #[test]
    fn sessions_are_new_at_each_sign_in_and_end_idle_absolutely_or_at_sign_out() {
        let s = Sessions::default();
        let (a, b) = (s.open(admin()), s.open(admin()));
        assert_ne!(*a, *b, "every sign-in makes a new session");
        let ua = s.get(&a).expect("open");
        assert_eq!(ua.login, "admin");
        assert_eq!(ua.csrf.len(), 64);
        assert_ne!(ua.csrf, s.get(&b).expect("open").csrf, "each session has its own form token");
        assert!(ua.csrf_matches(&ua.csrf.clone()) && !ua.csrf_matches("forged"));
        assert!(s.get("not-a-token").is_none());
        // Used within the idle limit, again and again: open until the absolute limit.
        let start = Instant::now();
        let mut t = start;
        while t < start + ABSOLUTE - IDLE {
            t += IDLE - Duration::from_secs(1);
            assert!(s.get_at(&b, t).is_some(), "busy session ended early");
        }
        assert!(s.get_at(&b, start + ABSOLUTE + Duration::from_secs(1)).is_none(), "past the absolute limit");
        // Idle past the limit: gone.
        assert!(s.get_at(&a, Instant::now() + IDLE + Duration::from_secs(1)).is_none());
        assert!(s.get(&a).is_none(), "an ended session stays ended");
        let c = s.open(admin());
        assert!(s.close(&c) && s.get(&c).is_none() && !s.close(&c));
        let d = s.open(admin());
        assert_eq!(s.close_user("ADMIN"), 1);
        assert!(s.get(&d).is_none());
    }

    #[test]
    fn the_table_keeps_no_token_a_browser_could_present() {
        let s = Sessions::default();
        let t = s.open(admin());
        let table = format!("{:?}", s.open.lock().expect("lock").keys().collect::<Vec<_>>());
        assert!(!table.contains(t.as_str()));
    }
}
