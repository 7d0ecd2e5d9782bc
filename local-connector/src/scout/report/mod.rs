//! One agent's walk, read as a printer: identity, status, meters,
//! supplies, trays, alerts and the panel's display. Sans-IO, and careful:
//! every value came from the network, so types are checked, strings are
//! cut to size, tables to a number of rows, and RFC 3805's special values
//! (-1 other, -2 unknown, -3 "some remaining") never pass for levels.

use super::mib::{ENTERPRISES, entity, host, hp, interfaces, printer, system};
use super::walk::{Value, Walk};
use serde::{Deserialize, Serialize};

/// Longest string kept from any one value.
const MAX_TEXT: usize = 256;
/// Most rows kept from any one table.
const MAX_ROWS: usize = 64;

/// A vendor the scout knows by its IANA enterprise number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Maker {
    /// The enterprise number under 1.3.6.1.4.1.
    pub enterprise: u32,
    /// The keyword reports use: `hp`, `km`, `lexmark`...
    pub keyword: &'static str,
    /// How the vendor writes its name at the start of sysDescr and hrDeviceDescr.
    pub names: &'static [&'static str],
    /// Whether everything under this enterprise is a printer or MFP, so
    /// that its sysObjectID alone says "printer".
    pub printers_only: bool,
}

/// Vendors by enterprise number (IANA Private Enterprise Numbers).
pub const MAKERS: &[Maker] = &[
    Maker { enterprise: 11, keyword: "hp", names: &["HP", "Hewlett-Packard"], printers_only: false },
    Maker { enterprise: 18334, keyword: "km", names: &["KONICA MINOLTA", "Konica Minolta"], printers_only: true },
    Maker { enterprise: 641, keyword: "lexmark", names: &["Lexmark"], printers_only: true },
    Maker { enterprise: 367, keyword: "ricoh", names: &["RICOH", "Ricoh"], printers_only: true },
    Maker { enterprise: 253, keyword: "xerox", names: &["Xerox", "XEROX", "FUJI XEROX"], printers_only: true },
    Maker { enterprise: 1347, keyword: "kyocera", names: &["KYOCERA", "Kyocera"], printers_only: true },
    Maker { enterprise: 2435, keyword: "brother", names: &["Brother", "BROTHER"], printers_only: true },
    Maker { enterprise: 1602, keyword: "canon", names: &["Canon", "CANON"], printers_only: true },
    Maker { enterprise: 1248, keyword: "epson", names: &["EPSON", "Epson"], printers_only: true },
    Maker { enterprise: 2385, keyword: "sharp", names: &["SHARP", "Sharp"], printers_only: true },
    Maker { enterprise: 1129, keyword: "toshiba", names: &["TOSHIBA", "Toshiba"], printers_only: true },
    Maker { enterprise: 2001, keyword: "oki", names: &["OKI", "Oki"], printers_only: true },
];

/// Brands sold under another maker's enterprise number, told apart by the
/// name their descriptions start with.
pub const OEM_BRANDS: &[(u32, &str, &str)] = &[
    (367, "savin", "SAVIN"),
    (367, "lanier", "LANIER"),
    (367, "gestetner", "GESTETNER"),
    (367, "nrg", "NRG"),
    (367, "infotec", "infotec"),
    (18334, "develop", "develop"),
    (18334, "develop", "DEVELOP"),
];

/// A level as RFC 3805 allows it to be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// level / capacity, rounded, 0 to 100.
    Percent(u8),
    /// -3: "at least one unit remains".
    Some,
    /// -2, -1 (no restriction), or a level without a usable capacity.
    Unknown,
}

impl Level {
    /// From a level and its maximum capacity.
    pub fn of(level: Option<i64>, max: Option<i64>) -> Level {
        match (level, max) {
            (Some(-3), _) => Level::Some,
            (Some(l), Some(m)) if l >= 0 && m > 0 => {
                let p = (l.min(m) * 100 + m / 2) / m;
                Level::Percent(u8::try_from(p.clamp(0, 100)).unwrap_or(100))
            }
            _ => Level::Unknown,
        }
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(Level::Unknown),
            serde_json::Value::String(s) if s == "some" => Ok(Level::Some),
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|p| u8::try_from(p).ok())
                .filter(|p| *p <= 100)
                .map(Level::Percent)
                .ok_or_else(|| serde::de::Error::custom("a level is 0 to 100")),
            other => Err(serde::de::Error::custom(format!("not a level: {other}"))),
        }
    }
}

impl Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Level::Percent(p) => s.serialize_u8(*p),
            Level::Some => s.serialize_str("some"),
            Level::Unknown => s.serialize_none(),
        }
    }
}

/// One marker supply or receptacle (toner, drum, waste box...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supply {
    pub description: String,
    /// PrtMarkerSuppliesTypeTC as a keyword: `toner`, `opc`, `wasteToner`...
    pub kind: String,
    /// A receptacle that fills (waste), not a supply that is used up.
    pub receptacle: bool,
    #[serde(rename = "level_percent")]
    pub level: Level,
}

impl Supply {
    /// A receptacle that fills (waste toner, waste ink...), whose level
    /// RFC 3805 gives as the space left: by its class, its type, or, for
    /// agents that report neither, its name.
    pub fn is_waste(&self) -> bool {
        self.receptacle || self.kind.starts_with("waste") || self.description.to_lowercase().contains("waste")
    }
}

/// A vendor keyword as people write the name.
pub fn vendor_name(keyword: &str) -> &str {
    match keyword {
        "hp" => "HP",
        "km" => "Konica Minolta",
        "lexmark" => "Lexmark",
        "ricoh" => "Ricoh",
        "xerox" => "Xerox",
        "kyocera" => "Kyocera",
        "brother" => "Brother",
        "canon" => "Canon",
        "epson" => "Epson",
        "sharp" => "Sharp",
        "toshiba" => "Toshiba",
        "oki" => "OKI",
        "savin" => "Savin",
        "lanier" => "Lanier",
        "gestetner" => "Gestetner",
        "nrg" => "NRG",
        "infotec" => "infotec",
        "develop" => "Develop",
        other => other,
    }
}

/// One input tray.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tray {
    pub name: String,
    /// Sheets it holds when full, when known.
    pub capacity: Option<i64>,
    /// Sheets in it now, when known (not for "some remaining").
    pub sheets: Option<i64>,
    #[serde(rename = "level_percent")]
    pub level: Level,
}

/// One row of the alert table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// `critical`, `warning`, `warningBinaryChangeEvent` or `other`.
    pub severity: String,
    pub group: Option<i64>,
    pub code: Option<i64>,
    pub description: String,
}

/// One of a vendor's named counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    pub name: String,
    pub value: u64,
}

/// The device's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// hrDeviceStatus: `unknown`, `running`, `warning`, `testing`, `down`.
    pub device: String,
    /// hrPrinterStatus: `other`, `unknown`, `idle`, `printing`, `warmup`.
    pub printer: String,
    /// The hrPrinterDetectedErrorState bits that are set, as keywords.
    pub errors: Vec<String>,
}

/// What one printer says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterReport {
    /// The vendor's keyword (or the OEM brand's), `unknown` when the
    /// enterprise is not one the scout knows.
    pub vendor: String,
    pub enterprise: Option<u32>,
    pub model: String,
    pub serial: Option<String>,
    pub mac: Option<String>,
    pub firmware: Option<String>,
    pub location: Option<String>,
    pub name: Option<String>,
    pub asset: Option<String>,
    pub description: String,
    #[serde(rename = "colour")]
    pub colour: bool,
    /// prtMarkerLifeCount summed over the printer's markers.
    pub page_count: Option<u64>,
    /// The vendor's own counters, where the scout knows its MIB
    /// (`total`, `mono`, `colour`, `duplex`).
    pub counters: Vec<Counter>,
    pub status: Status,
    pub supplies: Vec<Supply>,
    pub trays: Vec<Tray>,
    pub alerts: Vec<Alert>,
    pub display: Vec<String>,
}

/// hrPrinterDetectedErrorState's bits, in order (RFC 2790, with RFC 3805's additions).
pub const ERROR_BITS: &[&str] = &[
    "lowPaper",
    "noPaper",
    "lowToner",
    "noToner",
    "doorOpen",
    "jammed",
    "offline",
    "serviceRequested",
    "inputTrayMissing",
    "outputTrayMissing",
    "markerSupplyMissing",
    "outputNearFull",
    "outputFull",
    "inputTrayEmpty",
    "overduePreventMaint",
];

/// The keywords of the bits set in an hrPrinterDetectedErrorState value.
pub fn error_bits(octets: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for (bit, name) in ERROR_BITS.iter().enumerate() {
        let byte = octets.get(bit / 8).copied().unwrap_or(0);
        if byte & (0x80 >> (bit % 8)) != 0 {
            out.push((*name).to_owned());
        }
    }
    out
}

/// PrtMarkerSuppliesTypeTC (RFC 3805) as a keyword.
pub fn supply_kind(t: i64) -> &'static str {
    const KINDS: &[&str] = &[
        "other",
        "unknown",
        "toner",
        "wasteToner",
        "ink",
        "inkCartridge",
        "inkRibbon",
        "wasteInk",
        "opc",
        "developer",
        "fuserOil",
        "solidWax",
        "ribbonWax",
        "wasteWax",
        "fuser",
        "coronaWire",
        "fuserOilWick",
        "cleanerUnit",
        "fuserCleaningPad",
        "transferUnit",
        "tonerCartridge",
        "fuserOiler",
        "water",
        "wasteWater",
        "glueWaterAdditive",
        "wastePaper",
        "bindingSupply",
        "bandingSupply",
        "stitchingWire",
        "shrinkWrap",
        "paperWrap",
        "staples",
        "inserts",
        "covers",
    ];
    usize::try_from(t - 1).ok().and_then(|i| KINDS.get(i)).copied().unwrap_or("other")
}

/// A string value: printable, trimmed, cut to [`MAX_TEXT`] characters.
fn text(v: Option<&Value>) -> Option<String> {
    let b = v?.as_octets()?;
    let s: String =
        String::from_utf8_lossy(b).chars().map(|c| if c.is_control() { ' ' } else { c }).take(MAX_TEXT).collect();
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// An HP PML string: a type octet (0x01, string), a symbol-set octet, then
/// the text.
fn pml_string(v: Option<&Value>) -> Option<String> {
    let b = v?.as_octets()?;
    match b {
        [0x01, _, rest @ ..] => text(Some(&Value::Octets(rest.to_vec()))),
        _ => text(v),
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    v?.as_i64()
}

/// The enterprise number sysObjectID names.
fn enterprise(w: &Walk) -> Option<u32> {
    let oid = w.get(system::SYS_OBJECT_ID)?.as_oid()?;
    if oid.starts_with(ENTERPRISES) { oid.arcs().get(ENTERPRISES.len()).copied() } else { None }
}

/// The part of a description after its maker's name.
fn without_maker<'a>(s: &'a str, names: &[&str]) -> &'a str {
    for n in names {
        if s.len() > n.len() && s.is_char_boundary(n.len()) && s[..n.len()].eq_ignore_ascii_case(n) {
            return s[n.len()..].trim_start();
        }
    }
    s
}

/// `KEY:value` from a comma- or semicolon-separated description (HP puts
/// `PID:` and `SN:` in sysDescr, IEEE 1284 device ids `MDL:`).
fn field(descr: &str, key: &str) -> Option<String> {
    descr
        .split([',', ';'])
        .map(str::trim)
        .find_map(|part| part.strip_prefix(key))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Rows of a Printer-MIB column for one hrDeviceIndex: (row index, value).
fn rows<'a>(w: &'a Walk, column: &'a [u32], device: u32) -> impl Iterator<Item = (u32, &'a Value)> + 'a {
    w.under(column)
        .filter(move |(idx, _)| idx.len() == 2 && idx[0] == device)
        .map(|(idx, v)| (idx[1], v))
        .take(MAX_ROWS)
}

fn cell<'a>(w: &'a Walk, column: &[u32], device: u32, row: u32) -> Option<&'a Value> {
    let mut oid = column.to_vec();
    oid.extend([device, row]);
    w.get(&oid)
}

/// The walk's hrDeviceIndex of its printer: the first hrDevicePrinter row,
/// else the first index the Printer MIB uses, else 1.
fn printer_index(w: &Walk) -> (u32, bool) {
    let typed = w
        .under(host::HR_DEVICE_TYPE)
        .find(|(_, v)| v.as_oid().is_some_and(|o| o.arcs() == host::HR_DEVICE_PRINTER))
        .and_then(|(idx, _)| idx.first().copied());
    if let Some(i) = typed {
        return (i, true);
    }
    let from_mib = w.under(printer::PRT_MARKER_SUPPLIES_DESCRIPTION).next().and_then(|(idx, _)| idx.first().copied());
    (from_mib.unwrap_or(1), false)
}

impl PrinterReport {
    /// Read a walk as a printer. `None` when the agent is no printer: no
    /// Printer MIB, no hrDevicePrinter, and no sysObjectID of a maker of
    /// printers only.
    pub fn from_walk(w: &Walk) -> Option<PrinterReport> {
        let ent = enterprise(w);
        let maker = ent.and_then(|e| MAKERS.iter().find(|m| m.enterprise == e));
        let (dev, typed) = printer_index(w);
        let is_printer = typed || w.has_under(printer::PRINTER_MIB) || maker.is_some_and(|m| m.printers_only);
        if !is_printer {
            return None;
        }
        let sys_descr = text(w.get(system::SYS_DESCR)).unwrap_or_default();
        let hr_descr = text(w.get(&[host::HR_DEVICE_DESCR, &[dev]].concat()));
        let names: &[&str] = maker.map_or(&[], |m| m.names);
        // The brand: an OEM's name at the start of a description, else the maker's.
        let brand = ent.and_then(|e| {
            OEM_BRANDS.iter().find(|(pe, _, prefix)| {
                *pe == e
                    && [hr_descr.as_deref().unwrap_or(""), sys_descr.as_str()].iter().any(|d| d.starts_with(prefix))
            })
        });
        let vendor = match (brand, maker) {
            (Some((_, kw, _)), _) => (*kw).to_owned(),
            (None, Some(m)) => m.keyword.to_owned(),
            (None, None) => "unknown".to_owned(),
        };
        let brand_names: Vec<&str> = brand.map(|(_, _, p)| *p).into_iter().chain(names.iter().copied()).collect();
        let model = model(&sys_descr, hr_descr.as_deref(), &brand_names, maker.map(|m| m.keyword));
        let serial = text(w.get(&[printer::PRT_GENERAL_SERIAL_NUMBER, &[dev]].concat()))
            .or_else(|| field(&sys_descr, "SN:"))
            .or_else(|| if ent == Some(11) { pml_string(w.get(hp::SERIAL_NUMBER)) } else { None })
            .or_else(|| w.under(entity::ENT_PHYSICAL_SERIAL_NUM).find_map(|(_, v)| text(Some(v))));
        let asset = w.under(entity::ENT_PHYSICAL_ASSET_ID).find_map(|(_, v)| text(Some(v)));
        let supplies = supplies(w, dev);
        let colorants: Vec<String> = rows(w, printer::PRT_MARKER_COLORANT_VALUE, dev)
            .filter_map(|(_, v)| text(Some(v)))
            .map(|s| s.to_lowercase())
            .collect();
        let process = rows(w, printer::PRT_MARKER_PROCESS_COLORANTS, dev).filter_map(|(_, v)| v.as_i64()).max();
        let colour_word = |s: &str| {
            let s = s.to_lowercase();
            ["cyan", "magenta", "yellow"].iter().any(|c| s.contains(c))
        };
        let colour = process.is_some_and(|p| p > 1)
            || colorants.iter().any(|c| colour_word(c))
            || supplies.iter().any(|s| colour_word(&s.description));
        let counts: Vec<u64> = rows(w, printer::PRT_MARKER_LIFE_COUNT, dev)
            .filter_map(|(_, v)| v.as_i64())
            .filter_map(|c| u64::try_from(c).ok())
            .collect();
        let page_count = (!counts.is_empty()).then(|| counts.iter().fold(0u64, |a, c| a.saturating_add(*c)));
        Some(PrinterReport {
            vendor,
            enterprise: ent,
            model,
            serial,
            mac: mac(w),
            firmware: firmware(&sys_descr, maker.map(|m| m.keyword)),
            location: text(w.get(system::SYS_LOCATION)),
            name: text(w.get(system::SYS_NAME)),
            asset,
            description: sys_descr,
            colour,
            page_count,
            counters: counters(w, ent),
            status: status(w, dev),
            supplies,
            trays: trays(w, dev),
            alerts: alerts(w, dev),
            display: rows(w, printer::PRT_CONSOLE_DISPLAY_BUFFER_TEXT, dev)
                .filter_map(|(_, v)| text(Some(v)))
                .collect(),
        })
    }
}

/// The model: hrDeviceDescr, else sysDescr (before HP's and Xerox's
/// trailing details), without the maker's name.
fn model(sys_descr: &str, hr_descr: Option<&str>, names: &[&str], maker: Option<&str>) -> String {
    let from_sys = || -> String {
        if let Some(pid) = field(sys_descr, "PID:") {
            return pid;
        }
        if let Some(mdl) = field(sys_descr, "MDL:") {
            return mdl;
        }
        let head = sys_descr.split(';').next().unwrap_or(sys_descr);
        let head = match maker {
            // "Lexmark T640 version NS.NP.N219 ..."; "RICOH Aficio MP C3002 2.20 / ...".
            Some("lexmark") => head.split(" version ").next().unwrap_or(head),
            Some("ricoh") => head.split(" / ").next().map_or(head, |h| h.rsplit_once(' ').map_or(h, |(m, _)| m)),
            _ => head,
        };
        head.to_owned()
    };
    let raw = hr_descr.map_or_else(from_sys, str::to_owned);
    without_maker(&raw, names).chars().take(MAX_TEXT).collect()
}

/// Firmware, where the vendor's sysDescr says it.
fn firmware(sys_descr: &str, maker: Option<&str>) -> Option<String> {
    match maker {
        Some("lexmark") => {
            sys_descr.split(" version ").nth(1).and_then(|r| r.split_whitespace().next()).map(str::to_owned)
        }
        Some("ricoh") => {
            let head = sys_descr.split(" / ").next()?;
            let last = head.rsplit(' ').next()?;
            last.chars().next().filter(char::is_ascii_digit).map(|_| last.to_owned())
        }
        Some("xerox") => field(sys_descr, "SS "),
        Some("hp") => field(sys_descr, "FW:").or_else(|| field(sys_descr, "EEPROM ")),
        _ => None,
    }
}

/// The first Ethernet interface's MAC address, as aa:bb:cc:dd:ee:ff.
fn mac(w: &Walk) -> Option<String> {
    let mut candidates: Vec<(bool, Vec<u8>)> = w
        .under(interfaces::IF_PHYS_ADDRESS)
        .take(MAX_ROWS)
        .filter_map(|(idx, v)| {
            let b = v.as_octets()?;
            if b.len() != 6 || b.iter().all(|x| *x == 0) {
                return None;
            }
            let ether = w.get(&[interfaces::IF_TYPE, idx].concat()).and_then(Value::as_i64)
                == Some(interfaces::ETHERNET_CSMACD);
            Some((!ether, b.to_vec()))
        })
        .collect();
    candidates.sort_by_key(|(not_ether, _)| *not_ether);
    candidates.first().map(|(_, b)| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":"))
}

fn counters(w: &Walk, ent: Option<u32>) -> Vec<Counter> {
    match ent {
        Some(11) => hp::COUNTER_NAMES
            .iter()
            .filter_map(|(arc, name)| {
                let v = w.get(&[hp::COUNTERS, &[*arc, 0]].concat())?.as_i64()?;
                Some(Counter { name: (*name).to_owned(), value: u64::try_from(v).ok()? })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn status(w: &Walk, dev: u32) -> Status {
    let device = match int(w.get(&[host::HR_DEVICE_STATUS, &[dev]].concat())) {
        Some(2) => "running",
        Some(3) => "warning",
        Some(4) => "testing",
        Some(5) => "down",
        _ => "unknown",
    };
    let printer = match int(w.get(&[host::HR_PRINTER_STATUS, &[dev]].concat())) {
        Some(1) => "other",
        Some(3) => "idle",
        Some(4) => "printing",
        Some(5) => "warmup",
        _ => "unknown",
    };
    let errors = w
        .get(&[host::HR_PRINTER_DETECTED_ERROR_STATE, &[dev]].concat())
        .and_then(Value::as_octets)
        .map(error_bits)
        .unwrap_or_default();
    Status { device: device.to_owned(), printer: printer.to_owned(), errors }
}

fn supplies(w: &Walk, dev: u32) -> Vec<Supply> {
    rows(w, printer::PRT_MARKER_SUPPLIES_DESCRIPTION, dev)
        .map(|(row, v)| {
            let get = |col: &[u32]| int(cell(w, col, dev, row));
            Supply {
                description: text(Some(v)).unwrap_or_else(|| format!("Supply {row}")),
                kind: get(printer::PRT_MARKER_SUPPLIES_TYPE).map_or("unknown", supply_kind).to_owned(),
                receptacle: get(printer::PRT_MARKER_SUPPLIES_CLASS) == Some(4),
                level: Level::of(
                    get(printer::PRT_MARKER_SUPPLIES_LEVEL),
                    get(printer::PRT_MARKER_SUPPLIES_MAX_CAPACITY),
                ),
            }
        })
        .collect()
}

fn trays(w: &Walk, dev: u32) -> Vec<Tray> {
    let mut idx: Vec<u32> = rows(w, printer::PRT_INPUT_MAX_CAPACITY, dev)
        .map(|(r, _)| r)
        .chain(rows(w, printer::PRT_INPUT_NAME, dev).map(|(r, _)| r))
        .collect();
    idx.sort_unstable();
    idx.dedup();
    idx.truncate(MAX_ROWS);
    idx.into_iter()
        .map(|row| {
            let capacity = int(cell(w, printer::PRT_INPUT_MAX_CAPACITY, dev, row)).filter(|c| *c > 0);
            let current = int(cell(w, printer::PRT_INPUT_CURRENT_LEVEL, dev, row));
            Tray {
                name: text(cell(w, printer::PRT_INPUT_NAME, dev, row))
                    .or_else(|| text(cell(w, printer::PRT_INPUT_DESCRIPTION, dev, row)))
                    .unwrap_or_else(|| format!("Tray {row}")),
                capacity,
                sheets: current.filter(|c| *c >= 0),
                level: Level::of(current, capacity),
            }
        })
        .collect()
}

fn alerts(w: &Walk, dev: u32) -> Vec<Alert> {
    rows(w, printer::PRT_ALERT_SEVERITY_LEVEL, dev)
        .map(|(row, v)| Alert {
            severity: match v.as_i64() {
                Some(3) => "critical",
                Some(4) => "warning",
                Some(5) => "warningBinaryChangeEvent",
                _ => "other",
            }
            .to_owned(),
            group: int(cell(w, printer::PRT_ALERT_GROUP, dev, row)),
            code: int(cell(w, printer::PRT_ALERT_CODE, dev, row)),
            description: text(cell(w, printer::PRT_ALERT_DESCRIPTION, dev, row)).unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests;

/// The reports of the recordings, for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::PrinterReport;
    use crate::scout::walk::Walk;

    pub(crate) fn recording_report(name: &str) -> PrinterReport {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/snmp").join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let walk = Walk::from_snmprec(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        PrinterReport::from_walk(&walk).unwrap_or_else(|| panic!("{name} is a printer"))
    }
}
