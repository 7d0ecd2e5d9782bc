//! Draining the outbox into the tenant, at least once, with keys that make
//! a second upload of the same thing a no-op rather than a duplicate.
//!
//! - **Metadata** goes up in batches of consecutive records of one UTC day,
//!   as gzip-compressed JSON lines at
//!   `metadata/site=S/date=YYYY-MM-DD/FIRST-LAST.jsonl.gz` (sequence
//!   numbers, 20 digits). The batch's exact records are written down
//!   (`pending`) and flushed before it is uploaded, and removed with it
//!   after: a crash in between uploads the very same object again.
//! - **Copies** go up as `jobs/owner=OWNER/site=S/JOB.bin` (the job's sealed
//!   file, as it is on disk; OWNER the owner's pseudonym), so that another
//!   site of the tenant lists an owner's jobs by one prefix without learning
//!   the name. Up to [`COPIES_AT_ONCE`] go up at a time. A copy operation
//!   is removed only if no newer one replaced it meanwhile.
//! - Metadata and copies go up side by side: they are independent.
//! - **Jobs first:** while jobs arrive (a record staged within
//!   [`BUSY_WITHIN`]), uploading waits, up to [`DEFER_MAX`] at a time, so
//!   that a burst of printing is parked at full speed and uploaded in the
//!   quiet after it. A longer burst shares the machine with the upload.
//! - **Failures** back off exponentially (1 s to 5 min) with jitter; the
//!   outbox keeps everything meanwhile.

use crate::outbox::{At, CopyOp, Outbox, OutboxError};
use crate::tenant::Tenant;
use futures_util::StreamExt;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;

/// Records in one metadata object, at most.
pub const BATCH_RECORDS: usize = 1000;
/// Copy uploads or deletions in flight at once.
pub const COPIES_AT_ONCE: usize = 8;
/// Copies up to this size are read whole and sent in one request; larger
/// ones stream in parts.
const SMALL_COPY: u64 = 8 << 20;
/// Jobs are arriving when a record was staged this recently.
pub const BUSY_WITHIN: Duration = Duration::from_millis(500);
/// The longest the upload waits for jobs to stop arriving.
pub const DEFER_MAX: Duration = Duration::from_secs(10);
/// The first and the longest wait after a failure.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// See [`BACKOFF_FIRST`].
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Where the uploader finds a job's sealed file.
pub trait Blobs: Send + Sync {
    /// The path of job `job`'s file, or `None` when there is none. It is
    /// called on the async runtime, so it must not touch the disk: a path
    /// whose file is gone is read as a job gone.
    fn file(&self, job: &str) -> Option<PathBuf>;
}

/// Why a drain stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The tenant refused or could not be reached.
    #[error("{action}: {source}")]
    Tenant {
        /// What was being done.
        action: String,
        /// The error.
        source: object_store::Error,
    },
    /// The outbox itself failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// A job file could not be read.
    #[error("reading the copy of job {job}: {source}")]
    Blob {
        /// The job.
        job: String,
        /// The error.
        source: std::io::Error,
    },
}

/// The batch being uploaded: its records and its object key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    seqs: Vec<u64>,
    key: String,
}

/// What a drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Metadata records uploaded.
    pub records: usize,
    /// Metadata objects written.
    pub batches: usize,
    /// Copies uploaded.
    pub copies: usize,
    /// Copies deleted.
    pub deleted: usize,
}

/// Moves the outbox into the tenant.
pub struct Uploader {
    outbox: Arc<Outbox>,
    tenant: Tenant,
    site: String,
    blobs: Arc<dyn Blobs>,
    defer_max: Duration,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader").field("site", &self.site).field("tenant", &self.tenant.describe).finish()
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The key of a job's copy, under the tenant's prefix.
pub fn copy_key(owner: &str, site: &str, job: &str) -> String {
    format!("jobs/owner={owner}/site={site}/{job}.bin")
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of `ms`.
pub fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// The wait before attempt `failures + 1`: exponential from
/// [`BACKOFF_FIRST`] to [`BACKOFF_MAX`], less a random part of up to half,
/// so that appliances that failed together do not retry together.
pub fn backoff(failures: u32) -> Duration {
    let exp = BACKOFF_FIRST.saturating_mul(1u32 << failures.saturating_sub(1).min(16)).min(BACKOFF_MAX);
    let half = exp / 2;
    half + half.mul_f64(rand::random::<f64>())
}

impl Uploader {
    /// An uploader for site `site` (a short name, in every key).
    pub fn new(outbox: Arc<Outbox>, tenant: Tenant, site: &str, blobs: Arc<dyn Blobs>) -> Uploader {
        outbox.status.lock().unwrap_or_else(|p| p.into_inner()).tenant = tenant.describe.clone();
        Uploader { outbox, tenant, site: site.to_owned(), blobs, defer_max: DEFER_MAX }
    }

    /// Wait at most `max` (rather than [`DEFER_MAX`]) for jobs to stop
    /// arriving; zero uploads as they come.
    pub fn defer_at_most(mut self, max: Duration) -> Uploader {
        self.defer_max = max;
        self
    }

    /// Upload until the outbox is empty, or the first failure.
    pub async fn drain(&self) -> Result<Drained, SyncError> {
        let mut done = Drained::default();
        let result = self.drain_inner(&mut done).await;
        self.outbox.recount();
        let mut st = self.outbox.status.lock().unwrap_or_else(|p| p.into_inner());
        st.uploaded += done.records as u64;
        st.copies_uploaded += done.copies as u64;
        st.copies_deleted += done.deleted as u64;
        match &result {
            Ok(_) => {
                st.last_upload_ms = Some(now_ms());
                st.last_error = None;
                st.failures = 0;
                st.retry_at_ms = None;
            }
            Err(e) => {
                if done != Drained::default() {
                    st.last_upload_ms = Some(now_ms());
                }
                st.failures = st.failures.saturating_add(1);
                st.last_error = Some(e.to_string());
            }
        }
        result.map(|()| done)
    }

    async fn drain_inner(&self, done: &mut Drained) -> Result<(), SyncError> {
        // What is uploaded must be on disk first: never an object whose
        // records a crash could then stage again under new numbers.
        self.flush().await?;
        let (mut records, mut copies) = (Drained::default(), Drained::default());
        let (r, c) = tokio::join!(self.drain_records(&mut records), self.drain_copies(&mut copies));
        done.records += records.records;
        done.batches += records.batches;
        done.copies += copies.copies;
        done.deleted += copies.deleted;
        r.and(c)?;
        self.flush().await?;
        Ok(())
    }

    /// Run `f` with the outbox and the site's name on a blocking thread:
    /// a sled read that misses its cache waits on the disk, and a batch's
    /// JSON and gzip take a while; neither may hold up the copies in
    /// flight beside it, which are polled on the same task.
    async fn off<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Outbox, &str) -> Result<T, SyncError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let (outbox, site) = (self.outbox.clone(), self.site.clone());
        tokio::task::spawn_blocking(move || f(&outbox, &site)).await.map_err(|e| {
            SyncError::Outbox(OutboxError::Index {
                step: "work off the runtime",
                source: sled::Error::ReportableBug(e.to_string()),
            })
        })?
    }

    /// Upload the metadata records, a batch at a time.
    async fn drain_records(&self, done: &mut Drained) -> Result<(), SyncError> {
        let planned = |o: &Outbox, site: &str| -> Result<Option<(Pending, Vec<u8>)>, SyncError> {
            let Some(p) = next_batch(o, site)? else { return Ok(None) };
            let body = batch_body(o, site, &p)?;
            Ok(Some((p, body)))
        };
        while let Some((p, body)) = self.off(planned).await? {
            let key = self.tenant.key(&p.key);
            self.tenant
                .store()
                .put(&key, PutPayload::from(body))
                .await
                .map_err(|source| SyncError::Tenant { action: format!("uploading {}", p.key), source })?;
            let records = p.seqs.len();
            self.off(move |o, _| complete(o, &p)).await?;
            done.records += records;
            done.batches += 1;
        }
        Ok(())
    }

    /// Carry out the copy operations, several at a time: each is a round
    /// trip to the tenant, and they are independent (one key each).
    async fn drain_copies(&self, done: &mut Drained) -> Result<(), SyncError> {
        let ops: Vec<(sled::IVec, sled::IVec)> =
            self.off(|o, _| Ok(o.copies.iter().collect::<Result<_, _>>().at("read the copy operations")?)).await?;
        let mut running =
            futures_util::stream::iter(ops).map(|(k, v)| self.copy_op(k, v)).buffer_unordered(COPIES_AT_ONCE);
        while let Some(r) = running.next().await {
            match r? {
                Some(true) => done.copies += 1,
                Some(false) => done.deleted += 1,
                None => {}
            }
        }
        Ok(())
    }

    /// Carry out one copy operation: `Some(true)` for a copy put,
    /// `Some(false)` for one deleted, `None` for nothing to do.
    async fn copy_op(&self, job_key: sled::IVec, raw: sled::IVec) -> Result<Option<bool>, SyncError> {
        let job = String::from_utf8_lossy(&job_key).into_owned();
        let Ok(op) = serde_json::from_slice::<CopyOp>(&raw) else {
            log::error!("cloud outbox: an unreadable copy operation on job {job} was skipped");
            self.outbox.copies.remove(&job_key).at("drop an unreadable copy operation")?;
            return Ok(None);
        };
        let did = match op {
            // A job gone before its copy went up has its delete staged.
            CopyOp::Put { owner, .. } => match self.blobs.file(&job) {
                Some(file) => self.put_copy(&job, &owner, &file).await?.then_some(true),
                None => None,
            },
            CopyOp::Delete { owner } => {
                self.delete_copy(&job, &owner).await?;
                Some(false)
            }
        };
        // Only if no newer operation replaced this one meanwhile.
        let _ = self.outbox.copies.compare_and_swap(&job_key, Some(raw), None::<&[u8]>).at("finish a copy")?;
        Ok(did)
    }

    async fn flush(&self) -> Result<(), SyncError> {
        self.off(|o, _| Ok(o.db.flush().map(|_| ()).at("flush")?)).await
    }

    fn copy_key(&self, owner: &str, job: &str) -> object_store::path::Path {
        self.tenant.key(&copy_key(owner, &self.site, job))
    }

    /// Upload a job's file as its copy: `true` when it went up, `false`
    /// when the job was shredded meanwhile (its delete follows).
    async fn put_copy(&self, job: &str, owner: &str, file: &std::path::Path) -> Result<bool, SyncError> {
        let key = self.copy_key(owner, job);
        let tenant_err =
            |action: &str, source| SyncError::Tenant { action: format!("{action} the copy of job {job}"), source };
        let blob_err = |source| SyncError::Blob { job: job.into(), source };
        // Most jobs are small: one read, one request.
        let path = file.to_owned();
        let small = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
            let mut f = std::fs::File::open(&path)?;
            if f.metadata()?.len() > SMALL_COPY {
                return Ok(None);
            }
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut v)?;
            Ok(Some(v))
        })
        .await
        .map_err(|e| blob_err(std::io::Error::other(e)))?;
        match small {
            Ok(Some(bytes)) => {
                self.tenant.store().put(&key, PutPayload::from(bytes)).await.map_err(|e| tenant_err("uploading", e))?;
                return Ok(true);
            }
            Ok(None) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(blob_err(e)),
        }
        // A large one streams, in parts, never whole in memory.
        let f = match tokio::fs::File::open(file).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(source) => return Err(blob_err(source)),
        };
        let mut f = tokio::io::BufReader::with_capacity(1 << 20, f);
        let mut w = object_store::buffered::BufWriter::new(self.tenant.store().clone(), key);
        if let Err(e) = tokio::io::copy_buf(&mut f, &mut w).await {
            let _ = w.abort().await;
            return Err(match e.downcast::<object_store::Error>() {
                Ok(source) => tenant_err("uploading", source),
                Err(source) => blob_err(source),
            });
        }
        w.shutdown().await.map_err(|e| match e.downcast::<object_store::Error>() {
            Ok(source) => tenant_err("uploading", source),
            Err(source) => blob_err(source),
        })?;
        Ok(true)
    }

    async fn delete_copy(&self, job: &str, owner: &str) -> Result<(), SyncError> {
        match self.tenant.store().delete(&self.copy_key(owner, job)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(SyncError::Tenant { action: format!("deleting the copy of job {job}"), source }),
        }
    }

    /// Drain now and whenever woken or every `every`, backing off after
    /// failures, until `stop` turns true.
    pub async fn run(
        self,
        wake: Arc<tokio::sync::Notify>,
        every: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut failures = 0u32;
        let mut deferring: Option<tokio::time::Instant> = None;
        loop {
            // Jobs first: while they arrive, the drain due waits for the
            // quiet after them, up to `defer_max`.
            if self.outbox.staged_within(BUSY_WITHIN)
                && deferring.get_or_insert_with(tokio::time::Instant::now).elapsed() < self.defer_max
            {
                tokio::select! {
                    _ = tokio::time::sleep(BUSY_WITHIN.min(every)) => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    return;
                }
                continue;
            }
            deferring = None;
            let wait = match self.drain().await {
                Ok(d) => {
                    if failures > 0 {
                        log::info!(
                            "cloud sync: the tenant is reachable again; {} records and {} copies went up",
                            d.records,
                            d.copies
                        );
                    }
                    failures = 0;
                    every
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(failures);
                    if failures == 1 || failures.is_power_of_two() {
                        log::warn!(
                            "cloud sync to {}: {e}; {} entries kept, next try in {} s",
                            self.tenant.describe,
                            self.outbox.len(),
                            wait.as_secs()
                        );
                    }
                    self.outbox.status.lock().unwrap_or_else(|p| p.into_inner()).retry_at_ms =
                        Some(now_ms() + u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
                    wait
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                // A wake during back-off does not cut it short.
                _ = wake.notified(), if failures == 0 => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}

/// The batch left by a crash, or the next one, written down (and flushed)
/// first.
fn next_batch(outbox: &Outbox, site: &str) -> Result<Option<Pending>, SyncError> {
    if let Some(v) = outbox.state.get("pending").at("read the pending batch")? {
        match serde_json::from_slice::<Pending>(&v) {
            Ok(p) => return Ok(Some(p)),
            Err(e) => log::error!("cloud outbox: the pending batch is unreadable ({e}); it is planned again"),
        }
    }
    let mut seqs = Vec::new();
    let mut day = None;
    let mut first_last = (0, 0);
    for kv in outbox.records.iter() {
        let (k, v) = kv.at("read the records")?;
        let Ok(seq) = <[u8; 8]>::try_from(k.as_ref()).map(u64::from_be_bytes) else { continue };
        let at = outbox.record(&k, &v).map_or(0, |r| r.at_ms);
        let d = rfc3339(at)[..10].to_owned();
        match &day {
            None => {
                day = Some(d);
                first_last.0 = seq;
            }
            Some(x) if *x != d => break,
            Some(_) => {}
        }
        first_last.1 = seq;
        seqs.push(seq);
        if seqs.len() == BATCH_RECORDS {
            break;
        }
    }
    let Some(day) = day else { return Ok(None) };
    let p = Pending {
        seqs,
        key: format!("metadata/site={site}/date={day}/{:020}-{:020}.jsonl.gz", first_last.0, first_last.1),
    };
    let v = serde_json::to_vec(&p).map_err(|source| OutboxError::Record { step: "plan a batch", source })?;
    outbox.state.insert("pending", v).at("plan a batch")?;
    outbox.db.flush().at("flush")?;
    Ok(Some(p))
}

/// The gzip JSON lines of batch `p`.
fn batch_body(outbox: &Outbox, site: &str, p: &Pending) -> Result<Vec<u8>, SyncError> {
    // mtime 0 and a fixed level: the same records give the same bytes.
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::new(6));
    for seq in &p.seqs {
        let Some(v) = outbox.records.get(seq.to_be_bytes()).at("read a record")? else { continue };
        let plain = outbox.open_record(&seq.to_be_bytes(), &v).unwrap_or_default();
        let Ok(serde_json::Value::Object(mut line)) = serde_json::from_slice::<serde_json::Value>(&plain) else {
            log::error!("cloud outbox: record {seq} is unreadable and was left out of its batch");
            continue;
        };
        let at = line.get("at_ms").and_then(serde_json::Value::as_u64).unwrap_or(0);
        line.insert("v".into(), 1.into());
        line.insert("site".into(), site.into());
        line.insert("seq".into(), (*seq).into());
        line.insert("at".into(), rfc3339(at).into());
        let bytes =
            serde_json::to_vec(&line).map_err(|source| OutboxError::Record { step: "write a batch", source })?;
        let w = |e: std::io::Error| SyncError::Blob { job: String::new(), source: e };
        gz.write_all(&bytes).map_err(w)?;
        gz.write_all(b"\n").map_err(w)?;
    }
    gz.finish().map_err(|e| SyncError::Blob { job: String::new(), source: e })
}

/// Remove batch `p`'s records and the note of it, in one transaction.
fn complete(outbox: &Outbox, p: &Pending) -> Result<(), SyncError> {
    use sled::Transactional;
    (&outbox.records, &outbox.state)
        .transaction(|(records, state)| {
            for seq in &p.seqs {
                records.remove(&seq.to_be_bytes()[..])?;
            }
            state.remove("pending")?;
            Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
        })
        .map_err(|e| match e {
            sled::transaction::TransactionError::Storage(source) => {
                OutboxError::Index { step: "finish a batch", source }
            }
            sled::transaction::TransactionError::Abort(()) => {
                OutboxError::Index { step: "finish a batch", source: sled::Error::Unsupported("aborted".into()) }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_five_minutes_with_jitter_of_up_to_half() {
        for (failures, full) in [(1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (40, 300)] {
            for _ in 0..50 {
                let d = backoff(failures);
                let full = Duration::from_secs(full);
                assert!(d >= full / 2 && d <= full, "{failures}: {d:?}");
            }
        }
    }

    struct Files(std::collections::HashMap<String, PathBuf>);

    impl Blobs for Files {
        fn file(&self, job: &str) -> Option<PathBuf> {
            self.0.get(job).cloned()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn small_and_large_copies_go_up_as_they_are_and_a_job_gone_meanwhile_is_skipped() {
        use sled::Transactional;
        let t = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(t.path().join("db")).open().expect("db");
        let mut opts = crate::outbox::OutboxOptions::with_keys([1; 32], [2; 32]);
        opts.copies = true;
        let outbox = Arc::new(Outbox::open(&db, opts).expect("outbox"));
        let mut files = std::collections::HashMap::new();
        // One under the single-request size, one over it (it streams), one whose file is gone.
        for (job, size) in [("a".repeat(32), 1000usize), ("b".repeat(32), (9 << 20) + 7), ("c".repeat(32), 0)] {
            if size > 0 {
                let p = t.path().join(&job);
                std::fs::write(&p, (0..size).map(|i| u8::try_from(i % 251).unwrap_or(0)).collect::<Vec<u8>>())
                    .expect("write");
                files.insert(job.clone(), p);
            }
            let op = CopyOp::Put { owner: "p-1".into(), expires_at_ms: 0 };
            let (_, copies) = outbox.trees();
            (copies,)
                .transaction(|(c,)| {
                    Ok::<_, sled::transaction::ConflictableTransactionError<()>>(outbox.stage_copy(c, &job, &op)?)
                })
                .expect("stage");
        }
        let root = t.path().join("tenant");
        let tenant = Tenant::open(&crate::tenant::TenantConfig::Local { dir: root.clone() }).expect("tenant");
        let up = Uploader::new(outbox.clone(), tenant, "hq", Arc::new(Files(files.clone())));
        let done = up.drain().await.expect("drain");
        assert_eq!((done.copies, done.deleted), (2, 0));
        for (job, path) in &files {
            let copy = root.join(copy_key("p-1", "hq", job));
            assert!(std::fs::read(copy).expect("copy") == std::fs::read(path).expect("file"), "{job}");
        }
        assert!(!root.join(copy_key("p-1", "hq", &"c".repeat(32))).exists());
        assert!(outbox.copy_ops().expect("ops").is_empty(), "every operation done");
    }

    fn files_under(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map_or(0, |rd| rd.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum())
    }

    /// Offer a record every 20 ms until `until` says stop; how many.
    async fn keep_offering(outbox: &Outbox, until: impl Fn() -> bool) -> usize {
        let mut n = 0;
        while !until() {
            outbox.offer(crate::outbox::Record::new("meter.read", format!("m{n}"), now_ms())).expect("offer");
            n += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        n
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn uploading_waits_while_records_arrive_but_not_for_longer_than_its_bound() {
        let t = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(t.path().join("db")).open().expect("db");
        let outbox = Arc::new(Outbox::open(&db, crate::outbox::OutboxOptions::with_keys([1; 32], [2; 32])).expect("o"));
        let root = t.path().join("tenant");
        let start = |defer: Duration| {
            let tenant = Tenant::open(&crate::tenant::TenantConfig::Local { dir: root.clone() }).expect("tenant");
            let up = Uploader::new(outbox.clone(), tenant, "hq", Arc::new(Files(Default::default())));
            let (tx, rx) = tokio::sync::watch::channel(false);
            let task = tokio::spawn(up.defer_at_most(defer).run(
                Arc::new(tokio::sync::Notify::new()),
                Duration::from_millis(20),
                rx,
            ));
            (tx, task)
        };
        // While records arrive, nothing goes up; in the quiet after, all does.
        outbox.offer(crate::outbox::Record::new("meter.read", "first".into(), now_ms())).expect("offer");
        let (stop, task) = start(Duration::from_secs(3600));
        let t0 = std::time::Instant::now();
        let n = keep_offering(&outbox, || t0.elapsed() > Duration::from_millis(600)).await;
        assert_eq!(files_under(&root), 0, "uploaded while {n} records arrived");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !outbox.is_empty() {
            assert!(std::time::Instant::now() < deadline, "not uploaded in the quiet");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(files_under(&root) > 0);
        stop.send(true).expect("stop");
        task.await.expect("stopped");
        // Records that never stop arriving still go up, once the bound is reached.
        let before = files_under(&root);
        let (stop, task) = start(Duration::from_millis(300));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        keep_offering(&outbox, || files_under(&root) > before || std::time::Instant::now() > deadline).await;
        assert!(files_under(&root) > before, "nothing went up while records kept arriving");
        stop.send(true).expect("stop");
        task.await.expect("stopped");
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(&rfc3339(0)[..10], "1970-01-01");
        assert_eq!(rfc3339(1_796_515_200_123), "2026-12-06T00:00:00.123Z");
    }
}
