//! The on-disk job file, `jobs/<id>.job`. It is the source of truth: the sled
//! index is rebuilt from these files after a crash.
//!
//! ```text
//! header   64 bytes   "PPJOB\0\x01\0" | job id (16) | nonce prefix (7) | 0 | chunk size u32 BE | 28 × 0
//! body     chunks     AES-256-GCM STREAM under the job's data key, header as AAD
//! trailer  envelope   seal(job KEK, aad = header, JSON {meta, data key})
//!          u32 BE     envelope length
//!          8 bytes    "PPEND\0\x01\0", or "PPSHRED\0" once the envelope is wiped
//! ```
//!
//! A file is written as `<id>.part`, fdatasynced, and renamed to `<id>.job`,
//! so a `.job` file is always complete. Shredding overwrites the envelope (the
//! only copy of the wrapped data key) and the end magic before unlinking.

use super::{JobId, JobMeta, StoreError};
use crate::crypto::stream::{CHUNK_U32, NONCE_PREFIX};
use crate::crypto::{CryptoError, SealKey};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use zeroize::Zeroizing;

pub(crate) const HEADER_LEN: usize = 64;
const MAGIC: &[u8; 8] = b"PPJOB\0\x01\0";
pub(crate) const END_MAGIC: &[u8; 8] = b"PPEND\0\x01\0";
pub(crate) const SHRED_MAGIC: &[u8; 8] = b"PPSHRED\0";
pub(crate) const TRAILER_FIXED: usize = 4 + 8;
/// Envelopes are small JSON records; anything larger is corruption.
const MAX_ENVELOPE: u32 = 1 << 20;

/// The fixed header of a job file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) id: JobId,
    pub(crate) nonce_prefix: [u8; NONCE_PREFIX],
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..24].copy_from_slice(&self.id.0);
        h[24..31].copy_from_slice(&self.nonce_prefix);
        h[32..36].copy_from_slice(&CHUNK_U32.to_be_bytes());
        h
    }

    pub(crate) fn decode(b: &[u8; HEADER_LEN]) -> Result<Header, &'static str> {
        if &b[..8] != MAGIC {
            return Err("not a job file (bad magic)");
        }
        if b[32..36] != CHUNK_U32.to_be_bytes() {
            return Err("unsupported chunk size");
        }
        if b[31] != 0 || b[36..].iter().any(|&x| x != 0) {
            return Err("reserved header bytes are not zero");
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&b[8..24]);
        let mut nonce_prefix = [0u8; NONCE_PREFIX];
        nonce_prefix.copy_from_slice(&b[24..31]);
        Ok(Header { id: JobId(id), nonce_prefix })
    }
}

/// What the sealed envelope carries.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Envelope {
    pub(crate) meta: JobMeta,
    /// The job's data key, hex. Zeroized by [`Envelope::wipe`] after use.
    pub(crate) data_key: String,
    /// Length of the sealed body in bytes.
    pub(crate) sealed_len: u64,
}

impl Envelope {
    /// Zero the data key held in this envelope's memory.
    pub(crate) fn wipe(&mut self) {
        use zeroize::Zeroize;
        self.data_key.zeroize();
    }
}

/// A job file opened and its envelope verified.
pub(crate) struct Opened {
    pub(crate) file: File,
    pub(crate) header: Header,
    pub(crate) header_bytes: [u8; HEADER_LEN],
    pub(crate) meta: JobMeta,
    pub(crate) data_key: Zeroizing<[u8; 32]>,
    pub(crate) sealed_len: u64,
    /// Offset of the envelope within the file (for shredding).
    pub(crate) envelope_at: u64,
}

/// The outcome of reading a job file's trailer.
pub(crate) enum Trailer {
    Intact(Box<Opened>),
    /// Shredded before a crash that came ahead of the unlink.
    Shredded,
}

/// Whether the job file at `path` ends in the shred mark: its envelope
/// was wiped, and only the unlink is left to do. One read of its last bytes.
pub(crate) fn is_shredded(path: &std::path::Path) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let f = File::open(path)?;
    let len = f.metadata()?.len();
    if len < (HEADER_LEN + TRAILER_FIXED) as u64 {
        return Ok(false);
    }
    let mut end = [0u8; 8];
    f.read_exact_at(&mut end, len - SHRED_MAGIC.len() as u64)?;
    Ok(&end == SHRED_MAGIC)
}

/// Open `file`, which should hold job `expect`, and verify its envelope.
pub(crate) fn open(mut file: File, expect: JobId, kek: &SealKey) -> Result<Trailer, StoreError> {
    let corrupt = |why: &str| StoreError::Corrupt { id: expect, why: why.to_string() };
    let len = file.metadata().map_err(|e| StoreError::io("stat job file", e))?.len();
    if len < (HEADER_LEN + TRAILER_FIXED) as u64 {
        return Err(corrupt("file shorter than header and trailer"));
    }
    let mut fixed = [0u8; TRAILER_FIXED];
    file.seek(SeekFrom::Start(len - TRAILER_FIXED as u64)).map_err(|e| StoreError::io("seek", e))?;
    file.read_exact(&mut fixed).map_err(|e| StoreError::io("read trailer", e))?;
    if &fixed[4..] == SHRED_MAGIC {
        return Ok(Trailer::Shredded);
    }
    if &fixed[4..] != END_MAGIC {
        return Err(corrupt("bad end magic"));
    }
    let env_len = u32::from_be_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]);
    if env_len > MAX_ENVELOPE || u64::from(env_len) + (HEADER_LEN + TRAILER_FIXED) as u64 > len {
        return Err(corrupt("envelope length out of range"));
    }
    let envelope_at = len - TRAILER_FIXED as u64 - u64::from(env_len);
    let mut header_bytes = [0u8; HEADER_LEN];
    file.seek(SeekFrom::Start(0)).map_err(|e| StoreError::io("seek", e))?;
    file.read_exact(&mut header_bytes).map_err(|e| StoreError::io("read header", e))?;
    let header = Header::decode(&header_bytes).map_err(corrupt)?;
    if header.id != expect {
        return Err(corrupt("file holds another job (swapped)"));
    }
    let mut sealed = vec![0u8; env_len as usize];
    file.seek(SeekFrom::Start(envelope_at)).map_err(|e| StoreError::io("seek", e))?;
    file.read_exact(&mut sealed).map_err(|e| StoreError::io("read envelope", e))?;
    let plain = Zeroizing::new(kek.open(&header_bytes, &sealed).map_err(|e| match e {
        CryptoError::Tampered(_) => corrupt("envelope fails authentication"),
        other => corrupt(&other.to_string()),
    })?);
    let mut env: Envelope = serde_json::from_slice(&plain).map_err(|e| corrupt(&format!("envelope: {e}")))?;
    if env.meta.id != expect {
        return Err(corrupt("envelope names another job"));
    }
    if HEADER_LEN as u64 + env.sealed_len != envelope_at {
        return Err(corrupt("body length does not match the envelope"));
    }
    let mut data_key = Zeroizing::new([0u8; 32]);
    let decoded = hex::decode_to_slice(env.data_key.as_bytes(), &mut data_key[..]);
    env.wipe();
    decoded.map_err(|_| corrupt("data key"))?;
    Ok(Trailer::Intact(Box::new(Opened {
        file,
        header,
        header_bytes,
        meta: env.meta,
        data_key,
        sealed_len: env.sealed_len,
        envelope_at,
    })))
}

/// What the last bytes of a job file (its `tail`, of a file `total` bytes
/// long starting with `header`) say, read without the body: for a copy of
/// the file held elsewhere, fetched by ranges.
#[derive(Debug)]
pub enum Peeked {
    /// The envelope opened: the job's metadata.
    Meta(Box<JobMeta>),
    /// The envelope is longer than `tail`: fetch this many last bytes.
    Need(u64),
}

/// Open the envelope of job `expect` from a file's `header` and `tail`.
pub(crate) fn peek(header: &[u8], tail: &[u8], total: u64, expect: JobId, kek: &SealKey) -> Result<Peeked, StoreError> {
    let corrupt = |why: &str| StoreError::Corrupt { id: expect, why: why.to_string() };
    if total < (HEADER_LEN + TRAILER_FIXED) as u64 || tail.len() < TRAILER_FIXED || header.len() != HEADER_LEN {
        return Err(corrupt("file shorter than header and trailer"));
    }
    let fixed = &tail[tail.len() - TRAILER_FIXED..];
    if &fixed[4..] != END_MAGIC {
        return Err(corrupt("bad end magic"));
    }
    let env_len = u32::from_be_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]);
    let need = u64::from(env_len) + TRAILER_FIXED as u64;
    if env_len > MAX_ENVELOPE || need + HEADER_LEN as u64 > total {
        return Err(corrupt("envelope length out of range"));
    }
    if (tail.len() as u64) < need {
        return Ok(Peeked::Need(need));
    }
    let h: &[u8; HEADER_LEN] = header.try_into().map_err(|_| corrupt("header"))?;
    if Header::decode(h).map_err(corrupt)?.id != expect {
        return Err(corrupt("file holds another job (swapped)"));
    }
    let sealed = &tail[tail.len() - env_len as usize - TRAILER_FIXED..tail.len() - TRAILER_FIXED];
    let plain = Zeroizing::new(kek.open(header, sealed).map_err(|_| corrupt("envelope fails authentication"))?);
    let mut env: Envelope = serde_json::from_slice(&plain).map_err(|e| corrupt(&format!("envelope: {e}")))?;
    env.wipe();
    if env.meta.id != expect {
        return Err(corrupt("envelope names another job"));
    }
    if HEADER_LEN as u64 + env.sealed_len + need != total {
        return Err(corrupt("body length does not match the envelope"));
    }
    Ok(Peeked::Meta(Box::new(env.meta)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_rejects_garbage() {
        let h = Header { id: JobId([9; 16]), nonce_prefix: [1; 7] };
        let b = h.encode();
        assert_eq!(Header::decode(&b).expect("decode"), h);
        let mut bad = b;
        bad[0] = b'X';
        assert!(Header::decode(&bad).is_err());
        let mut bad = b;
        bad[40] = 1;
        assert!(Header::decode(&bad).is_err());
    }
}
