//! Key material of a site: the recovery password, the site key derived from
//! it, the sub-keys derived from the site key, and sealing of small records.
//!
//! Hierarchy:
//!
//! ```text
//! recovery password (shown once at `pullprint init`, never stored)
//!   └─ PBKDF2-HMAC-SHA256(password, salt, ≥ 600 000) ─► site key (32 bytes, kept 0600)
//!        ├─ HMAC(site key, "pullprint/v1/job-kek")   ─► wraps each job's data key
//!        ├─ HMAC(site key, "pullprint/v1/card-id")   ─► keyed lookup of badge numbers
//!        ├─ HMAC(site key, "pullprint/v1/lockout")   ─► names in the lockout table
//!        ├─ HMAC(site key, "pullprint/v1/index")     ─► owner tags in the job index
//!        ├─ HMAC(site key, "pullprint/v1/seal")      ─► seals secrets inside backups
//!        ├─ HMAC(site key, "pullprint/v1/backup-manifest") ─► authenticates a backup's manifest
//!        └─ HMAC(site key, "pullprint/v1/key-check") ─► verifies a password on recovery
//! ```

mod password;
pub mod stream;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

pub use password::{RecoveryPassword, normalise_password, random_symbols};

/// The lowest PBKDF2 iteration count Pullprint accepts (OWASP 2023 guidance
/// for PBKDF2-HMAC-SHA256).
pub const MIN_PBKDF2_ITERATIONS: u32 = 600_000;

/// Errors of key handling.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The recovery password does not produce the key this site was made with.
    #[error("the recovery password does not match this site (key check failed)")]
    WrongPassword,
    /// The password is not of the shape `pullprint init` prints.
    #[error("the recovery password is malformed: {0}")]
    MalformedPassword(String),
    /// Stored parameters are below the floor or unreadable.
    #[error("key derivation parameters are unacceptable: {0}")]
    BadParams(String),
    /// An authenticated decryption failed: the data was altered, truncated,
    /// reordered or belongs to another record.
    #[error("authentication failed: the data was altered, truncated or swapped ({0})")]
    Tampered(&'static str),
}

type HmacSha256 = Hmac<Sha256>;

/// Derive a key from a normalised password with PBKDF2-HMAC-SHA256.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
    out
}

/// HMAC-SHA-256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Constant-time equality for secrets of equal length.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A secret typed by a person (a password, PIN or passcode) on its way to
/// its check: wiped from memory when dropped, never shown by `{:?}`, and
/// read and written in JSON as the plain string it is.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    /// The secret.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(zeroize::Zeroizing::new(s))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret::from(s.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Fill a fresh buffer from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// The public parameters that, with the recovery password, recreate the site
/// key. Stored beside the key as `keys/site.json`, and carried by backups.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeyParams {
    /// Format version of this record.
    pub version: u32,
    /// Always `pbkdf2-hmac-sha256`.
    pub kdf: String,
    /// PBKDF2 iteration count.
    pub iterations: u32,
    /// Random salt, hex.
    pub salt: String,
    /// First 16 bytes of HMAC(site key, "pullprint/v1/key-check"), hex: lets a
    /// recovery tell a wrong password from a right one without storing the key.
    pub key_check: String,
    /// Random identifier of this site, hex; shared by all appliances of a site.
    pub site_id: String,
}

impl KeyParams {
    /// Check the stored parameters against the floor and decode the salt.
    pub fn salt_bytes(&self) -> Result<Vec<u8>, CryptoError> {
        if self.kdf != "pbkdf2-hmac-sha256" {
            return Err(CryptoError::BadParams(format!("unknown kdf {:?}", self.kdf)));
        }
        if self.iterations < MIN_PBKDF2_ITERATIONS {
            return Err(CryptoError::BadParams(format!(
                "{} iterations is below the floor of {MIN_PBKDF2_ITERATIONS}",
                self.iterations
            )));
        }
        let salt = hex::decode(&self.salt).map_err(|e| CryptoError::BadParams(format!("salt: {e}")))?;
        if salt.len() < 16 {
            return Err(CryptoError::BadParams("salt shorter than 16 bytes".into()));
        }
        Ok(salt)
    }
}

/// The site key: the root of every key of the appliance.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SiteKey([u8; 32]);

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteKey(<redacted>)")
    }
}

impl SiteKey {
    /// Make a new site: a fresh password, salt and key.
    pub fn create(iterations: u32) -> Result<(RecoveryPassword, KeyParams, SiteKey), CryptoError> {
        if iterations < MIN_PBKDF2_ITERATIONS {
            return Err(CryptoError::BadParams(format!("{iterations} iterations is below the floor")));
        }
        let password = RecoveryPassword::generate();
        let salt = random_bytes::<16>();
        let key = SiteKey(pbkdf2_sha256(password.normalised().as_bytes(), &salt, iterations));
        let params = KeyParams {
            version: 1,
            kdf: "pbkdf2-hmac-sha256".into(),
            iterations,
            salt: hex::encode(salt),
            key_check: hex::encode(key.key_check()),
            site_id: hex::encode(random_bytes::<16>()),
        };
        Ok((password, params, key))
    }

    /// Recreate the site key from its password and stored parameters; a wrong
    /// password is detected by the key check.
    pub fn recover(password: &str, params: &KeyParams) -> Result<SiteKey, CryptoError> {
        let normalised = normalise_password(password)?;
        let salt = params.salt_bytes()?;
        let key = SiteKey(pbkdf2_sha256(normalised.as_bytes(), &salt, params.iterations));
        key.verify(params)?;
        Ok(key)
    }

    /// Confirm that this key belongs to the site described by `params`.
    pub fn verify(&self, params: &KeyParams) -> Result<(), CryptoError> {
        let expected = hex::decode(&params.key_check).map_err(|e| CryptoError::BadParams(format!("key_check: {e}")))?;
        if ct_eq(&self.key_check(), &expected) { Ok(()) } else { Err(CryptoError::WrongPassword) }
    }

    /// Wrap raw key bytes read from the key file.
    pub fn from_bytes(bytes: [u8; 32]) -> SiteKey {
        SiteKey(bytes)
    }

    /// The raw key, for writing the key file.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn key_check(&self) -> [u8; 16] {
        let full = self.derive("pullprint/v1/key-check");
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        hmac_sha256(&self.0, label.as_bytes())
    }

    /// The key-encryption key that wraps job data keys and seals job envelopes.
    pub fn job_kek(&self) -> SealKey {
        SealKey(self.derive("pullprint/v1/job-kek"))
    }

    /// The key that seals secrets placed inside backups.
    pub fn backup_seal(&self) -> SealKey {
        SealKey(self.derive("pullprint/v1/seal"))
    }

    /// The key under which a backup's manifest is authenticated (HMAC-SHA-256),
    /// so that a backup altered after it was made does not unlock.
    pub fn backup_manifest_key(&self) -> [u8; 32] {
        self.derive("pullprint/v1/backup-manifest")
    }

    /// The key under which the lockout table names what it counts (users,
    /// badges, addresses), a key of its own rather than the card secret's.
    pub fn lockout_secret(&self) -> [u8; 32] {
        self.derive("pullprint/v1/lockout")
    }

    /// The secret under which badge numbers are looked up (HMAC-SHA-256).
    pub fn card_secret(&self) -> [u8; 32] {
        self.derive("pullprint/v1/card-id")
    }

    /// The key under which print tokens are stored (HMAC-SHA-256).
    pub fn token_secret(&self) -> [u8; 32] {
        self.derive("pullprint/v1/print-token")
    }

    /// The key that chains the audit log's records (HMAC-SHA-256).
    pub fn audit_key(&self) -> [u8; 32] {
        self.derive("pullprint/v1/audit")
    }

    /// The key under which user names become stable pseudonyms where the
    /// privacy settings say to obfuscate them.
    pub fn pseudonym_key(&self) -> [u8; 32] {
        self.derive("pullprint/v1/pseudonym")
    }

    /// The key the cloud outbox seals its records under at rest.
    pub fn outbox_key(&self) -> [u8; 32] {
        self.derive("pullprint/v1/outbox")
    }

    /// The secret under which owner names are turned into index tags.
    pub fn index_secret(&self) -> [u8; 32] {
        self.derive("pullprint/v1/index")
    }
}

/// An AES-256-GCM key for sealing small records (envelopes, wrapped keys).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SealKey([u8; 32]);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(<redacted>)")
    }
}

impl SealKey {
    /// Build from raw bytes (job data keys use this too).
    pub fn from_bytes(bytes: [u8; 32]) -> SealKey {
        SealKey(bytes)
    }

    /// Seal `plaintext`, bound to `aad`: `nonce (12) || ciphertext || tag (16)`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new((&self.0).into());
        let nonce = random_bytes::<12>();
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            // Encryption only fails for inputs over 64 GiB, which records never are.
            .unwrap_or_else(|_| unreachable!("AES-GCM encryption of a small record failed"));
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Open a record made by [`SealKey::seal`] with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 12 + 16 {
            return Err(CryptoError::Tampered("sealed record too short"));
        }
        let cipher = Aes256Gcm::new((&self.0).into());
        let (nonce, ct) = sealed.split_at(12);
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
            .map_err(|_| CryptoError::Tampered("sealed record"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7914 §11, first PBKDF2-HMAC-SHA256 vector (truncated to 32 bytes).
    /// Regression (security review, finding 12): the card secret also
    /// keyed the lockout table. Every purpose has a key of its own.
    #[test]
    fn every_purpose_has_its_own_key() {
        let k = SiteKey::from_bytes([9u8; 32]);
        let keys = [k.card_secret(), k.lockout_secret(), k.token_secret(), k.backup_manifest_key(), k.index_secret()];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn pbkdf2_known_answer_rfc7914() {
        let out = pbkdf2_sha256(b"passwd", b"salt", 1);
        assert_eq!(hex::encode(out), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
    }

    /// The site key derivation at the production iteration count, checked
    /// against an independent implementation (Python's hashlib.pbkdf2_hmac).
    #[test]
    fn site_key_derivation_known_answer() {
        let salt: Vec<u8> = (0u8..16).collect();
        let out = pbkdf2_sha256(b"ABCDEFGHJKMNPQRSTVWXYZ0123456789", &salt, 600_000);
        assert_eq!(hex::encode(out), "c172c40f0f29bb3d98df9ed289d85de49ffdf116bc6b59a0339e7ba04b51af1b");
    }

    #[test]
    fn recover_with_right_and_wrong_password() {
        let (pw, params, key) = SiteKey::create(MIN_PBKDF2_ITERATIONS).expect("create");
        assert!(params.iterations >= 600_000);
        let again = SiteKey::recover(&pw.display().to_lowercase(), &params).expect("recover");
        assert_eq!(again.expose_bytes(), key.expose_bytes());
        let other = RecoveryPassword::generate();
        assert!(matches!(SiteKey::recover(&other.display(), &params), Err(CryptoError::WrongPassword)));
    }

    #[test]
    fn params_below_floor_are_refused() {
        let (_, mut params, _) = SiteKey::create(MIN_PBKDF2_ITERATIONS).expect("create");
        params.iterations = 1000;
        assert!(matches!(params.salt_bytes(), Err(CryptoError::BadParams(_))));
    }

    #[test]
    fn seal_binds_aad() {
        let k = SealKey::from_bytes(random_bytes());
        let s = k.seal(b"job-1", b"secret");
        assert_eq!(k.open(b"job-1", &s).expect("open"), b"secret");
        assert!(k.open(b"job-2", &s).is_err());
        let mut t = s.clone();
        t[14] ^= 1;
        assert!(k.open(b"job-1", &t).is_err());
    }

    #[test]
    fn debug_never_shows_key() {
        let k = SiteKey::from_bytes([7u8; 32]);
        assert_eq!(format!("{k:?}"), "SiteKey(<redacted>)");
    }
}
