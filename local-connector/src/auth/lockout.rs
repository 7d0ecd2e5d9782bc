//! Throttling of guesses: back-off, then a soft lock, per badge, user and
//! source.
//!
//! Every failed login is counted against each key it involves: the badge
//! (by its keyed tag, so unknown badges are counted too and nothing tells
//! them apart), the user or e-mail address, or the passcode index, each
//! both at this source and across all sources; and the source address.
//! Within a window of quiet time:
//! - the first [`LockoutPolicy::free`] failures cost nothing;
//! - each one after that must wait twice as long as the last before the
//!   next attempt is even checked (1 s, 2 s, 4 s ... up to `max_delay`);
//! - after [`LockoutPolicy::lock_after`] failures the key is locked for
//!   `lock_for`.
//!
//! Only a credential at one source ([`KeyKind::Credential`]) and a network
//! source are ever locked. A credential across all sources
//! ([`KeyKind::Account`]) only backs off, so that nobody can lock someone
//! else out from another address, while guesses spread over many addresses
//! are still slowed. Sources (a workstation, a NAT) are shared by many
//! people, so their thresholds are [`LockoutPolicy::source_factor`] times
//! larger. A registered printer as the source ([`KeyKind::Printer`]) is
//! shared by everyone who uses it: it backs off for at most
//! [`LockoutPolicy::printer_max_delay`] and is never locked, so a run of
//! unknown badges cannot lock everyone out of it; the credentials tried
//! there are limited each on its own.
//! A success clears the credential's counts, never the source's.
//!
//! The decision is a pure function of the stored [`Failures`] and the time,
//! so that it can be tested without waiting; [`super::state`] keeps the
//! counts on disk so a restart does not reset them.

use crate::clock::duration_ms as ms;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How hard guessing is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures before back-off starts.
    pub free: u32,
    /// Longest back-off between two attempts.
    pub max_delay: Duration,
    /// Failures that lock the key.
    pub lock_after: u32,
    /// How long a lock lasts.
    pub lock_for: Duration,
    /// Quiet time after which the count starts again.
    pub window: Duration,
    /// Sources get thresholds this many times larger.
    pub source_factor: u32,
    /// Longest back-off of a registered printer as a source.
    pub printer_max_delay: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            free: 3,
            max_delay: Duration::from_secs(30),
            lock_after: 10,
            lock_for: Duration::from_secs(15 * 60),
            window: Duration::from_secs(15 * 60),
            source_factor: 5,
            printer_max_delay: Duration::from_secs(5),
        }
    }
}

/// What kind of thing a key counts guesses for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A badge, a user, an e-mail address or a passcode index, at one source.
    Credential,
    /// The same across all sources: back-off, never a lock.
    Account,
    /// A network source.
    Source,
    /// A registered printer as the source: a short back-off, never a lock.
    Printer,
}

/// Stored failures of one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    /// Failures in the current window.
    pub count: u32,
    /// Time of the last one, ms since the epoch.
    pub last_ms: u64,
    /// Locked until then, ms since the epoch (0: not locked).
    pub locked_until_ms: u64,
}

/// Why an attempt is not even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// Too soon after the last failure; wait this long.
    Wait(Duration),
    /// Locked; until then.
    Locked(Duration),
}

impl LockoutPolicy {
    /// Free failures, and failures that lock (`u32::MAX`: never).
    fn thresholds(&self, kind: KeyKind) -> (u32, u32) {
        match kind {
            KeyKind::Credential => (self.free, self.lock_after),
            KeyKind::Account => (self.free, u32::MAX),
            KeyKind::Source => {
                (self.free.saturating_mul(self.source_factor), self.lock_after.saturating_mul(self.source_factor))
            }
            KeyKind::Printer => (self.free.saturating_mul(self.source_factor), u32::MAX),
        }
    }

    /// Whether an attempt on a key with these failures may go ahead at `now_ms`.
    pub fn check(&self, f: &Failures, kind: KeyKind, now_ms: u64) -> Result<(), Throttled> {
        if f.locked_until_ms > now_ms {
            return Err(Throttled::Locked(Duration::from_millis(f.locked_until_ms - now_ms)));
        }
        let f = self.current(f, now_ms);
        let (free, _) = self.thresholds(kind);
        if f.count < free {
            return Ok(());
        }
        let mut delay = self.delay(f.count - free);
        if kind == KeyKind::Printer {
            delay = delay.min(self.printer_max_delay);
        }
        let ready = f.last_ms.saturating_add(ms(delay));
        if ready > now_ms { Err(Throttled::Wait(Duration::from_millis(ready - now_ms))) } else { Ok(()) }
    }

    /// Whether one more attempt may start while `pending` others on the
    /// same key are still being checked. Each counts as a failure made now
    /// until it ends, so parallel guesses cannot all pass the check before
    /// the first of them is counted.
    pub fn check_with_pending(&self, f: &Failures, pending: u32, kind: KeyKind, now_ms: u64) -> Result<(), Throttled> {
        if pending == 0 || f.locked_until_ms > now_ms {
            return self.check(f, kind, now_ms);
        }
        let mut p = self.current(f, now_ms);
        p.count = p.count.saturating_add(pending);
        p.last_ms = now_ms;
        self.check(&p, kind, now_ms)
    }

    /// Back-off after the `n`th failure past the free ones.
    fn delay(&self, n: u32) -> Duration {
        let secs = 1u64.checked_shl(n.min(30)).unwrap_or(u64::MAX);
        Duration::from_secs(secs).min(self.max_delay)
    }

    /// The failures as they stand at `now_ms`, with an expired window or lock forgotten.
    fn current(&self, f: &Failures, now_ms: u64) -> Failures {
        if f.locked_until_ms != 0 && f.locked_until_ms <= now_ms {
            return Failures::default();
        }
        if now_ms.saturating_sub(f.last_ms) > ms(self.window) && f.locked_until_ms == 0 {
            return Failures::default();
        }
        *f
    }

    /// The failures after one more at `now_ms`; the flag says it just locked.
    pub fn fail(&self, f: &Failures, kind: KeyKind, now_ms: u64) -> (Failures, bool) {
        let mut f = self.current(f, now_ms);
        f.count = f.count.saturating_add(1);
        f.last_ms = now_ms;
        let (_, lock_after) = self.thresholds(kind);
        let locks = f.count >= lock_after && f.locked_until_ms <= now_ms;
        if locks {
            f.locked_until_ms = now_ms.saturating_add(ms(self.lock_for));
        }
        (f, locks)
    }

    /// Whether a stored entry no longer matters at `now_ms` (and can be pruned).
    pub fn expired(&self, f: &Failures, now_ms: u64) -> bool {
        self.current(f, now_ms) == Failures::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_then_a_lock_that_ends() {
        let p = LockoutPolicy::default();
        let mut f = Failures::default();
        let mut now = 1_000_000u64;
        for _ in 0..3 {
            assert_eq!(p.check(&f, KeyKind::Credential, now), Ok(()));
            f = p.fail(&f, KeyKind::Credential, now).0;
        }
        // Fourth attempt at once: wait 1 s.
        assert_eq!(p.check(&f, KeyKind::Credential, now), Err(Throttled::Wait(Duration::from_secs(1))));
        now += 1_000;
        assert_eq!(p.check(&f, KeyKind::Credential, now), Ok(()));
        f = p.fail(&f, KeyKind::Credential, now).0;
        assert_eq!(p.check(&f, KeyKind::Credential, now + 1_000), Err(Throttled::Wait(Duration::from_secs(1))));
        // Keep failing, waiting out each delay, until the lock.
        let mut locked = false;
        for _ in 0..10 {
            now += 30_000;
            if p.check(&f, KeyKind::Credential, now).is_err() {
                break;
            }
            let (next, just_locked) = p.fail(&f, KeyKind::Credential, now);
            f = next;
            locked |= just_locked;
        }
        assert!(locked);
        assert_eq!(f.count, 10);
        assert!(matches!(p.check(&f, KeyKind::Credential, now + 60_000), Err(Throttled::Locked(_))));
        assert_eq!(p.check(&f, KeyKind::Credential, now + ms(p.lock_for) + 1), Ok(()));
        assert!(p.expired(&f, now + ms(p.lock_for) + 1));
    }

    #[test]
    fn a_quiet_window_forgets_and_sources_get_more_room() {
        let p = LockoutPolicy::default();
        let mut f = Failures::default();
        for i in 0..3 {
            f = p.fail(&f, KeyKind::Credential, 1_000 + i).0;
        }
        assert!(p.check(&f, KeyKind::Credential, 1_010).is_err());
        assert_eq!(p.check(&f, KeyKind::Credential, 1_010 + ms(p.window) + 1), Ok(()));
        // 14 failures from one source: still free (15 allowed).
        let mut s = Failures::default();
        for i in 0..14 {
            s = p.fail(&s, KeyKind::Source, 1_000 + i).0;
        }
        assert_eq!(p.check(&s, KeyKind::Source, 1_020), Ok(()));
    }
}

#[cfg(test)]
mod kinds {
    use super::*;

    #[test]
    fn accounts_and_printers_back_off_but_are_never_locked() {
        let p = LockoutPolicy::default();
        for (kind, longest) in [(KeyKind::Account, p.max_delay), (KeyKind::Printer, p.printer_max_delay)] {
            let mut f = Failures::default();
            let mut now = 1_000_000u64;
            for _ in 0..500 {
                let (next, locked) = p.fail(&f, kind, now);
                assert!(!locked, "{kind:?}");
                f = next;
                now += 1;
            }
            assert_eq!(f.locked_until_ms, 0);
            match p.check(&f, kind, now) {
                Err(Throttled::Wait(d)) => assert!(d <= longest, "{kind:?} waits {d:?}"),
                other => panic!("{kind:?}: {other:?}"),
            }
            assert_eq!(p.check(&f, kind, now + ms(longest)), Ok(()), "{kind:?}");
        }
    }
}
