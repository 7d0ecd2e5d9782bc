//! When the scout works: discovery sweeps daily or weekly, inside the
//! admin's time windows; a full read of every known printer (status,
//! supplies) as often as every 15 minutes; meter readings kept once a
//! day. [`Settings::due`] decides, sans-IO; [`tick`] does the work.

use super::agent::{Credentials, Timing};
use super::inventory::{Inventory, InventoryError};
use super::range::{Range, Targets};
use super::sweep::{self, Found, Options, Outcome};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 24 * 60 * MINUTE_MS;

/// How often discovery sweeps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Daily,
    Weekly,
    Off,
}

impl Every {
    fn period_ms(self) -> Option<u64> {
        match self {
            Every::Daily => Some(DAY_MS),
            Every::Weekly => Some(7 * DAY_MS),
            Every::Off => None,
        }
    }
}

/// A daily time window, in minutes after midnight UTC; `start > end`
/// crosses midnight ("22:00-06:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u16,
    pub end: u16,
}

impl std::str::FromStr for Window {
    type Err = String;
    fn from_str(s: &str) -> Result<Window, String> {
        let minutes = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (a, b) = s.split_once('-').ok_or_else(|| format!("{s:?} is not a window like \"22:00-06:00\""))?;
        match (minutes(a), minutes(b)) {
            (Some(start), Some(end)) if start != end => Ok(Window { start, end }),
            _ => Err(format!("{s:?} is not a window like \"22:00-06:00\" (HH:MM-HH:MM, UTC, not empty)")),
        }
    }
}

impl Window {
    /// Whether minute-of-day `m` falls in the window.
    pub fn contains(&self, m: u16) -> bool {
        if self.start < self.end { (self.start..self.end).contains(&m) } else { m >= self.start || m < self.end }
    }
}

/// One scan range with its own SNMP settings.
#[derive(Debug, Clone)]
pub struct RangeSettings {
    pub name: String,
    pub scan: Vec<Range>,
    pub exclude: Vec<Range>,
    pub port: u16,
    pub credentials: Credentials,
}

impl RangeSettings {
    /// The addresses this range may contact.
    pub fn targets(&self) -> Result<Targets, super::range::BadRange> {
        Targets::new(&self.scan, &self.exclude)
    }
}

/// The scout's settings (`[scout]`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub ranges: Vec<RangeSettings>,
    pub discovery: Every,
    /// Discovery sweeps only start inside one of these (none: any time).
    pub windows: Vec<Window>,
    /// How often each known printer is read in full (status, supplies).
    pub read_every: Duration,
    pub rate: u32,
    pub concurrency: usize,
    pub timing: Timing,
    /// At or under this percentage a supply is low.
    pub low_supply_percent: u8,
    /// How long a RAW release waits for the page counter to rise.
    pub raw_confirm_timeout: Duration,
}

/// The shortest read interval the scout accepts.
pub const MIN_READ_EVERY: Duration = Duration::from_secs(15 * 60);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            ranges: Vec::new(),
            discovery: Every::Daily,
            windows: Vec::new(),
            read_every: Duration::from_secs(3600),
            rate: sweep::DEFAULT_RATE,
            concurrency: sweep::DEFAULT_CONCURRENCY,
            timing: Timing::default(),
            low_supply_percent: 10,
            raw_confirm_timeout: Duration::from_secs(120),
        }
    }
}

/// Work that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    Discovery,
    /// Read these known printers (their inventory keys).
    Read(Vec<String>),
}

impl Settings {
    /// The SNMP settings for an address: the first range that may contact it.
    pub fn for_address(&self, a: Ipv4Addr) -> Option<&RangeSettings> {
        self.ranges.iter().find(|r| r.targets().is_ok_and(|t| t.contains(a)))
    }

    fn options(&self) -> Options {
        Options { port: 161, rate: self.rate, concurrency: self.concurrency, timing: self.timing, identify_only: false }
    }

    /// What is due at `now_ms`, given the inventory.
    pub fn due(&self, book: &super::inventory::Book, now_ms: u64) -> Vec<Due> {
        let mut out = Vec::new();
        if self.ranges.is_empty() {
            return out;
        }
        let minute = u16::try_from((now_ms % DAY_MS) / MINUTE_MS).unwrap_or(0);
        let in_window = self.windows.is_empty() || self.windows.iter().any(|w| w.contains(minute));
        if let Some(period) = self.discovery.period_ms()
            && in_window
            && (book.last_discovery_ms == 0 || now_ms.saturating_sub(book.last_discovery_ms) >= period)
        {
            out.push(Due::Discovery);
        }
        let every = u64::try_from(self.read_every.as_millis()).unwrap_or(u64::MAX);
        let stale: Vec<String> = book
            .printers
            .values()
            .filter(|s| now_ms.saturating_sub(s.read_ms) >= every)
            .filter(|s| self.ranges.iter().any(|r| r.name == s.range))
            .map(|s| s.key.clone())
            .collect();
        if !stale.is_empty() {
            out.push(Due::Read(stale));
        }
        out
    }
}

/// Do what is due: sweeps, then reads, recording everything.
pub async fn tick(settings: &Settings, inventory: &Inventory, now_ms: impl Fn() -> u64) -> Result<(), InventoryError> {
    let book = inventory.snapshot()?;
    for due in settings.due(&book, now_ms()) {
        match due {
            Due::Discovery => {
                for range in &settings.ranges {
                    let Ok(targets) = range.targets() else { continue };
                    let options = Options { port: range.port, ..settings.options() };
                    let mut found = Vec::new();
                    match sweep::sweep(&targets, &range.credentials, &options, |f| found.push(f)).await {
                        Ok(stats) => log::info!(
                            "scout: swept {} ({} addresses) in {} ms: {} printers, {} other agents, {} failed, {} silent",
                            range.name,
                            stats.addresses,
                            stats.elapsed_ms,
                            stats.printers,
                            stats.not_printers,
                            stats.failed,
                            stats.silent
                        ),
                        Err(e) => log::error!("scout: sweep of {} failed: {e}", range.name),
                    }
                    for f in &found {
                        if let Outcome::Failed { error } = &f.outcome {
                            log::warn!("scout: {} in {}: {error}", f.address, range.name);
                        }
                    }
                    let rec = inventory.record(&range.name, &found, now_ms())?;
                    if rec.new_printers > 0 {
                        log::info!("scout: {} new printers in {}, found and not secured", rec.new_printers, range.name);
                    }
                }
                inventory.discovered(now_ms())?;
            }
            Due::Read(keys) => {
                let slots = Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1)));
                let mut tasks = tokio::task::JoinSet::new();
                for key in keys {
                    let Some(seen) = book.printers.get(&key) else { continue };
                    let Some(range) = settings.ranges.iter().find(|r| r.name == seen.range) else { continue };
                    let to = SocketAddr::V4(SocketAddrV4::new(seen.address, range.port));
                    let (credentials, timing, slots) = (range.credentials.clone(), settings.timing, Arc::clone(&slots));
                    let (name, address) = (range.name.clone(), seen.address);
                    tasks.spawn(async move {
                        let _slot = slots.acquire_owned().await;
                        (key, name, address, sweep::read(to, &credentials, timing).await)
                    });
                }
                while let Some(Ok((key, range, address, outcome))) = tasks.join_next().await {
                    match outcome {
                        Ok(o @ Outcome::Printer(_)) => {
                            inventory.record(&range, &[Found { address, outcome: o }], now_ms())?;
                        }
                        Ok(_) => inventory.record_failure(&key, "answers, but no longer as a printer", now_ms())?,
                        Err(e) => inventory.record_failure(&key, &e.to_string(), now_ms())?,
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scout::inventory::{Book, Seen};
    use crate::scout::report::tests_support::recording_report;

    fn settings() -> Settings {
        Settings {
            ranges: vec![RangeSettings {
                name: "HQ".into(),
                scan: vec!["10.0.0.0/24".parse().expect("range")],
                exclude: vec!["10.0.0.1".parse().expect("range")],
                port: 161,
                credentials: Credentials::V2c(super::super::agent::Secret::new("public")),
            }],
            ..Settings::default()
        }
    }

    #[test]
    fn windows_parse_and_cross_midnight() {
        let w: Window = "22:00-06:00".parse().expect("window");
        assert!(w.contains(23 * 60) && w.contains(0) && w.contains(5 * 60 + 59));
        assert!(!w.contains(6 * 60) && !w.contains(12 * 60));
        let d: Window = "09:30-10:00".parse().expect("window");
        assert!(d.contains(9 * 60 + 30) && !d.contains(10 * 60));
        for bad in ["22:00", "25:00-01:00", "10:00-10:00", "x-y"] {
            assert!(bad.parse::<Window>().is_err(), "{bad}");
        }
    }

    #[test]
    fn discovery_is_due_once_a_period_inside_the_windows_and_reads_when_stale() {
        let mut s = settings();
        let mut book = Book::default();
        let day0 = 20_000 * DAY_MS;
        assert_eq!(s.due(&book, day0 + 12 * 60 * MINUTE_MS), vec![Due::Discovery], "never swept: now");
        s.windows = vec!["22:00-06:00".parse().expect("window")];
        assert!(s.due(&book, day0 + 12 * 60 * MINUTE_MS).is_empty(), "outside the window");
        assert_eq!(s.due(&book, day0 + 23 * 60 * MINUTE_MS), vec![Due::Discovery]);
        book.last_discovery_ms = day0 + 23 * 60 * MINUTE_MS;
        assert!(s.due(&book, day0 + DAY_MS).is_empty(), "swept an hour ago");
        assert_eq!(s.due(&book, day0 + DAY_MS + 23 * 60 * MINUTE_MS), vec![Due::Discovery]);
        s.discovery = Every::Weekly;
        assert!(s.due(&book, day0 + DAY_MS + 23 * 60 * MINUTE_MS).is_empty());

        let report = recording_report("konica_c250i.snmprec");
        let seen = |key: &str, read_ms: u64, range: &str| Seen {
            key: key.into(),
            address: Ipv4Addr::new(10, 0, 0, 9),
            range: range.into(),
            first_seen_ms: 0,
            last_seen_ms: read_ms,
            read_ms,
            meter_ms: 0,
            report: report.clone(),
            alerts: vec![],
            error: None,
        };
        let now = book.last_discovery_ms + 2 * 3600 * 1000;
        book.printers.insert("a".into(), seen("a", now - 2 * 3600 * 1000, "HQ"));
        book.printers.insert("b".into(), seen("b", now - 60_000, "HQ"));
        book.printers.insert("c".into(), seen("c", 0, "a range since removed"));
        assert_eq!(s.due(&book, now), vec![Due::Read(vec!["a".into()])]);
        assert!(s.for_address(Ipv4Addr::new(10, 0, 0, 9)).is_some());
        assert!(s.for_address(Ipv4Addr::new(10, 0, 0, 1)).is_none(), "excluded");
    }
}
