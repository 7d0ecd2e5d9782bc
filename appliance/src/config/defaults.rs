//! Every default value of the configuration, in one place.

use std::time::Duration;

/// Default configuration file.
pub const CONFIG_PATH: &str = "/etc/pullprint/pullprint.toml";
/// Default data folder.
pub const DATA_DIR: &str = "/var/lib/pullprint";
/// Console, health and mobile pages (HTTPS).
pub const WEB_LISTEN: &str = "0.0.0.0:443";
/// Under `pullprint demo`.
pub const DEMO_WEB_LISTEN: &str = "127.0.0.1:18443";
/// Free space the demo keeps in reserve on the data disk.
pub const DEMO_MIN_FREE_BYTES: u64 = 64 << 20;
/// The IPP Everywhere queue (IPPS).
pub const IPP_LISTEN: &str = "0.0.0.0:631";
/// Under `pullprint demo`.
pub const DEMO_IPP_LISTEN: &str = "127.0.0.1:10631";
/// `listen.panel`: the printer panel services.
pub const PANEL_LISTEN: &str = "0.0.0.0:4321";
/// Panel services under `pullprint demo`.
pub const DEMO_PANEL_LISTEN: &str = "127.0.0.1:14321";
/// `panel.session_idle`: a panel session ends after this long unused.
pub const PANEL_SESSION_IDLE: std::time::Duration = std::time::Duration::from_secs(180);
/// Parked jobs one user may have.
pub const MAX_JOBS_PER_USER: u64 = 500;
/// Parked bytes one user may have.
pub const MAX_BYTES_PER_USER: u64 = 10 << 30;
/// The service account the daemon runs as.
pub const SERVICE_USER: &str = "pullprint";
/// Parked jobs are shredded after this long.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);
/// How often the retention sweeper runs.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// Largest job accepted.
pub const MAX_JOB_BYTES: u64 = 2 << 30;
/// Free space kept in reserve on the data disk.
pub const MIN_FREE_BYTES: u64 = 512 << 20;
/// sled's page cache.
pub const INDEX_CACHE_BYTES: u64 = 64 << 20;
/// How long in-flight requests may run on at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Server certificate key.
pub const KEY_TYPE: super::KeyType = super::KeyType::Rsa2048;
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
