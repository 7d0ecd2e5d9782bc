//! What the scout knows between sweeps: every printer it found, its last
//! report, the alerts it has raised; and an append-only log of changes
//! (found, moved, meter reads, alerts raised and cleared), each with a
//! stable id, which the reports read for meter history and the cloud
//! outbox will read to sync.
//!
//! `DATA/scout/inventory.json` is shared across processes the way the
//! printer registry is ([`crate::shared::SharedJson`]); the change log is
//! `DATA/scout/changes.jsonl`, appended and synced under the inventory's
//! lock before the inventory itself is replaced, so a change is never
//! lost, and a crash between the two repeats it with the same id.

use super::report::{Level, PrinterReport};
use super::sweep::{Found, Outcome};
use crate::shared::{SharedFileError, SharedJson};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const DAY_MS: u64 = 24 * 3600 * 1000;

/// The inventory file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Book {
    /// When the last discovery sweep finished.
    #[serde(default)]
    pub last_discovery_ms: u64,
    /// The next change's sequence number.
    #[serde(default)]
    pub next_seq: u64,
    /// By identity: `sn:SERIAL`, else `mac:MAC`, else `ip:ADDRESS`.
    #[serde(default)]
    pub printers: BTreeMap<String, Seen>,
}

/// One printer the scout found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seen {
    pub key: String,
    pub address: Ipv4Addr,
    /// The name of the scan range it was found in (its SNMP settings).
    pub range: String,
    pub first_seen_ms: u64,
    pub last_seen_ms: u64,
    /// The last full read (status, supplies, meters).
    pub read_ms: u64,
    /// The last meter reading kept in the history.
    #[serde(default)]
    pub meter_ms: u64,
    pub report: PrinterReport,
    #[serde(default)]
    pub alerts: Vec<Raised>,
    /// Why the last scheduled read failed, if it did.
    #[serde(default)]
    pub error: Option<String>,
}

/// An alert the scout has raised and not yet cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raised {
    /// `supply-low`, `waste-full`, `printer-error`, `printer-warning`,
    /// `down` or `unreachable`.
    pub kind: String,
    /// What it is about: a supply's description, an error keyword...
    pub subject: String,
    pub detail: String,
    pub since_ms: u64,
}

impl Raised {
    /// Whether the alert needs someone now (as opposed to soon).
    pub fn critical(&self) -> bool {
        matches!(self.kind.as_str(), "printer-error" | "down" | "unreachable")
            || (self.kind == "supply-low" && self.detail == "0 %")
    }
}

/// One line of the change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub seq: u64,
    /// Stable across a repeat: the cloud outbox's idempotent key.
    pub id: String,
    pub at_ms: u64,
    /// `printer.found`, `printer.moved`, `meter.read`, `alert.raised`, `alert.cleared`.
    pub kind: String,
    pub printer: String,
    pub address: Ipv4Addr,
    pub data: serde_json::Value,
}

/// A meter reading from the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeterRead {
    pub at_ms: u64,
    pub page_count: u64,
    pub counters: serde_json::Value,
}

/// Why the inventory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error(transparent)]
    File(#[from] SharedFileError),
    #[error("{step} {path}: {source}")]
    Io { step: &'static str, path: PathBuf, source: std::io::Error },
}

/// What recording a sweep or a read changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub new_printers: usize,
    pub changes: usize,
}

/// The scout's inventory and change log.
#[derive(Debug)]
pub struct Inventory {
    book: SharedJson<Book>,
    changes: PathBuf,
    low_percent: u8,
}

/// A printer's identity: what stays when its address changes.
pub fn identity(report: &PrinterReport, address: Ipv4Addr) -> String {
    if let Some(sn) = &report.serial {
        format!("sn:{}:{sn}", report.vendor)
    } else if let Some(mac) = &report.mac {
        format!("mac:{mac}")
    } else {
        format!("ip:{address}")
    }
}

/// The alerts a report calls for. `low` is the level (percent) at or
/// under which a supply is low, or a waste receptacle full.
pub fn alerts_of(report: &PrinterReport, low: u8) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for s in &report.supplies {
        // RFC 3805: a supply's level is what remains; a receptacle's is
        // the space that remains. Either way, low means "act now".
        if let Level::Percent(p) = s.level
            && p <= low
        {
            let kind = if s.is_waste() { "waste-full" } else { "supply-low" };
            out.push((kind.into(), s.description.clone(), format!("{p} %")));
        }
    }
    const WARNINGS: &[&str] = &["lowPaper", "lowToner", "outputNearFull", "inputTrayEmpty"];
    for e in &report.status.errors {
        let kind = if WARNINGS.contains(&e.as_str()) { "printer-warning" } else { "printer-error" };
        out.push((kind.into(), e.clone(), e.clone()));
    }
    if report.status.device == "down" {
        out.push(("down".into(), "device".into(), "hrDeviceStatus says down".into()));
    }
    out
}

impl Inventory {
    /// Open the inventory in `dir` (`DATA/scout`), creating the folder
    /// (mode 0700).
    pub fn open(dir: &Path, low_percent: u8) -> Result<Inventory, InventoryError> {
        use std::os::unix::fs::DirBuilderExt;
        // Private to the service, like the rest of the data folder.
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|source| InventoryError::Io {
            step: "create",
            path: dir.to_owned(),
            source,
        })?;
        Ok(Inventory {
            book: SharedJson::open(&dir.join("inventory.json"))?,
            changes: dir.join("changes.jsonl"),
            low_percent,
        })
    }

    /// The inventory as it is now.
    pub fn snapshot(&self) -> Result<Arc<Book>, InventoryError> {
        Ok(self.book.snapshot()?)
    }

    fn append(&self, lines: &[Change]) -> Result<(), InventoryError> {
        if lines.is_empty() {
            return Ok(());
        }
        let io = |step, source| InventoryError::Io { step, path: self.changes.clone(), source };
        let mut text = Vec::new();
        for c in lines {
            serde_json::to_writer(&mut text, c).map_err(|e| io("encode", e.into()))?;
            text.push(b'\n');
        }
        let mut f =
            std::fs::OpenOptions::new().create(true).append(true).open(&self.changes).map_err(|e| io("open", e))?;
        f.write_all(&text).map_err(|e| io("append to", e))?;
        f.sync_data().map_err(|e| io("sync", e))
    }

    /// Record what a sweep (or a scheduled read) of `range` found.
    pub fn record(&self, range: &str, found: &[Found], now_ms: u64) -> Result<Recorded, InventoryError> {
        let low = self.low_percent;
        self.book.update(|book: &mut Book| {
            let mut changes = Vec::new();
            let mut recorded = Recorded::default();
            for f in found {
                let Outcome::Printer(report) = &f.outcome else { continue };
                let key = identity(report, f.address);
                let mut push = |book: &mut Book, kind: &str, id: String, data: serde_json::Value| {
                    changes.push(Change {
                        seq: book.next_seq,
                        id,
                        at_ms: now_ms,
                        kind: kind.into(),
                        printer: key.clone(),
                        address: f.address,
                        data,
                    });
                    book.next_seq += 1;
                };
                // Another printer that had this address has left it.
                let stale: Vec<String> = book
                    .printers
                    .values()
                    .filter(|s| s.address == f.address && s.key != key && s.last_seen_ms < now_ms)
                    .map(|s| s.key.clone())
                    .collect();
                for k in stale {
                    if let Some(s) = book.printers.get_mut(&k) {
                        s.error = Some(format!("{} now answers as another printer", f.address));
                    }
                }
                let previous = book.printers.get(&key).cloned();
                match &previous {
                    None => {
                        recorded.new_printers += 1;
                        push(
                            book,
                            "printer.found",
                            format!("found:{key}"),
                            serde_json::json!({ "vendor": report.vendor, "model": report.model, "serial": report.serial, "range": range }),
                        );
                    }
                    Some(p) if p.address != f.address => push(
                        book,
                        "printer.moved",
                        format!("moved:{key}:{}:{now_ms}", f.address),
                        serde_json::json!({ "from": p.address, "to": f.address }),
                    ),
                    Some(_) => {}
                }
                let mut seen = previous.unwrap_or_else(|| Seen {
                    key: key.clone(),
                    address: f.address,
                    range: range.to_owned(),
                    first_seen_ms: now_ms,
                    last_seen_ms: now_ms,
                    read_ms: now_ms,
                    meter_ms: 0,
                    report: (**report).clone(),
                    alerts: Vec::new(),
                    error: None,
                });
                seen.address = f.address;
                seen.range = range.to_owned();
                seen.last_seen_ms = now_ms;
                seen.read_ms = now_ms;
                seen.report = (**report).clone();
                seen.error = None;
                if let Some(pages) = report.page_count
                    && (seen.meter_ms == 0 || now_ms.saturating_sub(seen.meter_ms) >= DAY_MS)
                {
                    seen.meter_ms = now_ms;
                    let day = now_ms / DAY_MS;
                    push(
                        book,
                        "meter.read",
                        format!("meter:{key}:{day}"),
                        serde_json::json!({ "page_count": pages, "counters": report.counters }),
                    );
                }
                let wanted = alerts_of(report, low);
                for (change, id, data) in settle(&key, &mut seen.alerts, &wanted, now_ms) {
                    push(book, change, id, data);
                }
                book.printers.insert(key.clone(), seen);
            }
            recorded.changes = changes.len();
            self.append(&changes)?;
            Ok::<_, InventoryError>(recorded)
        })
    }

    /// Record that a known printer did not answer a scheduled read.
    pub fn record_failure(&self, key: &str, error: &str, now_ms: u64) -> Result<(), InventoryError> {
        self.book.update(|book: &mut Book| {
            let mut changes = Vec::new();
            let mut next = book.next_seq;
            if let Some(seen) = book.printers.get_mut(key) {
                seen.error = Some(error.to_owned());
                let mut wanted: Vec<(String, String, String)> = seen
                    .alerts
                    .iter()
                    .filter(|a| a.kind != "unreachable")
                    .map(|a| (a.kind.clone(), a.subject.clone(), a.detail.clone()))
                    .collect();
                wanted.push(("unreachable".into(), "snmp".into(), error.to_owned()));
                for (kind, id, data) in settle(key, &mut seen.alerts, &wanted, now_ms) {
                    changes.push(Change {
                        seq: next,
                        id,
                        at_ms: now_ms,
                        kind: kind.into(),
                        printer: key.to_owned(),
                        address: seen.address,
                        data,
                    });
                    next += 1;
                }
            }
            book.next_seq = next;
            self.append(&changes)?;
            Ok::<_, InventoryError>(())
        })
    }

    /// Note that a discovery sweep finished.
    pub fn discovered(&self, now_ms: u64) -> Result<(), InventoryError> {
        self.book.update(|book: &mut Book| {
            book.last_discovery_ms = now_ms;
            Ok::<_, InventoryError>(())
        })
    }

    fn read_changes(&self) -> Result<Vec<Change>, InventoryError> {
        let f = match std::fs::File::open(&self.changes) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(InventoryError::Io { step: "open", path: self.changes.clone(), source }),
        };
        // A line cut off by a crash mid-append is skipped, not fatal.
        Ok(std::io::BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str::<Change>(&l).ok())
            .collect())
    }

    /// Changes after `seq`, oldest first, at most `limit`: what the cloud
    /// outbox reads.
    pub fn changes_since(&self, seq: Option<u64>, limit: usize) -> Result<Vec<Change>, InventoryError> {
        Ok(self.read_changes()?.into_iter().filter(|c| seq.is_none_or(|s| c.seq > s)).take(limit).collect())
    }

    /// A printer's meter history since `since_ms`, oldest first.
    pub fn meter_history(&self, key: &str, since_ms: u64) -> Result<Vec<MeterRead>, InventoryError> {
        Ok(self
            .read_changes()?
            .into_iter()
            .filter(|c| c.kind == "meter.read" && c.printer == key && c.at_ms >= since_ms)
            .filter_map(|c| {
                Some(MeterRead {
                    at_ms: c.at_ms,
                    page_count: c.data.get("page_count")?.as_u64()?,
                    counters: c.data.get("counters").cloned().unwrap_or_default(),
                })
            })
            .collect())
    }
}

/// Bring the printer `key`'s `alerts` to `wanted`, returning the
/// changes: (kind, id, data).
fn settle(
    key: &str,
    alerts: &mut Vec<Raised>,
    wanted: &[(String, String, String)],
    now_ms: u64,
) -> Vec<(&'static str, String, serde_json::Value)> {
    let mut out = Vec::new();
    alerts.retain(|a| {
        let keep = wanted.iter().any(|(k, s, _)| *k == a.kind && *s == a.subject);
        if !keep {
            log::info!("scout: alert cleared: {} {}", a.kind, a.subject);
            out.push((
                "alert.cleared",
                format!("cleared:{key}:{}:{}:{}", a.kind, a.subject, a.since_ms),
                serde_json::json!({ "kind": a.kind, "subject": a.subject, "since_ms": a.since_ms }),
            ));
        }
        keep
    });
    for (kind, subject, detail) in wanted {
        if let Some(a) = alerts.iter_mut().find(|a| a.kind == *kind && a.subject == *subject) {
            a.detail.clone_from(detail);
            continue;
        }
        log::warn!("scout: alert: {kind} {subject}: {detail}");
        out.push((
            "alert.raised",
            format!("raised:{key}:{kind}:{subject}:{now_ms}"),
            serde_json::json!({ "kind": kind, "subject": subject, "detail": detail }),
        ));
        alerts.push(Raised { kind: kind.clone(), subject: subject.clone(), detail: detail.clone(), since_ms: now_ms });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scout::report::tests_support::recording_report;

    fn found(addr: [u8; 4], r: &PrinterReport) -> Found {
        Found { address: Ipv4Addr::from(addr), outcome: Outcome::Printer(Box::new(r.clone())) }
    }

    #[test]
    fn a_printer_is_found_once_its_meters_kept_daily_and_its_alerts_raised_and_cleared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inv = Inventory::open(dir.path(), 25).expect("open");
        let mut r = recording_report("ricoh_mpc3002.snmprec");
        let t0 = 1_800_000_000_000;
        let rec = inv.record("HQ", &[found([10, 0, 0, 5], &r)], t0).expect("record");
        assert_eq!(rec.new_printers, 1);
        let book = inv.snapshot().expect("book");
        let seen = book.printers.values().next().expect("one printer");
        assert_eq!(seen.key, "sn:ricoh:W492KB03439");
        // Cyan at 20 % is low at a 25 % threshold; the waste toner box, at
        // 100 % of its space left, is empty.
        let kinds: Vec<(&str, &str)> = seen.alerts.iter().map(|a| (a.kind.as_str(), a.subject.as_str())).collect();
        assert_eq!(kinds, [("supply-low", "Cyan Toner")]);

        // An hour later: same printer at a new address, no new meter line.
        r.supplies.iter_mut().for_each(|s| s.level = Level::Percent(80));
        r.supplies.iter_mut().filter(|s| s.kind == "wasteToner").for_each(|s| s.level = Level::Percent(10));
        r.page_count = Some(271_900);
        let rec = inv.record("HQ", &[found([10, 0, 0, 6], &r)], t0 + 3_600_000).expect("record");
        assert_eq!(rec.new_printers, 0);
        let kinds: Vec<String> =
            inv.changes_since(None, 100).expect("changes").iter().map(|c| c.kind.clone()).collect();
        assert_eq!(kinds.iter().filter(|k| *k == "meter.read").count(), 1);
        assert!(kinds.contains(&"printer.moved".to_owned()));
        assert!(kinds.contains(&"alert.cleared".to_owned()), "{kinds:?}");
        let book = inv.snapshot().expect("book");
        let alerts: Vec<&str> = book.printers["sn:ricoh:W492KB03439"].alerts.iter().map(|a| a.kind.as_str()).collect();
        assert_eq!(alerts, ["waste-full"], "10 % of the waste box's space left");

        // A day later: a second meter reading.
        r.page_count = Some(272_500);
        inv.record("HQ", &[found([10, 0, 0, 6], &r)], t0 + DAY_MS + 1).expect("record");
        let history = inv.meter_history("sn:ricoh:W492KB03439", 0).expect("history");
        assert_eq!(history.iter().map(|m| m.page_count).collect::<Vec<_>>(), [271_871, 272_500]);

        // Unreachable, then back.
        inv.record_failure("sn:ricoh:W492KB03439", "no answer", t0 + DAY_MS + 2).expect("failure");
        let book = inv.snapshot().expect("book");
        assert!(book.printers["sn:ricoh:W492KB03439"].alerts.iter().any(|a| a.kind == "unreachable"));
        inv.record("HQ", &[found([10, 0, 0, 6], &r)], t0 + DAY_MS + 3).expect("record");
        let book = inv.snapshot().expect("book");
        assert!(book.printers["sn:ricoh:W492KB03439"].alerts.iter().all(|a| a.kind != "unreachable"));
        assert_eq!(book.printers["sn:ricoh:W492KB03439"].error, None);

        // Sequence numbers are dense and ids unique.
        let all = inv.changes_since(None, 1000).expect("changes");
        assert!(all.iter().enumerate().all(|(i, c)| c.seq == i as u64));
        let mut ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        assert_eq!(inv.changes_since(Some(2), 2).expect("page").first().map(|c| c.seq), Some(3));
    }

    #[test]
    fn a_line_cut_off_mid_append_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inv = Inventory::open(dir.path(), 10).expect("open");
        let r = recording_report("konica_c250i.snmprec");
        inv.record("HQ", &[found([10, 0, 0, 7], &r)], 1_000).expect("record");
        let mut f = std::fs::OpenOptions::new().append(true).open(dir.path().join("changes.jsonl")).expect("open");
        f.write_all(b"{\"seq\":99,\"id\":\"cut").expect("write");
        let n = inv.changes_since(None, 100).expect("changes").len();
        assert!(n >= 2, "the whole lines survive");
    }
}
