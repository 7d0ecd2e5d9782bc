//! The one accept loop every listener runs: a cap on connections, a TLS
//! handshake deadline, `TCP_NODELAY`, HTTP/1.1 with a deadline for each
//! request's headers, and a graceful stop.

use super::ClientCert;
use crate::counted::Counter;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;

/// Most connections served at once on one listener.
pub const MAX_CONNECTIONS: usize = 4096;
/// A TLS handshake that takes longer than this is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound socket and what it serves.
pub struct Listener {
    /// The socket, bound (and non-blocking) before privileges were dropped.
    pub socket: std::net::TcpListener,
    /// TLS for every connection; `None` only for a plaintext listener that
    /// a dangerous setting asked for.
    pub tls: Option<TlsAcceptor>,
    /// The routes. Each request carries its peer's [`SocketAddr`] and the
    /// [`ClientCert`] its handshake established as extensions.
    pub router: axum::Router,
    /// Most connections one address (an IPv6 /64) holds at once here, so
    /// that one client cannot take every slot.
    pub max_per_address: usize,
    /// How long a connection may wait for the whole head of its next
    /// request, counted from the end of the handshake or of the last
    /// answer: idle keep-alive and headers trickled byte by byte alike.
    pub header_timeout: Duration,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").field("socket", &self.socket).field("tls", &self.tls.is_some()).finish()
    }
}

/// Accept connections on `l` until `stop` changes. Every connection holds
/// a clone of `alive`, so that the caller learns when the last one ended.
/// Call within the runtime.
pub fn serve(l: Listener, stop: watch::Receiver<bool>, alive: mpsc::Sender<()>) -> std::io::Result<()> {
    let socket = tokio::net::TcpListener::from_std(l.socket)?;
    tokio::spawn(accept_loop(socket, (l.tls, l.max_per_address, l.header_timeout), l.router, stop, alive));
    Ok(())
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    (tls, max_per_address, header_timeout): (Option<TlsAcceptor>, usize, Duration),
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
    alive: mpsc::Sender<()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let per_address: Counter<IpAddr> = Counter::default();
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
        let Some(held) = per_address.take(address_key(peer.ip()), max_per_address) else {
            log::debug!("refused a connection from {peer}: it holds {max_per_address} already");
            continue;
        };
        // Answers go out as soon as they are written: with Nagle's algorithm
        // a response split over two segments waits for the client's delayed
        // ACK (40 ms on Linux) between them.
        let _ = tcp.set_nodelay(true);
        let (tls, router, stop, alive) = (tls.clone(), router.clone(), stop.clone(), alive.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let _held = held;
            let _alive = alive;
            let Some(tls) = tls else {
                return serve_connection(tcp, (router, header_timeout), peer, ClientCert::default(), stop).await;
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                Ok(Ok(s)) => {
                    let client = ClientCert::of(s.get_ref().1.peer_certificates());
                    serve_connection(s, (router, header_timeout), peer, client, stop).await
                }
                Ok(Err(e)) => log::debug!("TLS handshake with {peer} failed: {e}"),
                Err(_) => log::debug!("TLS handshake with {peer} timed out"),
            }
        });
    }
}

/// The address a connection counts against: an IPv4 address, or the /64
/// of an IPv6 one (a host holds a whole /64).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// Serve HTTP/1.1 on one connection until the client is done or shutdown.
async fn serve_connection<S>(
    io: S,
    (router, header_timeout): (axum::Router, Duration),
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
        .header_read_timeout(header_timeout)
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
