//! The server certificate every TLS listener presents, replaceable while
//! the listeners run: each handshake asks [`ServerCert`] for the one in
//! force, so a renewed certificate is served from the next connection on,
//! with no restart. Connections already open keep the one they began with.
//!
//! Reading the files and deciding when to renew is the binary's business;
//! this only holds what it decided.

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// The certificate chain and key every listener presents, and when the
/// certificate stops being valid (which health reports).
#[derive(Debug)]
pub struct ServerCert {
    in_force: RwLock<InForce>,
}

#[derive(Debug, Clone)]
struct InForce {
    key: Arc<CertifiedKey>,
    not_after: SystemTime,
}

impl ServerCert {
    /// Present `key` (its chain and signing key) until it is replaced.
    pub fn new(key: CertifiedKey, not_after: SystemTime) -> Arc<ServerCert> {
        Arc::new(ServerCert { in_force: RwLock::new(InForce { key: Arc::new(key), not_after }) })
    }

    /// Present `key` from the next handshake on.
    pub fn replace(&self, key: CertifiedKey, not_after: SystemTime) {
        *self.in_force.write().unwrap_or_else(|p| p.into_inner()) = InForce { key: Arc::new(key), not_after };
    }

    /// When the certificate in force stops being valid.
    pub fn not_after(&self) -> SystemTime {
        self.read().not_after
    }

    /// The end-entity certificate in force (DER).
    pub fn end_entity(&self) -> Option<rustls::pki_types::CertificateDer<'static>> {
        self.read().key.end_entity_cert().ok().map(|c| c.clone().into_owned())
    }

    fn read(&self) -> InForce {
        self.in_force.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl ResolvesServerCert for ServerCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.read().key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::time::Duration;

    fn certified(cert: &[u8]) -> CertifiedKey {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &rng,
        )
        .expect("key");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.as_ref().to_vec()));
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let signer = provider.key_provider.load_private_key(key).expect("signer");
        CertifiedKey::new(vec![CertificateDer::from(cert.to_vec())], signer)
    }

    #[test]
    fn a_replaced_certificate_is_the_one_in_force_from_then_on() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let cert = ServerCert::new(certified(b"first"), t0);
        assert_eq!(cert.end_entity().expect("leaf").as_ref(), b"first");
        assert_eq!(cert.not_after(), t0);
        let t1 = t0 + Duration::from_secs(365 * 86400);
        cert.replace(certified(b"second"), t1);
        assert_eq!(cert.end_entity().expect("leaf").as_ref(), b"second");
        assert_eq!(cert.not_after(), t1);
    }
}
