//! Badge numbers: what a card reader types, turned into one canonical
//! identity per card, whichever reader read it.
//!
//! Printer card readers differ in how they report the same card: the card's
//! UID in hex or in decimal, most or least significant byte first, or the
//! raw Wiegand frame with its facility code and parity bits. A
//! [`ReaderProfile`] says how one reader reports; [`normalise`] turns its
//! output into the canonical form that is then keyed (HMAC) and stored:
//!
//! - UID cards (MIFARE, iCLASS CSN ...): `uid:` and the UID bytes in hex,
//!   most significant first, upper case;
//! - Wiegand 26 (H10301): `w26:` facility `:` card number, after checking
//!   both parity bits (or `card:` and the number alone, for sites whose
//!   readers drop the facility code).
//!
//! Nothing here is secret-dependent and nothing is stored: the canonical
//! string goes straight to the keyed hash.

/// How a reader encodes a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The UID in hex (`04:A1:B2:C3`, `04a1b2c3`, `0x04A1B2C3`).
    Hex,
    /// The UID as a decimal number.
    Decimal,
    /// A 26-bit Wiegand frame, as 26 binary digits or as a decimal or `0x` hex number.
    Wiegand26,
}

/// One reader's way of reporting cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderProfile {
    /// How the number is written.
    pub encoding: Encoding,
    /// The reader reports the UID least significant byte first.
    pub reversed: bool,
    /// UID length in bytes, for decimal readers that drop leading zero bytes (4 or 7 for MIFARE).
    pub uid_bytes: usize,
    /// Wiegand: identify by card number alone (readers that lose the facility code).
    pub ignore_facility: bool,
}

impl Default for ReaderProfile {
    fn default() -> Self {
        ReaderProfile { encoding: Encoding::Hex, reversed: false, uid_bytes: 4, ignore_facility: false }
    }
}

/// Why a reading is not a badge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadgeError {
    /// Not a number in the profile's encoding.
    #[error("the reading is not a {0} card number")]
    Malformed(&'static str),
    /// A Wiegand frame whose parity bits are wrong (a misread).
    #[error("the Wiegand frame fails its parity check (a misread; swipe again)")]
    Parity,
}

/// Longest UID accepted (10 bytes covers every ISO 14443 UID).
const MAX_UID: usize = 10;

fn uid(mut bytes: Vec<u8>, reversed: bool) -> String {
    if reversed {
        bytes.reverse();
    }
    format!("uid:{}", hex::encode_upper(bytes))
}

/// The canonical identity of the card a reader reported as `raw`.
pub fn normalise(raw: &str, p: &ReaderProfile) -> Result<String, BadgeError> {
    // Hex readers group bytes with spaces, colons or dashes; numbers have none.
    let hex = p.encoding == Encoding::Hex;
    let s: String = raw.trim().chars().filter(|c| !(*c == ' ' || (hex && matches!(c, ':' | '-')))).collect();
    match p.encoding {
        Encoding::Hex => {
            let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(&s);
            if h.is_empty() || h.len() > 2 * MAX_UID || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(BadgeError::Malformed("hex"));
            }
            let padded = if h.len() % 2 == 1 { format!("0{h}") } else { h.to_owned() };
            let bytes = hex::decode(padded).map_err(|_| BadgeError::Malformed("hex"))?;
            Ok(uid(bytes, p.reversed))
        }
        Encoding::Decimal => {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BadgeError::Malformed("decimal"));
            }
            let n: u128 = s.parse().map_err(|_| BadgeError::Malformed("decimal"))?;
            let all = n.to_be_bytes();
            let significant = all.iter().position(|&b| b != 0).map_or(1, |i| all.len() - i);
            let len = significant.max(p.uid_bytes.clamp(1, MAX_UID));
            if len > MAX_UID {
                return Err(BadgeError::Malformed("decimal"));
            }
            Ok(uid(all[all.len() - len..].to_vec(), p.reversed))
        }
        Encoding::Wiegand26 => {
            let frame: u32 = if s.len() == 26 && s.bytes().all(|b| b == b'0' || b == b'1') {
                u32::from_str_radix(&s, 2).map_err(|_| BadgeError::Malformed("Wiegand 26"))?
            } else if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                u32::from_str_radix(h, 16).map_err(|_| BadgeError::Malformed("Wiegand 26"))?
            } else {
                s.parse().map_err(|_| BadgeError::Malformed("Wiegand 26"))?
            };
            if frame >> 26 != 0 {
                return Err(BadgeError::Malformed("Wiegand 26"));
            }
            // Bit 25 is even parity over bits 24..13; bit 0 is odd parity over bits 12..1.
            let even_ok = (frame >> 13).count_ones().is_multiple_of(2);
            let odd_ok = (frame & 0x1fff).count_ones() % 2 == 1;
            if !(even_ok && odd_ok) {
                return Err(BadgeError::Parity);
            }
            let facility = (frame >> 17) & 0xff;
            let card = (frame >> 1) & 0xffff;
            Ok(if p.ignore_facility { format!("card:{card}") } else { format!("w26:{facility}:{card}") })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(encoding: Encoding, reversed: bool) -> ReaderProfile {
        ReaderProfile { encoding, reversed, ..ReaderProfile::default() }
    }

    #[test]
    fn one_card_is_one_identity_whichever_reader_reads_it() {
        // MIFARE UID 04 A1 B2 C3, as four different readers report it.
        let readings = [
            ("04:a1:b2:c3", profile(Encoding::Hex, false)),
            ("0x04A1B2C3", profile(Encoding::Hex, false)),
            ("C3B2A104", profile(Encoding::Hex, true)),
            (&*u32::from_be_bytes([0x04, 0xa1, 0xb2, 0xc3]).to_string(), profile(Encoding::Decimal, false)),
            (&*u32::from_le_bytes([0x04, 0xa1, 0xb2, 0xc3]).to_string(), profile(Encoding::Decimal, true)),
        ];
        for (raw, p) in readings {
            assert_eq!(normalise(raw, &p).as_deref(), Ok("uid:04A1B2C3"), "{raw} with {p:?}");
        }
        // A decimal reader drops the UID's leading zero byte; the profile's length restores it.
        let n = u32::from_be_bytes([0x00, 0x12, 0x34, 0x56]).to_string();
        assert_eq!(normalise(&n, &profile(Encoding::Decimal, false)).as_deref(), Ok("uid:00123456"));
        // A 7-byte UID stays whole.
        assert_eq!(
            normalise("04 11 22 33 44 55 66", &profile(Encoding::Hex, false)).as_deref(),
            Ok("uid:04112233445566")
        );
    }

    /// A 26-bit frame for facility `f` and card `c`, with correct parity.
    fn w26(f: u32, c: u32) -> u32 {
        let body = (f << 16) | c;
        let high = body >> 12; // the 12 bits under the even parity bit
        let low = body & 0xfff; // the 12 bits under the odd parity bit
        let even = high.count_ones() % 2;
        let odd = 1 - low.count_ones() % 2;
        (even << 25) | (body << 1) | odd
    }

    #[test]
    fn wiegand_frames_give_facility_and_card_and_misreads_are_caught() {
        let frame = w26(123, 45678);
        let p = profile(Encoding::Wiegand26, false);
        for raw in [format!("{frame:026b}"), frame.to_string(), format!("0x{frame:07X}")] {
            assert_eq!(normalise(&raw, &p).as_deref(), Ok("w26:123:45678"), "{raw}");
        }
        let card_only = ReaderProfile { ignore_facility: true, ..p };
        assert_eq!(normalise(&frame.to_string(), &card_only).as_deref(), Ok("card:45678"));
        // One flipped bit anywhere is a misread.
        for bit in 0..26 {
            assert_eq!(normalise(&(frame ^ (1 << bit)).to_string(), &p), Err(BadgeError::Parity), "bit {bit}");
        }
        assert!(normalise(&(1u32 << 27).to_string(), &p).is_err());
    }

    #[test]
    fn junk_is_refused() {
        for (raw, enc) in [
            ("", Encoding::Hex),
            ("xyz", Encoding::Hex),
            ("0123456789abcdef0123456789", Encoding::Hex),
            ("12a", Encoding::Decimal),
            ("-5", Encoding::Decimal),
            ("99999999999999999999999999999", Encoding::Decimal),
            ("hello", Encoding::Wiegand26),
        ] {
            assert!(normalise(raw, &profile(enc, false)).is_err(), "{raw:?} as {enc:?}");
        }
    }
}
