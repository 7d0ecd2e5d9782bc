//! Headless Chromium, driven over W3C WebDriver by chromedriver, for the
//! pages people use. Both run on loopback and are stopped by PID.
//!
//! The browser trusts exactly one server key (`--ignore-certificate-errors-spki-list`
//! with the key's SHA-256), not "any certificate", and resolves no name but
//! localhost, so a test page cannot reach the network. Screenshots are kept
//! under `target/test-artifacts/` for a person to look at.

use crate::peers::Guard;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A browser session.
#[derive(Debug)]
pub struct Browser {
    driver: SocketAddr,
    session: String,
    _chromedriver: Guard,
    _profile: tempfile::TempDir,
}

/// The base64 SHA-256 of a certificate's public key (SPKI), as Chromium
/// takes it in `--ignore-certificate-errors-spki-list`.
pub fn spki_sha256(cert_pem: &Path) -> String {
    let script = format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
        cert_pem.display()
    );
    let o = Command::new("sh").args(["-c", &script]).output().expect("openssl");
    assert!(o.status.success(), "openssl: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// Where screenshots go.
pub fn artifacts() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts");
    std::fs::create_dir_all(&d).expect("artifacts dir");
    d
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// One HTTP/1.1 exchange with chromedriver; the JSON `value` of the answer.
fn call(
    driver: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<serde_json::Value, String> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = TcpStream::connect_timeout(&driver, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {driver}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open whatever the request says, so
    // read the headers, then exactly Content-Length bytes.
    let mut resp = Vec::new();
    let mut buf = [0u8; 8192];
    let (split, len) = loop {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("chromedriver closed the connection".into());
        }
        resp.extend_from_slice(&buf[..n]);
        if let Some(split) = resp.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&resp[..split]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or("no Content-Length from chromedriver")?;
            break (split, len);
        }
    };
    while resp.len() < split + 4 + len {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        resp.extend_from_slice(&buf[..n]);
    }
    let v: serde_json::Value =
        serde_json::from_slice(&resp[split + 4..]).map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&resp)))?;
    let value = v.get("value").cloned().unwrap_or(serde_json::Value::Null);
    if let Some(err) = value.get("error") {
        return Err(format!("{err}: {}", value.get("message").and_then(|m| m.as_str()).unwrap_or_default()));
    }
    Ok(value)
}

/// What the phone browser says it is: Chrome on an Android phone.
pub const PHONE_USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

/// Make session `id`'s page area (not its window) `width`×`height`, as on a panel.
fn fit_viewport(driver: SocketAddr, id: &str, width: u32, height: u32) -> Result<(), String> {
    let script = serde_json::json!({"script": "return [window.innerWidth, window.innerHeight];", "args": []});
    let v = call(driver, "POST", &format!("/session/{id}/execute/sync"), Some(&script))?;
    let (iw, ih) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
    let (w, h) = (i64::from(width), i64::from(height));
    if (iw, ih) != (w, h) {
        let rect = serde_json::json!({"width": w + (w - iw), "height": h + (h - ih)});
        call(driver, "POST", &format!("/session/{id}/window/rect"), Some(&rect))?;
    }
    Ok(())
}

/// A chromedriver answering on a loopback port. The port is picked free
/// but another test may take it before chromedriver binds it, and then
/// chromedriver exits: it is started again on another port.
fn start_chromedriver() -> (SocketAddr, Guard) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let port = free_port();
        let driver = SocketAddr::from(([127, 0, 0, 1], port));
        // Chromium exits when the system D-Bus it connected to stops, and the
        // tests stop the bus they started for avahi-daemon when its last
        // user ends: the browser is kept off both buses, which it does not need.
        let child = Command::new("chromedriver")
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/pullprint-tests-no-bus")
            .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver)");
        let mut guard = Guard { what: "chromedriver", child };
        loop {
            if call(driver, "GET", "/status", None).is_ok() {
                return (driver, guard);
            }
            assert!(Instant::now() < deadline, "chromedriver did not answer within 60 s");
            if guard.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Browser {
    /// A headless Chromium with a `width`×`height` window that trusts the
    /// server key of `server_cert`.
    pub fn start(width: u32, height: u32, server_cert: &Path) -> Browser {
        Browser::start_trusting(width, height, Some(server_cert))
    }

    /// A headless Chromium that trusts the server key of `server_cert`, or,
    /// with `None`, no key of ours at all: a browser on a printer where the
    /// admin has not yet installed the appliance's CA.
    pub fn start_trusting(width: u32, height: u32, server_cert: Option<&Path>) -> Browser {
        Browser::launch(width, height, server_cert, None)
    }

    /// A phone's browser: Chromium emulating a 390×844 touch screen at 3×,
    /// with a mobile Chrome user agent, trusting the server key of `server_cert`.
    pub fn phone(server_cert: &Path) -> Browser {
        let mobile = serde_json::json!({
            "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true, "mobile": true},
            "userAgent": PHONE_USER_AGENT,
        });
        Browser::launch(390, 844, Some(server_cert), Some(mobile))
    }

    fn launch(width: u32, height: u32, server_cert: Option<&Path>, mobile: Option<serde_json::Value>) -> Browser {
        let (driver, guard) = start_chromedriver();
        // Chromium now and then exits while it starts on a loaded machine
        // ("Chrome instance exited"); a fresh profile and another try do.
        let mut tries = 0;
        let (session, profile) = loop {
            let profile = tempfile::tempdir().expect("profile");
            let mut args = vec![
                "--headless=new".to_owned(),
                "--no-sandbox".into(),
                "--disable-gpu".into(),
                "--disable-dev-shm-usage".into(),
                "--disable-background-networking".into(),
                "--disable-component-update".into(),
                "--disable-sync".into(),
                "--disable-extensions".into(),
                "--no-first-run".into(),
                "--no-default-browser-check".into(),
                "--no-pings".into(),
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1".into(),
                format!("--user-data-dir={}", profile.path().display()),
                format!("--window-size={width},{height}"),
            ];
            if let Some(cert) = server_cert {
                args.push(format!("--ignore-certificate-errors-spki-list={}", spki_sha256(cert)));
            }
            let mut options = serde_json::json!({"binary": "/usr/bin/chromium", "args": args});
            if let Some(m) = &mobile {
                options["mobileEmulation"] = m.clone();
            }
            let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": options
            }}});
            // Its first page can crash too ("Unable to receive message from
            // renderer"): that session is ended and a fresh one tried.
            let started = call(driver, "POST", "/session", Some(&caps))
                .map(|v| v["sessionId"].as_str().expect("session id").to_owned())
                .and_then(|id| {
                    match if mobile.is_some() { Ok(()) } else { fit_viewport(driver, &id, width, height) } {
                        Ok(()) => Ok(id),
                        Err(e) => {
                            let _ = call(driver, "DELETE", &format!("/session/{id}"), None);
                            Err(e)
                        }
                    }
                });
            match started {
                Ok(id) => break (id, profile),
                Err(e) if tries < 2 && (e.contains("exited") || e.contains("renderer") || e.contains("session")) => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("new browser session: {e}"),
            }
        };
        Browser { driver, session, _chromedriver: guard, _profile: profile }
    }

    fn call(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<serde_json::Value, String> {
        call(self.driver, method, &format!("/session/{}{path}", self.session), body)
    }

    /// Send these extra headers with every request from now on (through the
    /// DevTools protocol); an empty map stops them.
    pub fn set_extra_headers(&self, headers: &serde_json::Value) {
        let cdp = |cmd: &str, params: serde_json::Value| {
            self.call("POST", "/goog/cdp/execute", Some(&serde_json::json!({ "cmd": cmd, "params": params })))
                .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        };
        cdp("Network.enable", serde_json::json!({}));
        cdp("Network.setExtraHTTPHeaders", serde_json::json!({ "headers": headers }));
    }

    /// The value of the browser's cookie `name` for the current page's site,
    /// HttpOnly ones included (as the browser would send it).
    pub fn cookie(&self, name: &str) -> Option<String> {
        let v = self.call("GET", &format!("/cookie/{name}"), None).ok()?;
        v["value"].as_str().map(str::to_owned)
    }

    /// Open `url` and wait for it to load.
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(&serde_json::json!({ "url": url })))
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Open `url` and require that the browser refuses the server's
    /// certificate; the reason it gave.
    pub fn goto_expect_certificate_error(&self, url: &str) -> String {
        let why = match self.call("POST", "/url", Some(&serde_json::json!({ "url": url }))) {
            Err(e) => e,
            Ok(_) => self.source(),
        };
        assert!(why.contains("ERR_CERT"), "the browser accepted {url} without the CA: {why}");
        why
    }

    fn find(&self, css: &str) -> Result<String, String> {
        let v = self.call("POST", "/element", Some(&serde_json::json!({"using": "css selector", "value": css})))?;
        v[ELEMENT].as_str().map(str::to_owned).ok_or_else(|| format!("no element id for {css}"))
    }

    /// The element matching `css`, waiting up to 10 s for it to appear.
    fn wait(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.find(css) {
                Ok(id) => return id,
                Err(e) => assert!(Instant::now() < deadline, "{css} did not appear: {e}\n{}", self.source()),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait (up to 10 s) for an element matching `css` to appear.
    pub fn wait_for(&self, css: &str) {
        self.wait(css);
    }

    /// Do `step` to the element matching `css`, finding it again if the
    /// page was replaced in between.
    fn on(&self, css: &str, what: &str, step: impl Fn(&str) -> Result<serde_json::Value, String>) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let id = self.wait(css);
            match step(&id) {
                Ok(v) => return v,
                Err(e) if e.contains("stale") && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("{what} {css}: {e}"),
            }
        }
    }

    /// Fill each `(selector, value)` field in turn, then click `button`,
    /// as a person completing a form does.
    pub fn submit(&self, fields: &[(&str, &str)], button: &str) {
        for (selector, value) in fields {
            self.fill(selector, value);
        }
        self.click(button);
    }

    /// Type `text` into the field matching `css`. Unless the text ends with
    /// Enter (which submits), the field is read back and typed again should
    /// its value differ: a page that has just loaded may still move the focus
    /// (autofocus) while keys arrive.
    pub fn fill(&self, css: &str, text: &str) {
        for _ in 0..5 {
            let v = self.on(css, "fill", |id| {
                if text.ends_with('\n') {
                    self.mark_document();
                }
                self.call("POST", &format!("/element/{id}/clear"), Some(&serde_json::json!({})))?;
                self.call("POST", &format!("/element/{id}/value"), Some(&serde_json::json!({ "text": text })))?;
                if text.ends_with('\n') {
                    return Ok(serde_json::Value::Bool(true));
                }
                let v = self.call("GET", &format!("/element/{id}/property/value"), None)?;
                Ok(serde_json::Value::Bool(v.as_str() == Some(text)))
            });
            if v == serde_json::Value::Bool(true) {
                if text.ends_with('\n') {
                    self.await_new_document(Duration::from_millis(1500));
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{css} would not take the text typed into it:\n{}", self.source());
    }

    /// Click the element matching `css`. A click on a link or button that
    /// loads another page returns once that page has loaded, so that what
    /// is read next is never the page before.
    pub fn click(&self, css: &str) {
        let navigates = self.on(css, "click", |id| {
            let tag = self.call("GET", &format!("/element/{id}/name"), None)?;
            let navigates = matches!(tag.as_str(), Some("a" | "button" | "A" | "BUTTON"));
            if navigates {
                self.mark_document();
            }
            match self.call("POST", &format!("/element/{id}/click"), Some(&serde_json::json!({}))) {
                Ok(_) => {}
                // chromedriver gave up waiting on a renderer busy with the
                // page the click asked for (seen on a loaded machine): the
                // click was delivered, and what follows waits for that page.
                Err(e) if navigates && e.contains("Unable to receive message from renderer") => {
                    eprintln!("browser: click {css}: {e}; waiting for the page instead");
                }
                Err(e) => return Err(e),
            }
            Ok(serde_json::Value::Bool(navigates))
        });
        if navigates == serde_json::Value::Bool(true) {
            self.await_new_document(Duration::from_millis(1500));
        }
    }

    /// Tag the current document, so that [`Browser::await_new_document`]
    /// can tell when another has replaced it.
    fn mark_document(&self) {
        let script = serde_json::json!({"script": "window.__ppOld = true; return true;", "args": []});
        let _ = self.call("POST", "/execute/sync", Some(&script));
    }

    /// Wait, up to `within`, for a new document to replace the marked one,
    /// then for it to finish loading. A click that loads nothing costs `within`.
    fn await_new_document(&self, within: Duration) {
        let script = serde_json::json!({
            "script": "return window.__ppOld === true ? 'old' : document.readyState;", "args": []
        });
        let deadline = Instant::now() + within;
        let mut loaded_by = None;
        // A renderer that does not answer at all is given this long.
        let answer_by = Instant::now() + Duration::from_secs(60);
        loop {
            match self.call("POST", "/execute/sync", Some(&script)) {
                Ok(v) if v.as_str() == Some("complete") => return,
                Ok(v) if v.as_str() == Some("old") && Instant::now() >= deadline => return,
                Ok(v) if v.as_str() != Some("old") => {
                    let by = *loaded_by.get_or_insert(Instant::now() + Duration::from_secs(10));
                    assert!(Instant::now() < by, "the page did not finish loading:\n{}", self.source());
                }
                Err(e) => assert!(Instant::now() < answer_by, "the page does not answer: {e}"),
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The visible text of the element matching `css` (waiting for it, and
    /// looking again if the page was replaced in between).
    pub fn text(&self, css: &str) -> String {
        let v = self.on(css, "text of", |id| self.call("GET", &format!("/element/{id}/text"), None));
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The page's HTML.
    pub fn source(&self) -> String {
        self.call("GET", "/source", None).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    /// The accessibility problems of impact "serious" or "critical" that
    /// axe-core (injected through WebDriver, past the page's CSP, which
    /// allows no script of its own) finds on the page now, one line each:
    /// rule, impact, help and the elements concerned.
    pub fn accessibility_violations(&self) -> Vec<String> {
        let bundle = axe_bundle();
        let script = format!(
            "const done = arguments[arguments.length - 1];\n{bundle}\n\
             axe.run(document, {{resultTypes: ['violations']}})\
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                 .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\
               .catch(e => done(['axe failed: ' + e]));"
        );
        let v = self
            .call("POST", "/execute/async", Some(&serde_json::json!({"script": script, "args": []})))
            .expect("axe-core runs");
        v.as_array().expect("a list").iter().map(|x| x.as_str().unwrap_or_default().to_owned()).collect()
    }

    /// Whether the page fits its window's width: nothing makes the page
    /// itself scroll sideways (wide tables scroll in their own boxes).
    pub fn fits_width(&self) -> bool {
        let script = serde_json::json!({
            "script": "return document.documentElement.scrollWidth <= window.innerWidth;",
            "args": []
        });
        self.call("POST", "/execute/sync", Some(&script)).ok().and_then(|v| v.as_bool()).unwrap_or(false)
    }

    /// Fail unless axe-core finds no serious or critical problem on the
    /// page; `what` names the page in the message.
    pub fn assert_accessible(&self, what: &str) {
        let found = self.accessibility_violations();
        assert!(found.is_empty(), "{what}: accessibility problems:\n  {}", found.join("\n  "));
    }

    /// Save a PNG screenshot as `target/test-artifacts/NAME.png`; its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        use base64::Engine;
        let v = self.call("GET", "/screenshot", None).expect("screenshot");
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().expect("base64")).expect("png");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let p = artifacts().join(format!("{name}.png"));
        std::fs::write(&p, png).expect("write screenshot");
        p
    }
}

/// The axe-core bundle's source, from `$PULLPRINT_AXE` or from the tools
/// cache that `tests/tools/axe-core` fills (run here, once, if need be).
fn axe_bundle() -> &'static str {
    static BUNDLE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BUNDLE.get_or_init(|| {
        let path = match std::env::var_os("PULLPRINT_AXE") {
            Some(p) => PathBuf::from(p),
            None => {
                let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/axe-core");
                let o = Command::new(&tool).output().expect("tests/tools/axe-core runs");
                assert!(o.status.success(), "tests/tools/axe-core: {}", String::from_utf8_lossy(&o.stderr));
                PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
            }
        };
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core bundle {}: {e}", path.display()))
    })
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = call(self.driver, "DELETE", &format!("/session/{}", self.session), None);
    }
}
