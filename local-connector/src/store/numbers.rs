//! Job numbers (IPP `job-id`), kept beside the jobs they number.

use super::{JobStore, StoreError};
use std::path::PathBuf;

/// Job numbers reserved per durable write of the allocator.
const NUMBER_BLOCK: i32 = 1000;

/// IPP `job-id`s: a durable hi/lo allocator, so numbers never repeat after
/// a crash. A block is reserved on disk before any number in it is given.
#[derive(Debug)]
pub struct JobNumbers {
    next: i32,
    reserved_to: i32,
    file: PathBuf,
}

impl JobNumbers {
    /// The allocator of `store`, going on after every number used.
    pub fn open(store: &JobStore) -> Result<JobNumbers, StoreError> {
        let file = store.options().dir.join("job-numbers");
        let saved = std::fs::read_to_string(&file).ok().and_then(|s| s.trim().parse::<i32>().ok()).unwrap_or(0);
        let used = store.max_number()?.unwrap_or(0);
        let next = saved.max(used).saturating_add(1);
        let mut n = JobNumbers { next, reserved_to: next, file };
        n.reserve()?;
        Ok(n)
    }

    /// Durably reserve the next block, so that numbers never repeat after a crash.
    fn reserve(&mut self) -> Result<(), StoreError> {
        let to = self.next.saturating_add(NUMBER_BLOCK);
        crate::durable::write_atomic(&self.file, to.to_string().as_bytes(), 0o600)
            .map_err(|e| StoreError::io("reserve job numbers", e))?;
        self.reserved_to = to;
        Ok(())
    }

    /// The next number.
    pub fn take(&mut self) -> Result<i32, StoreError> {
        if self.next >= self.reserved_to {
            self.reserve()?;
        }
        let n = self.next;
        self.next = self.next.checked_add(1).unwrap_or(1);
        Ok(n)
    }
}
