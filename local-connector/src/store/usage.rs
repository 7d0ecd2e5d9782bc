//! What the store keeps for reports: jobs that ended without printing
//! (expired, or deleted), beside the release records of those that did.
//! Each is written before the job is shredded, so a crash between the two
//! never loses the record of a job that is gone.

use super::{IndexStep, JobId, JobStore, ReleaseRecord, StoreError, Unprinted};
use crate::clock::now_ms;

impl JobStore {
    /// Shred job `id` because it `reason` (`expired`, `deleted`), by `by`,
    /// recording what it would have printed.
    pub fn discard(&self, id: JobId, reason: &str, by: &str) -> Result<(), StoreError> {
        let meta = self.get(id)?;
        // A job kept for reprint after it printed is not paper saved.
        let printed = self.printed_at(id).is_some();
        if !printed {
            let rec = Unprinted {
                job: id,
                owner: meta.owner.clone(),
                pages: meta.pages,
                copies: meta.copies,
                color: meta.color,
                sides: meta.sides,
                reason: reason.into(),
                by: by.into(),
                at_ms: now_ms(),
            };
            let mut k = rec.at_ms.to_be_bytes().to_vec();
            k.extend_from_slice(&crate::crypto::random_bytes::<8>());
            let v = serde_json::to_vec(&rec)
                .map_err(|source| StoreError::Record { step: "encode a usage record", source })?;
            self.inner.unprinted.insert(k, v).at("record a job that did not print")?;
            self.inner.db.flush().at("record a job that did not print")?;
        }
        self.delete_because(id, (if printed { "printed" } else { reason }, by))
    }

    /// Jobs that ended without printing between `from_ms` and `to_ms`, oldest first.
    pub fn unprinted_between(&self, from_ms: u64, to_ms: u64) -> Result<Vec<Unprinted>, StoreError> {
        between(&self.inner.unprinted, from_ms, to_ms)
    }

    /// Releases that ended between `from_ms` and `to_ms`, oldest first.
    pub fn releases_between(&self, from_ms: u64, to_ms: u64) -> Result<Vec<ReleaseRecord>, StoreError> {
        between(&self.inner.release_records, from_ms, to_ms)
    }
}

/// The JSON records of `tree` (keyed by ms, then random bytes) between
/// `from_ms` and `to_ms`, oldest first; unreadable ones skipped.
fn between<T: serde::de::DeserializeOwned>(tree: &sled::Tree, from_ms: u64, to_ms: u64) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for kv in tree.range(from_ms.to_be_bytes().to_vec()..to_ms.to_be_bytes().to_vec()) {
        let (_, v) = kv.at("read usage records")?;
        if let Ok(t) = serde_json::from_slice(&v) {
            out.push(t);
        }
    }
    Ok(out)
}
