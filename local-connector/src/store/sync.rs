//! The store's records for the cloud outbox (`cloud_sync::outbox`): what a
//! parked, released or ended job, and a device's usage, look like in the
//! tenant. The schema is `docs/TENANT.md`'s; the privacy settings are
//! applied by the outbox as each is staged.

use super::{JobMeta, JobStore, ReleaseRecord, StoreError, Transaction};
use cloud_sync::outbox::{CopyOp, Outbox, Record};
use std::io;
use std::sync::Arc;

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// `job.parked`: a job was acknowledged and parked.
pub(super) fn parked(m: &JobMeta) -> Record {
    let mut r = Record::new("job.parked", format!("parked:{}", m.id), m.submitted_at_ms)
        .with("job", m.id.to_string())
        .with("pages", json(&m.pages))
        .with("pages_estimated", m.pages_estimated)
        .with("copies", m.copies)
        .with("color", json(&m.color))
        .with("sides", json(&m.sides))
        .with("bytes", m.size)
        .with("format", m.format.clone())
        .with("expires_at_ms", m.expires_at_ms);
    r.user = Some(m.owner.clone());
    r.document = Some(m.document_name.clone());
    r
}

/// `job.ended`: a job left the store, `reason` (`printed`, `expired`,
/// `deleted`, or `ended` when a crash hid why), by `by`.
pub(super) fn ended(m: &JobMeta, reason: &str, by: &str) -> Record {
    let mut r = Record::new("job.ended", format!("ended:{}", m.id), crate::clock::now_ms())
        .with("job", m.id.to_string())
        .with("reason", reason)
        .with("pages", json(&m.pages))
        .with("copies", m.copies)
        .with("color", json(&m.color))
        .with("sides", json(&m.sides))
        .with("submitted_at_ms", m.submitted_at_ms);
    r.user = Some(m.owner.clone());
    r.by = Some(by.to_owned());
    r.document = Some(m.document_name.clone());
    r
}

/// `job.released`: a release ended, printed or not.
pub(super) fn released(x: &ReleaseRecord) -> Record {
    let mut r = Record::new("job.released", format!("released:{}:{}", x.job, x.at_ms), x.at_ms)
        .with("job", x.job.to_string())
        .with("printer", x.device.clone())
        .with("outcome", x.outcome.clone())
        .with("transport", x.transport.clone())
        .with("printer_job", json(&x.printer_job))
        .with("pages", json(&x.pages))
        .with("copies", x.copies)
        .with("color", json(&x.color))
        .with("detail", json(&x.detail));
    r.user = Some(x.owner.clone());
    r.by = Some(x.by.clone());
    r.document = Some(x.document_name.clone());
    r
}

/// `device.stats`: copy, scan, fax or print usage a printer reported.
fn device_stats(t: &Transaction, n: usize) -> Record {
    let mut r = Record::new("device.stats", format!("stats:{}:{}:{}:{n}", t.device, t.at_ms, t.recorded_ms), t.at_ms)
        .with("printer", t.device.clone())
        .with("use", t.kind.clone())
        .with("pages", t.pages)
        .with("colour_pages", t.colour_pages)
        .with("duplex", t.duplex);
    r.user = t.user.clone();
    r
}

impl JobStore {
    /// The cloud outbox (its status, and what other parts offer it).
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.inner.outbox
    }

    /// The copy upload staged with a parked job: its owner's pseudonym.
    pub(super) fn copy_put(&self, m: &JobMeta) -> CopyOp {
        CopyOp::Put { owner: self.inner.outbox.privacy().pseudonym(&m.owner), expires_at_ms: m.expires_at_ms }
    }

    /// The copy deletion staged with an ended job.
    pub(super) fn copy_delete(&self, m: &JobMeta) -> CopyOp {
        CopyOp::Delete { owner: self.inner.outbox.privacy().pseudonym(&m.owner) }
    }

    /// Offer devices' usage to the outbox (paused, and counted, when it is
    /// full); the caller's flush commits it with the usage records.
    pub(super) fn offer_transactions(&self, t: &[Transaction]) -> Result<(), StoreError> {
        for (n, x) in t.iter().enumerate() {
            self.inner
                .outbox
                .offer_unflushed(device_stats(x, n), None)
                .map_err(|e| StoreError::io("offer device statistics to the outbox", io::Error::other(e)))?;
        }
        Ok(())
    }

    /// Where a job's sealed file is (or was), for its copy; `None` when
    /// `job` names no job. Nothing is read here: the caller, on the async
    /// runtime, must not wait on the disk, and its read off the runtime
    /// finds a job gone as a file not found.
    pub fn sealed_file(&self, job: &str) -> Option<std::path::PathBuf> {
        super::JobId::parse(job).map(|id| self.job_path(id))
    }
}

impl cloud_sync::upload::Blobs for JobStore {
    fn file(&self, job: &str) -> Option<std::path::PathBuf> {
        self.sealed_file(job)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{JobStore, JobSubmission, StoreOptions};
    use crate::crypto::SiteKey;
    use cloud_sync::outbox::{CopyOp, OutboxOptions};
    use std::time::Duration;

    fn open(dir: &std::path::Path) -> JobStore {
        open_with_key(&dir.join("store"), 3)
    }

    /// A store in `dir` under the site key made of `key` bytes, copies on.
    pub(in crate::store) fn open_with_key(dir: &std::path::Path, key: u8) -> JobStore {
        let site = SiteKey::from_bytes([key; 32]);
        let mut outbox = OutboxOptions::with_keys(site.pseudonym_key(), site.outbox_key());
        outbox.copies = true;
        let opts = StoreOptions {
            dir: dir.to_owned(),
            retention: Duration::from_secs(3600),
            max_job_bytes: 1 << 20,
            min_free_bytes: 0,
            index_cache_bytes: 1 << 20,
            outbox: Some(outbox),
        };
        JobStore::open(opts, &site).expect("open").0
    }

    fn put(store: &JobStore, owner: &str) -> super::super::JobMeta {
        let mut w = store
            .create(JobSubmission {
                owner: owner.into(),
                document_name: "Payroll.pdf".into(),
                format: "application/pdf".into(),
                copies: 1,
                ..Default::default()
            })
            .expect("create");
        w.write_body(b"%PDF-1.4 secret").expect("write");
        w.commit().expect("commit")
    }

    #[test]
    fn each_job_stages_its_record_and_copy_and_its_end_replaces_the_upload_with_a_delete() {
        let d = tempfile::tempdir().expect("tempdir");
        let store = open(d.path());
        let a = put(&store, "alice");
        let b = put(&store, "bob");
        let recs = store.outbox().peek(10).expect("peek");
        let kinds: Vec<(&str, &str)> = recs.iter().map(|r| (r.kind.as_str(), r.event.as_str())).collect();
        assert_eq!(kinds, [("job.parked", &*format!("parked:{}", a.id)), ("job.parked", &*format!("parked:{}", b.id))]);
        assert_eq!(recs[0].user.as_deref(), Some("alice"));
        assert_eq!(recs[0].document, None, "document names are omitted by default");
        let ops = store.outbox().copy_ops().expect("ops");
        assert_eq!(ops.len(), 2);
        assert!(matches!(&ops[0].1, CopyOp::Put { owner, .. } if owner.starts_with("p-")));
        assert_eq!(store.sealed_file(&a.id.to_string()), Some(store.job_path(a.id)));

        store.discard(a.id, "deleted", "helpdesk").expect("discard");
        let recs = store.outbox().peek(10).expect("peek");
        let end = recs.iter().find(|r| r.kind == "job.ended").expect("ended");
        assert_eq!(end.fields["reason"], "deleted");
        assert_eq!(end.by.as_deref(), Some("helpdesk"));
        let ops = store.outbox().copy_ops().expect("ops");
        let op = ops.iter().find(|(j, _)| *j == a.id.to_string()).map(|(_, op)| op.clone());
        assert!(matches!(op, Some(CopyOp::Delete { .. })), "{op:?}");
        assert!(!store.sealed_file(&a.id.to_string()).expect("a job's name").exists(), "shredded");
        assert_eq!(store.sealed_file("not-a-job"), None);
    }

    #[test]
    fn a_lost_index_brings_its_jobs_records_back_with_it_once() {
        let d = tempfile::tempdir().expect("tempdir");
        {
            let store = open(d.path());
            put(&store, "alice");
            put(&store, "alice");
        }
        // Reopening an intact index stages nothing again.
        {
            let store = open(d.path());
            assert_eq!(store.outbox().peek(10).expect("peek").len(), 2);
        }
        // A crash that loses the index loses the outbox with it (one
        // database); reconciliation re-indexes the files and restages both.
        std::fs::remove_dir_all(d.path().join("store/index")).expect("drop the index");
        let store = open(d.path());
        let recs = store.outbox().peek(10).expect("peek");
        assert_eq!(recs.len(), 2);
        assert!(recs.iter().all(|r| r.kind == "job.parked"));
        assert_eq!(store.outbox().copy_ops().expect("ops").len(), 2);
    }
}
