//! Browsing the store for the admin console: parked jobs and ended
//! releases, newest first, a page at a time. Each page walks one index
//! within its key range (an owner's jobs, a span of time) and reads at most
//! [`MAX_SCAN`] candidates before it hands back a cursor, so that no
//! request reads the whole store.

use super::{IndexStep, JobId, JobMeta, JobStore, ReleaseRecord, ReleaseState, StoreError};

/// Candidates one page reads at most before it hands back a cursor.
const MAX_SCAN: usize = 5_000;

/// Where a parked job has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Parked, waiting for its owner.
    Held,
    /// Its owner asked for it at a printer; waiting its turn there.
    Queued,
    /// On its way to a printer, or printing.
    Printing,
    /// The last release failed; it is held again.
    Failed,
    /// Printed, kept for reprint until it expires.
    Printed,
}

impl JobState {
    /// Its name, as the console writes it and its filter reads it.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Held => "held",
            JobState::Queued => "queued",
            JobState::Printing => "printing",
            JobState::Failed => "failed",
            JobState::Printed => "printed",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Option<JobState> {
        [JobState::Held, JobState::Queued, JobState::Printing, JobState::Failed, JobState::Printed]
            .into_iter()
            .find(|j| j.name() == s)
    }
}

/// What to list; every filter optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only this owner's jobs.
    pub owner: Option<String>,
    /// Only jobs released (or being released) at this device.
    pub device: Option<String>,
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs submitted at or after this time (ms).
    pub from_ms: Option<u64>,
    /// Only jobs submitted before this time (ms).
    pub to_ms: Option<u64>,
    /// Only jobs older than this one (the cursor of the next page).
    pub before: Option<JobId>,
    /// At most this many.
    pub limit: usize,
}

/// A parked job, with where it has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedJob {
    /// Its metadata.
    pub meta: JobMeta,
    /// Its state.
    pub state: JobState,
    /// The printer it is queued at, printing at, or last failed at.
    pub device: Option<String>,
    /// Why its last release failed.
    pub reason: Option<String>,
}

/// One page of parked jobs, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobPage {
    /// The jobs.
    pub jobs: Vec<ParkedJob>,
    /// The cursor of the next (older) page, if there may be one.
    pub next: Option<JobId>,
}

/// Which ended releases to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Only this owner's jobs.
    pub owner: Option<String>,
    /// Only at this device.
    pub device: Option<String>,
    /// Only releases that ended at or after this time (ms).
    pub from_ms: Option<u64>,
    /// Only releases that ended before this time (ms).
    pub to_ms: Option<u64>,
    /// Only releases older than this cursor.
    pub before: Option<[u8; 16]>,
    /// At most this many.
    pub limit: usize,
}

/// One page of ended releases, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryPage {
    /// The releases.
    pub releases: Vec<ReleaseRecord>,
    /// The cursor of the next (older) page, if there may be one.
    pub next: Option<[u8; 16]>,
}

/// The lowest job id of millisecond `ms` (ids begin with their 48-bit time).
fn id_floor(ms: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&ms.min((1 << 48) - 1).to_be_bytes()[2..]);
    b
}

impl JobStore {
    /// Where job `id` has got to, the printer concerned, and why its last
    /// release failed.
    pub fn state_of(&self, id: JobId) -> (JobState, Option<String>, Option<String>) {
        if self.printed_at(id).is_some() {
            return (JobState::Printed, None, None);
        }
        match self.release_of(id) {
            None => (JobState::Held, None, None),
            Some(r) => match r.state {
                ReleaseState::Queued => (JobState::Queued, Some(r.device), None),
                ReleaseState::Sending { .. } | ReleaseState::Submitted { .. } => {
                    (JobState::Printing, Some(r.device), None)
                }
                ReleaseState::Failed { reason, .. } => (JobState::Failed, Some(r.device), Some(reason)),
            },
        }
    }

    /// One page of parked jobs matching `f`, newest first.
    pub fn browse(&self, f: &JobFilter) -> Result<JobPage, StoreError> {
        let lo = id_floor(f.from_ms.unwrap_or(0));
        let mut hi = f.to_ms.map_or([0xff; 16], id_floor);
        if let Some(b) = f.before {
            hi = hi.min(b.0);
        }
        let mut page = JobPage::default();
        if lo >= hi {
            return Ok(page);
        }
        let limit = f.limit.clamp(1, 500);
        let ids: Box<dyn Iterator<Item = Result<JobId, StoreError>>> = match &f.owner {
            Some(owner) => {
                let tag = self.owner_tag(owner);
                let key = |id: [u8; 16]| [&tag[..], &id[..]].concat();
                Box::new(self.inner.by_owner.range(key(lo)..key(hi)).rev().map(|kv| {
                    let (k, _) = kv.at("list an owner's jobs")?;
                    JobId::from_slice(&k[16..])
                        .ok_or_else(|| StoreError::Corrupt { id: JobId([0; 16]), why: "owner index key".into() })
                }))
            }
            None => Box::new(self.inner.by_id.range(lo..hi).rev().map(|kv| {
                let (k, _) = kv.at("list jobs")?;
                JobId::from_slice(&k).ok_or_else(|| StoreError::Corrupt { id: JobId([0; 16]), why: "index key".into() })
            })),
        };
        for (scanned, id) in ids.enumerate() {
            let id = id?;
            if scanned >= MAX_SCAN || page.jobs.len() == limit {
                page.next = Some(JobId(id_after(id.0)));
                break;
            }
            let meta = match self.get(id) {
                Ok(m) => m,
                Err(StoreError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            if f.owner.as_ref().is_some_and(|o| *o != meta.owner) {
                continue;
            }
            let (state, device, reason) = self.state_of(id);
            if f.state.is_some_and(|s| s != state) || f.device.as_ref().is_some_and(|d| Some(d) != device.as_ref()) {
                continue;
            }
            page.jobs.push(ParkedJob { meta, state, device, reason });
        }
        Ok(page)
    }

    /// How many parked jobs were submitted at or after `from_ms` (reads
    /// index keys only).
    pub fn parked_since(&self, from_ms: u64) -> usize {
        self.inner.by_id.range(id_floor(from_ms)..).count()
    }

    /// One page of ended releases matching `f`, newest first.
    pub fn release_history(&self, f: &HistoryFilter) -> Result<HistoryPage, StoreError> {
        let key = |ms: u64| [ms.to_be_bytes(), [0; 8]].concat();
        let lo = key(f.from_ms.unwrap_or(0));
        let mut hi = f.to_ms.map_or_else(|| vec![0xff; 16], key);
        if let Some(b) = f.before {
            hi = hi.min(b.to_vec());
        }
        let mut page = HistoryPage::default();
        if lo >= hi {
            return Ok(page);
        }
        let limit = f.limit.clamp(1, 500);
        for (scanned, kv) in self.inner.release_records.range(lo..hi).rev().enumerate() {
            let (k, v) = kv.at("list releases")?;
            if scanned >= MAX_SCAN || page.releases.len() == limit {
                page.next = <[u8; 16]>::try_from(&k[..]).ok().map(id_after);
                break;
            }
            let Ok(r) = serde_json::from_slice::<ReleaseRecord>(&v) else { continue };
            if f.owner.as_ref().is_some_and(|o| *o != r.owner) || f.device.as_ref().is_some_and(|d| *d != r.device) {
                continue;
            }
            page.releases.push(r);
        }
        Ok(page)
    }
}

/// The key just after `k`, so that a cursor "before" it still includes it.
fn id_after(mut k: [u8; 16]) -> [u8; 16] {
    for b in k.iter_mut().rev() {
        if *b == 0xff {
            *b = 0;
        } else {
            *b += 1;
            return k;
        }
    }
    [0xff; 16]
}
