//! systemd notifications (sd_notify protocol): READY=1, STOPPING=1, STATUS=
//! and WATCHDOG=1, sent as datagrams to $NOTIFY_SOCKET. Without that variable
//! (not under systemd) every call does nothing.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

fn send(msg: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return };
    let Ok(sock) = UnixDatagram::unbound() else { return };
    let bytes = path.as_encoded_bytes();
    let res = if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name).and_then(|a| sock.send_to_addr(msg.as_bytes(), &a))
    } else {
        sock.send_to(msg.as_bytes(), &path)
    };
    if let Err(e) = res {
        log::warn!("sd_notify {msg:?} failed: {e}");
    }
}

/// Tell systemd the service is up.
pub fn ready(status: &str) {
    send(&format!("READY=1\nSTATUS={status}"));
}

/// Tell systemd the service is stopping.
pub fn stopping() {
    send("STOPPING=1\nSTATUS=stopping");
}

/// Half the watchdog interval systemd asked for, if it asked.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok()? != std::process::id()
    {
        return None;
    }
    Some(Duration::from_micros(usec / 2))
}

/// Pet the watchdog.
pub fn watchdog() {
    send("WATCHDOG=1");
}
