//! The lockout guard around every sign-in: the keys an attempt counts
//! against (credential and source, keyed), the check before it, the
//! reservation that counts an attempt before its slow check, and the
//! recording of its outcome.

use super::lockout::{KeyKind, Throttled};
use super::{Auth, Identity, Refusal};
use crate::clock::now_ms;
use crate::crypto::hmac_sha256;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// Keys one attempt counts against.
pub(super) type Keys = Vec<(Vec<u8>, KeyKind, String)>;

/// Where a sign-in comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The network address.
    pub addr: IpAddr,
    /// A registered printer's panel (authenticated by its credential).
    pub printer: bool,
}

impl Origin {
    /// A registered printer at `addr`.
    pub fn printer(addr: IpAddr) -> Origin {
        Origin { addr, printer: true }
    }
}

impl From<IpAddr> for Origin {
    fn from(addr: IpAddr) -> Origin {
        Origin { addr, printer: false }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.addr.fmt(f)
    }
}

/// A network source as lockout counts it: an IPv4 address, or the /64 of
/// an IPv6 one (a host is given a whole /64, so counting each of its
/// addresses apart would give it unlimited sources).
fn source_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        v4 => v4.to_string(),
    }
}

/// Most attempts checked at once on one lockout key; more wait their turn.
const MAX_IN_FLIGHT: u32 = 4;
/// Longest an attempt waits for the ones in flight before it is refused.
const RESERVE_WAIT: Duration = Duration::from_secs(10);

/// Why [`Auth::reserve`] did not reserve.
enum Reserve {
    /// Refused: a key is throttled or locked by failures already counted.
    Refused(Refusal),
    /// Only attempts still being checked hold it back; this would be the refusal.
    Wait(Refusal),
}

/// An attempt reserved by [`Auth::reserve`]; dropping it ends the reservation.
pub(super) struct Reservation<'a> {
    auth: &'a Auth,
    keys: Vec<Vec<u8>>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        {
            let mut pending = self.auth.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            for k in &self.keys {
                if let Some(n) = pending.get_mut(k) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        pending.remove(k);
                    }
                }
            }
        }
        self.auth.released.notify_waiters();
    }
}

impl Auth {
    pub(super) fn key(&self, kind: &str, value: &str, k: KeyKind) -> (Vec<u8>, KeyKind, String) {
        let tag = hmac_sha256(self.lock_secret.as_slice(), format!("lockout:{kind}:{value}").as_bytes());
        (tag[..16].to_vec(), k, kind.to_owned())
    }

    /// The lockout key of a network source (see [`source_name`]).
    fn source_key(&self, source: Origin) -> (Vec<u8>, KeyKind, String) {
        let kind = if source.printer { KeyKind::Printer } else { KeyKind::Source };
        self.key("source", &source_name(source.addr), kind)
    }

    /// The keys an attempt on credential `value` (of `kind`: badge, user,
    /// e-mail, passcode) from `source` counts against: the credential at
    /// this source (which locks), the credential anywhere (which only backs
    /// off), and the source.
    pub(super) fn keys(&self, kind: &str, value: &str, source: Origin) -> Keys {
        let at = format!("{value}@{}", source_name(source.addr));
        vec![self.key(kind, &at, KeyKind::Credential), self.key(kind, value, KeyKind::Account), self.source_key(source)]
    }

    /// Reserve an attempt on every key before its slow check (a hash or a
    /// directory bind): refused at once when a key is throttled or locked,
    /// counting the attempts still being checked as failures, or when a key
    /// has [`MAX_IN_FLIGHT`] attempts in flight. The reservation ends when
    /// the returned guard drops, after the outcome is recorded.
    fn reserve(&self, keys: &Keys) -> Result<Reservation<'_>, Reserve> {
        let _one_at_a_time = self.counting.lock().unwrap_or_else(|p| p.into_inner());
        let mut pending = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(r) = self.verdict(keys, Some(&pending)) {
            // Held back only by attempts still being checked: wait for them
            // (they may well succeed) rather than refuse.
            return Err(match self.verdict(keys, None) {
                Ok(()) => Reserve::Wait(r),
                Err(r) => Reserve::Refused(r),
            });
        }
        // Only credentials are reserved: a source (a printer, a NAT) is
        // shared by people signing in at once, who are not guesses.
        let reserved: Vec<Vec<u8>> =
            keys.iter().filter(|(_, kind, _)| is_credential(*kind)).map(|(k, _, _)| k.clone()).collect();
        for k in &reserved {
            *pending.entry(k.clone()).or_insert(0) += 1;
        }
        Ok(Reservation { auth: self, keys: reserved })
    }

    /// [`Auth::reserve`], waiting (at most [`RESERVE_WAIT`]) while only
    /// attempts in flight hold it back; `ready` is asked first after each
    /// wait (a remembered password), and ends the wait with its answer.
    pub(super) async fn reserve_waiting(
        &self,
        keys: &Keys,
        ready: impl Fn() -> Option<Identity>,
    ) -> Result<Result<Reservation<'_>, Identity>, Refusal> {
        let until = tokio::time::Instant::now() + RESERVE_WAIT;
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            match self.reserve(keys) {
                Ok(r) => return Ok(Ok(r)),
                Err(Reserve::Refused(r)) => return Err(r),
                Err(Reserve::Wait(r)) => {
                    if tokio::time::timeout_at(until, released).await.is_err() {
                        return Err(r);
                    }
                }
            }
            if let Some(id) = ready() {
                return Ok(Err(id));
            }
        }
    }

    /// Refuse at once when any key is throttled or locked (without
    /// reserving: for the methods whose check is fast, and for a remembered
    /// password).
    pub(super) fn throttle(&self, keys: &Keys) -> Result<(), Refusal> {
        self.verdict(keys, None)
    }

    /// Whether an attempt on `keys` may go ahead now, with the credential
    /// attempts still being checked (`pending`) counted as failures.
    fn verdict(&self, keys: &Keys, pending: Option<&HashMap<Vec<u8>, u32>>) -> Result<(), Refusal> {
        let now = now_ms();
        let mut worst: Option<Throttled> = None;
        for (k, kind, _) in keys {
            let n = match pending {
                Some(p) if is_credential(*kind) => p.get(k).copied().unwrap_or(0),
                _ => 0,
            };
            let verdict = if n >= MAX_IN_FLIGHT {
                Err(Throttled::Wait(Duration::from_secs(1)))
            } else {
                self.settings().lockout.check_with_pending(&self.state.failures(k), n, *kind, now)
            };
            if let Err(t) = verdict {
                worst = Some(match (worst, t) {
                    (Some(Throttled::Locked(a)), Throttled::Locked(b)) => Throttled::Locked(a.max(b)),
                    (Some(Throttled::Locked(a)), _) => Throttled::Locked(a),
                    (_, Throttled::Locked(b)) => Throttled::Locked(b),
                    (Some(Throttled::Wait(a)), Throttled::Wait(b)) => Throttled::Wait(a.max(b)),
                    (None, t) => t,
                });
            }
        }
        match worst {
            None => Ok(()),
            Some(Throttled::Wait(d)) => Err(Refusal::Throttled(d)),
            Some(Throttled::Locked(d)) => Err(Refusal::Locked(d)),
        }
    }

    pub(super) fn failed(&self, keys: &[(Vec<u8>, KeyKind, String)], method: &str, source: Origin) {
        let _one_at_a_time = self.counting.lock().unwrap_or_else(|p| p.into_inner());
        let now = now_ms();
        for (k, kind, what) in keys {
            let (f, locked) = self.settings().lockout.fail(&self.state.failures(k), *kind, now);
            if locked {
                log::warn!(
                    "auth: {what} locked for {} min after {} failed {method} logins (latest from {source})",
                    self.settings().lockout.lock_for.as_secs() / 60,
                    f.count
                );
            }
            self.state.set_failures(k, &f, locked);
        }
        if let [(credential, KeyKind::Credential, _), (account, KeyKind::Account, _), ..] = keys {
            self.state.link(credential, account);
        }
        log::info!("auth: {method} login from {source} refused");
    }

    pub(super) fn succeeded(&self, keys: &Keys) {
        for (k, kind, _) in keys {
            if is_credential(*kind) {
                self.state.clear_failures(k);
            }
        }
    }
}

/// Keys of credentials (reserved before a slow check, cleared by a success),
/// as against sources.
fn is_credential(kind: KeyKind) -> bool {
    matches!(kind, KeyKind::Credential | KeyKind::Account)
}
