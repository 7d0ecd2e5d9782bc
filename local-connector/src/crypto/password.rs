//! The site recovery password: 30 Crockford base32 symbols (150 bits), shown
//! as six groups of five so that a person can copy it by hand. Crockford's
//! alphabet has no I, L, O or U; on input those read as 1, 1, 0 and are
//! refused respectively, and case, spaces and hyphens do not matter.

use super::CryptoError;
use rand::Rng;
use zeroize::{Zeroize, ZeroizeOnDrop};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const SYMBOLS: usize = 30;
const GROUP: usize = 5;

/// A freshly generated recovery password. It is shown once and never stored.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RecoveryPassword(String);

impl std::fmt::Debug for RecoveryPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryPassword(<redacted>)")
    }
}

impl RecoveryPassword {
    /// 30 symbols from the OS CSPRNG: 150 bits of entropy.
    pub fn generate() -> Self {
        RecoveryPassword(random_symbols(SYMBOLS))
    }

    /// The form fed to the key derivation: upper case, no separators.
    pub fn normalised(&self) -> &str {
        &self.0
    }

    /// The form shown to a person: `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`.
    pub fn display(&self) -> String {
        self.0
            .as_bytes()
            .chunks(GROUP)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// `symbols` random Crockford base32 symbols from the OS CSPRNG (5 bits each).
pub fn random_symbols(symbols: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..symbols).map(|_| ALPHABET[rng.gen_range(0..32)] as char).collect()
}

/// Turn what a person typed into the canonical form, or say what is wrong.
pub fn normalise_password(input: &str) -> Result<String, CryptoError> {
    let mut out = String::with_capacity(SYMBOLS);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' | '\n' | '\r' => continue,
            'I' | 'L' => '1',
            'O' => '0',
            c if ALPHABET.contains(&(c as u8)) && c.is_ascii() => c,
            other => {
                return Err(CryptoError::MalformedPassword(format!(
                    "character {other:?} is not used in recovery passwords"
                )));
            }
        };
        out.push(c);
    }
    if out.len() != SYMBOLS {
        return Err(CryptoError::MalformedPassword(format!(
            "expected {SYMBOLS} symbols (six groups of five), got {}",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_six_groups_and_round_trips() {
        let p = RecoveryPassword::generate();
        let shown = p.display();
        assert_eq!(shown.split('-').count(), 6);
        assert!(shown.split('-').all(|g| g.len() == 5));
        assert_eq!(normalise_password(&shown.to_lowercase()).expect("normalise"), p.normalised());
    }

    #[test]
    fn confusable_letters_are_read_as_digits() {
        let n = normalise_password("OOOOO IIIII LLLLL 00000-11111-22222").expect("normalise");
        assert_eq!(n, "000001111111111000001111122222");
    }

    #[test]
    fn wrong_length_and_bad_symbols_are_refused() {
        assert!(normalise_password("ABCDE").is_err());
        assert!(normalise_password("UUUUU-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA").is_err());
    }
}
