//! `pullprint device ...`: the printers whose panels may call the appliance.
//! Registering a printer secures it: it gets a device credential, shown
//! once, that its panel presents on every request. The running daemon sees
//! each change at once; revoking a device ends its panel sessions on their
//! next request.

use super::credentials::CardEncoding;
use crate::config::Config;
use crate::datadir::DataDir;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use local_connector::badge::{Encoding, ReaderProfile};
use local_connector::printers::{Device, Devices, NewCredential, Vendor};
use std::path::PathBuf;

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
    /// Show everything about a printer: release settings, what it declared, dangers.
    Show {
        /// Id, name or address.
        device: String,
    },
    /// Write QR labels for release from a phone: a PDF sheet of labels (8 to
    /// a page, to cut out) or, as a PNG, the QR code of one printer alone.
    Label {
        /// Ids, names or addresses.
        #[arg(required_unless_present = "all")]
        devices: Vec<String>,
        /// Every registered printer.
        #[arg(long, conflicts_with = "devices")]
        all: bool,
        /// FILE.pdf for a label sheet, FILE.png for one printer's code.
        #[arg(long, value_name = "FILE.pdf|FILE.png")]
        out: PathBuf,
        /// The sheet: a4 or letter.
        #[arg(long, default_value = "a4", value_parser = ["a4", "letter"])]
        paper: String,
    },
    /// Give a printer a new label id: its printed labels stop working (for a
    /// label stolen or copied). Print its new label with `device label`.
    RotateLabel {
        /// Id, name or address.
        device: String,
    },
    /// Say how released jobs reach a printer, and where it stands.
    Set {
        /// Id, name or address.
        device: String,
        /// Where it stands, for people and its label ("3rd floor, by the kitchen").
        #[arg(long)]
        location: Option<String>,
        /// Its printer URI, e.g. ipps://printer.example:631/ipp/print (`default`: ipps://ADDRESS:631/ipp/print).
        #[arg(long)]
        uri: Option<String>,
        /// Pin the printer's TLS certificate: its SHA-256 in hex, or a PEM file holding it.
        #[arg(long, value_name = "SHA256|FILE", conflicts_with = "no_tls_pin")]
        tls_pin: Option<String>,
        /// Drop the pin: the printer's certificate must chain to the internal CA or release.ca_file.
        #[arg(long)]
        no_tls_pin: bool,
        /// DANGEROUS: plaintext transports this printer may use: ipp, socket (comma-separated; `none` clears).
        #[arg(long, value_delimiter = ',', value_name = "ipp,socket|none")]
        dangerous_allow: Option<Vec<String>>,
        /// DANGEROUS: trust the first certificate the printer presents, then pin it (true/false).
        #[arg(long, value_name = "true|false")]
        dangerous_trust_first_use: Option<bool>,
    },
}

/// A pin from `--tls-pin`: hex, or the SHA-256 of the first certificate in a PEM file.
fn parse_pin(v: &str) -> Result<String> {
    let hexish = v.replace(':', "").to_ascii_lowercase();
    if hexish.len() == 64 && hexish.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Ok(hexish);
    }
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let pem = std::fs::read(v).with_context(|| format!("{v:?} is neither a SHA-256 in hex nor a readable PEM file"))?;
    let cert = CertificateDer::pem_slice_iter(&pem)
        .next()
        .ok_or_else(|| anyhow::anyhow!("{v}: no certificate in it"))?
        .map_err(|e| anyhow::anyhow!("{v}: {e}"))?;
    Ok(local_connector::release::tls::fingerprint(&cert))
}

fn show(d: &Device) {
    use local_connector::release::uri::PrinterUri;
    let uri = d
        .release
        .uri
        .clone()
        .or_else(|| PrinterUri::default_for(&d.address).ok().map(|u| u.to_string()))
        .unwrap_or_default();
    println!("Printer {} ({}, {} at {})", d.name, d.id, d.vendor.name(), d.address);
    println!("  release URI        {uri}{}", if d.release.uri.is_none() { "  (default)" } else { "" });
    let trust = match (&d.release.tls_pin, d.release.dangerous_trust_first_use) {
        (Some(p), _) => format!("pinned certificate SHA-256 {p}"),
        (None, true) => "DANGEROUS: the first certificate it presents".into(),
        (None, false) => "a certificate from the internal CA or release.ca_file".into(),
    };
    println!("  TLS trust          {trust}");
    let allow = if d.release.dangerous_allow.is_empty() {
        "none (IPPS only)".to_owned()
    } else {
        format!("DANGEROUS: {}", d.release.dangerous_allow.join(", "))
    };
    println!("  plaintext allowed  {allow}");
    println!("  panel mutual TLS   {}", if d.client_cert.is_some() { "required" } else { "no" });
    match &d.release.capabilities {
        Some(c) => {
            println!("  model              {}", c.make_and_model.as_deref().unwrap_or("(not said)"));
            println!("  formats            {}", c.formats.join(", "));
            println!("  colour             {}", c.color.map_or("(not said)", |b| if b { "yes" } else { "no" }));
            println!("  sides              {}", c.sides.join(", "));
        }
        None => println!("  capabilities       not known yet (learned at its first release)"),
    }
}

/// `pullprint deploy PRINTER --secure | --unsecure`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["secure", "unsecure"])))]
pub struct DeployArgs {
    /// The printer: its registered name, id or address (or, to secure a new one, its address).
    printer: String,
    /// Secure the printer: register it (or issue a new credential) and print every step.
    #[arg(long)]
    secure: bool,
    /// Unsecure the printer: forget it, and print the steps to undo on the printer.
    #[arg(long)]
    unsecure: bool,
    /// hp, km, lexmark, ricoh or xerox (needed for a printer not yet registered).
    #[arg(long)]
    vendor: Option<String>,
    /// Name for a printer not yet registered (default: its address).
    #[arg(long)]
    name: Option<String>,
    /// Also require mutual TLS: issue the printer a client certificate from
    /// the internal CA, which it must present on every panel connection.
    #[arg(long, requires = "secure", conflicts_with = "credential_only")]
    mutual_tls: bool,
    /// Stop requiring the printer's client certificate (the credential alone).
    #[arg(long, requires = "secure")]
    credential_only: bool,
    /// Where `--mutual-tls` writes the certificate and its key (default: the current folder).
    #[arg(long, value_name = "DIR", requires = "mutual_tls")]
    cert_out: Option<PathBuf>,
}

/// Run `pullprint deploy`.
pub fn deploy(cfg: &Config, a: DeployArgs) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    // The client certificate is issued and written as the admin who runs
    // this, into their folder, before this process becomes the service user:
    // the key is theirs to install on the printer, never the appliance's.
    let client = match a.mutual_tls {
        true => Some(write_client_identity(&dd, &a)?),
        false => None,
    };
    crate::privdrop::become_owner_of(&dd.root)?;
    let reg = open(&dd)?;
    let existing = reg.find(&a.printer);
    if a.unsecure {
        let Some(d) = existing else { bail!("no printer {:?} is registered; nothing to unsecure", a.printer) };
        reg.remove(&d.id)?;
        let p = local_connector::vendors::profile(d.vendor);
        println!(
            "Printer {} ({} at {}) is no longer secured: its credential is gone.\n",
            d.name,
            d.vendor.name(),
            d.address
        );
        println!("On the printer:");
        for (i, (step, f)) in p.unsecure_steps.iter().enumerate() {
            println!("  {}. {step} [{}]", i + 1, f.tag());
        }
        println!("\nThe printer's inbound rule for TCP {} to the appliance can be removed.", panel_port(cfg));
        return Ok(());
    }
    let (d, cred) = match existing {
        Some(d) => {
            println!(
                "Printer {} is already registered; issuing a new credential (the old one stops working).\n",
                d.name
            );
            reg.rotate(&d.id)?
        }
        None => {
            let Some(vendor) = a.vendor.as_deref().and_then(Vendor::parse) else {
                bail!(
                    "{:?} is not registered: say which vendor it is with --vendor hp|km|lexmark|ricoh|xerox",
                    a.printer
                );
            };
            let name = a.name.clone().unwrap_or_else(|| a.printer.clone());
            reg.add(&name, vendor, &a.printer, ReaderProfile::default())?
        }
    };
    if let Some((_, _, sha)) = &client {
        reg.pin_client_cert(&d.id, Some(sha.clone()))?;
    } else if a.credential_only {
        reg.pin_client_cert(&d.id, None)?;
    }
    let d = reg.find(&d.id).unwrap_or(d);
    let p = local_connector::vendors::profile(d.vendor);
    let base = panel_base(cfg);
    println!(
        "Securing {} ({} at {}, {}).
",
        d.name,
        d.vendor.name(),
        d.address,
        d.id
    );
    println!("1. Network: allow these connections.");
    for port in p.ports {
        let dir = if port.inbound { "printer   -> appliance" } else { "appliance -> printer  " };
        let port_no = if port.inbound && port.port == 4321 { panel_port(cfg) } else { port.port };
        println!("     {dir} TCP {port_no:<5}  {} [{}]", port.purpose, port.fidelity.tag());
    }
    println!("\n2. On the printer ({}):", p.integration);
    for (i, (step, f)) in p.secure_steps.iter().enumerate() {
        println!("     {}. {step} [{}]", i + 1, f.tag());
    }
    let shell_name = if d.name.contains(' ') { format!("'{}'", d.name) } else { d.name.clone() };
    println!("\n3. Settings to enter:");
    println!("     CA certificate     {}/tls/ca.crt  (also {}/ca.crt)", cfg.data_dir.display(), web_base(cfg));
    println!("     Panel app URL      {base}/panel/app/start?device={}", cred.reveal());
    println!("     Panel API          {base}/panel/v1/");
    println!("     Credential         {}", cred.reveal());
    if let Some((crt, key, sha)) = &client {
        println!("\n4. Mutual TLS: install this client certificate on the printer, for its outgoing TLS connections.");
        println!("     Certificate        {}", crt.display());
        println!("     Private key        {}  (the only copy: delete it once installed)", key.display());
        println!("     SHA-256            {sha}");
        println!(
            "   Printers that import PKCS#12: openssl pkcs12 -export -in {} -inkey {} -out {}.p12",
            crt.display(),
            key.display(),
            d.id
        );
        println!("   Panel requests without this certificate are refused, even with the credential.");
    } else if d.client_cert.is_some() {
        println!(
            "\nMutual TLS stays required: the printer keeps presenting its client certificate \
             (`--credential-only` stops requiring it, `--mutual-tls` issues a new one)."
        );
    }
    println!("\nThe credential is shown only now; `pullprint deploy {shell_name} --secure` issues a new one.");
    Ok(())
}

/// Issue the printer's client certificate and write it and its key (0600)
/// to `--cert-out`; their paths and the certificate's SHA-256.
fn write_client_identity(dd: &DataDir, a: &DeployArgs) -> Result<(PathBuf, PathBuf, String)> {
    let name = a.name.as_deref().unwrap_or(&a.printer);
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let c = crate::certs::issue_client(&dd.tls(), name)?;
    let dir = a.cert_out.clone().unwrap_or_else(|| PathBuf::from("."));
    let crt = dir.join(format!("{slug}-client.crt"));
    let key = dir.join(format!("{slug}-client.key"));
    let write = |p: &PathBuf, bytes: &[u8], mode| {
        local_connector::durable::write_atomic(p, bytes, mode)
            .with_context(|| format!("writing the printer's client certificate to {}", p.display()))
    };
    write(&key, c.key_pem.as_bytes(), 0o600)?;
    write(&crt, c.cert_pem.as_bytes(), 0o644)?;
    Ok((crt, key, c.sha256))
}

/// The panel port: as configured, or as bound by the running daemon when
/// the configuration says 0 (any free port).
/// The port of the first `listen` address; for port 0, the one the
/// system chose, as the running daemon says (`run/endpoints.json`).
fn listening_port(
    cfg: &Config,
    listen: &[std::net::SocketAddr],
    which: fn(&crate::startup::Endpoints) -> Option<u16>,
) -> Option<u16> {
    match listen.first().map(|a| a.port()) {
        Some(0) => std::fs::read(DataDir::new(&cfg.data_dir).root.join("run/endpoints.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<crate::startup::Endpoints>(&b).ok())
            .and_then(|e| which(&e))
            .or(Some(0)),
        p => p,
    }
}

fn panel_port(cfg: &Config) -> u16 {
    listening_port(cfg, &cfg.panel_listen, |e| e.panel.first().map(|a| a.port())).unwrap_or(4321)
}

fn host(cfg: &Config) -> String {
    crate::startup::public_host(cfg)
}

fn web_base(cfg: &Config) -> String {
    match listening_port(cfg, &cfg.web_listen, |e| e.web.first().map(|a| a.port())) {
        Some(443) | None => format!("https://{}", host(cfg)),
        Some(p) => format!("https://{}:{p}", host(cfg)),
    }
}

/// Where a panel reaches the appliance.
pub fn panel_base(cfg: &Config) -> String {
    format!("https://{}:{}", host(cfg), panel_port(cfg))
}

pub(super) fn open(dd: &DataDir) -> Result<Devices> {
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
        panel_port(cfg),
    );
}

/// Labels for `devices` (or every printer) into `out`: a PDF sheet, or a
/// PNG of one printer's code. The file was created before the privilege drop.
fn write_labels(
    cfg: &Config,
    reg: &Devices,
    (devices, all, paper): (Vec<String>, bool, &str),
    (out, path): (std::fs::File, &std::path::Path),
) -> Result<()> {
    use local_connector::labels;
    let keys: Vec<String> = if all { reg.list().into_iter().map(|d| d.id).collect() } else { devices };
    let mut chosen = Vec::new();
    let base = web_base(cfg);
    for k in &keys {
        chosen.push(reg.label_for(k, &base)?);
    }
    let png = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    let bytes = match (png, chosen.as_slice()) {
        (true, [one]) => labels::png(&one.url, 10)?,
        (true, _) => bail!("a PNG holds the code of one printer; for several, write a PDF sheet"),
        (false, _) => labels::pdf(&chosen, labels::Paper::parse(paper).unwrap_or(labels::Paper::A4))?,
    };
    let mut out = out;
    out.set_len(0)
        .and_then(|()| std::io::Write::write_all(&mut out, &bytes))
        .and_then(|()| out.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    let n = chosen.len();
    println!(
        "Wrote {} for {n} printer{} to {}.",
        if png { "a QR code" } else { "a label sheet" },
        if n == 1 { "" } else { "s" },
        path.display()
    );
    for l in &chosen {
        println!("  {:<24} {}", l.name, l.url);
    }
    Ok(())
}

/// Run a `pullprint device` command.
pub fn device(cfg: &Config, cmd: DeviceCommand) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    // A label file is the admin's, in their folder: made before this
    // process becomes the service user.
    let out = match &cmd {
        DeviceCommand::Label { out, devices, all, .. } => {
            let ext = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
            if !matches!(ext.as_deref(), Some("pdf" | "png")) {
                bail!("--out must name a .pdf (a label sheet) or a .png (one printer's code)");
            }
            if ext.as_deref() == Some("png") && (*all || devices.len() != 1) {
                bail!("a PNG holds the code of one printer; for several, write a PDF sheet");
            }
            // What is asked for must exist before a file is made (finding a
            // printer reads the registry only, and needs no key).
            let known = Devices::open(&dd.devices(), [0; 32])?;
            if let Some(k) = devices.iter().find(|k| known.find(k).is_none()) {
                bail!("no printer {k:?} is registered");
            }
            if *all && known.list().is_empty() {
                bail!("no printer is registered yet");
            }
            // Not truncated yet: a label that cannot be made leaves a file
            // already there as it was.
            let existed = out.exists();
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(out)
                .with_context(|| format!("creating {}", out.display()))?;
            Some((f, existed))
        }
        _ => None,
    };
    crate::privdrop::become_owner_of(&dd.root)?;
    let reg = open(&dd)?;
    match cmd {
        DeviceCommand::Label { devices, all, out: path, paper } => {
            let (file, existed) = out.ok_or_else(|| anyhow::anyhow!("no output file"))?;
            if let Err(e) = write_labels(cfg, &reg, (devices, all, &paper), (file, &path)) {
                if !existed {
                    let _ = std::fs::remove_file(&path);
                }
                return Err(e);
            }
        }
        DeviceCommand::RotateLabel { device } => {
            let d = reg.rotate_label(&device)?;
            let url = local_connector::labels::release_url(&web_base(cfg), d.label.as_deref().unwrap_or_default());
            println!(
                "Printer {} has a new label: {url}
Its old labels stop working now; print the new one with `pullprint device label`.",
                d.name
            );
        }
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
            println!("{:<12} {:<24} {:<16} {:<22} {:<14} LAST SEEN", "ID", "NAME", "VENDOR", "ADDRESS", "STATE");
            for d in reg.list() {
                let state = match (d.credential.is_empty(), d.client_cert.is_some()) {
                    (true, _) => "revoked",
                    (false, true) => "secured+mTLS",
                    (false, false) => "secured",
                };
                let seen = if d.last_seen == 0 {
                    "never".to_owned()
                } else {
                    humantime::format_rfc3339_seconds(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(d.last_seen),
                    )
                    .to_string()
                };
                println!("{:<12} {:<24} {:<16} {:<22} {:<14} {seen}", d.id, d.name, d.vendor.name(), d.address, state);
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
        DeviceCommand::Show { device } => {
            let d = reg.find(&device).ok_or_else(|| anyhow::anyhow!("no printer {device:?} is registered"))?;
            show(&d);
        }
        DeviceCommand::Set {
            device,
            location,
            uri,
            tls_pin,
            no_tls_pin,
            dangerous_allow,
            dangerous_trust_first_use,
        } => {
            use local_connector::release::uri::PrinterUri;
            if let Some(l) = &location {
                reg.set_location(&device, l)?;
            }
            let uri = match uri.as_deref() {
                Some("default") => Some(None),
                Some(u) => Some(Some(PrinterUri::parse(u).map_err(|e| anyhow::anyhow!("--uri: {e}"))?.to_string())),
                None => None,
            };
            let pin = match (tls_pin.as_deref(), no_tls_pin) {
                (Some(p), _) => Some(Some(parse_pin(p)?)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let allow = match dangerous_allow {
                Some(v) if v.iter().any(|a| a == "none") => Some(Vec::new()),
                Some(v) => {
                    for a in &v {
                        if !matches!(a.as_str(), "ipp" | "socket") {
                            bail!("--dangerous-allow takes ipp, socket or none, not {a:?}");
                        }
                    }
                    Some(v)
                }
                None => None,
            };
            let d = reg.update_release(&device, |r| {
                if let Some(u) = uri {
                    r.uri = u;
                }
                if let Some(p) = pin {
                    r.tls_pin = p;
                }
                if let Some(a) = allow {
                    r.dangerous_allow = a;
                }
                if let Some(t) = dangerous_trust_first_use {
                    r.dangerous_trust_first_use = t;
                }
            })?;
            show(&d);
            for w in local_connector::printers::dangerous_settings(std::slice::from_ref(&d)) {
                println!("\nWARNING: {w}.");
            }
        }
    }
    Ok(())
}
