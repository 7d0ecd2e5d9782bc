//! The company's tenant: an S3-compatible bucket (AWS S3, MinIO, Ceph RGW
//! and the like) under a prefix, or a local folder, through `object_store`;
//! and the connection test that says which step failed.

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// An S3 secret access key: out of `Debug`, wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub Zeroizing<String>);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// Where the tenant is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantConfig {
    /// A folder on the appliance: the embedded default (`DATA/tenant`).
    Local { dir: PathBuf },
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// An S3-compatible bucket and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `https://s3.eu-west-1.amazonaws.com`, `https://minio.example.com:9000`...
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    /// Every object's key starts with this (no leading or trailing `/`).
    pub prefix: String,
    pub access_key: String,
    pub secret_key: SecretKey,
    /// `https://host/bucket/key` rather than `https://bucket.host/key`
    /// (MinIO, Ceph and most on-site stores want this).
    pub path_style: bool,
    /// Dangerous: accept any TLS certificate.
    pub dangerous_skip_tls_verify: bool,
    /// Dangerous: allow `http://` endpoints.
    pub dangerous_allow_http: bool,
    pub timeout: Duration,
}

/// Why the tenant cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("the tenant's settings are not usable: {0}")]
    Settings(String),
}

/// An open tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    /// What it is, for people: `s3://bucket/prefix at ENDPOINT` or `folder DIR`.
    pub describe: String,
    config: TenantConfig,
}

impl Tenant {
    /// Open (no network yet).
    pub fn open(config: &TenantConfig) -> Result<Tenant, TenantError> {
        match config {
            TenantConfig::Local { dir } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| TenantError::Settings(format!("cannot create {}: {e}", dir.display())))?;
                let store = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| TenantError::Settings(e.to_string()))?
                    .with_automatic_cleanup(true);
                Ok(Tenant {
                    store: Arc::new(store),
                    prefix: ObjectPath::default(),
                    describe: format!("folder {}", dir.display()),
                    config: config.clone(),
                })
            }
            TenantConfig::S3(s) => {
                if s.endpoint.starts_with("http://") && !s.dangerous_allow_http {
                    return Err(TenantError::Settings(format!(
                        "{} is plain http; use https, or set tenant.dangerous_allow_http",
                        s.endpoint
                    )));
                }
                let options = ClientOptions::new()
                    .with_allow_http(s.dangerous_allow_http)
                    .with_timeout(s.timeout)
                    .with_connect_timeout(s.timeout)
                    .with_allow_invalid_certificates(s.dangerous_skip_tls_verify);
                let store = AmazonS3Builder::new()
                    .with_endpoint(&s.endpoint)
                    .with_bucket_name(&s.bucket)
                    .with_region(&s.region)
                    .with_access_key_id(&s.access_key)
                    .with_secret_access_key(s.secret_key.0.as_str())
                    .with_virtual_hosted_style_request(!s.path_style)
                    .with_client_options(options)
                    // The outbox backs off on its own; a request is tried twice at most.
                    .with_retry(object_store::RetryConfig {
                        max_retries: 1,
                        retry_timeout: s.timeout * 2,
                        ..Default::default()
                    })
                    .build()
                    .map_err(|e| TenantError::Settings(e.to_string()))?;
                Ok(Tenant {
                    store: Arc::new(store),
                    prefix: ObjectPath::from(s.prefix.as_str()),
                    describe: format!("s3://{}/{} at {}", s.bucket, s.prefix, s.endpoint),
                    config: config.clone(),
                })
            }
        }
    }

    /// Whether a conditional create is known to be atomic here: a local
    /// folder's is (a hard link that fails if the name exists); an S3
    /// server's may be a check and a write in two steps.
    pub fn atomic_create(&self) -> bool {
        matches!(self.config, TenantConfig::Local { .. })
    }

    /// The object store, for the outbox.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// A key under the tenant's prefix.
    pub fn key(&self, rest: &str) -> ObjectPath {
        if self.prefix.as_ref().is_empty() {
            ObjectPath::from(rest)
        } else {
            ObjectPath::from(format!("{}/{rest}", self.prefix))
        }
    }
}

/// The step of a connection test that failed, with what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckFailure {
    #[error("DNS: {host} does not resolve ({why}); check tenant.endpoint and the appliance's DNS")]
    Dns { host: String, why: String },
    #[error("connection: nothing answers at {addr} ({why}); check tenant.endpoint, its port and any firewall")]
    Connect { addr: String, why: String },
    #[error("TLS: {why}; check the endpoint's certificate (or its CA)")]
    Tls { why: String },
    #[error("credentials: the tenant refused the access key or its secret ({why})")]
    Credentials { why: String },
    #[error("bucket: {bucket} does not exist or is not reachable at this endpoint ({why})")]
    Bucket { bucket: String, why: String },
    #[error("permissions: the credentials may not {action} under the prefix ({why})")]
    Permissions { action: &'static str, why: String },
    #[error("the tenant answered something unexpected: {0}")]
    Other(String),
}

impl Tenant {
    /// Test the tenant step by step: resolve, connect (TLS), list, then
    /// write, read back and delete a probe object. Each failure names its step.
    pub async fn check(&self) -> Result<Vec<String>, CheckFailure> {
        let mut passed = Vec::new();
        if let TenantConfig::S3(s) = &self.config {
            let (host, port, tls) = endpoint_parts(&s.endpoint).ok_or_else(|| CheckFailure::Dns {
                host: s.endpoint.clone(),
                why: "not a URL like https://host[:port]".into(),
            })?;
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| CheckFailure::Dns { host: host.clone(), why: e.to_string() })?
                .collect();
            let first =
                *addrs.first().ok_or_else(|| CheckFailure::Dns { host: host.clone(), why: "no address".into() })?;
            passed.push(format!("DNS: {host} is {first}"));
            let tcp = tokio::time::timeout(s.timeout, tokio::net::TcpStream::connect(first))
                .await
                .map_err(|_| CheckFailure::Connect { addr: first.to_string(), why: "timed out".into() })?
                .map_err(|e| CheckFailure::Connect { addr: first.to_string(), why: e.to_string() })?;
            drop(tcp);
            passed.push(format!("connection: {first} answers"));
            if tls {
                passed.push("TLS: checked with the first request below".into());
            }
        }
        let list = self.store.list_with_delimiter(Some(&self.prefix)).await;
        match list {
            Ok(_) => passed.push("list: allowed".into()),
            Err(e) => return Err(self.classify(e, "list objects")),
        }
        let probe = self.key(&format!("_pullprint/check-{:016x}", rand::random::<u64>()));
        self.store
            .put(&probe, PutPayload::from_static(b"pullprint tenant check"))
            .await
            .map_err(|e| self.classify(e, "write objects"))?;
        passed.push("write: allowed".into());
        let back = self.store.get(&probe).await.map_err(|e| self.classify(e, "read objects"))?;
        let body = back.bytes().await.map_err(|e| self.classify(e, "read objects"))?;
        if body.as_ref() != b"pullprint tenant check" {
            return Err(CheckFailure::Other("an object read back differs from what was written".into()));
        }
        passed.push("read: allowed, and the bytes came back".into());
        self.store.delete(&probe).await.map_err(|e| self.classify(e, "delete objects"))?;
        passed.push("delete: allowed".into());
        Ok(passed)
    }

    fn classify(&self, e: object_store::Error, action: &'static str) -> CheckFailure {
        let why = e.to_string();
        let lower = why.to_lowercase();
        let bucket = match &self.config {
            TenantConfig::S3(s) => s.bucket.clone(),
            TenantConfig::Local { dir } => dir.display().to_string(),
        };
        match e {
            object_store::Error::Unauthenticated { .. } => CheckFailure::Credentials { why },
            _ if lower.contains("signaturedoesnotmatch") || lower.contains("invalidaccesskeyid") => {
                CheckFailure::Credentials { why }
            }
            _ if lower.contains("nosuchbucket") => CheckFailure::Bucket { bucket, why },
            object_store::Error::PermissionDenied { .. } => CheckFailure::Permissions { action, why },
            _ if lower.contains("accessdenied") => CheckFailure::Permissions { action, why },
            _ if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") => {
                CheckFailure::Tls { why }
            }
            _ => CheckFailure::Other(why),
        }
    }
}

/// (host, port, TLS) of an endpoint URL.
fn endpoint_parts(endpoint: &str) -> Option<(String, u16, bool)> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let tls = match scheme {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let authority = rest.split('/').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse().ok()?),
        _ => (authority, if tls { 443 } else { 80 }),
    };
    Some((host.trim_matches(['[', ']']).to_owned(), port, tls))
}
