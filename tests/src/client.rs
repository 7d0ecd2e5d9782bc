//! A small blocking HTTP/1.1 client that keeps its connection open between
//! requests, over TLS (verified against a CA file) or plain TCP: what an IPP
//! client does, with nothing in the way of measuring the server.

use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// One persistent HTTP/1.1 connection.
pub struct Conn {
    io: BufReader<Stream>,
    host: String,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Conn({})", self.host)
    }
}

/// A response: status, headers (lower-cased names) and body.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Header lines as (lower-cased name, value).
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

fn tcp(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let t = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    t.set_read_timeout(Some(Duration::from_secs(120)))?;
    t.set_nodelay(true)?;
    Ok(t)
}

/// A TLS 1.2+ client configuration trusting only the CA certificates in
/// `ca_pem`. Connections made with one shared configuration resume their
/// TLS sessions, as a printer's panel does.
pub fn client_config(ca_pem: &Path) -> std::io::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca_pem)?;
    for c in CertificateDer::pem_slice_iter(&pem) {
        roots.add(c.map_err(std::io::Error::other)?).map_err(std::io::Error::other)?;
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(std::io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

impl Conn {
    /// Connect over TLS 1.2+, trusting only the CA certificates in `ca_pem`.
    pub fn tls(addr: SocketAddr, ca_pem: &Path) -> std::io::Result<Conn> {
        Conn::tls_with(addr, client_config(ca_pem)?)
    }

    /// Connect over TLS with a given client configuration.
    pub fn tls_with(addr: SocketAddr, cfg: Arc<rustls::ClientConfig>) -> std::io::Result<Conn> {
        let conn = rustls::ClientConnection::new(cfg, ServerName::IpAddress(addr.ip().into()))
            .map_err(std::io::Error::other)?;
        let s = Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp(addr)?)));
        Ok(Conn { io: BufReader::with_capacity(64 * 1024, s), host: addr.to_string() })
    }

    /// The request head.
    fn head(&self, method: &str, path: &str, headers: &[(&str, &str)], len: Option<u64>) -> String {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(len) = len {
            head.push_str(&format!("Content-Length: {len}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        head
    }

    /// GET `path` and read the response.
    pub fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> std::io::Result<Response> {
        let head = self.head("GET", path, headers, None);
        let w = self.io.get_mut();
        w.write_all(head.as_bytes())?;
        w.flush()?;
        self.response()
    }

    /// Connect over plain TCP.
    pub fn plain(addr: SocketAddr) -> std::io::Result<Conn> {
        Ok(Conn { io: BufReader::with_capacity(64 * 1024, Stream::Plain(tcp(addr)?)), host: addr.to_string() })
    }

    /// `method` `path` with `body` (already in memory, sent with its length
    /// even when empty) and read the response.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Response> {
        let head = self.head(method, path, headers, Some(body.len() as u64));
        let w = self.io.get_mut();
        w.write_all(head.as_bytes())?;
        w.write_all(body)?;
        w.flush()?;
        self.response()
    }

    /// POST `body` (already in memory) and read the response.
    pub fn post(&mut self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<Response> {
        self.post_with(path, headers, body.len() as u64, |w| w.write_all(body))
    }

    /// POST a body of `len` bytes that `write_body` produces, and read the response.
    pub fn post_with(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        len: u64,
        write_body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<Response> {
        let head = self.head("POST", path, headers, Some(len));
        let w = self.io.get_mut();
        w.write_all(head.as_bytes())?;
        write_body(w)?;
        w.flush()?;
        self.response()
    }

    /// POST a chunked body, one HTTP chunk per item of `chunks`, each
    /// written (and flushed) on its own as a trickling client would; then
    /// read the response.
    pub fn post_chunked<'a>(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        chunks: impl IntoIterator<Item = &'a [u8]>,
    ) -> std::io::Result<Response> {
        let mut all: Vec<(&str, &str)> = vec![("Transfer-Encoding", "chunked")];
        all.extend_from_slice(headers);
        let head = self.head("POST", path, &all, None);
        let w = self.io.get_mut();
        w.write_all(head.as_bytes())?;
        for c in chunks {
            w.write_all(format!("{:x}\r\n", c.len()).as_bytes())?;
            w.write_all(c)?;
            w.write_all(b"\r\n")?;
            w.flush()?;
        }
        w.write_all(b"0\r\n\r\n")?;
        w.flush()?;
        self.response()
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut l = String::new();
        if self.io.read_line(&mut l)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        Ok(l.trim_end().to_owned())
    }

    fn response(&mut self) -> std::io::Result<Response> {
        let status_line = self.line()?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let l = self.line()?;
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let mut body = Vec::new();
        if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                let size = usize::from_str_radix(self.line()?.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(std::io::Error::other)?;
                if size == 0 {
                    while !self.line()?.is_empty() {}
                    break;
                }
                let at = body.len();
                body.resize(at + size, 0);
                self.io.read_exact(&mut body[at..])?;
                self.line()?;
            }
        } else if let Some(n) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            body.resize(n, 0);
            self.io.read_exact(&mut body)?;
        }
        Ok(Response { status, headers, body })
    }
}
