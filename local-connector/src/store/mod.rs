//! The encrypted, durable job store.
//!
//! - **Files are the truth.** Each job is one file, `jobs/<id>.job` (see
//!   [`file`]), holding the body encrypted in chunks under a random data key
//!   and a sealed envelope with the metadata and the data key wrapped by the
//!   site's job KEK. A job is acknowledged only once its file is fdatasynced,
//!   renamed into place and the directory fsynced (shared by concurrent
//!   writers through group commit).
//! - **sled is an index**, by id, by owner and by expiry. sled 0.34 does not
//!   fsync, so the index is rebuilt from the files at open: entries without a
//!   file are dropped, files without an entry are read back in, half-written
//!   `.part` files are removed, and unreadable files are moved to `quarantine/`.
//! - **Deleting shreds.** The envelope, the only copy of the wrapped data key,
//!   is overwritten and synced before the file is unlinked.
//!
//! The store is blocking; async callers use `spawn_blocking`.

mod commit;
pub(crate) mod file;
mod meta;

pub use file::Peeked;
pub use meta::{
    ColorMode, JobId, JobMeta, JobSubmission, ReleaseRecord, ReleaseRequest, ReleaseState, Sides, Transaction,
    Unprinted,
};
/// The length of a job file's fixed header, the first bytes a copy is read by.
pub const JOB_HEADER_LEN: usize = file::HEADER_LEN;
pub use numbers::JobNumbers;
pub use releases::{ReleaseWake, Requested};

use crate::clock::now_ms;
use crate::crypto::stream::{BodyDecryptor, BodyEncryptor, NONCE_PREFIX, sealed_len};
use crate::crypto::{SealKey, SiteKey, hmac_sha256, random_bytes};
use crate::durable;
use crate::fault;
use commit::GroupCommitter;
use file::{Envelope, HEADER_LEN, Header, Opened, SHRED_MAGIC, Trailer};
use sled::Transactional;
use std::collections::HashMap;
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeroize::Zeroizing;

/// Errors of the job store. Each names the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O step failed.
    #[error("{step}: {source}")]
    Io {
        /// What the store was doing.
        step: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// The disk is full or below the configured reserve; nothing was stored.
    #[error("the job store's disk is full ({free} bytes free, {reserve} reserved); the job was not stored")]
    DiskFull {
        /// Bytes free when the job was refused.
        free: u64,
        /// The configured reserve.
        reserve: u64,
    },
    /// The job is larger than the configured maximum; nothing was stored.
    #[error("the job exceeds the maximum job size of {max} bytes")]
    TooLarge {
        /// The configured maximum.
        max: u64,
    },
    /// The owner's parked and arriving bytes would pass their quota; the
    /// job being written was abandoned.
    #[error("the owner's jobs would exceed their quota of {max} bytes; the job was not stored")]
    OverQuota {
        /// The owner's quota.
        max: u64,
    },
    /// The cloud outbox is full and its policy is to refuse new jobs.
    #[error("{0}")]
    OutboxFull(String),
    /// No such job.
    #[error("job {0} does not exist")]
    NotFound(JobId),
    /// A job file failed verification; it is never served.
    #[error("job {id} is corrupt or was tampered with: {why}")]
    Corrupt {
        /// The job.
        id: JobId,
        /// What check failed.
        why: String,
    },
    /// The sled index failed.
    #[error("job index, {step}: {source}")]
    Index {
        /// What the store was doing.
        step: &'static str,
        /// The underlying error.
        source: sled::Error,
    },
    /// A record in the index could not be encoded or decoded.
    #[error("job index, {step}: {source}")]
    Record {
        /// What the store was doing.
        step: &'static str,
        /// The underlying error.
        source: serde_json::Error,
    },
}

impl StoreError {
    pub(crate) fn io(step: &'static str, source: io::Error) -> StoreError {
        StoreError::Io { step, source }
    }
}

/// Names the step a sled call was part of, for its error.
pub(crate) trait IndexStep<T> {
    /// The result, its error naming `step`.
    fn at(self, step: &'static str) -> Result<T, StoreError>;
}

impl<T> IndexStep<T> for Result<T, sled::Error> {
    fn at(self, step: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Index { step, source })
    }
}

/// How the store is set up. Defaults live in the appliance's configuration.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The store's folder, normally `<data dir>/store`.
    pub dir: PathBuf,
    /// How long a job stays parked before the sweeper shreds it.
    pub retention: Duration,
    /// Largest job body accepted, in bytes.
    pub max_job_bytes: u64,
    /// Refuse new jobs when free disk space would fall below this.
    pub min_free_bytes: u64,
    /// sled's page cache, in bytes.
    pub index_cache_bytes: u64,
    /// The cloud outbox's settings; `None`: the defaults, under the site's
    /// keys (see [`cloud_sync::outbox::OutboxOptions::with_keys`]).
    pub outbox: Option<cloud_sync::outbox::OutboxOptions>,
}

/// What reconciliation found when the store was opened.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Half-written `.part` files removed.
    pub partial_removed: usize,
    /// Index entries whose file was gone, dropped.
    pub stale_index_dropped: usize,
    /// Job files missing from the index, re-indexed.
    pub reindexed: usize,
    /// Unreadable job files moved to `quarantine/`.
    pub quarantined: usize,
    /// Shredded files whose unlink a crash interrupted, removed.
    pub shred_finished: usize,
}

struct Inner {
    opts: StoreOptions,
    jobs_dir: PathBuf,
    quarantine_dir: PathBuf,
    kek: SealKey,
    index_secret: [u8; 32],
    db: sled::Db,
    by_id: sled::Tree,
    by_owner: sled::Tree,
    by_expiry: sled::Tree,
    by_number: sled::Tree,
    /// Job id → [`ReleaseRequest`] (JSON), flushed before it is acknowledged.
    releases: sled::Tree,
    /// Recorded-at ms and 8 random bytes → [`Transaction`] (JSON).
    transactions: sled::Tree,
    /// Recorded-at ms and 8 random bytes → [`ReleaseRecord`] (JSON).
    release_records: sled::Tree,
    /// Job id → when it printed (ms, 8 bytes), for jobs kept for reprint.
    printed: sled::Tree,
    /// Ended-at ms and 8 random bytes → [`Unprinted`] (JSON): jobs that
    /// expired or were deleted, for reports of the paper saved.
    unprinted: sled::Tree,
    committer: GroupCommitter,
    /// The cloud outbox, in this index's database: each job's records are
    /// staged in the transaction that indexes or unindexes it.
    outbox: Arc<cloud_sync::outbox::Outbox>,
    /// Parked jobs, counted at open and kept in step with the index (sled
    /// counts a tree only by walking it).
    parked: std::sync::atomic::AtomicUsize,
    /// The retention of jobs parked from now on, ms (the console may change it).
    retention_ms: std::sync::atomic::AtomicU64,
    /// Parked jobs and bytes per owner tag, filled on first use and kept in
    /// step with the index (under this lock) so that limits cost O(1).
    usage: Mutex<HashMap<[u8; 16], Usage>>,
}

/// What one owner has parked, and what is arriving for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Parked jobs.
    pub jobs: usize,
    /// Their bytes on disk.
    pub bytes: u64,
    /// Body bytes of this owner's jobs still being written, reserved as
    /// they arrive so that parallel uploads cannot overrun a quota.
    pub arriving: u64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.db.flush();
    }
}

/// The job store. Cheap to clone; all clones share one index and committer.
#[derive(Clone)]
pub struct JobStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for JobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobStore").field("dir", &self.inner.opts.dir).finish_non_exhaustive()
    }
}

/// The JSON records of `tree` (keyed by recorded-at ms, then random bytes)
/// since `since_ms`, oldest first, at most `limit`; unreadable ones skipped.
fn records_since<T: serde::de::DeserializeOwned>(
    tree: &sled::Tree,
    since_ms: u64,
    limit: usize,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for kv in tree.range(since_ms.to_be_bytes().to_vec()..).take(limit) {
        let (_, v) = kv.at("read records")?;
        if let Ok(t) = serde_json::from_slice(&v) {
            out.push(t);
        }
    }
    Ok(out)
}

impl JobStore {
    /// Open (creating if needed) the store and reconcile its index with its files.
    pub fn open(opts: StoreOptions, site: &SiteKey) -> Result<(JobStore, Reconciled), StoreError> {
        let jobs_dir = opts.dir.join("jobs");
        let quarantine_dir = opts.dir.join("quarantine");
        for d in [&opts.dir, &jobs_dir, &quarantine_dir] {
            durable::create_dir_durable(d, 0o700).map_err(|e| StoreError::io("create store folders", e))?;
        }
        let db = sled::Config::new()
            .path(opts.dir.join("index"))
            .cache_capacity(opts.index_cache_bytes)
            .mode(sled::Mode::LowSpace)
            .open()
            .map_err(|e| match e {
                // sled writes when it opens; on a full disk say so plainly.
                sled::Error::Io(io) if durable::is_disk_full(&io) => StoreError::DiskFull {
                    free: durable::free_bytes(&opts.dir).unwrap_or(0),
                    reserve: opts.min_free_bytes,
                },
                other => StoreError::Index { step: "open the index", source: other },
            })?;
        let inner = Inner {
            by_id: db.open_tree("jobs").at("open its trees")?,
            by_owner: db.open_tree("by_owner").at("open its trees")?,
            by_expiry: db.open_tree("by_expiry").at("open its trees")?,
            by_number: db.open_tree("by_number").at("open its trees")?,
            releases: db.open_tree("releases").at("open its trees")?,
            transactions: db.open_tree("transactions").at("open its trees")?,
            release_records: db.open_tree("release_records").at("open its trees")?,
            printed: db.open_tree("printed").at("open its trees")?,
            unprinted: db.open_tree("unprinted").at("open its trees")?,
            outbox: Arc::new(
                cloud_sync::outbox::Outbox::open(
                    &db,
                    opts.outbox.clone().unwrap_or_else(|| {
                        cloud_sync::outbox::OutboxOptions::with_keys(site.pseudonym_key(), site.outbox_key())
                    }),
                )
                .map_err(|e| StoreError::io("open the cloud outbox", io::Error::other(e)))?,
            ),
            db,
            committer: GroupCommitter::start(jobs_dir.clone()).map_err(|e| StoreError::io("start committer", e))?,
            usage: Mutex::new(HashMap::new()),
            retention_ms: std::sync::atomic::AtomicU64::new(crate::clock::duration_ms(opts.retention)),
            parked: std::sync::atomic::AtomicUsize::new(0),
            kek: site.job_kek(),
            index_secret: site.index_secret(),
            jobs_dir,
            quarantine_dir,
            opts,
        };
        let store = JobStore { inner: Arc::new(inner) };
        let rec = store.reconcile()?;
        store.inner.parked.store(store.inner.by_id.len(), std::sync::atomic::Ordering::Relaxed);
        Ok((store, rec))
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.inner.opts
    }

    fn job_path(&self, id: JobId) -> PathBuf {
        self.inner.jobs_dir.join(format!("{id}.job"))
    }

    fn owner_tag(&self, owner: &str) -> [u8; 16] {
        let full = hmac_sha256(&self.inner.index_secret, owner.as_bytes());
        let mut t = [0u8; 16];
        t.copy_from_slice(&full[..16]);
        t
    }

    /// Begin a new job. The body is written through the returned writer and
    /// becomes visible only when [`JobWriter::commit`] returns.
    pub fn create(&self, sub: JobSubmission) -> Result<JobWriter, StoreError> {
        if let Some(why) = self.inner.outbox.refuses_jobs() {
            return Err(StoreError::OutboxFull(why));
        }
        let reserve = self.inner.opts.min_free_bytes;
        let free = durable::free_bytes(&self.inner.jobs_dir).map_err(|e| StoreError::io("statvfs", e))?;
        if free < reserve.saturating_add(sub.expected_size.unwrap_or(0)) {
            return Err(StoreError::DiskFull { free, reserve });
        }
        if let Some(n) = sub.expected_size
            && n > self.inner.opts.max_job_bytes
        {
            return Err(StoreError::TooLarge { max: self.inner.opts.max_job_bytes });
        }
        let id = JobId::new();
        let (part, f) = self.create_part(id, "create job file")?;
        let tag = self.owner_tag(&sub.owner);
        self.usage_locked(&mut self.inner.usage.lock().unwrap_or_else(|p| p.into_inner()), tag)?;
        let arriving = Arriving { store: self.clone(), tag, bytes: 0 };
        let header = Header { id, nonce_prefix: random_bytes::<NONCE_PREFIX>() };
        let header_bytes = header.encode();
        let data_key = Zeroizing::new(random_bytes::<32>());
        let mut out = BufWriter::with_capacity(256 * 1024, f);
        let guard = PartGuard(Some(part.clone()));
        out.write_all(&header_bytes).map_err(|e| self.map_write_err("write header", e))?;
        let enc = BodyEncryptor::new(out, &data_key, &header.nonce_prefix, &header_bytes);
        Ok(JobWriter {
            store: self.clone(),
            id,
            sub,
            header_bytes,
            data_key,
            enc: Some(enc),
            part,
            guard,
            arriving,
            unchecked: 0,
        })
    }

    /// A new, private `<id>.part` file; never one that exists.
    fn create_part(&self, id: JobId, step: &'static str) -> Result<(PathBuf, File), StoreError> {
        let part = self.inner.jobs_dir.join(format!("{id}.part"));
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&part)
            .map_err(|e| self.map_write_err(step, e))?;
        Ok((part, f))
    }

    fn map_write_err(&self, step: &'static str, e: io::Error) -> StoreError {
        if durable::is_disk_full(&e) {
            let free = durable::free_bytes(&self.inner.jobs_dir).unwrap_or(0);
            StoreError::DiskFull { free, reserve: self.inner.opts.min_free_bytes }
        } else {
            StoreError::io(step, e)
        }
    }

    /// Add a job to all three index trees atomically, so that a failure (or a
    /// crash) never leaves it findable by id but missing from an owner's list.
    fn index_insert(&self, meta: &JobMeta) -> Result<(), StoreError> {
        self.index_insert_with(meta, true)
    }

    /// [`JobStore::index_insert`]; a job new to the index is announced to
    /// the tenant (its parked record and its copy) when `announce` is set.
    fn index_insert_with(&self, meta: &JobMeta, announce: bool) -> Result<(), StoreError> {
        let sealed = self.inner.kek.seal(&meta.id.0, &serde_json::to_vec(meta).unwrap_or_default());
        let (owner_key, expiry_key) = self.index_keys(meta);
        let i = &self.inner;
        let number = meta.number.map(i32::to_be_bytes);
        let size = meta.size.to_be_bytes();
        let mut usage = i.usage.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = !i.by_id.contains_key(meta.id.0).at("look a job up")?;
        let (records, copies) = i.outbox.trees();
        let parked = (fresh && announce).then(|| sync::parked(meta));
        let copy = self.copy_put(meta);
        (&i.by_id, &i.by_owner, &i.by_expiry, &i.by_number, records, copies)
            .transaction(|(by_id, by_owner, by_expiry, by_number, records, copies)| {
                by_id.insert(&meta.id.0[..], sealed.as_slice())?;
                // The owner index carries the job's size, for usage totals.
                by_owner.insert(owner_key.as_slice(), &size[..])?;
                by_expiry.insert(expiry_key.as_slice(), &[][..])?;
                if let Some(n) = number {
                    by_number.insert(&n[..], &meta.id.0[..])?;
                }
                if let Some(r) = &parked {
                    i.outbox.stage(records, r.clone())?;
                    i.outbox.stage_copy(copies, &meta.id.to_string(), &copy)?;
                }
                Ok(())
            })
            .map_err(Self::tx_err)?;
        if fresh {
            i.parked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if fresh && let Some(u) = usage.get_mut(&self.owner_tag(&meta.owner)) {
            u.jobs += 1;
            u.bytes += meta.size;
        }
        Ok(())
    }

    /// Drop a job from the index, staging the record of how it `ended`
    /// (`printed`, `expired`, `deleted`...) and by whom, and its copy's deletion.
    fn index_remove(&self, meta: &JobMeta, ended: (&str, &str)) -> Result<(), StoreError> {
        let (owner_key, expiry_key) = self.index_keys(meta);
        let i = &self.inner;
        let number = meta.number.map(i32::to_be_bytes);
        let mut usage = i.usage.lock().unwrap_or_else(|p| p.into_inner());
        let present = i.by_owner.contains_key(&owner_key).at("look an owner up")?;
        let (records, copies) = i.outbox.trees();
        let record = present.then(|| sync::ended(meta, ended.0, ended.1));
        let copy = self.copy_delete(meta);
        (&i.by_id, &i.by_owner, &i.by_expiry, &i.by_number, records, copies)
            .transaction(|(by_id, by_owner, by_expiry, by_number, records, copies)| {
                by_owner.remove(owner_key.as_slice())?;
                by_expiry.remove(expiry_key.as_slice())?;
                if let Some(n) = number {
                    by_number.remove(&n[..])?;
                }
                by_id.remove(&meta.id.0[..])?;
                if let Some(r) = &record {
                    i.outbox.stage(records, r.clone())?;
                    i.outbox.stage_copy(copies, &meta.id.to_string(), &copy)?;
                }
                Ok(())
            })
            .map_err(Self::tx_err)?;
        if present {
            let _ = i.parked.fetch_update(
                std::sync::atomic::Ordering::Relaxed,
                std::sync::atomic::Ordering::Relaxed,
                |n| Some(n.saturating_sub(1)),
            );
        }
        if present && let Some(u) = usage.get_mut(&self.owner_tag(&meta.owner)) {
            u.jobs = u.jobs.saturating_sub(1);
            u.bytes = u.bytes.saturating_sub(meta.size);
        }
        Ok(())
    }

    /// Move a job's expiry to `until_ms` in one index transaction, so that
    /// a crash leaves it under its old expiry or its new one, never neither.
    fn index_set_expiry(&self, meta: &mut JobMeta, until_ms: u64) -> Result<(), StoreError> {
        let (_, old) = self.index_keys(meta);
        meta.expires_at_ms = until_ms;
        let (_, new) = self.index_keys(meta);
        let sealed = self.inner.kek.seal(&meta.id.0, &serde_json::to_vec(meta).unwrap_or_default());
        let i = &self.inner;
        (&i.by_id, &i.by_expiry)
            .transaction(|(by_id, by_expiry)| {
                by_expiry.remove(old.as_slice())?;
                by_expiry.insert(new.as_slice(), &[][..])?;
                by_id.insert(&meta.id.0[..], sealed.as_slice())?;
                Ok(())
            })
            .map_err(Self::tx_err)
    }

    fn index_keys(&self, meta: &JobMeta) -> (Vec<u8>, Vec<u8>) {
        let tag = self.owner_tag(&meta.owner);
        ([&tag[..], &meta.id.0[..]].concat(), [&meta.expires_at_ms.to_be_bytes()[..], &meta.id.0[..]].concat())
    }

    fn tx_err(e: sled::transaction::TransactionError<()>) -> StoreError {
        match e {
            sled::transaction::TransactionError::Storage(e) => {
                StoreError::Index { step: "update the index", source: e }
            }
            sled::transaction::TransactionError::Abort(()) => {
                StoreError::io("index transaction", io::Error::other("aborted"))
            }
        }
    }

    /// The metadata of one job, from the index.
    pub fn get(&self, id: JobId) -> Result<JobMeta, StoreError> {
        let sealed = self.inner.by_id.get(id.0).at("read a job")?.ok_or(StoreError::NotFound(id))?;
        self.unseal_meta(id, &sealed)
    }

    fn unseal_meta(&self, id: JobId, sealed: &[u8]) -> Result<JobMeta, StoreError> {
        let plain = self
            .inner
            .kek
            .open(&id.0, sealed)
            .map_err(|_| StoreError::Corrupt { id, why: "index record fails authentication".into() })?;
        serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt { id, why: format!("index record: {e}") })
    }

    /// The job with client-facing number `number` (IPP `job-id`), if parked.
    pub fn get_by_number(&self, number: i32) -> Result<Option<JobMeta>, StoreError> {
        match self.inner.by_number.get(number.to_be_bytes()).at("look a job number up")? {
            Some(id) => match JobId::from_slice(&id) {
                Some(id) => match self.get(id) {
                    Ok(m) => Ok(Some(m)),
                    Err(StoreError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                },
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// The highest job number in use, for resuming numbering after a restart.
    pub fn max_number(&self) -> Result<Option<i32>, StoreError> {
        Ok(self
            .inner
            .by_number
            .last()
            .at("read the highest job number")?
            .and_then(|(k, _)| <[u8; 4]>::try_from(&k[..]).ok())
            .map(i32::from_be_bytes))
    }

    /// Every parked job of `owner`, oldest first.
    pub fn jobs_of(&self, owner: &str) -> Result<Vec<JobMeta>, StoreError> {
        let tag = self.owner_tag(owner);
        let mut out = Vec::new();
        for kv in self.inner.by_owner.scan_prefix(tag) {
            let (k, _) = kv.at("list an owner's jobs")?;
            let id = JobId::from_slice(&k[16..])
                .ok_or_else(|| StoreError::Corrupt { id: JobId([0; 16]), why: "owner index key".into() })?;
            // The HMAC tag is 128 bits; still, never show another owner's job.
            match self.get(id) {
                Ok(m) if m.owner == owner => out.push(m),
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// How many jobs and bytes `owner` has parked, without reading any
    /// job's metadata (the owner index carries the sizes).
    pub fn usage_of(&self, owner: &str) -> Result<Usage, StoreError> {
        let tag = self.owner_tag(owner);
        let mut usage = self.inner.usage.lock().unwrap_or_else(|p| p.into_inner());
        self.usage_locked(&mut usage, tag)
    }

    /// [`JobStore::usage_of`] by owner tag, with the usage lock held.
    fn usage_locked(&self, usage: &mut HashMap<[u8; 16], Usage>, tag: [u8; 16]) -> Result<Usage, StoreError> {
        if let Some(u) = usage.get(&tag) {
            return Ok(*u);
        }
        let mut u = Usage::default();
        for kv in self.inner.by_owner.scan_prefix(tag) {
            let (k, v) = kv.at("sum an owner's jobs")?;
            u.jobs += 1;
            u.bytes += match <[u8; 8]>::try_from(&v[..]) {
                Ok(b) => u64::from_be_bytes(b),
                // An index written before sizes were kept in it.
                Err(_) => match JobId::from_slice(&k[16..]).map(|id| self.get(id)) {
                    Some(Ok(m)) => m.size,
                    _ => 0,
                },
            };
        }
        usage.insert(tag, u);
        Ok(u)
    }

    /// Number of parked jobs (kept, not counted: O(1)).
    pub fn len(&self) -> usize {
        self.inner.parked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// True when no job is parked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Open a job's body for streaming. Tampering is reported by the reader
    /// at the chunk where it is found; use [`JobStore::read_verified`] where
    /// no byte may be served before the whole job is known to be intact.
    pub fn read(&self, id: JobId) -> Result<JobReader, StoreError> {
        let f = File::open(self.job_path(id)).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::NotFound(id)
            } else {
                StoreError::io("open job file", e)
            }
        })?;
        let opened = match file::open(f, id, &self.inner.kek)? {
            Trailer::Intact(o) => o,
            Trailer::Shredded => return Err(StoreError::NotFound(id)),
        };
        let Opened { mut file, header, header_bytes, meta, data_key, sealed_len, .. } = *opened;
        file.seek(SeekFrom::Start(HEADER_LEN as u64)).map_err(|e| StoreError::io("seek", e))?;
        let body = io::BufReader::with_capacity(256 * 1024, file).take(sealed_len);
        let dec = BodyDecryptor::new(body, &data_key, &header.nonce_prefix, &header_bytes, sealed_len);
        Ok(JobReader { meta, dec })
    }

    /// Verify a whole job (every chunk authenticates), then open it.
    pub fn read_verified(&self, id: JobId) -> Result<JobReader, StoreError> {
        self.verify(id)?;
        self.read(id)
    }

    /// Read and authenticate every chunk of a job without keeping the plaintext.
    pub fn verify(&self, id: JobId) -> Result<JobMeta, StoreError> {
        let mut r = self.read(id)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut n = 0u64;
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => n += k as u64,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    return Err(StoreError::Corrupt { id, why: e.to_string() });
                }
                Err(e) => return Err(StoreError::io("read job body", e)),
            }
        }
        if n != r.meta.size {
            return Err(StoreError::Corrupt { id, why: "body length differs from metadata".into() });
        }
        Ok(r.meta)
    }

    /// Shred a job: wipe its wrapped data key, unlink its file, drop it from
    /// the index (recorded as `deleted` by `system`; see [`JobStore::discard`]).
    pub fn delete(&self, id: JobId) -> Result<(), StoreError> {
        self.delete_because(id, ("deleted", "system"))
    }

    /// [`JobStore::delete`], recording why the job ended and by whom.
    fn delete_because(&self, id: JobId, ended: (&str, &str)) -> Result<(), StoreError> {
        let meta = self.get(id)?;
        self.shred_file(id)?;
        durable::sync_dir(&self.inner.jobs_dir).map_err(|e| StoreError::io("fsync jobs directory", e))?;
        fault::point("shred.after_unlink");
        self.inner.releases.remove(id.0).at("forget a deleted job")?;
        self.inner.printed.remove(id.0).at("forget a deleted job")?;
        self.index_remove(&meta, ended)
    }

    /// Record transactions a printer reported; they are on disk when this
    /// returns (a device may then forget them), kept for reports and queued
    /// for cloud sync.
    pub fn record_transactions(&self, t: &[Transaction]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for x in t {
            let mut k = x.recorded_ms.to_be_bytes().to_vec();
            k.extend_from_slice(&crate::crypto::random_bytes::<8>());
            let v = serde_json::to_vec(x).map_err(|e| StoreError::io("encode transaction", io::Error::other(e)))?;
            batch.insert(k, v);
        }
        self.inner.transactions.apply_batch(batch).at("record panel statistics")?;
        self.offer_transactions(t)?;
        self.inner.db.flush().at("record panel statistics")?;
        Ok(())
    }

    /// Transactions recorded since `since_ms`, oldest first (at most `limit`).
    pub fn transactions_since(&self, since_ms: u64, limit: usize) -> Result<Vec<Transaction>, StoreError> {
        records_since(&self.inner.transactions, since_ms, limit)
    }

    fn shred_file(&self, id: JobId) -> Result<(), StoreError> {
        let path = self.job_path(id);
        let f = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io("open job file to shred", e)),
        };
        let len = f.metadata().map_err(|e| StoreError::io("stat job file", e))?.len();
        // Wipe from the envelope to the end when the file is intact; a corrupt
        // file is wiped whole, since no envelope offset can be trusted.
        let from = match file::open(f.try_clone().map_err(|e| StoreError::io("dup", e))?, id, &self.inner.kek) {
            Ok(Trailer::Intact(o)) => o.envelope_at,
            Ok(Trailer::Shredded) => len,
            Err(_) => 0,
        };
        if from < len {
            let zeros = vec![0u8; 64 * 1024];
            let mut at = from;
            while at < len.saturating_sub(SHRED_MAGIC.len() as u64) {
                let left = len - SHRED_MAGIC.len() as u64 - at;
                let n = usize::try_from(left).map_or(zeros.len(), |l| l.min(zeros.len()));
                f.write_all_at(&zeros[..n], at).map_err(|e| StoreError::io("wipe envelope", e))?;
                at += n as u64;
            }
            if len >= SHRED_MAGIC.len() as u64 {
                f.write_all_at(SHRED_MAGIC, len - SHRED_MAGIC.len() as u64)
                    .map_err(|e| StoreError::io("mark shredded", e))?;
            }
            f.sync_data().map_err(|e| StoreError::io("sync wiped envelope", e))?;
            fault::point("shred.after_wipe");
        }
        fs::remove_file(&path).map_err(|e| StoreError::io("unlink job file", e))
    }

    /// Write the index to disk (not durable on its own; see the module docs).
    pub fn flush_index(&self) -> Result<(), StoreError> {
        self.inner.db.flush().at("flush")?;
        Ok(())
    }
}

/// A job's metadata and its decrypting body reader.
pub struct JobReader {
    /// The job's metadata, from its verified envelope.
    pub meta: JobMeta,
    dec: BodyDecryptor<io::Take<io::BufReader<File>>>,
}

impl std::fmt::Debug for JobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobReader").field("id", &self.meta.id).finish_non_exhaustive()
    }
}

impl Read for JobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.dec.read(buf)
    }
}

mod browse;
mod numbers;
mod reconcile;
mod releases;
mod retention;
mod roam;
mod sync;
mod usage;
mod writer;

pub use browse::{HistoryFilter, HistoryPage, JobFilter, JobPage, JobState, ParkedJob};
pub use writer::JobWriter;
use writer::{Arriving, PartGuard};

#[cfg(test)]
mod tests;
