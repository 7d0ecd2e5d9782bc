//! Writing a job: the body streams in through [`JobWriter`], encrypted as
//! it comes, with its bytes reserved against the owner's quota and the
//! disk's free-space reserve as they arrive; [`JobWriter::commit`] makes it
//! durable and visible.

use super::*;

/// Free space is looked at again after this many body bytes of one job, so
/// that uploads started together cannot each take the whole reserve.
const DISK_CHECK_EVERY: u64 = 256 << 10;

/// Body bytes reserved for one job being written, given back when it is
/// committed (they are parked then) or abandoned.
pub(super) struct Arriving {
    pub(super) store: JobStore,
    pub(super) tag: [u8; 16],
    pub(super) bytes: u64,
}

impl Arriving {
    /// Give the reserved bytes back.
    fn release(&mut self) {
        let mut usage = self.store.inner.usage.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = usage.get_mut(&self.tag) {
            u.arriving = u.arriving.saturating_sub(self.bytes);
        }
        self.bytes = 0;
    }
}

impl Drop for Arriving {
    fn drop(&mut self) {
        self.release();
    }
}

/// Removes a `.part` file unless the job was committed.
pub(super) struct PartGuard(pub(super) Option<PathBuf>);

impl Drop for PartGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

/// A job being written. Dropped without [`JobWriter::commit`], it leaves nothing behind.
pub struct JobWriter {
    pub(super) store: JobStore,
    pub(super) id: JobId,
    pub(super) sub: JobSubmission,
    pub(super) header_bytes: [u8; HEADER_LEN],
    pub(super) data_key: Zeroizing<[u8; 32]>,
    pub(super) enc: Option<BodyEncryptor<BufWriter<File>>>,
    pub(super) part: PathBuf,
    pub(super) guard: PartGuard,
    /// This job's bytes, counted against its owner's quota as they arrive.
    pub(super) arriving: Arriving,
    /// Body bytes written since free space was last looked at.
    pub(super) unchecked: u64,
}

impl std::fmt::Debug for JobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobWriter").field("id", &self.id).finish_non_exhaustive()
    }
}

impl JobWriter {
    /// The id the job will have.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// The submission, for details learnt while the body streams in
    /// (page count, colour, application); they are sealed in at commit.
    pub fn submission_mut(&mut self) -> &mut JobSubmission {
        &mut self.sub
    }

    /// Plaintext bytes written so far.
    pub fn written(&self) -> u64 {
        self.enc.as_ref().map(|e| e.plain_len()).unwrap_or(0)
    }

    /// Append body bytes. Over the size limit, over the owner's quota
    /// ([`JobSubmission::max_owner_bytes`], counting every job of theirs
    /// still arriving) or into the free-space reserve, the job is abandoned.
    pub fn write_body(&mut self, data: &[u8]) -> Result<(), StoreError> {
        let abandoned = || StoreError::io("write body", io::Error::other("job abandoned"));
        if self.enc.is_none() {
            return Err(abandoned());
        }
        if let Err(e) = self.reserve(data.len() as u64) {
            self.enc = None;
            self.arriving.release();
            return Err(e);
        }
        let enc = self.enc.as_mut().ok_or_else(abandoned)?;
        enc.write_all(data).map_err(|e| self.store.map_write_err("write body", e))
    }

    /// Reserve `len` more body bytes: within the job size limit, the
    /// owner's quota, and the disk's free-space reserve.
    fn reserve(&mut self, len: u64) -> Result<(), StoreError> {
        let opts = &self.store.inner.opts;
        if self.written().saturating_add(len) > opts.max_job_bytes {
            return Err(StoreError::TooLarge { max: opts.max_job_bytes });
        }
        {
            let mut usage = self.store.inner.usage.lock().unwrap_or_else(|p| p.into_inner());
            let u = usage.entry(self.arriving.tag).or_default();
            if let Some(max) = self.sub.max_owner_bytes
                && u.bytes.saturating_add(u.arriving).saturating_add(len) > max
            {
                return Err(StoreError::OverQuota { max });
            }
            u.arriving += len;
            self.arriving.bytes += len;
        }
        self.unchecked += len;
        if self.unchecked >= DISK_CHECK_EVERY {
            self.unchecked = 0;
            let free = durable::free_bytes(&self.store.inner.jobs_dir).map_err(|e| StoreError::io("statvfs", e))?;
            if free < opts.min_free_bytes {
                return Err(StoreError::DiskFull { free, reserve: opts.min_free_bytes });
            }
        }
        Ok(())
    }

    /// Seal the body, write the envelope, make the file durable and visible,
    /// and index it. Returns the stored metadata once the job is durable.
    pub fn commit(mut self) -> Result<JobMeta, StoreError> {
        let enc = self.enc.take().ok_or_else(|| StoreError::io("commit", io::Error::other("job abandoned")))?;
        let (mut out, size) = enc.finish().map_err(|e| self.store.map_write_err("seal body", e))?;
        let now = now_ms();
        let retention = self.sub.retention.unwrap_or_else(|| self.store.retention());
        let meta = JobMeta::from_submission(
            self.id,
            &self.sub,
            now,
            now.saturating_add(crate::clock::duration_ms(retention)),
            size,
        );
        let mut env = Envelope { meta, data_key: hex::encode(*self.data_key), sealed_len: sealed_len(size) };
        let env_json = serde_json::to_vec(&env).map(Zeroizing::new);
        env.wipe();
        let env_json = env_json.map_err(|e| StoreError::io("encode envelope", io::Error::other(e)))?;
        let sealed = self.store.inner.kek.seal(&self.header_bytes, &env_json);
        let sealed_len_field = u32::try_from(sealed.len())
            .map_err(|_| StoreError::io("encode envelope", io::Error::other("envelope over 4 GiB")))?;
        let write_trailer = |out: &mut BufWriter<File>| -> io::Result<()> {
            out.write_all(&sealed)?;
            out.write_all(&sealed_len_field.to_be_bytes())?;
            out.write_all(file::END_MAGIC)?;
            out.flush()
        };
        write_trailer(&mut out).map_err(|e| self.store.map_write_err("write envelope", e))?;
        let f = out.into_inner().map_err(|e| self.store.map_write_err("flush job file", e.into_error()))?;
        fault::point("store.before_data_sync");
        f.sync_data().map_err(|e| self.store.map_write_err("fdatasync job file", e))?;
        drop(f);
        fault::point("store.after_data_sync");
        let done = self.store.job_path(self.id);
        if let Err(e) = self.store.inner.committer.commit(self.part.clone(), done.clone()) {
            let _ = fs::remove_file(&done);
            return Err(self.store.map_write_err("commit job", e));
        }
        self.guard.0 = None;
        let meta = env.meta;
        // The job is durable now; an index failure must not make the client
        // resubmit it. Reconciliation re-indexes the file at the next open.
        if let Err(e) = self.store.index_insert(&meta) {
            log::error!("job {} is stored but could not be indexed ({e}); it will be re-indexed at restart", meta.id);
        }
        fault::point("store.after_index");
        Ok(meta)
    }
}

impl Write for JobWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_body(data).map_err(io::Error::other)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
