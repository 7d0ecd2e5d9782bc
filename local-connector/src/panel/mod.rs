//! The panel services: what a printer's control panel may ask of the
//! appliance, and the rules it is held to.
//!
//! Panels are untrusted network clients. Each request names its device by
//! the device credential issued when the printer was secured
//! ([`crate::printers`]); a revoked credential is refused at once, and so are the
//! sessions opened with it. A sign-in opens a session bound to that device
//! ([`sessions`]); every later request presents both, and a session is
//! honoured only at the device where it was opened, only while it is alive,
//! and only for what the authorization policy grants its user.
//!
//! The four services:
//! - **authentication**: badge (read with the device's reader profile),
//!   keypad user name and password, e-mail and PIN, passcode, badge
//!   enrolment, and logout;
//! - **authorization**: the user's rights at this device (release, copy,
//!   scan, fax, colour);
//! - **accessories**: the device's card-reader profile, and heartbeats;
//! - **statistics**: copy, scan, fax and print transactions reported by
//!   the device, recorded for reports and queued for cloud sync.
//!
//! And the user's queue: their parked jobs, release of some or all (queued
//! in the store, and the release engine told through a
//! [`crate::store::ReleaseWake`]), and deletion (shredding).
//!
//! [`server`] serves the JSON API and [`app`] the panel app's pages, on the
//! shared accept loop ([`crate::net`]); [`body`] reads the API's JSON
//! bodies.

pub mod app;
pub mod body;
pub mod prompts;
pub mod server;
pub mod sessions;

use crate::auth::policy::Rights;
use crate::auth::{Auth, Identity, Refusal};
use crate::crypto::Secret;
use crate::printers::{Device, Devices, StoredReader};
use crate::roaming::{Roaming, RoamingError};
use crate::store::{ColorMode, JobId, JobStore, ReleaseWake, StoreError, Transaction};
use serde::{Deserialize, Serialize};
use sessions::{Session, SessionError, Sessions};
use std::net::IpAddr;
use std::sync::Arc;

/// How someone signs in at a panel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Login {
    /// A badge, as the device's reader reported it (plus a PIN where the site asks).
    Badge {
        /// The reader's output.
        card: String,
        /// The PIN, when `auth.badge_needs_pin`.
        #[serde(default)]
        pin: Option<Secret>,
    },
    /// Directory user name and password, typed on the keypad.
    Password {
        /// `alice`, `alice@realm` or `REALM\alice`.
        login: String,
        /// The password.
        password: Secret,
    },
    /// E-mail address and PIN.
    Pin {
        /// E-mail address.
        email: String,
        /// PIN.
        pin: Secret,
    },
    /// A passcode.
    Passcode {
        /// `IIIIII-SSSSSS`.
        passcode: Secret,
    },
    /// Register an unknown badge with a directory sign-in.
    Enrol {
        /// The ticket from the badge refusal.
        ticket: String,
        /// User name.
        login: String,
        /// Password.
        password: Secret,
    },
}

impl Login {
    fn method(&self) -> &'static str {
        match self {
            Login::Badge { .. } => "badge",
            Login::Password { .. } => "password",
            Login::Pin { .. } => "pin",
            Login::Passcode { .. } => "passcode",
            Login::Enrol { .. } => "enrolment",
        }
    }
}

/// Who signed in, as a panel shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    /// Login name.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Signed in from the remembered identity while the directory is down.
    pub offline: bool,
}

impl From<&Identity> for UserView {
    fn from(i: &Identity) -> Self {
        UserView { login: i.login.clone(), display_name: i.display_name.clone(), offline: i.offline }
    }
}

/// A successful sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedIn {
    /// The session token, for the following requests from this device.
    pub session: String,
    /// Who.
    pub user: UserView,
    /// What they may do here.
    pub rights: Rights,
    /// The session ends after this many seconds without a request.
    pub idle_timeout_s: u64,
}

/// One parked job, as a panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    /// Job id.
    pub id: String,
    /// Document name.
    pub name: String,
    /// Submission time, ms since the epoch.
    pub submitted_at_ms: u64,
    /// Pages, when known.
    pub pages: Option<u32>,
    /// Whether the page count is an estimate.
    pub pages_estimated: bool,
    /// Copies.
    pub copies: u32,
    /// `color`, `monochrome` or `unknown`.
    pub color: ColorMode,
    /// When it will be shredded unprinted, ms since the epoch.
    pub expires_at_ms: u64,
    /// The device it is queued to print at, if a release was asked for.
    pub releasing_at: Option<String>,
    /// How its release is going, if one was asked for.
    pub release: Option<ReleaseView>,
    /// When it printed, for a job kept for reprint, ms since the epoch.
    pub printed_at_ms: Option<u64>,
    /// The other site of the tenant it is parked at, for a job that roams
    /// (it prints here once fetched); absent for a job parked here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

/// How a job's release is going, as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseView {
    /// `queued`, `sending`, `printing`, `stopped` (the printer stopped:
    /// see `message`) or `failed` (the job stays held: see `message`).
    pub state: String,
    /// The printer (device id).
    pub printer: String,
    /// What went wrong, or what the printer says.
    pub message: Option<String>,
}

impl ReleaseView {
    fn of(r: crate::store::ReleaseRequest) -> ReleaseView {
        use crate::store::ReleaseState as S;
        let (state, message) = match r.state {
            S::Queued => ("queued", None::<String>),
            S::Sending { .. } => ("sending", None),
            S::Submitted { note: None, .. } => ("printing", None),
            S::Submitted { note: Some(n), .. } => ("stopped", Some(n)),
            S::Failed { reason, .. } => ("failed", Some(reason)),
        };
        ReleaseView { state: state.into(), printer: r.device, message }
    }
}

/// Why a panel request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PanelError {
    /// No device credential, or a wrong or revoked one.
    #[error("this printer is not secured with Pullprint, or its credential was revoked")]
    Device,
    /// The printer is secured with mutual TLS and this connection did not
    /// present its client certificate.
    #[error("this printer must present its client certificate (mutual TLS), and this connection did not")]
    ClientCertificate,
    /// The sign-in failed.
    #[error("{0}")]
    Refused(Refusal),
    /// The session is not valid here.
    #[error("{0}")]
    Session(SessionError),
    /// The policy does not allow it.
    #[error("you may not {0} at this printer")]
    NotAllowed(&'static str),
    /// No such job of this user.
    #[error("no such job")]
    NoSuchJob,
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Another site of the tenant printed or deleted the job first.
    #[error("this document was already printed or deleted at site {0}")]
    Elsewhere(String),
    /// The tenant cannot be reached to fetch a job parked at another site,
    /// or to claim one parked here before it prints.
    #[error("the appliance cannot reach its cloud tenant to make sure this document prints only once; try again later")]
    Roaming,
    /// The appliance failed; details in its log.
    #[error("the appliance could not do that; see its log")]
    Internal,
}

impl PanelError {
    /// The refusal in words for a person at a screen: a sentence, capitalised.
    pub fn words(&self) -> String {
        match self {
            PanelError::Refused(Refusal::DirectoryUnavailable) => {
                "The directory cannot be reached right now. Try your badge, or try again in a few minutes.".into()
            }
            e => {
                let t = e.to_string();
                let mut c = t.chars();
                c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
            }
        }
    }

    /// How the refusal is answered, in the one place that decides it: the
    /// HTTP status and the API's error code (`docs/panel-api.yaml`). The
    /// JSON API and the panel app both answer with this status.
    pub fn reply(&self) -> (u16, &'static str) {
        match self {
            PanelError::Device => (401, "device"),
            PanelError::ClientCertificate => (401, "device_certificate"),
            PanelError::Session(_) => (401, "session"),
            PanelError::NotAllowed(_) => (403, "not_allowed"),
            PanelError::NoSuchJob => (404, "no_such_job"),
            PanelError::BadRequest(_) => (400, "bad_request"),
            PanelError::Elsewhere(_) => (409, "taken_elsewhere"),
            PanelError::Roaming => (503, "tenant_unavailable"),
            PanelError::Internal => (500, "internal"),
            PanelError::Refused(r) => match r {
                Refusal::NotRecognised => (401, "not_recognised"),
                Refusal::Throttled(_) => (429, "throttled"),
                Refusal::Locked(_) => (429, "locked"),
                Refusal::Account(_) => (403, "account"),
                Refusal::DirectoryUnavailable => (503, "directory_unavailable"),
                Refusal::Misread(_) => (400, "misread"),
                Refusal::PinRequired => (401, "pin_required"),
                Refusal::Enrol(_) => (401, "enrol"),
                Refusal::EnrolmentExpired => (401, "enrolment_expired"),
                Refusal::BadgeTaken => (409, "badge_taken"),
            },
        }
    }
}

impl From<StoreError> for PanelError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => PanelError::NoSuchJob,
            e => {
                log::error!("panel: {e}");
                PanelError::Internal
            }
        }
    }
}

/// The panel services.
#[derive(Debug)]
pub struct Panel {
    auth: Arc<Auth>,
    devices: Arc<Devices>,
    sessions: Sessions,
    store: JobStore,
    prompts: prompts::Prompts,
    /// Told when a release is queued (the release engine, when it runs).
    wake: Option<Arc<dyn ReleaseWake>>,
    /// Where deletions at the panel are recorded.
    audit: Option<crate::audit::AuditLog>,
    /// Jobs parked at the tenant's other sites, when job copies are on.
    roaming: std::sync::OnceLock<Arc<Roaming>>,
}

/// A device's card reader and sign-in settings, as the accessories service gives them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReaderConfig {
    /// The reader profile.
    pub reader: StoredReader,
    /// A PIN is asked for after each badge.
    pub badge_needs_pin: bool,
    /// Unknown badges may be enrolled at the panel.
    pub self_enrolment: bool,
}

impl Panel {
    /// The services over these parts; sessions end after `idle` without use.
    pub fn new(auth: Arc<Auth>, devices: Arc<Devices>, store: JobStore, idle: std::time::Duration) -> Panel {
        Panel {
            auth,
            devices,
            sessions: Sessions::new(idle),
            store,
            prompts: prompts::Prompts::default(),
            wake: None,
            audit: None,
            roaming: std::sync::OnceLock::new(),
        }
    }

    /// Record each job deleted at the panel in `audit`.
    pub fn with_audit(mut self, audit: crate::audit::AuditLog) -> Panel {
        self.audit = Some(audit);
        self
    }

    /// List, and print here, the user's jobs parked at the tenant's other
    /// sites, and claim every job in the tenant before it prints (once).
    pub fn set_roaming(&self, roaming: Arc<Roaming>) {
        let _ = self.roaming.set(roaming);
    }

    /// Tell `wake` of each release queued, so that it is worked at once.
    pub fn with_release_wake(mut self, wake: Arc<dyn ReleaseWake>) -> Panel {
        self.wake = Some(wake);
        self
    }

    /// The device registry.
    pub fn devices(&self) -> &Devices {
        &self.devices
    }

    /// Sign-in prompts shown by a device's browser on the device's behalf.
    pub fn prompts(&self) -> &prompts::Prompts {
        &self.prompts
    }

    /// The device holding `credential`, on a connection that presented the
    /// client certificate whose SHA-256 (hex) is `client_cert`, if any. A
    /// printer secured with mutual TLS is refused without its certificate,
    /// even with the right credential.
    pub fn device(&self, credential: Option<&str>, client_cert: Option<&str>) -> Result<Device, PanelError> {
        let d = credential.and_then(|c| self.devices.authenticate(c)).ok_or(PanelError::Device)?;
        if !d.accepts_connection(client_cert) {
            log::warn!("panel: {} ({}) came without its client certificate; refused", d.name, d.id);
            return Err(PanelError::ClientCertificate);
        }
        Ok(d)
    }

    /// Sign in at `device`.
    pub async fn sign_in(&self, device: &Device, login: Login, source: IpAddr) -> Result<SignedIn, PanelError> {
        let method = login.method();
        // The caller holds a printer's credential: lockout limits each
        // credential tried here, and the printer itself only backs off.
        let source = crate::auth::Origin::printer(source);
        let id = match login {
            Login::Badge { card, pin } => {
                let profile = device.reader.profile().unwrap_or_default();
                self.auth.badge(&card, &profile, pin.as_ref().map(Secret::reveal), source).await
            }
            Login::Password { login, password } => self.auth.password(&login, password.reveal(), source).await,
            Login::Pin { email, pin } => self.auth.email_pin(&email, pin.reveal(), source).await,
            Login::Passcode { passcode } => self.auth.passcode(passcode.reveal(), source).await,
            Login::Enrol { ticket, login, password } => {
                self.auth.enrol(&ticket, &login, password.reveal(), source).await
            }
        }
        .map_err(PanelError::Refused)?;
        let rights = self.auth.rights(&id);
        let user = UserView::from(&id);
        log::info!("panel: {} signed in at {} ({}) by {method}", id.login, device.name, device.id);
        let session = self.sessions.open(&device.id, id, rights, method);
        Ok(SignedIn { session, user, rights, idle_timeout_s: self.sessions.idle().as_secs() })
    }

    /// The session `token` at `device`.
    pub fn session(&self, device: &Device, token: Option<&str>) -> Result<Session, PanelError> {
        let token = token.ok_or(PanelError::Session(SessionError::Unknown))?;
        self.sessions.get(token, &device.id).map_err(|e| {
            if e == SessionError::WrongDevice {
                log::warn!("panel: {} ({}) presented another printer's session", device.name, device.id);
            }
            PanelError::Session(e)
        })
    }

    /// A one-request session at `device` for the owner of a bound phone, if
    /// the directory still knows them.
    pub async fn phone_session(&self, device: &Device, login: &str) -> Result<Session, PanelError> {
        let id = self.auth.owner_of_phone(login).await.map_err(PanelError::Refused)?;
        let rights = self.auth.rights(&id);
        Ok(Session::for_request(&device.id, id, rights, "phone"))
    }

    /// Forget ended sessions; how many are open.
    pub fn sweep_sessions(&self) -> usize {
        self.sessions.sweep()
    }

    /// Log out.
    pub fn sign_out(&self, device: &Device, token: &str) -> bool {
        self.sessions.close(token, &device.id)
    }

    /// Revoke a device: its credential and its open sessions.
    pub fn revoke(&self, key: &str) -> Result<Device, crate::printers::DeviceError> {
        let d = self.devices.revoke(key)?;
        self.sessions.close_device(&d.id);
        Ok(d)
    }

    /// The signed-in user's parked jobs, newest first.
    pub fn jobs(&self, s: &Session) -> Result<Vec<JobView>, PanelError> {
        let mut jobs = self.store.jobs_of(&s.identity.login)?;
        jobs.sort_by_key(|j| std::cmp::Reverse(j.submitted_at_ms));
        // The release queue is small beside the job store: read it once.
        let mut releases: std::collections::HashMap<JobId, crate::store::ReleaseRequest> =
            self.store.pending_releases()?.into_iter().collect();
        let any_printed = self.store.any_printed();
        Ok(jobs
            .into_iter()
            .map(|j| {
                let release = releases.remove(&j.id);
                (j, release)
            })
            .map(|(j, release)| JobView {
                id: j.id.to_string(),
                releasing_at: release.as_ref().map(|r| r.device.clone()),
                release: release.map(ReleaseView::of),
                printed_at_ms: if any_printed { self.store.printed_at(j.id) } else { None },
                name: j.document_name,
                submitted_at_ms: j.submitted_at_ms,
                pages: j.pages,
                pages_estimated: j.pages_estimated,
                copies: j.copies,
                color: j.color,
                expires_at_ms: j.expires_at_ms,
                site: None,
            })
            .chain(self.remote_jobs(&s.identity.login).into_iter().map(|r| JobView {
                id: r.meta.id.to_string(),
                name: r.meta.document_name,
                submitted_at_ms: r.meta.submitted_at_ms,
                pages: r.meta.pages,
                pages_estimated: r.meta.pages_estimated,
                copies: r.meta.copies,
                color: r.meta.color,
                expires_at_ms: r.meta.expires_at_ms,
                releasing_at: None,
                release: None,
                printed_at_ms: None,
                site: Some(r.site),
            }))
            .collect())
    }

    fn remote_jobs(&self, login: &str) -> Vec<crate::roaming::RemoteJob> {
        self.roaming.get().map(|r| r.jobs_of(login)).unwrap_or_default()
    }

    /// Take a job parked at another site (`action`: `released` or
    /// `deleted`), so that it is here.
    fn take(&self, s: &Session, id: &str, action: &str) -> Result<JobId, PanelError> {
        let (Some(r), Some(id)) = (self.roaming.get(), JobId::parse(id)) else { return Err(PanelError::NoSuchJob) };
        Self::taken(id, r.take(&s.identity.login, id, action))
    }

    /// What taking job `id` from another site came to, for the panel.
    fn taken(id: JobId, r: Result<crate::store::JobMeta, RoamingError>) -> Result<JobId, PanelError> {
        match r {
            Ok(_) => Ok(id),
            Err(RoamingError::Elsewhere(site)) => Err(PanelError::Elsewhere(site)),
            Err(RoamingError::Store(StoreError::NotFound(_))) => Err(PanelError::NoSuchJob),
            Err(e) => {
                log::error!("panel: fetching job {id} from another site failed: {e}");
                Err(PanelError::Roaming)
            }
        }
    }

    fn own_job(&self, s: &Session, id: &str) -> Result<JobId, PanelError> {
        let id = JobId::parse(id).ok_or(PanelError::NoSuchJob)?;
        let meta = self.store.get(id)?;
        // Another user's job is "no such job": its existence is not revealed.
        if meta.owner != s.identity.login {
            return Err(PanelError::NoSuchJob);
        }
        Ok(id)
    }

    /// Queue jobs for printing at `device`: the ones named, or all of the
    /// user's (`None`). Returns the ids queued.
    pub fn release(&self, device: &Device, s: &Session, ids: Option<&[String]>) -> Result<Vec<String>, PanelError> {
        if !s.rights.release {
            return Err(PanelError::NotAllowed("release jobs"));
        }
        let login = &s.identity.login;
        let mut refused = None;
        let mut chosen: Vec<JobId> = Vec::new();
        // Jobs just taken from other sites: claimed already, so they join
        // `chosen` only after the local ones are claimed.
        let mut taken = Vec::new();
        match ids {
            Some(ids) => {
                for i in ids {
                    match self.own_job(s, i) {
                        Ok(id) => chosen.push(id),
                        Err(PanelError::NoSuchJob) if self.roaming.get().is_some() => {
                            self.take(s, i, "released").map_or_else(|e| refused = Some(e), |id| taken.push(id));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            // Print All: what is parked, not what already printed and is
            // kept for reprint; and what is parked at other sites.
            None => {
                chosen = self
                    .store
                    .jobs_of(login)?
                    .into_iter()
                    .map(|j| j.id)
                    .filter(|id| self.store.printed_at(*id).is_none())
                    .collect();
                if let Some(roaming) = self.roaming.get() {
                    for r in roaming.jobs_of(login) {
                        Self::taken(r.meta.id, roaming.take_listed(&r, "released"))
                            .map_or_else(|e| refused = Some(e), |id| taken.push(id));
                    }
                }
            }
        }
        // Each job is claimed in the tenant before it prints: one that
        // another site took first is shredded here, not printed twice.
        if let Some(r) = self.roaming.get() {
            for (id, site) in r.claim_local(&chosen) {
                chosen.retain(|c| *c != id);
                refused = Some(site.map_or(PanelError::Roaming, PanelError::Elsewhere));
            }
        }
        chosen.extend(&taken);
        if chosen.is_empty()
            && let Some(e) = refused
        {
            return Err(e);
        }
        // Ids sort in submission order, which is the order they print in.
        chosen.sort();
        chosen.dedup();
        let mut queued = Vec::with_capacity(chosen.len());
        for id in chosen {
            self.store.request_release(id, &device.id, &s.identity.login)?;
            queued.push(id.to_string());
        }
        if let Some(w) = &self.wake {
            w.wake(&device.id);
        }
        log::info!(
            "panel: {} asked to print {} job(s) at {} ({})",
            s.identity.login,
            queued.len(),
            device.name,
            device.id
        );
        Ok(queued)
    }

    /// Delete (shred) one of the user's jobs.
    pub fn delete(&self, s: &Session, id: &str) -> Result<(), PanelError> {
        let id = match self.own_job(s, id) {
            Err(PanelError::NoSuchJob) if self.roaming.get().is_some() => self.take(s, id, "deleted")?,
            r => r?,
        };
        if self.store.release_of(id).is_some_and(|r| r.state.in_flight()) {
            return Err(PanelError::NotAllowed("delete a job while it prints"));
        }
        self.store.discard(id, "deleted", &s.identity.login)?;
        log::info!("panel: {} deleted job {id}", s.identity.login);
        if let Some(audit) = &self.audit {
            let e = crate::audit::Entry::new(&s.identity.login, "user", &s.device, "job.delete");
            audit.record(e.subject(&s.identity.login).target(&format!("job {id}")).outcome("ok", "at the panel"));
        }
        Ok(())
    }

    /// The accessories service: the device's card-reader settings.
    pub fn reader(&self, device: &Device) -> ReaderConfig {
        let s = self.auth.settings();
        ReaderConfig {
            reader: device.reader.clone(),
            badge_needs_pin: s.badge_needs_pin,
            self_enrolment: s.self_enrolment,
        }
    }

    /// The accessories service: a heartbeat.
    pub fn heartbeat(&self, device: &Device) {
        self.devices.seen(&device.id);
    }

    /// The statistics service: record what the device did. A transaction
    /// names a user only if that user has a session at this device.
    pub fn record(&self, device: &Device, reported: Vec<Reported>) -> Result<usize, PanelError> {
        let now = crate::clock::now_ms();
        let mut out = Vec::with_capacity(reported.len());
        for r in reported {
            r.check()?;
            let user = match r.session.as_deref() {
                Some(t) => Some(self.session(device, Some(t))?.identity.login),
                None => None,
            };
            out.push(Transaction {
                device: device.id.clone(),
                user,
                kind: r.kind,
                pages: r.pages,
                colour_pages: r.colour_pages,
                duplex: r.duplex,
                at_ms: r.at_ms.unwrap_or(now),
                recorded_ms: now,
                synced: false,
            });
        }
        self.store.record_transactions(&out)?;
        Ok(out.len())
    }
}

/// A transaction as a device reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reported {
    /// `copy`, `scan`, `email` (scan to e-mail), `fax` or `print`.
    pub kind: String,
    /// Pages (sides) imaged or scanned.
    pub pages: u32,
    /// Of which in colour.
    #[serde(default)]
    pub colour_pages: u32,
    /// Two-sided.
    #[serde(default)]
    pub duplex: bool,
    /// When, ms since the epoch (default: now).
    #[serde(default)]
    pub at_ms: Option<u64>,
    /// The session of the user it was done for, if any.
    #[serde(default)]
    pub session: Option<String>,
}

impl Reported {
    /// The rules a report must meet before any of it is recorded: a known
    /// `kind`, and no more colour pages than pages.
    pub fn check(&self) -> Result<(), PanelError> {
        if !matches!(self.kind.as_str(), "copy" | "scan" | "email" | "fax" | "print") {
            return Err(PanelError::BadRequest(format!("unknown transaction kind {:?}", self.kind)));
        }
        if self.colour_pages > self.pages {
            return Err(PanelError::BadRequest("colour_pages is more than pages".into()));
        }
        Ok(())
    }
}
