//! The command line: every subcommand, its arguments, and the dispatch.
//! The administrative commands live one family to a file beside this one.

mod accounts;
mod audit;
mod credentials;
mod devices;
mod release;
mod scout;
mod status;
mod tenant;

use crate::config::{self, Config};
use crate::datadir::DataDir;
use crate::{backup, demo, init, logging, startup};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "pullprint", version, about = "Pullprint secure pull-print appliance")]
struct Cli {
    /// Configuration file (default /etc/pullprint/pullprint.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// First boot: create the site key, the internal CA and certificates. Prints the
    /// site recovery password once.
    Init {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Unlock a restored data folder with the site recovery password instead.
        #[arg(long)]
        recover: bool,
        /// Read the recovery password from this file instead of the terminal or stdin.
        #[arg(long, value_name = "FILE", requires = "recover")]
        password_file: Option<PathBuf>,
    },
    /// Run the appliance.
    Serve {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Run the whole appliance on its embedded default: no root, loopback ports,
    /// a local directory with demo users.
    Demo {
        /// Data folder to use (a fresh temporary one when omitted).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Port of the console and health pages (default 18443; 0 picks a free one).
        #[arg(long, value_name = "PORT")]
        web_port: Option<u16>,
        /// Port of the IPP print queue (default 10631; 0 picks a free one).
        #[arg(long, value_name = "PORT")]
        ipp_port: Option<u16>,
        /// Port of the printer panel services (default 14321; 0 picks a free one).
        #[arg(long, value_name = "PORT")]
        panel_port: Option<u16>,
    },
    /// Report the running appliance's health.
    Status {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Print the health report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a backup of the whole data folder (the site key is never included).
    Backup {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Archive to write.
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
    },
    /// Manage the local directory's users.
    User {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: accounts::UserCommand,
    },
    /// Check sign-ins against the configured directory.
    Directory {
        #[command(subcommand)]
        command: accounts::DirectoryCommand,
    },
    /// Manage print tokens (app passwords for print clients that store credentials).
    Token {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: accounts::TokenCommand,
    },
    /// Bind and unbind badges (local or Active Directory users).
    Badge {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: credentials::BadgeCommand,
    },
    /// Set or clear a user's PIN for e-mail and PIN sign-in.
    Pin {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: credentials::PinCommand,
    },
    /// Issue or withdraw a user's passcode.
    Passcode {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: credentials::PasscodeCommand,
    },
    /// Show or set which groups may release, copy, scan, fax, print in colour and administer.
    Policy {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: credentials::PolicyCommand,
    },
    /// Secure a printer (register it, issue its panel credential, print every
    /// step for it), or unsecure it cleanly.
    Deploy {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        args: devices::DeployArgs,
    },
    /// Register (secure), list, rotate, revoke and remove printers.
    Device {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: devices::DeviceCommand,
    },
    /// Show the server certificate, or renew it from the internal CA.
    Certificate {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: CertificateCommand,
    },
    /// Print a parked job at a printer, list releases and why any failed, or withdraw one.
    /// Talks to the running daemon.
    Release {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: release::ReleaseCommand,
    },
    /// Check the audit log's hash chain.
    Audit {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Find printers over SNMP and read their status, meters and supplies. Needs no
    /// running daemon and writes nothing.
    Scout {
        /// Data folder (overrides paths.data_dir), for `scout list`.
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: scout::ScoutCommand,
    },
    /// The cloud tenant: `tenant check` tests the connection and names the step that fails.
    Tenant {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: tenant::TenantCommand,
    },
    /// Restore a backup into a new, empty data folder; then run `init --recover`.
    Restore {
        /// Archive made by `pullprint backup`.
        archive: PathBuf,
        /// Data folder to create (overrides paths.data_dir).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

fn load_config(path: Option<&Path>, data_dir: Option<&Path>) -> Result<Config, ExitCode> {
    let default = Path::new(config::defaults::CONFIG_PATH);
    let loaded = match path {
        Some(p) => Config::load(p),
        None if default.exists() => Config::load(default),
        None => Config::from_toml_str(""),
    };
    match loaded {
        Ok(mut c) => {
            if let Some(d) = data_dir {
                c.data_dir = absolute(d);
            }
            Ok(c)
        }
        Err(errs) => {
            eprint!("error: {errs}");
            Err(ExitCode::from(2))
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

/// Parse the command line and run the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let (data_dir, level_hint) = match &cli.command {
        Command::Init { data_dir, .. }
        | Command::Serve { data_dir }
        | Command::Status { data_dir, .. }
        | Command::Backup { data_dir, .. }
        | Command::User { data_dir, .. }
        | Command::Token { data_dir, .. }
        | Command::Badge { data_dir, .. }
        | Command::Pin { data_dir, .. }
        | Command::Passcode { data_dir, .. }
        | Command::Policy { data_dir, .. }
        | Command::Device { data_dir, .. }
        | Command::Release { data_dir, .. }
        | Command::Certificate { data_dir, .. }
        | Command::Deploy { data_dir, .. }
        | Command::Audit { data_dir, .. }
        | Command::Scout { data_dir, .. }
        | Command::Tenant { data_dir, .. }
        | Command::Restore { data_dir, .. } => (data_dir.clone(), None),
        Command::Directory { .. } => (None, None),
        Command::Demo { .. } => (None, Some(log::LevelFilter::Info)),
    };
    let cfg = match &cli.command {
        Command::Demo { data_dir, web_port, ipp_port, panel_port } => {
            let text = match cli.config.as_deref().map(std::fs::read_to_string).transpose() {
                Ok(t) => t.unwrap_or_default(),
                Err(e) => {
                    eprintln!("error: reading {}: {e}", cli.config.as_deref().unwrap_or(Path::new("")).display());
                    return ExitCode::from(2);
                }
            };
            let mut c = match Config::demo(&text, data_dir.as_deref().map(absolute), demo::fresh_dir) {
                Ok(c) => c,
                Err(config::DemoError::Config(errs)) => {
                    eprint!("error: {errs}");
                    return ExitCode::from(2);
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            for (flag, listen) in
                [(web_port, &mut c.web_listen), (ipp_port, &mut c.ipp_listen), (panel_port, &mut c.panel_listen)]
            {
                if let (Some(p), Some(first)) = (flag, listen.first_mut()) {
                    first.set_port(*p);
                }
            }
            c
        }
        _ => match load_config(cli.config.as_deref(), data_dir.as_deref()) {
            Ok(c) => c,
            Err(code) => return code,
        },
    };
    logging::init(level_hint.unwrap_or(cfg.log_level));
    let result = match cli.command {
        Command::Init { recover: false, .. } => init::init(&cfg, init::Owner::ServiceUser).map(|pw| {
            println!("{}", init::password_banner(&cfg.data_dir, &pw));
        }),
        Command::Init { recover: true, password_file, .. } => init::read_password(password_file.as_deref())
            .and_then(|pw| init::recover(&cfg, &pw))
            .map(|()| println!("Site unlocked in {}. Start it with `pullprint serve`.", cfg.data_dir.display())),
        Command::Serve { .. } => startup::serve(&cfg, startup::Mode::Production, None),
        Command::Demo { .. } => demo::run(&cfg, cli.config.as_deref()),
        Command::Status { json, .. } => return ExitCode::from(status::run(&cfg, json)),
        Command::Audit { command, .. } => return audit::run(&cfg, command),
        Command::Backup { output, .. } => backup::backup(&DataDir::new(&cfg.data_dir), &output).map(|s| {
            println!(
                "Backup written to {}: {} files, {} jobs, {} MiB. It holds no site key: keep the recovery password to restore it.",
                output.display(),
                s.files,
                s.jobs,
                s.bytes >> 20
            );
        }),
        Command::User { command, .. } => accounts::user(&DataDir::new(&cfg.data_dir), command),
        Command::Token { command, .. } => accounts::token(&DataDir::new(&cfg.data_dir), command),
        Command::Directory { command } => accounts::directory(&cfg, command),
        Command::Badge { command, .. } => credentials::badge(&cfg, command),
        Command::Pin { command, .. } => credentials::pin(&cfg, command),
        Command::Passcode { command, .. } => credentials::passcode(&cfg, command),
        Command::Policy { command, .. } => credentials::policy(&cfg, command),
        Command::Device { command, .. } => devices::device(&cfg, command),
        Command::Deploy { args, .. } => devices::deploy(&cfg, args),
        Command::Release { command, .. } => release::release(&cfg.data_dir, command),
        Command::Certificate { command, .. } => certificate(&cfg, command),
        Command::Scout { command, .. } => scout::scout(&cfg, command),
        Command::Tenant { command, .. } => tenant::tenant(&cfg, command),
        Command::Restore { archive, .. } => backup::restore(&archive, &cfg.data_dir).map(|s| {
            println!(
                "Restored {} files ({} jobs) into {}.\nNext: pullprint init --recover --data-dir {}",
                s.files,
                s.jobs,
                cfg.data_dir.display(),
                cfg.data_dir.display()
            );
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `pullprint certificate ...`.
#[derive(Subcommand, Debug)]
pub enum CertificateCommand {
    /// When the server certificate expires, and for which names.
    Show,
    /// Issue a new server certificate (a year, a new key) from the internal
    /// CA, for the configured host names and addresses. Printers and
    /// workstations trust the CA, not the certificate, so nothing changes
    /// for them. A running daemon serves it within seconds, without a
    /// restart; it also renews the certificate itself 30 days before expiry.
    Renew,
}

fn certificate(cfg: &Config, cmd: CertificateCommand) -> anyhow::Result<()> {
    use anyhow::Context;
    let dd = DataDir::new(&cfg.data_dir);
    if let CertificateCommand::Renew = cmd {
        crate::privdrop::become_owner_of(&dd.root)?;
        // Loopback names and addresses are added by the issuer, as at init.
        // Back to the internal CA, also after an admin's own certificate.
        crate::certs::back_to_internal(&dd.tls(), &cfg.hostnames, &cfg.addresses, cfg.key_type)
            .context("renewing the server certificate")?;
        println!(
            "A new server certificate is in {}; a running Pullprint serves it within {} s, without a restart.",
            dd.tls().display(),
            crate::certs::renewal::CHECK_EVERY.as_secs()
        );
    }
    let identity = crate::certs::ServerIdentity::load(&dd.tls())?;
    let not_after = identity.not_after();
    let days = not_after.duration_since(std::time::SystemTime::now()).map(|d| d.as_secs() / 86400).unwrap_or(0);
    println!("The server certificate expires {} ({days} days).", humantime::format_rfc3339_seconds(not_after));
    Ok(())
}
