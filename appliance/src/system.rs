//! What the console's system page does with the appliance itself: its
//! server certificate (the admin's own, or the internal CA's again), a
//! backup to download, and its latest log lines.

use crate::config::KeyType;
use crate::datadir::DataDir;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The appliance's side of `web_admin::SystemOps`.
#[derive(Debug)]
pub struct System {
    dd: DataDir,
    /// The certificate the listeners present now.
    cert: Arc<local_connector::net::ServerCert>,
    hostnames: Vec<String>,
    addresses: Vec<IpAddr>,
    key_type: KeyType,
}

impl System {
    /// Over the data folder `dd`, whose listeners present `cert`; a new
    /// internal certificate is for `hostnames` and `addresses`.
    pub fn new(
        dd: &DataDir,
        cert: Arc<local_connector::net::ServerCert>,
        (hostnames, addresses): (Vec<String>, Vec<IpAddr>),
        key_type: KeyType,
    ) -> System {
        System { dd: DataDir::new(&dd.root), cert, hostnames, addresses, key_type }
    }
}

impl web_admin::SystemOps for System {
    fn certificate(&self) -> web_admin::CertificateView {
        let not_after = self.cert.not_after();
        let names = self
            .cert
            .end_entity()
            .and_then(|der| {
                let (_, x) = x509_parser::parse_x509_certificate(&der).ok()?;
                let sans = x
                    .subject_alternative_name()
                    .ok()
                    .flatten()
                    .map(|s| s.value.general_names.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                Some(format!("{} ({sans})", x.subject()))
            })
            .unwrap_or_else(|| "unknown".into());
        web_admin::CertificateView {
            names,
            expires: humantime::format_rfc3339_seconds(not_after).to_string(),
            days_left: not_after
                .duration_since(std::time::SystemTime::now())
                .map(|d| d.as_secs() / 86_400)
                .unwrap_or(0),
            custom: self.dd.tls().join(crate::certs::CUSTOM_MARK).exists(),
        }
    }

    fn install_certificate(&self, cert_pem: &str, key_pem: &str) -> Result<String, String> {
        crate::certs::install_custom(&self.dd.tls(), cert_pem, key_pem).map_err(|e| format!("{e:#}"))
    }

    fn internal_certificate(&self) -> Result<(), String> {
        crate::certs::back_to_internal(&self.dd.tls(), &self.hostnames, &self.addresses, self.key_type)
            .map_err(|e| format!("{e:#}"))
    }

    fn backup(&self) -> Result<PathBuf, String> {
        let run = self.dd.root.join("run");
        let out = run.join(format!("backup-{}.tar", hex::encode(local_connector::crypto::random_bytes::<8>())));
        crate::backup::backup(&self.dd, &out).map_err(|e| format!("{e:#}"))?;
        Ok(out)
    }

    fn recent_log(&self) -> Vec<String> {
        crate::logging::recent()
    }
}
