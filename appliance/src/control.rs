//! The daemon's local control socket, `DATA/run/control.sock`: how an
//! admin's `pullprint release` reaches the running daemon, whose job store
//! no other process may open while it runs.
//!
//! The socket is the service user's, mode 0600, in a folder only it can
//! enter, so only that user and root can connect; each request is logged
//! with the caller's uid. One JSON request per connection, one JSON answer.

use anyhow::{Context, Result, bail};
use local_connector::panel::devices::Devices;
use local_connector::release::Engine;
use local_connector::store::{JobId, JobStore, ReleaseState, Requested};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// The socket's path in a data folder.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("run/control.sock")
}

/// What an admin asks the daemon.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// Release a job at a printer, on behalf of `by`.
    Release {
        /// Job id (32 hex digits) or number (IPP `job-id`).
        job: String,
        /// Printer name, id or address.
        printer: String,
        /// Who asks, for the record.
        by: String,
    },
    /// Every release not yet ended, and every failed one.
    List,
    /// Withdraw a release that has not started.
    Cancel {
        /// Job id or number.
        job: String,
    },
}

/// One release, as listed.
#[derive(Debug, Serialize, Deserialize)]
pub struct Row {
    /// Job id.
    pub job: String,
    /// Job number.
    pub number: Option<i32>,
    /// Owner.
    pub owner: String,
    /// Document name.
    pub document: String,
    /// Printer name.
    pub printer: String,
    /// `queued`, `sending`, `printing` or `failed`.
    pub state: String,
    /// Why it failed, or what the printer says.
    pub message: Option<String>,
}

/// The daemon's answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Answer {
    /// Whether it was done.
    pub ok: bool,
    /// What happened, for the admin.
    pub message: String,
    /// For `list`.
    #[serde(default)]
    pub releases: Vec<Row>,
}

fn answer(ok: bool, message: String) -> Answer {
    Answer { ok, message, releases: Vec::new() }
}

/// What the control socket acts on.
#[derive(Debug, Clone)]
pub struct Control {
    /// The job store.
    pub store: JobStore,
    /// The printers.
    pub devices: Arc<Devices>,
    /// The release engine.
    pub engine: Arc<Engine>,
}

impl Control {
    fn job(&self, s: &str) -> Result<JobId, String> {
        let s = s.trim();
        if let Some(id) = JobId::parse(&s.to_ascii_lowercase()) {
            return Ok(id);
        }
        match s.parse::<i32>() {
            Ok(n) => match self.store.get_by_number(n) {
                Ok(Some(m)) => Ok(m.id),
                Ok(None) => Err(format!("no parked job has number {n}")),
                Err(e) => Err(e.to_string()),
            },
            Err(_) => Err(format!("{s:?} is neither a job id nor a job number")),
        }
    }

    fn handle(&self, req: Request, uid: Option<u32>) -> Answer {
        match req {
            Request::Release { job, printer, by } => {
                let id = match self.job(&job) {
                    Ok(id) => id,
                    Err(e) => return answer(false, e),
                };
                let Some(dev) = self.devices.find(&printer).filter(|d| !d.credential.is_empty()) else {
                    return answer(false, format!("no printer {printer:?} is registered (or it was revoked)"));
                };
                let meta = match self.store.get(id) {
                    Ok(m) => m,
                    Err(e) => return answer(false, e.to_string()),
                };
                log::info!(
                    "control: uid {uid:?} ({by}) released job {id} of {} at {} ({})",
                    meta.owner,
                    dev.name,
                    dev.id
                );
                match self.store.request_release(id, &dev.id, &by) {
                    Ok(Requested::Queued(_)) => {
                        self.engine.wake(&dev.id);
                        answer(
                            true,
                            format!("job {id} ({}) of {} is queued at {}", meta.document_name, meta.owner, dev.name),
                        )
                    }
                    Ok(Requested::InFlight(_)) => {
                        answer(false, format!("job {id} is being printed already; it is not sent twice"))
                    }
                    Err(e) => answer(false, e.to_string()),
                }
            }
            Request::Cancel { job } => {
                let id = match self.job(&job) {
                    Ok(id) => id,
                    Err(e) => return answer(false, e),
                };
                match self.store.cancel_release(id) {
                    Ok(true) => answer(true, format!("the release of job {id} is withdrawn; the job stays parked")),
                    Ok(false) => answer(false, format!("job {id} has no release to withdraw, or it is printing")),
                    Err(e) => answer(false, e.to_string()),
                }
            }
            Request::List => {
                let rows = match self.store.pending_releases() {
                    Ok(r) => r,
                    Err(e) => return answer(false, e.to_string()),
                };
                let releases = rows
                    .into_iter()
                    .map(|(id, r)| {
                        let meta = self.store.get(id).ok();
                        let (state, message) = match r.state {
                            ReleaseState::Queued => ("queued", None),
                            ReleaseState::Sending { .. } => ("sending", None),
                            ReleaseState::Submitted { note, .. } => ("printing", note),
                            ReleaseState::Failed { reason, .. } => ("failed", Some(reason)),
                        };
                        Row {
                            job: id.to_string(),
                            number: meta.as_ref().and_then(|m| m.number),
                            owner: meta.as_ref().map(|m| m.owner.clone()).unwrap_or_default(),
                            document: meta.map(|m| m.document_name).unwrap_or_default(),
                            printer: self.devices.find(&r.device).map(|d| d.name).unwrap_or(r.device),
                            state: state.into(),
                            message,
                        }
                    })
                    .collect();
                Answer { ok: true, message: String::new(), releases }
            }
        }
    }
}

/// Serve the control socket until `stop` changes.
pub async fn serve(path: PathBuf, control: Control, mut stop: tokio::sync::watch::Receiver<bool>) -> Result<()> {
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).with_context(|| format!("binding {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    loop {
        let (s, _) = tokio::select! {
            r = listener.accept() => match r { Ok(x) => x, Err(e) => { log::warn!("control: {e}"); continue } },
            _ = stop.changed() => break,
        };
        let control = control.clone();
        tokio::spawn(async move {
            let uid = s.peer_cred().ok().map(|c| c.uid());
            let (r, mut w) = s.into_split();
            let mut line = String::new();
            let mut r = tokio::io::BufReader::new(r.take(64 * 1024));
            if r.read_line(&mut line).await.is_err() {
                return;
            }
            let a = match serde_json::from_str::<Request>(&line) {
                Ok(req) => {
                    let c = control.clone();
                    tokio::task::spawn_blocking(move || c.handle(req, uid))
                        .await
                        .unwrap_or_else(|_| answer(false, "the request failed; see the log".into()))
                }
                Err(e) => answer(false, format!("not a control request: {e}")),
            };
            let mut out = serde_json::to_vec(&a).unwrap_or_default();
            out.push(b'\n');
            let _ = w.write_all(&out).await;
        });
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// Ask the daemon serving `data_dir`.
pub fn call(data_dir: &Path, req: &Request) -> Result<Answer> {
    use std::io::{BufRead, Write};
    let path = socket_path(data_dir);
    let mut s = std::os::unix::net::UnixStream::connect(&path).with_context(|| {
        format!(
            "cannot reach the daemon at {} (is `pullprint serve` running, and are you root or its user?)",
            path.display()
        )
    })?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut line = serde_json::to_vec(req)?;
    line.push(b'\n');
    s.write_all(&line)?;
    let mut back = String::new();
    std::io::BufReader::new(s).read_line(&mut back)?;
    if back.is_empty() {
        bail!("the daemon closed the connection without an answer");
    }
    Ok(serde_json::from_str(&back)?)
}

/// `pullprint release ...`.
#[derive(clap::Subcommand, Debug)]
pub enum ReleaseCommand {
    /// Print a parked job at a printer now (as its owner would at the panel).
    Print {
        /// Job id or number (see `pullprint release list`, `pullprint status`).
        job: String,
        /// The printer: name, id or address.
        #[arg(long)]
        at: String,
    },
    /// Releases waiting, under way, or failed (with why).
    List,
    /// Withdraw a release that has not started; the job stays parked.
    Cancel {
        /// Job id or number.
        job: String,
    },
}

/// Run `pullprint release`.
pub fn release(data_dir: &Path, cmd: ReleaseCommand) -> Result<()> {
    let who = std::env::var("SUDO_USER")
        .ok()
        .or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name))
        .unwrap_or_else(|| "admin".into());
    let req = match cmd {
        ReleaseCommand::Print { job, at } => Request::Release { job, printer: at, by: format!("admin:{who}") },
        ReleaseCommand::List => Request::List,
        ReleaseCommand::Cancel { job } => Request::Cancel { job },
    };
    let listing = matches!(req, Request::List);
    let a = call(data_dir, &req)?;
    if !a.ok {
        bail!("{}", a.message);
    }
    if listing {
        if a.releases.is_empty() {
            println!("No releases waiting, under way or failed.");
        }
        for r in &a.releases {
            let n = r.number.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
            println!("{n:>6}  {:<10} {:<20} {:<12} {}", r.state, r.printer, r.owner, r.document);
            if let Some(m) = &r.message {
                println!("        {m}");
            }
        }
    } else {
        println!("{}", a.message);
    }
    Ok(())
}
