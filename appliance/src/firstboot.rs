//! First boot: `pullprint serve` on a data folder with no site serves the
//! setup pages (`web_admin::setup`) on its web listeners, and nothing
//! else, until an admin has set the site up with the one-time setup code
//! printed here. Then it returns, and start-up goes on as on any other day.
//! `pullprint init` stays the scripted way to the same end.

use crate::config::{Config, live};
use crate::datadir::DataDir;
use crate::{init, privdrop};
use anyhow::{Context, Result};
use local_connector::crypto::{ct_eq, random_bytes};
use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use web_admin::setup::{FirstBoot, SetupForm, SetupOutcome};

/// Wrong codes after which a new one is issued.
const MAX_WRONG_CODES: u32 = 5;
/// Letters and digits that cannot be mistaken for one another.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A new setup code: 16 characters (80 bits) in four groups.
fn new_code() -> String {
    let raw = random_bytes::<16>();
    let chars: Vec<char> = raw.iter().map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A code as typed, for comparing: upper case, no spaces or dashes.
fn normal(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

#[derive(Default)]
struct State {
    code: String,
    wrong: u32,
    /// Set up: the recovery password and the token its confirmation carries.
    done: Option<(zeroize::Zeroizing<String>, String)>,
    finished: bool,
}

struct Setup {
    cfg: Config,
    state: Mutex<State>,
    announce: Box<dyn Fn(&str) + Send + Sync>,
    finished: tokio::sync::Notify,
}

/// The names a field lists, split at spaces and commas.
fn list(s: &str) -> Vec<String> {
    s.split([' ', ',', '\n', '\t']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

fn valid_hostname(h: &str) -> bool {
    h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

impl Setup {
    fn check(&self, f: &SetupForm) -> Result<(Vec<String>, Vec<IpAddr>), web_admin::KeyedWords> {
        let mut problems = Vec::new();
        let mut bad = |k: &str, w: String| problems.push((k.to_owned(), w));
        if f.username.is_empty()
            || f.username.len() > 64
            || !f.username.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            bad("username", "The user name must be 1 to 64 letters, digits, dots, dashes or underscores.".into());
        }
        if f.password.chars().count() < 12 {
            bad("password", "The password must be at least 12 characters long.".into());
        } else if f.password != f.password2 {
            bad("password2", "The two passwords differ.".into());
        }
        let hostnames = list(&f.hostnames);
        for h in hostnames.iter().filter(|h| !valid_hostname(h)) {
            bad(
                "hostnames",
                format!("{h:?} is not a host name (letters, digits and dashes, in dot-separated labels)."),
            );
        }
        let mut addresses = Vec::new();
        for a in list(&f.addresses) {
            match a.parse::<IpAddr>() {
                Ok(ip) => addresses.push(ip),
                Err(_) => bad("addresses", format!("{a:?} is not an IP address.")),
            }
        }
        if problems.is_empty() { Ok((hostnames, addresses)) } else { Err(problems) }
    }

    fn create(
        &self,
        f: &SetupForm,
        hostnames: Vec<String>,
        addresses: Vec<IpAddr>,
    ) -> Result<zeroize::Zeroizing<String>> {
        let mut cfg = self.cfg.clone();
        for h in hostnames {
            if !cfg.hostnames.contains(&h) {
                cfg.hostnames.push(h);
            }
        }
        for a in addresses {
            if !cfg.addresses.contains(&a) {
                cfg.addresses.push(a);
            }
        }
        // Whoever runs this (the service user, privileges dropped) owns the site.
        let recovery = init::init(&cfg, init::Owner::Invoker)?;
        let dd = DataDir::new(&cfg.data_dir);
        let mut table = toml::Table::new();
        let names = cfg.hostnames.iter().map(|h| toml::Value::String(h.clone())).collect();
        live::set(&mut table, "site.hostnames", toml::Value::Array(names));
        let addrs = cfg.addresses.iter().map(|a| toml::Value::String(a.to_string())).collect();
        live::set(&mut table, "site.addresses", toml::Value::Array(addrs));
        let text = toml::to_string(&table).context("writing the names")?;
        local_connector::durable::write_atomic(&crate::settings::path(&dd), text.as_bytes(), 0o600)?;
        let users = local_connector::directory::LocalDirectory::open(&dd.users())?;
        users.add_user(&f.username, "Administrator", None, &f.password, &["PullprintAdmins"])?;
        let key = dd.load_site_key()?;
        let audit = local_connector::audit::AuditLog::open(&dd.audit(), key.audit_key())?;
        audit.append(
            local_connector::audit::Entry::new(&f.username, "admin", "first-boot setup", "setup.done")
                .target(&cfg.hostnames.join(" "))
                .outcome("ok", "the site, its certificates and this administrator were made"),
        )?;
        Ok(recovery)
    }
}

impl FirstBoot for Setup {
    fn set_up(&self, f: SetupForm) -> SetupOutcome {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.finished {
            return SetupOutcome::Failed("Setup is finished; sign in to the console.".into());
        }
        if !ct_eq(normal(&f.code).as_bytes(), normal(&st.code).as_bytes()) {
            st.wrong += 1;
            log::warn!("setup: a wrong setup code was typed ({} of {MAX_WRONG_CODES})", st.wrong);
            // Guessing is slow, and a few wrong guesses end the code.
            std::thread::sleep(std::time::Duration::from_secs(1));
            if st.wrong >= MAX_WRONG_CODES {
                st.code = new_code();
                st.wrong = 0;
                (self.announce)(&st.code);
                return SetupOutcome::WrongCode(
                    "That setup code is wrong, too many times: a new one is on the appliance's console now.".into(),
                );
            }
            return SetupOutcome::WrongCode(
                "That setup code is wrong; it is on the appliance's console and in its journal.".into(),
            );
        }
        // Set up already, not yet finished (the page was reloaded): the
        // holder of the code may see the password again.
        if let Some((recovery, token)) = &st.done {
            return SetupOutcome::Done { recovery: recovery.clone(), finish_token: token.clone() };
        }
        let (hostnames, addresses) = match self.check(&f) {
            Ok(v) => v,
            Err(p) => return SetupOutcome::Invalid(p),
        };
        match self.create(&f, hostnames, addresses) {
            Ok(recovery) => {
                log::info!("setup: the site was set up, with the administrator {}", f.username);
                let token = hex::encode(random_bytes::<16>());
                st.done = Some((recovery.clone(), token.clone()));
                SetupOutcome::Done { recovery, finish_token: token }
            }
            Err(e) => {
                log::error!("setup failed: {e:#}");
                SetupOutcome::Failed(format!("Setup failed: {e:#}"))
            }
        }
    }

    fn finish(&self, token: &str) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ok = st.done.as_ref().is_some_and(|(_, t)| ct_eq(t.as_bytes(), token.as_bytes()));
        if ok && !st.finished {
            st.finished = true;
            st.done = None; // the recovery password is wiped
            self.finished.notify_one();
            log::info!("setup: finished; starting the services");
        }
        ok
    }
}

/// Where a person reaches the setup page: the configured host names, or
/// else each address the web listeners took; a wildcard listener stands for
/// every address of the machine's interfaces (`ifaces`), loopback last.
fn setup_urls(hostnames: &[String], bound: &[std::net::SocketAddr], ifaces: &[IpAddr]) -> Vec<String> {
    let url = |host: &str, port: u16| match port {
        443 => format!("https://{host}/setup"),
        p => format!("https://{host}:{p}/setup"),
    };
    let port = bound.first().map_or(443, std::net::SocketAddr::port);
    if !hostnames.is_empty() {
        return hostnames.iter().map(|h| url(h, port)).collect();
    }
    let mut hosts: Vec<(IpAddr, u16)> = Vec::new();
    for a in bound {
        let ips: Vec<IpAddr> = if a.ip().is_unspecified() {
            let v6 = a.is_ipv6();
            // A wildcard IPv4 listener takes IPv4 only; an IPv6 one may take both.
            ifaces.iter().copied().filter(|i| v6 || i.is_ipv4()).collect()
        } else {
            vec![a.ip()]
        };
        for ip in ips {
            if !hosts.contains(&(ip, a.port())) {
                hosts.push((ip, a.port()));
            }
        }
    }
    hosts.sort_by_key(|(ip, _)| (ip.is_loopback(), ip.is_ipv6()));
    let urls: Vec<String> = hosts
        .into_iter()
        .map(|(ip, p)| match ip {
            IpAddr::V4(v4) => url(&v4.to_string(), p),
            IpAddr::V6(v6) => url(&format!("[{v6}]"), p),
        })
        .collect();
    if urls.is_empty() { vec![url("THIS-APPLIANCES-ADDRESS", port)] } else { urls }
}

/// The machine's addresses people can reach: those its routes to the rest
/// of the network leave from. A UDP socket "connected" to a documentation
/// address (RFC 5737, RFC 3849) sends nothing, yet takes the source address
/// the kernel would use; this needs no netlink socket and no /proc/net,
/// both of which the daemon's sandbox withholds. A network with no route
/// beyond its own subnet gives nothing here; the image's console sign-in
/// screen shows the address then.
fn interface_addresses() -> Vec<IpAddr> {
    let mut out = Vec::new();
    for (bind, probe) in [("0.0.0.0:0", "192.0.2.1:9"), ("[::]:0", "[2001:db8::1]:9")] {
        let Ok(sock) = std::net::UdpSocket::bind(bind) else { continue };
        if sock.connect(probe).is_ok()
            && let Ok(local) = sock.local_addr()
            && !local.ip().is_unspecified()
        {
            out.push(local.ip());
        }
    }
    out
}

/// Serve first-boot setup on `web` until an admin finishes it. Run as root,
/// it first gives the data folder to the service user and drops to it, so
/// that nothing facing the network runs as root.
pub fn run(cfg: &Config, web: &[std::net::TcpListener], max_per_address: usize) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    // The serial console, opened while still root (best effort: a VM may have none).
    let console = std::fs::OpenOptions::new().write(true).open("/dev/console").ok();
    if nix::unistd::getuid().is_root() {
        let to = privdrop::lookup(&cfg.service_user)?;
        local_connector::durable::create_dir_durable(&dd.root, 0o700)?;
        std::os::unix::fs::lchown(&dd.root, Some(to.uid), Some(to.gid))
            .with_context(|| format!("giving {} to the service user", dd.root.display()))?;
    }
    privdrop::drop_privileges(&cfg.service_user).context("first-boot setup: drop privileges")?;
    let (tls, cert_pem, fingerprint) = crate::certs::setup_identity(&cfg.hostnames, &cfg.addresses)?;
    let run_dir = dd.root.join("run");
    local_connector::durable::create_dir_durable(&run_dir, 0o700)?;
    local_connector::durable::write_atomic(&run_dir.join("setup.crt"), cert_pem.as_bytes(), 0o644)?;
    let bound: Vec<std::net::SocketAddr> = web.iter().filter_map(|l| l.local_addr().ok()).collect();
    let addrs: Vec<String> = bound.iter().map(|a| a.to_string()).collect();
    let urls = setup_urls(&cfg.hostnames, &bound, &interface_addresses()).join("\n      ");
    let console = Mutex::new(console);
    let announce = move |code: &str| {
        let text = format!(
            "\n  PULLPRINT FIRST BOOT: there is no site yet.\n  \
             Open this page in a browser and enter the setup code below:\n\n      {urls}\n\n      {code}\n\n  \
             The setup page's certificate is temporary; check that its SHA-256 fingerprint is\n  {fingerprint}\n"
        );
        log::warn!(
            "first boot: open {} and enter the setup code {code} (certificate SHA-256 {fingerprint})",
            urls.replace("\n      ", " or ")
        );
        println!("{text}");
        if let Some(c) = console.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            let _ = c.write_all(text.as_bytes());
        }
    };
    let code = new_code();
    announce(&code);
    let setup = Arc::new(Setup {
        cfg: cfg.clone(),
        state: Mutex::new(State { code, ..State::default() }),
        announce: Box::new(announce),
        finished: tokio::sync::Notify::new(),
    });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let ready = serde_json::to_vec(&serde_json::json!({ "web": addrs }))?;
    rt.block_on(async {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let (alive, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
        let router = local_connector::net::small_requests(web_admin::setup::router(setup.clone()));
        for l in web {
            local_connector::net::serve(
                local_connector::net::Listener {
                    socket: l.try_clone()?,
                    tls: Some(tokio_rustls::TlsAcceptor::from(tls.clone())),
                    router: router.clone(),
                    max_per_address,
                    header_timeout: local_connector::net::REQUEST_DEADLINE,
                },
                stop_rx.clone(),
                alive.clone(),
            )?;
        }
        drop(alive);
        local_connector::durable::write_atomic(&run_dir.join("setup.json"), &ready, 0o600)?;
        // Under systemd the unit is up: it waits for a person, and its
        // watchdog is fed meanwhile. Start-up says READY again when it serves.
        crate::notify::ready("first-boot setup: waiting for an administrator at /setup");
        if let Some(every) = crate::notify::watchdog_interval() {
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                loop {
                    crate::notify::watchdog();
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = stop.changed() => return,
                    }
                }
            });
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        let finished = tokio::select! {
            _ = setup.finished.notified() => true,
            _ = term.recv() => false,
            _ = interrupt.recv() => false,
        };
        // Let the last page reach the browser, then close the setup listeners.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let _ = stop_tx.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), all_done.recv()).await;
        let _ = std::fs::remove_file(run_dir.join("setup.json"));
        let _ = std::fs::remove_file(run_dir.join("setup.crt"));
        if finished { Ok(()) } else { anyhow::bail!("stopped during first-boot setup; nothing was set up") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unambiguous_and_compared_as_people_type_them() {
        let c = new_code();
        assert_eq!(c.len(), 19);
        assert!(c.replace('-', "").bytes().all(|b| CODE_ALPHABET.contains(&b)), "{c}");
        assert_ne!(new_code(), c);
        assert_eq!(normal(&format!(" {} ", c.to_lowercase().replace('-', " "))), normal(&c));
        assert!(valid_hostname("print.example.com") && valid_hostname("pp-01"));
        assert!(!valid_hostname("-bad") && !valid_hostname("a..b") && !valid_hostname("x y"));
        assert_eq!(list("a, b  c,,d"), vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn the_setup_url_names_what_a_person_can_reach() {
        let any: std::net::SocketAddr = "0.0.0.0:443".parse().expect("address");
        let ifaces: Vec<IpAddr> =
            ["127.0.0.1", "10.0.2.15", "fd00::5"].iter().map(|a| a.parse().expect("address")).collect();
        assert_eq!(setup_urls(&[], &[any], &ifaces), ["https://10.0.2.15/setup", "https://127.0.0.1/setup"]);
        let any6: std::net::SocketAddr = "[::]:8443".parse().expect("address");
        assert_eq!(
            setup_urls(&[], &[any6], &ifaces),
            ["https://10.0.2.15:8443/setup", "https://[fd00::5]:8443/setup", "https://127.0.0.1:8443/setup"]
        );
        let one: std::net::SocketAddr = "127.0.0.1:18443".parse().expect("address");
        assert_eq!(setup_urls(&[], &[one], &ifaces), ["https://127.0.0.1:18443/setup"]);
        assert_eq!(setup_urls(&["print.example".into()], &[any], &ifaces), ["https://print.example/setup"]);
        assert_eq!(setup_urls(&[], &[any], &[]), ["https://THIS-APPLIANCES-ADDRESS/setup"]);
    }
}
