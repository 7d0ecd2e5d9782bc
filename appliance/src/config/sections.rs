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

/// Read `[scout]` and its `[[scout.range]]` tables.
pub(super) fn scout(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> super::ScoutConfig {
    use local_connector::scout::agent::{AuthProtocol, PrivProtocol};
    use local_connector::scout::schedule::Every;
    let mut sec = root.section("scout");
    let discovery = match sec.choice("discovery", &["daily", "weekly", "off"]).as_deref() {
        Some("weekly") => Every::Weekly,
        Some("off") => Every::Off,
        _ => Every::Daily,
    };
    let windows = sec.parsed_list("windows", "a UTC window like \"22:00-06:00\"").unwrap_or_default();
    let read_every = sec.duration("read_every").unwrap_or(defaults::SCOUT_READ_EVERY);
    let rate = sec.uint("rate").unwrap_or(u64::from(defaults::SCOUT_RATE));
    if !(1..=defaults::MAX_SCOUT_RATE).contains(&rate) {
        sec.err("rate", format!("must be 1 to {} packets a second", defaults::MAX_SCOUT_RATE));
    }
    let concurrency = sec.uint("concurrency").unwrap_or(defaults::SCOUT_CONCURRENCY as u64);
    if !(1..=256).contains(&concurrency) {
        sec.err("concurrency", "must be 1 to 256".into());
    }
    let timeout = sec.duration("timeout").unwrap_or(defaults::SCOUT_TIMEOUT);
    let retries = sec.uint("retries").unwrap_or(1);
    if retries > 5 {
        sec.err("retries", "must be 0 to 5".into());
    }
    let low = sec.uint("low_supply_percent").unwrap_or(10);
    if low > 50 {
        sec.err("low_supply_percent", "must be 0 to 50".into());
    }
    let raw_confirm_timeout = sec.duration("raw_confirm_timeout").unwrap_or(defaults::SCOUT_RAW_CONFIRM_TIMEOUT);
    let mut ranges = Vec::new();
    for mut r in sec.tables("range") {
        let name = r.string("name").unwrap_or_default();
        if name.trim().is_empty() {
            r.err("name", "is required".into());
        }
        let addresses = r.parsed_list("addresses", "a range (CIDR, start-end or an address)").unwrap_or_default();
        if addresses.is_empty() {
            r.err("addresses", "is required: at least one range".into());
        }
        let exclude = r.parsed_list("exclude", "a range (CIDR, start-end or an address)").unwrap_or_default();
        if let Err(e) = local_connector::scout::range::Targets::new(&addresses, &exclude) {
            r.err("addresses", e.to_string());
        }
        let port = r.uint("port").unwrap_or(161);
        if !(1..=65535).contains(&port) {
            r.err("port", "must be 1 to 65535".into());
        }
        let version = r.choice("version", &["1", "2c", "3"]).unwrap_or_else(|| "2c".into());
        let community_file = r.path("community_file");
        let v3_user = r.string("v3_user").unwrap_or_default();
        let v3_auth = r.string("v3_auth_proto").and_then(|p| {
            let v = AuthProtocol::parse(&p);
            if v.is_none() {
                r.err("v3_auth_proto", format!("{p:?} is not MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512"));
            }
            v
        });
        let v3_auth_key_file = r.path("v3_auth_key_file");
        let v3_priv = r.string("v3_priv_proto").and_then(|p| {
            let v = PrivProtocol::parse(&p);
            if v.is_none() {
                r.err("v3_priv_proto", format!("{p:?} is not DES, AES, AES-192 or AES-256"));
            }
            v
        });
        let v3_priv_key_file = r.path("v3_priv_key_file");
        let v3_context = r.string("v3_context").unwrap_or_default();
        if version == "3" {
            if v3_user.is_empty() {
                r.err("v3_user", "is required with version = \"3\"".into());
            }
            if v3_auth.is_some() != v3_auth_key_file.is_some() {
                r.err("v3_auth_key_file", "goes with v3_auth_proto: give both or neither".into());
            }
            if v3_priv.is_some() != v3_priv_key_file.is_some() {
                r.err("v3_priv_key_file", "goes with v3_priv_proto: give both or neither".into());
            }
            if v3_priv.is_some() && v3_auth.is_none() {
                r.err("v3_priv_proto", "needs v3_auth_proto: SNMPv3 has no privacy without authentication".into());
            }
            if community_file.is_some() {
                r.err("community_file", "is for version 1 and 2c; SNMPv3 uses v3_user and keys".into());
            }
        } else if !v3_user.is_empty() || v3_auth.is_some() || v3_priv.is_some() {
            r.err("version", "the v3_ keys need version = \"3\"".into());
        }
        r.finish(errs);
        ranges.push(super::ScoutRange {
            name,
            addresses,
            exclude,
            port: u16::try_from(port).unwrap_or(161),
            version,
            community_file,
            v3_user,
            v3_auth,
            v3_auth_key_file,
            v3_priv,
            v3_priv_key_file,
            v3_context,
        });
    }
    let mut names: Vec<&str> = ranges.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        sec.err("range", "two ranges share a name; each needs its own".into());
    }
    sec.finish(errs);
    super::ScoutConfig {
        discovery,
        windows,
        read_every,
        rate: u32::try_from(rate).unwrap_or(defaults::SCOUT_RATE),
        concurrency: usize::try_from(concurrency).unwrap_or(defaults::SCOUT_CONCURRENCY),
        timeout,
        retries: u32::try_from(retries).unwrap_or(1),
        low_supply_percent: u8::try_from(low).unwrap_or(10),
        raw_confirm_timeout,
        ranges,
    }
}

/// Read `[tenant]`.
pub(super) fn tenant(root: &mut Section<'_>, errs: &mut Vec<ConfigError>) -> super::TenantSettings {
    let mut sec = root.section("tenant");
    let kind = sec.choice("kind", &["folder", "s3"]).unwrap_or_else(|| "folder".into());
    let dir = sec.path("dir");
    let endpoint = sec.string("endpoint").unwrap_or_default();
    let bucket = sec.string("bucket").unwrap_or_default();
    let region = sec.string("region").unwrap_or_else(|| "us-east-1".into());
    let prefix = sec.string("prefix").unwrap_or_default().trim_matches('/').to_owned();
    let credentials_file = sec.path("credentials_file");
    let path_style = sec.boolean("path_style").unwrap_or(false);
    let timeout = sec.duration("timeout").unwrap_or(defaults::TENANT_TIMEOUT);
    let copies = sec.boolean("copies").unwrap_or(false);
    let dangerous_skip_tls_verify = sec.boolean("dangerous_skip_tls_verify").unwrap_or(false);
    let dangerous_allow_http = sec.boolean("dangerous_allow_http").unwrap_or(false);
    let site = sec.string("site").unwrap_or_default();
    if !site.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || site.len() > 63 {
        sec.err("site", "must be up to 63 letters, digits, '-' or '_' (it is part of object keys)".into());
    }
    let disclose = ["keep", "pseudonym", "omit"];
    let user_names = sec.choice("user_names", &disclose).unwrap_or_else(|| "keep".into());
    let document_names = sec.choice("document_names", &disclose).unwrap_or_else(|| "omit".into());
    let departments = sec.choice("departments", &disclose).unwrap_or_else(|| "keep".into());
    let outbox_capacity = sec.uint("outbox_capacity").unwrap_or(defaults::TENANT_OUTBOX_CAPACITY);
    if !(defaults::MIN_TENANT_OUTBOX_CAPACITY..=defaults::MAX_TENANT_OUTBOX_CAPACITY).contains(&outbox_capacity) {
        sec.err("outbox_capacity", "must be between 100 and 10,000,000".into());
    }
    let when_full =
        sec.choice("when_full", &["pause-metadata", "refuse-jobs"]).unwrap_or_else(|| "pause-metadata".into());
    let sync_every = sec.duration("sync_every").unwrap_or(defaults::TENANT_SYNC_EVERY);
    if kind == "s3" {
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            sec.err("endpoint", "is required with kind = \"s3\": https://host[:port]".into());
        } else if endpoint.starts_with("http://") && !dangerous_allow_http {
            sec.err("endpoint", "is plain http: use https, or set dangerous_allow_http = true".into());
        }
        if bucket.is_empty() {
            sec.err("bucket", "is required with kind = \"s3\"".into());
        }
        if dir.is_some() {
            sec.err("dir", "is for kind = \"folder\"".into());
        }
    } else {
        for (k, on) in [
            ("endpoint", !endpoint.is_empty()),
            ("bucket", !bucket.is_empty()),
            ("credentials_file", credentials_file.is_some()),
        ] {
            if on {
                sec.err(k, "is for kind = \"s3\"".into());
            }
        }
    }
    sec.finish(errs);
    super::TenantSettings {
        kind,
        dir,
        endpoint,
        bucket,
        region,
        prefix,
        credentials_file,
        path_style,
        timeout,
        copies,
        dangerous_skip_tls_verify,
        dangerous_allow_http,
        site,
        user_names,
        document_names,
        departments,
        outbox_capacity,
        when_full,
        sync_every,
    }
}
