//! `pullprint demo`: the whole appliance on its embedded default, with
//! demo users, a demo printer and a banner of every URL a newcomer needs.

use crate::config::Config;
use crate::datadir::DataDir;
use crate::{certs, init, startup};
use anyhow::{Context, Result};
use local_connector::auth::credentials::Credentials;
use local_connector::directory::LocalDirectory;
use local_connector::printers::{Devices, Vendor};
use std::path::{Path, PathBuf};

/// A new private folder in the temporary directory.
pub fn fresh_dir() -> std::io::Result<PathBuf> {
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
    DemoUser {
        name: "helpdesk",
        display: "Demo Helpdesk",
        badge_pin: None,
        groups: &["PrintUsers", "PullprintHelpdesk"],
    },
    DemoUser { name: "auditor", display: "Demo Auditor", badge_pin: None, groups: &["PullprintAuditors"] },
];

/// Set up the demo site (once), then serve it. `config` is the file laid
/// over the demo's defaults, if any.
pub fn run(cfg: &Config, config: Option<&Path>) -> Result<()> {
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
    let devices = Devices::open(&dd.devices(), dd.load_site_key()?.token_secret())?;
    let (_, demo_printer) = match devices.find("Demo printer") {
        Some(d) => devices.rotate(&d.id)?,
        None => {
            let added = devices.add("Demo printer", Vendor::Km, "localhost", Default::default())?;
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
         {config}\
         \x20 Print queue     ipps://{{ipp}}/ipp/print   (IPP Everywhere; sign in as a demo user)\n\
         \x20 Panel services  https://{{panel}}/panel/v1/   (register a printer: pullprint device add)\n\
         \x20 Panel app       https://{{panel}}/panel/app/start?device={printer}\n\
         \x20                 (a demo printer's panel in your browser: type badge 12345678)\n\
         \x20 Demo printer    {DEMO_PRINTER_URI}   (released jobs go there; to receive them run:\n\
         \x20                 ippeveprinter -n localhost -p 8631 -f application/pdf,image/jpeg -K {keys} \\\n\
         \x20                   -c /bin/true -k -d DIR 'Demo printer')\n\
         \x20 Console         https://{{web}}/   (the admin console: sign in as admin, helpdesk or auditor)\n\
         \x20 Health          https://{{web}}/healthz\n\
         \x20 Your PIN        https://{{web}}/me   (set a PIN or get a passcode)\n\
         \x20 Internal CA     https://{{web}}/ca.crt   (also {data}/tls/ca.crt)\n\
         \x20 Cloud tenant    {tenant}   (metadata; encrypted job copies {copies})\n\
         \x20 Status          {exe} status --data-dir {data}\n\
         \x20 Demo users      alice, bob, admin, helpdesk, auditor — password {DEMO_PASSWORD}\n\
         \x20                 alice: badge 12345678, PIN 1234;  bob: badge 87654321, PIN 4321\n",
        data = cfg.data_dir.display(),
        config = config
            .map(|f| format!("  Configuration   {} (over the demo's defaults)\n", f.display()))
            .unwrap_or_default(),
        printer = demo_printer.reveal(),
        tenant = match &cfg.tenant.dir {
            Some(d) if cfg.tenant.kind == "folder" => format!("folder {}", d.display()),
            _ if cfg.tenant.kind == "folder" => format!("folder {}", cfg.data_dir.join("tenant").display()),
            _ => format!("s3 {}/{} at {}", cfg.tenant.bucket, cfg.tenant.prefix, cfg.tenant.endpoint),
        },
        copies = if cfg.tenant.copies { "on" } else { "off" },
        keys = printer_keys.display(),
        exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "pullprint".into()),
    );
    startup::serve(cfg, startup::Mode::Demo, Some(banner))
}
