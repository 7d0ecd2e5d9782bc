//! Why a TLS handshake to a peer (a printer, a domain controller) failed,
//! when the reason is one to tell the admin in words: the peer speaks only
//! TLS older than 1.2, or its certificate is not trusted. Outbound TLS is
//! 1.2 and 1.3 only, and never skips the certificate check.

use rustls::AlertDescription;
use rustls::PeerIncompatible;

/// A named reason for a refused outbound handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsRefusal {
    /// The peer offered or asked for a TLS version older than 1.2.
    OldVersion,
    /// The peer's certificate failed its check (the detail from rustls).
    Untrusted(String),
}

impl std::fmt::Display for TlsRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsRefusal::OldVersion => {
                f.write_str("it speaks only TLS older than 1.2, which Pullprint refuses; enable TLS 1.2 or 1.3 on it")
            }
            TlsRefusal::Untrusted(why) => write!(f, "its certificate is not trusted ({why})"),
        }
    }
}

impl TlsRefusal {
    /// The reason rustls gave, found in `e` or the errors behind it (an
    /// `io::Error` from tokio-rustls, or a library's error wrapping one).
    pub fn of(e: &(dyn std::error::Error + 'static)) -> Option<TlsRefusal> {
        let mut next = Some(e);
        while let Some(e) = next {
            if let Some(r) = e.downcast_ref::<rustls::Error>().and_then(Self::from_rustls) {
                return Some(r);
            }
            // io::Error::source skips the error it wraps; look at it too.
            if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref)
                && let Some(r) = Self::of(inner)
            {
                return Some(r);
            }
            next = e.source();
        }
        None
    }

    fn from_rustls(e: &rustls::Error) -> Option<TlsRefusal> {
        match e {
            rustls::Error::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled,
            )
            | rustls::Error::AlertReceived(AlertDescription::ProtocolVersion) => Some(TlsRefusal::OldVersion),
            rustls::Error::InvalidCertificate(c) => Some(TlsRefusal::Untrusted(format!("{c:?}"))),
            rustls::Error::NoCertificatesPresented => Some(TlsRefusal::Untrusted("it presented none".into())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_found_behind_io_errors_and_their_wrappers() {
        #[derive(Debug, thiserror::Error)]
        #[error("I/O error: {0}")]
        struct Wrapper(#[source] std::io::Error);
        let old = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13),
        );
        assert_eq!(TlsRefusal::of(&Wrapper(old)), Some(TlsRefusal::OldVersion));
        let alert = std::io::Error::other(rustls::Error::AlertReceived(AlertDescription::ProtocolVersion));
        assert_eq!(TlsRefusal::of(&alert), Some(TlsRefusal::OldVersion));
        let untrusted =
            std::io::Error::other(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer));
        assert_eq!(TlsRefusal::of(&untrusted), Some(TlsRefusal::Untrusted("UnknownIssuer".into())));
        assert_eq!(TlsRefusal::of(&std::io::Error::other("connection reset")), None);
    }
}
