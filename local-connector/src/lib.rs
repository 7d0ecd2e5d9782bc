//! The Pullprint domain.
//!
//! This crate holds what the appliance does, organised by the nouns of the
//! domain. It owns no sockets, threads of its own aside from the store's
//! commit thread, or configuration files: the `pullprint` binary wires it up.
//!
//! - [`crypto`]: the site key and its sub-keys, sealing, chunked body encryption.
//! - [`store`]: the encrypted, durable job store.
//! - [`directory`]: the local user directory (the embedded default).
//! - [`auth`]: every way of signing in (password, badge, e-mail and PIN,
//!   passcode), lockout, remembered directory users and authorization policy.
//! - [`release`]: verified delivery of released jobs to printers (IPPS, and
//!   IPP or RAW where a printer's dangerous setting allows).
//! - [`durable`]: fsync discipline shared by everything that writes state.

pub mod ad;
pub mod analyse;
pub mod auth;
pub mod badge;
pub mod crypto;
pub mod directory;
pub mod durable;
pub mod ipp;
pub mod panel;
pub mod release;
pub mod shared;
pub mod store;
pub mod tokens;
pub mod vendors;

#[cfg(test)]
mod testing;
