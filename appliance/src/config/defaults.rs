//! Every default value of the configuration, and every limit an admin may
//! need to look up, in one place.
//!
//! The parser reads only these constants: a key left out of the file takes
//! the value written here. Each comment names its key path. Keys with no
//! constant here have no default: `release.ca_file` is simply absent (only
//! the internal CA vouches for printers), and the `[ad]` connection keys
//! are required once `[ad]` is present.
//!
//! `[auth]` is built entirely from the `AUTH_` constants below, including
//! the few values that have no key. `local_connector`'s own
//! `AuthSettings::default()` must carry the same values; a unit test of the
//! configuration keeps the two equal.

use local_connector::net::Subnet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Default configuration file (`pullprint --config FILE` chooses another).
pub const CONFIG_PATH: &str = "/etc/pullprint/pullprint.toml";

// --- [site] ---

/// `site.name`: shown in the internal CA's name.
pub const SITE_NAME: &str = "Pullprint";
/// `site.hostnames`: DNS names for the server certificate (none beyond
/// `localhost`, which is always added).
pub const SITE_HOSTNAMES: &[&str] = &[];
/// `site.addresses`: IP addresses for the server certificate (none beyond
/// the loopback addresses, which are always added).
pub const SITE_ADDRESSES: &[IpAddr] = &[];

// --- [paths] ---

/// `paths.data_dir`: the data folder.
pub const DATA_DIR: &str = "/var/lib/pullprint";

// --- [listen] ---

/// `listen.web`: console, health and mobile pages (HTTPS).
pub const WEB_LISTEN: &str = "0.0.0.0:443";
/// `listen.ipp`: the IPP Everywhere queue (IPPS).
pub const IPP_LISTEN: &str = "0.0.0.0:631";
/// `listen.panel`: the printer panel services.
pub const PANEL_LISTEN: &str = "0.0.0.0:4321";
/// `listen.max_per_address`: most connections one address (an IPv6 /64)
/// holds at once on one listener. A workstation, a printer or a NAT of a
/// few hundred people needs far fewer; one client cannot take all 4,096.
pub const MAX_CONNECTIONS_PER_ADDRESS: u64 = 1024;

// --- [panel] ---

/// `panel.session_idle`: a panel session ends after this long unused.
pub const PANEL_SESSION_IDLE: Duration = Duration::from_secs(180);

// --- [ipp] ---

/// `ipp.printer_name`: the queue's `printer-name`.
pub const PRINTER_NAME: &str = "Pullprint";
/// `ipp.location`: the queue's `printer-location` (none).
pub const PRINTER_LOCATION: &str = "";
/// `ipp.max_jobs_per_user`: parked jobs one user may have.
pub const MAX_JOBS_PER_USER: u64 = 500;
/// `ipp.max_bytes_per_user`: parked bytes one user may have.
pub const MAX_BYTES_PER_USER: u64 = 10 << 30;
/// `ipp.idle_timeout`: how long an IPP connection may wait for the headers
/// of its next request, idle keep-alive included. CUPS clients keep a
/// connection idle while they work on another one (ipptool does so for
/// every included test file) and spin instead of reconnecting when it was
/// closed, so this is long: cupsd itself allows 900 s. Connections are
/// capped per address and per listener, which bounds what idle clients hold.
pub const IPP_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// `ipp.body_idle`: a document that brings nothing for this long is
/// abandoned, and nothing of it is stored.
pub const IPP_BODY_IDLE: Duration = Duration::from_secs(60);

// --- [service] ---

/// `service.user`: the service account the daemon runs as.
pub const SERVICE_USER: &str = "pullprint";
/// `service.shutdown_grace`: how long in-flight requests may run on at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

// --- [tls] ---

/// `tls.key_type`: the key of the internal CA and server certificate.
pub const KEY_TYPE: super::KeyType = super::KeyType::Rsa2048;

// --- [store] ---

/// `store.retention`: parked jobs are shredded after this long.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);
/// `store.sweep_interval`: how often the retention sweeper runs.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// `store.max_job_bytes`: largest job accepted.
pub const MAX_JOB_BYTES: u64 = 2 << 30;
/// `store.min_free_bytes`: free space kept in reserve on the data disk.
pub const MIN_FREE_BYTES: u64 = 512 << 20;
/// `store.index_cache_bytes`: sled's page cache.
pub const INDEX_CACHE_BYTES: u64 = 64 << 20;
/// `store.history_retention`: usage records (what was submitted, printed
/// and copied) are kept this long: 400 days, a year's reports and a month
/// to make them.
pub const HISTORY_RETENTION: Duration = Duration::from_secs(400 * 24 * 3600);

// --- [release] ---

/// `release.connect_timeout`: connecting to a printer gives up after this.
pub const RELEASE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// `release.busy_retry_for`: a busy printer is retried for this long.
pub const RELEASE_BUSY_RETRY_FOR: Duration = Duration::from_secs(120);
/// `release.lost_contact_after`: a printer silent this long while printing fails the release.
pub const RELEASE_LOST_CONTACT_AFTER: Duration = Duration::from_secs(60);
/// `release.poll_interval`: a printing job is asked about at most this often.
pub const RELEASE_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// `release.keep_printed_for`: printed jobs are shredded at once.
pub const RELEASE_KEEP_PRINTED_FOR: Duration = Duration::ZERO;

// --- [ad] ---

/// `ad.timeout`: each connection to and operation on a DC gives up after this.
pub const AD_TIMEOUT: Duration = Duration::from_secs(5);
/// `ad.check_interval`: how often the directory's health is checked.
pub const AD_CHECK_INTERVAL: Duration = Duration::from_secs(30);

// --- [auth] ---

/// `auth.self_enrolment`: an unknown badge may be bound by its holder with
/// one directory login.
pub const AUTH_SELF_ENROLMENT: bool = true;
/// `auth.badge_needs_pin`: a badge needs a PIN too.
pub const AUTH_BADGE_NEEDS_PIN: bool = false;
/// `auth.refresh_after`: a remembered directory user signs in by badge, PIN
/// or passcode without asking the directory for this long.
pub const AUTH_REFRESH_AFTER: Duration = Duration::from_secs(15 * 60);
/// `auth.offline_ttl`: how long a remembered directory user may stand in
/// while the directory is unreachable.
pub const AUTH_OFFLINE_TTL: Duration = Duration::from_secs(72 * 3600);
/// `auth.backoff_after`: failed attempts per badge, user or e-mail before
/// each further attempt must wait.
pub const AUTH_BACKOFF_AFTER: u32 = 3;
/// `auth.lockout_after`: failed attempts that lock the badge, user or e-mail.
pub const AUTH_LOCKOUT_AFTER: u32 = 10;
/// `auth.lockout_duration`: how long a lock lasts.
pub const AUTH_LOCKOUT_DURATION: Duration = Duration::from_secs(15 * 60);
/// No key (fixed): longest wait for the directory when a remembered copy
/// could answer instead.
pub const AUTH_REFRESH_BUDGET: Duration = Duration::from_secs(2);
/// No key (fixed): the longest back-off between two attempts.
pub const AUTH_LOCKOUT_MAX_DELAY: Duration = Duration::from_secs(30);
/// No key (fixed): quiet time after which failures are counted afresh.
pub const AUTH_LOCKOUT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// No key (fixed): sources (a panel, a workstation) are shared, so their
/// `auth.backoff_after` and `auth.lockout_after` are this many times larger.
pub const AUTH_LOCKOUT_SOURCE_FACTOR: u32 = 5;
/// No key (fixed): a registered printer as a source is shared by everyone at
/// it, so it only backs off, for at most this long, and is never locked.
pub const AUTH_LOCKOUT_PRINTER_MAX_DELAY: Duration = Duration::from_secs(5);

// --- [dangerous] ---

/// `dangerous.plain_ipp_listen`: plain-text IPP listeners (none).
pub const DANGEROUS_PLAIN_IPP_LISTEN: &[SocketAddr] = &[];
/// `dangerous.trust_user_name_from`: networks trusted to name their user
/// in `requesting-user-name` without credentials (none).
pub const DANGEROUS_TRUST_USER_NAME_FROM: &[Subnet] = &[];

// --- [logging] ---

/// `logging.level`: the most detailed messages logged.
pub const LOG_LEVEL: log::LevelFilter = log::LevelFilter::Info;

// --- Limits: values outside these are refused (or, where said, raised) ---

/// `panel.session_idle`: shortest allowed.
pub const MIN_PANEL_SESSION_IDLE: Duration = Duration::from_secs(10);
/// `panel.session_idle`: longest allowed.
pub const MAX_PANEL_SESSION_IDLE: Duration = Duration::from_secs(3600);
/// `ipp.idle_timeout` and `ipp.body_idle`: shortest allowed.
pub const MIN_IPP_TIMEOUT: Duration = Duration::from_secs(1);
/// `ipp.idle_timeout` and `ipp.body_idle`: longest allowed.
pub const MAX_IPP_TIMEOUT: Duration = Duration::from_secs(3600);
/// `ipp.printer_name`: longest allowed, in characters (IPP's `name(127)`).
pub const MAX_PRINTER_NAME_CHARS: usize = 127;
/// `store.retention`: shortest allowed.
pub const MIN_RETENTION: Duration = Duration::from_secs(60);
/// `store.history_retention`: shortest allowed.
pub const MIN_HISTORY_RETENTION: Duration = Duration::from_secs(24 * 3600);
/// `store.sweep_interval`: shortest allowed (the longest is `store.retention`).
pub const MIN_SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// `release.connect_timeout`: shortest allowed.
pub const MIN_RELEASE_CONNECT_TIMEOUT: Duration = Duration::from_millis(100);
/// `release.connect_timeout`: longest allowed.
pub const MAX_RELEASE_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// `release.poll_interval`: shortest allowed.
pub const MIN_RELEASE_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// `release.poll_interval`: longest allowed.
pub const MAX_RELEASE_POLL_INTERVAL: Duration = Duration::from_secs(60);
/// `release.keep_printed_for`: longest allowed, unless `store.retention` is
/// longer still.
pub const MAX_RELEASE_KEEP_PRINTED_FOR: Duration = Duration::from_secs(7 * 86400);
/// `ad.check_interval`: shorter values are raised to this.
pub const MIN_AD_CHECK_INTERVAL: Duration = Duration::from_secs(1);

// --- Under `pullprint demo` (laid over the defaults above) ---

/// `listen.web` under `pullprint demo`.
pub const DEMO_WEB_LISTEN: &str = "127.0.0.1:18443";
/// `listen.ipp` under `pullprint demo`.
pub const DEMO_IPP_LISTEN: &str = "127.0.0.1:10631";
/// `listen.panel` under `pullprint demo`.
pub const DEMO_PANEL_LISTEN: &str = "127.0.0.1:14321";
/// `store.min_free_bytes` under `pullprint demo`: a small disk reserve.
pub const DEMO_MIN_FREE_BYTES: u64 = 64 << 20;

/// `scout.read_every`: known printers' status and supplies, hourly.
pub const SCOUT_READ_EVERY: Duration = Duration::from_secs(3600);
/// `scout.rate`: first-contact packets a second.
pub const SCOUT_RATE: u32 = local_connector::scout::sweep::DEFAULT_RATE;
/// The highest `scout.rate` accepted.
pub const MAX_SCOUT_RATE: u64 = 5000;
/// `scout.concurrency`
pub const SCOUT_CONCURRENCY: usize = local_connector::scout::sweep::DEFAULT_CONCURRENCY;
/// `scout.timeout`: per SNMP request.
pub const SCOUT_TIMEOUT: Duration = Duration::from_secs(1);
/// `scout.raw_confirm_timeout`
pub const SCOUT_RAW_CONFIRM_TIMEOUT: Duration = Duration::from_secs(120);

/// `tenant.timeout`: per request to the tenant.
pub const TENANT_TIMEOUT: Duration = Duration::from_secs(10);
/// The bounds of `scout.timeout`.
pub const MIN_SCOUT_TIMEOUT: Duration = Duration::from_millis(100);
pub const MAX_SCOUT_TIMEOUT: Duration = Duration::from_secs(60);
/// The bounds of `scout.raw_confirm_timeout`.
pub const MIN_SCOUT_RAW_CONFIRM_TIMEOUT: Duration = Duration::from_secs(1);
pub const MAX_SCOUT_RAW_CONFIRM_TIMEOUT: Duration = Duration::from_secs(3600);
/// The longest `scout.read_every`.
pub const MAX_SCOUT_READ_EVERY: Duration = Duration::from_secs(7 * 24 * 3600);
/// The bounds of `tenant.timeout`.
pub const MIN_TENANT_TIMEOUT: Duration = Duration::from_secs(1);
pub const MAX_TENANT_TIMEOUT: Duration = Duration::from_secs(300);
/// `tenant.outbox_capacity`: about a day of a busy site's records.
pub const TENANT_OUTBOX_CAPACITY: u64 = 1_000_000;
/// The bounds of `tenant.outbox_capacity`.
pub const MIN_TENANT_OUTBOX_CAPACITY: u64 = 100;
pub const MAX_TENANT_OUTBOX_CAPACITY: u64 = 10_000_000;
/// `tenant.sync_every`: how often the outbox is drained when all is well.
pub const TENANT_SYNC_EVERY: Duration = Duration::from_secs(5);
/// The bounds of `tenant.sync_every`.
pub const MIN_TENANT_SYNC_EVERY: Duration = Duration::from_millis(200);
pub const MAX_TENANT_SYNC_EVERY: Duration = Duration::from_secs(3600);
