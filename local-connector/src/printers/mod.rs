//! The printer registry: every printer the appliance knows, below the
//! panel services, the release engine and the Device Scout, which all read
//! and write it here and depend on nothing of each other.
//!
//! A printer is secured by registering it: it gets a record and a device
//! credential (`ppd-` and 25 Crockford symbols, 125 bits), shown once and
//! stored only as an HMAC under the site's token secret. Every panel
//! request carries the credential; a revoked credential or an unsecured
//! device is refused at once. `directory/devices.json` is shared with the
//! command line ([`SharedJson`]) like the other directory files.
//!
//! - [`vendor`]: the makers; [`reader`]: card reader profiles;
//!   [`record`]: the device record, its release settings and capabilities.

pub mod reader;
pub mod record;
pub mod vendor;

pub use reader::StoredReader;
pub use record::{Capabilities, Device, PrinterRelease, dangerous_settings};
pub use vendor::Vendor;

use crate::badge::ReaderProfile;
use crate::clock::now_s;
use crate::crypto::{ct_eq, hmac_sha256, random_symbols};
use crate::shared::{SharedFileError, SharedJson};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

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
    key: zeroize::Zeroizing<[u8; 32]>,
}

impl Devices {
    /// Open `path`; `key` keys the stored credential hashes.
    pub fn open(path: &Path, key: [u8; 32]) -> Result<Devices, DeviceError> {
        Ok(Devices { file: SharedJson::open(path)?, key: zeroize::Zeroizing::new(key) })
    }

    fn current(&self) -> Arc<File> {
        self.file.snapshot().unwrap_or_else(|e| {
            log::error!("devices: {e}");
            Arc::new(File::default())
        })
    }

    fn tag(&self, credential: &str) -> String {
        hex::encode(hmac_sha256(self.key.as_slice(), format!("device:{credential}").as_bytes()))
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
            location: String::new(),
            label: Some(crate::labels::new_label_id()),
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
        let (cred, tag) = self.new_credential();
        let d = self.change(key, |x| x.credential = tag)?;
        Ok((d, cred))
    }

    /// Require (`Some`) or stop requiring (`None`) a client certificate of
    /// the device on its panel connections.
    pub fn pin_client_cert(&self, key: &str, sha256_hex: Option<String>) -> Result<Device, DeviceError> {
        self.change(key, |x| x.client_cert = sha256_hex)
    }

    /// Change how jobs reach a device.
    pub fn update_release(&self, key: &str, change: impl FnOnce(&mut PrinterRelease)) -> Result<Device, DeviceError> {
        self.change(key, |x| change(&mut x.release))
    }

    /// Revoke a device's credential, keeping its record.
    pub fn revoke(&self, key: &str) -> Result<Device, DeviceError> {
        self.change(key, |x| x.credential.clear())
    }

    /// Forget a device entirely (unsecure it).
    pub fn remove(&self, key: &str) -> Result<Device, DeviceError> {
        let d = self.find(key).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
        self.file.update(|f| f.devices.remove(&d.id).ok_or_else(|| DeviceError::NoSuchDevice(key.into())))
    }

    /// The device whose label carries `label`, if any.
    pub fn by_label(&self, label: &str) -> Option<Device> {
        if !crate::labels::is_label_id(label) {
            return None;
        }
        self.current().devices.values().find(|d| d.label.as_deref() == Some(label)).cloned()
    }

    /// A device with its label id, given one now if it has none yet.
    pub fn labelled(&self, key: &str) -> Result<Device, DeviceError> {
        match self.find(key) {
            Some(d) if d.label.is_some() => Ok(d),
            Some(_) => self.change(key, |x| {
                x.label.get_or_insert_with(crate::labels::new_label_id);
            }),
            None => Err(DeviceError::NoSuchDevice(key.into())),
        }
    }

    /// The label of device `key` (given a label id first if it has none),
    /// its address under `web_base` (`https://HOST[:PORT]`).
    pub fn label_for(&self, key: &str, web_base: &str) -> Result<crate::labels::Label, DeviceError> {
        let d = self.labelled(key)?;
        Ok(crate::labels::Label {
            url: crate::labels::release_url(web_base, d.label.as_deref().unwrap_or_default()),
            name: d.name,
            location: d.location,
        })
    }

    /// Give a device a new label id: its old labels stop working (for a
    /// label stolen or copied).
    pub fn rotate_label(&self, key: &str) -> Result<Device, DeviceError> {
        self.change(key, |x| x.label = Some(crate::labels::new_label_id()))
    }

    /// Say where a device stands.
    pub fn set_location(&self, key: &str, location: &str) -> Result<Device, DeviceError> {
        let location = location.trim().to_owned();
        self.change(key, |x| x.location = location)
    }

    fn change(&self, key: &str, change: impl FnOnce(&mut Device)) -> Result<Device, DeviceError> {
        let d = self.find(key).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
        self.file.update(|f| {
            let x = f.devices.get_mut(&d.id).ok_or_else(|| DeviceError::NoSuchDevice(key.into()))?;
            change(x);
            Ok(x.clone())
        })
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

    #[test]
    fn a_label_finds_its_printer_until_rotated_and_names_nothing_of_it() {
        let d = tempfile::tempdir().expect("tempdir");
        let reg = Devices::open(&d.path().join("devices.json"), [4u8; 32]).expect("open");
        let (dev, _) = reg.add("Lobby", Vendor::Hp, "10.0.0.7", ReaderProfile::default()).expect("add");
        let label = dev.label.clone().expect("a new printer has a label");
        assert!(!label.contains("lobby") && !label.contains("10.0.0.7") && !label.contains(&dev.id));
        assert_eq!(reg.by_label(&label).map(|d| d.id), Some(dev.id.clone()));
        assert!(reg.by_label("lobby").is_none() && reg.by_label(&dev.id).is_none());
        let moved = reg.set_location("Lobby", "  Ground floor, by the door ").expect("location");
        assert_eq!(moved.location, "Ground floor, by the door");
        let rotated = reg.rotate_label("Lobby").expect("rotate");
        assert!(reg.by_label(&label).is_none(), "the old label stops working");
        assert_eq!(reg.by_label(rotated.label.as_deref().expect("label")).map(|d| d.id), Some(dev.id.clone()));
        // A printer registered before labels gets one when first asked.
        reg.change("Lobby", |x| x.label = None).expect("forget");
        let given = reg.labelled("Lobby").expect("labelled").label.expect("label");
        assert_eq!(reg.labelled("Lobby").expect("again").label, Some(given), "asked again, the same");
    }
}
