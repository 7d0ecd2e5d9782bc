//! Device Scout: finding the printers on the network and reading what they
//! say about themselves over SNMP.
//!
//! This part is sans-IO, so that everything an agent sends is checked
//! where no socket is in reach: [`walk`] holds the variables an agent
//! answered (and reads snmpsim's recordings), [`range`] says which
//! addresses a sweep may contact, [`mib`] names every OID the
//! scout asks for and cites the MIB that defines it, and [`report`] turns
//! one agent's walk into a [`report::PrinterReport`], or says it is no
//! printer.

pub mod agent;
pub mod inventory;
pub mod mib;
pub mod range;
pub mod report;
pub mod schedule;
pub mod sweep;
pub mod walk;
pub mod wire;
