//! The job attributes the queue renders (RFC 8011 §5.3): for held jobs
//! from their sealed metadata, and for finished ones from history.

use super::codec::{Attrs, JobState};
use super::printer::PrinterFacts;
use super::queue::Finished;
use crate::store::{JobMeta, Sides};
use ipp::prelude::*;

pub(super) fn job_uri(f: &PrinterFacts, n: i32) -> String {
    format!("{}/{n}", f.uris.first().map(String::as_str).unwrap_or("ipps://localhost/ipp/print"))
}

pub(super) fn rel_time(started_unix: u64, at_unix: u64) -> i32 {
    i32::try_from(at_unix.saturating_sub(started_unix)).unwrap_or(i32::MAX)
}

/// The queue's clock, for job times (RFC 8011 §5.3.14: seconds of printer up-time).
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    started_unix: u64,
    up: i32,
}

pub(super) fn common_job_attrs(
    a: &mut Attrs,
    f: &PrinterFacts,
    n: i32,
    name: &str,
    owner: &str,
    created: u64,
    clock: Clock,
) {
    let Clock { started_unix, up } = clock;
    a.integer("job-id", n);
    a.uri("job-uri", &job_uri(f, n));
    a.uri("job-printer-uri", f.uris.first().map(String::as_str).unwrap_or(""));
    a.name("job-name", name);
    a.name("job-originating-user-name", owner);
    a.integer("time-at-creation", rel_time(started_unix, created));
    a.date_time("date-time-at-creation", created);
    a.integer("job-printer-up-time", up);
}

pub(super) fn held_attrs(f: &PrinterFacts, m: &JobMeta, started_unix: u64, up: i32) -> Vec<IppAttribute> {
    let mut a = Attrs::default();
    let n = m.number.unwrap_or(0);
    common_job_attrs(&mut a, f, n, &m.document_name, &m.owner, m.submitted_at_ms / 1000, Clock { started_unix, up });
    a.enumeration("job-state", JobState::Held.to_enum());
    a.keywords("job-state-reasons", &["job-hold-until-specified"]);
    a.text("job-state-message", "Held: sign in at any printer to release it");
    a.keyword("job-hold-until", "indefinite");
    a.no_value("time-at-processing");
    a.no_value("time-at-completed");
    a.integer("job-k-octets", i32::try_from(m.size.div_ceil(1024)).unwrap_or(i32::MAX));
    if let Some(p) = m.pages {
        a.integer("job-impressions", i32::try_from(p).unwrap_or(i32::MAX));
    }
    a.integer("copies", i32::try_from(m.copies).unwrap_or(1));
    a.keyword(
        "sides",
        match m.sides {
            Sides::OneSided => "one-sided",
            Sides::TwoSidedLongEdge => "two-sided-long-edge",
            Sides::TwoSidedShortEdge => "two-sided-short-edge",
        },
    );
    a.mime("document-format", &m.format);
    a.0
}

pub(super) fn finished_attrs(f: &PrinterFacts, j: &Finished, started_unix: u64, up: i32) -> Vec<IppAttribute> {
    let mut a = Attrs::default();
    common_job_attrs(&mut a, f, j.number, &j.name, &j.owner, j.created_unix, Clock { started_unix, up });
    a.enumeration("job-state", j.state.to_enum());
    a.keywords("job-state-reasons", &[j.reason]);
    a.no_value("time-at-processing");
    a.integer("time-at-completed", rel_time(started_unix, j.finished_unix));
    a.date_time("date-time-at-completed", j.finished_unix);
    a.0
}
