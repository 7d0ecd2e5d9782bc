//! Authentication: one service for every way a person proves who they are,
//! in front of every directory.
//!
//! - **Directory password** (IPP queue, keypad login, web pages): the local
//!   directory first, then Active Directory when configured.
//! - **Badge**: the reading is normalised by the reader's profile
//!   ([`crate::badge`]) and looked up by its keyed hash. Optionally the
//!   site requires a PIN with it. With self-enrolment on, an unknown badge
//!   gets an enrolment ticket: a directory login at the panel binds it.
//! - **E-mail and PIN**, and **passcode** (`IIIIII-SSSSSS`, issued by the
//!   appliance and shown once).
//!
//! Every attempt first passes the lockout ([`lockout`]): per badge, user or
//! address, and source, with back-off and then a soft lock that survives a
//! restart ([`state`]). Failures of the panel methods all read
//! [`Refusal::NotRecognised`] and each costs exactly one slow hash (a real
//! one or a decoy), so an unknown badge, an unknown address and a wrong PIN
//! cannot be told apart by answer or by time.
//!
//! Badge, PIN and passcode logins of Active Directory users need the user's
//! current state (enabled, groups). It is read with the service account and
//! remembered ([`Identity`]); for [`AuthSettings::refresh_after`] the
//! remembered copy is used as is, and while the directory is unreachable it
//! serves for up to [`AuthSettings::offline_ttl`], marked offline. Directory
//! password logins always ask the directory (a recent success is remembered
//! for five minutes, keyed in memory only).

pub mod basic;
pub mod credentials;
mod guard;
pub use guard::Origin;
pub use people::Person;
pub mod lockout;
pub mod people;
pub mod policy;
pub mod state;

use crate::ad::{ActiveDirectory, AdError, AdUser, account_name};
use crate::badge::{BadgeError, ReaderProfile};
use crate::clock::{duration_ms as ms, now_ms};
use crate::crypto::{hmac_sha256, random_bytes};
use crate::directory::{LocalDirectory, LocalUser, SlowHash};
use credentials::{CredentialError, Credentials, NewPasscode};
use lockout::{KeyKind, LockoutPolicy};
use policy::{PolicyFile, Rights};
use serde::{Deserialize, Serialize};
use state::AuthState;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a verified directory password is remembered.
const PASSWORD_TTL: Duration = Duration::from_secs(300);
/// Most remembered passwords.
const PASSWORD_CACHE: usize = 10_000;
/// How long an enrolment ticket lasts.
const ENROL_TTL: Duration = Duration::from_secs(120);
/// Most open enrolment tickets.
const ENROL_MAX: usize = 10_000;
/// Most enrolment tickets one source is given in [`ENROL_WINDOW`]: an
/// unknown badge is offered enrolment, a known one is not, so each ticket
/// tells whether a badge is registered; this bounds how many badges can be
/// tried that way at one printer. Past it, an unknown badge is refused as
/// it is with self-enrolment off.
const ENROL_PER_SOURCE: usize = 5;
const ENROL_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Where an identity comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The local directory.
    Local,
    /// Active Directory.
    ActiveDirectory,
}

/// Someone the appliance has authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Login name: as stored for local users, lower-case sAMAccountName for AD.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Group names, nested ones included.
    pub groups: Vec<String>,
    /// Which directory vouched.
    pub source: Source,
    /// When the directory last vouched, ms since the epoch.
    pub seen_ms: u64,
    /// Served from the remembered copy while the directory is unreachable.
    #[serde(skip)]
    pub offline: bool,
}

impl Identity {
    fn local(u: &LocalUser) -> Identity {
        Identity {
            login: u.name.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            department: None,
            groups: u.groups.clone(),
            source: Source::Local,
            seen_ms: now_ms(),
            offline: false,
        }
    }

    fn ad(u: &AdUser) -> Identity {
        Identity {
            login: u.name.to_lowercase(),
            display_name: u.display_name.clone(),
            email: u.mail.clone(),
            department: u.department.clone(),
            groups: u.groups.clone(),
            source: Source::ActiveDirectory,
            seen_ms: now_ms(),
            offline: false,
        }
    }
}

/// Why a login was refused, in words a panel can show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Wrong or unknown credentials (which of them is not said).
    #[error("not recognised; check what you entered and try again")]
    NotRecognised,
    /// Too many failures: back-off.
    #[error("too many attempts; try again in {} s", .0.as_secs().max(1))]
    Throttled(Duration),
    /// Too many failures: locked for a while.
    #[error("too many failed attempts; sign-in is locked for {} min", .0.as_secs().div_ceil(60).max(1))]
    Locked(Duration),
    /// The directory refused the account itself (disabled, locked, expired).
    #[error("{0}")]
    Account(String),
    /// The directory cannot be reached and nothing remembered can stand in.
    #[error("the directory cannot be reached; try again later or use your badge")]
    DirectoryUnavailable,
    /// The card reader's output is not a card number (a misread).
    #[error("{0}")]
    Misread(BadgeError),
    /// This site asks for a PIN with the badge.
    #[error("enter your PIN")]
    PinRequired,
    /// An unknown badge: a directory login with this ticket binds it.
    #[error("this badge is not known yet; sign in once with your user name and password to register it")]
    Enrol(String),
    /// An enrolment ticket that is unknown, expired or from another source.
    #[error("the badge registration has expired; swipe the badge again")]
    EnrolmentExpired,
    /// The badge became someone else's in the meantime.
    #[error("that badge is already registered to another user")]
    BadgeTaken,
}

/// Settings of the authentication service.
///
/// The appliance builds these from its configuration, whose defaults are
/// written in the appliance's `config::defaults`; [`AuthSettings::default`]
/// carries the same values (a test there keeps them equal), for callers
/// without a configuration file, such as tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    /// Throttling of guesses.
    pub lockout: LockoutPolicy,
    /// Unknown badges may be bound by their holder with a directory login.
    pub self_enrolment: bool,
    /// A badge needs a PIN too.
    pub badge_needs_pin: bool,
    /// A remembered directory user is used without asking the directory for this long.
    pub refresh_after: Duration,
    /// How long a remembered directory user may stand in while the directory is down.
    pub offline_ttl: Duration,
    /// Longest wait for the directory when a remembered copy could answer.
    pub refresh_budget: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            lockout: LockoutPolicy::default(),
            self_enrolment: true,
            badge_needs_pin: false,
            refresh_after: Duration::from_secs(15 * 60),
            offline_ttl: Duration::from_secs(72 * 3600),
            refresh_budget: Duration::from_secs(2),
        }
    }
}

/// A verified password, remembered.
#[derive(Debug)]
struct Remembered {
    login: String,
    at: Instant,
    /// For a local user, the hash it was verified against: a new password or
    /// a removed user makes the entry stale at once.
    stamp: Option<SlowHash>,
}

/// An open badge enrolment.
#[derive(Debug)]
struct Enrolment {
    tag: String,
    source: Origin,
    until: Instant,
}

/// The authentication service.
#[derive(Debug)]
pub struct Auth {
    settings: std::sync::RwLock<AuthSettings>,
    local: Arc<LocalDirectory>,
    ad: Option<ActiveDirectory>,
    credentials: Arc<Credentials>,
    policy: Arc<PolicyFile>,
    state: AuthState,
    /// Keys the lockout table (stable across restarts).
    lock_secret: zeroize::Zeroizing<[u8; 32]>,
    /// Keys the password cache (this process only).
    cache_key: zeroize::Zeroizing<[u8; 32]>,
    passwords: Mutex<HashMap<[u8; 32], Remembered>>,
    enrolments: Mutex<HashMap<String, Enrolment>>,
    /// When each source was last given enrolment tickets (at most [`ENROL_PER_SOURCE`]).
    enrolments_given: Mutex<HashMap<IpAddr, Vec<Instant>>>,
    /// Serialises read-modify-write of failure counts, and reservations.
    counting: Mutex<()>,
    /// Attempts being checked now, per lockout key.
    in_flight: Mutex<HashMap<Vec<u8>, u32>>,
    /// Signalled whenever a reservation ends, for the attempts waiting.
    released: tokio::sync::Notify,
    /// Set while Active Directory fails its health check.
    directory_down: AtomicBool,
    /// Why it failed its last check, for health reports.
    directory_outage: Mutex<Option<String>>,
}

/// Run a slow hash off the async threads (when there are any).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Auth {
    /// The service over these directories and stores. `lock_secret` keys
    /// the lockout table and must be the same across restarts.
    pub fn new(
        local: Arc<LocalDirectory>,
        ad: Option<ActiveDirectory>,
        credentials: Arc<Credentials>,
        policy: Arc<PolicyFile>,
        state: AuthState,
        settings: AuthSettings,
        lock_secret: [u8; 32],
    ) -> Auth {
        let auth = Auth {
            local,
            ad,
            credentials,
            policy,
            state,
            settings: std::sync::RwLock::new(settings),
            lock_secret: zeroize::Zeroizing::new(lock_secret),
            cache_key: zeroize::Zeroizing::new(random_bytes()),
            passwords: Mutex::new(HashMap::new()),
            enrolments: Mutex::new(HashMap::new()),
            enrolments_given: Mutex::new(HashMap::new()),
            counting: Mutex::new(()),
            in_flight: Mutex::new(HashMap::new()),
            released: tokio::sync::Notify::new(),
            directory_down: AtomicBool::new(false),
            directory_outage: Mutex::new(None),
        };
        auth.prune_lockout();
        auth
    }

    /// Check Active Directory every `every`, so that health reports an
    /// outage (and its end) without waiting for someone to fail a login,
    /// and so that sign-ins stop waiting on a directory known to be down.
    /// Returns at once when no directory is configured. Call within the runtime.
    pub async fn watch_directory(self: Arc<Self>, every: std::time::Duration) {
        let Some(ad) = self.ad.clone() else { return };
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let now = ad.probe().await.err().map(|e| e.to_string());
            self.directory_down.store(now.is_some(), Ordering::Relaxed);
            let mut d = self.directory_outage.lock().unwrap_or_else(|p| p.into_inner());
            match (&*d, &now) {
                (None, Some(why)) => log::error!("Active Directory is unreachable: {why}"),
                (Some(_), None) => log::info!("Active Directory is reachable again"),
                _ => {}
            }
            *d = now;
        }
    }

    /// The Active Directory realm signed in against, if one is configured.
    pub fn directory_name(&self) -> Option<&str> {
        self.ad.as_ref().map(|ad| ad.config().realm.as_str())
    }

    /// Why Active Directory failed its last health check, while it does.
    pub fn directory_outage(&self) -> Option<String> {
        self.directory_outage.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The settings in force.
    pub fn settings(&self) -> AuthSettings {
        *self.settings.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Change the settings; they apply from the next sign-in on.
    pub fn set_settings(&self, s: AuthSettings) {
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = s;
    }

    /// The credential store (badges, PINs, passcodes).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The local directory.
    pub fn local(&self) -> &LocalDirectory {
        &self.local
    }

    /// Active Directory, when configured.
    pub fn active_directory(&self) -> Option<&ActiveDirectory> {
        self.ad.as_ref()
    }

    /// The rights of `who` under the current policy.
    pub fn rights(&self, who: &Identity) -> Rights {
        self.policy.current().rights(&who.groups)
    }

    /// The policy in force.
    pub fn policy(&self) -> policy::Policy {
        self.policy.current()
    }

    /// Change the privacy settings (kept in the policy file).
    pub fn set_privacy(&self, p: policy::Privacy) -> Result<(), policy::PolicyError> {
        self.policy.set_privacy(p).map(|_| ())
    }

    /// The console role of `who` under the current policy, if any.
    pub fn console_role(&self, who: &Identity) -> Option<policy::ConsoleRole> {
        self.policy.current().console_role(&who.groups)
    }

    /// Whether `who` administers the appliance.
    pub fn is_admin(&self, who: &Identity) -> bool {
        self.policy.current().is_admin(&who.groups)
    }

    /// How many lockout keys are locked now.
    pub fn locked_count(&self) -> usize {
        self.state.locked(now_ms())
    }

    /// Forget failure counts whose window or lock has passed; how many.
    pub fn prune_lockout(&self) -> usize {
        let now = now_ms();
        self.state.prune(|f| self.settings().lockout.expired(f, now))
    }

    /// Lift every lock and forget every failure.
    pub fn unlock_all(&self) {
        self.state.clear_all_failures();
        self.state.flush();
    }

    /// The lockout name of a login: what the directory would resolve it to.
    fn user_key_name(&self, login: &str) -> String {
        let login = login.trim();
        let name = match &self.ad {
            Some(ad) => account_name(login, &ad.config().realm, &ad.config().domain).unwrap_or(login),
            None => login,
        };
        name.to_lowercase()
    }

    /// A directory login: user name (`alice`, `alice@realm`, `REALM\alice`) and password.
    pub async fn password(&self, login: &str, password: &str, source: impl Into<Origin>) -> Result<Identity, Refusal> {
        let source = source.into();
        let keys = self.keys("user", &self.user_key_name(login), source);
        self.throttle(&keys)?;
        // A password verified in the last minutes is no guess: it is not
        // reserved, so a client's parallel requests are not held back.
        let keyed = zeroize::Zeroizing::new(format!("{login}\0{password}"));
        let tag = hmac_sha256(self.cache_key.as_slice(), keyed.as_bytes());
        if let Some(id) = self.remembered_password(&tag) {
            self.succeeded(&keys);
            return Ok(id);
        }
        let _reserved = match self.reserve_waiting(&keys, || self.remembered_password(&tag)).await? {
            Ok(r) => r,
            // Another request proved the same password while this one waited.
            Err(id) => {
                self.succeeded(&keys);
                return Ok(id);
            }
        };
        let result = self.check_password(login, password, tag).await;
        match &result {
            Ok(_) => self.succeeded(&keys),
            Err(Refusal::DirectoryUnavailable) => {}
            Err(_) => self.failed(&keys, "password", source),
        }
        result
    }

    /// The slow check of a password whose cache tag is `tag`.
    async fn check_password(&self, login: &str, password: &str, tag: [u8; 32]) -> Result<Identity, Refusal> {
        let local = self.local.user(login);
        if let Some(u) = local {
            let pw = zeroize::Zeroizing::new(password.to_owned());
            let ok = blocking(move || u.password.verify(pw.as_bytes())).await;
            // Read again: the user may have changed in the meantime; the stamp says which hash was checked.
            return match self.local.user(login) {
                Some(now) if ok => {
                    self.remember_password(tag, &now.name, Some(now.password.clone()));
                    Ok(Identity::local(&now))
                }
                _ => Err(Refusal::NotRecognised),
            };
        }
        let Some(ad) = &self.ad else {
            // Cost what a wrong local password costs: one check of a hash
            // (making one with `SlowHash::new` would cost a second).
            let pw = zeroize::Zeroizing::new(password.to_owned());
            blocking(move || SlowHash::decoy(crate::crypto::MIN_PBKDF2_ITERATIONS).verify(pw.as_bytes())).await;
            return Err(Refusal::NotRecognised);
        };
        match ad.authenticate(login, password).await {
            Ok(u) => {
                let id = Identity::ad(&u);
                self.vouched(&id);
                self.remember_password(tag, &id.login, None);
                Ok(id)
            }
            Err(AdError::WrongCredentials | AdError::NoSuchUser) => Err(Refusal::NotRecognised),
            Err(AdError::Unavailable(why)) => {
                log::warn!("auth: directory unavailable for a password login: {why}");
                Err(Refusal::DirectoryUnavailable)
            }
            Err(e) => Err(Refusal::Account(e.to_string())),
        }
    }

    fn remembered_password(&self, tag: &[u8; 32]) -> Option<Identity> {
        let (login, stamp) = {
            let cache = self.passwords.lock().unwrap_or_else(|p| p.into_inner());
            let r = cache.get(tag).filter(|r| r.at.elapsed() < PASSWORD_TTL)?;
            (r.login.clone(), r.stamp.clone())
        };
        match stamp {
            Some(stamp) => {
                let u = self.local.user(&login).filter(|u| u.password == stamp)?;
                Some(Identity::local(&u))
            }
            None => self.state.identity(&login),
        }
    }

    fn remember_password(&self, tag: [u8; 32], login: &str, stamp: Option<SlowHash>) {
        let mut cache = self.passwords.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= PASSWORD_CACHE {
            cache.retain(|_, r| r.at.elapsed() < PASSWORD_TTL);
            if cache.len() >= PASSWORD_CACHE {
                cache.clear();
            }
        }
        cache.insert(tag, Remembered { login: login.to_owned(), at: Instant::now(), stamp });
    }

    /// The directory vouched for `id` just now: remember it, and keep the
    /// address of its PIN in step.
    fn vouched(&self, id: &Identity) {
        self.state.remember(id);
        if let Err(e) = self.credentials.update_email(&id.login, id.email.as_deref()) {
            log::error!("auth: {e}");
        }
    }

    /// The current identity of the owner of a bound phone: refused when the
    /// directory no longer knows them (or disabled them), as a badge of theirs would be.
    pub async fn owner_of_phone(&self, login: &str) -> Result<Identity, Refusal> {
        self.identity_of(login).await
    }

    /// The current identity of a user found by badge, PIN or passcode.
    async fn identity_of(&self, login: &str) -> Result<Identity, Refusal> {
        if let Some(u) = self.local.user(login) {
            return Ok(Identity::local(&u));
        }
        let Some(ad) = &self.ad else {
            return Err(Refusal::NotRecognised);
        };
        let now = now_ms();
        let cached = self.state.identity(login);
        let usable = cached.clone().filter(|c| now.saturating_sub(c.seen_ms) <= ms(self.settings().offline_ttl));
        if let Some(c) = &cached
            && now.saturating_sub(c.seen_ms) < ms(self.settings().refresh_after)
        {
            return Ok(c.clone());
        }
        let offline = |mut c: Identity| {
            c.offline = true;
            c
        };
        if self.directory_down.load(Ordering::Relaxed)
            && let Some(c) = usable.clone()
        {
            return Ok(offline(c));
        }
        let budget = if usable.is_some() { self.settings().refresh_budget } else { ad.config().timeout * 2 };
        let looked = tokio::time::timeout(budget, ad.lookup(login))
            .await
            .unwrap_or_else(|_| Err(AdError::Unavailable("no answer in time".into())));
        match looked {
            Ok(u) => {
                let id = Identity::ad(&u);
                self.vouched(&id);
                Ok(id)
            }
            Err(AdError::Unavailable(why)) => match usable {
                Some(c) => {
                    log::info!("auth: directory unavailable ({why}); {login} signs in from the remembered copy");
                    Ok(offline(c))
                }
                None => Err(Refusal::DirectoryUnavailable),
            },
            Err(AdError::NoSuchUser | AdError::WrongCredentials) => {
                self.state.forget(login);
                Err(Refusal::NotRecognised)
            }
            Err(e) => {
                self.state.forget(login);
                Err(Refusal::Account(e.to_string()))
            }
        }
    }

    /// A badge login: `reading` as the reader reported it, read by `profile`.
    pub async fn badge(
        &self,
        reading: &str,
        profile: &ReaderProfile,
        pin: Option<&str>,
        source: impl Into<Origin>,
    ) -> Result<Identity, Refusal> {
        let source = source.into();
        let canonical = crate::badge::normalise(reading, profile).map_err(Refusal::Misread)?;
        let tag = self.credentials.badge_tag(&canonical);
        let keys = self.keys("badge", &tag, source);
        // A badge alone is a fast lookup; a badge with a PIN is a slow check
        // that parallel guesses could race, so it is reserved.
        let _reserved = match pin {
            Some(_) => self.reserve_waiting(&keys, || None).await?.ok(),
            None => {
                self.throttle(&keys)?;
                None
            }
        };
        let owner = self.credentials.badge_owner(&tag);
        if owner.is_none() && self.settings().self_enrolment && self.may_enrol(source) {
            // Counted against the source only: its holder is about to enrol it.
            self.failed(&keys[2..], "badge", source);
            return Err(Refusal::Enrol(self.open_enrolment(tag, source)));
        }
        if self.settings().badge_needs_pin {
            let Some(pin) = pin else {
                return Err(Refusal::PinRequired);
            };
            let creds = self.credentials.clone();
            let (who, pin) = (owner.clone().unwrap_or_default(), zeroize::Zeroizing::new(pin.to_owned()));
            let ok = blocking(move || creds.verify_pin(&who, &pin)).await;
            if !ok {
                self.failed(&keys, "badge", source);
                return Err(Refusal::NotRecognised);
            }
        }
        let Some(login) = owner else {
            if !self.settings().badge_needs_pin {
                // What a wrong PIN costs, so an unknown badge looks like one.
                let creds = self.credentials.clone();
                blocking(move || creds.decoy_check()).await;
            }
            self.failed(&keys, "badge", source);
            return Err(Refusal::NotRecognised);
        };
        let id = self.identity_of(&login).await?;
        self.succeeded(&keys);
        Ok(id)
    }

    /// An e-mail and PIN login.
    pub async fn email_pin(&self, email: &str, pin: &str, source: impl Into<Origin>) -> Result<Identity, Refusal> {
        let source = source.into();
        let keys = self.keys("email", &email.trim().to_lowercase(), source);
        let _reserved = self.reserve_waiting(&keys, || None).await?;
        let creds = self.credentials.clone();
        let (email_c, pin) = (email.to_owned(), zeroize::Zeroizing::new(pin.to_owned()));
        let Some(login) = blocking(move || creds.verify_email_pin(&email_c, &pin)).await else {
            self.failed(&keys, "e-mail and PIN", source);
            return Err(Refusal::NotRecognised);
        };
        let id = self.identity_of(&login).await?;
        self.succeeded(&keys);
        Ok(id)
    }

    /// A passcode login.
    pub async fn passcode(&self, typed: &str, source: impl Into<Origin>) -> Result<Identity, Refusal> {
        let source = source.into();
        let parsed = credentials::parse_passcode(typed);
        let index = parsed.as_ref().map_or("malformed", |(i, _)| i.as_str()).to_owned();
        let keys = self.keys("passcode", &index, source);
        let _reserved = self.reserve_waiting(&keys, || None).await?;
        let creds = self.credentials.clone();
        let found = blocking(move || match parsed {
            Some((i, s)) => creds.verify_passcode(&i, &zeroize::Zeroizing::new(s)),
            None => {
                creds.decoy_check();
                None
            }
        })
        .await;
        let Some(login) = found else {
            self.failed(&keys, "passcode", source);
            return Err(Refusal::NotRecognised);
        };
        let id = self.identity_of(&login).await?;
        self.succeeded(&keys);
        Ok(id)
    }

    /// Whether `source` may be given one more enrolment ticket now (and
    /// count it if so).
    fn may_enrol(&self, source: Origin) -> bool {
        let mut given = self.enrolments_given.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        given.retain(|_, at| {
            at.retain(|t| now.duration_since(*t) < ENROL_WINDOW);
            !at.is_empty()
        });
        if given.len() >= ENROL_MAX {
            return false;
        }
        let at = given.entry(source.addr).or_default();
        if at.len() >= ENROL_PER_SOURCE {
            log::warn!("auth: {source} asked for more than {ENROL_PER_SOURCE} badge enrolments in 15 min; refused");
            return false;
        }
        at.push(now);
        true
    }

    fn open_enrolment(&self, tag: String, source: Origin) -> String {
        let ticket = hex::encode(random_bytes::<16>());
        let mut open = self.enrolments.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() >= ENROL_MAX {
            open.retain(|_, e| e.until > Instant::now());
        }
        if open.len() < ENROL_MAX {
            open.insert(ticket.clone(), Enrolment { tag, source, until: Instant::now() + ENROL_TTL });
        }
        ticket
    }

    /// Bind the badge of an enrolment `ticket` to whoever signs in with
    /// `login` and `password` (at the same source, within two minutes).
    pub async fn enrol(
        &self,
        ticket: &str,
        login: &str,
        password: &str,
        source: impl Into<Origin>,
    ) -> Result<Identity, Refusal> {
        let source = source.into();
        let e = self.enrolments.lock().unwrap_or_else(|p| p.into_inner()).remove(ticket);
        let Some(e) = e.filter(|e| e.until > Instant::now() && e.source == source) else {
            return Err(Refusal::EnrolmentExpired);
        };
        let id = self.password(login, password, source).await?;
        match self.credentials.bind_badge_tag(&id.login, &e.tag, "enrolment") {
            Ok(()) => {
                self.succeeded(&self.keys("badge", &e.tag, source));
                log::info!("auth: {} registered a badge at {source}", id.login);
                Ok(id)
            }
            Err(CredentialError::BadgeTaken) => Err(Refusal::BadgeTaken),
            Err(err) => {
                log::error!("auth: {err}");
                Err(Refusal::DirectoryUnavailable)
            }
        }
    }

    /// Set the PIN of `who` (signed in with their directory password).
    pub fn set_pin(&self, who: &Identity, pin: &str) -> Result<(), CredentialError> {
        credentials::check_pin(pin)?;
        self.credentials.set_pin(&who.login, who.email.as_deref(), pin)?;
        log::info!("auth: {} set a new PIN", who.login);
        Ok(())
    }

    /// Issue a passcode for `who`, replacing any earlier one; shown once.
    pub fn issue_passcode(&self, who: &Identity) -> Result<NewPasscode, CredentialError> {
        let code = self.credentials.issue_passcode(&who.login)?;
        log::info!("auth: {} was issued a new passcode", who.login);
        Ok(code)
    }
}

#[cfg(test)]
mod tests;
