//! Slow and greedy clients, for the tests and the benchmark that show the
//! daemon's listeners hold against them: connections opened from a chosen
//! loopback address (127.0.0.0/8 is all loopback, so each address is a
//! distinct source to the per-address cap), held in one of the ways an
//! attacker holds them, until the server closes them.
//!
//! [`Crowd`] keeps thousands of them open at once, opening each again as
//! soon as the server drops it, as an attacker would.

use rustls::pki_types::ServerName;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Make sure this process may open `need` files: raise the soft limit to
/// the hard one if it is lower. Processes started from here inherit it.
pub fn raise_open_file_limit(need: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    if soft < need && soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("raise the soft limit on open files");
    }
    assert!(hard >= need, "this test needs {need} open files, and the hard limit (ulimit -Hn) is {hard}");
}

/// A TCP connection to `to` from `source` (any port).
pub async fn connect_from(source: IpAddr, to: SocketAddr) -> io::Result<TcpStream> {
    let s = if source.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    s.bind(SocketAddr::new(source, 0))?;
    let tcp = s.connect(to).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// Send a TLS ClientHello on `tcp` and nothing after it: half a handshake.
pub async fn half_handshake(tcp: &mut TcpStream, cfg: Arc<rustls::ClientConfig>, to: SocketAddr) -> io::Result<()> {
    let mut c = rustls::ClientConnection::new(cfg, ServerName::IpAddress(to.ip().into())).map_err(io::Error::other)?;
    let mut hello = Vec::new();
    while c.wants_write() {
        c.write_tls(&mut hello)?;
    }
    tcp.write_all(&hello).await
}

/// A whole TLS handshake on `tcp`.
pub async fn tls(
    tcp: TcpStream,
    cfg: Arc<rustls::ClientConfig>,
    to: SocketAddr,
) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    tokio_rustls::TlsConnector::from(cfg).connect(ServerName::IpAddress(to.ip().into()), tcp).await
}

/// Hold `s` until the server closes it (end of stream, reset, or a write
/// that fails); what the server sent meanwhile. With `trickle`, one byte
/// is written every `every`: the bytes given, then `a` for ever.
pub async fn hold<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, trickle: Option<(&[u8], Duration)>) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let mut next = 0usize;
    let every = trickle.map_or(Duration::from_secs(3600), |(_, e)| e);
    loop {
        match tokio::time::timeout(every, s.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return got,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                continue;
            }
            Err(_) => {}
        }
        if let Some((bytes, _)) = trickle {
            let b = bytes.get(next).copied().unwrap_or(b'a');
            next += 1;
            if s.write_all(&[b]).await.is_err() || s.flush().await.is_err() {
                return got;
            }
        }
    }
}

/// How a hostile connection holds its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// Connects and never starts the TLS handshake.
    Idle,
    /// Sends a ClientHello and never finishes the handshake.
    HalfHandshake,
    /// Finishes the handshake, then sends a request's headers one byte a
    /// second, never ending them.
    SlowHeaders,
}

impl Hostile {
    /// Every kind, in turn.
    pub const ALL: [Hostile; 3] = [Hostile::Idle, Hostile::HalfHandshake, Hostile::SlowHeaders];
}

/// The start of a request whose headers never end.
pub const ENDLESS_HEADERS: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: pullprint\r\nX-Slow: ";

/// One hostile connection after another, from `source` to `to`, each held
/// the way `kind` says until the server drops it.
async fn keep_one(
    (source, to, kind): (IpAddr, SocketAddr, Hostile),
    cfg: Arc<rustls::ClientConfig>,
    counts: Arc<Counts>,
) {
    loop {
        let Ok(mut tcp) = connect_from(source, to).await else {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        counts.open.fetch_add(1, Ordering::Relaxed);
        match kind {
            Hostile::Idle => {
                hold(tcp, None).await;
            }
            Hostile::HalfHandshake => {
                if half_handshake(&mut tcp, cfg.clone(), to).await.is_ok() {
                    hold(tcp, None).await;
                }
            }
            Hostile::SlowHeaders => {
                if let Ok(s) = tls(tcp, cfg.clone(), to).await {
                    hold(s, Some((ENDLESS_HEADERS, Duration::from_secs(1)))).await;
                }
            }
        }
        counts.open.fetch_sub(1, Ordering::Relaxed);
        counts.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
struct Counts {
    open: AtomicUsize,
    dropped: AtomicUsize,
    failed: AtomicUsize,
}

/// Thousands of hostile connections, held on a runtime of their own until
/// the crowd is dropped.
#[derive(Debug)]
pub struct Crowd {
    rt: Option<tokio::runtime::Runtime>,
    counts: Arc<Counts>,
}

impl Crowd {
    /// `count` connections, spread evenly over `targets`, `sources` and
    /// every [`Hostile`] kind, opened over about a second and a half.
    pub fn start(targets: &[SocketAddr], sources: &[IpAddr], count: usize, cfg: Arc<rustls::ClientConfig>) -> Crowd {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime for the crowd");
        let counts = Arc::new(Counts::default());
        for i in 0..count {
            let to = targets[i % targets.len()];
            let source = sources[i % sources.len()];
            let kind = Hostile::ALL[(i / targets.len()) % Hostile::ALL.len()];
            let (cfg, counts) = (cfg.clone(), counts.clone());
            rt.spawn(async move {
                // Not all at once: the listen backlog would drop SYNs.
                tokio::time::sleep(Duration::from_micros(750 * i as u64)).await;
                keep_one((source, to, kind), cfg, counts).await;
            });
        }
        Crowd { rt: Some(rt), counts }
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.counts.open.load(Ordering::Relaxed)
    }

    /// Connections the server has closed so far (each was opened again).
    pub fn dropped(&self) -> usize {
        self.counts.dropped.load(Ordering::Relaxed)
    }

    /// Connections that could not be made at all.
    pub fn failed(&self) -> usize {
        self.counts.failed.load(Ordering::Relaxed)
    }

    /// Wait until at least `n` are open; false if `within` passed first.
    pub fn wait_open(&self, n: usize, within: Duration) -> bool {
        let until = std::time::Instant::now() + within;
        while self.open() < n {
            if std::time::Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }
}
