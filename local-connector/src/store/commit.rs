//! Group commit: concurrent submitters share one directory fsync.
//!
//! Each writer fdatasyncs its own `.part` file (those run in parallel), then
//! hands the rename to the committer thread. The committer takes every rename
//! that is waiting, performs them, fsyncs the jobs directory once, and only
//! then answers each writer. A job is acknowledged only after that answer.

use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

struct Request {
    part: PathBuf,
    done: PathBuf,
    reply: SyncSender<io::Result<()>>,
}

/// Handle to the committer thread; dropping it stops the thread.
pub(crate) struct GroupCommitter {
    tx: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommitter {
    pub(crate) fn start(dir: PathBuf) -> io::Result<GroupCommitter> {
        let (tx, rx) = mpsc::channel::<Request>();
        let thread = std::thread::Builder::new().name("store-commit".into()).spawn(move || run(dir, rx))?;
        Ok(GroupCommitter { tx: Some(tx), thread: Some(thread) })
    }

    /// Rename `part` to `done` and return once that is durable.
    pub(crate) fn commit(&self, part: PathBuf, done: PathBuf) -> io::Result<()> {
        let (reply, wait) = mpsc::sync_channel(1);
        let tx = self.tx.as_ref().ok_or_else(|| io::Error::other("store is closing"))?;
        tx.send(Request { part, done, reply }).map_err(|_| io::Error::other("commit thread stopped"))?;
        wait.recv().map_err(|_| io::Error::other("commit thread stopped"))?
    }
}

impl Drop for GroupCommitter {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(dir: PathBuf, rx: Receiver<Request>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut results: Vec<io::Result<()>> = batch.iter().map(|r| std::fs::rename(&r.part, &r.done)).collect();
        crate::fault::point("store.after_rename");
        if results.iter().any(|r| r.is_ok())
            && let Err(e) = crate::durable::sync_dir(&dir)
        {
            // Without the directory fsync no rename is durable: fail them all.
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(io::Error::new(e.kind(), format!("fsync of jobs directory: {e}")));
            }
        }
        crate::fault::point("store.after_dir_sync");
        for (req, res) in batch.into_iter().zip(results) {
            let _ = req.reply.send(res);
        }
    }
}
