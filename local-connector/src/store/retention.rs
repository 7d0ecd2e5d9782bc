//! Retention: every job expires `store.retention` after it was submitted,
//! and the sweeper shreds what has expired. Unclaimed jobs are never printed.

use super::*;

impl JobStore {
    /// Shred every job whose retention ended at or before `now_ms`; returns how many.
    pub fn sweep_expired(&self, now_ms: u64) -> Result<usize, StoreError> {
        let mut doomed = Vec::new();
        for kv in self.inner.by_expiry.range(..(now_ms.saturating_add(1)).to_be_bytes().to_vec()) {
            let (k, _) = kv.at("find expired jobs")?;
            if let Some(id) = JobId::from_slice(&k[8..]) {
                doomed.push(id);
            }
        }
        let mut n = 0;
        for id in doomed {
            // A job on its way to a printer ends with its release, not here.
            if self.release_of(id).is_some_and(|r| r.state.in_flight()) {
                continue;
            }
            match self.discard(id, "expired", "system") {
                Ok(()) => n += 1,
                Err(StoreError::NotFound(_)) => {}
                Err(e) => log::error!("retention: could not shred job {id}: {e}"),
            }
        }
        Ok(n)
    }

    /// Forget the usage history (transactions and release records)
    /// recorded before `before_ms`, so that it does not grow without end;
    /// returns how many records went.
    pub fn prune_history(&self, before_ms: u64) -> Result<usize, StoreError> {
        let mut n = 0;
        for tree in [&self.inner.transactions, &self.inner.release_records, &self.inner.unprinted] {
            let old = tree
                .range(..before_ms.to_be_bytes().to_vec())
                .keys()
                .collect::<Result<Vec<_>, _>>()
                .at("find old usage records")?;
            for k in old {
                if tree.remove(k).at("forget old usage records")?.is_some() {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// How long a job parked now stays parked.
    pub fn retention(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.inner.retention_ms.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Change the retention. Jobs parked from now on expire `d` after they
    /// were submitted. A job already parked whose expiry is later than that
    /// is brought forward to it, so that a shorter retention applies at
    /// once; a longer one does not lengthen the life of jobs already
    /// parked. Returns how many were brought forward.
    pub fn set_retention(&self, d: std::time::Duration) -> Result<usize, StoreError> {
        let d_ms = crate::clock::duration_ms(d);
        self.inner.retention_ms.store(d_ms, std::sync::atomic::Ordering::Relaxed);
        let mut later = Vec::new();
        for kv in self.inner.by_expiry.iter() {
            let (k, _) = kv.at("find jobs to bring forward")?;
            let (Some(expires), Some(id)) = (k.get(..8), JobId::from_slice(&k[8..])) else { continue };
            let expires = u64::from_be_bytes(expires.try_into().unwrap_or_default());
            let mut submitted = [0u8; 8];
            submitted[2..].copy_from_slice(&id.0[..6]);
            // An id is made just before its job's submission time is
            // taken, so this is a bound: the exact time is in the metadata.
            if expires > u64::from_be_bytes(submitted).saturating_add(d_ms) {
                later.push(id);
            }
        }
        let mut n = 0;
        for id in later {
            let mut meta = match self.get(id) {
                Ok(m) => m,
                Err(StoreError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let due = meta.submitted_at_ms.saturating_add(d_ms);
            if meta.expires_at_ms > due {
                self.index_set_expiry(&mut meta, due)?;
                n += 1;
            }
        }
        self.inner.db.flush().at("bring expiries forward")?;
        Ok(n)
    }

    /// Shred expired jobs as of now.
    pub fn sweep_expired_now(&self) -> Result<usize, StoreError> {
        self.sweep_expired(now_ms())
    }
}
