//! The legal moves of one release:
//!
//! ```text
//! queued ──begin──▶ sending ──accepted──▶ submitted ──completed──▶ printed
//!                     │  └──sent (RAW)──────────────────────────▶ printed (unverified)
//!                     └──failed──▶ failed ◀──failed── submitted
//! ```
//!
//! Each move consumes the state it leaves, so a release cannot be followed
//! before the printer took it, nor printed once it failed. Each state says
//! what goes on disk ([`ReleaseState`]) before the engine acts on it, and a
//! release read back after a restart resumes as the state it was in.

use crate::clock::now_ms;
use crate::store::{JobId, ReleaseState};

/// Waiting its turn; `attempt` is the number the next try will have.
#[derive(Debug)]
pub struct Queued {
    /// The job.
    pub id: JobId,
    /// 1 for a first try; more for a retry, which looks on the printer first.
    pub attempt: u32,
}

/// Bytes may be at the printer; whether it made a job of them is unknown.
#[derive(Debug)]
pub struct Sending {
    /// The job.
    pub id: JobId,
    /// The printer URI.
    pub uri: String,
    since_ms: u64,
}

/// The printer took the job as its `printer_job`.
#[derive(Debug)]
pub struct Submitted {
    /// The job.
    pub id: JobId,
    /// The printer URI.
    pub uri: String,
    /// The printer's `job-id`.
    pub printer_job: i32,
    since_ms: u64,
}

/// The end: printed (confirmed, or sent where nothing can confirm it).
#[derive(Debug)]
pub struct Printed {
    /// The job.
    pub id: JobId,
    /// Whether the printer confirmed it.
    pub verified: bool,
    /// The printer's `job-id`, for IPP.
    pub printer_job: Option<i32>,
}

/// The end: it did not print.
#[derive(Debug)]
pub struct Failed {
    /// The job.
    pub id: JobId,
    /// Why, for people.
    pub reason: String,
}

impl Queued {
    /// Start sending to `uri`.
    pub fn begin(self, uri: &str) -> Sending {
        Sending { id: self.id, uri: uri.to_owned(), since_ms: now_ms() }
    }

    /// Give up before anything was sent.
    pub fn failed(self, reason: String) -> Failed {
        Failed { id: self.id, reason }
    }
}

impl Sending {
    /// The printer answered with its job id.
    pub fn accepted(self, printer_job: i32) -> Submitted {
        Submitted { id: self.id, uri: self.uri, printer_job, since_ms: now_ms() }
    }

    /// All bytes went where nothing can confirm printing (RAW).
    pub fn sent(self) -> Printed {
        Printed { id: self.id, verified: false, printer_job: None }
    }

    /// All bytes went over RAW, and the printer's page counter rose by
    /// the job's pages.
    pub fn counted(self) -> Printed {
        Printed { id: self.id, verified: true, printer_job: None }
    }

    /// It did not get to the printer.
    pub fn failed(self, reason: String) -> Failed {
        Failed { id: self.id, reason }
    }

    /// What goes on disk.
    pub fn persisted(&self) -> ReleaseState {
        ReleaseState::Sending { uri: self.uri.clone(), since_ms: self.since_ms }
    }
}

impl Submitted {
    /// The printer says it completed.
    pub fn completed(self) -> Printed {
        Printed { id: self.id, verified: true, printer_job: Some(self.printer_job) }
    }

    /// The printer aborted or canceled it, or contact was lost.
    pub fn failed(self, reason: String) -> Failed {
        Failed { id: self.id, reason }
    }

    /// What goes on disk, with what the printer says while stopped.
    pub fn persisted(&self, note: Option<String>) -> ReleaseState {
        ReleaseState::Submitted { uri: self.uri.clone(), printer_job: self.printer_job, since_ms: self.since_ms, note }
    }
}

impl Failed {
    /// What goes on disk.
    pub fn persisted(&self) -> ReleaseState {
        ReleaseState::Failed { reason: self.reason.clone(), at_ms: now_ms() }
    }
}

/// A release read back from disk, as the state it resumes in.
#[derive(Debug)]
pub enum Resumed {
    /// Not started, or failed and asked for again.
    Queued(Queued),
    /// Interrupted while sending: look on the printer before sending again.
    Sending(Sending),
    /// Interrupted while following: follow on.
    Submitted(Submitted),
}

impl Resumed {
    /// The state of job `id` as kept on disk, after `attempts` tries;
    /// `None` for a failed release, which waits to be asked for again.
    pub fn from_disk(id: JobId, state: &ReleaseState, attempts: u32) -> Option<Resumed> {
        Some(match state {
            ReleaseState::Queued => Resumed::Queued(Queued { id, attempt: attempts + 1 }),
            ReleaseState::Sending { uri, since_ms } => {
                Resumed::Sending(Sending { id, uri: uri.clone(), since_ms: *since_ms })
            }
            ReleaseState::Submitted { uri, printer_job, since_ms, .. } => {
                Resumed::Submitted(Submitted { id, uri: uri.clone(), printer_job: *printer_job, since_ms: *since_ms })
            }
            ReleaseState::Failed { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_reads_back_as_the_state_it_was_in() {
        let id = JobId::new();
        let sending = Queued { id, attempt: 1 }.begin("ipps://p:631/ipp/print");
        assert!(matches!(Resumed::from_disk(id, &sending.persisted(), 1), Some(Resumed::Sending(_))));
        let submitted = sending.accepted(17);
        let on_disk = submitted.persisted(Some("media-jam".into()));
        match Resumed::from_disk(id, &on_disk, 1) {
            Some(Resumed::Submitted(s)) => assert_eq!(s.printer_job, 17),
            other => panic!("{other:?}"),
        }
        let printed = submitted.completed();
        assert!(printed.verified && printed.printer_job == Some(17));
        let failed = Queued { id, attempt: 2 }.failed("no".into());
        assert!(Resumed::from_disk(id, &failed.persisted(), 2).is_none(), "a failed release waits to be asked again");
        match Resumed::from_disk(id, &ReleaseState::Queued, 2) {
            Some(Resumed::Queued(q)) => assert_eq!(q.attempt, 3),
            other => panic!("{other:?}"),
        }
    }
}
