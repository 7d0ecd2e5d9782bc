//! `pullprint serve` (and the daemon half of `pullprint demo`): the one
//! start-up sequence that wires the crates together. It holds no handler
//! and no protocol server; each step names itself in its error:
//!
//! 1. raise the soft limit on open files to the hard one, and bind every
//!    listener (still root, if started as root);
//! 2. check the data folder is private to the account we will run as;
//! 3. load the site key and the TLS identity;
//! 4. drop privileges (see [`crate::privdrop`]);
//! 5. open the job store (which reconciles its index with the job files),
//!    the directory, the credentials and the printer registry;
//! 6. start the runtime, serve every listener through the shared accept
//!    loop ([`local_connector::net`]), start the background tasks (among
//!    them [`crate::certs::renewal`], which serves a renewed server
//!    certificate without a restart), tell systemd READY=1.
//!
//! On SIGTERM or SIGINT it stops accepting, lets in-flight requests finish
//! (up to `service.shutdown_grace`), flushes the store and exits 0.

use crate::certs::ServerIdentity;
use crate::config::Config;
use crate::datadir::DataDir;
use crate::{notify, privdrop};
use anyhow::{Context, Result};
use local_connector::auth::Auth;
use local_connector::auth::basic::Authenticator;
use local_connector::crypto::KeyParams;
use local_connector::ipp::server::{IppState, Transport};
use local_connector::net::Listener;
use local_connector::panel::Panel;
use local_connector::printers::Devices;
use local_connector::release::Engine;
use local_connector::store::{JobStore, StoreOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;

fn bind(addr: SocketAddr) -> Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

fn bind_all(addrs: &[SocketAddr]) -> Result<Vec<std::net::TcpListener>> {
    addrs.iter().map(|a| bind(*a)).collect::<Result<_>>().context("step 1, bind listeners")
}

fn bound(ls: &[std::net::TcpListener]) -> Vec<SocketAddr> {
    ls.iter().filter_map(|l| l.local_addr().ok()).collect()
}

/// Open files the daemon needs beside its connections: the store, logs,
/// printers and directory connections.
const FILES_BESIDE_CONNECTIONS: u64 = 1024;

/// Raise the soft limit on open files to the hard limit, as servers do: a
/// soft limit of 1,024 (the usual default) would make accept fail long
/// before the listeners' caps (`net::MAX_CONNECTIONS` each) are reached.
/// The call is made only when the soft limit is lower, so a unit that sets
/// both (`LimitNOFILE=`) needs no system call allowed for it. Says so when
/// even the hard limit is short of what the listeners can hold.
fn raise_open_file_limit(listeners: usize) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return };
    let mut now = soft;
    if soft < hard {
        match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => {
                log::info!("open files: soft limit raised from {soft} to {hard}");
                now = hard;
            }
            Err(e) => log::warn!("open files: could not raise the soft limit {soft} to {hard}: {e}"),
        }
    }
    let need =
        (listeners as u64).saturating_mul(local_connector::net::MAX_CONNECTIONS as u64) + FILES_BESIDE_CONNECTIONS;
    if now < need {
        log::warn!(
            "open files: the limit is {now}, the listeners can hold {need} at once; \
             accepting fails beyond it (raise LimitNOFILE)"
        );
    }
}

/// How the daemon was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `pullprint serve`: drops root to `service.user`.
    Production,
    /// `pullprint demo`: runs as whoever started it, on loopback.
    Demo,
}

/// Where the running daemon listens, written to `<data dir>/run/endpoints.json`
/// once it serves (its presence means "ready"),
/// so that `pullprint status` and tests find it (also with port 0).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Endpoints {
    /// Bound HTTPS addresses of the console/health listener.
    pub web: Vec<SocketAddr>,
    /// Bound IPPS addresses of the print queue.
    #[serde(default)]
    pub ipp: Vec<SocketAddr>,
    /// Bound plain-IPP addresses (`dangerous.plain_ipp_listen`).
    #[serde(default)]
    pub plain_ipp: Vec<SocketAddr>,
    /// Bound panel-service addresses.
    #[serde(default)]
    pub panel: Vec<SocketAddr>,
    /// Process id of the daemon.
    pub pid: u32,
}

/// Run the daemon until SIGTERM/SIGINT. `banner` is printed once it is ready.
pub fn serve(cfg: &Config, mode: Mode, banner: Option<String>) -> Result<()> {
    // A test build that can kill itself at named steps says so first, and
    // fails now on a PULLPRINT_FAULT that names no fault point.
    if local_connector::fault::BUILT_IN {
        log::warn!("TEST BUILD: this daemon has fault points (PULLPRINT_FAULT); never run it in production");
        local_connector::fault::announce();
    }
    // 1. Listeners, and the open files their connections need.
    let listeners =
        cfg.web_listen.len() + cfg.ipp_listen.len() + cfg.dangerous_plain_ipp.len() + cfg.panel_listen.len();
    raise_open_file_limit(listeners);
    let sockets = Sockets {
        web: bind_all(&cfg.web_listen)?,
        ipps: bind_all(&cfg.ipp_listen)?,
        plain_ipp: bind_all(&cfg.dangerous_plain_ipp)?,
        panel: bind_all(&cfg.panel_listen)?,
    };
    // 2. Data folder privacy, judged for the account we will run as.
    let dd = DataDir::new(&cfg.data_dir);
    if !dd.is_initialised() {
        if mode != Mode::Production {
            anyhow::bail!("{} is not initialised; run `pullprint init` first", dd.root.display());
        }
        // First boot: the setup pages until an admin has made the site.
        crate::firstboot::run(cfg, &sockets.web, cfg.max_per_address)?;
    }
    // The settings changed in the console, over the configuration file's.
    let live = crate::settings::at_start(cfg, &dd);
    let cfg = &live.0.clone();
    if !dd.site_key().exists() {
        // Say "locked" before anything else: a restored folder lacks more than the key.
        dd.load_site_key().context("step 2, check the data folder")?;
    }
    let target_uid = if mode == Mode::Production && nix::unistd::getuid().is_root() {
        privdrop::lookup(&cfg.service_user)?.uid
    } else {
        nix::unistd::getuid().as_raw()
    };
    dd.check_private(target_uid).context("step 2, check the data folder")?;
    // 3. Keys.
    let site = dd.load_site_key().context("step 3, load the site key")?;
    let params = dd.read_params()?;
    let identity = ServerIdentity::load(&dd.tls()).context("step 3, load the TLS identity")?;
    let tls = TlsAcceptor::from(identity.server_config(&[b"http/1.1"])?);
    let ipp_tls = TlsAcceptor::from(identity.ipp_server_config(&[b"http/1.1"])?);
    // Panels may present a client certificate from the internal CA (mutual
    // TLS, for the printers secured that way); others need none.
    let panel_tls = TlsAcceptor::from(identity.panel_server_config(&[b"http/1.1"])?);
    // The directory's CA and service password are read while still root, so
    // that their files can be readable by root alone.
    let ad = cfg.active_directory().context("step 3, read the Active Directory settings")?;
    // Device Scout's communities and SNMPv3 keys, for the same reason.
    let scout_settings = Arc::new(cfg.scout_settings().context("step 3, read Device Scout's settings")?);
    // And the tenant's credentials.
    let tenant = cfg.tenant_config().context("step 3, read the tenant's settings")?;
    let printer_roots = local_connector::release::tls::roots(&identity.ca_pem, cfg.release.ca_file.as_deref())
        .context("step 3, read the CAs for printers' certificates")?;
    // 4. Privileges. The process is still single-threaded here.
    match mode {
        Mode::Production => {
            privdrop::drop_privileges(&cfg.service_user).context("step 4, drop privileges")?;
        }
        Mode::Demo => nix::sys::prctl::set_no_new_privs().context("step 4, set no_new_privs")?,
    }
    let endpoints = Endpoints {
        web: bound(&sockets.web),
        ipp: bound(&sockets.ipps),
        plain_ipp: bound(&sockets.plain_ipp),
        panel: bound(&sockets.panel),
        pid: std::process::id(),
    };
    // Written once the daemon serves (see `run`): its presence means "ready".
    let run_dir = dd.root.join("run");
    local_connector::durable::create_dir_durable(&run_dir, 0o700)?;
    let _ = std::fs::remove_file(run_dir.join("endpoints.json"));
    // 5. Store, directory, credentials, printers.
    let (store, reconciled) = JobStore::open(
        StoreOptions {
            dir: dd.store(),
            retention: cfg.retention,
            max_job_bytes: cfg.max_job_bytes,
            min_free_bytes: cfg.min_free_bytes,
            index_cache_bytes: cfg.index_cache_bytes,
            outbox: Some(cfg.outbox_options(site.pseudonym_key(), site.outbox_key())),
        },
        &site,
    )
    .context("step 5, open the job store")?;
    let directory =
        Arc::new(local_connector::directory::LocalDirectory::open(&dd.users()).context("step 5, open the directory")?);
    let credentials = Arc::new(
        local_connector::auth::credentials::Credentials::open(&dd.credentials(), site.card_secret())
            .context("step 5, open the badges and PINs")?,
    );
    let policy =
        Arc::new(local_connector::auth::policy::PolicyFile::open(&dd.policy()).context("step 5, open the policy")?);
    let auth_state =
        local_connector::auth::state::AuthState::open(&dd.auth_state()).context("step 5, open the lockout table")?;
    let devices =
        Arc::new(Devices::open(&dd.devices(), site.token_secret()).context("step 5, open the printer registry")?);
    let inventory = Arc::new(
        local_connector::scout::inventory::Inventory::open(&dd.scout(), scout_settings.low_supply_percent)
            .context("step 5, open Device Scout's inventory")?,
    );
    let tokens = Arc::new(
        local_connector::tokens::TokenStore::open(&dd.tokens(), site.token_secret())
            .context("step 5, open the print tokens")?,
    );
    let phones = Arc::new(
        local_connector::phones::PhoneStore::open(&dd.phones(), site.token_secret())
            .context("step 5, open the bound phones")?,
    );
    let audit =
        local_connector::audit::AuditLog::open(&dd.audit(), site.audit_key()).context("step 5, open the audit log")?;
    let pseudonyms = local_connector::audit::Pseudonyms::new(site.pseudonym_key());
    let lockout_secret = zeroize::Zeroizing::new(site.lockout_secret());
    drop(site);
    let queue = Arc::new(build_queue(cfg, &endpoints, &params, &store)?);
    if let Some(a) = &ad {
        log::info!("Active Directory: {}", a.config().urls.join(", "));
    }
    let service = Arc::new(Auth::new(directory, ad, credentials, policy, auth_state, cfg.auth, *lockout_secret));
    drop(lockout_secret);
    let auth = Arc::new(Authenticator::new(service.clone(), tokens));
    let live = Arc::new(crate::settings::Live::new(&dd, live, store.clone(), service.clone()));
    let engine = Engine::new(
        store.clone(),
        devices.clone(),
        local_connector::release::Settings {
            roots: printer_roots,
            connect_timeout: cfg.release.connect_timeout,
            busy_retry_for: cfg.release.busy_retry_for,
            lost_contact_after: cfg.release.lost_contact_after,
            poll_interval: cfg.release.poll_interval,
            keep_printed_for: cfg.release.keep_printed_for,
        },
        Some(audit.clone()),
    )
    .with_scout(scout_settings.clone());
    let panel = Arc::new(
        Panel::new(service.clone(), devices.clone(), store.clone(), cfg.panel_session_idle)
            .with_release_wake(engine.clone())
            .with_audit(audit.clone()),
    );
    let ipp = IppState {
        queue,
        auth: auth.clone(),
        trusted: Arc::new(cfg.dangerous_trusted_subnets.clone()),
        body_idle: cfg.ipp_body_idle,
    };
    let dangerous = cfg.dangerous_settings();
    for d in &dangerous {
        log::warn!("DANGEROUS SETTING ON: {d}");
    }
    log::info!("job store open: {} parked jobs; reconciliation {reconciled:?}", store.len());
    // 6. Runtime.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("pullprint").build()?;
    let sync_site = if cfg.tenant.site.is_empty() { params.site_id.clone() } else { cfg.tenant.site.clone() };
    let facts = web_admin::Facts {
        params,
        ca_pem: identity.ca_pem.clone(),
        min_free: cfg.min_free_bytes,
        dangerous,
        certificate: identity.cert.clone(),
        status_token: web_admin::StatusToken::create(&run_dir.join("status.token"))
            .context("step 6, write run/status.token")?,
        settings: live.clone(),
        panel_base: format!("https://{}:{}", public_host(cfg), endpoints.panel.first().map_or(4321, SocketAddr::port)),
        web_base: match endpoints.web.first().map_or(443, SocketAddr::port) {
            443 => format!("https://{}", public_host(cfg)),
            port => format!("https://{}:{port}", public_host(cfg)),
        },
        queue: (
            match endpoints.ipp.first().map_or(631, SocketAddr::port) {
                631 => format!("ipps://{}/ipp/print", public_host(cfg)),
                port => format!("ipps://{}:{port}/ipp/print", public_host(cfg)),
            },
            cfg.printer_name.clone(),
        ),
        system: Arc::new(crate::system::System::new(
            &dd,
            identity.cert.clone(),
            (cfg.hostnames.clone(), cfg.addresses.clone()),
            cfg.key_type,
        )),
    };
    let renewal = crate::certs::renewal::Renewal::new(
        &dd.tls(),
        crate::certs::renewal::Names {
            hostnames: cfg.hostnames.clone(),
            addresses: cfg.addresses.clone(),
            key_type: cfg.key_type,
        },
        identity.cert.clone(),
    );
    let site = Arc::new(
        web_admin::Site::new(store.clone(), devices.clone(), auth, (audit, pseudonyms), facts)
            .with_scout(inventory.clone(), !scout_settings.ranges.is_empty())
            .with_phones(web_admin::PhoneDesk::new(panel.clone(), phones)),
    );
    let ready =
        Ready { banner, path: run_dir.join("endpoints.json"), json: serde_json::to_vec(&endpoints)?, endpoints };
    let history = live.history_ms();
    let scout = (scout_settings, inventory);
    let tenant = (tenant, sync_site);
    let parts =
        Parts { site, ipp, panel, engine, devices, store: store.clone(), service, renewal, history, scout, tenant };
    rt.block_on(run(cfg, sockets, Acceptors { web: tls, ipp: ipp_tls, panel: panel_tls }, parts, ready))?;
    store.flush_index()?;
    log::info!("stopped");
    Ok(())
}

/// The printer URIs and description of the IPP queue, from the configuration
/// and the ports actually bound.
fn build_queue(
    cfg: &Config,
    ep: &Endpoints,
    params: &KeyParams,
    store: &JobStore,
) -> Result<local_connector::ipp::Queue> {
    let ipp_port = ep.ipp.first().map(|a| a.port()).unwrap_or(631);
    let web_port = ep.web.first().map(|a| a.port()).unwrap_or(443);
    let mut hosts: Vec<String> = cfg.hostnames.clone();
    hosts.extend(cfg.addresses.iter().map(|a| if a.is_ipv6() { format!("[{a}]") } else { a.to_string() }));
    if hosts.is_empty() {
        hosts.push("localhost".into());
    }
    let port = |p: u16, default: u16| if p == default { String::new() } else { format!(":{p}") };
    let uris = hosts.iter().map(|h| format!("ipps://{h}{}/ipp/print", port(ipp_port, 631))).collect();
    let s = &params.site_id;
    let uuid = if s.len() == 32 {
        format!("urn:uuid:{}-{}-4{}-8{}-{}", &s[0..8], &s[8..12], &s[13..16], &s[17..20], &s[20..32])
    } else {
        "urn:uuid:00000000-0000-4000-8000-000000000000".into()
    };
    let facts = local_connector::ipp::printer::PrinterFacts {
        name: cfg.printer_name.clone(),
        uris,
        uuid,
        more_info: format!("https://{}{}/", hosts[0], port(web_port, 443)),
        location: cfg.printer_location.clone(),
        organization: cfg.site_name.clone(),
        up_time: 1,
        started_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        queued: 0,
        capacity_percent: 100,
        accepting: true,
    };
    let limits = local_connector::ipp::QueueLimits {
        max_jobs_per_user: usize::try_from(cfg.max_jobs_per_user).unwrap_or(usize::MAX),
        max_bytes_per_user: cfg.max_bytes_per_user,
    };
    Ok(local_connector::ipp::Queue::new(store.clone(), facts, limits)?)
}

/// What to announce once serving: the banner to print, and the endpoints
/// file whose presence means "ready".
struct Ready {
    banner: Option<String>,
    path: std::path::PathBuf,
    json: Vec<u8>,
    endpoints: Endpoints,
}

/// The bound sockets, by what they serve.
struct Sockets {
    web: Vec<std::net::TcpListener>,
    ipps: Vec<std::net::TcpListener>,
    plain_ipp: Vec<std::net::TcpListener>,
    panel: Vec<std::net::TcpListener>,
}

/// TLS for each kind of listener.
struct Acceptors {
    web: TlsAcceptor,
    ipp: TlsAcceptor,
    panel: TlsAcceptor,
}

/// The services the listeners and background tasks run on.
struct Parts {
    site: Arc<web_admin::Site>,
    ipp: IppState,
    panel: Arc<Panel>,
    engine: Arc<Engine>,
    devices: Arc<Devices>,
    store: JobStore,
    service: Arc<Auth>,
    renewal: crate::certs::renewal::Renewal,
    /// `store.history_retention` in ms, which the console may change.
    history: Arc<std::sync::atomic::AtomicU64>,
    /// Device Scout: its settings and its inventory.
    scout: (Arc<local_connector::scout::schedule::Settings>, Arc<local_connector::scout::inventory::Inventory>),
    /// The tenant, and this site's name in its keys.
    tenant: (cloud_sync::tenant::TenantConfig, String),
}

async fn run(
    cfg: &Config,
    sockets: Sockets,
    Acceptors { web: tls, ipp: ipp_tls, panel: panel_tls }: Acceptors,
    Parts { site, ipp, panel, engine, devices, store, service, renewal, history, scout, tenant }: Parts,
    Ready { banner, path: ready_path, json: ready_json, endpoints }: Ready,
) -> Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection holds a clone of `alive`; when all are dropped, shutdown is complete.
    let (alive, mut all_done) = mpsc::channel::<()>(1);
    // The panel and web ports take small requests: their headers get the
    // same deadline as the rest of the request. IPP clients keep
    // connections idle between requests for long (`ipp.idle_timeout`).
    let small = local_connector::net::REQUEST_DEADLINE;
    let serve = |socket: std::net::TcpListener, tls: Option<&TlsAcceptor>, (router, header_timeout)| {
        let max_per_address = cfg.max_per_address;
        local_connector::net::serve(
            Listener { socket, tls: tls.cloned(), router, max_per_address, header_timeout },
            stop_rx.clone(),
            alive.clone(),
        )
    };
    let web = local_connector::net::small_requests(web_admin::router(site.clone()));
    for (l, a) in sockets.web.into_iter().zip(&endpoints.web) {
        log::info!("listening on https://{a}");
        serve(l, Some(&tls), (web.clone(), small))?;
    }
    let ipp_router = local_connector::ipp::server::router(ipp);
    for (l, a) in sockets.ipps.into_iter().zip(&endpoints.ipp) {
        log::info!("IPP queue on ipps://{a}/ipp/print");
        serve(l, Some(&ipp_tls), (ipp_router.clone().layer(axum::Extension(Transport::Tls)), cfg.ipp_idle_timeout))?;
    }
    for (l, a) in sockets.plain_ipp.into_iter().zip(&endpoints.plain_ipp) {
        log::warn!("UNENCRYPTED IPP queue on ipp://{a}/ipp/print (dangerous.plain_ipp_listen)");
        serve(l, None, (ipp_router.clone().layer(axum::Extension(Transport::Plain)), cfg.ipp_idle_timeout))?;
    }
    let panel_router = local_connector::net::small_requests(local_connector::panel::server::router(panel.clone()));
    for (l, a) in sockets.panel.into_iter().zip(&endpoints.panel) {
        log::info!("panel services on https://{a}/panel/v1/");
        serve(l, Some(&panel_tls), (panel_router.clone(), small))?;
    }
    drop(alive);
    // Releases cut short by a stop or a crash are taken up again.
    engine.resume();
    // Cloud sync: the outbox drained into the tenant; the scout's changes
    // and hourly health records fed into it; with job copies on, jobs roam
    // between the tenant's sites.
    let roaming = crate::sync::start(&tenant, &store, &scout.1, cfg.tenant.sync_every, &stop_rx)?;
    if let Some(r) = &roaming {
        panel.set_roaming(r.clone());
    }
    let control = local_connector::release::control::Control { store: store.clone(), devices, wake: engine, roaming };
    local_connector::release::control::serve(
        local_connector::release::control::socket_path(&cfg.data_dir),
        control,
        stop_rx.clone(),
    )?;
    if let Some(settings) = &cfg.ad {
        tokio::spawn(service.clone().watch_directory(settings.check_interval));
    }
    spawn_every(cfg.sweep_interval, stop_rx.clone(), move |_| {
        let s = store.clone();
        let history = history.load(std::sync::atomic::Ordering::Relaxed);
        async move {
            let swept = tokio::task::spawn_blocking(move || {
                let jobs = s.sweep_expired_now();
                let before = local_connector::clock::now_ms().saturating_sub(history);
                (jobs, s.prune_history(before))
            })
            .await;
            match swept {
                Ok((jobs, history)) => {
                    match jobs {
                        Ok(0) => {}
                        Ok(n) => log::info!("retention: shredded {n} expired job(s)"),
                        Err(e) => log::error!("retention sweep failed: {e}"),
                    }
                    match history {
                        Ok(0) => {}
                        Ok(n) => log::info!("retention: forgot {n} usage record(s) past store.history_retention"),
                        Err(e) => log::error!("history retention failed: {e}"),
                    }
                }
                Err(e) => log::error!("retention sweep panicked: {e}"),
            }
        }
    });
    // Device Scout: discovery sweeps, reads of known printers and their
    // meters, each when due; checked every minute.
    if !scout.0.ranges.is_empty() {
        spawn_every(SCOUT_CHECK_EVERY, stop_rx.clone(), move |_| {
            let (settings, inventory) = scout.clone();
            async move {
                if let Err(e) =
                    local_connector::scout::schedule::tick(&settings, &inventory, local_connector::clock::now_ms).await
                {
                    log::error!("scout: {e}");
                }
            }
        });
    }
    // The audit log's hash chain: walked at start and every hour, so that
    // the console shows whether it still verifies.
    let audit = site.audit().clone();
    spawn_every(AUDIT_CHECK_EVERY, stop_rx.clone(), move |_| {
        let a = audit.clone();
        async move {
            if let Err(e) = tokio::task::spawn_blocking(move || a.check()).await {
                log::error!("audit check panicked: {e}");
            }
        }
    });
    // The server certificate: at start and every few seconds, serve new
    // files and renew one that is due (see `certs::renewal`).
    let renewal = Arc::new(std::sync::Mutex::new(renewal));
    spawn_every(crate::certs::renewal::CHECK_EVERY, stop_rx.clone(), move |_| {
        let r = renewal.clone();
        async move {
            let checked = tokio::task::spawn_blocking(move || {
                r.lock().unwrap_or_else(|p| p.into_inner()).check(std::time::SystemTime::now())
            })
            .await;
            if let Err(e) = checked {
                log::error!("certificate check panicked: {e}");
            }
        }
    });
    // Forget ended panel sessions every minute, and lockout entries whose
    // time has passed every ten, so both stay small.
    spawn_every(Duration::from_secs(60), stop_rx.clone(), move |n| {
        panel.sweep_sessions();
        let service = service.clone();
        async move {
            if n % 10 == 9
                && let Ok(n @ 1..) = tokio::task::spawn_blocking(move || service.prune_lockout()).await
            {
                log::debug!("auth: forgot {n} expired lockout entries");
            }
        }
    });
    if let Some(every) = notify::watchdog_interval() {
        spawn_every(every, stop_rx.clone(), |_| async { notify::watchdog() });
    }

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    local_connector::durable::write_atomic(&ready_path, &ready_json, 0o600)?;
    notify::ready(&format!("serving; {} parked jobs", site.store().len()));
    if let Some(b) = banner {
        let first = |v: &[SocketAddr]| v.first().map(|a| a.to_string()).unwrap_or_default();
        println!(
            "{}",
            b.replace("{web}", &first(&endpoints.web))
                .replace("{ipp}", &first(&endpoints.ipp))
                .replace("{panel}", &first(&endpoints.panel))
        );
    }
    tokio::select! {
        _ = term.recv() => log::info!("SIGTERM: shutting down"),
        _ = interrupt.recv() => log::info!("SIGINT: shutting down"),
    }
    notify::stopping();
    let _ = stop_tx.send(true);
    if tokio::time::timeout(cfg.shutdown_grace, all_done.recv()).await.is_err() {
        log::warn!("some connections did not finish within {:?}; closing them", cfg.shutdown_grace);
    }
    Ok(())
}

/// How often Device Scout checks whether a sweep or a read is due.
const SCOUT_CHECK_EVERY: Duration = Duration::from_secs(60);

/// How often the audit log's whole hash chain is walked.
const AUDIT_CHECK_EVERY: Duration = Duration::from_secs(3600);

/// Run `tick(n)` every `every` (the first at once), n counting from 0,
/// until `stop` changes.
fn spawn_every<F, Fut>(every: Duration, mut stop: watch::Receiver<bool>, mut tick: F)
where
    F: FnMut(u64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        for n in 0u64.. {
            tokio::select! {
                _ = interval.tick() => tick(n).await,
                _ = stop.changed() => return,
            }
        }
    });
}

/// The name printers and people reach the appliance by: the first of
/// `site.hostnames`, else of `site.addresses`.
pub(crate) fn public_host(cfg: &Config) -> String {
    cfg.hostnames
        .first()
        .cloned()
        .or_else(|| cfg.addresses.first().map(|a| if a.is_ipv6() { format!("[{a}]") } else { a.to_string() }))
        .unwrap_or_else(|| "localhost".into())
}
