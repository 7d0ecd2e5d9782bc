//! Dropping root, in one ordered step, before any network input is read.
//!
//! The order is the point: listeners are bound and keys loaded while still
//! root; then no_new_privs is set, supplementary groups dropped, then the gid,
//! then the uid (last, since after it nothing else may be changed). Switching
//! uid from 0 to another user clears the permitted and effective capability
//! sets, so no capability survives; we check that root cannot be regained.
//!
//! Started unprivileged (the systemd unit grants CAP_NET_BIND_SERVICE through
//! AmbientCapabilities), only no_new_privs is set.

use anyhow::{Context, Result, bail};
use nix::unistd::{Gid, Uid, User, getuid, setgid, setgroups, setuid};

/// Who the daemon ends up running as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    /// Numeric user id.
    pub uid: u32,
    /// Numeric group id.
    pub gid: u32,
}

/// Look up the service account without changing anything (to chown at init).
pub fn lookup(service_user: &str) -> Result<RunAs> {
    let u = User::from_name(service_user)
        .with_context(|| format!("looking up service user {service_user:?}"))?
        .with_context(|| format!("the service user {service_user:?} does not exist; create it (useradd --system {service_user}) or set service.user"))?;
    Ok(RunAs { uid: u.uid.as_raw(), gid: u.gid.as_raw() })
}

/// Drop to `service_user` if running as root; otherwise stay who we are.
/// Call only while the process is single-threaded.
pub fn drop_privileges(service_user: &str) -> Result<RunAs> {
    nix::sys::prctl::set_no_new_privs().context("setting no_new_privs")?;
    if !getuid().is_root() {
        return Ok(RunAs { uid: getuid().as_raw(), gid: nix::unistd::getgid().as_raw() });
    }
    let target = lookup(service_user)?;
    if target.uid == 0 {
        bail!("service.user {service_user:?} is root; Pullprint will not serve the network as root");
    }
    setgroups(&[]).context("dropping supplementary groups")?;
    setgid(Gid::from_raw(target.gid)).context("setting the service group")?;
    setuid(Uid::from_raw(target.uid)).context("setting the service user")?;
    if setuid(Uid::from_raw(0)).is_ok() {
        bail!("privilege drop failed: root could be regained");
    }
    log::info!("dropped privileges to {service_user} (uid {}, gid {})", target.uid, target.gid);
    Ok(target)
}

/// For the administration commands run as root: become the owner of the data
/// folder (the service user), so that every file they write stays readable
/// by the daemon. Not root, or a root-owned folder: nothing changes.
pub fn become_owner_of(data_dir: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    if !getuid().is_root() {
        return Ok(());
    }
    let m = std::fs::metadata(data_dir).with_context(|| format!("reading {}", data_dir.display()))?;
    if m.uid() == 0 {
        return Ok(());
    }
    nix::sys::prctl::set_no_new_privs().context("setting no_new_privs")?;
    setgroups(&[]).context("dropping supplementary groups")?;
    setgid(Gid::from_raw(m.gid())).context("setting the data folder's group")?;
    setuid(Uid::from_raw(m.uid())).context("setting the data folder's owner")?;
    Ok(())
}
