//! The store's side of releasing: the per-job release requests the panel
//! queues and the release engine moves along, the records of releases that
//! ended, and jobs kept for reprint after they printed.
//!
//! Every change here is flushed to disk before it returns: a release the
//! panel acknowledged, or a step the engine took towards the printer,
//! survives a crash.

use super::IndexStep;
use super::sync;
use super::{JobId, JobStore, ReleaseRecord, ReleaseRequest, ReleaseState, StoreError};
use crate::clock::now_ms;
use crate::fault;
use std::io;

fn encode<T: serde::Serialize>(step: &'static str, v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|source| StoreError::Record { step, source })
}

/// Tells whoever works the release queue that a printer's queue has new
/// work. Whoever queues a release ([`JobStore::request_release`]) calls it
/// once the request is on disk; the release engine implements it. It sits
/// here, beside the queue it speaks of, so that the panel and the engine
/// need nothing of each other.
pub trait ReleaseWake: Send + Sync + std::fmt::Debug {
    /// The queue of printer `device` has work. Call within the runtime.
    fn wake(&self, device: &str);
}

/// What [`JobStore::request_release`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// Queued (or queued again after a failure, or moved to this printer).
    Queued(ReleaseRequest),
    /// Already on its way to a printer; left alone, so it is not sent twice.
    InFlight(ReleaseRequest),
}

impl JobStore {
    /// Queue job `id` for printing at `device`, on its owner's request. The
    /// request is on disk when this returns. Asking again after a failure
    /// queues a retry; asking again while the job is in flight changes
    /// nothing, so that it cannot be printed twice.
    pub fn request_release(&self, id: JobId, device: &str, by: &str) -> Result<Requested, StoreError> {
        self.get(id)?;
        let old = self.release_of(id);
        if let Some(r) = old.as_ref().filter(|r| r.state.in_flight()) {
            return Ok(Requested::InFlight(r.clone()));
        }
        let r = ReleaseRequest {
            device: device.into(),
            by: by.into(),
            requested_at_ms: now_ms(),
            state: ReleaseState::Queued,
            attempts: old.map_or(0, |o| o.attempts),
        };
        self.inner.releases.insert(id.0, encode("encode release", &r)?).at("queue a release")?;
        self.inner.db.flush().at("queue a release")?;
        fault::point("release.queued.after");
        Ok(Requested::Queued(r))
    }

    /// The release requested for job `id`, if any.
    pub fn release_of(&self, id: JobId) -> Option<ReleaseRequest> {
        let v = self.inner.releases.get(id.0).ok()??;
        serde_json::from_slice(&v).ok()
    }

    /// Every release request, in submission order of their jobs.
    pub fn pending_releases(&self) -> Result<Vec<(JobId, ReleaseRequest)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.inner.releases.iter() {
            let (k, v) = kv.at("read the release queue")?;
            if let (Some(id), Ok(r)) = (JobId::from_slice(&k), serde_json::from_slice::<ReleaseRequest>(&v)) {
                out.push((id, r));
            }
        }
        Ok(out)
    }

    /// The oldest release at `device` that is not failed: the next one
    /// its queue works on.
    pub fn next_release_at(&self, device: &str) -> Result<Option<(JobId, ReleaseRequest)>, StoreError> {
        Ok(self
            .pending_releases()?
            .into_iter()
            .find(|(_, r)| r.device == device && !matches!(r.state, ReleaseState::Failed { .. })))
    }

    /// [`JobStore::next_release_at`], passing over the jobs in `skip` (the
    /// ones the printer took and that are being followed).
    pub fn next_release_at_skipping(
        &self,
        device: &str,
        skip: &std::collections::HashSet<JobId>,
    ) -> Result<Option<(JobId, ReleaseRequest)>, StoreError> {
        Ok(self.pending_releases()?.into_iter().find(|(id, r)| {
            r.device == device && !matches!(r.state, ReleaseState::Failed { .. }) && !skip.contains(id)
        }))
    }

    /// Move the release of job `id` to `state`, counting an attempt when
    /// `new_attempt`. On disk when this returns.
    pub fn set_release_state(&self, id: JobId, state: ReleaseState, new_attempt: bool) -> Result<(), StoreError> {
        let Some(mut r) = self.release_of(id) else { return Err(StoreError::NotFound(id)) };
        let (before, after) = match state {
            ReleaseState::Sending { .. } => ("release.sending.before", "release.sending.after"),
            ReleaseState::Submitted { .. } => ("release.submitted.before", "release.submitted.after"),
            _ => ("", ""),
        };
        fault::point(before);
        r.state = state;
        if new_attempt {
            r.attempts += 1;
        }
        self.inner.releases.insert(id.0, encode("encode release", &r)?).at("record a release step")?;
        self.inner.db.flush().at("record a release step")?;
        fault::point(after);
        Ok(())
    }

    /// Forget the release request of job `id`, whatever its state (its job is gone).
    pub fn drop_release(&self, id: JobId) -> Result<(), StoreError> {
        self.inner.releases.remove(id.0).at("drop a release")?;
        self.inner.db.flush().at("drop a release")?;
        Ok(())
    }

    /// Withdraw the release request of job `id` unless it is in flight;
    /// true when one was withdrawn.
    pub fn cancel_release(&self, id: JobId) -> Result<bool, StoreError> {
        match self.release_of(id) {
            Some(r) if r.state.in_flight() => Ok(false),
            Some(_) => Ok(self.inner.releases.remove(id.0).at("withdraw a release")?.is_some()),
            None => Ok(false),
        }
    }

    /// Record how a release ended, and when it printed, end the request:
    /// the job is shredded, or, with `keep_until_ms`, kept (marked printed)
    /// until then for a reprint. On disk when this returns.
    ///
    /// A job that printed is marked printed, and set to expire when its
    /// reprint window ends (at once without one), before its request ends,
    /// and all of that is flushed before the shred. A crash before the shred
    /// then leaves a job that Print All passes over and that the retention
    /// sweeper shreds when the daemon starts, never a job parked again that
    /// a release would send a second time.
    pub fn finish_release(&self, rec: &ReleaseRecord, keep_until_ms: Option<u64>) -> Result<(), StoreError> {
        fault::point("release.finish.before");
        let mut k = rec.at_ms.to_be_bytes().to_vec();
        k.extend_from_slice(&crate::crypto::random_bytes::<8>());
        let record = encode("encode release record", rec)?;
        // Staged before the flush below, which commits it with the release record.
        self.inner
            .outbox
            .push(sync::released(rec))
            .map_err(|e| StoreError::io("stage a release", io::Error::other(e)))?;
        if rec.outcome == "failed" {
            self.inner.release_records.insert(k, record).at("record a finished release")?;
            self.inner.db.flush().at("record a finished release")?;
            return Ok(());
        }
        let job = match self.get(rec.job) {
            Ok(mut meta) => {
                self.index_set_expiry(&mut meta, keep_until_ms.unwrap_or(rec.at_ms))?;
                self.inner.printed.insert(rec.job.0, &rec.at_ms.to_be_bytes()).at("record a finished release")?;
                true
            }
            // Gone already (an admin shredded it meanwhile): only the record is left to write.
            Err(StoreError::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        self.inner.release_records.insert(k, record).at("record a finished release")?;
        self.inner.releases.remove(rec.job.0).at("record a finished release")?;
        self.inner.db.flush().at("record a finished release")?;
        if job && keep_until_ms.is_none() {
            fault::point("release.finish.after_record");
            self.delete_because(rec.job, ("printed", &rec.by))?;
        }
        Ok(())
    }

    /// Whether any job is kept for reprint.
    pub fn any_printed(&self) -> bool {
        !self.inner.printed.is_empty()
    }

    /// When job `id` printed, for a job kept for reprint.
    pub fn printed_at(&self, id: JobId) -> Option<u64> {
        let v = self.inner.printed.get(id.0).ok()??;
        Some(u64::from_be_bytes(v.as_ref().try_into().ok()?))
    }

    /// Release records since `since_ms`, oldest first (at most `limit`).
    pub fn release_records_since(&self, since_ms: u64, limit: usize) -> Result<Vec<ReleaseRecord>, StoreError> {
        super::records_since(&self.inner.release_records, since_ms, limit)
    }
}
