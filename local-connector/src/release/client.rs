//! IPP over HTTP/1.1, with or without TLS: the sockets of the `ipps` and
//! `ipp` transports. A document streams from the store's decrypting reader
//! through a small bounded channel, so a job of any size is sent in
//! constant memory.

use super::ReleaseError;
use super::tls::PrinterVerifier;
use super::uri::PrinterUri;
use crate::ipp::codec::{self, Message as Response, Writer};
use crate::store::JobReader;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited, combinators::BoxBody};
use hyper::body::Frame;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

type Body = BoxBody<Bytes, io::Error>;

/// Largest answer read from a printer.
const MAX_ANSWER: usize = 1 << 20;
/// Plaintext bytes per frame sent.
const CHUNK: usize = 256 * 1024;
/// Frames in flight between the decrypting reader and the socket.
const IN_FLIGHT: usize = 4;

/// One HTTP/1.1 connection to a printer.
pub(super) struct Connection {
    sender: SendRequest<Body>,
    uri: PrinterUri,
    request_id: i32,
    /// A small request's answer must come within this.
    timeout: Duration,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("uri", &self.uri.to_string()).finish_non_exhaustive()
    }
}

/// Open a TCP connection to `uri`'s host and port, within `timeout`.
pub(super) async fn tcp(uri: &PrinterUri, timeout: Duration) -> Result<TcpStream, ReleaseError> {
    let unreachable = |source| ReleaseError::Unreachable { uri: uri.to_string(), source };
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((uri.host.as_str(), uri.port)))
        .await
        .map_err(|_| unreachable(timed_out(format!("no answer within {} s", timeout.as_secs()))))?
        .map_err(unreachable)?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// An I/O error that says a step ran out of time.
fn timed_out(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, what)
}

/// Connect to `uri`: over TLS, verified by `tls`, for `ipps`; in plaintext for `ipp`.
pub(super) async fn connect(
    uri: &PrinterUri,
    tls: Option<&Arc<PrinterVerifier>>,
    timeout: Duration,
) -> Result<Connection, ReleaseError> {
    let tcp = tcp(uri, timeout).await?;
    let sender = match tls {
        None => handshake(tcp).await?,
        Some(v) => {
            let bad = |source| ReleaseError::Tls { uri: uri.to_string(), source };
            let cfg = v.client_config().map_err(|e| bad(std::io::Error::other(e)))?;
            let name = rustls::pki_types::ServerName::try_from(uri.host.clone())
                .map_err(|e| ReleaseError::Misconfigured(format!("{}: {e}", uri.host)))?;
            let s = tokio::time::timeout(timeout, tokio_rustls::TlsConnector::from(cfg).connect(name, tcp))
                .await
                .map_err(|_| bad(timed_out("no TLS answer in time".into())))?
                .map_err(|source| match (v.seen(), crate::net::TlsRefusal::of(&source)) {
                    // A certificate was shown and refused: not "nothing answered".
                    (Some(_), _) => ReleaseError::Untrusted { uri: uri.to_string(), source },
                    (None, Some(crate::net::TlsRefusal::OldVersion)) => ReleaseError::OldTls { uri: uri.to_string() },
                    (None, _) => bad(source),
                })?;
            handshake(s).await?
        }
    };
    Ok(Connection { sender, uri: uri.clone(), request_id: 0, timeout })
}

async fn handshake<S>(io: S) -> Result<SendRequest<Body>, ReleaseError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| ReleaseError::Broken(format!("at the start: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            log::debug!("release: printer connection ended: {e}");
        }
    });
    Ok(sender)
}

/// A body fed by the blocking thread that decrypts the job. It notes when
/// the connection last took a frame, so that a printer that stops taking
/// data can be told from one that is slow.
struct ChannelBody {
    rx: mpsc::Receiver<Result<Frame<Bytes>, io::Error>>,
    progress: Arc<std::sync::Mutex<Instant>>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let r = self.rx.poll_recv(cx);
        if r.is_ready() {
            *self.progress.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        }
        r
    }
}

/// Decrypt `reader` into `tx`, a chunk at a time. `Err(Damaged)` when a
/// chunk fails authentication: the body then ends with an error, so the
/// printer never receives a whole, altered document.
pub(super) fn pump(
    mut reader: JobReader,
    tx: &mpsc::Sender<Result<Frame<Bytes>, io::Error>>,
) -> Result<u64, ReleaseError> {
    let mut sent = 0u64;
    loop {
        let mut buf = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::error!("release: job {} could not be read: {e}", reader.meta.id);
                    let _ = tx.blocking_send(Err(io::Error::other("the parked job is damaged")));
                    return Err(ReleaseError::Damaged);
                }
            }
        }
        if filled == 0 {
            return Ok(sent);
        }
        buf.truncate(filled);
        sent += filled as u64;
        if tx.blocking_send(Ok(Frame::data(Bytes::from(buf)))).is_err() {
            // The connection went away; the sender reports why.
            return Ok(sent);
        }
    }
}

impl Connection {
    fn next_id(&mut self) -> i32 {
        self.request_id = self.request_id.wrapping_add(1).max(1);
        self.request_id
    }

    /// Whether the printer has not closed the connection.
    pub(super) fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// A new request for `operation` to this printer.
    pub(super) fn request(&mut self, operation: u16) -> Writer {
        let id = self.next_id();
        Writer::request(operation, id, &self.uri.to_string())
    }

    /// Send a small request and read the answer, within the connection's timeout.
    pub(super) async fn call(&mut self, body: Vec<u8>) -> Result<Response, ReleaseError> {
        let len = body.len() as u64;
        let body = Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed();
        let limit = self.timeout;
        tokio::time::timeout(limit, self.send(body, len))
            .await
            .map_err(|_| ReleaseError::Broken(format!("the printer did not answer within {} s", limit.as_secs())))?
    }

    /// Send `header` (an encoded Print-Job attribute section) followed by
    /// the job's plaintext, `len` bytes, as it is decrypted. Fails once the
    /// printer has taken nothing for `stall`.
    pub(super) async fn print(
        &mut self,
        header: Vec<u8>,
        reader: JobReader,
        len: u64,
        stall: Duration,
    ) -> Result<Response, ReleaseError> {
        let (tx, rx) = mpsc::channel(IN_FLIGHT);
        let total = header.len() as u64 + len;
        // The header goes first, before the reader is touched: the printer
        // sees its first byte as soon as the connection allows.
        let _ = tx.send(Ok(Frame::data(Bytes::from(header)))).await;
        let producer = tokio::task::spawn_blocking(move || pump(reader, &tx));
        let progress = Arc::new(std::sync::Mutex::new(Instant::now()));
        let body = ChannelBody { rx, progress: progress.clone() }.boxed();
        let watch = async {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if progress.lock().unwrap_or_else(|p| p.into_inner()).elapsed() > stall {
                    return;
                }
            }
        };
        let answer = tokio::select! {
            a = self.send(body, total) => a,
            () = watch => Err(ReleaseError::Broken(format!(
                "while sending: the printer took nothing for {} s", stall.as_secs()
            ))),
        };
        match producer.await {
            Ok(Err(e)) => return Err(e),
            Ok(Ok(sent)) if sent != len && answer.is_ok() => {
                log::warn!("release: sent {sent} of {len} bytes before the printer answered");
            }
            Ok(Ok(_)) => {}
            Err(e) => return Err(ReleaseError::Broken(format!("while decrypting: {e}"))),
        }
        answer
    }

    async fn send(&mut self, body: Body, len: u64) -> Result<Response, ReleaseError> {
        self.sender.ready().await.map_err(|e| ReleaseError::Broken(format!("before sending: {e}")))?;
        let req = hyper::Request::post(self.uri.path.as_str())
            .header(hyper::header::HOST, self.uri.authority())
            .header(hyper::header::CONTENT_TYPE, "application/ipp")
            .header(hyper::header::CONTENT_LENGTH, len)
            .body(body)
            .map_err(|e| ReleaseError::Misconfigured(format!("{}: {e}", self.uri)))?;
        let resp =
            self.sender.send_request(req).await.map_err(|e| ReleaseError::Broken(format!("while sending: {e}")))?;
        let status = resp.status();
        if status == hyper::StatusCode::UPGRADE_REQUIRED {
            return Err(ReleaseError::Refused("the printer requires TLS (HTTP 426); use its ipps:// URI".into()));
        }
        if status == hyper::StatusCode::UNAUTHORIZED || status == hyper::StatusCode::FORBIDDEN {
            return Err(ReleaseError::Refused(format!(
                "the printer asks for authentication (HTTP {}); allow IPP printing from the appliance on it",
                status.as_u16()
            )));
        }
        if status != hyper::StatusCode::OK {
            return Err(ReleaseError::PeerMisbehaved(format!("HTTP {status}")));
        }
        let bytes = Limited::new(resp.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| ReleaseError::Broken(format!("while reading the answer: {e}")))?
            .to_bytes();
        let framed = match codec::scan(&bytes) {
            Ok(codec::Scan::Complete(f)) => f,
            Ok(codec::Scan::NeedMore) => {
                return Err(ReleaseError::PeerMisbehaved("the answer ends inside its attributes".into()));
            }
            Err(e) => return Err(ReleaseError::PeerMisbehaved(e.to_string())),
        };
        Response::read(&framed, &bytes).map_err(|e| ReleaseError::PeerMisbehaved(e.to_string()))
    }
}
