//! `pullprint audit`: check the audit log's hash chain. Safe beside a
//! running daemon: it reads the log and its head, never the index the
//! daemon holds open.

use crate::config::Config;
use crate::datadir::DataDir;
use clap::Subcommand;
use std::process::ExitCode;

/// `pullprint audit ...`.
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk the whole hash chain. Exits 0 when it is intact, 1 naming the
    /// first record that was changed, removed or inserted, 2 when it cannot
    /// be checked (no site key).
    Verify,
}

/// Run `pullprint audit ...`.
pub fn run(cfg: &Config, cmd: AuditCommand) -> ExitCode {
    let AuditCommand::Verify = cmd;
    let dd = DataDir::new(&cfg.data_dir);
    let key = match dd.load_site_key() {
        Ok(k) => k.audit_key(),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    match local_connector::audit::verify(&dd.audit(), &key) {
        Ok(v) => {
            println!("The audit log in {} is intact: {} records.", dd.audit().display(), v.records);
            ExitCode::SUCCESS
        }
        Err(b) => {
            println!("The audit log in {} is NOT intact: {b}.", dd.audit().display());
            ExitCode::FAILURE
        }
    }
}
