//! Configuration: one TOML file, read in two stages.
//!
//! Stage one walks the raw TOML, one function per section ([`sections`]), and
//! checks every key and value, collecting every problem with its key path
//! (unknown keys are errors). Stage two ([`check`]) checks rules across values. Only when both are clean is a [`Config`] returned.
//! Every default is written down once, in [`defaults`].

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use local_connector::net::Subnet;

pub mod defaults;
mod demo;
pub mod live;
mod secrets;
mod sections;
pub use demo::DemoError;

/// Key algorithm of the internal CA and server certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// RSA 2048 with SHA-256: what printers' panels expect.
    Rsa2048,
    /// RSA 3072.
    Rsa3072,
    /// RSA 4096.
    Rsa4096,
    /// ECDSA P-256 with SHA-256.
    EcdsaP256,
}

impl KeyType {
    fn parse(s: &str) -> Option<KeyType> {
        Some(match s {
            "rsa-2048" => KeyType::Rsa2048,
            "rsa-3072" => KeyType::Rsa3072,
            "rsa-4096" => KeyType::Rsa4096,
            "ecdsa-p256" => KeyType::EcdsaP256,
            _ => return None,
        })
    }
}

/// Lay `over` onto `under`: tables merge key by key, anything else in
/// `over` replaces what `under` had.
fn overlay(under: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (under.get_mut(&k), v) {
            (Some(toml::Value::Table(u)), toml::Value::Table(o)) => overlay(u, o),
            (_, v) => {
                under.insert(k, v);
            }
        }
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `site.name`
    pub site_name: String,
    /// `site.hostnames`: DNS names for the server certificate.
    pub hostnames: Vec<String>,
    /// `site.addresses`: IP addresses for the server certificate.
    pub addresses: Vec<IpAddr>,
    /// `paths.data_dir`
    pub data_dir: PathBuf,
    /// `listen.web`
    pub web_listen: Vec<SocketAddr>,
    /// `listen.ipp`
    pub ipp_listen: Vec<SocketAddr>,
    /// `listen.panel`
    pub panel_listen: Vec<SocketAddr>,
    /// `listen.max_per_address`
    pub max_per_address: usize,
    /// `panel.session_idle`
    pub panel_session_idle: Duration,
    /// `ipp.printer_name`
    pub printer_name: String,
    /// `ipp.location`
    pub printer_location: String,
    /// `ipp.idle_timeout`
    pub ipp_idle_timeout: Duration,
    /// `ipp.body_idle`
    pub ipp_body_idle: Duration,
    /// `ipp.max_jobs_per_user`
    pub max_jobs_per_user: u64,
    /// `ipp.max_bytes_per_user`
    pub max_bytes_per_user: u64,
    /// `service.user`: the account to switch to when started as root.
    pub service_user: String,
    /// `tls.key_type`
    pub key_type: KeyType,
    /// `store.retention`
    pub retention: Duration,
    /// `store.sweep_interval`
    pub sweep_interval: Duration,
    /// `store.max_job_bytes`
    pub max_job_bytes: u64,
    /// `store.min_free_bytes`
    pub min_free_bytes: u64,
    /// `store.index_cache_bytes`
    pub index_cache_bytes: u64,
    /// `store.history_retention`
    pub history_retention: Duration,
    /// `logging.level`
    pub log_level: log::LevelFilter,
    /// `service.shutdown_grace`
    pub shutdown_grace: Duration,
    /// `[ad]`: Active Directory, when configured.
    pub ad: Option<AdSettings>,
    /// `[auth]`: badges, PINs, lockout, remembered directory users.
    pub auth: local_connector::auth::AuthSettings,
    /// `[release]`: delivering released jobs to printers.
    pub release: ReleaseSettings,
    /// `[scout]`: Device Scout's ranges, schedules and SNMP settings.
    pub scout: ScoutConfig,
    /// `[tenant]`: where metadata and job copies are synced.
    pub tenant: TenantSettings,
    /// `dangerous.plain_ipp_listen`: plain-text IPP listeners (none by default).
    pub dangerous_plain_ipp: Vec<SocketAddr>,
    /// `dangerous.trust_user_name_from`: networks whose clients may name
    /// themselves in `requesting-user-name` without credentials.
    pub dangerous_trusted_subnets: Vec<Subnet>,
    /// The text it was read from, as a table, so that the console's
    /// changes can be laid over it and the whole checked again.
    source: toml::Table,
}

/// The `[release]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSettings {
    /// `release.ca_file`: more CAs (PEM) that may vouch for printers'
    /// certificates, beside the internal CA.
    pub ca_file: Option<PathBuf>,
    /// `release.connect_timeout`
    pub connect_timeout: Duration,
    /// `release.busy_retry_for`
    pub busy_retry_for: Duration,
    /// `release.lost_contact_after`
    pub lost_contact_after: Duration,
    /// `release.poll_interval`
    pub poll_interval: Duration,
    /// `release.keep_printed_for`
    pub keep_printed_for: Duration,
}

/// The `[tenant]` section: the company's cloud tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    /// `tenant.kind`: `folder` (the embedded default) or `s3`.
    pub kind: String,
    /// `tenant.dir`: the folder (default `DATA/tenant`).
    pub dir: Option<PathBuf>,
    /// `tenant.endpoint`
    pub endpoint: String,
    /// `tenant.bucket`
    pub bucket: String,
    /// `tenant.region`
    pub region: String,
    /// `tenant.prefix`
    pub prefix: String,
    /// `tenant.credentials_file`: the access key id, then the secret, one a line.
    /// Absent: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` from the environment.
    pub credentials_file: Option<PathBuf>,
    /// `tenant.path_style`
    pub path_style: bool,
    /// `tenant.timeout`
    pub timeout: Duration,
    /// `tenant.copies`: zero-knowledge copies of parked jobs.
    pub copies: bool,
    /// `tenant.dangerous_skip_tls_verify`
    pub dangerous_skip_tls_verify: bool,
    /// `tenant.dangerous_allow_http`
    pub dangerous_allow_http: bool,
    /// `tenant.site`: this appliance's name in the tenant's keys (default: the site id).
    pub site: String,
    /// `tenant.user_names`, `tenant.document_names`, `tenant.departments`:
    /// `keep`, `pseudonym` or `omit`, applied before anything leaves.
    pub user_names: String,
    /// See `user_names`.
    pub document_names: String,
    /// See `user_names`.
    pub departments: String,
    /// `tenant.outbox_capacity`: entries waiting before the outbox is full.
    pub outbox_capacity: u64,
    /// `tenant.when_full`: `pause-metadata` or `refuse-jobs`.
    pub when_full: String,
    /// `tenant.sync_every`: how often the outbox is drained when all is well.
    pub sync_every: Duration,
}

/// The `[scout]` section, with `[[scout.range]]` tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoutConfig {
    /// `scout.discovery`: `daily`, `weekly` or `off`.
    pub discovery: local_connector::scout::schedule::Every,
    /// `scout.windows`: UTC windows ("22:00-06:00") discovery sweeps keep to.
    pub windows: Vec<local_connector::scout::schedule::Window>,
    /// `scout.read_every`: how often known printers' status and supplies are read.
    pub read_every: Duration,
    /// `scout.rate`: first-contact packets per second.
    pub rate: u32,
    /// `scout.concurrency`: printers read at once.
    pub concurrency: usize,
    /// `scout.timeout`
    pub timeout: Duration,
    /// `scout.retries`
    pub retries: u32,
    /// `scout.low_supply_percent`
    pub low_supply_percent: u8,
    /// `scout.raw_confirm_timeout`: how long a RAW release waits for the page counter.
    pub raw_confirm_timeout: Duration,
    /// `[[scout.range]]`
    pub ranges: Vec<ScoutRange>,
}

/// One `[[scout.range]]`: addresses and the SNMP settings to use there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoutRange {
    /// `name`: how the console and the logs call it.
    pub name: String,
    /// `addresses`: CIDR, start-end or single addresses.
    pub addresses: Vec<local_connector::scout::range::Range>,
    /// `exclude`: never contacted.
    pub exclude: Vec<local_connector::scout::range::Range>,
    /// `port`
    pub port: u16,
    /// `version`: `1`, `2c` or `3`.
    pub version: String,
    /// `community_file`: the community on its first line (default `public`).
    pub community_file: Option<PathBuf>,
    /// `v3_user`
    pub v3_user: String,
    /// `v3_auth_proto`
    pub v3_auth: Option<local_connector::scout::agent::AuthProtocol>,
    /// `v3_auth_key_file`
    pub v3_auth_key_file: Option<PathBuf>,
    /// `v3_priv_proto`
    pub v3_priv: Option<local_connector::scout::agent::PrivProtocol>,
    /// `v3_priv_key_file`
    pub v3_priv_key_file: Option<PathBuf>,
    /// `v3_context`
    pub v3_context: String,
}

/// The `[ad]` section: how to reach Active Directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdSettings {
    /// `ad.urls`: DCs in order (`ldaps://...:636`, or `ldap://...:389` with StartTLS).
    pub urls: Vec<String>,
    /// `ad.ca_file`: PEM of the CA that DC certificates must chain to.
    pub ca_file: PathBuf,
    /// `ad.base_dn`
    pub base_dn: String,
    /// `ad.realm`: DNS realm, for `user@realm`.
    pub realm: String,
    /// `ad.domain`: NetBIOS domain, for `DOMAIN\user`.
    pub domain: String,
    /// `ad.bind_dn`: the service account.
    pub bind_dn: String,
    /// `ad.bind_password_file`: its password, first line (kept out of this file).
    pub bind_password_file: PathBuf,
    /// `ad.timeout`
    pub timeout: Duration,
    /// `ad.check_interval`: how often the directory's health is checked.
    pub check_interval: Duration,
}

impl Config {
    /// Read and validate a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                key: String::new(),
                message: format!("cannot read {}: {e}", path.display()),
            }])
        })?;
        Config::from_toml_str(&text)
    }

    /// Validate configuration text.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigErrors> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigErrors::toml(&e))?;
        Config::from_table(&table)
    }

    /// Validate parsed configuration: stage one reads each section
    /// ([`sections`]), stage two checks rules across values ([`check`]).
    fn from_table(table: &toml::Table) -> Result<Config, ConfigErrors> {
        let mut errs = Vec::new();
        let mut root = Section::root(table);
        let site = sections::site(&mut root, &mut errs);
        let data_dir = sections::paths(&mut root, &mut errs);
        let listen = sections::listen(&mut root, &mut errs);
        let panel_session_idle = sections::panel(&mut root, &mut errs);
        let ipp = sections::ipp(&mut root, &mut errs);
        let service = sections::service(&mut root, &mut errs);
        let key_type = sections::tls(&mut root, &mut errs);
        let store = sections::store(&mut root, &mut errs);
        let release = sections::release(&mut root, &mut errs);
        let scout = sections::scout(&mut root, &mut errs);
        let tenant = sections::tenant(&mut root, &mut errs);
        let ad = sections::ad(&mut root, &mut errs);
        let auth = sections::auth(&mut root, &mut errs);
        let dangerous = sections::dangerous(&mut root, &mut errs);
        let log_level = sections::logging(&mut root, &mut errs);
        root.finish(&mut errs);

        let config = Config {
            site_name: site.name,
            hostnames: site.hostnames,
            addresses: site.addresses,
            data_dir,
            web_listen: listen.web,
            ipp_listen: listen.ipp,
            panel_listen: listen.panel,
            max_per_address: listen.max_per_address,
            panel_session_idle,
            printer_name: ipp.printer_name,
            printer_location: ipp.location,
            ipp_idle_timeout: ipp.idle_timeout,
            ipp_body_idle: ipp.body_idle,
            max_jobs_per_user: ipp.max_jobs_per_user,
            max_bytes_per_user: ipp.max_bytes_per_user,
            service_user: service.user,
            key_type,
            retention: store.retention,
            sweep_interval: store.sweep_interval,
            max_job_bytes: store.max_job_bytes,
            min_free_bytes: store.min_free_bytes,
            index_cache_bytes: store.index_cache_bytes,
            history_retention: store.history_retention,
            log_level,
            shutdown_grace: service.shutdown_grace,
            ad,
            auth,
            release,
            scout,
            tenant,
            dangerous_plain_ipp: dangerous.plain_ipp_listen,
            dangerous_trusted_subnets: dangerous.trust_user_name_from,
            source: table.clone(),
        };
        check(&config, &mut errs);
        if errs.is_empty() { Ok(config) } else { Err(ConfigErrors(errs)) }
    }

    /// This configuration with the console's settings (`console`, a table
    /// of the [`live::KEYS`] only) laid over the file's: the whole is
    /// checked again exactly as a file is, and only the live keys change.
    pub fn with_console(&self, console: &toml::Table) -> Result<Config, ConfigErrors> {
        let mut errs = Vec::new();
        for (section, v) in console {
            let keys = v.as_table().map(|t| t.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
            let allowed = |k: &String| {
                let key = format!("{section}.{k}");
                live::KEYS.iter().any(|l| l.key == key) || live::SETUP_KEYS.contains(&key.as_str())
            };
            for k in keys.iter().filter(|k| !allowed(k)) {
                errs.push(ConfigError {
                    key: format!("{section}.{k}"),
                    message: "cannot be set from the console".into(),
                });
            }
            if !v.is_table() {
                errs.push(ConfigError { key: section.clone(), message: "must be a section".into() });
            }
        }
        if !errs.is_empty() {
            return Err(ConfigErrors(errs));
        }
        let mut table = self.source.clone();
        overlay(&mut table, console.clone());
        let checked = Config::from_table(&table)?;
        let mut out = self.clone();
        out.hostnames = checked.hostnames;
        out.addresses = checked.addresses;
        out.retention = checked.retention;
        out.history_retention = checked.history_retention;
        out.auth.self_enrolment = checked.auth.self_enrolment;
        out.auth.badge_needs_pin = checked.auth.badge_needs_pin;
        out.auth.lockout.free = checked.auth.lockout.free;
        out.auth.lockout.lock_after = checked.auth.lockout.lock_after;
        out.auth.lockout.lock_for = checked.auth.lockout.lock_for;
        out.source = table;
        Ok(out)
    }

    /// The Active Directory provider, when `[ad]` is configured: reads the CA
    /// and the service account's password.
    pub fn active_directory(&self) -> anyhow::Result<Option<local_connector::ad::ActiveDirectory>> {
        use anyhow::Context;
        let Some(a) = &self.ad else { return Ok(None) };
        let ca_pem =
            std::fs::read(&a.ca_file).with_context(|| format!("reading ad.ca_file {}", a.ca_file.display()))?;
        let pw = zeroize::Zeroizing::new(
            std::fs::read_to_string(&a.bind_password_file)
                .with_context(|| format!("reading ad.bind_password_file {}", a.bind_password_file.display()))?,
        );
        let cfg = local_connector::ad::AdConfig {
            urls: a.urls.clone(),
            ca_pem,
            base_dn: a.base_dn.clone(),
            realm: a.realm.clone(),
            domain: a.domain.clone(),
            bind_dn: a.bind_dn.clone(),
            bind_password: pw.lines().next().unwrap_or_default().into(),
            timeout: a.timeout,
        };
        local_connector::ad::ActiveDirectory::new(cfg).map(Some).map_err(anyhow::Error::msg)
    }

    /// The dangerous settings that are switched on, in words for an admin
    /// (the console and `pullprint status` show them; `serve` logs them).
    pub fn dangerous_settings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.dangerous_plain_ipp.is_empty() {
            let on: Vec<String> = self.dangerous_plain_ipp.iter().map(ToString::to_string).collect();
            out.push(format!(
                "dangerous.plain_ipp_listen: unencrypted IPP on {}; documents cross the network in clear text",
                on.join(", ")
            ));
        }
        if self.tenant.kind == "s3" && self.tenant.dangerous_skip_tls_verify {
            out.push(format!(
                "tenant.dangerous_skip_tls_verify: any certificate is accepted from {}; a machine in the middle can read and change what is synced",
                self.tenant.endpoint
            ));
        }
        if self.tenant.kind == "s3" && self.tenant.dangerous_allow_http {
            out.push(format!(
                "tenant.dangerous_allow_http: the tenant may be reached over plain http at {}; metadata crosses the network in clear text",
                self.tenant.endpoint
            ));
        }
        if !self.dangerous_trusted_subnets.is_empty() {
            let on: Vec<String> = self.dangerous_trusted_subnets.iter().map(ToString::to_string).collect();
            out.push(format!(
                "dangerous.trust_user_name_from: clients in {} may print as any user they name, without a password",
                on.join(", ")
            ));
        }
        out
    }
}

/// Stage two: rules across values, on the values stage one read. The
/// limits an admin may look up are in [`defaults`] (`MIN_`/`MAX_`).
fn check(c: &Config, errs: &mut Vec<ConfigError>) {
    let mut cross = |key: &str, message: String| errs.push(ConfigError { key: key.into(), message });
    if c.retention < defaults::MIN_RETENTION {
        cross("store.retention", "must be at least 1 minute".into());
    }
    if c.history_retention < defaults::MIN_HISTORY_RETENTION {
        cross("store.history_retention", "must be at least 1 day".into());
    }
    if c.sweep_interval < defaults::MIN_SWEEP_INTERVAL || c.sweep_interval > c.retention {
        cross("store.sweep_interval", "must be between 1 s and store.retention".into());
    }
    if c.max_job_bytes == 0 {
        cross("store.max_job_bytes", "must be greater than 0".into());
    }
    if c.web_listen.is_empty() {
        cross("listen.web", "needs at least one address".into());
    }
    if c.ipp_listen.is_empty() {
        cross("listen.ipp", "needs at least one address".into());
    }
    if !(defaults::MIN_PANEL_SESSION_IDLE..=defaults::MAX_PANEL_SESSION_IDLE).contains(&c.panel_session_idle) {
        cross("panel.session_idle", "must be between 10 s and 1 h".into());
    }
    for (key, d) in [("ipp.idle_timeout", c.ipp_idle_timeout), ("ipp.body_idle", c.ipp_body_idle)] {
        if !(defaults::MIN_IPP_TIMEOUT..=defaults::MAX_IPP_TIMEOUT).contains(&d) {
            cross(key, "must be between 1 s and 1 h".into());
        }
    }
    let r = &c.release;
    if !(defaults::MIN_RELEASE_CONNECT_TIMEOUT..=defaults::MAX_RELEASE_CONNECT_TIMEOUT).contains(&r.connect_timeout) {
        cross("release.connect_timeout", "must be between 100 ms and 60 s".into());
    }
    if !(defaults::MIN_RELEASE_POLL_INTERVAL..=defaults::MAX_RELEASE_POLL_INTERVAL).contains(&r.poll_interval) {
        cross("release.poll_interval", "must be between 100 ms and 60 s".into());
    }
    // A poll interval too long to double cannot be doubled within the lost-contact time either.
    if r.poll_interval.checked_mul(2).is_none_or(|twice| r.lost_contact_after < twice) {
        cross("release.lost_contact_after", "must be at least twice release.poll_interval".into());
    }
    if r.keep_printed_for > c.retention.max(defaults::MAX_RELEASE_KEEP_PRINTED_FOR) {
        cross("release.keep_printed_for", "must not be longer than 7 days or store.retention".into());
    }
    let sc = &c.scout;
    for (key, d, lo, hi, words) in [
        ("scout.timeout", sc.timeout, defaults::MIN_SCOUT_TIMEOUT, defaults::MAX_SCOUT_TIMEOUT, "100 ms and 60 s"),
        (
            "scout.raw_confirm_timeout",
            sc.raw_confirm_timeout,
            defaults::MIN_SCOUT_RAW_CONFIRM_TIMEOUT,
            defaults::MAX_SCOUT_RAW_CONFIRM_TIMEOUT,
            "1 s and 1 h",
        ),
        (
            "scout.read_every",
            sc.read_every,
            local_connector::scout::schedule::MIN_READ_EVERY,
            defaults::MAX_SCOUT_READ_EVERY,
            "15 min and 7 days",
        ),
        (
            "tenant.timeout",
            c.tenant.timeout,
            defaults::MIN_TENANT_TIMEOUT,
            defaults::MAX_TENANT_TIMEOUT,
            "1 s and 5 min",
        ),
        (
            "tenant.sync_every",
            c.tenant.sync_every,
            defaults::MIN_TENANT_SYNC_EVERY,
            defaults::MAX_TENANT_SYNC_EVERY,
            "200 ms and 1 h",
        ),
    ] {
        if !(lo..=hi).contains(&d) {
            cross(key, format!("must be between {words}"));
        }
    }
    if c.printer_name.is_empty() || c.printer_name.chars().count() > defaults::MAX_PRINTER_NAME_CHARS {
        cross("ipp.printer_name", "must be 1 to 127 characters".into());
    }
    if c.max_jobs_per_user == 0 {
        cross("ipp.max_jobs_per_user", "must be greater than 0".into());
    }
    if !c.data_dir.is_absolute() {
        cross("paths.data_dir", "must be an absolute path".into());
    }
    for h in &c.hostnames {
        if h.is_empty() || h.len() > 253 || !h.split('.').all(valid_label) {
            cross("site.hostnames", format!("{h:?} is not a valid DNS name"));
        }
    }
}

/// One label of a DNS name (RFC 1035: letters, digits and inner hyphens, at most 63).
fn valid_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && !l.starts_with('-')
        && !l.ends_with('-')
}

/// One configuration problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key path, e.g. `store.retention`; empty for the whole file.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in a configuration.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The text is not TOML at all.
    fn toml(e: &toml::de::Error) -> ConfigErrors {
        ConfigErrors(vec![ConfigError { key: String::new(), message: format!("not valid TOML: {}", e.message()) }])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration has {} error(s):", self.0.len())?;
        for e in &self.0 {
            if e.key.is_empty() {
                writeln!(f, "  - {}", e.message)?;
            } else {
                writeln!(f, "  - {}: {}", e.key, e.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A view of one TOML table that records which keys were read, so that the
/// rest can be reported as unknown, and collects the problems it finds.
struct Section<'a> {
    table: Option<&'a toml::Table>,
    path: String,
    seen: BTreeSet<String>,
    errs: Vec<ConfigError>,
}

impl<'a> Section<'a> {
    fn root(table: &'a toml::Table) -> Section<'a> {
        Section { table: Some(table), path: String::new(), seen: BTreeSet::new(), errs: Vec::new() }
    }

    fn key(&self, k: &str) -> String {
        if self.path.is_empty() { k.into() } else { format!("{}.{k}", self.path) }
    }

    fn err(&mut self, k: &str, message: String) {
        let key = self.key(k);
        self.errs.push(ConfigError { key, message });
    }

    fn get(&mut self, k: &str) -> Option<&'a toml::Value> {
        self.seen.insert(k.into());
        self.table?.get(k)
    }

    /// A sub-table; missing means all defaults.
    fn section(&mut self, name: &str) -> Section<'a> {
        let table = match self.get(name) {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => {
                self.err(name, "must be a table ([section])".into());
                None
            }
        };
        Section { table, path: self.key(name), seen: BTreeSet::new(), errs: Vec::new() }
    }

    /// An array of sub-tables (`[[name]]`); missing means none.
    fn tables(&mut self, name: &str) -> Vec<Section<'a>> {
        match self.get(name) {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => {
                let mut out = Vec::new();
                for (i, v) in a.iter().enumerate() {
                    match v {
                        toml::Value::Table(t) => out.push(Section {
                            table: Some(t),
                            path: format!("{}[{i}]", self.key(name)),
                            seen: BTreeSet::new(),
                            errs: Vec::new(),
                        }),
                        other => {
                            self.err(&format!("{name}[{i}]"), format!("must be a table, found {}", other.type_str()))
                        }
                    }
                }
                out
            }
            Some(_) => {
                self.err(name, "must be an array of tables ([[section]])".into());
                Vec::new()
            }
        }
    }

    /// Report unknown keys and hand over every problem found.
    fn finish(mut self, into: &mut Vec<ConfigError>) {
        if let Some(t) = self.table {
            for k in t.keys() {
                if !self.seen.contains(k) {
                    let key = self.key(k);
                    self.errs.push(ConfigError { key, message: "unknown key".into() });
                }
            }
        }
        into.append(&mut self.errs);
    }

    fn string(&mut self, k: &str) -> Option<String> {
        match self.get(k)? {
            toml::Value::String(s) => Some(s.clone()),
            other => {
                self.err(k, format!("must be a string, found {}", other.type_str()));
                None
            }
        }
    }

    fn boolean(&mut self, k: &str) -> Option<bool> {
        match self.get(k)? {
            toml::Value::Boolean(b) => Some(*b),
            other => {
                self.err(k, format!("must be true or false, found {}", other.type_str()));
                None
            }
        }
    }

    fn strings(&mut self, k: &str) -> Option<Vec<String>> {
        match self.get(k)? {
            toml::Value::Array(a) => {
                let mut out = Vec::new();
                for (i, v) in a.iter().enumerate() {
                    match v {
                        toml::Value::String(s) => out.push(s.clone()),
                        other => {
                            self.err(&format!("{k}[{i}]"), format!("must be a string, found {}", other.type_str()))
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.err(k, format!("must be an array of strings, found {}", other.type_str()));
                None
            }
        }
    }

    fn parsed_list<T: std::str::FromStr>(&mut self, k: &str, what: &str) -> Option<Vec<T>> {
        let raw = self.strings(k)?;
        let mut out = Vec::new();
        let mut ok = true;
        for (i, s) in raw.iter().enumerate() {
            match s.parse() {
                Ok(v) => out.push(v),
                Err(_) => {
                    ok = false;
                    self.err(&format!("{k}[{i}]"), format!("{s:?} is not {what}"));
                }
            }
        }
        ok.then_some(out)
    }

    fn path(&mut self, k: &str) -> Option<PathBuf> {
        self.string(k).map(PathBuf::from)
    }

    fn duration(&mut self, k: &str) -> Option<Duration> {
        let s = self.string(k)?;
        match humantime::parse_duration(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(k, format!("{s:?} is not a duration like \"24h\" or \"90s\" ({e})"));
                None
            }
        }
    }

    fn uint(&mut self, k: &str) -> Option<u64> {
        match self.get(k)? {
            toml::Value::Integer(i) if *i >= 0 => Some(*i as u64),
            toml::Value::Integer(_) => {
                self.err(k, "must not be negative".into());
                None
            }
            other => {
                self.err(k, format!("must be an integer, found {}", other.type_str()));
                None
            }
        }
    }

    fn choice(&mut self, k: &str, options: &[&str]) -> Option<String> {
        let s = self.string(k)?;
        if options.contains(&s.as_str()) {
            Some(s)
        } else {
            self.err(k, format!("{s:?} is not one of {}", options.join(", ")));
            None
        }
    }
}

#[cfg(test)]
mod tests;
