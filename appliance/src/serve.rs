//! `pullprint serve` (and the daemon half of `pullprint demo`).
//!
//! Start-up is one ordered sequence; each step names itself in its error:
//! 1. bind every listener (still root, if started as root);
//! 2. check the data folder is private to the account we will run as;
//! 3. load the site key and the TLS identity;
//! 4. drop privileges (see [`crate::privdrop`]);
//! 5. open the job store, which reconciles its index with the job files;
//! 6. start the runtime, accept connections, tell systemd READY=1.
//!
//! On SIGTERM or SIGINT it stops accepting, lets in-flight requests finish
//! (up to `service.shutdown_grace`), flushes the store and exits 0.

use crate::certs::ServerIdentity;
use crate::config::Config;
use crate::datadir::DataDir;
use crate::panel_listener::ClientCert;
use crate::{notify, privdrop};
use anyhow::{Context, Result};
use hyper_util::rt::{TokioIo, TokioTimer};
use local_connector::crypto::KeyParams;
use local_connector::store::{JobStore, StoreOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;

/// Most TLS connections served at once on one listener.
const MAX_CONNECTIONS: usize = 4096;
/// A TLS handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may wait for (the headers of) its next request.
/// hyper applies this to idle keep-alive connections too. CUPS clients keep a
/// connection idle while they work on another one (ipptool does so for every
/// included test file) and spin instead of reconnecting when it was closed,
/// so this must be long: cupsd itself allows 900 s. Connections are capped
/// per listener, which bounds what idle clients can hold.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// State the HTTPS front reads.
struct Appliance {
    store: JobStore,
    params: KeyParams,
    started: Instant,
    ca_pem: String,
    min_free: u64,
    dangerous: Vec<String>,
    /// The printers, for their dangerous release settings.
    devices: Arc<local_connector::panel::devices::Devices>,
    auth: Arc<crate::ipp_listener::Authenticator>,
    /// Why Active Directory failed its last check, if it did.
    directory_down: Arc<std::sync::Mutex<Option<String>>>,
}

impl web_admin::Appliance for Appliance {
    fn perform(&self, action: web_admin::Action) -> web_admin::Outcome {
        match action {
            web_admin::Action::Health => web_admin::Outcome::Health(Box::new(self.health())),
            web_admin::Action::CaCertificate => web_admin::Outcome::Pem(self.ca_pem.clone()),
            web_admin::Action::MyTokens { who, op } => self.my_tokens(&who, op),
            web_admin::Action::SetMyPin { who, pin } => self.set_my_pin(&who, &zeroize::Zeroizing::new(pin)),
            web_admin::Action::NewMyPasscode { who } => self.new_my_passcode(&who),
        }
    }
}

impl Appliance {
    /// Sign in with a directory password (called on a blocking thread).
    fn sign_in(&self, who: &web_admin::Credentials) -> Result<local_connector::auth::Identity, web_admin::Outcome> {
        use local_connector::auth::Refusal;
        let attempt = self.auth.auth().password(&who.user, &who.password, who.source);
        match tokio::runtime::Handle::current().block_on(attempt) {
            Ok(id) => Ok(id),
            Err(Refusal::NotRecognised) => {
                log::info!("web: failed sign-in as {:?} from {}", who.user, who.source);
                Err(web_admin::Outcome::Unauthenticated)
            }
            Err(why) => Err(web_admin::Outcome::Refused(why.to_string())),
        }
    }

    /// A user sets their own PIN.
    fn set_my_pin(&self, who: &web_admin::Credentials, pin: &str) -> web_admin::Outcome {
        use local_connector::auth::credentials::CredentialError;
        let id = match self.sign_in(who) {
            Ok(id) => id,
            Err(o) => return o,
        };
        if id.email.is_none() {
            return web_admin::Outcome::Refused(
                "Your account has no e-mail address, which e-mail and PIN sign-in needs; ask IT to add one.".into(),
            );
        }
        match self.auth.auth().set_pin(&id, pin) {
            Ok(()) => web_admin::Outcome::Done,
            Err(e @ (CredentialError::WeakPin(_) | CredentialError::EmailTaken)) => {
                web_admin::Outcome::Refused(e.to_string())
            }
            Err(e) => {
                log::error!("{e}");
                web_admin::Outcome::Failed
            }
        }
    }

    /// A user gets a new passcode.
    fn new_my_passcode(&self, who: &web_admin::Credentials) -> web_admin::Outcome {
        let id = match self.sign_in(who) {
            Ok(id) => id,
            Err(o) => return o,
        };
        match self.auth.auth().issue_passcode(&id) {
            Ok(code) => web_admin::Outcome::Passcode(zeroize::Zeroizing::new(code.reveal().to_owned())),
            Err(e) => {
                log::error!("{e}");
                web_admin::Outcome::Failed
            }
        }
    }

    /// A user's own print tokens, with their directory password.
    fn my_tokens(&self, who: &web_admin::Credentials, op: web_admin::TokenOp) -> web_admin::Outcome {
        use web_admin::{Outcome, TokenOp};
        let user = match self.sign_in(who) {
            Ok(id) => id.login,
            Err(o) => return o,
        };
        let tokens = self.auth.tokens();
        let result = match op {
            TokenOp::List => tokens.list(Some(&user)).map(|l| {
                Outcome::Tokens(
                    l.into_iter()
                        .map(|t| web_admin::TokenView { id: t.id, label: t.label, created_ms: t.created_ms })
                        .collect(),
                )
            }),
            TokenOp::Create { label } => tokens.create(&user, &label).map(|t| {
                log::info!("print token {} created by {user}", t.id);
                Outcome::NewToken(web_admin::NewTokenView {
                    id: t.id.clone(),
                    label: t.label.clone(),
                    token: t.secret.to_string(),
                })
            }),
            TokenOp::Revoke { id } => tokens.revoke(&id, Some(&user)).map(|gone| {
                if gone {
                    log::info!("print token {id} revoked by {user}");
                    Outcome::Done
                } else {
                    Outcome::NotFound
                }
            }),
        };
        match result {
            Ok(o) => o,
            Err(e @ local_connector::tokens::TokenError::TooMany { .. }) => Outcome::Refused(e.to_string()),
            Err(e) => {
                log::error!("{e}");
                Outcome::Failed
            }
        }
    }
}

impl Appliance {
    fn health(&self) -> web_admin::Health {
        let mut problems = Vec::new();
        let free = local_connector::durable::free_bytes(&self.store.options().dir).unwrap_or(0);
        if free < self.min_free {
            problems.push(format!(
                "the data disk has {} MiB free, below the {} MiB reserve: new jobs are refused",
                free >> 20,
                self.min_free >> 20
            ));
        }
        if let Some(why) = self.directory_down.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            problems.push(format!(
                "Active Directory is unreachable ({why}): directory password logins fail; badge, PIN and passcode logins of users seen recently, print tokens and local users still work"
            ));
        }
        web_admin::Health {
            status: if problems.is_empty() { "ok".into() } else { "degraded".into() },
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_s: self.started.elapsed().as_secs(),
            site_id: self.params.site_id.clone(),
            parked_jobs: self.store.len() as u64,
            data_free_bytes: free,
            problems,
            dangerous_settings: self
                .dangerous
                .iter()
                .cloned()
                .chain(local_connector::panel::devices::dangerous_settings(&self.devices.list()))
                .collect(),
            locked_sign_ins: self.auth.auth().locked_count() as u64,
        }
    }
}

/// The CAs that may vouch for printers' certificates: the internal CA, and
/// those in `release.ca_file`.
fn printer_roots(ca_pem: &str, extra: Option<&std::path::Path>) -> Result<Arc<rustls::RootCertStore>> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    let mut add = |pem: &[u8], from: &str| -> Result<()> {
        for c in CertificateDer::pem_slice_iter(pem) {
            roots.add(c.map_err(|e| anyhow::anyhow!("{from}: {e}"))?).map_err(|e| anyhow::anyhow!("{from}: {e}"))?;
        }
        Ok(())
    };
    add(ca_pem.as_bytes(), "tls/ca.crt")?;
    if let Some(p) = extra {
        let pem = std::fs::read(p).with_context(|| format!("reading release.ca_file {}", p.display()))?;
        add(&pem, &p.display().to_string())?;
    }
    Ok(Arc::new(roots))
}

fn bind(addr: SocketAddr) -> Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    l.set_nonblocking(true)?;
    Ok(l)
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
    // 1. Listeners.
    let listeners: Vec<_> =
        cfg.web_listen.iter().map(|a| bind(*a)).collect::<Result<_>>().context("step 1, bind listeners")?;
    let ipp_listeners: Vec<_> =
        cfg.ipp_listen.iter().map(|a| bind(*a)).collect::<Result<_>>().context("step 1, bind listeners")?;
    let plain_listeners: Vec<_> =
        cfg.dangerous_plain_ipp.iter().map(|a| bind(*a)).collect::<Result<_>>().context("step 1, bind listeners")?;
    let panel_listeners: Vec<_> =
        cfg.panel_listen.iter().map(|a| bind(*a)).collect::<Result<_>>().context("step 1, bind listeners")?;
    // 2. Data folder privacy, judged for the account we will run as.
    let dd = DataDir::new(&cfg.data_dir);
    if !dd.is_initialised() {
        anyhow::bail!("{} is not initialised; run `pullprint init` first", dd.root.display());
    }
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
    let tls = identity.server_config(&[b"http/1.1"])?;
    // Panels may present a client certificate from the internal CA (mutual
    // TLS, for the printers secured that way); others need none.
    let panel_tls = identity.panel_server_config(&[b"http/1.1"])?;
    // The directory's CA and service password are read while still root, so
    // that their files can be readable by root alone.
    let ad = cfg.active_directory().context("step 3, read the Active Directory settings")?;
    let printer_roots = printer_roots(&identity.ca_pem, cfg.release.ca_file.as_deref())
        .context("step 3, read the CAs for printers' certificates")?;
    // 4. Privileges. The process is still single-threaded here.
    match mode {
        Mode::Production => {
            privdrop::drop_privileges(&cfg.service_user).context("step 4, drop privileges")?;
        }
        Mode::Demo => nix::sys::prctl::set_no_new_privs().context("step 4, set no_new_privs")?,
    }
    let endpoints = Endpoints {
        web: listeners.iter().filter_map(|l| l.local_addr().ok()).collect(),
        ipp: ipp_listeners.iter().filter_map(|l| l.local_addr().ok()).collect(),
        plain_ipp: plain_listeners.iter().filter_map(|l| l.local_addr().ok()).collect(),
        panel: panel_listeners.iter().filter_map(|l| l.local_addr().ok()).collect(),
        pid: std::process::id(),
    };
    // Written once the daemon serves (see `run`): its presence means "ready".
    let run_dir = dd.root.join("run");
    local_connector::durable::create_dir_durable(&run_dir, 0o700)?;
    let _ = std::fs::remove_file(run_dir.join("endpoints.json"));
    let ready_file = (run_dir.join("endpoints.json"), serde_json::to_vec(&endpoints)?);
    // 5. Store.
    let (store, reconciled) = JobStore::open(
        StoreOptions {
            dir: dd.store(),
            retention: cfg.retention,
            max_job_bytes: cfg.max_job_bytes,
            min_free_bytes: cfg.min_free_bytes,
            index_cache_bytes: cfg.index_cache_bytes,
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
    let devices = Arc::new(
        local_connector::panel::devices::Devices::open(&dd.devices(), site.token_secret())
            .context("step 5, open the printer registry")?,
    );
    let tokens = Arc::new(
        local_connector::tokens::TokenStore::open(&dd.tokens(), site.token_secret())
            .context("step 5, open the print tokens")?,
    );
    let card_secret = zeroize::Zeroizing::new(site.card_secret());
    drop(site);
    let queue = Arc::new(build_queue(cfg, &endpoints, &params, &store)?);
    if let Some(a) = &ad {
        log::info!("Active Directory: {}", a.config().urls.join(", "));
    }
    let ad_probe = ad.clone();
    let service = Arc::new(local_connector::auth::Auth::new(
        directory,
        ad,
        credentials,
        policy,
        auth_state,
        cfg.auth.clone(),
        *card_secret,
    ));
    drop(card_secret);
    let auth = Arc::new(crate::ipp_listener::Authenticator::new(service.clone(), tokens));
    let engine = local_connector::release::Engine::new(
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
    );
    let panel = Arc::new(
        local_connector::panel::Panel::new(service.clone(), devices.clone(), store.clone(), cfg.panel_session_idle)
            .with_engine(engine.clone()),
    );
    let ipp_state = crate::ipp_listener::IppState {
        queue,
        auth: auth.clone(),
        trusted: Arc::new(cfg.dangerous_trusted_subnets.clone()),
    };
    let dangerous = cfg.dangerous_settings();
    for d in &dangerous {
        log::warn!("DANGEROUS SETTING ON: {d}");
    }
    log::info!("job store open: {} parked jobs; reconciliation {reconciled:?}", store.len());
    // 6. Runtime.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("pullprint").build()?;
    let app = Arc::new(Appliance {
        store: store.clone(),
        params,
        started: Instant::now(),
        ca_pem: identity.ca_pem.clone(),
        min_free: cfg.min_free_bytes,
        dangerous,
        devices,
        auth,
        directory_down: Arc::new(std::sync::Mutex::new(None)),
    });
    let all = Listeners { web: listeners, ipps: ipp_listeners, plain_ipp: plain_listeners, panel: panel_listeners };
    if let (Some(ad), Some(settings)) = (ad_probe, &cfg.ad) {
        rt.spawn(watch_directory(
            ad,
            settings.check_interval,
            app.directory_down.clone(),
            service.directory_down_flag(),
        ));
    }
    let ready = Ready { banner, path: ready_file.0, json: ready_file.1 };
    let acceptors = (TlsAcceptor::from(tls), TlsAcceptor::from(panel_tls));
    rt.block_on(run(cfg, all, acceptors, app, (ipp_state, panel), ready))?;
    store.flush_index()?;
    log::info!("stopped");
    Ok(())
}

/// Check Active Directory every `every`, so that health reports an outage
/// (and its end) without waiting for someone to fail a login.
async fn watch_directory(
    ad: local_connector::ad::ActiveDirectory,
    every: Duration,
    down: Arc<std::sync::Mutex<Option<String>>>,
    flag: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = ad.probe().await.err().map(|e| e.to_string());
        flag.store(now.is_some(), std::sync::atomic::Ordering::Relaxed);
        let mut d = down.lock().unwrap_or_else(|p| p.into_inner());
        match (&*d, &now) {
            (None, Some(why)) => log::error!("Active Directory is unreachable: {why}"),
            (Some(_), None) => log::info!("Active Directory is reachable again"),
            _ => {}
        }
        *d = now;
    }
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
}

/// The bound sockets, by what they serve.
struct Listeners {
    web: Vec<std::net::TcpListener>,
    ipps: Vec<std::net::TcpListener>,
    plain_ipp: Vec<std::net::TcpListener>,
    panel: Vec<std::net::TcpListener>,
}

async fn run(
    cfg: &Config,
    Listeners { web: listeners, ipps: ipp_listeners, plain_ipp, panel: panel_listeners }: Listeners,
    (tls, panel_tls): (TlsAcceptor, TlsAcceptor),
    app: Arc<Appliance>,
    (ipp_state, panel): (crate::ipp_listener::IppState, Arc<local_connector::panel::Panel>),
    Ready { banner, path: ready_path, json: ready_json }: Ready,
) -> Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection holds a clone of `alive`; when all are dropped, shutdown is complete.
    let (alive, mut all_done) = mpsc::channel::<()>(1);
    let router = web_admin::router(app.clone());
    let web_bound: Vec<SocketAddr> = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
    let ipp_bound: Vec<SocketAddr> = ipp_listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
    let panel_bound: Vec<SocketAddr> = panel_listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
    for l in listeners {
        let l = tokio::net::TcpListener::from_std(l)?;
        log::info!("listening on https://{}", l.local_addr()?);
        tokio::spawn(accept_loop(l, Some(tls.clone()), router.clone(), stop_rx.clone(), alive.clone()));
    }
    let ipp_router = crate::ipp_listener::router(ipp_state);
    for l in ipp_listeners {
        let l = tokio::net::TcpListener::from_std(l)?;
        log::info!("IPP queue on ipps://{}/ipp/print", l.local_addr()?);
        let r = ipp_router.clone().layer(axum::Extension(crate::ipp_listener::Transport::Tls));
        tokio::spawn(accept_loop(l, Some(tls.clone()), r, stop_rx.clone(), alive.clone()));
    }
    for l in plain_ipp {
        let l = tokio::net::TcpListener::from_std(l)?;
        log::warn!("UNENCRYPTED IPP queue on ipp://{}/ipp/print (dangerous.plain_ipp_listen)", l.local_addr()?);
        let r = ipp_router.clone().layer(axum::Extension(crate::ipp_listener::Transport::Plain));
        tokio::spawn(accept_loop(l, None, r, stop_rx.clone(), alive.clone()));
    }
    // Releases cut short by a stop or a crash are taken up again.
    panel.resume_releases();
    if let Some(engine) = panel.engine() {
        let control =
            crate::control::Control { store: app.store.clone(), devices: app.devices.clone(), engine: engine.clone() };
        let path = crate::control::socket_path(&cfg.data_dir);
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::control::serve(path, control, stop).await {
                log::error!("control socket: {e:#}");
            }
        });
    }
    let panel_router = crate::panel_listener::router(panel.clone());
    for l in panel_listeners {
        let l = tokio::net::TcpListener::from_std(l)?;
        log::info!("panel services on https://{}/panel/v1/", l.local_addr()?);
        tokio::spawn(accept_loop(l, Some(panel_tls.clone()), panel_router.clone(), stop_rx.clone(), alive.clone()));
    }
    drop(alive);

    let sweeper_store = app.store.clone();
    let every = cfg.sweep_interval;
    let mut sweeper_stop = stop_rx.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = sweeper_stop.changed() => return,
            }
            let s = sweeper_store.clone();
            match tokio::task::spawn_blocking(move || s.sweep_expired_now()).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => log::info!("retention: shredded {n} expired job(s)"),
                Ok(Err(e)) => log::error!("retention sweep failed: {e}"),
                Err(e) => log::error!("retention sweep panicked: {e}"),
            }
        }
    });
    // Forget ended panel sessions every minute, and lockout entries whose
    // time has passed every ten, so both stay small.
    let pruning = app.auth.auth().clone();
    let sweeping = panel.clone();
    let mut prune_stop = stop_rx.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut n = 0u64;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = prune_stop.changed() => return,
            }
            sweeping.sweep_sessions();
            n += 1;
            if n.is_multiple_of(10) {
                let p = pruning.clone();
                if let Ok(n @ 1..) = tokio::task::spawn_blocking(move || p.prune_lockout()).await {
                    log::debug!("auth: forgot {n} expired lockout entries");
                }
            }
        }
    });
    if let Some(every) = notify::watchdog_interval() {
        let mut wd_stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = tick.tick() => notify::watchdog(),
                    _ = wd_stop.changed() => return,
                }
            }
        });
    }

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    local_connector::durable::write_atomic(&ready_path, &ready_json, 0o600)?;
    notify::ready(&format!("serving; {} parked jobs", app.store.len()));
    if let Some(b) = banner {
        let first = |v: &[SocketAddr]| v.first().map(|a| a.to_string()).unwrap_or_default();
        println!(
            "{}",
            b.replace("{web}", &first(&web_bound))
                .replace("{ipp}", &first(&ipp_bound))
                .replace("{panel}", &first(&panel_bound))
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

async fn accept_loop(
    listener: tokio::net::TcpListener,
    tls: Option<TlsAcceptor>,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
    alive: mpsc::Sender<()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = stop.changed() => return,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        // Answers go out as soon as they are written: with Nagle's algorithm
        // a response split over two segments waits for the client's delayed
        // ACK (40 ms on Linux) between them.
        let _ = tcp.set_nodelay(true);
        let (tls, router, stop, alive) = (tls.clone(), router.clone(), stop.clone(), alive.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let _alive = alive;
            let Some(tls) = tls else {
                return serve_connection(tcp, router, peer, ClientCert::default(), stop).await;
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                Ok(Ok(s)) => {
                    let client = ClientCert::of(s.get_ref().1.peer_certificates());
                    serve_connection(s, router, peer, client, stop).await
                }
                Ok(Err(e)) => log::debug!("TLS handshake with {peer} failed: {e}"),
                Err(_) => log::debug!("TLS handshake with {peer} timed out"),
            }
        });
    }
}

/// Serve HTTP/1.1 on one connection until the client is done or shutdown.
async fn serve_connection<S>(
    io: S,
    router: axum::Router,
    peer: SocketAddr,
    client: ClientCert,
    mut stop: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper_util::service::TowerToHyperService::new(
        router.layer(axum::Extension(peer)).layer(axum::Extension(client)),
    );
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(IDLE_TIMEOUT)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => if let Err(e) = r { log::debug!("connection from {peer}: {e}") },
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
