//! The internal certificate authority and the server certificate, made with
//! rcgen, and the rustls server configuration built from them.
//!
//! The CA signs one server certificate that every listener presents. Its
//! subjectAltNames are the configured host names and addresses. RSA-2048 is
//! the default because printer panels expect it; stronger RSA and ECDSA P-256
//! can be chosen with `tls.key_type`.
//!
//! Every listener asks one [`ServerCert`] for the certificate at each
//! handshake; [`renewal`] replaces it when the files change and renews it
//! itself before it expires, so neither needs a restart.

pub mod renewal;

use crate::config::KeyType;
use anyhow::{Context, Result, anyhow, bail};
use local_connector::durable;
use local_connector::net::ServerCert;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use rustls::sign::CertifiedKey;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How long the CA is valid.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 86400);
/// How long a server certificate is valid: a year, within what browsers
/// accept (398 days) and Mozilla's intermediate TLS profile (366).
const SERVER_VALIDITY: Duration = Duration::from_secs(365 * 86400);

fn generate_key(kind: KeyType) -> Result<KeyPair> {
    let alg = match kind {
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
    };
    match kind {
        KeyType::Rsa3072 => KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_3072),
        KeyType::Rsa4096 => KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_4096),
        _ => KeyPair::generate_for(alg),
    }
    .map_err(|e| anyhow!("generating a {kind:?} key: {e}"))
}

fn validity(p: &mut CertificateParams, span: Duration) {
    let now = SystemTime::now();
    // Back-date an hour for clocks that lag (printers often do).
    p.not_before = (now - Duration::from_secs(3600)).into();
    p.not_after = (now + span).into();
    p.serial_number = Some(SerialNumber::from_slice(&local_connector::crypto::random_bytes::<16>()));
}

/// Create the internal CA and a server certificate in `tls_dir`.
pub fn create_all(
    tls_dir: &Path,
    site_name: &str,
    hostnames: &[String],
    addresses: &[IpAddr],
    kind: KeyType,
) -> Result<()> {
    durable::create_dir_durable(tls_dir, 0o755).context("creating tls folder")?;
    let ca_key = generate_key(kind)?;
    let mut ca = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("Pullprint internal CA ({site_name})"));
    dn.push(DnType::OrganizationName, "Pullprint");
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    validity(&mut ca, CA_VALIDITY);
    let ca_cert = ca.self_signed(&ca_key).map_err(|e| anyhow!("self-signing the CA: {e}"))?;
    durable::write_atomic(&tls_dir.join("ca.key"), ca_key.serialize_pem().as_bytes(), 0o600)?;
    durable::write_atomic(&tls_dir.join("ca.crt"), ca_cert.pem().as_bytes(), 0o644)?;
    issue_server(tls_dir, hostnames, addresses, kind)
}

/// (Re)issue the server certificate from the CA in `tls_dir`, holding
/// `tls/` locked so that a daemon reloading it never reads a new key with
/// the old certificate. A running daemon serves it within
/// [`renewal::CHECK_EVERY`].
pub fn issue_server(tls_dir: &Path, hostnames: &[String], addresses: &[IpAddr], kind: KeyType) -> Result<()> {
    let _exclusive = lock_tls(tls_dir, nix::fcntl::FlockArg::LockExclusive)?;
    issue_server_to(tls_dir, (&tls_dir.join("server.crt"), &tls_dir.join("server.key")), hostnames, addresses, kind)
}

/// Issue a server certificate from the CA in `tls_dir` into `out`
/// (certificate, key): the appliance's own, or one for a printer, which the
/// release engine then trusts through the internal CA.
pub fn issue_server_to(
    tls_dir: &Path,
    out: (&Path, &Path),
    hostnames: &[String],
    addresses: &[IpAddr],
    kind: KeyType,
) -> Result<()> {
    let ca_key_pem = std::fs::read_to_string(tls_dir.join("ca.key")).context("reading tls/ca.key")?;
    let ca_cert_pem = std::fs::read_to_string(tls_dir.join("ca.crt")).context("reading tls/ca.crt")?;
    let ca_key = KeyPair::from_pem(&ca_key_pem).map_err(|e| anyhow!("tls/ca.key: {e}"))?;
    let issuer = Issuer::from_ca_cert_pem(&ca_cert_pem, ca_key).map_err(|e| anyhow!("tls/ca.crt: {e}"))?;

    let key = generate_key(kind)?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    let cn = hostnames
        .first()
        .cloned()
        .or_else(|| addresses.first().map(|a| a.to_string()))
        .unwrap_or_else(|| "pullprint".into());
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "Pullprint");
    p.distinguished_name = dn;
    // Loopback names are always present so that `pullprint status` on the box
    // itself can verify the certificate; they grant nothing off the machine.
    let mut hostnames = hostnames.to_vec();
    let mut addresses = addresses.to_vec();
    if !hostnames.iter().any(|h| h == "localhost") {
        hostnames.push("localhost".into());
    }
    for lo in [IpAddr::from([127, 0, 0, 1]), IpAddr::from(std::net::Ipv6Addr::LOCALHOST)] {
        if !addresses.contains(&lo) {
            addresses.push(lo);
        }
    }
    for h in &hostnames {
        p.subject_alt_names.push(SanType::DnsName(h.clone().try_into().map_err(|e| anyhow!("host name {h:?}: {e}"))?));
    }
    for a in &addresses {
        p.subject_alt_names.push(SanType::IpAddress(*a));
    }
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.use_authority_key_identifier_extension = true;
    validity(&mut p, SERVER_VALIDITY);
    let cert = p.signed_by(&key, &issuer).map_err(|e| anyhow!("signing the server certificate: {e}"))?;
    durable::write_atomic(out.1, key.serialize_pem().as_bytes(), 0o600)?;
    durable::write_atomic(out.0, cert.pem().as_bytes(), 0o644)?;
    Ok(())
}

/// A client certificate issued to a printer for mutual TLS on the panel
/// listener. The key is handed to the admin and never kept here.
#[derive(Debug)]
pub struct ClientIdentity {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PEM (PKCS#8).
    pub key_pem: zeroize::Zeroizing<String>,
    /// SHA-256 (hex) of the certificate's DER, which the device record pins.
    pub sha256: String,
}

/// How long a printer's client certificate is valid.
const CLIENT_VALIDITY: Duration = Duration::from_secs(2 * 365 * 86400);

/// Issue a client certificate for the printer named `name` from the CA in
/// `tls_dir`: RSA-2048, which every vendor's certificate store accepts,
/// with the clientAuth purpose only. The device record pins its hash, so
/// the name in it is for people.
pub fn issue_client(tls_dir: &Path, name: &str) -> Result<ClientIdentity> {
    use sha2::Digest;
    let ca_key_pem = std::fs::read_to_string(tls_dir.join("ca.key")).context("reading tls/ca.key")?;
    let ca_cert_pem = std::fs::read_to_string(tls_dir.join("ca.crt")).context("reading tls/ca.crt")?;
    let ca_key = KeyPair::from_pem(&ca_key_pem).map_err(|e| anyhow!("tls/ca.key: {e}"))?;
    let issuer = Issuer::from_ca_cert_pem(&ca_cert_pem, ca_key).map_err(|e| anyhow!("tls/ca.crt: {e}"))?;
    let key = generate_key(KeyType::Rsa2048)?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn.push(DnType::OrganizationName, "Pullprint printer");
    p.distinguished_name = dn;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.use_authority_key_identifier_extension = true;
    validity(&mut p, CLIENT_VALIDITY);
    let cert = p.signed_by(&key, &issuer).map_err(|e| anyhow!("signing the printer's client certificate: {e}"))?;
    Ok(ClientIdentity {
        cert_pem: cert.pem(),
        key_pem: zeroize::Zeroizing::new(key.serialize_pem()),
        sha256: hex::encode(sha2::Sha256::digest(cert.der())),
    })
}

/// What `tls/` holds for the listeners: the chain the server presents (its
/// certificate, then the CA's) and its key, read as one consistent pair.
#[derive(Debug)]
pub(crate) struct ServerFiles {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ca_pem: String,
    /// The internal CA.
    ca: Vec<CertificateDer<'static>>,
}

/// Beside `server.crt` when it is the admin's own certificate (uploaded in
/// the console), not one of the internal CA: it is then served with its own
/// chain, and never renewed automatically.
pub const CUSTOM_MARK: &str = "server.custom";

impl ServerFiles {
    /// Read `server.crt`, `server.key` and `ca.crt` under a shared lock on
    /// `tls/`, so that a renewal (which holds it exclusively while it writes
    /// the key and then the certificate) is never seen half done.
    pub(crate) fn read(tls_dir: &Path) -> Result<ServerFiles> {
        let _shared = lock_tls(tls_dir, nix::fcntl::FlockArg::LockShared)?;
        let read = |n: &str| std::fs::read(tls_dir.join(n)).with_context(|| format!("reading tls/{n}"));
        let mut chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read("server.crt")?)
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow!("tls/server.crt: {e}"))?;
        if chain.is_empty() {
            bail!("tls/server.crt holds no certificate");
        }
        let ca_pem_bytes = read("ca.crt")?;
        let ca = CertificateDer::pem_slice_iter(&ca_pem_bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("tls/ca.crt: {e}"))?;
        if !tls_dir.join(CUSTOM_MARK).exists() {
            chain.extend(ca.iter().cloned());
        }
        let key = PrivateKeyDer::from_pem_slice(&read("server.key")?).map_err(|e| anyhow!("tls/server.key: {e}"))?;
        Ok(ServerFiles { chain, key, ca_pem: String::from_utf8_lossy(&ca_pem_bytes).into_owned(), ca })
    }

    /// The chain and its key, checked to belong together, and when the
    /// certificate stops being valid.
    pub(crate) fn certified(&self) -> Result<(CertifiedKey, SystemTime)> {
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let key = CertifiedKey::from_der(self.chain.clone(), self.key.clone_key(), &provider)
            .map_err(|e| anyhow!("tls/server.key does not fit tls/server.crt: {e}"))?;
        Ok((key, not_after(&self.chain[0])?))
    }
}

/// When `cert` (DER) stops being valid.
pub(crate) fn not_after(cert: &CertificateDer<'_>) -> Result<SystemTime> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert).map_err(|e| anyhow!("tls/server.crt: {e}"))?;
    let secs = u64::try_from(cert.validity().not_after.timestamp()).unwrap_or(0);
    Ok(std::time::UNIX_EPOCH + Duration::from_secs(secs))
}

/// An advisory lock on `tls/` itself: exclusive while the server
/// certificate is (re)issued, shared while it is read. The CLI and the
/// daemon both take it, so neither sees the other's key with an old
/// certificate, nor do two renewals interleave their files.
fn lock_tls(tls_dir: &Path, how: nix::fcntl::FlockArg) -> Result<nix::fcntl::Flock<std::fs::File>> {
    let dir = std::fs::File::open(tls_dir).with_context(|| format!("opening {}", tls_dir.display()))?;
    nix::fcntl::Flock::lock(dir, how).map_err(|(_, e)| anyhow!("locking {}: {e}", tls_dir.display()))
}

/// The server's TLS identity, loaded before privileges are dropped: the
/// certificate every listener presents, and the internal CA.
#[derive(Debug)]
pub struct ServerIdentity {
    /// The certificate in force; [`renewal::Renewal`] replaces it while
    /// the listeners run.
    pub cert: Arc<ServerCert>,
    /// The internal CA, which panels' client certificates must chain to.
    ca: Vec<CertificateDer<'static>>,
    /// The CA certificate in PEM, offered for download.
    pub ca_pem: String,
}

/// Whether a listener sends TLS 1.3 session tickets after the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tickets {
    /// Two, so that returning clients resume.
    Send,
    /// None (see [`ServerIdentity::ipp_server_config`]).
    None,
}

impl ServerIdentity {
    /// Read `server.crt`, `server.key` and `ca.crt`.
    pub fn load(tls_dir: &Path) -> Result<ServerIdentity> {
        let files = ServerFiles::read(tls_dir)?;
        let (key, not_after) = files.certified()?;
        Ok(ServerIdentity { cert: ServerCert::new(key, not_after), ca: files.ca.clone(), ca_pem: files.ca_pem })
    }

    /// When the server certificate in force stops being valid.
    pub fn not_after(&self) -> SystemTime {
        self.cert.not_after()
    }

    /// A rustls server configuration that speaks TLS 1.3 and 1.2 only.
    pub fn server_config(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>> {
        self.build(alpn, None, Tickets::Send)
    }

    /// The same for the IPP queue, which sends no TLS 1.3 session tickets.
    ///
    /// libcups (2.4, over GnuTLS) reads the tickets that follow the
    /// handshake as "no data yet" (`GNUTLS_E_AGAIN`); a client that set a
    /// timeout callback, as `ipptool -T` does, takes that for a timeout,
    /// reconnects and meets the same tickets again, forever. cupsd's own
    /// TLS sends no tickets. IPP clients keep their connection open between
    /// requests, so they lose little by not resuming; TLS 1.2 clients still
    /// resume through the session cache.
    pub fn ipp_server_config(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>> {
        self.build(alpn, None, Tickets::None)
    }

    /// The same for the panel listener, which also asks for a client
    /// certificate. One is optional: a connection that presents one must
    /// present one the internal CA issued for client authentication (the
    /// handshake fails otherwise), and which printer it belongs to is
    /// checked per request against the device record.
    pub fn panel_server_config(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>> {
        let mut roots = rustls::RootCertStore::empty();
        for c in &self.ca {
            roots.add(c.clone()).map_err(|e| anyhow!("tls/ca.crt: {e}"))?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .allow_unauthenticated()
            .build()
            .map_err(|e| anyhow!("client certificate verifier: {e}"))?;
        self.build(alpn, Some(verifier), Tickets::Send)
    }

    fn build(
        &self,
        alpn: &[&[u8]],
        clients: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
        tickets: Tickets,
    ) -> Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| anyhow!("TLS versions: {e}"))?;
        let builder = match clients {
            Some(v) => builder.with_client_cert_verifier(v),
            None => builder.with_no_client_auth(),
        };
        // Each handshake asks for the certificate in force, so a renewed
        // one is served without a restart.
        let mut cfg = builder.with_cert_resolver(self.cert.clone());
        cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        // Resumption spares returning clients (printer panels reconnect for
        // every sign-in) the RSA signature of a full handshake. Tickets are
        // encrypted under keys that live in memory only and rotate; TLS 1.3
        // resumption still runs an (EC)DHE exchange, so it keeps forward
        // secrecy. The stateful cache serves clients without ticket support.
        cfg.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new().map_err(|e| anyhow!("TLS tickets: {e}"))?;
        cfg.session_storage = rustls::server::ServerSessionMemoryCache::new(4096);
        if tickets == Tickets::None {
            cfg.send_tls13_tickets = 0;
        }
        Ok(Arc::new(cfg))
    }
}

/// The temporary identity of first-boot setup: a self-signed ECDSA P-256
/// certificate for `hostnames` and `addresses` (and loopback), valid for a
/// week, kept in memory only. Browsers warn about it, which is why its
/// SHA-256 fingerprint is printed beside the setup code for the admin to
/// compare. The TLS configuration (1.3 and 1.2 only), the certificate in
/// PEM, and the fingerprint (colon-separated hex).
pub fn setup_identity(
    hostnames: &[String],
    addresses: &[IpAddr],
) -> Result<(Arc<rustls::ServerConfig>, String, String)> {
    use sha2::Digest;
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| anyhow!("setup key: {e}"))?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Pullprint first-boot setup");
    dn.push(DnType::OrganizationName, "Pullprint");
    p.distinguished_name = dn;
    let mut names: Vec<String> = hostnames.to_vec();
    names.push("localhost".into());
    if let Ok(h) = std::fs::read_to_string("/proc/sys/kernel/hostname")
        && !h.trim().is_empty()
    {
        names.push(h.trim().to_owned());
    }
    names.sort();
    names.dedup();
    for h in &names {
        if let Ok(n) = h.clone().try_into() {
            p.subject_alt_names.push(SanType::DnsName(n));
        }
    }
    let mut addresses = addresses.to_vec();
    addresses.extend([IpAddr::from([127, 0, 0, 1]), IpAddr::from(std::net::Ipv6Addr::LOCALHOST)]);
    addresses.dedup();
    for a in addresses {
        p.subject_alt_names.push(SanType::IpAddress(a));
    }
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut p, Duration::from_secs(7 * 86400));
    let cert = p.self_signed(&key).map_err(|e| anyhow!("setup certificate: {e}"))?;
    let der = cert.der().clone();
    let fingerprint = sha2::Sha256::digest(&der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let private = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| anyhow!("setup key: {e}"))?;
    let certified = CertifiedKey::from_der(vec![der], private, &provider).map_err(|e| anyhow!("setup key: {e}"))?;
    let not_after = SystemTime::now() + Duration::from_secs(7 * 86400);
    let resolver = ServerCert::new(certified, not_after);
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| anyhow!("TLS versions: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(cfg), cert.pem(), fingerprint))
}

/// Install the admin's own server certificate (`cert_pem`: the certificate,
/// then its intermediates) and key, after checking that the key fits, that
/// it is valid now and for more than a day, and that it is meant for
/// servers. The listeners serve it within seconds ([`renewal`]), and it is
/// never renewed automatically. A description of it.
pub fn install_custom(tls_dir: &Path, cert_pem: &str, key_pem: &str) -> Result<String> {
    // A browser's form sends CRLF line ends: the files keep LF, and end with one.
    let unix = |s: &str| format!("{}\n", s.replace("\r\n", "\n").trim_end());
    let (cert_pem, key_pem) = (unix(cert_pem), zeroize::Zeroizing::new(unix(key_pem)));
    let (cert_pem, key_pem) = (cert_pem.as_str(), key_pem.as_str());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow!("the certificate is not PEM: {e}"))?;
    let leaf = chain.first().ok_or_else(|| anyhow!("no certificate was given (PEM, BEGIN CERTIFICATE)"))?.clone();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| anyhow!("the key is not a PEM private key (it must not be encrypted): {e}"))?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    CertifiedKey::from_der(chain.clone(), key, &provider)
        .map_err(|e| anyhow!("the key does not fit the certificate: {e}"))?;
    let (_, x) =
        x509_parser::parse_x509_certificate(&leaf).map_err(|e| anyhow!("the certificate cannot be read: {e}"))?;
    let now = i64::try_from(SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    if x.validity().not_before.timestamp() > now {
        bail!("the certificate is not valid yet");
    }
    if x.validity().not_after.timestamp() < now + 86_400 {
        bail!("the certificate expires within a day (or has expired)");
    }
    if let Ok(Some(eku)) = x.extended_key_usage()
        && !eku.value.server_auth
        && !eku.value.any
    {
        bail!("the certificate is not for servers (its extended key usage lacks serverAuth)");
    }
    let names = x
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| san.value.general_names.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let _exclusive = lock_tls(tls_dir, nix::fcntl::FlockArg::LockExclusive)?;
    durable::write_atomic(&tls_dir.join(CUSTOM_MARK), b"uploaded in the console\n", 0o644)?;
    durable::write_atomic(&tls_dir.join("server.key"), key_pem.as_bytes(), 0o600)?;
    durable::write_atomic(&tls_dir.join("server.crt"), cert_pem.as_bytes(), 0o644)?;
    Ok(format!("{} for {names}, until {}", x.subject(), x.validity().not_after))
}

/// Go back to a server certificate of the internal CA (a new one, for
/// `hostnames` and `addresses`).
pub fn back_to_internal(tls_dir: &Path, hostnames: &[String], addresses: &[IpAddr], kind: KeyType) -> Result<()> {
    let _exclusive = lock_tls(tls_dir, nix::fcntl::FlockArg::LockExclusive)?;
    let (crt, key) = (tls_dir.join("server.crt"), tls_dir.join("server.key"));
    issue_server_to(tls_dir, (&crt, &key), hostnames, addresses, kind)?;
    match std::fs::remove_file(tls_dir.join(CUSTOM_MARK)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}
