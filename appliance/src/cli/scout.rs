//! `pullprint scout`: a one-shot sweep that needs no daemon, prints what
//! it found, and writes nothing.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use local_connector::scout::agent::{AuthProtocol, Credentials, PrivProtocol, Secret, Timing, V3};
use local_connector::scout::range::{Range, Targets};
use local_connector::scout::report::PrinterReport;
use local_connector::scout::sweep::{self, Found, Outcome};
use serde::Serialize;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub(super) enum ScoutCommand {
    /// Sweep address ranges for printers and print what each one reports.
    Scan(Box<ScanArgs>),
    /// List the printers the daemon's scout has found, with their state,
    /// supplies and alerts, and whether each is registered (secured).
    List {
        /// Print JSON: one object per printer.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub(super) struct ScanArgs {
    /// Addresses to sweep: CIDR (10.1.2.0/24), a span (10.1.2.10-10.1.2.99) or one address.
    #[arg(required = true, value_name = "RANGE")]
    ranges: Vec<String>,
    /// Addresses never to contact, in the same forms; exclusions always win.
    #[arg(long, value_name = "RANGE")]
    exclude: Vec<String>,
    /// The agents' UDP port.
    #[arg(long, default_value_t = 161)]
    port: u16,
    /// SNMP version for a community: 1 or 2c.
    #[arg(long, value_name = "V", default_value = "2c", conflicts_with = "v3_user")]
    snmp_version: String,
    /// SNMPv1/v2c community (default `public`). Visible to other local users
    /// while the command runs: prefer --community-file.
    #[arg(long, value_name = "C", conflicts_with_all = ["community_file", "v3_user"])]
    community: Option<String>,
    /// Read the community from the first line of this file.
    #[arg(long, value_name = "FILE", conflicts_with = "v3_user")]
    community_file: Option<PathBuf>,
    /// SNMPv3 user name (USM); switches the sweep to SNMPv3.
    #[arg(long, value_name = "U")]
    v3_user: Option<String>,
    /// SNMPv3 authentication: MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512.
    #[arg(long, value_name = "P", requires = "v3_user")]
    v3_auth_proto: Option<String>,
    /// SNMPv3 authentication passphrase.
    #[arg(long, value_name = "K", requires = "v3_auth_proto", conflicts_with = "v3_auth_key_file")]
    v3_auth_key: Option<String>,
    /// Read the SNMPv3 authentication passphrase from this file.
    #[arg(long, value_name = "FILE", requires = "v3_auth_proto")]
    v3_auth_key_file: Option<PathBuf>,
    /// SNMPv3 privacy: DES, AES (AES-128), AES-192 or AES-256.
    #[arg(long, value_name = "P", requires = "v3_auth_proto")]
    v3_priv_proto: Option<String>,
    /// SNMPv3 privacy passphrase.
    #[arg(long, value_name = "K", requires = "v3_priv_proto", conflicts_with = "v3_priv_key_file")]
    v3_priv_key: Option<String>,
    /// Read the SNMPv3 privacy passphrase from this file.
    #[arg(long, value_name = "FILE", requires = "v3_priv_proto")]
    v3_priv_key_file: Option<PathBuf>,
    /// SNMPv3 context name (some agents serve each device in its own context).
    #[arg(long, value_name = "NAME", requires = "v3_user", default_value = "")]
    v3_context: String,
    /// First-contact packets per second.
    #[arg(long, value_name = "PPS", default_value_t = sweep::DEFAULT_RATE)]
    rate: u32,
    /// Printers read at once.
    #[arg(long, value_name = "N", default_value_t = sweep::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// How long to wait for each answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    timeout: u64,
    /// How often to ask again before an address counts as silent.
    #[arg(long, value_name = "N", default_value_t = 1)]
    retries: u32,
    /// Only ask each agent who it is and whether it is a printer, in one packet: no full reads.
    #[arg(long)]
    identify_only: bool,
    /// Print one JSON array with one object per printer found.
    #[arg(long)]
    json: bool,
}

pub(super) fn scout(cfg: &crate::config::Config, command: ScoutCommand) -> anyhow::Result<()> {
    match command {
        ScoutCommand::Scan(args) => scan(&args),
        ScoutCommand::List { json } => list(cfg, json),
    }
}

/// One found printer as `scout list --json` prints it.
#[derive(Serialize)]
struct Listed<'a> {
    /// The registered printer's name, when one is registered at its address.
    registered: Option<String>,
    /// `secured` (registered with a live credential) or `found, not secured`.
    state: &'static str,
    #[serde(flatten)]
    seen: &'a local_connector::scout::inventory::Seen,
}

fn list(cfg: &crate::config::Config, json: bool) -> anyhow::Result<()> {
    let dd = crate::datadir::DataDir::new(&cfg.data_dir);
    if !dd.scout().exists() {
        // The daemon makes the folder, as its own user; this command only reads.
        if json {
            println!("[]");
        } else {
            println!("Device Scout has found no printer yet (ranges: {}).", cfg.scout.ranges.len());
        }
        return Ok(());
    }
    let inventory = local_connector::scout::inventory::Inventory::open(&dd.scout(), cfg.scout.low_supply_percent)?;
    let book = inventory.snapshot()?;
    let devices = super::devices::open(&dd)?.list();
    let rows: Vec<Listed<'_>> = book
        .printers
        .values()
        .map(|seen| {
            let a = seen.address.to_string();
            let d = devices.iter().find(|d| d.address == a || d.address.rsplit_once(':').is_some_and(|(h, _)| h == a));
            Listed {
                registered: d.map(|d| d.name.clone()),
                state: if d.is_some_and(|d| !d.credential.is_empty()) { "secured" } else { "found, not secured" },
                seen,
            }
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("Device Scout has found no printer yet (ranges: {}).", cfg.scout.ranges.len());
    }
    for r in &rows {
        let s = r.seen;
        println!(
            "{}  {} {}  [{}{}]",
            s.address,
            s.report.vendor,
            s.report.model,
            r.state,
            r.registered.as_deref().map(|n| format!(" as {n}")).unwrap_or_default()
        );
        for a in &s.alerts {
            println!("    alert {} {}: {}", a.kind, a.subject, a.detail);
        }
        if let Some(e) = &s.error {
            println!("    last read failed: {e}");
        }
    }
    Ok(())
}

fn secret_from(value: Option<&String>, file: Option<&PathBuf>, what: &str) -> anyhow::Result<Option<Secret>> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f).with_context(|| format!("reading the {what} from {}", f.display()))?;
        let line = text.lines().next().unwrap_or_default().trim_end_matches('\r');
        if line.is_empty() {
            bail!("{} holds no {what} on its first line", f.display());
        }
        return Ok(Some(Secret::new(line)));
    }
    Ok(value.map(|v| Secret::new(v.as_str())))
}

fn credentials(a: &ScanArgs) -> anyhow::Result<Credentials> {
    let Some(user) = &a.v3_user else {
        let community =
            secret_from(a.community.as_ref(), a.community_file.as_ref(), "community")?.unwrap_or(Secret::new("public"));
        return match a.snmp_version.as_str() {
            "1" | "v1" => Ok(Credentials::V1(community)),
            "2c" | "v2c" => Ok(Credentials::V2c(community)),
            other => bail!("--snmp-version {other}: use 1 or 2c (or --v3-user for SNMPv3)"),
        };
    };
    let auth = match &a.v3_auth_proto {
        None => None,
        Some(p) => {
            let proto = AuthProtocol::parse(p)
                .with_context(|| format!("--v3-auth-proto {p}: use MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512"))?;
            let key = secret_from(a.v3_auth_key.as_ref(), a.v3_auth_key_file.as_ref(), "authentication key")?
                .context("--v3-auth-proto needs --v3-auth-key or --v3-auth-key-file")?;
            if key.expose().len() < 8 {
                bail!("the SNMPv3 authentication key must be at least 8 characters (RFC 3414)");
            }
            Some((proto, key))
        }
    };
    let privacy = match &a.v3_priv_proto {
        None => None,
        Some(p) => {
            let proto = PrivProtocol::parse(p)
                .with_context(|| format!("--v3-priv-proto {p}: use DES, AES, AES-192 or AES-256"))?;
            let key = secret_from(a.v3_priv_key.as_ref(), a.v3_priv_key_file.as_ref(), "privacy key")?
                .context("--v3-priv-proto needs --v3-priv-key or --v3-priv-key-file")?;
            if key.expose().len() < 8 {
                bail!("the SNMPv3 privacy key must be at least 8 characters (RFC 3414)");
            }
            Some((proto, key))
        }
    };
    Ok(Credentials::V3(V3 { user: user.clone(), auth, privacy, context: a.v3_context.clone() }))
}

/// One printer as `--json` prints it: its address, then its report.
#[derive(Serialize)]
struct Row<'a> {
    address: Ipv4Addr,
    #[serde(flatten)]
    report: &'a PrinterReport,
}

fn scan(a: &ScanArgs) -> anyhow::Result<()> {
    let parse = |list: &[String]| -> anyhow::Result<Vec<Range>> {
        list.iter().map(|r| r.parse::<Range>().map_err(|e| anyhow::anyhow!("{r}: {e}"))).collect()
    };
    let targets = Targets::new(&parse(&a.ranges)?, &parse(&a.exclude)?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let credentials = credentials(a)?;
    let options = sweep::Options {
        port: a.port,
        rate: a.rate,
        concurrency: a.concurrency,
        timing: Timing { timeout: Duration::from_millis(a.timeout.max(1)), retries: a.retries },
        identify_only: a.identify_only,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut found: Vec<Found> = Vec::new();
    let stats = runtime.block_on(sweep::sweep(&targets, &credentials, &options, |f| found.push(f)))?;
    found.sort_by_key(|f| f.address);
    for f in &found {
        if let Outcome::Failed { error } = &f.outcome {
            eprintln!("{}: {error}", f.address);
        }
    }
    let printers: Vec<Row<'_>> = found
        .iter()
        .filter_map(|f| match &f.outcome {
            Outcome::Printer(r) => Some(Row { address: f.address, report: r }),
            _ => None,
        })
        .collect();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&printers)?);
    } else {
        for p in &printers {
            print_printer(p);
        }
        for f in &found {
            if let Outcome::NotAPrinter { description } = &f.outcome {
                println!("{}  not a printer: {}", f.address, first_line(description));
            }
        }
    }
    eprintln!(
        "swept {} addresses in {:.1} s ({} {}, {} first-contact packets): {} printers, {} other agents, {} failed, {} silent",
        stats.addresses,
        stats.elapsed_ms as f64 / 1000.0,
        credentials.version(),
        if a.identify_only { "identify only" } else { "full read" },
        stats.packets,
        stats.printers,
        stats.not_printers,
        stats.failed,
        stats.silent
    );
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

fn print_printer(p: &Row<'_>) {
    let r = p.report;
    let level = |l: &local_connector::scout::report::Level| match l {
        local_connector::scout::report::Level::Percent(n) => format!("{n} %"),
        local_connector::scout::report::Level::Some => "some left".to_owned(),
        local_connector::scout::report::Level::Unknown => "unknown".to_owned(),
    };
    println!("{}  {} {}  ({})", p.address, r.vendor, r.model, if r.colour { "colour" } else { "mono" });
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".to_owned());
    println!("    serial {}  mac {}  firmware {}", opt(&r.serial), opt(&r.mac), opt(&r.firmware));
    println!("    location {}", opt(&r.location));
    println!(
        "    status {} / {}{}",
        r.status.device,
        r.status.printer,
        if r.status.errors.is_empty() { String::new() } else { format!(" ({})", r.status.errors.join(", ")) }
    );
    if let Some(n) = r.page_count {
        println!("    pages {n}");
    }
    for s in &r.supplies {
        println!("    supply {}: {}", s.description, level(&s.level));
    }
    for t in &r.trays {
        println!("    tray {}: {}", t.name, level(&t.level));
    }
    for a in &r.alerts {
        println!("    alert {}: {}", a.severity, a.description);
    }
    for d in &r.display {
        println!("    display \"{d}\"");
    }
}
