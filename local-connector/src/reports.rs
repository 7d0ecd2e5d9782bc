//! Reports: what was printed and what was saved, summed from the store's
//! release records and its records of jobs that never printed. Sans-IO:
//! records in, totals out; the console draws and exports them.
//!
//! Pages are the pages of a job times its copies; sheets count a two-sided
//! job's pages two to a sheet. A job whose pages analysis could not count
//! adds to the jobs, not to the pages.

use crate::job::{ColorMode, Sides};
use crate::store::{ReleaseRecord, Unprinted};
use std::collections::BTreeMap;

/// Pages, sheets and jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Jobs.
    pub jobs: u64,
    /// Pages (impressions): pages × copies.
    pub pages: u64,
    /// Sheets of paper.
    pub sheets: u64,
}

impl Tally {
    fn add(&mut self, pages: Option<u32>, copies: u32, sides: Sides) {
        let p = u64::from(pages.unwrap_or(0));
        let c = u64::from(copies.max(1));
        self.jobs += 1;
        self.pages += p * c;
        self.sheets += if sides == Sides::OneSided { p } else { p.div_ceil(2) } * c;
    }
}

/// One day's totals (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Day {
    /// Printed.
    pub printed: Tally,
    /// Never printed: expired or deleted.
    pub saved: Tally,
}

/// A report over a span of time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Each day (`YYYY-MM-DD`, UTC) in the span that had anything, in order.
    pub days: BTreeMap<String, Day>,
    /// Printed, by printer (device id).
    pub printers: BTreeMap<String, Tally>,
    /// Printed, by department (`(none)` when the owner has none).
    pub departments: BTreeMap<String, Tally>,
    /// Printed, by owner.
    pub users: BTreeMap<String, Tally>,
    /// Expired unclaimed.
    pub expired: Tally,
    /// Deleted by their owner or an admin.
    pub deleted: Tally,
    /// Printed in colour.
    pub colour: Tally,
    /// Printed in monochrome (or of unknown colour use).
    pub mono: Tally,
    /// Printed one-sided.
    pub simplex: Tally,
    /// Printed two-sided.
    pub duplex: Tally,
    /// Releases that failed.
    pub failed: u64,
}

/// The UTC day of `ms` since the epoch, `YYYY-MM-DD`.
pub fn day_of(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(t).to_string().get(..10).unwrap_or_default().to_owned()
}

/// Sum `releases` and `unprinted`; `department` names each owner's
/// department, if known.
pub fn summarise(
    releases: &[ReleaseRecord],
    unprinted: &[Unprinted],
    department: impl Fn(&str) -> Option<String>,
) -> Report {
    let mut r = Report::default();
    let mut departments: BTreeMap<String, Option<String>> = BTreeMap::new();
    for x in releases {
        if x.outcome == "failed" {
            r.failed += 1;
            continue;
        }
        let add = |t: &mut Tally| t.add(x.pages, x.copies, x.sides);
        add(&mut r.days.entry(day_of(x.at_ms)).or_default().printed);
        add(r.printers.entry(x.device.clone()).or_default());
        add(r.users.entry(x.owner.clone()).or_default());
        let dept = departments.entry(x.owner.clone()).or_insert_with(|| department(&x.owner));
        add(r.departments.entry(dept.clone().unwrap_or_else(|| "(none)".into())).or_default());
        add(if x.color == ColorMode::Color { &mut r.colour } else { &mut r.mono });
        add(if x.sides == Sides::OneSided { &mut r.simplex } else { &mut r.duplex });
    }
    for x in unprinted {
        let add = |t: &mut Tally| t.add(x.pages, x.copies, x.sides);
        add(&mut r.days.entry(day_of(x.at_ms)).or_default().saved);
        add(if x.reason == "expired" { &mut r.expired } else { &mut r.deleted });
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobId;

    fn printed(
        owner: &str,
        device: &str,
        pages: u32,
        copies: u32,
        color: ColorMode,
        sides: Sides,
        day: u64,
    ) -> ReleaseRecord {
        ReleaseRecord {
            job: JobId([1; 16]),
            owner: owner.into(),
            by: owner.into(),
            document_name: "d".into(),
            device: device.into(),
            pages: Some(pages),
            copies,
            color,
            transport: "ipps".into(),
            uri: String::new(),
            printer_job: Some(1),
            outcome: "printed".into(),
            detail: None,
            at_ms: day * 86_400_000 + 1_000,
            synced: false,
            sides,
        }
    }

    fn unprinted(pages: Option<u32>, reason: &str, sides: Sides) -> Unprinted {
        Unprinted {
            job: JobId([2; 16]),
            owner: "alice".into(),
            pages,
            copies: 2,
            color: ColorMode::Monochrome,
            sides,
            reason: reason.into(),
            by: "system".into(),
            at_ms: 20_000 * 86_400_000,
        }
    }

    #[test]
    fn pages_sheets_and_paper_saved_are_summed_by_day_printer_department_and_user() {
        let releases = vec![
            printed("alice", "d-1", 3, 2, ColorMode::Color, Sides::OneSided, 20_000),
            printed("bob", "d-1", 5, 1, ColorMode::Monochrome, Sides::TwoSidedLongEdge, 20_000),
            printed("bob", "d-2", 1, 1, ColorMode::Unknown, Sides::OneSided, 20_001),
            ReleaseRecord {
                outcome: "failed".into(),
                ..printed("bob", "d-2", 9, 9, ColorMode::Color, Sides::OneSided, 20_001)
            },
        ];
        let saved =
            vec![unprinted(Some(4), "expired", Sides::TwoSidedShortEdge), unprinted(None, "deleted", Sides::OneSided)];
        let r = summarise(&releases, &saved, |u| (u == "alice").then(|| "Finance".to_owned()));
        assert_eq!(r.failed, 1);
        assert_eq!(r.days.keys().map(String::as_str).collect::<Vec<_>>(), vec!["2024-10-04", "2024-10-05"]);
        let first = r.days["2024-10-04"];
        assert_eq!(first.printed, Tally { jobs: 2, pages: 11, sheets: 9 });
        assert_eq!(r.printers["d-1"], Tally { jobs: 2, pages: 11, sheets: 9 });
        assert_eq!(r.departments["Finance"].pages, 6);
        assert_eq!(r.departments["(none)"].pages, 6);
        assert_eq!(r.users["bob"], Tally { jobs: 2, pages: 6, sheets: 4 });
        assert_eq!((r.colour.pages, r.mono.pages), (6, 6));
        assert_eq!((r.simplex.pages, r.duplex.pages), (7, 5));
        // Four two-sided pages, two copies: 8 pages on 4 sheets; an uncounted job adds a job only.
        assert_eq!(r.expired, Tally { jobs: 1, pages: 8, sheets: 4 });
        assert_eq!(r.deleted, Tally { jobs: 1, pages: 0, sheets: 0 });
        assert_eq!(day_of(0), "1970-01-01");
    }
}
