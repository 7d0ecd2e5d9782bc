//! Jobs that roam between the sites of one tenant (`cloud_sync::roam`):
//! a copy of a job's file, parked at another site under the same site key,
//! read without its body to list it, taken in to print it here, and a job
//! of this site handed over when another site took it.

use super::file::{self, Peeked, Trailer};
use super::writer::PartGuard;
use super::*;

impl JobStore {
    /// The metadata of job `id` from a copy of its file held elsewhere: its
    /// first [`JOB_HEADER_LEN`] bytes `header`, its last bytes `tail`,
    /// and its length `total`. The envelope must open under this site's key.
    pub fn peek_copy(&self, id: JobId, header: &[u8], tail: &[u8], total: u64) -> Result<Peeked, StoreError> {
        file::peek(header, tail, total, id, &self.inner.kek)
    }

    /// Take in job `id` of `owner` from a copy of its file, parked at
    /// another site that holds the same site key: `fill` writes the file's
    /// bytes and may write `max_bytes` at most. The copy is verified as a
    /// parked job is at open (its envelope opens under this site's key and
    /// names the job and `owner`), made durable like a new job, and
    /// indexed without being announced to the tenant again: the site it
    /// came from recorded it parked, and its copy is the one just read.
    /// Taking in a job already here returns it as it is.
    pub fn import(
        &self,
        id: JobId,
        owner: &str,
        max_bytes: u64,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<u64>,
    ) -> Result<JobMeta, StoreError> {
        if let Ok(m) = self.get(id) {
            return if m.owner == owner { Ok(m) } else { Err(StoreError::NotFound(id)) };
        }
        let reserve = self.inner.opts.min_free_bytes;
        let free = durable::free_bytes(&self.inner.jobs_dir).map_err(|e| StoreError::io("statvfs", e))?;
        if free < reserve.saturating_add(max_bytes) {
            return Err(StoreError::DiskFull { free, reserve });
        }
        let (part, f) = self.create_part(id, "create a roaming job's file")?;
        let mut guard = PartGuard(Some(part.clone()));
        let mut out = BufWriter::with_capacity(256 * 1024, f);
        let n = fill(&mut out).map_err(|e| self.map_write_err("write a roaming job's file", e))?;
        if n > max_bytes {
            return Err(StoreError::TooLarge { max: max_bytes });
        }
        let f = out.into_inner().map_err(|e| self.map_write_err("flush a roaming job's file", e.into_error()))?;
        f.sync_data().map_err(|e| self.map_write_err("fdatasync a roaming job's file", e))?;
        drop(f);
        let f = File::open(&part).map_err(|e| StoreError::io("open a roaming job's file", e))?;
        let meta = match file::open(f, id, &self.inner.kek)? {
            Trailer::Intact(o) => o.meta,
            Trailer::Shredded => return Err(StoreError::Corrupt { id, why: "the copy was shredded".into() }),
        };
        if meta.owner != owner {
            return Err(StoreError::Corrupt { id, why: "the copy belongs to another user".into() });
        }
        let done = self.job_path(id);
        if let Err(e) = self.inner.committer.commit(part, done.clone()) {
            let _ = fs::remove_file(&done);
            return Err(self.map_write_err("commit a roaming job", e));
        }
        guard.0 = None;
        if let Err(e) = self.index_insert_with(&meta, false) {
            log::error!("roaming job {id} is stored but could not be indexed ({e}); it will be re-indexed at restart");
        }
        Ok(meta)
    }

    /// Shred job `id` because site `site` took it (printed it, or deleted
    /// it there): recorded as ended `roamed` by `site:SITE`, and not as
    /// paper saved.
    pub fn hand_over(&self, id: JobId, site: &str) -> Result<(), StoreError> {
        self.delete_because(id, ("roamed", &format!("site:{site}")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{JobStore, JobSubmission, Peeked, StoreError};
    use std::io::{Read, Write};

    fn open(dir: &std::path::Path, key: u8) -> JobStore {
        super::super::sync::tests::open_with_key(dir, key)
    }

    #[test]
    fn a_copy_opens_and_is_taken_in_only_under_the_same_site_key_and_for_its_owner() {
        let d = tempfile::tempdir().expect("tempdir");
        let (hq, branch, stranger) =
            (open(&d.path().join("hq"), 7), open(&d.path().join("br"), 7), open(&d.path().join("x"), 8));
        let body: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut w = hq
            .create(JobSubmission {
                owner: "alice".into(),
                document_name: "Plan.pdf".into(),
                format: "application/pdf".into(),
                copies: 1,
                ..Default::default()
            })
            .expect("create");
        w.write_body(&body).expect("write");
        let meta = w.commit().expect("commit");
        let copy = std::fs::read(hq.sealed_file(&meta.id.to_string()).expect("file")).expect("read");
        let (header, total) = (&copy[..super::JOB_HEADER_LEN], copy.len() as u64);

        // Its envelope opens from the header and the last bytes alone; a
        // tail too short to hold it asks for more.
        match branch.peek_copy(meta.id, header, &copy[copy.len() - 4096..], total).expect("peek") {
            Peeked::Meta(m) => assert_eq!((m.owner.as_str(), m.document_name.as_str()), ("alice", "Plan.pdf")),
            Peeked::Need(n) => panic!("needed {n}"),
        }
        assert!(matches!(branch.peek_copy(meta.id, header, &copy[copy.len() - 20..], total), Ok(Peeked::Need(_))));
        assert!(matches!(
            stranger.peek_copy(meta.id, header, &copy[copy.len() - 4096..], total),
            Err(StoreError::Corrupt { .. })
        ));

        let fill = |w: &mut dyn Write| w.write_all(&copy).map(|()| copy.len() as u64);
        // Not another user's, not under another key, not beyond its size.
        assert!(matches!(branch.import(meta.id, "mallory", total, fill), Err(StoreError::Corrupt { .. })));
        assert!(matches!(stranger.import(meta.id, "alice", total, fill), Err(StoreError::Corrupt { .. })));
        assert!(matches!(branch.import(meta.id, "alice", total - 1, fill), Err(StoreError::TooLarge { .. })));
        assert!(branch.get(meta.id).is_err() && std::fs::read_dir(d.path().join("br/jobs")).expect("ls").count() == 0);

        let staged = branch.outbox().len();
        let taken = branch.import(meta.id, "alice", total, fill).expect("import");
        assert_eq!(taken.id, meta.id);
        let mut got = Vec::new();
        branch.read_verified(meta.id).expect("read").read_to_end(&mut got).expect("read");
        assert!(got == body, "the body taken in is the body parked");
        assert_eq!(branch.jobs_of("alice").expect("jobs").len(), 1);
        assert_eq!(branch.outbox().len(), staged, "taken in without a parked record or a copy of its own");
        assert_eq!(branch.import(meta.id, "alice", total, fill).expect("again").id, meta.id, "idempotent");

        // The site it came from hands its own over: shredded, ended `roamed`.
        hq.hand_over(meta.id, "branch").expect("hand over");
        assert!(hq.get(meta.id).is_err());
        let recs = hq.outbox().peek(10).expect("peek");
        let end = recs.iter().find(|r| r.kind == "job.ended").expect("ended");
        assert_eq!((end.fields["reason"].as_str(), end.by.as_deref()), (Some("roamed"), Some("site:branch")));
    }
}
