//! The codec against itself, against hostile bytes, and against messages
//! captured from real peers (`testdata/`).

use super::*;

fn read(bytes: &[u8]) -> Message {
    match scan(bytes) {
        Ok(Scan::Complete(f)) => Message::read(&f, bytes).expect("readable"),
        other => panic!("not a complete message: {other:?}"),
    }
}

/// A Get-Printer-Attributes answer as a printer sends it, with a collection
/// and a text-with-language value among what is read.
fn answer() -> Vec<u8> {
    let mut w = Writer::response(0x0200, 0x0001, 7);
    w.text("status-message", "successful-ok-ignored-or-substituted-attributes");
    w.group(group::PRINTER);
    w.mime("document-format-supported", "application/pdf");
    w.raw(0x49, "", b"image/pwg-raster");
    w.integer("printer-state", 3);
    w.boolean("color-supported", true);
    w.raw(0x34, "media-col-default", b"");
    w.raw(0x4a, "", b"media-size");
    w.raw(0x34, "", b"");
    w.raw(0x4a, "", b"x-dimension");
    w.raw(0x21, "", &21000i32.to_be_bytes());
    w.raw(0x37, "", b"");
    w.raw(0x37, "", b"");
    let mut with_lang = vec![0, 2, b'e', b'n', 0, 4];
    with_lang.extend_from_slice(b"Idle");
    w.raw(0x35, "printer-state-message", &with_lang);
    w.keywords("printer-state-reasons", &["none"]);
    w.finish()
}

#[test]
fn a_printer_answer_is_read_with_its_collections_kept_whole() {
    let resp = read(&answer());
    assert_eq!((resp.code(), resp.header.request_id), (1, 7));
    assert!(resp.is_success());
    let p = resp.printer().expect("printer group");
    assert_eq!(p.strings("document-format-supported"), ["application/pdf", "image/pwg-raster"]);
    assert_eq!(p.integer("printer-state"), Some(3));
    assert_eq!(p.boolean("color-supported"), Some(true));
    assert_eq!(p.string("printer-state-message").as_deref(), Some("Idle"));
    assert_eq!(p.strings("printer-state-reasons"), ["none"]);
    assert!(p.integer("x-dimension").is_none(), "collection members are not attributes");
    assert!(matches!(p.get("media-col-default"), Some(ipp::prelude::IppValue::Collection(_))));
    assert_eq!(resp.message().as_deref(), Some("successful-ok-ignored-or-substituted-attributes"));
}

#[test]
fn requests_are_framed_as_the_strict_scanner_expects_and_read_back() {
    let long = "é".repeat(400);
    let mut w = Writer::request(Operation::PrintJob as u16, 1, "ipps://printer:631/ipp/print");
    w.name("requesting-user-name", "alice").name("job-name", &long).mime("document-format", "application/pdf");
    w.job_group().integer("copies", 2).keywords("sides", &["two-sided-long-edge"]);
    let bytes = w.finish();
    let Ok(Scan::Complete(f)) = scan(&bytes) else { panic!("complete") };
    assert_eq!(f.data_at(), bytes.len());
    let back = read(&bytes);
    assert_eq!(back.code(), Operation::PrintJob as u16);
    let o = back.operation().expect("op");
    let first: Vec<&str> = o.attributes.iter().take(3).map(|a| a.name().as_str()).collect();
    assert_eq!(first, ["attributes-charset", "attributes-natural-language", "printer-uri"], "RFC 8011 §4.1.4 order");
    let name = o.string("job-name").expect("job-name");
    assert!(name.len() <= 255 && long.starts_with(&name), "names are cut on a character boundary");
    assert_eq!(back.jobs().next().and_then(|j| j.integer("copies")), Some(2));
    assert_eq!(back.jobs().next().map(|j| j.strings("sides")), Some(vec!["two-sided-long-edge".to_owned()]));
}

#[test]
fn answers_echo_the_version_and_put_charset_and_language_first() {
    let bytes = Writer::response(0x0101, status::NOT_POSSIBLE, 9).text("status-message", "no").finish();
    let m = read(&bytes);
    assert_eq!((m.header.version, m.code(), m.header.request_id), (0x0101, status::NOT_POSSIBLE, 9));
    assert!(!m.is_success());
    let names: Vec<&str> = m.groups[0].attributes.iter().map(|a| a.name().as_str()).collect();
    assert_eq!(names, ["attributes-charset", "attributes-natural-language", "status-message"]);
    let odd = Writer::response(0x0900, status::BAD_REQUEST, 1).finish();
    assert_eq!(read(&odd).header.version, 0x0101, "an unknown version is answered as 1.1");
}

#[test]
fn several_job_groups_stay_apart_in_order() {
    let mut w = Writer::response(0x0200, status::OK, 3);
    for id in [5, 6, 7] {
        w.job_group().integer("job-id", id).keyword("job-state-reasons", "none");
    }
    let m = read(&w.finish());
    let ids: Vec<i32> = m.jobs().filter_map(|j| j.integer("job-id")).collect();
    assert_eq!(ids, [5, 6, 7]);
}

/// Random mutations of valid messages, the ones that pass the framing scan
/// included, never make reading panic.
#[test]
fn hostile_messages_never_panic_the_reader() {
    let seeds = [answer(), PRINT_JOB_FROM_IPPTOOL.to_vec(), ATTRIBUTES_FROM_IPPEVEPRINTER.to_vec()];
    let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15u64);
    let mut framed = 0;
    for round in 0..20_000 {
        let mut m = seeds[round % seeds.len()].clone();
        for _ in 0..(next() % 2 + 1) {
            let i = usize::try_from(next() % m.len() as u64).unwrap_or(0);
            match next() % 3 {
                0 => m[i] = u8::try_from(next() & 0xff).unwrap_or(0),
                1 => m.truncate(i),
                _ => m.insert(i, u8::try_from(next() & 0xff).unwrap_or(0)),
            }
            if m.is_empty() {
                break;
            }
        }
        if let Ok(Scan::Complete(f)) = scan(&m) {
            framed += 1;
            let _ = Message::read(&f, &m);
        }
    }
    assert!(framed > 1000, "the mutations reach the reader often enough to mean something ({framed})");
    let good = answer();
    assert_eq!(scan(&good[..good.len() - 1]), Ok(Scan::NeedMore));
}

/// A Print-Job request as ipptool 2.4 sends it (`print-job.test` with a
/// one-page PDF, attributes only).
pub(crate) const PRINT_JOB_FROM_IPPTOOL: &[u8] = include_bytes!("testdata/print-job-ipptool.bin");
/// The Create-Job that CUPS 2.4's ipp backend sends when `lp` prints a PDF
/// through cupsd to an IPP Everywhere queue.
pub(crate) const CREATE_JOB_FROM_CUPS: &[u8] = include_bytes!("testdata/create-job-cups.bin");
/// The Send-Document that follows it (`job-id` 10, attributes only).
pub(crate) const SEND_DOCUMENT_FROM_CUPS: &[u8] = include_bytes!("testdata/send-document-cups.bin");
/// The Print-Job CUPS sends in its IPP/1.0 compatibility mode
/// (`?version=1.0`): `document-format` comes twice, as two attributes.
pub(crate) const PRINT_JOB_FROM_CUPS_IPP10: &[u8] = include_bytes!("testdata/print-job-cups-ipp10.bin");
/// ippeveprinter's answer to Get-Printer-Attributes (all).
const ATTRIBUTES_FROM_IPPEVEPRINTER: &[u8] = include_bytes!("testdata/get-printer-attributes-ippeveprinter.bin");
/// ippeveprinter's answer to Get-Job-Attributes of a completed job.
const JOB_FROM_IPPEVEPRINTER: &[u8] = include_bytes!("testdata/get-job-attributes-ippeveprinter.bin");

#[test]
fn real_clients_requests_are_read() {
    let cases = [
        ("ipptool Print-Job", PRINT_JOB_FROM_IPPTOOL, Operation::PrintJob as u16),
        ("cups Send-Document", SEND_DOCUMENT_FROM_CUPS, Operation::SendDocument as u16),
        ("cups IPP/1.0 Print-Job", PRINT_JOB_FROM_CUPS_IPP10, Operation::PrintJob as u16),
    ];
    for (who, bytes, code) in cases {
        let m = read(bytes);
        assert_eq!(m.code(), code, "{who}");
        let o = m.operation().expect("operation group");
        assert_eq!(o.attributes[0].name().as_str(), "attributes-charset", "{who}");
        assert!(o.string("printer-uri").is_some_and(|u| u.ends_with("/ipp/print")), "{who}");
        assert_eq!(o.string("requesting-user-name").as_deref(), Some("alice"), "{who}");
        assert_eq!(o.string("document-format").as_deref(), Some("application/pdf"), "{who}: the first one counts");
    }
    assert_eq!(read(PRINT_JOB_FROM_IPPTOOL).jobs().next().and_then(|j| j.integer("copies")), Some(1));
    let create = read(CREATE_JOB_FROM_CUPS);
    assert_eq!(create.code(), Operation::CreateJob as u16);
    assert_eq!(create.operation().and_then(|o| o.string("job-name")).as_deref(), Some("doc.pdf"));
    let job = create.jobs().next().expect("job template attributes");
    assert!(job.get("print-color-mode").is_some() && job.get("multiple-document-handling").is_some());
    assert_eq!(read(SEND_DOCUMENT_FROM_CUPS).operation().and_then(|o| o.boolean("last-document")), Some(true));
    assert_eq!(read(PRINT_JOB_FROM_CUPS_IPP10).header.version, 0x0100);
}

#[test]
fn real_printers_answers_are_read() {
    let m = read(ATTRIBUTES_FROM_IPPEVEPRINTER);
    assert!(m.is_success());
    let p = m.printer().expect("printer attributes");
    assert!(p.strings("document-format-supported").iter().any(|f| f == "application/pdf"));
    assert!(p.strings("ipp-versions-supported").iter().any(|v| v == "2.0"));
    assert!(p.strings("operations-supported").is_empty(), "operations-supported are enums, not strings");
    assert!(p.get("operations-supported").is_some());
    assert!(matches!(p.integer("printer-state"), Some(3..=5)));
    assert!(p.get("media-col-database").is_some(), "collections are read");
    let j = read(JOB_FROM_IPPEVEPRINTER);
    let job = j.jobs().next().expect("job group");
    assert_eq!(job.integer("job-state").and_then(JobState::from_enum), Some(JobState::Completed));
    assert!(job.integer("job-id").is_some_and(|id| id > 0));
}

/// What the queue writes survives a round trip through the codec's reader,
/// for every attribute syntax it uses.
#[test]
fn written_values_of_every_syntax_read_back() {
    let mut a = Attrs::default();
    a.keywords("sides-supported", &["one-sided", "two-sided-long-edge"]);
    a.integers("copies-supported", &[1]);
    a.enums("operations-supported", &[2, 4]);
    a.range("copies-range", 1, 99);
    a.resolutions("printer-resolution-supported", &[300, 600]);
    a.date_time("printer-current-time", 1_700_000_000);
    a.collections("media-col-database", vec![collection(vec![("media-source", kw("auto"))])]);
    a.no_value("printer-alert");
    let mut w = Writer::response(0x0200, status::OK, 1);
    w.group(group::PRINTER).attrs(a);
    let m = read(&w.finish());
    let p = m.printer().expect("printer");
    assert_eq!(p.strings("sides-supported"), ["one-sided", "two-sided-long-edge"]);
    assert_eq!(p.integer("operations-supported"), Some(2));
    for name in ["copies-range", "printer-resolution-supported", "printer-current-time", "media-col-database"] {
        assert!(p.get(name).is_some(), "{name}");
    }
}
