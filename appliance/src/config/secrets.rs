//! The settings whose secrets live in files of their own (Device Scout's
//! communities and SNMPv3 keys), read while the
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
}
