//! The daemon's local control socket, `DATA/run/control.sock`: how an
//! admin's `pullprint release` reaches the running daemon's release queue, whose job store
//! no other process may open while it runs.
//!
//! The socket is the service user's, mode 0600, in a folder only it can
//! enter, so only that user and root can connect; each request is logged
//! with the caller's uid. One JSON request per connection, one JSON answer.

use crate::printers::Devices;
use crate::store::{JobId, JobStore, ReleaseState, ReleaseWake, Requested};
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
    /// Told of each release queued (the release engine).
    pub wake: Arc<dyn ReleaseWake>,
    /// Claims each job in the tenant before it prints, when jobs roam.
    pub roaming: Option<Arc<crate::roaming::Roaming>>,
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
                match self.roaming.as_ref().and_then(|r| r.claim_local(&[id]).pop()) {
                    Some((_, Some(site))) => {
                        return answer(
                            false,
                            format!("job {id} was printed or deleted at site {site} first; not printed here"),
                        );
                    }
                    Some((_, None)) => {
                        return answer(
                            false,
                            format!("job {id} could not be claimed in the cloud tenant (see the log); it stays parked"),
                        );
                    }
                    None => {}
                }
                log::info!(
                    "control: uid {uid:?} ({by}) released job {id} of {} at {} ({})",
                    meta.owner,
                    dev.name,
                    dev.id
                );
                match self.store.request_release(id, &dev.id, &by) {
                    Ok(Requested::Queued(_)) => {
                        self.wake.wake(&dev.id);
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
/// The socket is bound before this returns; the serving runs in a task.
/// Call within the runtime.
pub fn serve(path: PathBuf, control: Control, stop: tokio::sync::watch::Receiver<bool>) -> Result<(), ControlError> {
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).map_err(|e| ControlError::Bind(path.clone(), e))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| ControlError::Restrict(path.clone(), e))?;
    tokio::spawn(accept(listener, path, control, stop));
    Ok(())
}

/// Why the control socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// Binding the socket failed.
    #[error("control socket: binding {0}: {1}")]
    Bind(PathBuf, #[source] std::io::Error),
    /// Making it private (0600) failed.
    #[error("control socket: making {0} private: {1}")]
    Restrict(PathBuf, #[source] std::io::Error),
}

async fn accept(
    listener: tokio::net::UnixListener,
    path: PathBuf,
    control: Control,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
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
}
