//! `pullprint`: the appliance daemon and its command-line tool.
//!
//! This binary is the only place that knows every other crate: it reads the
//! configuration, prepares the data folder, and wires the local connector,
//! the web front and (later) cloud sync together.

// A binary crate: `pub` marks each module's interface to the others, not an export.
#![allow(unreachable_pub)]

mod accounts;
mod backup;
mod certs;
mod config;
mod control;
mod credentials_cli;
mod datadir;
mod devices_cli;
mod init;
mod ipp_listener;
mod logging;
mod notify;
mod panel_app;
mod panel_listener;
mod privdrop;
mod serve;
mod status;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use config::Config;
use datadir::DataDir;
use local_connector::auth::credentials::Credentials;
use local_connector::directory::LocalDirectory;
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
        command: credentials_cli::BadgeCommand,
    },
    /// Set or clear a user's PIN for e-mail and PIN sign-in.
    Pin {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: credentials_cli::PinCommand,
    },
    /// Issue or withdraw a user's passcode.
    Passcode {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: credentials_cli::PasscodeCommand,
    },
    /// Show or set which groups may release, copy, scan, fax, print in colour and administer.
    Policy {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: credentials_cli::PolicyCommand,
    },
    /// Secure a printer (register it, issue its panel credential, print every
    /// step for it), or unsecure it cleanly.
    Deploy {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        args: devices_cli::DeployArgs,
    },
    /// Register (secure), list, rotate, revoke and remove printers.
    Device {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: devices_cli::DeviceCommand,
    },
    /// Print a parked job at a printer, list releases and why any failed, or withdraw one.
    /// Talks to the running daemon.
    Release {
        /// Data folder (overrides paths.data_dir).
        #[arg(long, value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: control::ReleaseCommand,
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

fn main() -> ExitCode {
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
        | Command::Deploy { data_dir, .. }
        | Command::Restore { data_dir, .. } => (data_dir.clone(), None),
        Command::Directory { .. } => (None, None),
        Command::Demo { .. } => (None, Some(log::LevelFilter::Info)),
    };
    let cfg = match &cli.command {
        Command::Demo { data_dir, web_port, ipp_port, panel_port } => {
            let dir = match data_dir {
                Some(d) => absolute(d),
                None => match fresh_demo_dir() {
                    Ok(d) => d,
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        return ExitCode::FAILURE;
                    }
                },
            };
            let mut c = Config::demo(dir);
            if let Some(p) = web_port {
                c.web_listen[0].set_port(*p);
            }
            if let Some(p) = ipp_port {
                c.ipp_listen[0].set_port(*p);
            }
            if let Some(p) = panel_port {
                c.panel_listen[0].set_port(*p);
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
        Command::Serve { .. } => serve::serve(&cfg, serve::Mode::Production, None),
        Command::Demo { .. } => demo(&cfg),
        Command::Status { json, .. } => return ExitCode::from(status::run(&cfg, json)),
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
        Command::Badge { command, .. } => credentials_cli::badge(&cfg, command),
        Command::Pin { command, .. } => credentials_cli::pin(&cfg, command),
        Command::Passcode { command, .. } => credentials_cli::passcode(&cfg, command),
        Command::Policy { command, .. } => credentials_cli::policy(&cfg, command),
        Command::Device { command, .. } => devices_cli::device(&cfg, command),
        Command::Deploy { args, .. } => devices_cli::deploy(&cfg, args),
        Command::Release { command, .. } => control::release(&cfg.data_dir, command),
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

fn fresh_demo_dir() -> Result<PathBuf> {
    let tag = hex::encode(local_connector::crypto::random_bytes::<4>());
    let dir = std::env::temp_dir().join(format!("pullprint-demo-{tag}"));
    local_connector::durable::create_dir_durable(&dir, 0o700)?;
    Ok(dir)
}

/// Where the demo's printer is: an IPP Everywhere printer on this machine.
const DEMO_PRINTER_URI: &str = "ipps://localhost:8631/ipp/print";

/// The demo users. They exist only under `pullprint demo`.
const DEMO_PASSWORD: &str = "pullprint-demo";
struct DemoUser {
    name: &'static str,
    display: &'static str,
    /// Badge number and PIN.
    badge_pin: Option<(&'static str, &'static str)>,
    groups: &'static [&'static str],
}
const DEMO_USERS: &[DemoUser] = &[
    DemoUser { name: "alice", display: "Alice Demo", badge_pin: Some(("12345678", "1234")), groups: &["PrintUsers"] },
    DemoUser { name: "bob", display: "Bob Demo", badge_pin: Some(("87654321", "4321")), groups: &["PrintUsers"] },
    DemoUser {
        name: "admin",
        display: "Demo Administrator",
        badge_pin: None,
        groups: &["PrintUsers", "PullprintAdmins"],
    },
];

fn demo(cfg: &Config) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    if !dd.is_initialised() {
        let pw = init::init(cfg, init::Owner::Invoker).context("initialising the demo data folder")?;
        println!("{}", init::password_banner(&cfg.data_dir, &pw));
        let site = dd.load_site_key()?;
        let dir = LocalDirectory::open(&dd.users())?;
        let creds = Credentials::open(&dd.credentials(), site.card_secret())?;
        for u in DEMO_USERS {
            let email = format!("{}@demo.pullprint.test", u.name);
            dir.add_user(u.name, u.display, Some(&email), DEMO_PASSWORD, u.groups)?;
            if let Some((badge, pin)) = u.badge_pin {
                // Demo PINs are the simple ones the design names; users choosing
                // their own on /me get the weak-PIN check.
                let canonical = local_connector::badge::normalise(badge, &Default::default())?;
                creds.bind_badge(u.name, &canonical, "demo")?;
                creds.set_pin(u.name, Some(&email), pin)?;
            }
        }
    }
    // A demo printer, so the panel app can be tried in a browser. Its
    // credential is reissued (and shown) at every demo start.
    let devices = local_connector::panel::devices::Devices::open(&dd.devices(), dd.load_site_key()?.token_secret())?;
    let (_, demo_printer) = match devices.find("Demo printer") {
        Some(d) => devices.rotate(&d.id)?,
        None => {
            let added = devices.add(
                "Demo printer",
                local_connector::panel::devices::Vendor::Km,
                "localhost",
                Default::default(),
            )?;
            // Released jobs go to an IPP Everywhere printer on localhost:8631,
            // such as ippeveprinter, serving a certificate the demo's CA issued.
            devices.update_release(&added.0.id, |r| r.uri = Some(DEMO_PRINTER_URI.into()))?;
            added
        }
    };
    let printer_keys = cfg.data_dir.join("demo-printer");
    if !printer_keys.join("localhost.crt").exists() {
        local_connector::durable::create_dir_durable(&printer_keys, 0o700)?;
        certs::issue_server_to(
            &dd.tls(),
            (&printer_keys.join("localhost.crt"), &printer_keys.join("localhost.key")),
            &["localhost".into()],
            &[],
            cfg.key_type,
        )?;
    }
    // {web}, {ipp} and {panel} are filled in by `serve` with the addresses actually bound.
    let banner = format!(
        "Pullprint demo is running. Press Ctrl-C to stop.\n\n\
         \x20 Data folder     {data}\n\
         \x20 Print queue     ipps://{{ipp}}/ipp/print   (IPP Everywhere; sign in as a demo user)\n\
         \x20 Panel services  https://{{panel}}/panel/v1/   (register a printer: pullprint device add)\n\
         \x20 Panel app       https://{{panel}}/panel/app/start?device={printer}\n\
         \x20                 (a demo printer's panel in your browser: type badge 12345678)\n\
         \x20 Demo printer    {DEMO_PRINTER_URI}   (released jobs go there; to receive them run:\n\
         \x20                 ippeveprinter -n localhost -p 8631 -f application/pdf,image/jpeg -K {keys} \\\n\
         \x20                   -c /bin/true -k -d DIR 'Demo printer')\n\
         \x20 Health          https://{{web}}/healthz\n\
         \x20 Your PIN        https://{{web}}/me   (set a PIN or get a passcode)\n\
         \x20 Internal CA     https://{{web}}/ca.crt   (also {data}/tls/ca.crt)\n\
         \x20 Status          {exe} status --data-dir {data}\n\
         \x20 Demo users      alice, bob, admin — password {DEMO_PASSWORD}\n\
         \x20                 alice: badge 12345678, PIN 1234;  bob: badge 87654321, PIN 4321\n",
        data = cfg.data_dir.display(),
        printer = demo_printer.reveal(),
        keys = printer_keys.display(),
        exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "pullprint".into()),
    );
    serve::serve(cfg, serve::Mode::Demo, Some(banner))
}
