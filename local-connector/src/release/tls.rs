//! How the release engine decides to trust a printer's TLS certificate.
//!
//! A printer is an untrusted peer whose certificate is usually self-signed.
//! Three ways to trust one, per printer:
//!
//! - **pinned**: exactly the certificate whose SHA-256 the admin recorded
//!   (`pullprint device set --tls-pin`); names and chains are not consulted,
//!   since the pin names the very certificate;
//! - **CA** (the default): a chain to the appliance's internal CA or to the
//!   CAs in `release.ca_file`, for the printer's host name or address;
//! - **trust on first use** (`dangerous`): the first certificate seen is
//!   accepted and then pinned; later ones must match it.
//!
//! In every case the handshake's signature is checked with the certificate's
//! key, so a pin cannot be replayed by someone without the printer's key.

use crate::crypto::ct_eq;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::{Arc, Mutex};

/// Why the CAs for printers' certificates could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RootsError {
    /// The file named by `release.ca_file` could not be read.
    #[error("reading release.ca_file {0}: {1}")]
    Read(std::path::PathBuf, #[source] std::io::Error),
    /// A certificate in it (or in the internal CA's) is not usable.
    #[error("{0}: {1}")]
    Certificate(String, String),
}

/// The CAs that may vouch for printers' certificates: the internal CA
/// (`ca_pem`), and those in `extra` (`release.ca_file`).
pub fn roots(ca_pem: &str, extra: Option<&std::path::Path>) -> Result<Arc<RootCertStore>, RootsError> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = RootCertStore::empty();
    let mut add = |pem: &[u8], from: &str| -> Result<(), RootsError> {
        for c in CertificateDer::pem_slice_iter(pem) {
            let c = c.map_err(|e| RootsError::Certificate(from.into(), e.to_string()))?;
            roots.add(c).map_err(|e| RootsError::Certificate(from.into(), e.to_string()))?;
        }
        Ok(())
    };
    add(ca_pem.as_bytes(), "tls/ca.crt")?;
    if let Some(p) = extra {
        let pem = std::fs::read(p).map_err(|e| RootsError::Read(p.to_owned(), e))?;
        add(&pem, &p.display().to_string())?;
    }
    Ok(Arc::new(roots))
}

/// How a printer's certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Exactly the certificate with this SHA-256 (lowercase hex).
    Pinned(String),
    /// A chain to the configured roots, for the printer's name.
    Ca,
    /// The first certificate seen (dangerous); it is then pinned.
    FirstUse,
}

/// The SHA-256 (lowercase hex) of a certificate.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(cert.as_ref()))
}

/// A verifier for one printer; it remembers the certificate it was shown,
/// for the error message or for trust on first use.
#[derive(Debug)]
pub struct PrinterVerifier {
    trust: Trust,
    webpki: Arc<dyn ServerCertVerifier>,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<String>>,
}

impl PrinterVerifier {
    /// A verifier for `trust`, with `roots` for [`Trust::Ca`].
    pub fn new(trust: Trust, roots: Arc<RootCertStore>) -> Result<Arc<PrinterVerifier>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| rustls::Error::General(format!("printer CA roots: {e}")))?;
        Ok(Arc::new(PrinterVerifier { trust, webpki, provider, seen: Mutex::new(None) }))
    }

    /// The SHA-256 of the certificate the printer presented, once it has.
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A client configuration that verifies with this, TLS 1.3 and 1.2 only.
    pub fn client_config(self: &Arc<Self>) -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
        let cfg = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_no_client_auth();
        Ok(Arc::new(cfg))
    }
}

impl ServerCertVerifier for PrinterVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fp = fingerprint(end_entity);
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(fp.clone());
        match &self.trust {
            Trust::Pinned(pin) if ct_eq(pin.as_bytes(), fp.as_bytes()) => Ok(ServerCertVerified::assertion()),
            Trust::Pinned(_) => Err(rustls::Error::General(format!(
                "the printer's certificate (SHA-256 {fp}) does not match the one pinned for it"
            ))),
            Trust::Ca => self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            Trust::FirstUse => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
