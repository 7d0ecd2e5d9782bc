//! The OIDs the scout reads, each named as its MIB names it and citing that
//! MIB. Columns are given without their index; tables are indexed as their
//! MIB says (the Printer MIB's by hrDeviceIndex, then the row's own index).

/// SNMPv2-MIB (RFC 3418), the `system` group.
pub mod system {
    /// sysDescr.0: the agent's own description of the device.
    pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
    /// sysObjectID.0: the vendor's identification (its enterprise number follows 1.3.6.1.4.1).
    pub const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
    /// sysContact.0.
    pub const SYS_CONTACT: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 4, 0];
    /// sysName.0.
    pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
    /// sysLocation.0.
    pub const SYS_LOCATION: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];
}

/// IF-MIB (RFC 2863), `ifTable`.
pub mod interfaces {
    /// ifType: 6 is ethernetCsmacd (IANAifType-MIB).
    pub const IF_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 3];
    /// ifPhysAddress: the MAC address.
    pub const IF_PHYS_ADDRESS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 6];
    /// IANAifType ethernetCsmacd.
    pub const ETHERNET_CSMACD: i64 = 6;
}

/// HOST-RESOURCES-MIB (RFC 2790), `hrDeviceTable` and `hrPrinterTable`.
pub mod host {
    /// hrDeviceType: an OID under hrDeviceTypes.
    pub const HR_DEVICE_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2];
    /// hrDeviceDescr: the device's make and model, as the agent says it.
    pub const HR_DEVICE_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3];
    /// hrDeviceStatus: unknown(1), running(2), warning(3), testing(4), down(5).
    pub const HR_DEVICE_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5];
    /// hrDevicePrinter, the hrDeviceType of a printer.
    pub const HR_DEVICE_PRINTER: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 1, 5];
    /// hrPrinterStatus: other(1), unknown(2), idle(3), printing(4), warmup(5).
    pub const HR_PRINTER_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1];
    /// hrPrinterDetectedErrorState: a bit string, bit 0 the first octet's high bit.
    pub const HR_PRINTER_DETECTED_ERROR_STATE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2];
}

/// ENTITY-MIB (RFC 6933), `entPhysicalTable`: where some devices keep
/// their serial and asset numbers.
pub mod entity {
    /// entPhysicalSerialNum.
    pub const ENT_PHYSICAL_SERIAL_NUM: &[u32] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11];
    /// entPhysicalAssetID: the asset number an admin gave the device.
    pub const ENT_PHYSICAL_ASSET_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 15];
}

/// Printer-MIB v2 (RFC 3805). Every table is indexed by hrDeviceIndex first.
pub mod printer {
    /// The whole Printer MIB: its presence says "printer".
    pub const PRINTER_MIB: &[u32] = &[1, 3, 6, 1, 2, 1, 43];
    /// prtGeneralPrinterName.
    pub const PRT_GENERAL_PRINTER_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 16];
    /// prtGeneralSerialNumber.
    pub const PRT_GENERAL_SERIAL_NUMBER: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17];
    /// prtInputMaxCapacity (in prtInputCapacityUnit, sheets on every device seen).
    pub const PRT_INPUT_MAX_CAPACITY: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 9];
    /// prtInputCurrentLevel (-1 other, -2 unknown, -3 some remaining).
    pub const PRT_INPUT_CURRENT_LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 10];
    /// prtInputName.
    pub const PRT_INPUT_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 13];
    /// prtInputDescription.
    pub const PRT_INPUT_DESCRIPTION: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 18];
    /// prtMarkerLifeCount: the marker's life count (pages, in prtMarkerCounterUnit).
    pub const PRT_MARKER_LIFE_COUNT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4];
    /// prtMarkerProcessColorants: how many colorants print at once (1: mono).
    pub const PRT_MARKER_PROCESS_COLORANTS: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 6];
    /// prtMarkerSuppliesClass: other(1), supplyThatIsConsumed(3), receptacleThatIsFilled(4).
    pub const PRT_MARKER_SUPPLIES_CLASS: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 4];
    /// prtMarkerSuppliesType (PrtMarkerSuppliesTypeTC).
    pub const PRT_MARKER_SUPPLIES_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 5];
    /// prtMarkerSuppliesDescription.
    pub const PRT_MARKER_SUPPLIES_DESCRIPTION: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6];
    /// prtMarkerSuppliesMaxCapacity (-1 other, -2 unknown).
    pub const PRT_MARKER_SUPPLIES_MAX_CAPACITY: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 8];
    /// prtMarkerSuppliesLevel (-1 other, -2 unknown, -3 some remaining).
    pub const PRT_MARKER_SUPPLIES_LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9];
    /// prtMarkerColorantValue: the colorant's name ("cyan", "black"...).
    pub const PRT_MARKER_COLORANT_VALUE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 12, 1, 1, 4];
    /// prtConsoleDisplayBufferText: the lines the panel shows.
    pub const PRT_CONSOLE_DISPLAY_BUFFER_TEXT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 16, 5, 1, 2];
    /// prtAlertSeverityLevel: other(1), critical(3), warning(4), warningBinaryChangeEvent(5).
    pub const PRT_ALERT_SEVERITY_LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 2];
    /// prtAlertGroup: the sub-unit group the alert is about (PrtAlertGroupTC).
    pub const PRT_ALERT_GROUP: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 4];
    /// prtAlertCode (PrtAlertCodeTC).
    pub const PRT_ALERT_CODE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 7];
    /// prtAlertDescription.
    pub const PRT_ALERT_DESCRIPTION: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 8];
}

/// HP's LaserJet objects (HP-LASERJET-COMMON-MIB, HP's Printer Management
/// Language objects under 1.3.6.1.4.1.11.2.3.9.4.2).
pub mod hp {
    /// serial-number.0: a PML string (a type octet 0x01, a symbol-set octet,
    /// then the text), on devices whose Printer MIB has no serial.
    pub const SERIAL_NUMBER: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 1, 3, 3, 0];
    /// The PML counters (HP-LASERJET-COMMON-MIB `status-prt-eng` group,
    /// 1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2): the prefix the scout walks.
    pub const COUNTERS: &[u32] = &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 4, 1, 2];
    /// total-engine-page-count.0, total-mono-page-count.0,
    /// total-color-page-count.0 and duplex-page-count.0, by their arc under
    /// [`COUNTERS`], with the name reports give them.
    pub const COUNTER_NAMES: &[(u32, &str)] = &[(5, "total"), (6, "mono"), (7, "colour"), (22, "duplex")];
}

/// What a sweep asks first, in one GetNext: sysDescr, sysObjectID, the
/// first object of the Printer MIB and the first hrDeviceType. Enough to
/// tell a printer from any other agent.
pub const PROBE: &[&[u32]] =
    &[&[1, 3, 6, 1, 2, 1, 1, 1], &[1, 3, 6, 1, 2, 1, 1, 2], printer::PRINTER_MIB, host::HR_DEVICE_TYPE];

/// Every column (or scalar object) a printer's report reads, walked
/// together. A scalar's object is named without its `.0`, so that a walk
/// of it returns the instance.
pub const COLLECT: &[&[u32]] = &[
    &[1, 3, 6, 1, 2, 1, 1, 1],
    &[1, 3, 6, 1, 2, 1, 1, 2],
    &[1, 3, 6, 1, 2, 1, 1, 5],
    &[1, 3, 6, 1, 2, 1, 1, 6],
    interfaces::IF_TYPE,
    interfaces::IF_PHYS_ADDRESS,
    host::HR_DEVICE_TYPE,
    host::HR_DEVICE_DESCR,
    host::HR_DEVICE_STATUS,
    host::HR_PRINTER_STATUS,
    host::HR_PRINTER_DETECTED_ERROR_STATE,
    entity::ENT_PHYSICAL_SERIAL_NUM,
    entity::ENT_PHYSICAL_ASSET_ID,
    printer::PRT_GENERAL_PRINTER_NAME,
    printer::PRT_GENERAL_SERIAL_NUMBER,
    printer::PRT_INPUT_MAX_CAPACITY,
    printer::PRT_INPUT_CURRENT_LEVEL,
    printer::PRT_INPUT_NAME,
    printer::PRT_INPUT_DESCRIPTION,
    printer::PRT_MARKER_LIFE_COUNT,
    printer::PRT_MARKER_PROCESS_COLORANTS,
    printer::PRT_MARKER_SUPPLIES_CLASS,
    printer::PRT_MARKER_SUPPLIES_TYPE,
    printer::PRT_MARKER_SUPPLIES_DESCRIPTION,
    printer::PRT_MARKER_SUPPLIES_MAX_CAPACITY,
    printer::PRT_MARKER_SUPPLIES_LEVEL,
    printer::PRT_MARKER_COLORANT_VALUE,
    printer::PRT_CONSOLE_DISPLAY_BUFFER_TEXT,
    printer::PRT_ALERT_SEVERITY_LEVEL,
    printer::PRT_ALERT_GROUP,
    printer::PRT_ALERT_CODE,
    printer::PRT_ALERT_DESCRIPTION,
];

/// The vendor's own objects the report reads, by enterprise number.
pub fn vendor_columns(enterprise: Option<u32>) -> &'static [&'static [u32]] {
    const HP: &[&[u32]] = &[&[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 1, 3, 3], hp::COUNTERS];
    match enterprise {
        Some(11) => HP,
        _ => &[],
    }
}

/// The page counter a release checks: prtMarkerLifeCount, every marker.
pub const PAGE_COUNTER: &[&[u32]] = &[printer::PRT_MARKER_LIFE_COUNT];

/// The SNMP private enterprise arc (1.3.6.1.4.1), under which sysObjectID
/// names the vendor.
pub const ENTERPRISES: &[u32] = &[1, 3, 6, 1, 4, 1];
