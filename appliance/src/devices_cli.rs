//! `pullprint device ...`: the printers whose panels may call the appliance.
//! Registering a printer secures it: it gets a device credential, shown
//! once, that its panel presents on every request. The running daemon sees
//! each change at once; revoking a device ends its panel sessions on their
//! next request.

use crate::config::Config;
use crate::credentials_cli::CardEncoding;
use crate::datadir::DataDir;
use anyhow::{Result, bail};
use clap::Subcommand;
use local_connector::badge::{Encoding, ReaderProfile};
use local_connector::panel::devices::{Device, Devices, NewCredential, Vendor};

#[derive(Subcommand, Debug)]
pub enum DeviceCommand {
    /// Register (secure) a printer; prints its panel credential once.
    Add {
        /// A name people recognise ("3rd floor east").
        name: String,
        /// hp, km, lexmark, ricoh or xerox.
        #[arg(long)]
        vendor: String,
        /// The printer's host name or IP address.
        #[arg(long)]
        address: String,
        /// How its card reader writes card numbers.
        #[arg(long, value_enum, default_value = "hex")]
        reader: CardEncoding,
        /// The reader reports the UID least significant byte first.
        #[arg(long)]
        reader_reversed: bool,
    },
    /// List registered printers.
    List,
    /// Issue a new credential (the old one stops working).
    Rotate {
        /// Id, name or address.
        device: String,
    },
    /// Revoke a printer's credential and end its sessions; the record stays.
    Revoke {
        /// Id, name or address.
        device: String,
    },
    /// Forget a printer entirely.
    Remove {
        /// Id, name or address.
        device: String,
    },
}

/// Where a panel reaches the appliance.
pub fn panel_base(cfg: &Config) -> String {
    let host = cfg
        .hostnames
        .first()
        .cloned()
        .or_else(|| cfg.addresses.first().map(|a| if a.is_ipv6() { format!("[{a}]") } else { a.to_string() }))
        .unwrap_or_else(|| "APPLIANCE".into());
    let port = cfg.panel_listen.first().map(|a| a.port()).unwrap_or(4321);
    format!("https://{host}:{port}")
}

fn open(dd: &DataDir) -> Result<Devices> {
    let site = dd.load_site_key()?;
    Ok(Devices::open(&dd.devices(), site.token_secret())?)
}

fn show_credential(cfg: &Config, d: &Device, c: &NewCredential) {
    let base = panel_base(cfg);
    println!(
        "Printer {} ({}, {} at {}) is secured.\n\n\
         \x20 Panel credential   {}\n\
         \x20 Panel app URL      {base}/panel/app/start?device={}\n\
         \x20 Panel API          {base}/panel/v1/   (Authorization: Bearer <credential>)\n\n\
         The credential is shown only now. Enter it on the printer (see docs/PANELS.md for {}),\n\
         and install the appliance's CA certificate ({}/tls/ca.crt) on the printer so it trusts port {}.",
        d.name,
        d.id,
        d.vendor.name(),
        d.address,
        c.reveal(),
        c.reveal(),
        d.vendor.name(),
        cfg.data_dir.display(),
        cfg.panel_listen.first().map(|a| a.port()).unwrap_or(4321),
    );
}

/// Run a `pullprint device` command.
pub fn device(cfg: &Config, cmd: DeviceCommand) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    crate::privdrop::become_owner_of(&dd.root)?;
    let reg = open(&dd)?;
    match cmd {
        DeviceCommand::Add { name, vendor, address, reader, reader_reversed } => {
            let Some(vendor) = Vendor::parse(&vendor) else {
                bail!("unknown vendor {vendor:?}: use hp, km, lexmark, ricoh or xerox");
            };
            if name.trim().is_empty() || address.trim().is_empty() {
                bail!("a printer needs a name and an address");
            }
            let encoding = match reader {
                CardEncoding::Hex => Encoding::Hex,
                CardEncoding::Decimal => Encoding::Decimal,
                CardEncoding::Wiegand26 => Encoding::Wiegand26,
            };
            let profile = ReaderProfile { encoding, reversed: reader_reversed, ..ReaderProfile::default() };
            let (d, c) = reg.add(name.trim(), vendor, address.trim(), profile)?;
            show_credential(cfg, &d, &c);
        }
        DeviceCommand::List => {
            println!("{:<12} {:<24} {:<16} {:<22} {:<10} LAST SEEN", "ID", "NAME", "VENDOR", "ADDRESS", "STATE");
            for d in reg.list() {
                let state = if d.credential.is_empty() { "revoked" } else { "secured" };
                let seen = if d.last_seen == 0 {
                    "never".to_owned()
                } else {
                    humantime::format_rfc3339_seconds(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(d.last_seen),
                    )
                    .to_string()
                };
                println!("{:<12} {:<24} {:<16} {:<22} {:<10} {seen}", d.id, d.name, d.vendor.name(), d.address, state);
            }
        }
        DeviceCommand::Rotate { device } => {
            let (d, c) = reg.rotate(&device)?;
            show_credential(cfg, &d, &c);
        }
        DeviceCommand::Revoke { device } => {
            let d = reg.revoke(&device)?;
            println!("Printer {} ({}) revoked: its panel is refused from its next request.", d.name, d.id);
        }
        DeviceCommand::Remove { device } => {
            let d = reg.remove(&device)?;
            println!("Printer {} ({}) removed.", d.name, d.id);
        }
    }
    Ok(())
}
