//! Roaming release, as the panel and the admin's release use it: a user's
//! jobs parked at other sites of the tenant are listed beside their own
//! here, taken in to print here, and every release claims its job in the
//! tenant first so that no job prints at two sites (`cloud_sync::roam`).
//!
//! The panel is blocking (it runs in `spawn_blocking`); the tenant is
//! async. Calls here block on the runtime's handle, each bounded in time.

use crate::clock::now_ms;
use crate::store::{JOB_HEADER_LEN, JobId, JobMeta, JobStore, Peeked, StoreError};
use cloud_sync::roam::{Claim, RemoteCopy, Roam, RoamError};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

/// The last bytes of a copy read to open its envelope; a longer one is
/// read again in full.
const TAIL: u64 = 16 * 1024;
/// A listing of another site's jobs gives up after this.
const LIST_WITHIN: Duration = Duration::from_secs(10);
/// A claim, or taking a job in, gives up after this.
const TAKE_WITHIN: Duration = Duration::from_secs(300);
/// Envelopes remembered (a copy never changes, so each is read once).
const REMEMBERED: usize = 10_000;

/// A job parked at another site, as this one lists it.
#[derive(Debug, Clone)]
pub struct RemoteJob {
    /// Its metadata, from its sealed envelope.
    pub meta: JobMeta,
    /// The site it is parked at.
    pub site: String,
    copy: RemoteCopy,
}

/// Why a job could not be released or taken.
#[derive(Debug, thiserror::Error)]
pub enum RoamingError {
    /// Another site released (or deleted) it first.
    #[error("this document was already taken at site {0}")]
    Elsewhere(String),
    /// The tenant could not be reached or failed.
    #[error("{0}")]
    Tenant(#[from] RoamError),
    /// The tenant took too long.
    #[error("the cloud tenant did not answer in time")]
    Timeout,
    /// Taking the job in failed here.
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Roaming for this site.
#[derive(Debug)]
pub struct Roaming {
    roam: Roam,
    store: JobStore,
    handle: tokio::runtime::Handle,
    seen: Mutex<HashMap<(String, u64), JobMeta>>,
    taking: Mutex<HashSet<JobId>>,
}

impl Roaming {
    /// Roaming through `roam` for the jobs of `store`; calls block on `handle`.
    pub fn new(roam: Roam, store: JobStore, handle: tokio::runtime::Handle) -> Roaming {
        Roaming { roam, store, handle, seen: Mutex::default(), taking: Mutex::default() }
    }

    /// This site's name.
    pub fn site(&self) -> &str {
        self.roam.site()
    }

    fn block<T>(&self, within: Duration, f: impl Future<Output = Result<T, RoamingError>>) -> Result<T, RoamingError> {
        self.handle.block_on(async { tokio::time::timeout(within, f).await.unwrap_or(Err(RoamingError::Timeout)) })
    }

    /// `owner`'s jobs parked at other sites that this one may print: not
    /// claimed by another site, not expired, not here already. Empty, and
    /// logged, when the tenant cannot be reached: the panel still lists
    /// what is parked here.
    pub fn jobs_of(&self, owner: &str) -> Vec<RemoteJob> {
        match self.block(LIST_WITHIN, self.list(owner)) {
            Ok(j) => j,
            Err(e) => {
                log::warn!("roaming: listing jobs parked at other sites failed: {e}");
                Vec::new()
            }
        }
    }

    async fn list(&self, owner: &str) -> Result<Vec<RemoteJob>, RoamingError> {
        let pseudonym = self.store.outbox().privacy().pseudonym(owner);
        let now = now_ms();
        let mut out = Vec::new();
        for copy in self.roam.copies_of(&pseudonym).await? {
            let Some(id) = JobId::parse(&copy.job) else { continue };
            if self.store.get(id).is_ok() {
                continue;
            }
            let meta = match self.envelope(&copy, id).await {
                Ok(m) => m,
                Err(e) => {
                    log::warn!(
                        "roaming: the copy of job {id} at site {} does not open here ({e}); \
                         sites share jobs only when recovered from the same site password",
                        copy.site
                    );
                    continue;
                }
            };
            if meta.owner != owner || meta.expires_at_ms <= now {
                continue;
            }
            if self.roam.claimed_by(&copy.job).await?.is_some_and(|s| s != self.roam.site()) {
                continue;
            }
            out.push(RemoteJob { meta, site: copy.site.clone(), copy });
        }
        out.sort_by_key(|j| j.meta.id);
        Ok(out)
    }

    /// A copy's metadata: its header and last bytes, opened with this
    /// site's key.
    async fn envelope(&self, copy: &RemoteCopy, id: JobId) -> Result<JobMeta, RoamingError> {
        let k = (copy.key.to_string(), copy.size);
        if let Some(m) = self.seen.lock().unwrap_or_else(|p| p.into_inner()).get(&k) {
            return Ok(m.clone());
        }
        let header_len = JOB_HEADER_LEN as u64;
        if copy.size < header_len {
            return Err(StoreError::Corrupt { id, why: "the copy is shorter than a job file's header".into() }.into());
        }
        let header = self.roam.range(copy, 0..header_len).await?;
        let mut from = copy.size.saturating_sub(TAIL).max(header_len);
        let meta = loop {
            let tail = self.roam.range(copy, from..copy.size).await?;
            match self.store.peek_copy(id, &header, &tail, copy.size)? {
                Peeked::Meta(m) => break *m,
                Peeked::Need(n) if copy.size - n < from => from = copy.size - n,
                Peeked::Need(_) => {
                    return Err(StoreError::Corrupt { id, why: "the copy's envelope cannot be read".into() }.into());
                }
            }
        };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= REMEMBERED {
            seen.clear();
        }
        seen.insert(k, meta.clone());
        Ok(meta)
    }

    /// Claim `jobs`, parked here, before they print here; those that may
    /// not print are returned. One another site took is handed over
    /// (shredded here) and returned with that site. One whose claim could
    /// not be made or read back (the tenant failed or did not answer in
    /// time) stays parked and is returned with `None`: its copy may be in
    /// the tenant, and printing it unconfirmed could print it twice.
    pub fn claim_local(&self, jobs: &[JobId]) -> Vec<(JobId, Option<String>)> {
        let ids: Vec<String> = jobs.iter().map(JobId::to_string).collect();
        let outcomes = match self.block(TAKE_WITHIN, async { Ok(self.roam.claim_all(&ids).await) }) {
            Ok(o) => o,
            Err(e) => {
                log::warn!("roaming: claiming {} job(s) before printing failed ({e}); kept, not printed", jobs.len());
                return jobs.iter().map(|id| (*id, None)).collect();
            }
        };
        let mut refused = Vec::new();
        for (id, outcome) in jobs.iter().zip(outcomes) {
            match outcome {
                Ok(Claim::Won) => {}
                Ok(Claim::Lost { site }) => {
                    log::info!("roaming: job {id} was taken at site {site} first; it is not printed here");
                    if let Err(e) = self.store.hand_over(*id, &site) {
                        log::error!("roaming: shredding job {id}, taken at site {site}: {e}");
                    }
                    refused.push((*id, Some(site)));
                }
                Err(e) => {
                    log::warn!("roaming: claiming job {id} failed ({e}); kept, not printed");
                    refused.push((*id, None));
                }
            }
        }
        refused
    }

    /// Take `owner`'s job `id`, parked at another site, to print (or
    /// delete) it here: claim it, fetch its copy into this store, remove
    /// the copy, and tell its site. `action` is `released` or `deleted`.
    pub fn take(&self, owner: &str, id: JobId, action: &str) -> Result<JobMeta, RoamingError> {
        let job = self
            .block(LIST_WITHIN, self.list(owner))?
            .into_iter()
            .find(|j| j.meta.id == id)
            .ok_or(RoamingError::Store(StoreError::NotFound(id)))?;
        self.take_listed(&job, action)
    }

    /// [`Roaming::take`] for a job [`Roaming::jobs_of`] just listed (its
    /// owner's): Print All takes each without listing the tenant again.
    pub fn take_listed(&self, job: &RemoteJob, action: &str) -> Result<JobMeta, RoamingError> {
        let id = job.meta.id;
        if !self.taking.lock().unwrap_or_else(|p| p.into_inner()).insert(id) {
            return Err(
                StoreError::io("take a roaming job", std::io::Error::other("it is being fetched already")).into()
            );
        }
        let r = self.take_inner(job, action);
        self.taking.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        r
    }

    fn take_inner(&self, job: &RemoteJob, action: &str) -> Result<JobMeta, RoamingError> {
        let (id, owner) = (job.meta.id, job.meta.owner.as_str());
        self.block(TAKE_WITHIN, async {
            match self.roam.claim(&job.copy.job).await? {
                Claim::Lost { site } => Err(RoamingError::Elsewhere(site)),
                Claim::Won => Ok(()),
            }
        })?;
        // A job file is its body sealed in chunks, and an envelope of a few KB.
        let max = self.store.options().max_job_bytes;
        let limit = max.saturating_add(max / 64).saturating_add(2 << 20);
        if job.copy.size > limit {
            return Err(StoreError::TooLarge { max }.into());
        }
        let meta = self.store.import(id, owner, job.copy.size, |w| {
            self.block(TAKE_WITHIN, async { Ok(self.roam.fetch(&job.copy, |c| w.write_all(c)).await?) })
                .map_err(std::io::Error::other)
        })?;
        let _ = self.block(TAKE_WITHIN, async {
            if let Err(e) = self.roam.remove(&job.copy).await {
                log::warn!("roaming: removing the copy of job {id} from the tenant failed ({e}); its site removes it");
            }
            if let Err(e) = self.roam.notify(&job.site, &job.copy.job, action).await {
                log::warn!("roaming: telling site {} that job {id} was taken failed ({e}); the claim holds", job.site);
            }
            Ok(())
        });
        log::info!("roaming: job {id} of site {} taken here ({action})", job.site);
        Ok(meta)
    }

    /// Act on the notices other sites left: shred the jobs they took. A
    /// job printing here now is left for the next round. Returns the jobs
    /// handed over.
    pub async fn settle_notices(&self) -> Result<usize, RoamError> {
        let mut n = 0;
        for notice in self.roam.notices().await? {
            let Some(id) = JobId::parse(&notice.job) else { continue };
            let store = self.store.clone();
            let site = notice.site.clone();
            let done = tokio::task::spawn_blocking(move || {
                if store.release_of(id).is_some_and(|r| r.state.in_flight()) {
                    return Ok(None);
                }
                match store.hand_over(id, &site) {
                    Ok(()) => Ok(Some(true)),
                    Err(StoreError::NotFound(_)) => Ok(Some(false)),
                    Err(e) => Err(e),
                }
            })
            .await;
            match done {
                Ok(Ok(None)) => log::info!("roaming: job {id}, taken at site {}, is printing here", notice.site),
                Ok(Ok(Some(handed))) => {
                    if handed {
                        log::info!("roaming: job {id} was {} at site {}; shredded here", notice.action, notice.site);
                        n += 1;
                    }
                    self.roam.done(&notice).await?;
                }
                Ok(Err(e)) => log::error!("roaming: handing job {id} over to site {}: {e}", notice.site),
                Err(e) => log::error!("roaming: handing job {id} over: {e}"),
            }
        }
        Ok(n)
    }
}
