//! Support for Pullprint's end-to-end tests: starting the real `pullprint`
//! binary (and, as later issues add them, real peers) on loopback, and
//! stopping every process by its PID, even when a test fails.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The `pullprint` binary built beside this test binary.
pub fn pullprint_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test> → target/<profile>/pullprint
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("pullprint");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p pullprint` before the tests (tests/run does)",
        bin.display()
    );
    bin
}

/// Run `pullprint ARGS` to completion.
pub fn pullprint(args: &[&str]) -> Output {
    Command::new(pullprint_bin()).args(args).stdin(Stdio::null()).output().expect("run pullprint")
}

/// Run `pullprint ARGS` with `input` on stdin.
pub fn pullprint_with_stdin(args: &[&str], input: &str) -> Output {
    let mut c = Command::new(pullprint_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pullprint");
    c.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    c.wait_with_output().expect("wait")
}

/// stdout and stderr of an output, for assertion messages.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A temporary folder that other users can traverse (so a daemon that drops
/// to `nobody` can reach a data folder inside it).
pub fn world_traversable_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::Builder::new().prefix("pullprint-test-").tempdir().expect("tempdir");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    d
}

/// Write a configuration for a test instance: loopback, port 0, data in
/// `data`. `extra` continues the `[store]` table, and may open others.
pub fn write_config(dir: &Path, data: &Path, extra: &str) -> PathBuf {
    let p = dir.join("pullprint.toml");
    let text = format!(
        "[site]\nname = \"test\"\nhostnames = [\"localhost\"]\naddresses = [\"127.0.0.1\"]\n\
         [paths]\ndata_dir = \"{}\"\n[listen]\nweb = [\"127.0.0.1:0\"]\nipp = [\"127.0.0.1:0\"]\npanel = [\"127.0.0.1:0\"]\n[store]\nmin_free_bytes = 0\n{extra}",
        data.display()
    );
    std::fs::write(&p, text).expect("write config");
    p
}

/// `pullprint demo` on free loopback ports with its data in `data`.
pub fn demo_args(data: impl AsRef<Path>) -> Vec<String> {
    ["demo", "--web-port", "0", "--ipp-port", "0", "--panel-port", "0", "--data-dir"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([data.as_ref().to_str().expect("utf8").to_owned()])
        .collect()
}

/// The site recovery password in `pullprint init`'s output.
pub fn password_from(init_output: &str) -> String {
    init_output
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 35 && l.split('-').count() == 6 && l.split('-').all(|g| g.len() == 5))
        .expect("recovery password in output")
        .to_owned()
}

pub mod bench;
pub mod browser;
pub mod brute;
pub mod client;
pub mod hostile;
pub mod ipp;
pub mod peers;
pub mod s3;
pub mod samba;
pub mod site;
pub mod snmp;
pub mod timing;

/// A running `pullprint serve` (or `demo`), killed by PID when dropped.
#[derive(Debug)]
pub struct Daemon {
    /// The child process.
    pub child: Child,
    /// Its data folder.
    pub data: PathBuf,
    /// Where its web listener is bound.
    pub web: SocketAddr,
    /// Where its IPP listener is bound.
    pub ipp: SocketAddr,
    /// Where its panel listener is bound.
    pub panel: SocketAddr,
    log: PathBuf,
}

impl Daemon {
    /// Start `pullprint ARGS` with `env`, and wait until `run/endpoints.json` names its listener.
    pub fn start(args: &[&str], data: &Path, env: &[(&str, &str)]) -> Result<Daemon, String> {
        let _ = std::fs::remove_file(data.join("run/endpoints.json"));
        let (child, log) = Daemon::spawn(args, data, env);
        Daemon::ready(child, data, log)
    }

    /// Start `pullprint ARGS` on a data folder with no site, and wait until
    /// it serves first-boot setup: the child, its log, and the setup
    /// listener's address. [`Daemon::ready`] waits for it to serve after setup.
    pub fn start_first_boot(args: &[&str], data: &Path) -> Result<(Child, PathBuf, SocketAddr), String> {
        let (mut child, log) = Daemon::spawn(args, data, &[]);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                let out = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("pullprint exited with {status} before setup:\n{out}"));
            }
            if let Ok(b) = std::fs::read(data.join("run/setup.json")) {
                let v: serde_json::Value = serde_json::from_slice(&b).expect("setup json");
                let web: SocketAddr = v["web"][0].as_str().expect("web addr").parse().expect("addr");
                return Ok((child, log, web));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err("pullprint did not serve setup within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn spawn(args: &[&str], data: &Path, env: &[(&str, &str)]) -> (Child, PathBuf) {
        let log = data.with_extension("log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(pullprint_bin());
        cmd.args(args).stdin(Stdio::null()).stdout(log_file.try_clone().expect("dup")).stderr(log_file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        (cmd.spawn().expect("spawn daemon"), log)
    }

    /// [`Daemon::start`], waiting up to `within` (a store of a million jobs
    /// takes longer than a minute to reconcile).
    pub fn start_within(args: &[&str], data: &Path, within: Duration) -> Result<Daemon, String> {
        let _ = std::fs::remove_file(data.join("run/endpoints.json"));
        let (child, log) = Daemon::spawn(args, data, &[]);
        Daemon::ready_within(child, data, log, within)
    }

    /// Wait until the started `child` names its listeners in `run/endpoints.json`.
    pub fn ready(child: Child, data: &Path, log: PathBuf) -> Result<Daemon, String> {
        Daemon::ready_within(child, data, log, Duration::from_secs(60))
    }

    fn ready_within(mut child: Child, data: &Path, log: PathBuf, within: Duration) -> Result<Daemon, String> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                let out = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("pullprint exited with {status} before it was ready:\n{out}"));
            }
            if let Ok(b) = std::fs::read(data.join("run/endpoints.json")) {
                let v: serde_json::Value = serde_json::from_slice(&b).expect("endpoints json");
                let web: SocketAddr = v["web"][0].as_str().expect("web addr").parse().expect("addr");
                let ipp: SocketAddr = v["ipp"][0].as_str().expect("ipp addr").parse().expect("addr");
                let panel: SocketAddr = v["panel"][0].as_str().expect("panel addr").parse().expect("addr");
                if TcpStream::connect(web).is_ok() && TcpStream::connect(ipp).is_ok() {
                    return Ok(Daemon { child, data: data.to_owned(), web, ipp, panel, log });
                }
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("pullprint did not become ready within {} s", within.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Everything the daemon printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Send SIGTERM and wait for the exit status.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), nix::sys::signal::Signal::SIGTERM)
            .expect("SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return (s, self.log());
            }
            assert!(Instant::now() < deadline, "daemon ignored SIGTERM for 40 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Print-Job of a PDF `doc` over IPPS as `user` with `password` in HTTP
    /// Basic: (HTTP status, IPP status).
    pub fn print_as(&self, user: &str, password: &str, doc: &[u8]) -> (u16, Option<u16>) {
        self.print_format_as(user, password, "application/pdf", doc)
    }

    /// Print-Job of `doc` in `format` as `user`: (HTTP code, IPP status).
    pub fn print_format_as(&self, user: &str, password: &str, format: &str, doc: &[u8]) -> (u16, Option<u16>) {
        let mut r = ipp::Request::new(0x0002, 1, &format!("ipps://{}/ipp/print", self.ipp));
        r.attr(ipp::tag::NAME, "requesting-user-name", user.as_bytes());
        r.attr(ipp::tag::MIME, "document-format", format.as_bytes());
        let auth = ipp::basic(user, password);
        let (code, _, body) = https_request(
            self.ipp,
            &self.data.join("tls/ca.crt"),
            "POST",
            "/ipp/print",
            &[("Content-Type", "application/ipp"), ("Authorization", &auth)],
            &r.finish(doc),
        )
        .expect("POST");
        (code, ipp::status(&body))
    }

    /// The full health report, asked for with the status token the daemon
    /// wrote in its data folder (as `pullprint status` does): (HTTP status, body).
    pub fn health(&self) -> Result<(u16, String), String> {
        let token = std::fs::read_to_string(self.data.join("run/status.token")).map_err(|e| e.to_string())?;
        let auth = format!("Bearer {}", token.trim());
        let (code, _, body) = https_request(
            self.web,
            &self.data.join("tls/ca.crt"),
            "GET",
            "/healthz",
            &[("Authorization", &auth)],
            &[],
        )?;
        Ok((code, String::from_utf8_lossy(&body).into_owned()))
    }

    /// GET `path` over HTTPS, verifying the server against the data folder's CA.
    pub fn get(&self, path: &str) -> Result<(u16, String), String> {
        https_get(self.web, &self.data.join("tls/ca.crt"), path)
    }

    /// POST an HTML form to `path` on the web listener, as a browser would:
    /// (status, raw headers, body).
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> (u16, String, String) {
        let body = form_encode(fields);
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        let (code, head, body) =
            https_request(self.web, &self.data.join("tls/ca.crt"), "POST", path, &h, body.as_bytes()).expect("POST");
        (code, head, String::from_utf8_lossy(&body).into_owned())
    }
}

/// `application/x-www-form-urlencoded` encoding of `fields`.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".into(),
                b => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// GET over HTTPS with TLS 1.2+, trusting only `ca_pem`; returns status and body.
pub fn https_get(addr: SocketAddr, ca_pem: &Path, path: &str) -> Result<(u16, String), String> {
    let (code, _, body) = https_request(addr, ca_pem, "GET", path, &[], &[])?;
    Ok((code, String::from_utf8_lossy(&body).into_owned()))
}

/// One HTTPS request (HTTP/1.1, Connection: close); returns status, raw headers and body.
pub fn https_request(
    addr: SocketAddr,
    ca_pem: &Path,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, String, Vec<u8>), String> {
    https_request_as(addr, ca_pem, None, method, path, headers, body)
}

/// [`https_request`], presenting the client certificate and key in
/// `client` (PEM files) when given.
pub fn https_request_as(
    addr: SocketAddr,
    ca_pem: &Path,
    client: Option<(&Path, &Path)>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, String, Vec<u8>), String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca_pem).map_err(|e| e.to_string())?;
    for c in CertificateDer::pem_slice_iter(&pem) {
        roots.add(c.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let cfg = match client {
        None => builder.with_no_client_auth(),
        Some((crt, key)) => {
            let chain = CertificateDer::pem_file_iter(crt)
                .map_err(|e| e.to_string())?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| e.to_string())?;
            builder.with_client_auth_cert(chain, key).map_err(|e| e.to_string())?
        }
    };
    let conn = rustls::ClientConnection::new(Arc::new(cfg), ServerName::IpAddress(addr.ip().into()))
        .map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    tls.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    // The server may answer (and close) before taking the whole body.
    let _ = tls.write_all(body);
    let mut resp = Vec::new();
    // Some servers close without close_notify; what arrived is still whole HTTP.
    if let Err(e) = tls.read_to_end(&mut resp)
        && resp.is_empty()
    {
        return Err(e.to_string());
    }
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or("no status line")?;
    let mut body = resp[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Ok((code, head, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..nl]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        let start = nl + 2;
        out.extend_from_slice(&b[start..(start + n).min(b.len())]);
        b = &b[(start + n + 2).min(b.len())..];
    }
    out
}

/// True when the tests run as root (privilege drop and tmpfs tests need it).
pub fn is_root() -> bool {
    nix::unistd::getuid().is_root()
}

/// Read the site key from a data folder, as the daemon does.
pub fn site_key_of(data: &Path) -> local_connector::crypto::SiteKey {
    let text = std::fs::read_to_string(data.join("keys/site.key")).expect("site.key");
    let hexkey = text.trim().strip_prefix("pullprint-site-key-v1 ").expect("key file tag");
    let mut raw = [0u8; 32];
    hex::decode_to_slice(hexkey, &mut raw).expect("hex");
    local_connector::crypto::SiteKey::from_bytes(raw)
}

/// Open the job store of a data folder directly.
pub fn open_store(data: &Path) -> local_connector::store::JobStore {
    let opts = store_options(&data.join("store"));
    local_connector::store::JobStore::open(opts, &site_key_of(data)).expect("open store").0
}

/// Store options used by tests.
pub fn store_options(dir: &Path) -> local_connector::store::StoreOptions {
    local_connector::store::StoreOptions {
        dir: dir.to_owned(),
        retention: Duration::from_secs(24 * 3600),
        max_job_bytes: 64 << 20,
        min_free_bytes: 0,
        index_cache_bytes: 8 << 20,
        outbox: None,
    }
}

/// Deterministic job content for a seed, so that a checker can recompute it.
pub fn body_for(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24).to_le_bytes()[0]
        })
        .collect()
}

/// A PDF with `title` whose one stream is `noise` pseudo-random bytes from
/// `seed` ([`body_for`]): a real format the queue accepts, and content by
/// which a printed copy is told from every other.
pub fn pdf(title: &str, seed: u64, noise: usize) -> Vec<u8> {
    let mut d = format!(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 1/Kids[]>>endobj\n\
         3 0 obj<</Title({title})>>endobj\n4 0 obj<</Length {noise}>>stream\n"
    )
    .into_bytes();
    d.extend_from_slice(&body_for(seed, noise));
    d.extend_from_slice(b"\nendstream\nendobj\ntrailer<</Root 1 0 R/Info 3 0 R>>\n%%EOF\n");
    d
}

/// Print-Job of a PDF `doc` over `conn` (an IPPS connection to the queue
/// at `ipp`) as `user` with `secret` (password or print token) in HTTP
/// Basic: (HTTP status, IPP status), or the I/O error that ended it.
pub fn print_on(
    conn: &mut client::Conn,
    ipp: SocketAddr,
    user: &str,
    secret: &str,
    doc: &[u8],
) -> std::io::Result<(u16, Option<u16>)> {
    let mut r = ipp::Request::new(0x0002, 1, &format!("ipps://{ipp}/ipp/print"));
    r.attr(ipp::tag::NAME, "requesting-user-name", user.as_bytes());
    r.attr(ipp::tag::MIME, "document-format", b"application/pdf");
    let auth = ipp::basic(user, secret);
    let resp =
        conn.post("/ipp/print", &[("Content-Type", "application/ipp"), ("Authorization", &auth)], &r.finish(doc))?;
    Ok((resp.status, ipp::status(&resp.body)))
}
