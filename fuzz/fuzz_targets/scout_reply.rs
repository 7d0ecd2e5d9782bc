//! An SNMP agent's reply as the sweep reads it off the wire: the datagram
//! is decoded (snmp2's BER, then the scout's own checks), read as the
//! answer to the sweep's probe, and the probe's walk read as a printer.
//! Nothing may panic, and nothing read may exceed its bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local_connector::scout::mib;
use local_connector::scout::report::PrinterReport;
use local_connector::scout::sweep::probe_walk;
use local_connector::scout::wire;

fuzz_target!(|data: &[u8]| {
    let Ok(reply) = wire::parse_reply(data) else { return };
    assert!(reply.varbinds.len() <= wire::MAX_VARBINDS, "an unbounded reply was kept");
    let walk = probe_walk(mib::PROBE, reply);
    assert!(walk.len() <= mib::PROBE.len(), "the probe keeps one variable per column");
    if let Some(r) = PrinterReport::from_walk(&walk) {
        serde_json::to_string(&r).expect("a report is always JSON");
    }
});
