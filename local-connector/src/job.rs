//! The ground-floor job types that the store, the analysers, the queue and
//! the panel all speak of: a job's identity, its colour use and its sides.

use crate::clock::now_ms;
use crate::crypto::random_bytes;
use serde::{Deserialize, Serialize};

/// A job's identifier: 48 bits of milliseconds since the epoch then 80 random
/// bits, so that ids sort in submission order and never collide.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub [u8; 16]);

impl JobId {
    /// A fresh id for now.
    pub fn new() -> JobId {
        let ms = now_ms();
        let mut b = random_bytes::<16>();
        b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
        JobId(b)
    }

    /// Parse the 32-hex-digit form.
    pub fn parse(s: &str) -> Option<JobId> {
        let mut b = [0u8; 16];
        if s.len() != 32 || !s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) {
            return None;
        }
        hex::decode_to_slice(s, &mut b).ok()?;
        Some(JobId(b))
    }

    /// From 16 raw bytes.
    pub fn from_slice(b: &[u8]) -> Option<JobId> {
        Some(JobId(b.try_into().ok()?))
    }
}

impl Default for JobId {
    fn default() -> Self {
        JobId::new()
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JobId({self})")
    }
}

impl Serialize for JobId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for JobId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        JobId::parse(&s).ok_or_else(|| serde::de::Error::custom("bad job id"))
    }
}

/// Colour use, as far as analysis could tell (IPP `print-color-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ColorMode {
    /// The document uses colour.
    Color,
    /// The document is monochrome.
    Monochrome,
    /// Not determined.
    #[default]
    Unknown,
}

/// Sides, with IPP `sides` keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Sides {
    /// `one-sided`
    #[default]
    OneSided,
    /// `two-sided-long-edge`
    TwoSidedLongEdge,
    /// `two-sided-short-edge`
    TwoSidedShortEdge,
}
