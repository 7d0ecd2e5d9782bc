//! Reconciliation at open: sled does not fsync, so the job files are the
//! truth and the index is made to agree with them. `.part` files are
//! removed, entries whose file is gone dropped, files the index lacks
//! re-indexed, interrupted shreds finished (whether or not the index still
//! lists the job), and unreadable files moved to `quarantine/`, never
//! deleted.

use super::*;

impl JobStore {
    /// Make the index agree with the job files, which are the truth (see
    /// the module docs): run once, at open.
    pub(super) fn reconcile(&self) -> Result<Reconciled, StoreError> {
        let mut rec = Reconciled::default();
        let mut on_disk = HashSet::new();
        let entries = fs::read_dir(&self.inner.jobs_dir).map_err(|e| StoreError::io("list jobs", e))?;
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io("list jobs", e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            if let Some(stem) = name.strip_suffix(".job") {
                match JobId::parse(stem) {
                    Some(id) => {
                        on_disk.insert(id);
                    }
                    None => self.quarantine(&path, &mut rec),
                }
            } else if name.ends_with(".part") || (name.starts_with('.') && name.ends_with(".tmp")) {
                fs::remove_file(&path).map_err(|e| StoreError::io("remove partial job", e))?;
                rec.partial_removed += 1;
            } else {
                self.quarantine(&path, &mut rec);
            }
        }
        // Index entries without a file: the file was shredded, or lost. A
        // file still indexed whose envelope a crash wiped before the unlink
        // is a shred to finish.
        let mut stale = Vec::new();
        let mut shredded = Vec::new();
        for kv in self.inner.by_id.iter() {
            let (k, v) = kv.at("reconcile with the job files")?;
            let Some(id) = JobId::from_slice(&k) else { continue };
            if !on_disk.remove(&id) {
                stale.push((id, self.unseal_meta(id, &v).ok()));
            } else if file::is_shredded(&self.job_path(id)).map_err(|e| StoreError::io("read job trailer", e))? {
                fs::remove_file(self.job_path(id)).map_err(|e| StoreError::io("remove shredded job", e))?;
                rec.shred_finished += 1;
                self.inner.releases.remove(id.0).at("reconcile with the job files")?;
                self.inner.printed.remove(id.0).at("reconcile with the job files")?;
                shredded.push((id, self.unseal_meta(id, &v).ok()));
            }
        }
        rec.stale_index_dropped = stale.len();
        for (id, meta) in stale.into_iter().chain(shredded) {
            match meta {
                // How it ended is not known here: a crash cut its record off.
                Some(m) => self.index_remove(&m, ("ended", "system"))?,
                None => {
                    self.inner.by_id.remove(id.0).at("reconcile with the job files")?;
                }
            }
        }
        // Whatever is left on disk is missing from the index.
        for id in on_disk {
            let path = self.job_path(id);
            let f = File::open(&path).map_err(|e| StoreError::io("open job file", e))?;
            match file::open(f, id, &self.inner.kek) {
                Ok(Trailer::Intact(o)) => {
                    self.index_insert(&o.meta)?;
                    rec.reindexed += 1;
                }
                Ok(Trailer::Shredded) => {
                    fs::remove_file(&path).map_err(|e| StoreError::io("remove shredded job", e))?;
                    rec.shred_finished += 1;
                }
                Err(StoreError::Corrupt { why, .. }) => {
                    log::error!("job {id} is unreadable ({why}); moved to quarantine");
                    self.quarantine(&path, &mut rec);
                }
                Err(e) => return Err(e),
            }
        }
        if rec != Reconciled::default() {
            durable::sync_dir(&self.inner.jobs_dir).map_err(|e| StoreError::io("fsync jobs directory", e))?;
            log::info!("job store reconciled: {rec:?}");
        }
        self.inner.db.flush().at("reconcile with the job files")?;
        Ok(rec)
    }

    pub(super) fn quarantine(&self, path: &Path, rec: &mut Reconciled) {
        let Some(name) = path.file_name() else { return };
        let to = self.inner.quarantine_dir.join(name);
        match fs::rename(path, &to) {
            Ok(()) => {
                rec.quarantined += 1;
                log::warn!("moved unexpected file {} to quarantine", name.to_string_lossy());
            }
            Err(e) => log::error!("could not quarantine {}: {e}", path.display()),
        }
    }
}
