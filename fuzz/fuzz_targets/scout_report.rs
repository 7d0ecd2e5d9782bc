//! The Device Scout's reading of what an SNMP agent answered: a recording
//! (snmpsim's `OID|TYPE|VALUE` lines, so that the fuzzer can write any OID
//! and any value of any type) is parsed into a walk, and the walk read as a
//! printer. Nothing may panic, and what a report keeps stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local_connector::scout::report::PrinterReport;
use local_connector::scout::walk::Walk;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(walk) = Walk::from_snmprec(text) else { return };
    let Some(r) = PrinterReport::from_walk(&walk) else { return };
    for s in [&r.model, &r.description].into_iter().chain(r.serial.iter()).chain(r.firmware.iter()) {
        assert!(s.chars().count() <= 256, "an unbounded string was kept");
    }
    assert!(r.supplies.len() <= 64 && r.trays.len() <= 64 && r.alerts.len() <= 64 && r.display.len() <= 64);
    for s in &r.supplies {
        assert!(s.description.chars().count() <= 256);
    }
    serde_json::to_string(&r).expect("a report is always JSON");
});
