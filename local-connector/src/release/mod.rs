//! Verified release: a parked job, decrypted as it streams, delivered to
//! the printer where its owner asked for it, and shredded only once the
//! printer says it printed.
//!
//! - [`message`]: the IPP requests sent and the answers read (sans-IO).
//! - [`uri`]: printer URIs, and the transports keyed by their scheme.
//! - [`tls`]: how a printer's certificate is trusted.
//! - [`state`]: the legal moves of one release.
//! - `client` and `raw`: the sockets (IPP over HTTP/1.1, RAW 9100).
//! - [`engine`]: one queue per printer, in submission order, resumed after
//!   a restart without printing anything twice.
//!
//! Transports: `ipps` is the default. `ipp` and `socket` (RAW 9100) send
//! the document in plaintext, so a printer uses them only where its
//! dangerous setting allows; every such use is logged as a downgrade.

mod client;
pub mod control;
pub mod engine;
pub mod message;
mod raw;
pub mod state;
pub mod tls;
pub mod uri;

pub use engine::{Engine, Settings};

use crate::store::StoreError;

/// Why a release did not (yet) print. The message is written for the
/// person at the printer and the admin; variants keep apart the printer
/// misbehaving or refusing, the setup being wrong, and the appliance failing.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The printer could not be reached.
    #[error("the printer at {uri} cannot be reached: {source}")]
    Unreachable {
        /// Its URI.
        uri: String,
        /// What the network said (a time-out is `TimedOut`).
        source: std::io::Error,
    },
    /// TLS with the printer failed (wrong certificate, no TLS at all).
    #[error("the printer at {uri} failed the secure connection: {source}")]
    Tls {
        /// Its URI.
        uri: String,
        /// What the handshake said (a time-out is `TimedOut`).
        source: std::io::Error,
    },
    /// The printer presented a certificate that its trust rule refused (or
    /// the handshake failed after it did): never a reason to fall back to
    /// plaintext, since a machine in the middle can show any certificate.
    #[error("the printer at {uri} failed the secure connection: its certificate is not trusted ({source})")]
    Untrusted {
        /// Its URI.
        uri: String,
        /// What the handshake said.
        source: std::io::Error,
    },
    /// The printer answered in TLS, but only in a version older than 1.2.
    /// It answered, so this is no reason to fall back to plaintext either.
    #[error("the printer at {uri} failed the secure connection: {}", crate::net::TlsRefusal::OldVersion)]
    OldTls {
        /// Its URI.
        uri: String,
    },
    /// The printer speaks only a plaintext protocol that it may not use.
    #[error(
        "the printer at {uri} would need {scheme}, which sends documents unencrypted; \
         it is not allowed for this printer (see `pullprint device set --dangerous-allow`)"
    )]
    PlaintextNotAllowed {
        /// Its URI.
        uri: String,
        /// `ipp` or `socket`.
        scheme: String,
    },
    /// The printer's configured URI is not usable.
    #[error("the printer's address is misconfigured: {0}")]
    Misconfigured(String),
    /// The printer accepts none of the job's formats.
    #[error("this printer cannot print {format} documents (it accepts {accepts})")]
    FormatUnsupported {
        /// The job's format.
        format: String,
        /// What the printer listed.
        accepts: String,
    },
    /// The printer is busy (`server-error-busy`); try again.
    #[error("the printer is busy")]
    Busy,
    /// The printer refused the request.
    #[error("the printer refused the job: {0}")]
    Refused(String),
    /// The printer answered something that is not IPP.
    #[error("the printer answered something unexpected: {0}")]
    PeerMisbehaved(String),
    /// A RAW job went out, but the printer's page counter did not show it
    /// printed; the job stays held, so that the user can release it again.
    #[error("{0}")]
    Unconfirmed(String),
    /// The printer's job ended without printing.
    #[error("the printer {state} the job{}", reasons.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    JobEnded {
        /// `aborted` or `canceled`.
        state: &'static str,
        /// `job-state-reasons` or `job-state-message`.
        reasons: Option<String>,
    },
    /// The connection broke while the job was being sent or followed.
    #[error("the connection to the printer broke {0}")]
    Broken(String),
    /// The printer stopped answering while the job was printing, for longer
    /// than `release.lost_contact_after`.
    #[error("lost contact with the printer while it printed; it may or may not have printed")]
    LostContact,
    /// The job's body is damaged; nothing more was sent.
    #[error("the parked job is damaged and cannot be printed")]
    Damaged,
    /// The printer is no longer registered.
    #[error("this printer is no longer registered with Pullprint")]
    NoSuchPrinter,
    /// The job store failed.
    #[error("the appliance could not read or update the job: {0}")]
    Store(#[from] StoreError),
}

impl ReleaseError {
    /// Whether the same attempt may be repeated after a pause (the printer
    /// is busy or briefly unreachable), as opposed to failing the release.
    pub fn is_transient(&self) -> bool {
        matches!(self, ReleaseError::Busy)
    }
}
