//! The release engine: one queue per printer, worked in the submission
//! order of its jobs, each job delivered and then followed until the
//! printer says how it ended.
//!
//! Exactly once:
//! - a step is on disk ([`crate::store::ReleaseState`]) before the engine acts on it;
//! - a job whose printer `job-id` is known is followed, never sent again;
//! - a job interrupted while being sent, or tried again after a failure,
//!   is first looked for on the printer (`Get-Jobs`, by a job name that
//!   carries the job's id), and sent only if the printer does not have it;
//! - `server-error-busy` is retried with back-off on the same attempt.
//!
//! A failure leaves the job held, with the reason in its release state, for
//! the panel and the admin to see; asking again retries.

use super::client::{self, Connection};
use super::message::{job_name, reasons_of, refused, state_of};
use super::state::{Failed, Printed, Queued, Resumed, Sending, Submitted};
use super::tls::{PrinterVerifier, Trust};
use super::uri::{PrinterUri, Scheme};
use super::{ReleaseError, raw};
use crate::clock::{duration_ms, now_ms};
use crate::ipp::codec::{Group, JobState, Operation, group, status};
use crate::printers::{Capabilities, Device, Devices};
use crate::store::{JobId, JobMeta, JobStore, ReleaseRecord, ReleaseRequest, StoreError};
use counter::{PageCounter, expected_impressions};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod asking;
mod counter;
use asking::OnPrinter;

/// How the engine behaves; defaults are the appliance configuration's.
#[derive(Debug, Clone)]
pub struct Settings {
    /// CAs that may vouch for printers' certificates (the internal CA and
    /// `release.ca_file`).
    pub roots: Arc<rustls::RootCertStore>,
    /// Connecting (TCP and TLS) gives up after this.
    pub connect_timeout: Duration,
    /// A busy printer is retried for this long.
    pub busy_retry_for: Duration,
    /// A printer silent for this long while printing fails the release.
    pub lost_contact_after: Duration,
    /// How often a printing job is asked about (at most).
    pub poll_interval: Duration,
    /// Printed jobs are kept this long for a reprint; zero shreds at once.
    pub keep_printed_for: Duration,
}

/// The release engine.
#[derive(Debug)]
pub struct Engine {
    /// The engine itself, for the tasks it spawns.
    me: std::sync::Weak<Engine>,
    store: JobStore,
    devices: Arc<Devices>,
    settings: Settings,
    /// Where each release's end is recorded.
    audit: Option<crate::audit::AuditLog>,
    /// Printers whose queue has a worker now.
    working: Mutex<HashSet<String>>,
    /// Each printer's connections between jobs, kept open (printers keep
    /// IPP connections alive): (device id, role) → (what it was made under, connection).
    idle: Mutex<HashMap<(String, Role), (String, Connection)>>,
    /// Jobs each printer took and its follower is following: device id → them.
    following: Mutex<HashMap<String, Following>>,
    /// Signalled whenever a followed job ends, for the senders waiting on
    /// a printer's window.
    concluded: tokio::sync::Notify,
    /// Device Scout's SNMP settings, by which RAW releases are confirmed
    /// from the printer's page counter.
    scout: std::sync::OnceLock<Arc<crate::scout::schedule::Settings>>,
}

/// How one attempt ended.
enum Ended {
    Printed(Printed, PrinterUri),
    Failed(Failed, Option<PrinterUri>, ReleaseError),
    /// The printer took it; its follower follows it to the end.
    Handed(Submitted, PrinterUri),
}

/// Jobs a printer may hold, taken but not yet confirmed, before its queue
/// waits: the next job is sent while the printer prints the one before, so
/// a Print All of many jobs prints without a gap between them.
const WINDOW: usize = 4;

/// Which of a printer's connections: the one jobs are sent on, or the one
/// they are followed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Role {
    Send,
    Follow,
}

/// A job the printer took, handed from its queue to its follower.
#[derive(Debug)]
struct Handoff {
    dev: Device,
    meta: JobMeta,
    req: ReleaseRequest,
    sub: Submitted,
    uri: PrinterUri,
}

/// A printer's jobs being followed, oldest first.
#[derive(Debug, Default)]
struct Following {
    jobs: std::collections::VecDeque<Handoff>,
    /// Every job handed over and not yet concluded (the queue and the one in hand).
    ids: HashSet<JobId>,
}

fn failed_at(f: Failed, uri: Option<&PrinterUri>, e: ReleaseError) -> Ended {
    Ended::Failed(f, uri.cloned(), e)
}

impl Engine {
    /// An engine over the job store and the printer registry, recording
    /// the end of each release in `audit`.
    pub fn new(
        store: JobStore,
        devices: Arc<Devices>,
        settings: Settings,
        audit: Option<crate::audit::AuditLog>,
    ) -> Arc<Engine> {
        Arc::new_cyclic(|me| Engine {
            me: me.clone(),
            store,
            devices,
            settings,
            audit,
            working: Mutex::new(HashSet::new()),
            idle: Mutex::new(HashMap::new()),
            following: Mutex::new(HashMap::new()),
            concluded: tokio::sync::Notify::new(),
            scout: std::sync::OnceLock::new(),
        })
    }

    /// Confirm RAW releases by the page counter of each printer that a
    /// Device Scout range covers, with that range's SNMP settings.
    pub fn with_scout(self: Arc<Self>, settings: Arc<crate::scout::schedule::Settings>) -> Arc<Self> {
        let _ = self.scout.set(settings);
        self
    }

    /// Take up every unfinished release, as after a restart. Call within
    /// the tokio runtime.
    pub fn resume(self: &Arc<Self>) {
        match self.store.pending_releases() {
            Ok(all) => {
                let devices: HashSet<String> = all
                    .into_iter()
                    .filter(|(_, r)| !matches!(r.state, crate::store::ReleaseState::Failed { .. }))
                    .map(|(_, r)| r.device)
                    .collect();
                for d in devices {
                    self.wake(&d);
                }
            }
            Err(e) => log::error!("release: cannot read the release queue: {e}"),
        }
    }

    /// Work the queue of printer `device` (after a release was asked for
    /// there). Call within the tokio runtime.
    pub fn wake(&self, device: &str) {
        let Some(me) = self.me.upgrade() else { return };
        let mut w = self.working.lock().unwrap_or_else(|p| p.into_inner());
        if w.insert(device.to_owned()) {
            let device = device.to_owned();
            tokio::spawn(async move { me.work(device).await });
        }
    }

    /// One printer's queue, until it is empty.
    async fn work(self: Arc<Self>, device: String) {
        let mut last: Option<JobId> = None;
        loop {
            // Wait while the printer holds a window's worth of jobs not yet confirmed.
            self.until_following_fewer(&device, WINDOW, None).await;
            let next = {
                let mut w = self.working.lock().unwrap_or_else(|p| p.into_inner());
                let followed = self.in_follow(&device);
                match self.store.next_release_at_skipping(&device, &followed) {
                    Ok(Some(n)) => n,
                    Ok(None) => {
                        // Checked under the lock `wake` takes, so a release
                        // asked for now finds this worker gone and starts one.
                        w.remove(&device);
                        return;
                    }
                    Err(e) => {
                        log::error!("release: cannot read the queue of {device}: {e}");
                        w.remove(&device);
                        return;
                    }
                }
            };
            // The same job again means its state could not be moved on (a
            // store that fails to write): pause rather than spin.
            if last == Some(next.0) {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            last = Some(next.0);
            self.run(&device, next.0, next.1).await;
        }
    }

    /// Wait until the follower of `device` has fewer than `n` jobs, or
    /// until `deadline`.
    async fn until_following_fewer(&self, device: &str, n: usize, deadline: Option<Instant>) {
        loop {
            // Registered before the check, so an end signalled between the
            // check and the wait is not missed.
            let ended = self.concluded.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.in_follow(device).len() < n {
                return;
            }
            match deadline {
                None => ended.await,
                Some(d) => {
                    if tokio::time::timeout_at(d.into(), ended).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// The jobs of `device` its follower has.
    fn in_follow(&self, device: &str) -> HashSet<JobId> {
        self.following.lock().unwrap_or_else(|p| p.into_inner()).get(device).map(|f| f.ids.clone()).unwrap_or_default()
    }

    /// Give a job the printer took to the printer's follower, starting it if
    /// it is not running.
    fn hand_off(self: &Arc<Self>, h: Handoff) {
        let device = h.dev.id.clone();
        let mut all = self.following.lock().unwrap_or_else(|p| p.into_inner());
        let start = !all.contains_key(&device);
        let f = all.entry(device.clone()).or_default();
        f.ids.insert(h.meta.id);
        f.jobs.push_back(h);
        if start {
            let me = self.clone();
            tokio::spawn(async move { me.follow_all(device).await });
        }
    }

    /// A printer's follower: its jobs in the order the printer took them,
    /// each to its end.
    async fn follow_all(self: Arc<Self>, device: String) {
        loop {
            let next = {
                let mut all = self.following.lock().unwrap_or_else(|p| p.into_inner());
                let Some(f) = all.get_mut(&device) else { return };
                match f.jobs.pop_front() {
                    Some(h) => h,
                    None => {
                        all.remove(&device);
                        return;
                    }
                }
            };
            let Handoff { dev, meta, req, sub, uri } = next;
            let ended = self.follow(&dev, None, sub, &uri).await;
            self.conclude(&device, &meta, &req, ended);
            if let Some(f) = self.following.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&device) {
                f.ids.remove(&meta.id);
            }
            self.concluded.notify_waiters();
        }
    }

    async fn run(self: &Arc<Self>, device_id: &str, id: JobId, req: ReleaseRequest) {
        let Some(resumed) = Resumed::from_disk(id, &req.state, req.attempts) else { return };
        let meta = match self.store.get(id) {
            Ok(m) => m,
            Err(StoreError::NotFound(_)) => {
                log::info!("release: job {id} is gone (expired or deleted); its release is dropped");
                let _ = self.store.drop_release(id);
                return;
            }
            Err(e) => {
                log::error!("release: job {id}: {e}");
                self.persist_failure(id, &Failed { id, reason: ReleaseError::Store(e).to_string() });
                return;
            }
        };
        let ended = match self.devices.find(device_id).filter(|d| !d.credential.is_empty()) {
            Some(dev) => match self.attempt(&dev, &meta, resumed).await {
                Ended::Handed(sub, uri) => return self.hand_off(Handoff { dev, meta, req, sub, uri }),
                other => other,
            },
            None => {
                let f = match resumed {
                    Resumed::Queued(q) => q.failed(ReleaseError::NoSuchPrinter.to_string()),
                    Resumed::Sending(s) => s.failed(ReleaseError::NoSuchPrinter.to_string()),
                    Resumed::Submitted(s) => s.failed(ReleaseError::NoSuchPrinter.to_string()),
                };
                Ended::Failed(f, None, ReleaseError::NoSuchPrinter)
            }
        };
        self.conclude(device_id, &meta, &req, ended);
    }

    fn conclude(&self, device_id: &str, meta: &JobMeta, req: &ReleaseRequest, ended: Ended) {
        let (outcome, uri, printer_job, detail) = match &ended {
            Ended::Printed(p, uri) => {
                let outcome = if p.verified { "printed" } else { "sent-unverified" };
                (outcome, Some(uri), p.printer_job, None)
            }
            Ended::Failed(f, uri, _) => ("failed", uri.as_ref(), None, Some(f.reason.clone())),
            Ended::Handed(..) => return log::error!("release: job {} concluded before it was followed", meta.id),
        };
        if let Some(audit) = &self.audit {
            let printer = self.devices.find(device_id).map_or_else(|| device_id.to_owned(), |d| d.name);
            let how = match printer_job {
                Some(n) => format!("{outcome}, printer job {n}"),
                None => outcome.to_owned(),
            };
            audit.record(
                crate::audit::Entry::new(&req.by, "user", &printer, "job.release")
                    .subject(&meta.owner)
                    .target(&format!("job {}", meta.id))
                    .outcome(if outcome == "failed" { "failed" } else { "ok" }, detail.as_deref().unwrap_or(&how)),
            );
        }
        let rec = ReleaseRecord {
            job: meta.id,
            owner: meta.owner.clone(),
            by: req.by.clone(),
            document_name: meta.document_name.clone(),
            device: device_id.to_owned(),
            pages: meta.pages,
            copies: meta.copies,
            color: meta.color,
            transport: uri.map(|u| u.scheme.name().to_owned()).unwrap_or_default(),
            uri: uri.map(ToString::to_string).unwrap_or_default(),
            printer_job,
            outcome: outcome.into(),
            detail,
            at_ms: now_ms(),
            synced: false,
            sides: meta.sides,
        };
        match ended {
            Ended::Printed(p, uri) => {
                let keep = self.settings.keep_printed_for;
                let keep_until = (!keep.is_zero()).then(|| rec.at_ms + duration_ms(keep));
                match self.store.finish_release(&rec, keep_until) {
                    Ok(()) => log::info!(
                        "release: job {} of {} printed at {device_id} over {} ({}){}",
                        meta.id,
                        meta.owner,
                        uri.scheme.name(),
                        if p.verified { "confirmed by the printer" } else { "sent, unverified" },
                        if keep_until.is_some() { "; kept for reprint" } else { "; shredded" }
                    ),
                    Err(e) => log::error!("release: job {} printed, but recording it failed: {e}", meta.id),
                }
            }
            Ended::Handed(..) => {}
            Ended::Failed(f, _, e) => {
                log::warn!("release: job {} of {} did not print at {device_id}: {e}", meta.id, meta.owner);
                self.persist_failure(meta.id, &f);
                if let Err(e) = self.store.finish_release(&rec, None) {
                    log::error!("release: recording the failure of job {}: {e}", meta.id);
                }
            }
        }
    }

    fn persist_failure(&self, id: JobId, f: &Failed) {
        if let Err(e) = self.store.set_release_state(id, f.persisted(), false) {
            log::error!("release: job {id}: recording its failure: {e}");
        }
    }

    /// The transports to try for `dev`, in order: its URI, then (from
    /// IPPS) the plaintext fallbacks its dangerous setting allows.
    fn chain(&self, dev: &Device) -> Result<Vec<PrinterUri>, ReleaseError> {
        let primary = match &dev.release.uri {
            Some(u) => PrinterUri::parse(u)?,
            None => PrinterUri::default_for(&dev.address)?,
        };
        let allowed = |s: Scheme| dev.release.dangerous_allow.iter().any(|a| a.eq_ignore_ascii_case(s.name()));
        if primary.scheme.is_plaintext() && !allowed(primary.scheme) {
            return Err(ReleaseError::PlaintextNotAllowed {
                uri: primary.to_string(),
                scheme: primary.scheme.name().into(),
            });
        }
        let mut chain = vec![primary.clone()];
        if primary.scheme == Scheme::Ipps {
            for s in [Scheme::Ipp, Scheme::Socket] {
                if allowed(s) {
                    chain.push(primary.with_scheme(s));
                }
            }
        }
        Ok(chain)
    }

    fn verifier(&self, dev: &Device) -> Result<Arc<PrinterVerifier>, ReleaseError> {
        let trust = match (&dev.release.tls_pin, dev.release.dangerous_trust_first_use) {
            (Some(pin), _) => Trust::Pinned(pin.to_ascii_lowercase()),
            (None, true) => Trust::FirstUse,
            (None, false) => Trust::Ca,
        };
        PrinterVerifier::new(trust, self.settings.roots.clone()).map_err(|e| ReleaseError::Misconfigured(e.to_string()))
    }

    async fn connect(&self, dev: &Device, uri: &PrinterUri, role: Role) -> Result<Connection, ReleaseError> {
        let kept = self.idle.lock().unwrap_or_else(|p| p.into_inner()).remove(&(dev.id.clone(), role));
        if let Some((k, c)) = kept
            && k == conn_key(dev, uri)
            && c.is_open()
        {
            return Ok(c);
        }
        if uri.scheme == Scheme::Ipps {
            let v = self.verifier(dev)?;
            let c = client::connect(uri, Some(&v), self.settings.connect_timeout).await?;
            if dev.release.tls_pin.is_none()
                && dev.release.dangerous_trust_first_use
                && let Some(seen) = v.seen()
            {
                log::warn!("release: pinning the certificate {seen} that {} presented (trust on first use)", dev.name);
                let _ = self.devices.update_release(&dev.id, |r| r.tls_pin = Some(seen));
            }
            Ok(c)
        } else {
            log::warn!(
                "release: DOWNGRADE: sending to {} over {} in plaintext (dangerous_allow)",
                dev.name,
                uri.scheme.name()
            );
            client::connect(uri, None, self.settings.connect_timeout).await
        }
    }

    async fn attempt(&self, dev: &Device, meta: &JobMeta, resumed: Resumed) -> Ended {
        match resumed {
            Resumed::Submitted(s) => {
                let uri = match PrinterUri::parse(&s.uri) {
                    Ok(u) => u,
                    Err(e) => return failed_at(s.failed(e.to_string()), None, e),
                };
                let conn = self.connect(dev, &uri, Role::Follow).await.ok();
                self.follow(dev, conn, s, &uri).await
            }
            Resumed::Sending(s) => self.resume_sending(dev, meta, s).await,
            Resumed::Queued(q) => self.first_send(dev, meta, q).await,
        }
    }

    /// A release interrupted while sending: if the printer has the job,
    /// follow it; if not, send it again.
    async fn resume_sending(&self, dev: &Device, meta: &JobMeta, s: Sending) -> Ended {
        let uri = match PrinterUri::parse(&s.uri) {
            Ok(u) => u,
            Err(e) => return failed_at(s.failed(e.to_string()), None, e),
        };
        if uri.scheme == Scheme::Socket {
            let e = ReleaseError::Broken("while it was being sent over RAW; it may have printed in part".into());
            return failed_at(s.failed(e.to_string()), Some(&uri), e);
        }
        let mut conn = match self.connect(dev, &uri, Role::Send).await {
            Ok(c) => c,
            Err(e) => return failed_at(s.failed(e.to_string()), Some(&uri), e),
        };
        match self.find_on_printer(&mut conn, meta).await {
            OnPrinter::Found(job, JobState::Completed) => Ended::Printed(s.accepted(job).completed(), uri),
            OnPrinter::Found(job, st) if !st.is_terminal() => {
                let sub = s.accepted(job);
                self.persist(meta.id, sub.persisted(None));
                self.follow(dev, Some(conn), sub, &uri).await
            }
            OnPrinter::Unknown(why) => {
                let e = ReleaseError::Broken(format!(
                    "while it was being sent, and the printer cannot say whether it has it ({why}); \
                     it was not sent again, so that it cannot print twice"
                ));
                failed_at(s.failed(e.to_string()), Some(&uri), e)
            }
            OnPrinter::Found(..) | OnPrinter::Absent => match self.formats(dev, &mut conn, meta).await {
                Ok(format) => self.send_and_follow(dev, meta, conn, s, &uri, &format).await,
                Err(e) => failed_at(s.failed(e.to_string()), Some(&uri), e),
            },
        }
    }

    /// The page counter of the printer, when a Device Scout range covers
    /// its registered address (or else the address its `uri` names).
    fn page_counter(&self, dev: &Device, uri: &PrinterUri) -> Option<PageCounter> {
        let settings = self.scout.get()?;
        let registered = dev.address.rsplit_once(':').map_or(dev.address.as_str(), |(h, _)| h);
        let ip: std::net::Ipv4Addr =
            dev.address.parse().or_else(|_| registered.parse()).or_else(|_| uri.host.parse()).ok()?;
        let range = settings.for_address(ip)?;
        Some(PageCounter {
            to: std::net::SocketAddr::from((ip, range.port)),
            credentials: range.credentials.clone(),
            timing: settings.timing,
            wait: settings.raw_confirm_timeout,
        })
    }

    async fn first_send(&self, dev: &Device, meta: &JobMeta, q: Queued) -> Ended {
        let chain = match self.chain(dev) {
            Ok(c) => c,
            Err(e) => return failed_at(q.failed(e.to_string()), None, e),
        };
        let mut last: Option<(ReleaseError, PrinterUri)> = None;
        for (i, uri) in chain.iter().enumerate() {
            let more = i + 1 < chain.len();
            if uri.scheme == Scheme::Socket {
                let how = if i > 0 { "falls back to" } else { "is sent over" };
                log::warn!("release: DOWNGRADE: {} {how} RAW (unencrypted) for job {}", dev.name, meta.id);
                let s = q.begin(&uri.to_string());
                self.persist_attempt(meta.id, s.persisted());
                let reader = match self.store.read(meta.id) {
                    Ok(r) => r,
                    Err(e) => return failed_at(s.failed(e.to_string()), Some(uri), e.into()),
                };
                let counter = self.page_counter(dev, uri);
                let before = match &counter {
                    Some(c) => c.read().await,
                    None => None,
                };
                return match raw::send(uri, reader, self.settings.connect_timeout).await {
                    Ok(_) => match (counter, before) {
                        (Some(c), Some(before)) => {
                            let want = expected_impressions(meta);
                            match c.risen(before, want).await {
                                Ok(by) => {
                                    log::info!(
                                        "release: {} confirmed job {} by its page counter (+{by}, {want} expected)",
                                        dev.name,
                                        meta.id
                                    );
                                    Ended::Printed(s.counted(), uri.clone())
                                }
                                Err(why) => {
                                    let e = ReleaseError::Unconfirmed(why);
                                    failed_at(s.failed(e.to_string()), Some(uri), e)
                                }
                            }
                        }
                        _ => Ended::Printed(s.sent(), uri.clone()),
                    },
                    Err(e) => failed_at(s.failed(e.to_string()), Some(uri), e),
                };
            }
            let mut conn = match self.connect(dev, uri, Role::Send).await {
                Ok(c) => c,
                // Only nothing answering on the TLS port moves on to a
                // fallback; a certificate that failed its check never does.
                Err(e @ (ReleaseError::Unreachable { .. } | ReleaseError::Tls { .. })) if more => {
                    log::warn!(
                        "release: {} over {}: {e}; trying the next allowed transport",
                        dev.name,
                        uri.scheme.name()
                    );
                    last = Some((e, uri.clone()));
                    continue;
                }
                Err(e) => return failed_at(q.failed(e.to_string()), Some(uri), e),
            };
            let format = match self.formats(dev, &mut conn, meta).await {
                Ok(f) => f,
                Err(e) => return failed_at(q.failed(e.to_string()), Some(uri), e),
            };
            if q.attempt > 1 {
                // A retry: the printer may have the job from an earlier try.
                match self.find_on_printer(&mut conn, meta).await {
                    OnPrinter::Found(job, JobState::Completed) => {
                        log::info!("release: job {} was already printed by {} (its job {job})", meta.id, dev.name);
                        return Ended::Printed(q.begin(&uri.to_string()).accepted(job).completed(), uri.clone());
                    }
                    OnPrinter::Found(job, st) if !st.is_terminal() => {
                        let sub = q.begin(&uri.to_string()).accepted(job);
                        self.persist(meta.id, sub.persisted(None));
                        return self.follow(dev, Some(conn), sub, uri).await;
                    }
                    _ => {}
                }
            }
            let s = q.begin(&uri.to_string());
            self.persist_attempt(meta.id, s.persisted());
            return self.send_and_follow(dev, meta, conn, s, uri, &format).await;
        }
        let (e, uri) = last.unwrap_or_else(|| (ReleaseError::Misconfigured("no transport".into()), chain[0].clone()));
        failed_at(q.failed(e.to_string()), Some(&uri), e)
    }

    /// Keep `conn` open for the printer's next job.
    fn keep(&self, dev: &Device, uri: &PrinterUri, conn: Connection, role: Role) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).insert((dev.id.clone(), role), (conn_key(dev, uri), conn));
    }

    fn persist(&self, id: JobId, state: crate::store::ReleaseState) {
        if let Err(e) = self.store.set_release_state(id, state, false) {
            log::error!("release: job {id}: {e}");
        }
    }

    fn persist_attempt(&self, id: JobId, state: crate::store::ReleaseState) {
        if let Err(e) = self.store.set_release_state(id, state, true) {
            log::error!("release: job {id}: {e}");
        }
    }

    /// Print-Job, with back-off while the printer is busy; then follow.
    async fn send_and_follow(
        &self,
        dev: &Device,
        meta: &JobMeta,
        mut conn: Connection,
        s: Sending,
        uri: &PrinterUri,
        format: &str,
    ) -> Ended {
        let began = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let reader = match self.store.read(meta.id) {
                Ok(r) => r,
                Err(e) => return failed_at(s.failed(e.to_string()), Some(uri), e.into()),
            };
            let mut r = conn.request(Operation::PrintJob as u16);
            r.name("requesting-user-name", &meta.owner)
                .name("job-name", &job_name(meta))
                .boolean("ipp-attribute-fidelity", false)
                .mime("document-format", format);
            if !meta.document_name.is_empty() {
                r.name("document-name", &meta.document_name);
            }
            if meta.copies > 1 {
                r.job_group().integer("copies", i32::try_from(meta.copies).unwrap_or(1));
            }
            let answer = conn.print(r.finish(), reader, meta.size, self.settings.lost_contact_after).await;
            match answer {
                Ok(resp) if resp.is_success() => {
                    let Some(job) = resp.jobs().next().and_then(|j| j.integer("job-id")) else {
                        let e = ReleaseError::PeerMisbehaved("the printer took the job but gave no job-id".into());
                        return failed_at(s.failed(e.to_string()), Some(uri), e);
                    };
                    let sub = s.accepted(job);
                    self.persist(meta.id, sub.persisted(None));
                    self.keep(dev, uri, conn, Role::Send);
                    return Ended::Handed(sub, uri.clone());
                }
                Ok(resp) if resp.code() == status::BUSY && began.elapsed() < self.settings.busy_retry_for => {
                    log::info!("release: {} is busy; job {} waits {} ms", dev.name, meta.id, pause.as_millis());
                }
                Ok(resp) if resp.code() == status::BUSY => {
                    return failed_at(s.failed(ReleaseError::Busy.to_string()), Some(uri), ReleaseError::Busy);
                }
                Ok(resp) if resp.code() == status::DOCUMENT_FORMAT_NOT_SUPPORTED => {
                    let e = ReleaseError::FormatUnsupported { format: format.into(), accepts: "other formats".into() };
                    return failed_at(s.failed(e.to_string()), Some(uri), e);
                }
                Ok(resp) => {
                    let e = refused(&resp);
                    return failed_at(s.failed(e.to_string()), Some(uri), e);
                }
                Err(e) => return failed_at(s.failed(e.to_string()), Some(uri), e),
            }
            // A printer that prints one job at a time says busy while it
            // prints the one sent before: offer this one again as soon as
            // that one is confirmed. Otherwise back off.
            let ahead = self.in_follow(&dev.id).len();
            let until = Instant::now() + pause;
            if ahead > 0 {
                self.until_following_fewer(&dev.id, ahead, Some(until)).await;
            } else {
                tokio::time::sleep(pause).await;
            }
            pause = (pause * 2).min(Duration::from_secs(8));
            conn = match self.connect(dev, uri, Role::Send).await {
                Ok(c) => c,
                Err(e) => return failed_at(s.failed(e.to_string()), Some(uri), e),
            };
        }
    }

    /// Follow the printer's job until it ends; a stop (a jam, no paper) is
    /// noted in the release state for people to see.
    async fn follow(&self, dev: &Device, mut conn: Option<Connection>, s: Submitted, uri: &PrinterUri) -> Ended {
        let mut heard = Instant::now();
        // Ask at once, then after 5 ms, doubling up to poll_interval: a
        // short job is confirmed as soon as the printer is done with it.
        let mut wait = Duration::from_millis(5);
        let mut note: Option<String> = None;
        loop {
            if conn.is_none() {
                conn = self.connect(dev, uri, Role::Follow).await.ok();
            }
            if let Some(c) = conn.as_mut() {
                let mut r = c.request(Operation::GetJobAttributes as u16);
                r.integer("job-id", s.printer_job)
                    .name("requesting-user-name", "pullprint")
                    .keywords("requested-attributes", &["job-state", "job-state-reasons", "job-state-message"]);
                match c.call(r.finish()).await {
                    Ok(resp) if resp.is_success() => {
                        heard = Instant::now();
                        let j =
                            resp.jobs().next().cloned().unwrap_or(Group { tag: group::JOB, attributes: Vec::new() });
                        let j = &j;
                        match state_of(j) {
                            Some(JobState::Completed) => {
                                if let Some(c) = conn.take() {
                                    self.keep(dev, uri, c, Role::Follow);
                                }
                                return Ended::Printed(s.completed(), uri.clone());
                            }
                            Some(st @ (JobState::Aborted | JobState::Canceled)) => {
                                let e = ReleaseError::JobEnded { state: st.keyword(), reasons: reasons_of(j) };
                                return failed_at(s.failed(e.to_string()), Some(uri), e);
                            }
                            st => {
                                let now = match st {
                                    Some(JobState::Stopped) | Some(JobState::Held) => {
                                        Some(reasons_of(j).unwrap_or_else(|| "the printer stopped".into()))
                                    }
                                    _ => None,
                                };
                                if now != note {
                                    if let Some(n) = &now {
                                        log::warn!("release: {} stopped printing job {}: {n}", dev.name, s.id);
                                    }
                                    note = now;
                                    self.persist(s.id, s.persisted(note.clone()));
                                }
                            }
                        }
                    }
                    Ok(resp) if resp.code() == status::NOT_FOUND => {
                        let e =
                            ReleaseError::Refused("the printer no longer knows the job (it may have restarted)".into());
                        return failed_at(s.failed(e.to_string()), Some(uri), e);
                    }
                    Ok(resp) => {
                        log::debug!("release: Get-Job-Attributes: {:#06x}", resp.code());
                        heard = Instant::now();
                    }
                    Err(e) => {
                        log::debug!("release: following job {}: {e}", s.id);
                        conn = None;
                    }
                }
            }
            if heard.elapsed() > self.settings.lost_contact_after {
                let e = ReleaseError::LostContact;
                return failed_at(s.failed(e.to_string()), Some(uri), e);
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.settings.poll_interval);
        }
    }
}

impl crate::store::ReleaseWake for Engine {
    fn wake(&self, device: &str) {
        Engine::wake(self, device);
    }
}

/// What a kept connection was made under: the same URI and the same trust
/// rule, or it is not reused (a pin changed since must be checked anew).
fn conn_key(dev: &Device, uri: &PrinterUri) -> String {
    format!("{uri} {:?} {}", dev.release.tls_pin, dev.release.dangerous_trust_first_use)
}
