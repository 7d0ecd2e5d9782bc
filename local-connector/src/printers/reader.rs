//! A printer's card reader profile, as stored in its record.

use crate::badge::{Encoding, ReaderProfile};
use serde::{Deserialize, Serialize};

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
