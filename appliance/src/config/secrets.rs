//! The settings whose secrets live in files of their own (Device Scout's
//! communities and SNMPv3 keys, the tenant's credentials), read while the
//! daemon is still root.

use super::Config;
use std::path::Path;

impl Config {
    /// Device Scout's settings, with each range's secrets read from their
    /// files (call it while the files are still readable: before root is
    /// dropped).
    pub fn scout_settings(&self) -> anyhow::Result<local_connector::scout::schedule::Settings> {
        use anyhow::Context;
        use local_connector::scout::agent::{Credentials, Secret, Timing, V3};
        use local_connector::scout::schedule::{RangeSettings, Settings};
        let read = |path: &Path, key: &str| -> anyhow::Result<Secret> {
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(path).with_context(|| format!("reading {key} {}", path.display()))?,
            );
            let line = text.lines().next().unwrap_or_default();
            anyhow::ensure!(!line.is_empty(), "{key} {}: the first line is empty", path.display());
            Ok(Secret::new(line))
        };
        let s = &self.scout;
        let mut ranges = Vec::new();
        for (i, r) in s.ranges.iter().enumerate() {
            let key = |k: &str| format!("scout.range[{i}].{k}");
            let community = || -> anyhow::Result<Secret> {
                r.community_file.as_deref().map_or(Ok(Secret::new("public")), |p| read(p, &key("community_file")))
            };
            let credentials = match r.version.as_str() {
                "1" => Credentials::V1(community()?),
                "2c" => Credentials::V2c(community()?),
                _ => Credentials::V3(V3 {
                    user: r.v3_user.clone(),
                    auth: match (r.v3_auth, &r.v3_auth_key_file) {
                        (Some(p), Some(f)) => Some((p, read(f, &key("v3_auth_key_file"))?)),
                        _ => None,
                    },
                    privacy: match (r.v3_priv, &r.v3_priv_key_file) {
                        (Some(p), Some(f)) => Some((p, read(f, &key("v3_priv_key_file"))?)),
                        _ => None,
                    },
                    context: r.v3_context.clone(),
                }),
            };
            ranges.push(RangeSettings {
                name: r.name.clone(),
                scan: r.addresses.clone(),
                exclude: r.exclude.clone(),
                port: r.port,
                credentials,
            });
        }
        Ok(Settings {
            ranges,
            discovery: s.discovery,
            windows: s.windows.clone(),
            read_every: s.read_every,
            rate: s.rate,
            concurrency: s.concurrency,
            timing: Timing { timeout: s.timeout, retries: s.retries },
            low_supply_percent: s.low_supply_percent,
            raw_confirm_timeout: s.raw_confirm_timeout,
        })
    }

    /// The tenant, with its credentials read (call it while their file is
    /// still readable: before root is dropped).
    pub fn tenant_config(&self) -> anyhow::Result<cloud_sync::tenant::TenantConfig> {
        use anyhow::Context;
        use cloud_sync::tenant::{S3Config, SecretKey, TenantConfig};
        let t = &self.tenant;
        if t.kind == "folder" {
            return Ok(TenantConfig::Local { dir: t.dir.clone().unwrap_or_else(|| self.data_dir.join("tenant")) });
        }
        let (access_key, secret) = match &t.credentials_file {
            Some(f) => {
                let text = zeroize::Zeroizing::new(
                    std::fs::read_to_string(f)
                        .with_context(|| format!("reading tenant.credentials_file {}", f.display()))?,
                );
                let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
                match (lines.next(), lines.next()) {
                    (Some(id), Some(secret)) => (id.to_owned(), zeroize::Zeroizing::new(secret.to_owned())),
                    _ => anyhow::bail!(
                        "tenant.credentials_file {}: the access key id on the first line, the secret on the second",
                        f.display()
                    ),
                }
            }
            None => match (std::env::var("AWS_ACCESS_KEY_ID"), std::env::var("AWS_SECRET_ACCESS_KEY")) {
                (Ok(id), Ok(secret)) => (id, zeroize::Zeroizing::new(secret)),
                _ => anyhow::bail!(
                    "the tenant has no credentials: set tenant.credentials_file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                ),
            },
        };
        Ok(TenantConfig::S3(S3Config {
            endpoint: t.endpoint.clone(),
            bucket: t.bucket.clone(),
            region: t.region.clone(),
            prefix: t.prefix.clone(),
            access_key,
            secret_key: SecretKey(secret),
            path_style: t.path_style,
            dangerous_skip_tls_verify: t.dangerous_skip_tls_verify,
            dangerous_allow_http: t.dangerous_allow_http,
            timeout: t.timeout,
        }))
    }

    /// The cloud outbox's settings; pseudonyms are made under `key` (the
    /// site's pseudonym key, the same at every site of a tenant), records
    /// sealed at rest under `seal_key`.
    pub fn outbox_options(&self, key: [u8; 32], seal_key: [u8; 32]) -> cloud_sync::outbox::OutboxOptions {
        use cloud_sync::outbox::{Disclose, OutboxOptions, Privacy, WhenFull};
        let t = &self.tenant;
        let word = |w: &str| Disclose::parse(w).unwrap_or(Disclose::Omit);
        OutboxOptions {
            privacy: Privacy {
                users: word(&t.user_names),
                documents: word(&t.document_names),
                departments: word(&t.departments),
                key: zeroize::Zeroizing::new(key),
            },
            capacity: usize::try_from(t.outbox_capacity).unwrap_or(usize::MAX),
            when_full: WhenFull::parse(&t.when_full).unwrap_or(WhenFull::PauseMetadata),
            copies: t.copies,
            seal_key: zeroize::Zeroizing::new(seal_key),
        }
    }
}
