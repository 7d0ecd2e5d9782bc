//! The reader against real printers' recordings (tests/data/snmp, with the
//! values expected.md says a correct reader gets).

use super::*;

fn recording(name: &str) -> Walk {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/snmp").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Walk::from_snmprec(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn report(name: &str) -> PrinterReport {
    PrinterReport::from_walk(&recording(name)).unwrap_or_else(|| panic!("{name} is a printer"))
}

fn levels(r: &PrinterReport) -> Vec<(&str, Level)> {
    r.supplies.iter().map(|s| (s.description.as_str(), s.level)).collect()
}

#[test]
fn konica_minolta_c250i() {
    let r = report("konica_c250i.snmprec");
    assert_eq!((r.vendor.as_str(), r.enterprise), ("km", Some(18334)));
    assert_eq!(r.model, "bizhub C250i");
    assert_eq!(r.serial.as_deref(), Some("AA2M021115700"));
    assert_eq!(r.page_count, Some(33810));
    assert_eq!(r.mac.as_deref(), Some("00:20:6b:4a:f3:25"));
    assert!(r.colour);
    assert_eq!(
        levels(&r),
        vec![
            ("Toner (Cyan)", Level::Percent(76)),
            ("Toner (Magenta)", Level::Percent(78)),
            ("Toner (Yellow)", Level::Percent(77)),
            ("Toner (Black)", Level::Percent(86)),
            ("Waste Toner Box", Level::Some),
        ]
    );
    assert_eq!(r.supplies[4].kind, "wasteToner");
    assert_eq!(r.status.errors, vec!["serviceRequested"]);
}

#[test]
fn ricoh_mp_c3002() {
    let r = report("ricoh_mpc3002.snmprec");
    assert_eq!((r.vendor.as_str(), r.enterprise), ("ricoh", Some(367)));
    assert_eq!(r.model, "Aficio MP C3002");
    assert_eq!(r.serial.as_deref(), Some("W492KB03439"));
    assert_eq!(r.page_count, Some(271871));
    let l = levels(&r);
    for (name, want) in
        [("Black Toner", 40), ("Cyan Toner", 20), ("Magenta Toner", 50), ("Yellow Toner", 50), ("Waste Toner", 100)]
    {
        assert!(l.contains(&(name, Level::Percent(want))), "{name} {want} in {l:?}");
    }
    let trays: Vec<(&str, Option<i64>, Option<i64>)> =
        r.trays.iter().map(|t| (t.name.as_str(), t.capacity, t.sheets)).collect();
    assert_eq!(trays[0], ("Tray 1", Some(550), Some(55)));
    assert_eq!(trays[4], ("Bypass Tray", Some(100), Some(0)));
    assert!(r.colour);
}

#[test]
fn hp_laserjet_mfp_m130nw() {
    let r = report("jetdirect_m130nw.snmprec");
    assert_eq!((r.vendor.as_str(), r.enterprise), ("hp", Some(11)));
    assert!(r.model.contains("LaserJet MFP M130nw"), "{}", r.model);
    assert_eq!(r.serial.as_deref(), Some("VNCRC48198"));
    assert_eq!(r.page_count, Some(15232));
    assert_eq!(
        levels(&r),
        vec![("Black Cartridge HP CF217A", Level::Percent(28)), ("Imaging Drum HP CF219A", Level::Percent(71))]
    );
    assert!(!r.colour, "a mono printer");
    assert_eq!(r.trays[0].level, Level::Some, "tray level -3 is some remaining");
    let counters: Vec<(&str, u64)> = r.counters.iter().map(|c| (c.name.as_str(), c.value)).collect();
    assert_eq!(counters, vec![("total", 15232), ("mono", 15232), ("duplex", 0)], "HP's PML counters");
}

#[test]
fn hp_serial_from_its_own_mib_when_the_printer_mib_has_none() {
    let mut w = recording("jetdirect_m130nw.snmprec");
    w.insert(crate::scout::walk::Oid::new(&[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17, 1]), Value::Null);
    let r = PrinterReport::from_walk(&w).expect("a printer");
    assert_eq!(r.serial.as_deref(), Some("VNCRC48198"), "from HP's PML serial-number, its header stripped");
}

#[test]
fn hp_color_laserjet_m452nw() {
    let r = report("jetdirect.snmprec");
    assert_eq!(r.vendor, "hp");
    // No Printer-MIB serial: sysDescr's SN: field is used (the recorder
    // replaced the real one with this stand-in).
    assert_eq!(r.serial.as_deref(), Some("AAA0A00000"));
    assert!(r.model.contains("Color LaserJet M452nw"), "{}", r.model);
    let l: Vec<u8> = r
        .supplies
        .iter()
        .filter(|s| s.kind == "toner" || s.kind == "tonerCartridge" || s.description.contains("Cartridge"))
        .filter_map(|s| match s.level {
            Level::Percent(p) => Some(p),
            _ => None,
        })
        .collect();
    for want in [54, 44, 76, 71] {
        assert!(l.contains(&want), "{want}% in {:?}", levels(&r));
    }
    assert!(r.colour);
}

#[test]
fn xerox_altalink_reports_level_over_capacity_not_the_raw_level() {
    let r = report("xerox.snmprec");
    assert_eq!((r.vendor.as_str(), r.enterprise), ("xerox", Some(253)));
    assert_eq!(r.model, "AltaLink C8045");
    let l = levels(&r);
    assert_eq!(l[0], ("Black Toner, PN 006R01509;SN48178080E0000481", Level::Percent(20)));
    assert_eq!(l[1].1, Level::Percent(66));
    assert_eq!(l[2].1, Level::Percent(72));
    assert_eq!(l[3].1, Level::Percent(60));
    assert!(l[0].0.chars().count() > 32, "descriptions longer than 32 characters are kept whole");
    assert_eq!(r.firmware.as_deref(), Some("100.002.057.09608"));
}

#[test]
fn lexmark_known_by_its_object_id_alone() {
    let r = report("lexmarkprinter.snmprec");
    assert_eq!((r.vendor.as_str(), r.enterprise), ("lexmark", Some(641)));
    assert_eq!(r.model, "T640");
    assert_eq!(r.firmware.as_deref(), Some("NS.NP.N219"));
    assert_eq!(r.page_count, None);
}

#[test]
fn non_printers_are_recognised_and_skipped() {
    let router = Walk::from_snmprec(
        "1.3.6.1.2.1.1.1.0|4|Edge router\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1\n1.3.6.1.2.1.25.3.2.1.2.1|6|1.3.6.1.2.1.25.3.1.3\n",
    )
    .expect("parses");
    assert_eq!(PrinterReport::from_walk(&router), None);
    // An HP switch: HP makes more than printers, so the object id alone is not enough.
    let switch = Walk::from_snmprec(
        "1.3.6.1.2.1.1.1.0|4|HP J9772A 2530-48G-PoEP Switch\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11.2.3.7.11.152\n",
    )
    .expect("parses");
    assert_eq!(PrinterReport::from_walk(&switch), None);
}

#[test]
fn oem_brands_are_named_as_sold() {
    let savin = Walk::from_snmprec(
        "1.3.6.1.2.1.1.1.0|4|SAVIN MP C3004ex 1.00 / SAVIN Network Printer C model\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.367.1.1\n",
    )
    .expect("parses");
    let r = PrinterReport::from_walk(&savin).expect("a printer");
    assert_eq!((r.vendor.as_str(), r.enterprise, r.model.as_str()), ("savin", Some(367), "MP C3004ex"));
}

#[test]
fn special_values_never_pass_for_levels() {
    assert_eq!(Level::of(Some(-3), Some(-2)), Level::Some);
    assert_eq!(Level::of(Some(-2), Some(100)), Level::Unknown);
    assert_eq!(Level::of(Some(-1), Some(100)), Level::Unknown);
    assert_eq!(Level::of(Some(50), Some(-2)), Level::Unknown);
    assert_eq!(Level::of(Some(50), Some(0)), Level::Unknown);
    assert_eq!(Level::of(Some(1060), Some(5300)), Level::Percent(20));
    assert_eq!(Level::of(Some(9000), Some(100)), Level::Percent(100), "a level over capacity is full, not 9000 %");
    assert_eq!(
        serde_json::to_string(&[Level::Percent(7), Level::Some, Level::Unknown]).expect("json"),
        r#"[7,"some",null]"#
    );
}

#[test]
fn error_state_bits_count_from_the_first_octets_high_bit() {
    assert_eq!(error_bits(&[0x80]), vec!["lowPaper"]);
    assert_eq!(error_bits(&[0x05, 0x02]), vec!["jammed", "serviceRequested", "overduePreventMaint"]);
    assert!(error_bits(&[]).is_empty());
    assert_eq!(error_bits(&[0xff; 40]).len(), ERROR_BITS.len(), "extra octets are ignored");
}
