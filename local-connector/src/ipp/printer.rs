//! The queue's printer description: what Get-Printer-Attributes reports
//! (RFC 8011 §5.4, PWG 5100.14 IPP Everywhere). Pullprint is a release queue,
//! not a device, so it describes the union of what release printers take,
//! and reports its real state: accepting jobs, and how full its store is.

use super::codec::{Attrs, collection, kw};
use ipp::prelude::*;
use std::collections::HashSet;

/// Document formats accepted (IPP `document-format-supported`).
pub const FORMATS: &[&str] = &[
    "application/pdf",
    "application/postscript",
    "application/vnd.hp-pcl",
    "image/pwg-raster",
    "image/urf",
    "image/jpeg",
    "application/octet-stream",
];

/// Operations supported (IPP `operations-supported`).
pub const OPERATIONS: &[i32] = &[0x02, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0a, 0x0b, 0x39, 0x3b, 0x3c];

/// PWG self-describing media names offered (`media-supported`), with size in hundredths of mm.
pub const MEDIA: &[(&str, i32, i32)] = &[
    ("iso_a4_210x297mm", 21000, 29700),
    ("na_letter_8.5x11in", 21590, 27940),
    ("iso_a3_297x420mm", 29700, 42000),
    ("iso_a5_148x210mm", 14800, 21000),
    ("na_legal_8.5x14in", 21590, 35560),
    ("na_index-4x6_4x6in", 10160, 15240),
];

/// Raster resolutions offered for PWG raster and URF.
pub const RESOLUTIONS: &[i32] = &[300, 600];
/// PWG raster colour spaces and depths offered.
pub const RASTER_TYPES: &[&str] = &["black_1", "sgray_8", "srgb_8"];
/// `sides-supported`.
pub const SIDES: &[&str] = &["one-sided", "two-sided-long-edge", "two-sided-short-edge"];
/// `print-color-mode-supported`.
pub const COLOR_MODES: &[&str] = &["auto", "color", "monochrome"];
/// Job template attributes a job may carry (`job-creation-attributes-supported`).
pub const JOB_CREATION: &[&str] = &[
    "copies",
    "finishings",
    "media",
    "media-col",
    "orientation-requested",
    "output-bin",
    "page-ranges",
    "print-color-mode",
    "print-content-optimize",
    "print-quality",
    "print-rendering-intent",
    "print-scaling",
    "printer-resolution",
    "sides",
];

/// Facts about this queue that vary by site and over time.
#[derive(Debug, Clone)]
pub struct PrinterFacts {
    /// `printer-name`
    pub name: String,
    /// `printer-uri-supported`: one ipps URI per configured host name or address.
    pub uris: Vec<String>,
    /// `printer-uuid` (urn:uuid:…), stable for the site.
    pub uuid: String,
    /// The console's URL (`printer-more-info`, `printer-supply-info-uri`).
    pub more_info: String,
    /// `printer-location`
    pub location: String,
    /// `printer-organization`
    pub organization: String,
    /// Seconds since the queue started (`printer-up-time`, at least 1).
    pub up_time: i32,
    /// Unix time the queue started (state and configuration change times).
    pub started_unix: u64,
    /// Jobs parked (`queued-job-count`).
    pub queued: i32,
    /// Free store capacity, percent (reported as the queue's one "supply").
    pub capacity_percent: i32,
    /// `printer-is-accepting-jobs`
    pub accepting: bool,
}

/// What a Get-Printer-Attributes asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    all: bool,
    names: HashSet<String>,
}

impl Requested {
    /// From `requested-attributes` (absent means all).
    pub fn new(values: Option<Vec<String>>) -> Requested {
        match values {
            None => Requested { all: true, names: HashSet::new() },
            Some(v) => {
                let all = v.iter().any(|n| matches!(n.as_str(), "all" | "printer-description" | "job-template"));
                Requested { all, names: v.into_iter().collect() }
            }
        }
    }

    /// Should attribute `name` be returned?
    pub fn wants(&self, name: &str) -> bool {
        if name == "media-col-database" {
            // Large; only when asked for by name (PWG 5100.7).
            return self.names.contains(name);
        }
        self.all || self.names.contains(name)
    }
}

fn media_col(x: i32, y: i32, margins: bool) -> IppValue {
    let size = collection(vec![("x-dimension", IppValue::Integer(x)), ("y-dimension", IppValue::Integer(y))]);
    let mut members = vec![("media-size", size)];
    if margins {
        let m = 423;
        members.extend([
            ("media-bottom-margin", IppValue::Integer(m)),
            ("media-left-margin", IppValue::Integer(m)),
            ("media-right-margin", IppValue::Integer(m)),
            ("media-top-margin", IppValue::Integer(m)),
            ("media-source", kw("auto")),
            ("media-type", kw("stationery")),
        ]);
    }
    collection(members)
}

/// Build the printer attributes that `req` asks for.
pub fn attributes(f: &PrinterFacts, req: &Requested) -> Vec<IppAttribute> {
    let mut a = Attrs::default();
    let auth: Vec<&str> = f.uris.iter().map(|_| "basic").collect();
    let sec: Vec<&str> = f.uris.iter().map(|_| "tls").collect();
    let uris: Vec<&str> = f.uris.iter().map(String::as_str).collect();
    let media_names: Vec<&str> = MEDIA.iter().map(|m| m.0).collect();
    let device_id = "MFG:Pullprint;MDL:Secure Release Queue;CMD:PDF,PS,PCL,PWGRaster,URF,JPEG;CLS:PRINTER;";
    let supply = format!(
        "index=1;class=receptacleThatIsFilled;type=other;unit=percent;maxcapacity=100;level={};colorantname=unknown;",
        f.capacity_percent.clamp(0, 100)
    );
    let base = f.started_unix;

    a.charsets("charset-configured", &["utf-8"]);
    a.charsets("charset-supported", &["utf-8", "us-ascii"]);
    a.boolean("color-supported", true);
    a.keywords("compression-supported", &["deflate", "gzip", "none"]);
    a.integer("copies-default", 1);
    a.range("copies-supported", 1, 999);
    a.mime("document-format-default", "application/octet-stream");
    a.mimes("document-format-supported", FORMATS);
    a.enums("finishings-default", &[3]);
    a.enums("finishings-supported", &[3]);
    a.languages("generated-natural-language-supported", &["en"]);
    a.keyword("identify-actions-default", "display");
    a.keywords("identify-actions-supported", &["display"]);
    a.keywords("ipp-features-supported", &["ipp-everywhere"]);
    a.keywords("ipp-versions-supported", &["1.0", "1.1", "2.0"]);
    a.keywords("job-creation-attributes-supported", JOB_CREATION);
    a.boolean("job-ids-supported", true);
    a.range("job-k-octets-supported", 0, i32::MAX);
    a.keyword("media-default", "iso_a4_210x297mm");
    a.keywords("media-supported", &media_names);
    a.keywords("media-ready", &["iso_a4_210x297mm", "na_letter_8.5x11in"]);
    a.collections("media-col-database", MEDIA.iter().map(|m| media_col(m.1, m.2, true)).collect());
    a.put("media-col-default", media_col(21000, 29700, true));
    a.collections("media-col-ready", vec![media_col(21000, 29700, true), media_col(21590, 27940, true)]);
    a.keywords(
        "media-col-supported",
        &[
            "media-size",
            "media-bottom-margin",
            "media-left-margin",
            "media-right-margin",
            "media-top-margin",
            "media-source",
            "media-type",
        ],
    );
    a.collections(
        "media-size-supported",
        MEDIA
            .iter()
            .map(|m| media_col(m.1, m.2, false))
            .map(|c| {
                // media-size-supported members are the bare size collection.
                match c {
                    IppValue::Collection(mut m) => m.remove("media-size").unwrap_or(IppValue::NoValue),
                    other => other,
                }
            })
            .collect(),
    );
    for side in ["bottom", "left", "right", "top"] {
        a.integers(&format!("media-{side}-margin-supported"), &[0, 423]);
    }
    a.keywords("media-source-supported", &["auto"]);
    a.keywords("media-type-supported", &["stationery"]);
    a.boolean("multiple-document-jobs-supported", false);
    a.integer("multiple-operation-time-out", 60);
    a.keyword("multiple-operation-time-out-action", "abort-job");
    a.languages("natural-language-configured", &["en"]);
    a.enumeration("orientation-requested-default", 3);
    a.enums("orientation-requested-supported", &[3, 4, 5, 6]);
    a.keyword("output-bin-default", "face-down");
    a.keywords("output-bin-supported", &["face-down"]);
    a.enums("operations-supported", OPERATIONS);
    a.keywords("overrides-supported", &["document-number", "pages"]);
    a.boolean("page-ranges-supported", true);
    a.integer("pages-per-minute", 30);
    a.integer("pages-per-minute-color", 30);
    a.keyword("pdl-override-supported", "attempted");
    a.boolean("preferred-attributes-supported", false);
    a.keyword("print-color-mode-default", "auto");
    a.keywords("print-color-mode-supported", COLOR_MODES);
    a.keyword("print-content-optimize-default", "auto");
    a.keywords("print-content-optimize-supported", &["auto", "graphic", "photo", "text", "text-and-graphic"]);
    a.enumeration("print-quality-default", 4);
    a.enums("print-quality-supported", &[3, 4, 5]);
    a.keyword("print-rendering-intent-default", "auto");
    a.keywords("print-rendering-intent-supported", &["auto", "perceptual", "relative"]);
    a.date_time("printer-config-change-date-time", base);
    a.integer("printer-config-change-time", 1);
    a.date_time("printer-current-time", base + u64::try_from(f.up_time).unwrap_or(0));
    a.text("printer-device-id", device_id);
    a.unknown("printer-geo-location");
    a.keywords("printer-get-attributes-supported", &["document-format"]);
    a.uris("printer-icons", &[&format!("{}/icons/printer.png", f.more_info.trim_end_matches('/'))]);
    a.text("printer-info", "Pullprint secure release queue: jobs print at the printer you sign in to");
    a.boolean("printer-is-accepting-jobs", f.accepting);
    a.keywords("printer-kind", &["document"]);
    a.text("printer-location", &f.location);
    a.text("printer-make-and-model", "Pullprint Secure Release Queue");
    a.uri("printer-more-info", &f.more_info);
    a.name("printer-name", &f.name);
    a.text("printer-organization", &f.organization);
    a.text("printer-organizational-unit", "");
    a.resolutions("printer-resolution-default", &[600]);
    a.resolutions("printer-resolution-supported", RESOLUTIONS);
    a.date_time("printer-state-change-date-time", base);
    a.integer("printer-state-change-time", 1);
    a.enumeration("printer-state", 3);
    a.keywords("printer-state-reasons", &["none"]);
    a.text(
        "printer-state-message",
        if f.accepting { "Ready: jobs are held until released at a printer" } else { "Not accepting jobs" },
    );
    a.octets("printer-supply", &[supply.as_bytes()]);
    a.texts("printer-supply-description", &["Secure job store (free capacity)"]);
    a.uri("printer-supply-info-uri", &f.more_info);
    a.integer("printer-up-time", f.up_time.max(1));
    a.uris("printer-uri-supported", &uris);
    a.uri("printer-uuid", &f.uuid);
    a.resolutions("pwg-raster-document-resolution-supported", RESOLUTIONS);
    a.keyword("pwg-raster-document-sheet-back", "normal");
    a.keywords("pwg-raster-document-type-supported", RASTER_TYPES);
    a.integer("queued-job-count", f.queued);
    a.keyword("sides-default", "one-sided");
    a.keywords("sides-supported", SIDES);
    a.keywords("uri-authentication-supported", &auth);
    a.keywords("uri-security-supported", &sec);
    a.keywords("urf-supported", &["V1.4", "CP1", "W8", "SRGB24", "RS300-600", "DM1", "IS1"]);
    a.keywords("which-jobs-supported", &["completed", "not-completed", "all"]);
    a.0.into_iter().filter(|attr| req.wants(attr.name())).collect()
}
