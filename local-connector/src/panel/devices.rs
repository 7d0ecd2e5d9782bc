//! The printers whose panels may call the appliance, and their credentials.
//!
//! A printer is secured by registering it: it gets a record and a device
//! credential (`ppd-` and 25 Crockford symbols, 125 bits), shown once and
//! stored only as an HMAC under the site's token secret. Every panel
//! request carries the credential; a revoked credential or an unsecured
//! device is refused at once. `directory/devices.json` is shared with the
//! command line ([`SharedJson`]) like the other directory files.

use crate::badge::{Encoding, ReaderProfile};
use crate::crypto::{ct_eq, hmac_sha256, random_symbols};
use crate::shared::{SharedFileError, SharedJson};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The printer makers whose panels Pullprint knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    /// HP (FutureSmart, OXPd).
    Hp,
    /// Konica Minolta (OpenAPI, i-Option).
    Km,
    /// Lexmark (eSF).
    Lexmark,
    /// Ricoh (SmartSDK).
    Ricoh,
    /// Xerox (EIP).
    Xerox,
}

impl Vendor {
    /// Parse `hp`, `km` (or `konica`), `lexmark`, `ricoh`, `xerox`.
    pub fn parse(s: &str) -> Option<Vendor> {
        Some(match s.to_ascii_lowercase().as_str() {
            "hp" => Vendor::Hp,
            "km" | "konica" | "konica-minolta" | "konicaminolta" => Vendor::Km,
            "lexmark" => Vendor::Lexmark,
            "ricoh" => Vendor::Ricoh,
            "xerox" => Vendor::Xerox,
            _ => return None,
        })
    }

    /// The name people use.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Hp => "HP",
            Vendor::Km => "Konica Minolta",
            Vendor::Lexmark => "Lexmark",
            Vendor::Ricoh => "Ricoh",
            Vendor::Xerox => "Xerox",
        }
    }
}

/// A reader profile as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredReader {
    /// `hex`, `decimal` or `wiegand26`.
    pub encoding: String,
    /// Least significant byte first.
    pub reversed: bool,
    /// UID length for decimal readers.
    pub uid_bytes: usize,
    /// Wiegand: card number only.
    pub ignore_facility: bool,
}

impl Default for StoredReader {
    fn default() -> Self {
        StoredReader::from(ReaderProfile::default())
    }
}

impl From<ReaderProfile> for StoredReader {
    fn from(p: ReaderProfile) -> Self {
        StoredReader {
            encoding: match p.encoding {
                Encoding::Hex => "hex",
                Encoding::Decimal => "decimal",
                Encoding::Wiegand26 => "wiegand26",
            }
            .into(),
            reversed: p.reversed,
            uid_bytes: p.uid_bytes,
            ignore_facility: p.ignore_facility,
        }
    }
}

impl StoredReader {
    /// The profile, or `None` for an unknown encoding name.
    pub fn profile(&self) -> Option<ReaderProfile> {
        let encoding = match self.encoding.as_str() {
            "hex" => Encoding::Hex,
            "decimal" => Encoding::Decimal,
            "wiegand26" => Encoding::Wiegand26,
            _ => return None,
        };
        Some(ReaderProfile {
            encoding,
            reversed: self.reversed,
            uid_bytes: self.uid_bytes,
            ignore_facility: self.ignore_facility,
        })
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

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    devices: BTreeMap<String, Device>,
}

/// Errors of the registry.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// Reading or writing the file failed.
    #[error("devices: {0}")]
    File(#[from] SharedFileError),
    /// No such device.
    #[error("no printer {0:?} is registered")]
    NoSuchDevice(String),
    /// A device of that name or address exists.
    #[error("a printer named {0:?} or at that address is already registered")]
    Exists(String),
}

/// A credential just issued; shown once.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct NewCredential(String);

impl NewCredential {
    /// The credential text.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewCredential(<redacted>)")
    }
}

/// The registry.
#[derive(Debug)]
pub struct Devices {
    file: SharedJson<File>,
    key: [u8; 32],
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Devices {
    /// Open `path`; `key` keys the stored credential hashes.
    pub fn open(path: &Path, key: [u8; 32]) -> Result<Devices, DeviceError> {
        Ok(Devices { file: SharedJson::open(path)?, key })
    }

    fn current(&self) -> Arc<File> {
        self.file.snapshot().unwrap_or_else(|e| {
            log::error!("devices: {e}");
            Arc::new(File::default())
        })
    }

    fn tag(&self, credential: &str) -> String {
        hex::encode(hmac_sha256(&self.key, format!("device:{credential}").as_bytes()))
    }

    fn new_credential(&self) -> (NewCredential, String) {
        let c = NewCredential(format!("ppd-{}", random_symbols(25)));
        let tag = self.tag(c.reveal());
        (c, tag)
    }

    /// Register (secure) a printer; its credential is shown once.
    pub fn add(
        &self,
        name: &str,
        vendor: Vendor,
        address: &str,
        reader: ReaderProfile,
    ) -> Result<(Device, NewCredential), DeviceError> {
        let (cred, tag) = self.new_credential();
        let d = Device {
            id: format!("d-{}", random_symbols(8).to_lowercase()),
            name: name.into(),
            vendor,
            address: address.into(),
            reader: reader.into(),
            credential: tag,
            secured_at: now_s(),
            last_seen: 0,
            client_cert: None,
            release: PrinterRelease::default(),
        };
        self.file.update(|f| {
            if f.devices.values().any(|x| x.name.eq_ignore_ascii_case(name) || x.address.eq_ignore_ascii_case(address))
            {
                return Err(DeviceError::Exists(name.into()));
            }
            f.devices.insert(d.id.clone(), d.clone());
            Ok(())
        })?;
        Ok((d, cred))
    }

    /// A device by id, name or address.
    pub fn find(&self, key: &str) -> Option<Device> {
        let f = self.current();
        f.devices.get(key).cloned().or_else(|| {
            f.devices
                .values()
                .find(|d| d.name.eq_ignore_ascii_case(key) || d.address.eq_ignore_ascii_case(key))
                .cloned()
        })
    }

    /// Every device.
    pub fn list(&self) -> Vec<Device> {
        self.current().devices.values().cloned().collect()
    }

    /// The device holding `credential`, unless revoked.
    pub fn authenticate(&self, credential: &str) -> Option<Device> {
        if !credential.starts_with("ppd-") {
            return None;
        }
        let tag = self.tag(credential);
        self.current()
            .devices
            .values()
            .find(|d| !d.credential.is_empty() && ct_eq(d.credential.as_bytes(), tag.as_bytes()))
            .cloned()
    }

    /// Issue a new credential for a device (the old one stops working).
    pub fn rotate(&self, key: &str) -> Result<(Device, NewCredential), DeviceError> {
        let d = self.find(key).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
        let (cred, tag) = self.new_credential();
        let d = self.file.update(|f| {
            let x = f.devices.get_mut(&d.id).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
            x.credential = tag;
            Ok::<_, DeviceError>(x.clone())
        })?;
        Ok((d, cred))
    }

    /// Require (`Some`) or stop requiring (`None`) a client certificate of
    /// the device on its panel connections.
    pub fn pin_client_cert(&self, key: &str, sha256_hex: Option<String>) -> Result<Device, DeviceError> {
        let d = self.find(key).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
        self.file.update(|f| {
            let x = f.devices.get_mut(&d.id).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
            x.client_cert = sha256_hex;
            Ok(x.clone())
        })
    }

    /// Change how jobs reach a device.
    pub fn update_release(&self, key: &str, change: impl FnOnce(&mut PrinterRelease)) -> Result<Device, DeviceError> {
        let d = self.find(key).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
        self.file.update(|f| {
            let x = f.devices.get_mut(&d.id).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
            change(&mut x.release);
            Ok(x.clone())
        })
    }

    /// Revoke a device's credential, keeping its record.
    pub fn revoke(&self, key: &str) -> Result<Device, DeviceError> {
        let d = self.find(key).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
        self.file.update(|f| {
            let x = f.devices.get_mut(&d.id).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
            x.credential.clear();
            Ok(x.clone())
        })
    }

    /// Forget a device entirely (unsecure it).
    pub fn remove(&self, key: &str) -> Result<Device, DeviceError> {
        let d = self.find(key).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
        self.file.update(|f| f.devices.remove(&d.id).ok_or_else(|| DeviceError::NoSuchDevice(key.into())))
    }

    /// Note a heartbeat (written at most once a minute per device).
    pub fn seen(&self, id: &str) {
        let now = now_s();
        if self.current().devices.get(id).is_some_and(|d| now.saturating_sub(d.last_seen) < 60) {
            return;
        }
        let r = self.file.update(|f| {
            if let Some(d) = f.devices.get_mut(id) {
                d.last_seen = now;
            }
            Ok::<_, DeviceError>(())
        });
        if let Err(e) = r {
            log::error!("{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_credential_works_until_rotated_or_revoked() {
        let d = tempfile::tempdir().expect("tempdir");
        let reg = Devices::open(&d.path().join("devices.json"), [4u8; 32]).expect("open");
        let (dev, cred) = reg.add("2nd floor", Vendor::Km, "10.0.0.5", ReaderProfile::default()).expect("add");
        assert_eq!(reg.authenticate(cred.reveal()).map(|d| d.id), Some(dev.id.clone()));
        assert!(reg.authenticate("ppd-WRONG").is_none());
        assert!(matches!(
            reg.add("2nd Floor", Vendor::Hp, "10.0.0.6", ReaderProfile::default()),
            Err(DeviceError::Exists(_))
        ));
        let raw = std::fs::read_to_string(d.path().join("devices.json")).expect("read");
        assert!(!raw.contains(cred.reveal()), "a credential is stored in clear");
        let (_, cred2) = reg.rotate("10.0.0.5").expect("rotate");
        assert!(reg.authenticate(cred.reveal()).is_none(), "the old credential stops working");
        assert!(reg.authenticate(cred2.reveal()).is_some());
        assert!(reg.find("2nd floor").expect("find").accepts_connection(None), "no certificate needed by default");
        let pinned = reg.pin_client_cert("2nd floor", Some("ab".repeat(32))).expect("pin");
        assert!(!pinned.accepts_connection(None), "a pinned printer must present its certificate");
        assert!(!pinned.accepts_connection(Some(&"cd".repeat(32))), "another certificate is not enough");
        assert!(pinned.accepts_connection(Some(&"ab".repeat(32))));
        let (rotated, _) = reg.rotate(&dev.id).expect("rotate");
        assert_eq!(rotated.client_cert, pinned.client_cert, "rotating the credential keeps the pin");
        reg.revoke("2nd floor").expect("revoke");
        assert!(reg.authenticate(cred2.reveal()).is_none());
        assert!(reg.find(&dev.id).is_some(), "the record stays");
        reg.remove(&dev.id).expect("remove");
        assert!(reg.find(&dev.id).is_none());
    }
}
