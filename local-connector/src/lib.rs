//! The Pullprint domain, organised by its nouns. Each noun keeps a sans-IO
//! core (bytes in, typed values out) and, beside it, the server or client
//! shell that puts it on a socket. It reads no configuration file: the
//! `pullprint` binary reads the configuration and wires these together.
//!
//! Dependencies point one way (`docs/ARCHITECTURE.md` has the map):
//! - ground floor: [`job`] (ids, colour, sides), [`clock`], [`crypto`],
//!   [`durable`], [`html`], [`net`] (the shared TLS accept loop), [`badge`],
//!   [`fault`] (crash points for tests, empty in a normal build);
//! - state: [`store`] (the encrypted, durable job store, its release queue
//!   and records), [`audit`] (the hash-chained audit log), [`printers`] (the printer registry), [`directory`],
//!   [`tokens`], [`ad`];
//! - services: [`auth`] (every way of signing in, lockout, policy),
//!   [`analyse`] (print-stream inspection), [`ipp`] (the IPP Everywhere
//!   queue and its server), [`panel`] (panel services and app),
//!   [`release`] (verified delivery to printers), [`vendors`], [`scout`]
//!   (what printers say about themselves over SNMP; it will write to
//!   `printers`, never to the store), [`roaming`] (jobs parked at other
//!   sites of the tenant, listed, claimed and taken in through `store`).
//!
//! `panel` and `release` both depend on `printers` and `store`, never on
//! each other: the panel queues a release in the store and tells the engine
//! through a [`store::ReleaseWake`] handle.

pub mod ad;
pub mod analyse;
pub mod audit;
pub mod auth;
pub mod badge;
pub mod clock;
pub mod counted;
pub mod crypto;
pub mod directory;
pub mod durable;
pub mod fault;
pub mod html;
pub mod ipp;
pub mod job;
pub mod labels;
pub mod net;
pub mod panel;
pub mod phones;
pub mod printers;
pub mod release;
pub mod reports;
pub mod roaming;
pub mod scout;
pub mod shared;
pub mod store;
pub mod tokens;
pub mod vendors;

#[cfg(test)]
mod shape;
#[cfg(test)]
mod testing;
