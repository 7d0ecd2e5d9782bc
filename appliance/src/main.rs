//! `pullprint`: the appliance daemon and its command-line tool.
//!
//! This binary is the only place that knows every other crate. It holds
//! the command line ([`cli`]), configuration, first boot, certificates,
//! privilege drop, logging and readiness, and one start-up module
//! ([`startup`]) that wires the local connector, the web front and (later)
//! cloud sync together. It holds no HTTP handler, protocol server or
//! domain rule.

// A binary crate: `pub` marks each module's interface to the others, not an export.
#![allow(unreachable_pub)]

mod backup;
mod certs;
mod cli;
mod datadir;
mod demo;
mod firstboot;
mod init;
mod logging;
mod notify;
mod privdrop;
mod settings;
mod startup;
mod sync;
mod system;

// Configuration is the library part of this package, so that fuzz targets
// reach the parser the daemon runs.
use pullprint::config;

fn main() -> std::process::ExitCode {
    cli::run()
}
