//! Stage one: one function per TOML section.
//!
//! Each function reads its section from the root [`Section`], takes every
//! key it knows with its default from [`defaults`], hands over every
//! problem (unknown keys included) with its key path, and returns the
//! section's typed values. A section's own rules that the typed value
//! depends on (`[ad]`'s required keys, `[auth]`'s thresholds) are checked
//! here too; rules across sections are stage two, in [`super::check`].

use super::{AdSettings, ConfigError, KeyType, ReleaseSettings, Section, defaults};
use local_connector::auth::AuthSettings;
use local_connector::auth::lockout::LockoutPolicy;
use local_connector::net::Subnet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// `[site]`.
#[derive(Debug)]
pub(super) struct Site {
    /// `site.name`
    pub(super) name: String,
    /// `site.hostnames`
    pub(super) hostnames: Vec<String>,
    /// `site.addresses`
    pub(super) addresses: Vec<IpAddr>,
}

/// Read `[site]`.
pub(super) fn site(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> Site {
    let mut sec = root.section("site");
    let name = sec.string("name").unwrap_or_else(|| defaults::SITE_NAME.into());
    let hostnames =
        sec.strings("hostnames").unwrap_or_else(|| defaults::SITE_HOSTNAMES.iter().map(|h| (*h).to_owned()).collect());
    let addresses =
        sec.parsed_list::<IpAddr>("addresses", "an IP address").unwrap_or_else(|| defaults::SITE_ADDRESSES.to_vec());
    sec.finish(errs);
    Site { name, hostnames, addresses }
}

/// Read `[paths]`: the data folder (`paths.data_dir`).
pub(super) fn paths(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> PathBuf {
    let mut sec = root.section("paths");
    let data_dir = sec.path("data_dir").unwrap_or_else(|| defaults::DATA_DIR.into());
    sec.finish(errs);
    data_dir
}

/// `[listen]`.
#[derive(Debug)]
pub(super) struct Listen {
    /// `listen.web`
    pub(super) web: Vec<SocketAddr>,
    /// `listen.ipp`
    pub(super) ipp: Vec<SocketAddr>,
    /// `listen.panel`
    pub(super) panel: Vec<SocketAddr>,
    /// `listen.max_per_address`
    pub(super) max_per_address: usize,
}

/// Read `[listen]`.
pub(super) fn listen(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> Listen {
    /// One default listener, written as text in [`defaults`].
    fn default(addr: &str) -> Vec<SocketAddr> {
        vec![addr.parse().unwrap_or_else(|_| unreachable!("the default {addr} is an address:port"))]
    }
    let mut sec = root.section("listen");
    let web = sec.parsed_list("web", "an address:port").unwrap_or_else(|| default(defaults::WEB_LISTEN));
    let ipp = sec.parsed_list("ipp", "an address:port").unwrap_or_else(|| default(defaults::IPP_LISTEN));
    let panel = sec.parsed_list("panel", "an address:port").unwrap_or_else(|| default(defaults::PANEL_LISTEN));
    let max_per_address = sec.uint("max_per_address").unwrap_or(defaults::MAX_CONNECTIONS_PER_ADDRESS);
    sec.finish(errs);
    if max_per_address == 0 {
        errs.push(ConfigError { key: "listen.max_per_address".into(), message: "must be at least 1".into() });
    }
    let max_per_address = usize::try_from(max_per_address).unwrap_or(usize::MAX);
    Listen { web, ipp, panel, max_per_address }
}

/// Read `[panel]`: how long an unused panel session lasts (`panel.session_idle`).
pub(super) fn panel(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> Duration {
    let mut sec = root.section("panel");
    let session_idle = sec.duration("session_idle").unwrap_or(defaults::PANEL_SESSION_IDLE);
    sec.finish(errs);
    session_idle
}

/// `[ipp]`.
#[derive(Debug)]
pub(super) struct Ipp {
    /// `ipp.printer_name`
    pub(super) printer_name: String,
    /// `ipp.location`
    pub(super) location: String,
    /// `ipp.max_jobs_per_user`
    pub(super) max_jobs_per_user: u64,
    /// `ipp.max_bytes_per_user`
    pub(super) max_bytes_per_user: u64,
    /// `ipp.idle_timeout`
    pub(super) idle_timeout: Duration,
    /// `ipp.body_idle`
    pub(super) body_idle: Duration,
}

/// Read `[ipp]`.
pub(super) fn ipp(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> Ipp {
    let mut sec = root.section("ipp");
    let printer_name = sec.string("printer_name").unwrap_or_else(|| defaults::PRINTER_NAME.into());
    let location = sec.string("location").unwrap_or_else(|| defaults::PRINTER_LOCATION.into());
    let max_jobs_per_user = sec.uint("max_jobs_per_user").unwrap_or(defaults::MAX_JOBS_PER_USER);
    let max_bytes_per_user = sec.uint("max_bytes_per_user").unwrap_or(defaults::MAX_BYTES_PER_USER);
    let idle_timeout = sec.duration("idle_timeout").unwrap_or(defaults::IPP_IDLE_TIMEOUT);
    let body_idle = sec.duration("body_idle").unwrap_or(defaults::IPP_BODY_IDLE);
    sec.finish(errs);
    Ipp { printer_name, location, max_jobs_per_user, max_bytes_per_user, idle_timeout, body_idle }
}

/// `[service]`.
#[derive(Debug)]
pub(super) struct Service {
    /// `service.user`
    pub(super) user: String,
    /// `service.shutdown_grace`
    pub(super) shutdown_grace: Duration,
}

/// Read `[service]`.
pub(super) fn service(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> Service {
    let mut sec = root.section("service");
    let user = sec.string("user").unwrap_or_else(|| defaults::SERVICE_USER.into());
    let shutdown_grace = sec.duration("shutdown_grace").unwrap_or(defaults::SHUTDOWN_GRACE);
    sec.finish(errs);
    Service { user, shutdown_grace }
}

/// Read `[tls]`: the certificates' key algorithm (`tls.key_type`).
pub(super) fn tls(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> KeyType {
    let mut sec = root.section("tls");
    let key_type = sec.choice("key_type", &["rsa-2048", "rsa-3072", "rsa-4096", "ecdsa-p256"]);
    let key_type = key_type.and_then(|s| KeyType::parse(&s)).unwrap_or(defaults::KEY_TYPE);
    sec.finish(errs);
    key_type
}

/// `[store]`.
#[derive(Debug)]
pub(super) struct Store {
    /// `store.retention`
    pub(super) retention: Duration,
    /// `store.sweep_interval`
    pub(super) sweep_interval: Duration,
    /// `store.max_job_bytes`
    pub(super) max_job_bytes: u64,
    /// `store.min_free_bytes`
    pub(super) min_free_bytes: u64,
    /// `store.index_cache_bytes`
    pub(super) index_cache_bytes: u64,
    /// `store.history_retention`
    pub(super) history_retention: Duration,
}

/// Read `[store]`.
pub(super) fn store(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> Store {
    let mut sec = root.section("store");
    let retention = sec.duration("retention").unwrap_or(defaults::RETENTION);
    let sweep_interval = sec.duration("sweep_interval").unwrap_or(defaults::SWEEP_INTERVAL);
    let max_job_bytes = sec.uint("max_job_bytes").unwrap_or(defaults::MAX_JOB_BYTES);
    let min_free_bytes = sec.uint("min_free_bytes").unwrap_or(defaults::MIN_FREE_BYTES);
    let index_cache_bytes = sec.uint("index_cache_bytes").unwrap_or(defaults::INDEX_CACHE_BYTES);
    let history_retention = sec.duration("history_retention").unwrap_or(defaults::HISTORY_RETENTION);
    sec.finish(errs);
    Store { retention, sweep_interval, max_job_bytes, min_free_bytes, index_cache_bytes, history_retention }
}

/// Read `[release]`.
pub(super) fn release(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> ReleaseSettings {
    let mut sec = root.section("release");
    let release = ReleaseSettings {
        ca_file: sec.path("ca_file"),
        connect_timeout: sec.duration("connect_timeout").unwrap_or(defaults::RELEASE_CONNECT_TIMEOUT),
        busy_retry_for: sec.duration("busy_retry_for").unwrap_or(defaults::RELEASE_BUSY_RETRY_FOR),
        lost_contact_after: sec.duration("lost_contact_after").unwrap_or(defaults::RELEASE_LOST_CONTACT_AFTER),
        poll_interval: sec.duration("poll_interval").unwrap_or(defaults::RELEASE_POLL_INTERVAL),
        keep_printed_for: sec.duration("keep_printed_for").unwrap_or(defaults::RELEASE_KEEP_PRINTED_FOR),
    };
    sec.finish(errs);
    release
}

/// Read `[ad]`: `None` when the section is absent. Once present, every
/// connection key is required (each missing one is reported), and the
/// URLs must be LDAP ones.
pub(super) fn ad(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> Option<AdSettings> {
    let mut sec = root.section("ad");
    let present = sec.table.is_some();
    // Absent keys are reported as required below, so an empty list here is
    // a placeholder, not a default.
    let urls = sec.strings("urls").unwrap_or_default();
    let ca_file = sec.path("ca_file");
    let base_dn = sec.string("base_dn");
    let realm = sec.string("realm");
    let domain = sec.string("domain");
    let bind_dn = sec.string("bind_dn");
    let bind_password_file = sec.path("bind_password_file");
    let timeout = sec.duration("timeout").unwrap_or(defaults::AD_TIMEOUT);
    let check_interval = sec.duration("check_interval").unwrap_or(defaults::AD_CHECK_INTERVAL);
    sec.finish(errs);
    if !present {
        return None;
    }
    let mut missing = |k: &str| errs.push(ConfigError { key: format!("ad.{k}"), message: "is required".into() });
    if urls.is_empty() {
        missing("urls");
    }
    for (k, v) in [("base_dn", &base_dn), ("realm", &realm), ("domain", &domain), ("bind_dn", &bind_dn)] {
        if v.as_deref().is_none_or(str::is_empty) {
            missing(k);
        }
    }
    if ca_file.is_none() {
        missing("ca_file");
    }
    if bind_password_file.is_none() {
        missing("bind_password_file");
    }
    for u in &urls {
        if !(u.starts_with("ldaps://") || u.starts_with("ldap://")) {
            errs.push(ConfigError {
                key: "ad.urls".into(),
                message: format!("{u:?} must start with ldaps:// or ldap:// (StartTLS is then required)"),
            });
        }
    }
    let (Some(ca_file), Some(base_dn), Some(realm), Some(domain), Some(bind_dn), Some(bind_password_file)) =
        (ca_file, base_dn, realm, domain, bind_dn, bind_password_file)
    else {
        return None;
    };
    Some(AdSettings {
        urls,
        ca_file,
        base_dn,
        realm,
        domain,
        bind_dn,
        bind_password_file,
        timeout,
        check_interval: check_interval.max(defaults::MIN_AD_CHECK_INTERVAL),
    })
}

/// Read `[auth]`, built entirely from [`defaults`] where a key is left out,
/// and check that its thresholds fit together.
pub(super) fn auth(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> AuthSettings {
    /// A count from the file, capped at what the lockout can hold.
    fn count(v: u64) -> u32 {
        u32::try_from(v).unwrap_or(u32::MAX)
    }
    let mut sec = root.section("auth");
    let self_enrolment = sec.boolean("self_enrolment").unwrap_or(defaults::AUTH_SELF_ENROLMENT);
    let badge_needs_pin = sec.boolean("badge_needs_pin").unwrap_or(defaults::AUTH_BADGE_NEEDS_PIN);
    let refresh_after = sec.duration("refresh_after").unwrap_or(defaults::AUTH_REFRESH_AFTER);
    let offline_ttl = sec.duration("offline_ttl").unwrap_or(defaults::AUTH_OFFLINE_TTL);
    let lock_after = sec.uint("lockout_after").map_or(defaults::AUTH_LOCKOUT_AFTER, count);
    let free = sec.uint("backoff_after").map_or(defaults::AUTH_BACKOFF_AFTER, count);
    let lock_for = sec.duration("lockout_duration").unwrap_or(defaults::AUTH_LOCKOUT_DURATION);
    sec.finish(errs);
    if lock_after == 0 || lock_after <= free {
        errs.push(ConfigError {
            key: "auth.lockout_after".into(),
            message: "must be greater than auth.backoff_after (and than 0)".into(),
        });
    }
    if refresh_after > offline_ttl {
        errs.push(ConfigError {
            key: "auth.refresh_after".into(),
            message: "must not be longer than auth.offline_ttl".into(),
        });
    }
    AuthSettings {
        lockout: LockoutPolicy {
            free,
            max_delay: defaults::AUTH_LOCKOUT_MAX_DELAY,
            lock_after,
            lock_for,
            window: defaults::AUTH_LOCKOUT_WINDOW,
            source_factor: defaults::AUTH_LOCKOUT_SOURCE_FACTOR,
            printer_max_delay: defaults::AUTH_LOCKOUT_PRINTER_MAX_DELAY,
        },
        self_enrolment,
        badge_needs_pin,
        refresh_after,
        offline_ttl,
        refresh_budget: defaults::AUTH_REFRESH_BUDGET,
    }
}

/// `[dangerous]`.
#[derive(Debug)]
pub(super) struct Dangerous {
    /// `dangerous.plain_ipp_listen`
    pub(super) plain_ipp_listen: Vec<SocketAddr>,
    /// `dangerous.trust_user_name_from`
    pub(super) trust_user_name_from: Vec<Subnet>,
}

/// Read `[dangerous]`.
pub(super) fn dangerous(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> Dangerous {
    let mut sec = root.section("dangerous");
    let plain_ipp_listen = sec
        .parsed_list("plain_ipp_listen", "an address:port")
        .unwrap_or_else(|| defaults::DANGEROUS_PLAIN_IPP_LISTEN.to_vec());
    let trust_user_name_from = sec
        .parsed_list("trust_user_name_from", "a network like 10.20.0.0/16")
        .unwrap_or_else(|| defaults::DANGEROUS_TRUST_USER_NAME_FROM.to_vec());
    sec.finish(errs);
    Dangerous { plain_ipp_listen, trust_user_name_from }
}

/// Read `[logging]`: the log level (`logging.level`).
pub(super) fn logging(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> log::LevelFilter {
    let mut sec = root.section("logging");
    let level = sec
        .choice("level", &["error", "warn", "info", "debug", "trace"])
        .and_then(|s| s.parse().ok())
        .unwrap_or(defaults::LOG_LEVEL);
    sec.finish(errs);
    level
}
