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
            match self.delete(id) {
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
        for tree in [&self.inner.transactions, &self.inner.release_records] {
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

    /// Shred expired jobs as of now.
    pub fn sweep_expired_now(&self) -> Result<usize, StoreError> {
        self.sweep_expired(now_ms())
    }
}
