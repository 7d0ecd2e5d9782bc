//! The printer makers Pullprint knows.

use serde::{Deserialize, Serialize};

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
