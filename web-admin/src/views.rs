//! What the console asks of the appliance beyond the dashboard and
//! printers ([`ConsoleAct`]), who asks ([`Actor`]), and what comes back:
//! plain values the pages render.

use crate::console::ConsoleUser;
use local_connector::audit::{ChainStatus, Query, Record};
use local_connector::auth::policy::ConsoleRole;
use local_connector::store::{HistoryFilter, JobFilter, ParkedJob, ReleaseRecord};

/// A signed-in console user and where the request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who.
    pub user: ConsoleUser,
    /// From where.
    pub source: std::net::IpAddr,
}

/// Something done in the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleAct {
    /// A page of the audit log.
    Audit(Query),
    /// Walk the audit chain now.
    CheckAudit,
    /// A page of parked jobs, and one of ended releases.
    Jobs {
        /// Which parked jobs.
        jobs: JobFilter,
        /// Which releases.
        history: HistoryFilter,
    },
    /// Shred a parked job.
    DeleteJob {
        /// Its id (32 hex digits).
        id: String,
    },
    /// Find people by name or address.
    People {
        /// The start of a name or address.
        term: String,
    },
    /// One person's page.
    Person {
        /// Their login.
        login: String,
    },
    /// The settings page.
    Settings,
    /// Change live settings: (dotted key, value as typed).
    ChangeSettings(Vec<(String, String)>),
    /// Change the privacy settings.
    SetPrivacy(local_connector::auth::policy::Privacy),
    /// Try the directory now.
    TestDirectory,
    /// A report over `[from_ms, to_ms)`.
    Report {
        /// From (ms).
        from_ms: u64,
        /// To (ms).
        to_ms: u64,
    },
    /// The system page.
    System,
    /// Install the admin's own server certificate.
    InstallCertificate {
        /// The certificate and its intermediates, PEM.
        cert_pem: String,
        /// Its key, PEM.
        key_pem: zeroize::Zeroizing<String>,
    },
    /// Serve a certificate of the internal CA again.
    InternalCertificate,
    /// Write a backup to download.
    Backup,
    /// Register (secure) a printer.
    AddPrinter {
        /// Its name.
        name: String,
        /// `hp`, `km`, `lexmark`, `ricoh` or `xerox`.
        vendor: String,
        /// Its host name or address.
        address: String,
        /// How its card reader writes numbers: `hex`, `decimal`, `wiegand26`.
        reader: String,
        /// The reader reports the UID least significant byte first.
        reversed: bool,
    },
    /// Something done to a registered printer.
    ForPrinter {
        /// Its id.
        id: String,
        /// What: `rotate`, `revoke`, `remove` or `rotate-label`.
        op: String,
    },
    /// Say where a printer stands.
    SetLocation {
        /// Its id.
        id: String,
        /// Where, in words.
        location: String,
    },
    /// A sheet of printer labels, as a PDF.
    Labels {
        /// The printers' ids; empty for every printer.
        ids: Vec<String>,
        /// `a4` or `letter`.
        paper: String,
    },
    /// One printer's page: what it is, and how to secure its panel.
    Printer {
        /// Its id.
        id: String,
    },
    /// Something done to a person's credentials.
    ForPerson {
        /// Their login.
        login: String,
        /// What.
        op: PersonOp,
    },
}

/// The settings the console may change while the appliance runs, kept
/// and checked by the appliance (exactly as its configuration file is).
pub trait LiveSettings: Send + Sync + std::fmt::Debug {
    /// Each setting and its value in force.
    fn current(&self) -> Vec<SettingView>;
    /// Check `changes` (dotted key, value as typed) together and, when
    /// every one is valid, apply them at once and keep them; otherwise
    /// change nothing. What changed (key, new value), or each problem
    /// (key, why).
    fn change(&self, changes: &[(String, String)]) -> Result<KeyedWords, KeyedWords>;
}

/// Pairs of a dotted settings key and words about it (a new value, or why
/// it was refused).
pub type KeyedWords = Vec<(String, String)>;

/// What the system page does with the appliance itself; implemented by
/// the appliance, which owns certificates, backups and its log.
pub trait SystemOps: Send + Sync + std::fmt::Debug {
    /// The server certificate in force, in words: who for, until when,
    /// whose (the internal CA's or the admin's own).
    fn certificate(&self) -> CertificateView;
    /// Install the admin's own certificate (PEM chain) and key; what it is,
    /// or why not.
    fn install_certificate(&self, cert_pem: &str, key_pem: &str) -> Result<String, String>;
    /// Serve a new certificate of the internal CA again.
    fn internal_certificate(&self) -> Result<(), String>;
    /// Write a backup of the data folder to a new file; its path (the
    /// caller removes it), or why not.
    fn backup(&self) -> Result<std::path::PathBuf, String>;
    /// The latest log lines, oldest first.
    fn recent_log(&self) -> Vec<String>;
}

/// The server certificate, as the system page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateView {
    /// Its subject and names.
    pub names: String,
    /// When it expires (RFC 3339).
    pub expires: String,
    /// Whole days left.
    pub days_left: u64,
    /// The admin's own (uploaded), not the internal CA's.
    pub custom: bool,
}

/// The system page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemView {
    /// The certificate.
    pub certificate: CertificateView,
    /// Version.
    pub version: String,
    /// Up for, seconds.
    pub uptime_s: u64,
    /// The site's id.
    pub site_id: String,
    /// The latest log lines, newest first.
    pub log: Vec<String>,
}

/// A setting as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingView {
    /// Dotted key, as in the configuration file.
    pub key: String,
    /// Its name for people.
    pub label: String,
    /// What it does.
    pub help: String,
    /// `duration`, `count` or `switch`.
    pub kind: String,
    /// Its value in force.
    pub value: String,
    /// Changed in the console (over the configuration file).
    pub from_console: bool,
}

/// The settings page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsView {
    /// The live settings.
    pub settings: Vec<SettingView>,
    /// The privacy settings in force.
    pub privacy: local_connector::auth::policy::Privacy,
    /// The directory, in words.
    pub directory: String,
    /// An Active Directory is configured (its connection can be tested).
    pub has_ad: bool,
    /// The dangerous settings in force, in words.
    pub dangerous: Vec<String>,
}

/// What the helpdesk does to a person's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonOp {
    /// Bind a badge, its number as the card or a reader shows it.
    BindBadge {
        /// The number.
        card: String,
        /// `hex` or `decimal`.
        encoding: String,
    },
    /// Unbind one badge, by its handle.
    UnbindBadge {
        /// The handle the person's page shows.
        handle: String,
    },
    /// Clear the PIN; they set a new one on their own page.
    ResetPin,
    /// Issue a passcode, shown once.
    IssuePasscode,
    /// Withdraw the passcode.
    RevokePasscode,
    /// Revoke one print token.
    RevokeToken {
        /// Its id.
        id: String,
    },
    /// Sign out one of their phones.
    RevokePhone {
        /// Its id.
        id: String,
    },
    /// Lift their sign-in locks.
    ClearLockout,
}

impl ConsoleAct {
    /// The roles allowed to do it.
    pub fn roles(&self) -> &'static [ConsoleRole] {
        match self {
            ConsoleAct::Audit(_) | ConsoleAct::CheckAudit | ConsoleAct::Report { .. } => {
                &[ConsoleRole::Admin, ConsoleRole::Auditor]
            }
            ConsoleAct::Settings
            | ConsoleAct::AddPrinter { .. }
            | ConsoleAct::ForPrinter { .. }
            | ConsoleAct::SetLocation { .. }
            | ConsoleAct::Labels { .. }
            | ConsoleAct::Printer { .. }
            | ConsoleAct::System
            | ConsoleAct::InstallCertificate { .. }
            | ConsoleAct::InternalCertificate
            | ConsoleAct::Backup
            | ConsoleAct::ChangeSettings(_)
            | ConsoleAct::SetPrivacy(_)
            | ConsoleAct::TestDirectory => &[ConsoleRole::Admin],
            _ => &[ConsoleRole::Admin, ConsoleRole::Helpdesk],
        }
    }
}

impl PersonOp {
    /// Its name in the audit log.
    pub fn action(&self) -> &'static str {
        match self {
            PersonOp::BindBadge { .. } => "badge.bind",
            PersonOp::UnbindBadge { .. } => "badge.unbind",
            PersonOp::ResetPin => "pin.reset",
            PersonOp::IssuePasscode => "passcode.issue",
            PersonOp::RevokePasscode => "passcode.revoke",
            PersonOp::RevokeToken { .. } => "token.revoke",
            PersonOp::RevokePhone { .. } => "phone.revoke",
            PersonOp::ClearLockout => "lockout.clear",
        }
    }
}

/// A page of the audit log, as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    /// The records, newest first, names already as the viewer may see them.
    pub records: Vec<Record>,
    /// The cursor of the next page.
    pub next: Option<u64>,
    /// Records in the log.
    pub total: u64,
    /// The chain's last check.
    pub status: ChainStatus,
    /// Names are shown as pseudonyms (or not at all) for this viewer.
    pub names_hidden: bool,
}

/// A page of jobs and one of releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobsView {
    /// Parked jobs, newest first.
    pub jobs: Vec<ParkedJob>,
    /// The cursor of the next page of jobs.
    pub next: Option<String>,
    /// Ended releases, newest first.
    pub history: Vec<ReleaseRecord>,
    /// The cursor of the next page of releases.
    pub history_next: Option<String>,
    /// Jobs parked in all.
    pub parked: usize,
    /// Printer id → name, for showing.
    pub printers: Vec<(String, String)>,
}

/// People found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleView {
    /// The people.
    pub people: Vec<local_connector::auth::Person>,
    /// Why Active Directory could not be searched, if so.
    pub problem: Option<String>,
}

/// One person, with their credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonView {
    /// Who.
    pub person: local_connector::auth::Person,
    /// Their badges: handle, when bound (s), how.
    pub badges: Vec<(String, u64, String)>,
    /// They have a PIN.
    pub has_pin: bool,
    /// They have a passcode.
    pub has_passcode: bool,
    /// Their print tokens: id, label, made (ms).
    pub tokens: Vec<(String, String, u64)>,
    /// Their signed-in phones: id, what it is, signed in (ms), last used (ms).
    pub phones: Vec<(String, String, u64, u64)>,
    /// Failed sign-ins lately, and until when they are locked (ms; 0: not).
    pub lockout: (u32, u64),
    /// Jobs parked.
    pub parked: usize,
}

/// A report, as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportView {
    /// The totals; user names and departments already as the viewer may see them.
    pub report: local_connector::reports::Report,
    /// Printer id → name.
    pub printers: Vec<(String, String)>,
    /// Names are pseudonyms or left out for this viewer.
    pub names_hidden: bool,
}

/// One printer, with how to secure its panel; and its new credential, the
/// one time there is one to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterPage {
    /// The printer.
    pub printer: crate::PrinterView,
    /// How its panel reaches the appliance, in words.
    pub integration: String,
    /// What to do on the printer to secure it, in order, each with how sure it is.
    pub steps: Vec<(String, String)>,
    /// What to do on the printer to unsecure it.
    pub unsecure: Vec<(String, String)>,
    /// Ports between it and the appliance: (port, direction, purpose, how sure).
    pub ports: Vec<(u16, String, String, String)>,
    /// The panel credential, shown once after it is made.
    pub credential: Option<zeroize::Zeroizing<String>>,
    /// The panel app's address for this printer, with the credential (shown once too).
    pub app_url: Option<String>,
    /// Where panels reach the appliance.
    pub panel_base: String,
    /// Device Scout's daily meter readings, newest last: (when ms, page count).
    pub meters: Vec<(u64, u64)>,
}
