//! The web front's actions carried out against the domain: health, the CA
//! certificate, and what each person does for themselves (print tokens,
//! PIN, passcode), each after checking their directory password.

use crate::Appliance;
mod console;
mod phone;
mod printers;
mod scout;
pub use phone::PhoneDesk;

use local_connector::audit::{AuditLog, Entry, Pseudonyms};
use local_connector::auth::basic::Authenticator;
use local_connector::crypto::KeyParams;
use local_connector::printers::Devices;
use local_connector::store::JobStore;
use std::sync::Arc;
use std::time::Instant;

/// What the web front acts on: the domain's services it reaches, and the
/// facts about this appliance that health reports.
#[derive(Debug)]
pub struct Site {
    store: JobStore,
    devices: Arc<Devices>,
    auth: Arc<Authenticator>,
    facts: Facts,
    started: Instant,
    /// Locked sign-ins counted lately (a scan of the lockout table), and when.
    locked: std::sync::Mutex<Option<(Instant, u64)>>,
    /// Who is signed in to the admin console.
    console: crate::console::sessions::Sessions,
    /// Where console sign-ins and actions are recorded.
    audit: AuditLog,
    /// Names as auditors may see them.
    pseudonyms: Pseudonyms,
    /// Device Scout's inventory, and whether it has ranges to watch.
    scout: Option<(Arc<local_connector::scout::inventory::Inventory>, bool)>,
    /// Phones at printers' labels, once the daemon serves them.
    phones: Option<PhoneDesk>,
}

/// How long a count of locked sign-ins is reused.
const LOCKED_COUNT_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// What the appliance knows of itself, for health and the CA download.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The site's public key parameters (its id).
    pub params: KeyParams,
    /// The internal CA certificate, PEM.
    pub ca_pem: String,
    /// `store.min_free_bytes`: below this, new jobs are refused.
    pub min_free: u64,
    /// The appliance's dangerous settings that are on, in words.
    pub dangerous: Vec<String>,
    /// The server certificate in force, which renewal replaces while the
    /// listeners run; health reports its expiry.
    pub certificate: Arc<local_connector::net::ServerCert>,
    /// What unlocks the full health report.
    pub status_token: crate::StatusToken,
    /// The settings the console may change.
    pub settings: Arc<dyn crate::LiveSettings>,
    /// Certificates, backups and the log, for the system page.
    pub system: Arc<dyn crate::SystemOps>,
    /// Where printers' panels reach the appliance (`https://HOST:PORT`).
    pub panel_base: String,
    /// Where people's browsers reach the console (`https://HOST[:PORT]`):
    /// the base of the printers' label addresses.
    pub web_base: String,
    /// The submission queue's address (`ipps://HOST[:PORT]/ipp/print`) and
    /// name, as phones are told them.
    pub queue: (String, String),
}

/// Below this many days of validity left, health reports the certificate.
/// The daemon renews it from 30 days before, so this means renewal failed.
const CERTIFICATE_WARN_DAYS: u64 = 30;

impl Site {
    /// The web front over the job store, the printers (for their dangerous
    /// release settings) and sign-in, recording in `audit` and showing
    /// names to auditors through `pseudonyms`; its uptime counts from now.
    pub fn new(
        store: JobStore,
        devices: Arc<Devices>,
        auth: Arc<Authenticator>,
        (audit, pseudonyms): (AuditLog, Pseudonyms),
        facts: Facts,
    ) -> Site {
        Site {
            store,
            devices,
            auth,
            facts,
            started: Instant::now(),
            locked: std::sync::Mutex::new(None),
            console: Default::default(),
            audit,
            pseudonyms,
            scout: None,
            phones: None,
        }
    }

    /// Serve phones at printers' labels.
    pub fn with_phones(mut self, desk: PhoneDesk) -> Site {
        self.phones = Some(desk);
        self
    }

    /// Show what Device Scout found and reads (`watching`: it has ranges).
    pub fn with_scout(mut self, inventory: Arc<local_connector::scout::inventory::Inventory>, watching: bool) -> Site {
        self.scout = Some((inventory, watching));
        self
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The job store.
    pub fn store(&self) -> &JobStore {
        &self.store
    }
}

impl Appliance for Site {
    fn perform(&self, action: crate::Action) -> crate::Outcome {
        match action {
            crate::Action::Health { token } => match token {
                Some(t) if self.facts.status_token.matches(&t) => crate::Outcome::Health(Box::new(self.health())),
                _ => crate::Outcome::Status(self.status().0.into()),
            },
            crate::Action::CaCertificate => crate::Outcome::Pem(self.facts.ca_pem.clone()),
            crate::Action::MyTokens { who, op } => self.my_tokens(&who, op),
            crate::Action::SetMyPin { who, pin } => self.set_my_pin(&who, &zeroize::Zeroizing::new(pin)),
            crate::Action::NewMyPasscode { who } => self.new_my_passcode(&who),
            crate::Action::ConsoleSignIn { who } => self.console_sign_in(&who),
            crate::Action::ConsoleSession { token } => match self.console.get(&token) {
                Some(u) => crate::Outcome::ConsoleUser(Box::new(u)),
                None => crate::Outcome::Unauthenticated,
            },
            crate::Action::ConsoleSignOut { token, source } => {
                if let Some(u) = self.console.get(&token) {
                    self.audit.record(Entry::new(&u.login, u.role.name(), &source.to_string(), "console.sign-out"));
                }
                self.console.close(&token);
                crate::Outcome::Done
            }
            crate::Action::Console { by, act } => self.console_act(&by, *act),
            crate::Action::Dashboard => crate::Outcome::Dashboard(Box::new(self.dashboard())),
            crate::Action::Phone { label, phone, source, op } => {
                self.phone(&label, phone.as_deref().map(String::as_str), source, op)
            }
            crate::Action::MyPhones { who, op } => self.my_phones(who, op),
            crate::Action::PhoneSetup { phone, make_token, source } => {
                self.phone_setup(phone.as_deref().map(String::as_str), make_token, source)
            }
            crate::Action::BindPhone { code, browser, confirm, source } => {
                self.bind_phone(&code, &browser, confirm, source)
            }
            crate::Action::Printers => {
                let (registered, found) = self.printers_with_scout();
                crate::Outcome::Printers(registered, found)
            }
        }
    }
}

impl Site {
    /// Sign in with a directory password (called on a blocking thread).
    fn sign_in(&self, who: &crate::Credentials) -> Result<local_connector::auth::Identity, crate::Outcome> {
        use local_connector::auth::Refusal;
        let attempt = self.auth.auth().password(&who.user, &who.password, who.source);
        match tokio::runtime::Handle::current().block_on(attempt) {
            Ok(id) => Ok(id),
            Err(Refusal::NotRecognised) => {
                log::info!("web: failed sign-in as {:?} from {}", who.user, who.source);
                Err(crate::Outcome::Unauthenticated)
            }
            Err(why) => Err(crate::Outcome::Refused(why.to_string())),
        }
    }

    /// Sign in to the console: a directory password, and a console role
    /// under the policy.
    fn console_sign_in(&self, who: &crate::Credentials) -> crate::Outcome {
        let source = who.source.to_string();
        let id = match self.sign_in(who) {
            Ok(id) => id,
            Err(o) => {
                // The name typed may be a password typed in the wrong box:
                // only its pseudonym is kept, enough to see guesses repeat.
                let name = self.pseudonyms.apply(local_connector::auth::policy::Handling::Obfuscate, "name", &who.user);
                let (outcome, detail) = match &o {
                    crate::Outcome::Unauthenticated => ("refused", "user name or password not recognised".to_owned()),
                    crate::Outcome::Refused(why) => ("refused", why.clone()),
                    _ => ("failed", "the directory could not be asked".to_owned()),
                };
                let e = Entry::new("(not signed in)", "", &source, "console.sign-in").target(&name);
                self.audit.record(e.outcome(outcome, &detail));
                return o;
            }
        };
        let Some(role) = self.auth.auth().console_role(&id) else {
            self.audit.record(
                Entry::new(&id.login, "user", &source, "console.sign-in")
                    .outcome("refused", "holds no console role under the policy"),
            );
            log::warn!("console: {} signed in from {} but holds no console role; refused", id.login, who.source);
            return crate::Outcome::Refused(format!(
                "{} may not use the console: it is for the administrator, helpdesk and auditor groups of the policy.",
                id.login
            ));
        };
        log::info!("console: {} signed in as {} from {}", id.login, role.name(), who.source);
        self.audit.record(Entry::new(&id.login, role.name(), &source, "console.sign-in"));
        let user = crate::console::ConsoleUser {
            login: id.login.clone(),
            display_name: id.display_name.clone(),
            role,
            csrf: String::new(),
        };
        crate::Outcome::ConsoleSignedIn(self.console.open(user))
    }

    /// The console's dashboard.
    fn dashboard(&self) -> crate::Dashboard {
        let devices = self.devices.list();
        let auth = self.auth.auth();
        let directory = match (auth.directory_name(), auth.directory_outage()) {
            (None, _) => "The local directory only (no Active Directory is configured).".to_owned(),
            (Some(name), None) => format!("Active Directory {name} answers; the local directory serves too."),
            (Some(name), Some(why)) => format!(
                "Active Directory {name} is unreachable ({why}): badge, PIN and passcode sign-ins of users seen lately still work."
            ),
        };
        let (activity, failed) = self.activity(&devices);
        let scout = self.scout_summary(&devices);
        crate::Dashboard {
            scout_on: scout.on,
            last_discovery_ms: scout.last_discovery_ms,
            found_unsecured: scout.found_unsecured,
            watch: scout.watch,
            health: self.health(),
            printers: devices.len(),
            printers_secured: devices.iter().filter(|d| !d.credential.is_empty()).count(),
            directory,
            activity,
            failed,
        }
    }

    /// What happened today and over 30 days, and the latest failed releases.
    #[allow(clippy::type_complexity)]
    fn activity(
        &self,
        devices: &[local_connector::printers::Device],
    ) -> (Vec<(String, u64, u64)>, Vec<(u64, String, String, String)>) {
        const DAY: u64 = 86_400_000;
        let now = local_connector::clock::now_ms();
        let (today, month) = (now / DAY * DAY, now.saturating_sub(30 * DAY));
        // The month's records are read once; today's are the tail of them.
        let releases = self.store.releases_between(month, u64::MAX).unwrap_or_default();
        let unprinted = self.store.unprinted_between(month, u64::MAX).unwrap_or_default();
        let m = local_connector::reports::summarise(&releases, &unprinted, |_| None);
        let d = local_connector::reports::summarise(
            &releases[releases.partition_point(|r| r.at_ms < today)..],
            &unprinted[unprinted.partition_point(|r| r.at_ms < today)..],
            |_| None,
        );
        let printed = |r: &local_connector::reports::Report| r.users.values().map(|t| t.jobs).sum::<u64>();
        let pages = |r: &local_connector::reports::Report| r.users.values().map(|t| t.pages).sum::<u64>();
        let rows = vec![
            (
                "jobs submitted and still parked".to_owned(),
                self.store.parked_since(today) as u64,
                self.store.parked_since(month) as u64,
            ),
            ("jobs printed".to_owned(), printed(&d), printed(&m)),
            ("jobs expired unclaimed".to_owned(), d.expired.jobs, m.expired.jobs),
            ("jobs deleted".to_owned(), d.deleted.jobs, m.deleted.jobs),
            ("releases that failed".to_owned(), d.failed, m.failed),
            ("pages printed".to_owned(), pages(&d), pages(&m)),
            ("pages never printed".to_owned(), d.expired.pages + d.deleted.pages, m.expired.pages + m.deleted.pages),
            (
                "sheets of paper saved".to_owned(),
                d.expired.sheets + d.deleted.sheets,
                m.expired.sheets + m.deleted.sheets,
            ),
        ];
        let name = |id: &str| devices.iter().find(|x| x.id == id).map_or(id.to_owned(), |x| x.name.clone());
        let failed = releases
            .iter()
            .rev()
            .filter(|r| r.outcome == "failed")
            .take(5)
            .map(|r| (r.at_ms, r.owner.clone(), name(&r.device), r.detail.clone().unwrap_or_default()))
            .collect();
        (rows, failed)
    }

    /// The registered printers, by name.
    pub(super) fn printers(&self) -> Vec<crate::PrinterView> {
        let mut list: Vec<_> = self
            .devices
            .list()
            .into_iter()
            .map(|d| {
                let r = &d.release;
                let mut transports = vec!["IPPS".to_owned()];
                transports.extend(r.dangerous_allow.iter().map(|t| match t.as_str() {
                    "ipp" => "IPP (plaintext)".to_owned(),
                    "socket" => "RAW 9100 (plaintext)".to_owned(),
                    other => format!("{other} (plaintext)"),
                }));
                let trust = match (&r.tls_pin, r.dangerous_trust_first_use) {
                    (Some(pin), _) => format!("pinned certificate {}…", pin.get(..16).unwrap_or(pin)),
                    (None, true) => "the first certificate it shows will be trusted (dangerous)".to_owned(),
                    (None, false) => "certificates signed by the internal CA".to_owned(),
                };
                let reader = format!(
                    "{}{}",
                    d.reader.encoding,
                    if d.reader.reversed { ", least significant byte first" } else { "" }
                );
                crate::PrinterView {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    vendor: d.vendor.name().to_owned(),
                    address: d.address.clone(),
                    secured: !d.credential.is_empty(),
                    mutual_tls: d.client_cert.is_some(),
                    reader,
                    plaintext: !r.dangerous_allow.is_empty(),
                    transports,
                    trust_dangerous: r.dangerous_trust_first_use && r.tls_pin.is_none(),
                    trust,
                    last_seen: d.last_seen,
                    scout: None,
                    location: d.location.clone(),
                    label_url: d
                        .label
                        .as_deref()
                        .map(|l| local_connector::labels::release_url(&self.facts.web_base, l)),
                }
            })
            .collect();
        list.sort_by_key(|p| p.name.to_lowercase());
        list
    }

    /// A user sets their own PIN.
    fn set_my_pin(&self, who: &crate::Credentials, pin: &str) -> crate::Outcome {
        use local_connector::auth::credentials::CredentialError;
        let id = match self.sign_in(who) {
            Ok(id) => id,
            Err(o) => return o,
        };
        if id.email.is_none() {
            return crate::Outcome::Refused(
                "Your account has no e-mail address, which e-mail and PIN sign-in needs; ask IT to add one.".into(),
            );
        }
        match self.auth.auth().set_pin(&id, pin) {
            Ok(()) => crate::Outcome::Done,
            Err(e @ (CredentialError::WeakPin(_) | CredentialError::EmailTaken)) => {
                crate::Outcome::Refused(e.to_string())
            }
            Err(e) => {
                log::error!("{e}");
                crate::Outcome::Failed
            }
        }
    }

    /// A user gets a new passcode.
    fn new_my_passcode(&self, who: &crate::Credentials) -> crate::Outcome {
        let id = match self.sign_in(who) {
            Ok(id) => id,
            Err(o) => return o,
        };
        match self.auth.auth().issue_passcode(&id) {
            Ok(code) => crate::Outcome::Passcode(zeroize::Zeroizing::new(code.reveal().to_owned())),
            Err(e) => {
                log::error!("{e}");
                crate::Outcome::Failed
            }
        }
    }

    /// A user's own print tokens, with their directory password.
    fn my_tokens(&self, who: &crate::Credentials, op: crate::TokenOp) -> crate::Outcome {
        use crate::{Outcome, TokenOp};
        let user = match self.sign_in(who) {
            Ok(id) => id.login,
            Err(o) => return o,
        };
        let tokens = self.auth.tokens();
        let result = match op {
            TokenOp::List => tokens.list(Some(&user)).map(|l| {
                Outcome::Tokens(
                    l.into_iter()
                        .map(|t| crate::TokenView { id: t.id, label: t.label, created_ms: t.created_ms })
                        .collect(),
                )
            }),
            TokenOp::Create { label } => tokens.create(&user, &label).map(|t| {
                log::info!("print token {} created by {user}", t.id);
                Outcome::NewToken(crate::NewTokenView {
                    id: t.id.clone(),
                    label: t.label.clone(),
                    token: t.secret.to_string(),
                })
            }),
            TokenOp::Revoke { id } => tokens.revoke(&id, Some(&user)).map(|gone| {
                if gone {
                    log::info!("print token {id} revoked by {user}");
                    Outcome::Done
                } else {
                    Outcome::NotFound
                }
            }),
        };
        match result {
            Ok(o) => o,
            Err(e @ local_connector::tokens::TokenError::TooMany { .. }) => Outcome::Refused(e.to_string()),
            Err(e) => {
                log::error!("{e}");
                Outcome::Failed
            }
        }
    }
}

impl Site {
    /// `ok` or `degraded`, and the problems, the free bytes and the
    /// certificate's days left it was decided from (cheap: no table scans).
    fn status(&self) -> (&'static str, Vec<String>, u64, u64) {
        let mut problems = Vec::new();
        let free = local_connector::durable::free_bytes(&self.store.options().dir).unwrap_or(0);
        if free < self.facts.min_free {
            problems.push(format!(
                "the data disk has {} MiB free, below the {} MiB reserve: new jobs are refused",
                free >> 20,
                self.facts.min_free >> 20
            ));
        }
        if let Some(why) = self.auth.auth().directory_outage() {
            problems.push(format!(
                "Active Directory is unreachable ({why}): directory password logins fail; badge, PIN and passcode logins of users seen recently, print tokens and local users still work"
            ));
        }
        let certificate_not_after = self.facts.certificate.not_after();
        let days_left = certificate_not_after
            .duration_since(std::time::SystemTime::now())
            .map(|d| d.as_secs() / 86400)
            .unwrap_or(0);
        if days_left < CERTIFICATE_WARN_DAYS {
            problems.push(format!(
                "the server certificate expires in {days_left} day(s) and automatic renewal has not replaced it: see the log, or run `pullprint certificate renew`"
            ));
        }
        if let Some(p) = self.cloud().problem() {
            problems.push(p);
        }
        (if problems.is_empty() { "ok" } else { "degraded" }, problems, free, days_left)
    }

    /// Locked sign-ins, counted at most every [`LOCKED_COUNT_TTL`].
    fn locked_sign_ins(&self) -> u64 {
        let mut cached = self.locked.lock().unwrap_or_else(|p| p.into_inner());
        match *cached {
            Some((at, n)) if at.elapsed() < LOCKED_COUNT_TTL => n,
            _ => {
                let n = self.auth.auth().locked_count() as u64;
                *cached = Some((Instant::now(), n));
                n
            }
        }
    }

    fn health(&self) -> crate::Health {
        let (status, problems, free, days_left) = self.status();
        crate::Health {
            status: status.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_s: self.started.elapsed().as_secs(),
            site_id: self.facts.params.site_id.clone(),
            parked_jobs: self.store.len() as u64,
            data_free_bytes: free,
            problems,
            dangerous_settings: self
                .facts
                .dangerous
                .iter()
                .cloned()
                .chain(local_connector::printers::dangerous_settings(&self.devices.list()))
                .collect(),
            locked_sign_ins: self.locked_sign_ins(),
            certificate_expires: humantime::format_rfc3339_seconds(self.facts.certificate.not_after()).to_string(),
            certificate_days_left: days_left,
            cloud: self.cloud(),
        }
    }

    /// Cloud sync's state, from the store's outbox.
    fn cloud(&self) -> crate::CloudHealth {
        crate::CloudHealth::of(&self.store.outbox().status(), local_connector::clock::now_ms())
    }
}
