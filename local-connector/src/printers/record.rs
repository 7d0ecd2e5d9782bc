//! One printer's record: who it is, how its panel connects, how released
//! jobs reach it, and what it declared it can do.

use super::{StoredReader, Vendor};
use crate::crypto::ct_eq;
use serde::{Deserialize, Serialize};

/// One secured printer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// Short id, public (`d-` and 8 symbols).
    pub id: String,
    /// Name people use ("3rd floor east").
    pub name: String,
    /// Maker.
    pub vendor: Vendor,
    /// Address (host name or IP) of the printer.
    pub address: String,
    /// Its card reader.
    pub reader: StoredReader,
    /// HMAC of the device credential (hex); empty once revoked.
    pub credential: String,
    /// When it was secured, seconds since the epoch.
    pub secured_at: u64,
    /// Last heartbeat, seconds since the epoch (0: never).
    #[serde(default)]
    pub last_seen: u64,
    /// Mutual TLS: the SHA-256 (hex) of the client certificate this
    /// printer must present on every panel connection, as issued by
    /// `pullprint deploy --mutual-tls`. `None`: the credential alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// Release: how jobs reach this printer.
    #[serde(default)]
    pub release: PrinterRelease,
    /// Where it stands, for people ("3rd floor, by the kitchen"); on its label.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
    /// The id its QR label carries (`crate::labels`): a random UUID that
    /// says nothing about the printer; a new one makes a stolen label
    /// useless. `None` for a printer registered before labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// How released jobs reach a printer, and what it said it can do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterRelease {
    /// Its printer URI; `None`: `ipps://ADDRESS:631/ipp/print`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Plaintext transports it may use (dangerous): `ipp` (also as a
    /// fallback when IPPS fails), `socket` (RAW 9100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dangerous_allow: Vec<String>,
    /// SHA-256 (hex) of its TLS certificate, when pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_pin: Option<String>,
    /// Trust the first TLS certificate seen, then pin it (dangerous).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dangerous_trust_first_use: bool,
    /// What it declared at its last release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
}

/// What a printer declared about itself (IPP Get-Printer-Attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// `document-format-supported`.
    pub formats: Vec<String>,
    /// `color-supported`.
    pub color: Option<bool>,
    /// `sides-supported`.
    pub sides: Vec<String>,
    /// `printer-make-and-model`.
    pub make_and_model: Option<String>,
    /// When it said so, ms since the epoch.
    pub learned_ms: u64,
}

impl Device {
    /// Whether a connection that presented `presented` (the SHA-256 hex of
    /// its client certificate, if any) may act for this printer.
    pub fn accepts_connection(&self, presented: Option<&str>) -> bool {
        match (&self.client_cert, presented) {
            (None, _) => true,
            (Some(pin), Some(p)) => ct_eq(pin.as_bytes(), p.as_bytes()),
            (Some(_), None) => false,
        }
    }
}

/// The dangerous release settings that are on, printer by printer, in
/// words for an admin.
pub fn dangerous_settings(devices: &[Device]) -> Vec<String> {
    let mut out = Vec::new();
    for d in devices {
        if !d.release.dangerous_allow.is_empty() {
            out.push(format!(
                "printer {:?}: dangerous_allow {}: released documents may cross the network unencrypted",
                d.name,
                d.release.dangerous_allow.join(", ")
            ));
        }
        if d.release.dangerous_trust_first_use && d.release.tls_pin.is_none() {
            out.push(format!(
                "printer {:?}: dangerous_trust_first_use: the next certificate it presents will be trusted unchecked",
                d.name
            ));
        }
    }
    out
}
