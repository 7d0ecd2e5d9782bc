//! The durable outbox: records and job-copy operations waiting for the tenant.
//!
//! The outbox lives in the caller's sled database, in three trees, so that a
//! record is staged in the very transaction that commits the event it
//! describes ([`Outbox::stage`], [`Outbox::stage_copy`]): a crash keeps both
//! or neither, and whatever restores the event (the job store's
//! reconciliation) stages its record again.
//!
//! - `outbox`: sequence number (u64, big-endian) → [`Record`] (JSON), with
//!   the privacy settings already applied, so that nothing kept here is more
//!   than what may leave, and sealed (AES-256-GCM under a key of the
//!   site's, the sequence number bound in), as the job index is: no name
//!   lies on the appliance's disk in clear.
//! - `outbox_copies`: job name → [`CopyOp`] (JSON). The latest operation on a
//!   job wins: a job that ends before its copy went up is never uploaded.
//! - `outbox_state`: the batch being uploaded (`pending`) and cursors of
//!   feeds such as the scout's change log.
//!
//! Upload is in [`crate::upload`]. Nothing here knows what a job is beyond a
//! name and a file to copy.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sled::transaction::{TransactionalTree, UnabortableTransactionError};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// One metadata record. The schema is documented in `docs/TENANT.md`; a
/// line of a batch is this, with `v`, `site` and `at` added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// What happened: `job.parked`, `job.released`, `job.ended`,
    /// `device.stats`, `meter.read`, `scout.change` or `health`.
    pub kind: String,
    /// The event's own id, stable across retries and restarts
    /// (`parked:JOB`, `ended:JOB`...): the tenant's readers may rely on it
    /// being unique.
    pub event: String,
    /// When it happened, ms since the epoch.
    pub at_ms: u64,
    /// A user name (the job's owner, who signed in...), subject to privacy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Who acted (released, deleted), subject to the same setting as `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// A document name, subject to privacy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// A department, subject to privacy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The rest, by kind (see `docs/TENANT.md`).
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Record {
    /// A record of `kind`, event id `event`, at `at_ms`, with no fields yet.
    pub fn new(kind: &str, event: String, at_ms: u64) -> Record {
        Record {
            kind: kind.into(),
            event,
            at_ms,
            user: None,
            by: None,
            document: None,
            department: None,
            fields: serde_json::Map::new(),
        }
    }

    /// Add a field (builder style).
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Record {
        self.fields.insert(key.into(), value.into());
        self
    }
}

/// What leaves the appliance of one kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Disclose {
    /// As it is.
    Keep,
    /// A stable pseudonym (`p-` and 24 hex digits of an HMAC under a key of
    /// the site's): reports can still count by it, and only the site can
    /// tell whose it is.
    Pseudonym,
    /// Not at all.
    Omit,
}

impl Disclose {
    /// From a setting's word: `keep`, `pseudonym` or `omit`.
    pub fn parse(s: &str) -> Option<Disclose> {
        match s {
            "keep" => Some(Disclose::Keep),
            "pseudonym" => Some(Disclose::Pseudonym),
            "omit" => Some(Disclose::Omit),
            _ => None,
        }
    }
}

/// The privacy settings, applied as a record is staged.
#[derive(Clone)]
pub struct Privacy {
    /// User names (`user`, `by`).
    pub users: Disclose,
    /// Document names.
    pub documents: Disclose,
    /// Departments.
    pub departments: Disclose,
    /// The key pseudonyms are made under.
    pub key: zeroize::Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privacy")
            .field("users", &self.users)
            .field("documents", &self.documents)
            .field("departments", &self.departments)
            .finish_non_exhaustive()
    }
}

impl Privacy {
    /// Apply the settings to a record.
    pub fn apply(&self, r: &mut Record) {
        let user = self.users;
        for v in [&mut r.user, &mut r.by] {
            self.one(v, user);
        }
        self.one(&mut r.document, self.documents);
        self.one(&mut r.department, self.departments);
    }

    fn one(&self, v: &mut Option<String>, how: Disclose) {
        match how {
            Disclose::Keep => {}
            Disclose::Omit => *v = None,
            Disclose::Pseudonym => {
                if let Some(s) = v.as_mut() {
                    *s = self.pseudonym(s);
                }
            }
        }
    }

    /// The stable pseudonym of `value`.
    pub fn pseudonym(&self, value: &str) -> String {
        pseudonym(&self.key[..], value)
    }
}

/// `p-` and 24 hex digits of HMAC-SHA-256(key, value).
pub fn pseudonym(key: &[u8], value: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(value.as_bytes());
    let tag = mac.finalize().into_bytes();
    let mut out = String::from("p-");
    for b in &tag[..12] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// What happens when the outbox holds `capacity` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WhenFull {
    /// Jobs are still accepted and their records kept; device statistics,
    /// meter reads and health records are not recorded (and counted as
    /// paused) until the backlog drains.
    PauseMetadata,
    /// New jobs are refused (IPP `server-error-busy`) until the backlog
    /// drains below nine tenths; optional records are paused as above.
    RefuseJobs,
}

impl WhenFull {
    /// From a setting's word.
    pub fn parse(s: &str) -> Option<WhenFull> {
        match s {
            "pause-metadata" => Some(WhenFull::PauseMetadata),
            "refuse-jobs" => Some(WhenFull::RefuseJobs),
            _ => None,
        }
    }
}

/// How the outbox is set up.
#[derive(Debug, Clone)]
pub struct OutboxOptions {
    /// The privacy settings.
    pub privacy: Privacy,
    /// Entries (records and copy operations) before the outbox is full.
    pub capacity: usize,
    /// What happens then.
    pub when_full: WhenFull,
    /// Whether zero-knowledge copies of jobs are made.
    pub copies: bool,
    /// The key records are sealed under at rest.
    pub seal_key: zeroize::Zeroizing<[u8; 32]>,
}

impl OutboxOptions {
    /// Defaults for tests and tools: user names kept, document names
    /// omitted, 100,000 entries, pause metadata, no copies; pseudonyms
    /// under `key`, records sealed under `seal_key`.
    pub fn with_keys(key: [u8; 32], seal_key: [u8; 32]) -> OutboxOptions {
        OutboxOptions {
            privacy: Privacy {
                users: Disclose::Keep,
                documents: Disclose::Omit,
                departments: Disclose::Keep,
                key: zeroize::Zeroizing::new(key),
            },
            capacity: 100_000,
            when_full: WhenFull::PauseMetadata,
            copies: false,
            seal_key: zeroize::Zeroizing::new(seal_key),
        }
    }
}

/// An operation on a job's copy in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum CopyOp {
    /// Upload the job's sealed file as its copy.
    Put {
        /// The job's owner, as its pseudonym under the site's key (never
        /// the name: the tenant learns only that two copies share an owner).
        owner: String,
        /// When the job expires, ms since the epoch.
        expires_at_ms: u64,
    },
    /// Delete the copy (the job ended).
    Delete {
        /// The owner's pseudonym, as in [`CopyOp::Put`].
        owner: String,
    },
}

/// The upload state the status shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Metadata records waiting.
    pub backlog: usize,
    /// Copy operations waiting.
    pub copies_backlog: usize,
    /// When the oldest waiting record happened (its lag), ms since the epoch.
    pub oldest_at_ms: Option<u64>,
    /// The last time a drain emptied the outbox or made progress.
    pub last_upload_ms: Option<u64>,
    /// Why the last attempt failed; cleared by the next success.
    pub last_error: Option<String>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// When the next attempt is due after a failure, ms since the epoch.
    pub retry_at_ms: Option<u64>,
    /// Optional records not recorded because the outbox was full.
    pub paused: u64,
    /// Records uploaded since start.
    pub uploaded: u64,
    /// Copies uploaded since start.
    pub copies_uploaded: u64,
    /// Copies deleted since start.
    pub copies_deleted: u64,
    /// Where the tenant is, for people.
    pub tenant: String,
}

/// Errors of the outbox's own trees.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// sled failed.
    #[error("outbox, {step}: {source}")]
    Index {
        /// What it was doing.
        step: &'static str,
        /// The error.
        source: sled::Error,
    },
    /// A record could not be encoded or read back.
    #[error("outbox, {step}: {source}")]
    Record {
        /// What it was doing.
        step: &'static str,
        /// The error.
        source: serde_json::Error,
    },
}

pub(crate) trait At<T> {
    fn at(self, step: &'static str) -> Result<T, OutboxError>;
}

impl<T> At<T> for Result<T, sled::Error> {
    fn at(self, step: &'static str) -> Result<T, OutboxError> {
        self.map_err(|source| OutboxError::Index { step, source })
    }
}

/// The outbox.
pub struct Outbox {
    pub(crate) db: sled::Db,
    pub(crate) records: sled::Tree,
    pub(crate) copies: sled::Tree,
    pub(crate) state: sled::Tree,
    opts: OutboxOptions,
    cipher: aes_gcm::Aes256Gcm,
    /// Records and copy operations waiting, counted at open and after each
    /// drain, and raised as they are staged (a transaction retried counts
    /// twice until the next recount).
    records_n: AtomicUsize,
    copies_n: AtomicUsize,
    paused: AtomicU64,
    /// When a record was last staged (ms since the epoch): the uploader
    /// waits while jobs arrive.
    last_staged_ms: AtomicU64,
    refusing: std::sync::atomic::AtomicBool,
    pub(crate) status: Mutex<SyncStatus>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("records", &self.records_n)
            .field("copies", &self.copies_n)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// Open the outbox's trees in `db`.
    pub fn open(db: &sled::Db, opts: OutboxOptions) -> Result<Outbox, OutboxError> {
        let o = Outbox {
            records: db.open_tree("outbox").at("open its trees")?,
            copies: db.open_tree("outbox_copies").at("open its trees")?,
            state: db.open_tree("outbox_state").at("open its trees")?,
            db: db.clone(),
            cipher: <aes_gcm::Aes256Gcm as aes_gcm::KeyInit>::new(aes_gcm::Key::<aes_gcm::Aes256Gcm>::from_slice(
                &opts.seal_key[..],
            )),
            opts,
            records_n: AtomicUsize::new(0),
            copies_n: AtomicUsize::new(0),
            paused: AtomicU64::new(0),
            last_staged_ms: AtomicU64::new(0),
            refusing: std::sync::atomic::AtomicBool::new(false),
            status: Mutex::new(SyncStatus::default()),
        };
        o.recount();
        Ok(o)
    }

    /// The trees a caller's transaction must include to stage into:
    /// records, then copies.
    pub fn trees(&self) -> (&sled::Tree, &sled::Tree) {
        (&self.records, &self.copies)
    }

    /// Whether zero-knowledge copies are made.
    pub fn copies_on(&self) -> bool {
        self.opts.copies
    }

    /// The privacy settings.
    pub fn privacy(&self) -> &Privacy {
        &self.opts.privacy
    }

    /// Stage `rec` inside a transaction over [`Outbox::trees`]'s records
    /// tree; the privacy settings are applied first.
    pub fn stage(&self, records: &TransactionalTree, mut rec: Record) -> Result<(), UnabortableTransactionError> {
        self.opts.privacy.apply(&mut rec);
        let seq = records.generate_id()?.to_be_bytes();
        let v = self.seal(&seq, &serde_json::to_vec(&rec).unwrap_or_default());
        records.insert(&seq[..], v)?;
        self.records_n.fetch_add(1, Ordering::Relaxed);
        self.last_staged_ms.store(crate::upload::now_ms(), Ordering::Relaxed);
        Ok(())
    }

    /// Whether a record was staged within `within`: jobs are arriving.
    pub fn staged_within(&self, within: std::time::Duration) -> bool {
        let last = self.last_staged_ms.load(Ordering::Relaxed);
        last != 0
            && crate::upload::now_ms().saturating_sub(last) < u64::try_from(within.as_millis()).unwrap_or(u64::MAX)
    }

    /// Stage a copy operation on job `job` inside a transaction over
    /// [`Outbox::trees`]'s copies tree; it replaces any waiting one. Does
    /// nothing when copies are off.
    pub fn stage_copy(
        &self,
        copies: &TransactionalTree,
        job: &str,
        op: &CopyOp,
    ) -> Result<(), UnabortableTransactionError> {
        if !self.opts.copies {
            return Ok(());
        }
        let v = serde_json::to_vec(op).unwrap_or_default();
        if copies.insert(job.as_bytes(), v)?.is_none() {
            self.copies_n.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Record an optional record (device statistics, meter reads, health)
    /// on its own, unless the outbox is full: then it is counted as paused
    /// and `false` is returned. Durable when this returns.
    pub fn offer(&self, rec: Record) -> Result<bool, OutboxError> {
        self.offer_with_cursor(rec, None)
    }

    /// [`Outbox::offer`], moving the feed cursor `name` to `value` in the
    /// same commit (so that a feed read again after a crash offers each of
    /// its records once).
    pub fn offer_with_cursor(&self, rec: Record, cursor: Option<(&str, u64)>) -> Result<bool, OutboxError> {
        let kept = self.offer_unflushed(rec, cursor)?;
        self.db.flush().at("record an optional record")?;
        Ok(kept)
    }

    /// [`Outbox::offer_with_cursor`] without the flush: for a caller whose
    /// own flush, next, commits it with the event it describes.
    pub fn offer_unflushed(&self, rec: Record, cursor: Option<(&str, u64)>) -> Result<bool, OutboxError> {
        let key = cursor.map(|(n, v)| (cursor_key(n), v.to_be_bytes()));
        if self.is_full() {
            let n = self.paused.fetch_add(1, Ordering::Relaxed);
            if n == 0 {
                log::warn!(
                    "cloud outbox full ({} entries): device statistics, meter reads and health records are paused until it drains",
                    self.len()
                );
            }
            if let Some((k, v)) = key {
                self.state.insert(k, &v).at("move a feed's cursor")?;
            }
            return Ok(false);
        }
        self.write(Some(rec), key)?;
        Ok(true)
    }

    /// Stage a record that must not be paused (a job's), in a transaction
    /// of its own; the caller's next flush commits it.
    pub fn push(&self, rec: Record) -> Result<(), OutboxError> {
        self.write(Some(rec), None)
    }

    fn write(&self, rec: Option<Record>, cursor: Option<(Vec<u8>, [u8; 8])>) -> Result<(), OutboxError> {
        use sled::Transactional;
        (&self.records, &self.state)
            .transaction(|(records, state)| {
                if let Some(r) = &rec {
                    self.stage(records, r.clone())?;
                }
                if let Some((k, v)) = &cursor {
                    state.insert(k.as_slice(), &v[..])?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(source) => {
                    OutboxError::Index { step: "stage a record", source }
                }
                sled::transaction::TransactionError::Abort(()) => {
                    OutboxError::Index { step: "stage a record", source: sled::Error::Unsupported("aborted".into()) }
                }
            })
    }

    /// Where feed `name` has got to (0 at first).
    pub fn cursor(&self, name: &str) -> Result<u64, OutboxError> {
        Ok(self
            .state
            .get(cursor_key(name))
            .at("read a feed's cursor")?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// The first `limit` records waiting, oldest first.
    pub fn peek(&self, limit: usize) -> Result<Vec<Record>, OutboxError> {
        let mut out = Vec::new();
        for kv in self.records.iter().take(limit) {
            let (k, v) = kv.at("read the records")?;
            if let Some(r) = self.record(&k, &v) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The copy operations waiting, by job.
    pub fn copy_ops(&self) -> Result<Vec<(String, CopyOp)>, OutboxError> {
        let mut out = Vec::new();
        for kv in self.copies.iter() {
            let (k, v) = kv.at("read the copy operations")?;
            let op = serde_json::from_slice(&v)
                .map_err(|source| OutboxError::Record { step: "read a copy operation", source })?;
            out.push((String::from_utf8_lossy(&k).into_owned(), op));
        }
        Ok(out)
    }

    /// Entries waiting (records and copy operations).
    pub fn len(&self) -> usize {
        self.records_n.load(Ordering::Relaxed) + self.copies_n.load(Ordering::Relaxed)
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the outbox holds its capacity.
    pub fn is_full(&self) -> bool {
        self.len() >= self.opts.capacity
    }

    /// Under `refuse-jobs`, why a new job is refused now; `None` when it
    /// may be accepted. Once full, jobs are refused until the backlog is
    /// below nine tenths of the capacity, so that it does not flap.
    pub fn refuses_jobs(&self) -> Option<String> {
        if self.opts.when_full != WhenFull::RefuseJobs {
            return None;
        }
        let n = self.len();
        let cap = self.opts.capacity;
        let was = self.refusing.load(Ordering::Relaxed);
        let now = if was { n >= cap / 10 * 9 } else { n >= cap };
        if now != was {
            self.refusing.store(now, Ordering::Relaxed);
            if now {
                log::warn!("cloud outbox full ({n} entries): new jobs are refused until it drains");
            } else {
                log::info!("cloud outbox drained to {n} entries: new jobs are accepted again");
            }
        }
        now.then(|| {
            format!("the appliance cannot reach its cloud tenant and its outbox is full ({n} records waiting); try again later")
        })
    }

    /// Count the entries again (after a drain, and at open).
    pub fn recount(&self) {
        let records = self.records.len();
        let copies = self.copies.len();
        self.records_n.store(records, Ordering::Relaxed);
        self.copies_n.store(copies, Ordering::Relaxed);
        let oldest = self.records.first().ok().flatten().and_then(|(k, v)| self.record(&k, &v)).map(|r| r.at_ms);
        let mut st = self.status.lock().unwrap_or_else(|p| p.into_inner());
        st.backlog = records;
        st.copies_backlog = copies;
        st.oldest_at_ms = oldest;
        st.paused = self.paused.load(Ordering::Relaxed);
        if !self.is_full() {
            // A later fill warns again.
            self.paused.store(0, Ordering::Relaxed);
        }
    }

    /// The status: the backlog as of now, the rest as of the last drain.
    pub fn status(&self) -> SyncStatus {
        let mut st = self.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        st.paused = st.paused.max(self.paused.load(Ordering::Relaxed));
        st.backlog = self.records_n.load(Ordering::Relaxed);
        st.copies_backlog = self.copies_n.load(Ordering::Relaxed);
        st
    }
}

impl Outbox {
    /// `nonce || AES-256-GCM(plain)`, the key `seq` bound in.
    fn seal(&self, seq: &[u8], plain: &[u8]) -> Vec<u8> {
        use aes_gcm::aead::{Aead, Payload};
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(aes_gcm::Nonce::from_slice(&nonce), Payload { msg: plain, aad: seq })
            .unwrap_or_default();
        [&nonce[..], &sealed].concat()
    }

    /// A record's JSON, opened; `None` (and an error logged) when it does
    /// not authenticate.
    pub(crate) fn open_record(&self, seq: &[u8], v: &[u8]) -> Option<Vec<u8>> {
        use aes_gcm::aead::{Aead, Payload};
        let (nonce, sealed) = (v.get(..12)?, v.get(12..)?);
        match self.cipher.decrypt(aes_gcm::Nonce::from_slice(nonce), Payload { msg: sealed, aad: seq }) {
            Ok(p) => Some(p),
            Err(_) => {
                log::error!("cloud outbox: a record does not authenticate (another site key?); it is skipped");
                None
            }
        }
    }

    /// A record, opened and read.
    pub(crate) fn record(&self, seq: &[u8], v: &[u8]) -> Option<Record> {
        serde_json::from_slice(&self.open_record(seq, v)?).ok()
    }
}

fn cursor_key(name: &str) -> Vec<u8> {
    format!("cursor:{name}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn privacy(users: Disclose, documents: Disclose) -> Privacy {
        Privacy { users, documents, departments: Disclose::Omit, key: zeroize::Zeroizing::new([7; 32]) }
    }

    #[test]
    fn privacy_keeps_omits_or_pseudonymises_each_field_before_anything_is_kept() {
        let mut r = Record::new("job.ended", "ended:1".into(), 1);
        r.user = Some("alice".into());
        r.by = Some("bob".into());
        r.document = Some("Layoffs.pdf".into());
        r.department = Some("HR".into());
        let mut a = r.clone();
        privacy(Disclose::Pseudonym, Disclose::Omit).apply(&mut a);
        assert_eq!(a.document, None);
        assert_eq!(a.department, None);
        let (u, b) = (a.user.expect("user"), a.by.expect("by"));
        assert!(u.starts_with("p-") && u.len() == 26 && u != b, "{u} {b}");
        // Stable, so the tenant can count by it; another key gives another.
        assert_eq!(u, privacy(Disclose::Pseudonym, Disclose::Keep).pseudonym("alice"));
        assert_ne!(u, pseudonym(&[8; 32], "alice"));
        let mut k = r.clone();
        privacy(Disclose::Keep, Disclose::Keep).apply(&mut k);
        assert_eq!(k.user.as_deref(), Some("alice"));
        assert_eq!(k.document.as_deref(), Some("Layoffs.pdf"));
    }

    #[test]
    fn a_full_outbox_pauses_optional_records_and_counts_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::open(dir.path()).expect("sled");
        let mut opts = OutboxOptions::with_keys([1; 32], [2; 32]);
        opts.capacity = 3;
        let o = Outbox::open(&db, opts).expect("open");
        for i in 0..5 {
            let kept = o.offer(Record::new("health", format!("health:{i}"), i)).expect("offer");
            assert_eq!(kept, i < 3, "{i}");
        }
        assert_eq!(o.len(), 3);
        assert_eq!(o.status().paused, 2);
        assert_eq!(o.refuses_jobs(), None, "pause-metadata never refuses jobs");
    }

    #[test]
    fn refuse_jobs_refuses_when_full_with_a_clear_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::open(dir.path()).expect("sled");
        let mut opts = OutboxOptions::with_keys([1; 32], [2; 32]);
        opts.capacity = 2;
        opts.when_full = WhenFull::RefuseJobs;
        let o = Outbox::open(&db, opts).expect("open");
        assert!(o.refuses_jobs().is_none());
        o.offer(Record::new("health", "h:1".into(), 1)).expect("offer");
        o.offer(Record::new("health", "h:2".into(), 2)).expect("offer");
        let why = o.refuses_jobs().expect("refused");
        assert!(why.contains("outbox is full"), "{why}");
    }

    #[test]
    fn a_feed_cursor_moves_with_its_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::open(dir.path()).expect("sled");
        let o = Outbox::open(&db, OutboxOptions::with_keys([1; 32], [2; 32])).expect("open");
        assert_eq!(o.cursor("scout").expect("cursor"), 0);
        o.offer_with_cursor(Record::new("scout.change", "scout:9".into(), 9), Some(("scout", 9))).expect("offer");
        assert_eq!(o.cursor("scout").expect("cursor"), 9);
        assert_eq!(o.len(), 1);
    }
}
