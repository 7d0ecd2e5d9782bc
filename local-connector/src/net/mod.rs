//! What every listener shares: one TLS accept loop with its connection
//! limits and timeouts, the server certificate they all present (replaceable
//! while they run), what a handshake established about the client, why an
//! outbound handshake was refused, IP networks for the settings that trust
//! one, and routers that list their own routes (for the route sweep).
//!
//! Protocol servers ([`crate::ipp::server`], [`crate::panel::server`], and
//! the web front) are axum routers; this is the one place that accepts
//! sockets and runs HTTP/1.1 on them.

mod accept;
mod cert;
mod limits;
mod refusal;
mod routes;
mod subnet;

pub use accept::{HANDSHAKE_TIMEOUT, Listener, MAX_CONNECTIONS, serve};
pub use cert::ServerCert;
pub use limits::{REQUEST_DEADLINE, SMALL_BODY, small_requests};
pub use refusal::TlsRefusal;
pub use routes::{Route, Routes};
pub use subnet::Subnet;

/// What the TLS handshake of a connection established about its client.
#[derive(Debug, Clone, Default)]
pub struct ClientCert(pub Option<String>);

impl ClientCert {
    /// The SHA-256 (hex) of the end-entity certificate a connection presented.
    pub fn of(certs: Option<&[rustls::pki_types::CertificateDer<'_>]>) -> ClientCert {
        use sha2::Digest;
        ClientCert(certs.and_then(|c| c.first()).map(|c| hex::encode(sha2::Sha256::digest(c.as_ref()))))
    }
}
