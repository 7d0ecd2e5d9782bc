//! Job metadata: what a submitter says, what the store seals, and the
//! release records.

pub use crate::job::{ColorMode, JobId, Sides};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a submitter tells the store about a new job.
#[derive(Debug, Clone, Default)]
pub struct JobSubmission {
    /// Authenticated owner (directory user name).
    pub owner: String,
    /// IPP `job-name` / `document-name-supplied`, or the name found in the document.
    pub document_name: String,
    /// Page count from analysis.
    pub pages: Option<u32>,
    /// True when `pages` is a heuristic estimate.
    pub pages_estimated: bool,
    /// MIME type (IPP `document-format`).
    pub format: String,
    /// IPP `copies`.
    pub copies: u32,
    /// Colour use.
    pub color: ColorMode,
    /// IPP `sides`.
    pub sides: Sides,
    /// Originating application, from IPP, PJL or the PDF Info dictionary.
    pub application: Option<String>,
    /// Address the job came from.
    pub source_addr: Option<String>,
    /// Things analysis did to or noticed about the job (e.g. stripped PJL).
    pub notes: Vec<String>,
    /// Size announced in advance, if known, checked before any byte is written.
    pub expected_size: Option<u64>,
    /// Retention for this job instead of the store's default.
    pub retention: Option<Duration>,
    /// The job's number for clients (IPP `job-id`), unique on this appliance.
    pub number: Option<i32>,
    /// The owner's quota in bytes: their parked jobs and every job of theirs
    /// still arriving may not pass it. Checked as the body arrives.
    pub max_owner_bytes: Option<u64>,
}

/// A parked job's metadata. Sealed in the job file's envelope and in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobMeta {
    /// The job's id.
    pub id: JobId,
    /// Owner's user name.
    pub owner: String,
    /// Document name.
    pub document_name: String,
    /// Submission time, ms since the epoch (IPP `time-at-creation`).
    pub submitted_at_ms: u64,
    /// When retention ends and the sweeper shreds it, ms since the epoch.
    pub expires_at_ms: u64,
    /// Page count (IPP `job-impressions`), if known.
    pub pages: Option<u32>,
    /// True when `pages` is an estimate.
    pub pages_estimated: bool,
    /// MIME type.
    pub format: String,
    /// Copies.
    pub copies: u32,
    /// Colour use.
    pub color: ColorMode,
    /// Sides.
    pub sides: Sides,
    /// Plaintext size in bytes (IPP `job-k-octets` × 1024, roughly).
    pub size: u64,
    /// Originating application.
    pub application: Option<String>,
    /// Source address.
    pub source_addr: Option<String>,
    /// Notes from analysis.
    pub notes: Vec<String>,
    /// The job's number for clients (IPP `job-id`).
    #[serde(default)]
    pub number: Option<i32>,
}

/// A request, made at a printer's panel, to print a parked job there. The
/// release engine takes requests in order and removes each once the printer
/// has printed the job; until then its state says how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// The device (printer) id.
    pub device: String,
    /// Who asked (the job's owner).
    pub by: String,
    /// When, ms since the epoch.
    pub requested_at_ms: u64,
    /// How far delivery got.
    #[serde(default)]
    pub state: ReleaseState,
    /// Delivery attempts begun so far. From the second on, the engine first
    /// looks for the job on the printer, so that a retry never prints twice.
    #[serde(default)]
    pub attempts: u32,
}

/// Where a release has got to, as kept on disk (the release engine's
/// `release::state` types are the legal moves between these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "step", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ReleaseState {
    /// Waiting its turn at the printer.
    #[default]
    Queued,
    /// Bytes may have left for the printer at `uri`; whether it made a job
    /// of them is not known yet.
    Sending {
        /// The printer URI used.
        uri: String,
        /// When sending began, ms since the epoch.
        since_ms: u64,
    },
    /// The printer took it as its job `printer_job`; being followed to the end.
    Submitted {
        /// The printer URI used.
        uri: String,
        /// The printer's `job-id`.
        printer_job: i32,
        /// When the printer took it, ms since the epoch.
        since_ms: u64,
        /// What the printer says while it is stopped (a jam, no paper), for people.
        #[serde(default)]
        note: Option<String>,
    },
    /// It did not print; the job stays held, and a new request retries.
    Failed {
        /// Why, for the person at the printer and the admin.
        reason: String,
        /// When, ms since the epoch.
        at_ms: u64,
    },
}

impl ReleaseState {
    /// Whether bytes of the job may be at the printer now.
    pub fn in_flight(&self) -> bool {
        matches!(self, ReleaseState::Sending { .. } | ReleaseState::Submitted { .. })
    }
}

/// One release, as it ended: for statistics, reports and the cloud outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRecord {
    /// The job.
    pub job: JobId,
    /// Its owner.
    pub owner: String,
    /// Who released it.
    pub by: String,
    /// Its document name.
    pub document_name: String,
    /// The device (printer) id.
    pub device: String,
    /// Pages, as analysed.
    pub pages: Option<u32>,
    /// Copies asked for.
    pub copies: u32,
    /// Colour use, as analysed.
    pub color: ColorMode,
    /// The transport's URI scheme: `ipps`, `ipp` or `socket`; empty when
    /// nothing was sent.
    pub transport: String,
    /// The printer URI.
    pub uri: String,
    /// The printer's `job-id`, for IPP.
    pub printer_job: Option<i32>,
    /// `printed` (confirmed by the printer), `sent-unverified` (RAW, no
    /// confirmation) or `failed`.
    pub outcome: String,
    /// Why it failed, or what else is worth knowing.
    pub detail: Option<String>,
    /// When it ended, ms since the epoch.
    pub at_ms: u64,
    /// Sent to the cloud tenant already.
    #[serde(default)]
    pub synced: bool,
    /// Sides asked for (records made before it was kept say one-sided).
    #[serde(default)]
    pub sides: Sides,
}

/// A job that ended without being printed: expired unclaimed, or deleted
/// by its owner or an admin. What it would have cost is the paper saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unprinted {
    /// The job.
    pub job: JobId,
    /// Its owner.
    pub owner: String,
    /// Pages, as analysed.
    pub pages: Option<u32>,
    /// Copies asked for.
    pub copies: u32,
    /// Colour use, as analysed.
    pub color: ColorMode,
    /// Sides asked for.
    pub sides: Sides,
    /// `expired` or `deleted`.
    pub reason: String,
    /// Who deleted it (`system` for expiry).
    pub by: String,
    /// When, ms since the epoch.
    pub at_ms: u64,
}

/// One copy, scan, fax or print a printer reported (panel statistics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// The device that reported it.
    pub device: String,
    /// The signed-in user, when there was one.
    pub user: Option<String>,
    /// `copy`, `scan`, `fax` or `print`.
    pub kind: String,
    /// Sheets' sides imaged (or scanned).
    pub pages: u32,
    /// Of which in colour.
    pub colour_pages: u32,
    /// Two-sided.
    pub duplex: bool,
    /// When it happened, ms since the epoch (as the device says).
    pub at_ms: u64,
    /// When the appliance recorded it, ms since the epoch.
    pub recorded_ms: u64,
    /// Sent to the cloud tenant already.
    #[serde(default)]
    pub synced: bool,
}

impl JobMeta {
    pub(crate) fn from_submission(id: JobId, s: &JobSubmission, now_ms: u64, expires_at_ms: u64, size: u64) -> JobMeta {
        JobMeta {
            id,
            owner: s.owner.clone(),
            document_name: s.document_name.clone(),
            submitted_at_ms: now_ms,
            expires_at_ms,
            pages: s.pages,
            pages_estimated: s.pages_estimated,
            format: s.format.clone(),
            copies: s.copies.max(1),
            color: s.color,
            sides: s.sides,
            size,
            application: s.application.clone(),
            source_addr: s.source_addr.clone(),
            notes: s.notes.clone(),
            number: s.number,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_parse_back() {
        let a = JobId::new();
        std::thread::sleep(Duration::from_millis(2));
        let b = JobId::new();
        assert!(a < b);
        assert_eq!(JobId::parse(&a.to_string()), Some(a));
        assert_eq!(JobId::parse("../../etc/passwd"), None);
        assert_eq!(JobId::parse(&a.to_string().to_uppercase()), None);
    }
}
