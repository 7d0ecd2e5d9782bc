//! The audit log: who did what, when, from where, and how it ended. Every
//! sign-in to the console, every action taken there, and every release is
//! recorded.
//!
//! The records are hash-chained (see `chain.rs`), so an edited, removed or
//! inserted record shows, and `pullprint audit verify` names the first one.
//! Appending is durable before it returns (the record, then the head).
//! Beside the log, a sled index (number, actor, action, time) lets the
//! console page through a million records without reading them all; the
//! index is only a cache, caught up from the log when the log is opened.

mod chain;

pub use chain::{Broken, Verified, snapshot, verify};

use crate::clock::now_ms;
use crate::durable;
use chain::{GENESIS, Head, MAX_LINE};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One audit record, as written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Record {
    /// Its number: 1, 2, 3…, with no gaps.
    pub seq: u64,
    /// When, ms since the epoch.
    pub at_ms: u64,
    /// Who acted: a user's login, or `system` for the appliance itself.
    pub actor: String,
    /// In what capacity: `admin`, `helpdesk`, `auditor`, `user`, `system`.
    pub role: String,
    /// From where: the client's address, or the printer for a release.
    pub source: String,
    /// What was done, a dotted name such as `console.sign-in` or `job.delete`.
    pub action: String,
    /// The user the action was about, if any (a login).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// What else it was about: a job, a printer, a setting.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// `ok`, `refused` or `failed`.
    pub outcome: String,
    /// More, in words (never a secret).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Record {
    /// Record number `seq` of `e`, now, each field cut to 1,000 characters.
    fn of(seq: u64, e: Entry) -> Record {
        let cut = |s: String| if s.len() > 1024 { s.chars().take(1000).collect::<String>() + "…" } else { s };
        Record {
            seq,
            at_ms: now_ms(),
            actor: cut(e.actor),
            role: cut(e.role),
            source: cut(e.source),
            action: cut(e.action),
            subject: cut(e.subject),
            target: cut(e.target),
            outcome: cut(e.outcome),
            detail: cut(e.detail),
        }
    }
}

/// What a caller records; the log adds the number and the time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// See [`Record::actor`].
    pub actor: String,
    /// See [`Record::role`].
    pub role: String,
    /// See [`Record::source`].
    pub source: String,
    /// See [`Record::action`].
    pub action: String,
    /// See [`Record::subject`].
    pub subject: String,
    /// See [`Record::target`].
    pub target: String,
    /// See [`Record::outcome`].
    pub outcome: String,
    /// See [`Record::detail`].
    pub detail: String,
}

impl Entry {
    /// An entry for `action` by `actor` acting as `role` from `source`, `ok`.
    pub fn new(actor: &str, role: &str, source: &str, action: &str) -> Entry {
        Entry {
            actor: actor.into(),
            role: role.into(),
            source: source.into(),
            action: action.into(),
            outcome: "ok".into(),
            ..Entry::default()
        }
    }

    /// About user `s`.
    pub fn subject(mut self, s: &str) -> Entry {
        self.subject = s.into();
        self
    }

    /// About `t`.
    pub fn target(mut self, t: &str) -> Entry {
        self.target = t.into();
        self
    }

    /// Ended as `o` (`ok`, `refused`, `failed`), with `detail`.
    pub fn outcome(mut self, o: &str, detail: &str) -> Entry {
        self.outcome = o.into();
        self.detail = detail.into();
        self
    }
}

/// Why the audit log failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading or writing its files.
    #[error("audit log: {step}: {source}")]
    Io {
        /// What was being done.
        step: &'static str,
        /// The error.
        source: io::Error,
    },
    /// Its index.
    #[error("audit index: {0}")]
    Index(#[from] sled::Error),
}

fn io_err(step: &'static str) -> impl FnOnce(io::Error) -> AuditError {
    move |source| AuditError::Io { step, source }
}

/// Filters for [`AuditLog::page`]; every one optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only records at or after this time (ms).
    pub from_ms: Option<u64>,
    /// Only records before this time (ms).
    pub to_ms: Option<u64>,
    /// Only records numbered below this (the cursor of the next page).
    pub before: Option<u64>,
    /// At most this many records.
    pub limit: usize,
}

/// One page of records, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The records.
    pub records: Vec<Record>,
    /// The cursor for the next (older) page, if there may be one.
    pub next: Option<u64>,
}

/// When the chain was last checked, and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStatus {
    /// Not checked yet since the daemon started.
    Unchecked,
    /// Intact at `at_ms`, with this many records.
    Intact {
        /// When it was checked.
        at_ms: u64,
        /// Records then.
        records: u64,
    },
    /// Broken, as found at `at_ms`.
    Broken {
        /// When it was checked.
        at_ms: u64,
        /// Where and why.
        broken: Broken,
    },
}

/// Candidates an index walk reads for one page before it stops and hands
/// back a cursor, so that a rare filter never reads the whole log at once.
const MAX_SCAN: usize = 5_000;

struct Tail {
    log: File,
    head: File,
    len: u64,
    seq: u64,
    mac: [u8; 32],
}

/// The audit log. Cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    key: [u8; 32],
    tail: Mutex<Tail>,
    reader: File,
    db: sled::Db,
    /// Number → offset (8), length (4).
    by_seq: sled::Tree,
    /// Actor, 0, number → ().
    by_actor: sled::Tree,
    /// Action, 0, number → ().
    by_action: sled::Tree,
    /// Time ms, number → ().
    by_time: sled::Tree,
    status: Mutex<ChainStatus>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("dir", &self.inner.dir).finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Open (creating if needed) the log in `dir` under `key`, and catch
    /// its index up with it. A record cut off by a crash mid-append (never
    /// acknowledged) is dropped; anything else amiss is left for
    /// [`AuditLog::check`] to report, and new records chain on from the
    /// last line as written.
    pub fn open(dir: &Path, key: [u8; 32]) -> Result<AuditLog, AuditError> {
        durable::create_dir_durable(dir, 0o700).map_err(io_err("create its folder"))?;
        let open = |name: &str| {
            OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(dir.join(name))
        };
        let log = open("log").map_err(io_err("open the log"))?;
        let head_file = open("head").map_err(io_err("open the head"))?;
        durable::sync_dir(dir).map_err(io_err("sync its folder"))?;
        let head = Head::read(&key, &head_file).ok().flatten();
        let db =
            sled::Config::new().path(dir.join("index")).cache_capacity(4 << 20).mode(sled::Mode::LowSpace).open()?;
        let reader = log.try_clone().map_err(io_err("open the log"))?;
        let inner = Inner {
            dir: dir.to_owned(),
            key,
            tail: Mutex::new(Tail { log, head: head_file, len: 0, seq: 0, mac: GENESIS }),
            reader,
            by_seq: db.open_tree("seq")?,
            by_actor: db.open_tree("actor")?,
            by_action: db.open_tree("action")?,
            by_time: db.open_tree("time")?,
            db,
            status: Mutex::new(ChainStatus::Unchecked),
        };
        let log = AuditLog { inner: Arc::new(inner) };
        log.catch_up(head)?;
        Ok(log)
    }

    /// Index every line after the last indexed one, and set the tail.
    fn catch_up(&self, head: Option<Head>) -> Result<(), AuditError> {
        let i = &self.inner;
        let mut tail = i.tail.lock().unwrap_or_else(|p| p.into_inner());
        let file_len = tail.log.metadata().map_err(io_err("stat the log"))?.len();
        let (mut at, mut seq, mut mac) = (0u64, 0u64, GENESIS);
        if let Some((k, v)) = i.by_seq.last()?
            && let Some((off, len)) = slot(&v)
            && off + u64::from(len) <= file_len
            && let Ok(rec) = self.read_line(off, len)
        {
            at = off + u64::from(len);
            seq = u64::from_be_bytes(k.as_ref().try_into().unwrap_or_default());
            mac = rec.1;
        } else if !i.by_seq.is_empty() {
            log::warn!("audit log: its index does not match the log; rebuilding the index");
            for t in [&i.by_seq, &i.by_actor, &i.by_action, &i.by_time] {
                t.clear()?;
            }
        }
        let mut r = BufReader::new(&tail.log);
        r.seek(SeekFrom::Start(at)).map_err(io_err("read the log"))?;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = r.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', &mut buf).map_err(io_err("read the log"))?;
            if n == 0 {
                break;
            }
            match chain::split(&buf) {
                Ok((_, rec, m)) => {
                    self.index(&rec, at, u32::try_from(n).unwrap_or(u32::MAX))?;
                    (seq, mac) = (rec.seq, m);
                    at += n as u64;
                }
                Err(why) if !buf.ends_with(b"\n") && head.is_none_or(|h| h.seq <= seq) => {
                    log::warn!("audit log: dropping a record cut off by a crash before it was acknowledged ({why})");
                    tail.log.set_len(at).map_err(io_err("cut off a torn record"))?;
                    tail.log.sync_data().map_err(io_err("cut off a torn record"))?;
                    break;
                }
                Err(why) => {
                    log::error!(
                        "audit log: line at byte {at} cannot be read ({why}); `pullprint audit verify` says more"
                    );
                    at += n as u64;
                }
            }
        }
        (tail.len, tail.seq, tail.mac) = (at, seq, mac);
        if head.is_none_or(|h| h.seq < seq) && seq > 0 {
            // Appended, then killed before the head was written.
            Head { seq, mac }.write(&i.key, &tail.head).map_err(io_err("write the head"))?;
        }
        Ok(())
    }

    fn index(&self, rec: &Record, off: u64, len: u32) -> Result<(), AuditError> {
        let i = &self.inner;
        let seq = rec.seq.to_be_bytes();
        let mut v = off.to_be_bytes().to_vec();
        v.extend_from_slice(&len.to_be_bytes());
        i.by_seq.insert(seq, v)?;
        i.by_actor.insert(keyed(rec.actor.as_bytes(), rec.seq), &[])?;
        i.by_action.insert(keyed(rec.action.as_bytes(), rec.seq), &[])?;
        let mut t = rec.at_ms.to_be_bytes().to_vec();
        t.extend_from_slice(&seq);
        i.by_time.insert(t, &[])?;
        Ok(())
    }

    fn read_line(&self, off: u64, len: u32) -> Result<(Record, [u8; 32]), AuditError> {
        let mut buf = vec![0u8; len as usize];
        self.inner.reader.read_exact_at(&mut buf, off).map_err(io_err("read a record"))?;
        chain::split(&buf)
            .map(|(_, r, m)| (r, m))
            .map_err(|why| AuditError::Io { step: "read a record", source: io::Error::other(why) })
    }

    /// Append a record; it is on disk when this returns. Its number.
    pub fn append(&self, e: Entry) -> Result<u64, AuditError> {
        let i = &self.inner;
        let mut tail = i.tail.lock().unwrap_or_else(|p| p.into_inner());
        let rec = Record::of(tail.seq + 1, e);
        let (line, mac) = chain::line(&i.key, &tail.mac, &rec).map_err(io_err("encode a record"))?;
        tail.log.write_all_at(&line, tail.len).map_err(io_err("append a record"))?;
        crate::fault::point("audit.after_write");
        tail.log.sync_data().map_err(io_err("append a record"))?;
        Head { seq: rec.seq, mac }.write(&i.key, &tail.head).map_err(io_err("write the head"))?;
        self.index(&rec, tail.len, u32::try_from(line.len()).unwrap_or(u32::MAX))?;
        (tail.len, tail.seq, tail.mac) = (tail.len + line.len() as u64, rec.seq, mac);
        Ok(rec.seq)
    }

    /// Append many records with one sync (an import, or a benchmark's
    /// fill); they are on disk when this returns. The last one's number.
    pub fn append_all(&self, entries: impl IntoIterator<Item = Entry>) -> Result<u64, AuditError> {
        let i = &self.inner;
        let mut tail = i.tail.lock().unwrap_or_else(|p| p.into_inner());
        let (mut seq, mut mac, start) = (tail.seq, tail.mac, tail.len);
        let mut buf = Vec::new();
        let mut placed = Vec::new();
        for e in entries {
            seq += 1;
            let rec = Record::of(seq, e);
            let (line, m) = chain::line(&i.key, &mac, &rec).map_err(io_err("encode a record"))?;
            placed.push((rec, start + buf.len() as u64, u32::try_from(line.len()).unwrap_or(u32::MAX)));
            buf.extend_from_slice(&line);
            mac = m;
        }
        tail.log.write_all_at(&buf, start).map_err(io_err("append records"))?;
        tail.log.sync_data().map_err(io_err("append records"))?;
        Head { seq, mac }.write(&i.key, &tail.head).map_err(io_err("write the head"))?;
        for (rec, off, len) in &placed {
            self.index(rec, *off, *len)?;
        }
        (tail.len, tail.seq, tail.mac) = (start + buf.len() as u64, seq, mac);
        Ok(seq)
    }

    /// Append, logging (not returning) a failure: for callers whose own
    /// work must not fail because the audit log did.
    pub fn record(&self, e: Entry) {
        let action = e.action.clone();
        if let Err(err) = self.append(e) {
            log::error!("audit log: could not record {action}: {err}");
        }
    }

    /// Records so far.
    #[allow(clippy::misnamed_getters)] // the tail's `len` is bytes; records are its `seq`
    pub fn len(&self) -> u64 {
        self.inner.tail.lock().unwrap_or_else(|p| p.into_inner()).seq
    }

    /// True before the first record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Walk the whole chain now, and keep the result for [`AuditLog::status`].
    pub fn check(&self) -> ChainStatus {
        // Hold the tail so the walk sees the log and head of one moment.
        let status = {
            let _tail = self.inner.tail.lock().unwrap_or_else(|p| p.into_inner());
            match verify(&self.inner.dir, &self.inner.key) {
                Ok(v) => ChainStatus::Intact { at_ms: now_ms(), records: v.records },
                Err(broken) => ChainStatus::Broken { at_ms: now_ms(), broken },
            }
        };
        if let ChainStatus::Broken { broken, .. } = &status {
            log::error!("audit log: the hash chain is broken: {broken}");
        }
        *self.inner.status.lock().unwrap_or_else(|p| p.into_inner()) = status.clone();
        status
    }

    /// The last check's result.
    pub fn status(&self) -> ChainStatus {
        self.inner.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// One page of records matching `q`, newest first. It walks one index
    /// (actor, else action, else number) within the time range, and reads
    /// at most 5,000 candidates before handing back a cursor.
    pub fn page(&self, q: &Query) -> Result<Page, AuditError> {
        let i = &self.inner;
        let first_at = |ms: u64| -> Result<Option<u64>, AuditError> {
            Ok(i.by_time.range(ms.to_be_bytes().to_vec()..).next().transpose()?.map(|(k, _)| seq_of(&k)))
        };
        let mut hi = q.before.unwrap_or(u64::MAX);
        if let Some(to) = q.to_ms {
            hi = hi.min(first_at(to)?.unwrap_or(u64::MAX));
        }
        let lo = match q.from_ms {
            Some(from) => match first_at(from)? {
                Some(s) => s,
                None => return Ok(Page::default()),
            },
            None => 0,
        };
        if lo >= hi {
            return Ok(Page::default());
        }
        let limit = q.limit.clamp(1, 500);
        let candidates: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> = match (&q.actor, &q.action) {
            (Some(a), _) => Box::new(i.by_actor.range(keyed(a.as_bytes(), lo)..keyed(a.as_bytes(), hi)).rev()),
            (None, Some(a)) => Box::new(i.by_action.range(keyed(a.as_bytes(), lo)..keyed(a.as_bytes(), hi)).rev()),
            (None, None) => Box::new(i.by_seq.range(lo.to_be_bytes()..hi.to_be_bytes()).rev()),
        };
        let mut page = Page::default();
        for (scanned, kv) in candidates.enumerate() {
            let (k, _) = kv?;
            let seq = seq_of(&k);
            if scanned >= MAX_SCAN || page.records.len() == limit {
                page.next = Some(seq + 1);
                break;
            }
            let Some((off, len)) = i.by_seq.get(seq.to_be_bytes())?.as_deref().and_then(slot) else { continue };
            let Ok((rec, _)) = self.read_line(off, len) else { continue };
            if q.action.as_ref().is_some_and(|a| *a != rec.action) {
                continue;
            }
            page.records.push(rec);
        }
        Ok(page)
    }

    /// Write the index to disk (it is rebuilt from the log if lost).
    pub fn flush(&self) -> Result<(), AuditError> {
        self.inner.db.flush()?;
        Ok(())
    }
}

/// Stable stand-ins for user names, where the privacy settings say to
/// obfuscate them: the same name always gives the same pseudonym, and the
/// key keeps anyone without the site key from testing guesses.
#[derive(Clone)]
pub struct Pseudonyms(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(<key>)")
    }
}

impl Pseudonyms {
    /// Pseudonyms under `key` (the site's pseudonym key).
    pub fn new(key: [u8; 32]) -> Pseudonyms {
        Pseudonyms(zeroize::Zeroizing::new(key))
    }

    /// `name` as `handling` says: itself, `user-` and ten hex digits, or
    /// `(omitted)`. The appliance's own `system` and an empty name stay.
    pub fn apply(&self, handling: crate::auth::policy::Handling, kind: &str, name: &str) -> String {
        use crate::auth::policy::Handling;
        if name.is_empty() || name == "system" {
            return name.to_owned();
        }
        match handling {
            Handling::Keep => name.to_owned(),
            Handling::Omit => "(omitted)".to_owned(),
            Handling::Obfuscate => {
                let mac =
                    crate::crypto::hmac_sha256(&self.0[..], format!("{kind}\0{}", name.to_lowercase()).as_bytes());
                format!("{kind}-{}", hex::encode(&mac[..5]))
            }
        }
    }
}

/// `name`, 0, number: an index key that sorts by name, then number.
fn keyed(name: &[u8], seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 9);
    k.extend_from_slice(name);
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The number at the end of an index key.
fn seq_of(k: &[u8]) -> u64 {
    k.len().checked_sub(8).and_then(|s| k[s..].try_into().ok()).map_or(0, u64::from_be_bytes)
}

/// An offset and a length, from a number's index value.
fn slot(v: &[u8]) -> Option<(u64, u32)> {
    Some((u64::from_be_bytes(v.get(..8)?.try_into().ok()?), u32::from_be_bytes(v.get(8..12)?.try_into().ok()?)))
}

#[cfg(test)]
mod tests;
