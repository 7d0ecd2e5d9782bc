//! What Device Scout found and reads, as the console shows it: each
//! registered printer's status and supplies, the printers found on the
//! network that are not registered ("found, not secured"), and the
//! dashboard's list of printers in error or low on supplies.

use super::Site;
use crate::{AlertView, FoundView, PrinterView, ScoutView};
use local_connector::printers::Device;
use local_connector::scout::inventory::{Raised, Seen};
use local_connector::scout::report::{Level, vendor_name};

/// The dashboard's part.
pub(super) struct Summary {
    pub on: bool,
    pub last_discovery_ms: u64,
    pub found_unsecured: usize,
    pub watch: Vec<(String, String, Vec<AlertView>)>,
}

/// The host part of a registered printer's address (`host`, `host:port`,
/// `[v6]:port`).
fn host(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match address.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => address,
    }
}

/// The registered printer at a found printer's address.
fn registered<'a>(devices: &'a [Device], seen: &Seen) -> Option<&'a Device> {
    let a = seen.address.to_string();
    devices.iter().find(|d| host(&d.address) == a)
}

fn alert(a: &Raised) -> AlertView {
    AlertView {
        kind: a.kind.clone(),
        subject: a.subject.clone(),
        detail: a.detail.clone(),
        critical: a.critical(),
        since_ms: a.since_ms,
    }
}

fn level(l: Level) -> String {
    match l {
        Level::Percent(p) => format!("{p} %"),
        Level::Some => "some left".into(),
        Level::Unknown => "unknown".into(),
    }
}

pub(super) fn view(seen: &Seen) -> ScoutView {
    let r = &seen.report;
    let mut status = format!("{} / {}", r.status.device, r.status.printer);
    if !r.status.errors.is_empty() {
        status.push_str(&format!(" ({})", r.status.errors.join(", ")));
    }
    let low: Vec<&str> = seen
        .alerts
        .iter()
        .filter(|a| a.kind == "supply-low" || a.kind == "waste-full")
        .map(|a| a.subject.as_str())
        .collect();
    ScoutView {
        key: seen.key.clone(),
        model: r.model.clone(),
        serial: r.serial.clone(),
        location: r.location.clone(),
        colour: r.colour,
        status,
        page_count: r.page_count,
        supplies: r
            .supplies
            .iter()
            .map(|s| {
                let words = match (s.is_waste(), s.level) {
                    (true, Level::Some) => "some space left".to_owned(),
                    (true, Level::Percent(p)) => format!("{p} % space left"),
                    (_, l) => level(l),
                };
                (s.description.clone(), words, low.contains(&s.description.as_str()))
            })
            .collect(),
        trays: r.trays.iter().map(|t| (t.name.clone(), level(t.level))).collect(),
        display: r.display.clone(),
        alerts: seen.alerts.iter().map(alert).collect(),
        read_ms: seen.read_ms,
        error: seen.error.clone(),
    }
}

/// The registration form's maker for a scout vendor keyword, where
/// Pullprint has a panel integration (OEM brands map to their maker).
fn registrable(vendor: &str, enterprise: Option<u32>) -> Option<String> {
    match (vendor, enterprise) {
        ("hp" | "km" | "lexmark" | "ricoh" | "xerox", _) => Some(vendor.to_owned()),
        (_, Some(367)) => Some("ricoh".into()),
        (_, Some(18334)) => Some("km".into()),
        _ => None,
    }
}

impl Site {
    fn seen(&self) -> (bool, Option<std::sync::Arc<local_connector::scout::inventory::Book>>) {
        match &self.scout {
            None => (false, None),
            Some((inv, on)) => match inv.snapshot() {
                Ok(b) => (*on, Some(b)),
                Err(e) => {
                    log::error!("scout: cannot read the inventory: {e}");
                    (*on, None)
                }
            },
        }
    }

    /// The registered printers with what the scout read from each, and
    /// the printers it found that are not registered.
    pub(super) fn printers_with_scout(&self) -> (Vec<PrinterView>, Vec<FoundView>) {
        let mut list = self.printers();
        let (_, book) = self.seen();
        let Some(book) = book else { return (list, Vec::new()) };
        let devices = self.devices.list();
        for p in &mut list {
            let Some(d) = devices.iter().find(|d| d.id == p.id) else { continue };
            p.scout = book
                .printers
                .values()
                .filter(|s| host(&d.address) == s.address.to_string())
                .max_by_key(|s| s.last_seen_ms)
                .map(view);
        }
        let mut found: Vec<FoundView> = book
            .printers
            .values()
            .filter(|s| registered(&devices, s).is_none())
            .map(|s| FoundView {
                address: s.address.to_string(),
                vendor: vendor_name(&s.report.vendor).to_owned(),
                registrable: registrable(&s.report.vendor, s.report.enterprise),
                first_seen_ms: s.first_seen_ms,
                range: s.range.clone(),
                scout: view(s),
            })
            .collect();
        found.sort_by_key(|f| f.address.parse::<std::net::Ipv4Addr>().ok());
        (list, found)
    }

    /// A printer's meter readings over the last 400 days, the latest 60.
    pub(super) fn meters(&self, key: &str) -> Vec<(u64, u64)> {
        let Some((inv, _)) = &self.scout else { return Vec::new() };
        let since = local_connector::clock::now_ms().saturating_sub(400 * 86_400_000);
        match inv.meter_history(key, since) {
            Ok(m) => {
                let all: Vec<(u64, u64)> = m.into_iter().map(|r| (r.at_ms, r.page_count)).collect();
                all[all.len().saturating_sub(60)..].to_vec()
            }
            Err(e) => {
                log::error!("scout: cannot read the meter history: {e}");
                Vec::new()
            }
        }
    }

    pub(super) fn scout_summary(&self, devices: &[Device]) -> Summary {
        let (on, book) = self.seen();
        let Some(book) = book else {
            return Summary { on, last_discovery_ms: 0, found_unsecured: 0, watch: Vec::new() };
        };
        let mut watch: Vec<(bool, String, String, Vec<AlertView>)> = book
            .printers
            .values()
            .filter(|s| !s.alerts.is_empty())
            .map(|s| {
                let name = registered(devices, s).map_or_else(
                    || format!("{} {} (not registered)", vendor_name(&s.report.vendor), s.report.model),
                    |d| d.name.clone(),
                );
                let alerts: Vec<AlertView> = s.alerts.iter().map(alert).collect();
                (alerts.iter().any(|a| a.critical), name, s.address.to_string(), alerts)
            })
            .collect();
        // Those that need someone now first, then by name.
        watch.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Summary {
            on,
            last_discovery_ms: book.last_discovery_ms,
            found_unsecured: book.printers.values().filter(|s| registered(devices, s).is_none()).count(),
            watch: watch.into_iter().map(|(_, n, a, al)| (n, a, al)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_address_matches_with_or_without_its_port() {
        assert_eq!(host("10.0.0.5"), "10.0.0.5");
        assert_eq!(host("10.0.0.5:631"), "10.0.0.5");
        assert_eq!(host("[fe80::1]:631"), "fe80::1");
        assert_eq!(host("printer.example.com"), "printer.example.com");
        assert_eq!(registrable("savin", Some(367)).as_deref(), Some("ricoh"));
        assert_eq!(registrable("develop", Some(18334)).as_deref(), Some("km"));
        assert_eq!(registrable("kyocera", Some(1347)), None);
    }
}
