//! A small JSON file shared between the daemon and the command-line tool
//! (the local directory, print tokens).
//!
//! Writers take an exclusive `flock` on a sibling `.lock` file, read the
//! current version, change it and replace the file atomically, so two
//! processes never lose each other's changes. Readers get a snapshot, and
//! reload it when the file has been replaced since (every write makes a new
//! inode, so a change is seen even within the file system's clock tick).

use crate::durable;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Reading or writing a shared file failed.
#[derive(Debug, thiserror::Error)]
pub enum SharedFileError {
    /// The file could not be read, locked or written.
    #[error("cannot {step} {path}: {source}")]
    Io {
        /// What was being done.
        step: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file does not parse.
    #[error("{path} is malformed: {why}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parse error.
        why: String,
    },
}

type Stamp = (u64, SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.modified().ok()?, m.len()))
}

/// A JSON document in a file, shared across processes.
#[derive(Debug)]
pub struct SharedJson<T> {
    path: PathBuf,
    loaded: Mutex<(Arc<T>, Option<Stamp>)>,
}

impl<T: Serialize + DeserializeOwned + Default> SharedJson<T> {
    /// Open `path`; a missing file is `T::default()`.
    pub fn open(path: &Path) -> Result<SharedJson<T>, SharedFileError> {
        let s = SharedJson { path: path.to_owned(), loaded: Mutex::new((Arc::new(T::default()), None)) };
        s.snapshot()?;
        Ok(s)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<T, SharedFileError> {
        match std::fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| SharedFileError::Malformed { path: self.path.clone(), why: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
            Err(source) => Err(SharedFileError::Io { step: "read", path: self.path.clone(), source }),
        }
    }

    /// The current contents, reloaded if another process replaced the file.
    pub fn snapshot(&self) -> Result<Arc<T>, SharedFileError> {
        let mut l = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        let now = stamp(&self.path);
        if l.1.is_none() || l.1 != now {
            l.0 = Arc::new(self.read()?);
            l.1 = now;
        }
        Ok(l.0.clone())
    }

    /// Change the file under the cross-process lock. `change` sees the
    /// latest version; when it fails, nothing is written.
    pub fn update<R, E: From<SharedFileError>>(&self, change: impl FnOnce(&mut T) -> Result<R, E>) -> Result<R, E> {
        let io = |step, source| SharedFileError::Io { step, path: self.path.clone(), source };
        let lock_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path.with_extension("lock"))
            .map_err(|e| io("open the lock of", e))?;
        let _lock = nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| io("lock", std::io::Error::from(e)))?;
        let mut doc = self.read()?;
        let out = change(&mut doc)?;
        let bytes = serde_json::to_vec_pretty(&doc)
            .map_err(|e| SharedFileError::Malformed { path: self.path.clone(), why: e.to_string() })?;
        durable::write_atomic(&self.path, &bytes, 0o600).map_err(|e| io("write", e))?;
        let mut l = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        *l = (Arc::new(doc), stamp(&self.path));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Serialize, serde::Deserialize)]
    struct Doc {
        n: Vec<u32>,
    }

    #[test]
    fn concurrent_writers_lose_nothing_and_readers_see_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("doc.json");
        let reader: SharedJson<Doc> = SharedJson::open(&path).expect("open");
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let path = &path;
                s.spawn(move || {
                    let w: SharedJson<Doc> = SharedJson::open(path).expect("open");
                    for i in 0..25 {
                        w.update(|d| {
                            d.n.push(t * 100 + i);
                            Ok::<_, SharedFileError>(())
                        })
                        .expect("update");
                    }
                });
            }
        });
        assert_eq!(reader.snapshot().expect("snapshot").n.len(), 100);
        std::fs::write(&path, b"{not json").expect("corrupt");
        assert!(matches!(reader.snapshot(), Err(SharedFileError::Malformed { .. })));
    }
}
