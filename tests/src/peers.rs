//! Real peers for the end-to-end tests: sample documents made by Ghostscript,
//! Avahi (which ippeveprinter needs), ippeveprinter and ipptool. Every process
//! started here binds to loopback only and is stopped by PID when its guard
//! drops, even when a test fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// The cargo target folder the tests run from.
pub(crate) fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent().and_then(Path::parent).and_then(Path::parent).expect("target dir").to_owned()
}

/// PostScript with `pages` pages of text on a page of `w`×`h` points.
pub fn postscript(pages: u32, w: u32, h: u32, title: &str) -> String {
    let mut s = format!(
        "%!PS-Adobe-3.0\n%%Title: {title}\n%%Creator: Pullprint tests\n%%Pages: {pages}\n%%BoundingBox: 0 0 {w} {h}\n%%EndComments\n\
         <</PageSize [{w} {h}]>> setpagedevice\n/Helvetica findfont 24 scalefont setfont\n"
    );
    for p in 1..=pages {
        s.push_str(&format!(
            "%%Page: {p} {p}\n0.8 0.1 0.1 setrgbcolor 72 {y} moveto ({title}, page {p} of {pages}) show\n\
             0 0 0.7 setrgbcolor 72 {y2} 200 100 rectfill showpage\n",
            y = h - 100,
            y2 = h - 300
        ));
    }
    s.push_str("%%EOF\n");
    s
}

fn gs(args: &[&str], input: &Path) {
    let out = Command::new("gs")
        .args(["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE"])
        .args(args)
        .arg(input)
        .output()
        .expect("run gs");
    assert!(out.status.success(), "gs {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A folder of real sample documents, made once per test run with Ghostscript:
/// the fixed names ipptool's suites use, plus numbered PDFs for page counts.
pub fn samples() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = target_dir().join("test-samples");
        if dir.join("ready-6").exists() {
            return dir;
        }
        std::fs::create_dir_all(&dir).expect("samples dir");
        let sizes = [("a4", 595, 842), ("letter", 612, 792)];
        for (name, w, h) in sizes {
            for (stem, pages) in [("document", 2), ("onepage", 1)] {
                let ps = dir.join(format!("{stem}-{name}.ps"));
                std::fs::write(&ps, postscript(pages, w, h, &format!("Pullprint {stem} {name}"))).expect("write ps");
                gs(
                    &[
                        "-sDEVICE=pdfwrite",
                        &format!("-sOutputFile={}", dir.join(format!("{stem}-{name}.pdf")).display()),
                    ],
                    &ps,
                );
            }
        }
        let photo = dir.join("photo.ps");
        std::fs::write(&photo, postscript(1, 288, 432, "Photo")).expect("write ps");
        gs(&["-sDEVICE=jpeg", "-r72", &format!("-sOutputFile={}", dir.join("color.jpg").display())], &photo);
        gs(&["-sDEVICE=jpeggray", "-r72", &format!("-sOutputFile={}", dir.join("gray.jpg").display())], &photo);
        let five = dir.join("five-pages.ps");
        std::fs::write(&five, postscript(5, 595, 842, "Five pages")).expect("write ps");
        gs(&["-sDEVICE=pdfwrite", &format!("-sOutputFile={}", dir.join("five-pages.pdf").display())], &five);
        gs(&["-sDEVICE=pwgraster", "-r50", &format!("-sOutputFile={}", dir.join("five-pages.pwg").display())], &five);
        // HP PCL as printer drivers write it: PCL XL (colour and mono, which
        // Ghostscript wraps in PJL) and PCL 5.
        for (device, file) in
            [("pxlcolor", "five-pages.pxl"), ("pxlmono", "five-pages-mono.pxl"), ("ljet4", "five-pages.pcl")]
        {
            gs(&[&format!("-sDEVICE={device}"), "-r150", &format!("-sOutputFile={}", dir.join(file).display())], &five);
        }
        raster_samples(&dir);
        // PostScript as a driver writes it (Ghostscript's ps2write).
        gs(&["-sDEVICE=ps2write", &format!("-sOutputFile={}", dir.join("five-pages-driver.ps").display())], &five);
        std::fs::write(dir.join("ready-6"), b"").expect("ready");
        dir
    })
}

/// The PWG raster files `ipp-everywhere.test` prints, for every resolution
/// and colour space Pullprint advertises (ipptool skips the rest):
/// `pwg-raster-samples-{res}dpi/{type}/{source}-{type}-{res}dpi.pwg`.
fn raster_samples(dir: &Path) {
    // (folder name, CUPS colour space, bits per colour): black, sGray, sRGB.
    let types = [("black-1", "3", "1"), ("sgray-8", "18", "8"), ("srgb-8", "19", "8")];
    let sources = [
        ("document-a4", "document-a4.ps"),
        ("document-letter", "document-letter.ps"),
        ("onepage-a4", "onepage-a4.ps"),
        ("onepage-letter", "onepage-letter.ps"),
        ("color.jpg-4x6", "photo.ps"),
        ("gray.jpg-4x6", "photo.ps"),
    ];
    for res in [300, 600] {
        for (name, space, bits) in types {
            let folder = dir.join(format!("pwg-raster-samples-{res}dpi")).join(name);
            std::fs::create_dir_all(&folder).expect("raster folder");
            for (stem, source) in sources {
                let out = folder.join(format!("{stem}-{name}-{res}dpi.pwg"));
                gs(
                    &[
                        "-sDEVICE=pwgraster",
                        &format!("-r{res}"),
                        &format!("-dcupsColorSpace={space}"),
                        &format!("-dcupsBitsPerColor={bits}"),
                        &format!("-sOutputFile={}", out.display()),
                    ],
                    &dir.join(source),
                );
            }
        }
    }
    // ipptool refuses to run a suite that names a file it cannot read, even
    // in a test it would skip; the rest get empty stand-ins (their tests are
    // skipped, since no printer here advertises those resolutions or types).
    let suite = std::fs::read_to_string("/usr/share/cups/ipptool/ipp-everywhere.test").unwrap_or_default();
    for name in suite.lines().filter_map(|l| l.trim().strip_prefix("FILE ")) {
        let path = dir.join(name.trim());
        if !path.exists() {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("raster folder");
            }
            std::fs::write(&path, b"").expect("stand-in");
        }
    }
}

/// A child process stopped by PID when dropped.
#[derive(Debug)]
pub struct Guard {
    /// What it is, for messages.
    pub what: &'static str,
    /// The process.
    pub child: Child,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The system D-Bus and Avahi, on loopback only; ippeveprinter will not
/// start without DNS-SD. Tests running at the same time share one: the
/// last to let go stops it.
#[derive(Debug)]
pub struct Avahi(Option<Arc<AvahiProcesses>>);

static SHARED_AVAHI: Mutex<Weak<AvahiProcesses>> = Mutex::new(Weak::new());

/// The processes behind [`Avahi`].
#[derive(Debug)]
pub struct AvahiProcesses {
    _avahi: Guard,
    dbus_pid: Option<i32>,
    _dir: tempfile::TempDir,
}

impl Drop for AvahiProcesses {
    fn drop(&mut self) {
        if let Some(pid) = self.dbus_pid {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
    }
}

impl Drop for Avahi {
    fn drop(&mut self) {
        // Stopped (if this is the last user) under the lock that starting takes.
        let _g = SHARED_AVAHI.lock().unwrap_or_else(|p| p.into_inner());
        self.0.take();
    }
}

impl Avahi {
    /// Start D-Bus (unless the system bus already runs) and avahi-daemon on
    /// `lo`, or share the ones another test started.
    pub fn start() -> Avahi {
        let mut g = SHARED_AVAHI.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = g.upgrade() {
            return Avahi(Some(a));
        }
        let a = Arc::new(AvahiProcesses::start());
        *g = Arc::downgrade(&a);
        Avahi(Some(a))
    }
}

impl AvahiProcesses {
    fn start() -> AvahiProcesses {
        let mut dbus_pid = None;
        let bus = Path::new("/run/dbus/system_bus_socket");
        if std::os::unix::net::UnixStream::connect(bus).is_err() {
            // A bus stopped earlier leaves its socket and pid file behind.
            let _ = std::fs::remove_file(bus);
            let _ = std::fs::remove_file("/run/dbus/pid");
            std::fs::create_dir_all("/run/dbus").expect("/run/dbus");
            let out =
                Command::new("dbus-daemon").args(["--system", "--fork", "--print-pid"]).output().expect("dbus-daemon");
            assert!(out.status.success(), "dbus-daemon: {}", String::from_utf8_lossy(&out.stderr));
            dbus_pid = String::from_utf8_lossy(&out.stdout).trim().parse().ok();
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("avahi.conf");
        std::fs::write(
            &conf,
            "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\nratelimit-interval-usec=0\n[wide-area]\nenable-wide-area=no\n[publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n",
        )
        .expect("avahi.conf");
        let _ = Command::new("avahi-daemon").arg("--kill").stderr(Stdio::null()).status();
        let child = Command::new("avahi-daemon")
            .args(["-f"])
            .arg(&conf)
            .args(["--no-rlimits", "--no-drop-root", "--no-chroot"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("avahi-daemon");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Command::new("avahi-daemon").arg("--check").status().is_ok_and(|s| s.success()) {
            assert!(Instant::now() < deadline, "avahi-daemon did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        AvahiProcesses { _avahi: Guard { what: "avahi-daemon", child }, dbus_pid, _dir: dir }
    }
}

/// ippeveprinter serving IPP and IPPS on `port`, keeping documents in its spool.
#[derive(Debug)]
pub struct EvePrinter {
    guard: Guard,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where it keeps received documents.
    pub spool: PathBuf,
    dir: tempfile::TempDir,
}

/// How to start an [`EvePrinter`].
#[derive(Debug, Default, Clone)]
pub struct EveOptions {
    /// This port (a restarted printer keeps its address); a free one by default.
    pub port: Option<u16>,
    /// Certificate and key (PEM) it serves IPPS with, for the name `localhost`;
    /// by default it makes its own, which has no subjectAltName.
    pub cert: Option<(PathBuf, PathBuf)>,
    /// "Print" each job for 5 to 15 s, one at a time, as ippeveprinter does
    /// without a print command, instead of finishing it at once.
    pub slow: bool,
    /// Also take PostScript and HP PCL, as office printers do.
    pub pdls: bool,
}

impl EvePrinter {
    /// Start one; Avahi must be running.
    pub fn start(name: &str) -> EvePrinter {
        EvePrinter::start_with(name, &EveOptions::default())
    }

    /// Start one as `o` says; Avahi must be running.
    pub fn start_with(name: &str, o: &EveOptions) -> EvePrinter {
        let dir = tempfile::tempdir().expect("tempdir");
        let spool = dir.path().join("spool");
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&spool).expect("spool");
        std::fs::create_dir_all(&keys).expect("keys");
        if let Some((crt, key)) = &o.cert {
            std::fs::copy(crt, keys.join("localhost.crt")).expect("certificate");
            std::fs::copy(key, keys.join("localhost.key")).expect("key");
        }
        let port = o.port.unwrap_or_else(free_port);
        let mut cmd = Command::new("ippeveprinter");
        cmd.args(["-r", "off", "-n", "localhost", "-p", &port.to_string(), "-d"])
            .arg(&spool)
            .arg("-k")
            .arg("-K")
            .arg(&keys);
        if !o.slow {
            cmd.args(["-c", "/bin/true"]);
        }
        let mut formats = String::from("application/pdf,image/pwg-raster,image/urf,image/jpeg,text/plain");
        if o.pdls {
            formats.push_str(",application/postscript,application/vnd.hp-pcl");
        }
        let child = cmd
            .args(["-f", &formats, name])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("log")).expect("log"))
            .spawn()
            .expect("ippeveprinter");
        let mut guard = Guard { what: "ippeveprinter", child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = || std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
            if let Ok(Some(s)) = guard.child.try_wait() {
                panic!("ippeveprinter exited with {s}: {}", log());
            }
            assert!(Instant::now() < deadline, "ippeveprinter did not start on port {port}: {}", log());
            std::thread::sleep(Duration::from_millis(100));
        }
        EvePrinter { guard, port, spool, dir }
    }

    /// Its process id.
    pub fn pid(&self) -> i32 {
        i32::try_from(self.guard.child.id()).expect("pid")
    }

    /// How it ended, if it is no longer running.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.guard.child.try_wait().ok().flatten()
    }

    /// What it logged (its stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// The documents in its spool: (file name, bytes), by job id.
    pub fn documents(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(u64, String, Vec<u8>)> = std::fs::read_dir(&self.spool)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        // `.prn` files are what the print command made of a document.
                        if name.ends_with(".prn") {
                            return None;
                        }
                        let id = name.split('-').next()?.parse::<u64>().ok()?;
                        Some((id, name, std::fs::read(e.path()).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by_key(|d| d.0);
        out.into_iter().map(|(_, n, b)| (n, b)).collect()
    }
}

/// A self-signed certificate (`crt`) and its new RSA-2048 key (`key`) for
/// `subject`, valid two days, with the `extensions` given.
pub fn self_signed(key: &Path, crt: &Path, subject: &str, extensions: &[&str]) {
    let mut args = vec!["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject];
    args.extend(["-keyout", key.to_str().expect("utf8"), "-out", crt.to_str().expect("utf8")]);
    for e in extensions {
        args.extend(["-addext", e]);
    }
    let o = Command::new("openssl").args(&args).output().expect("openssl");
    assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// A certificate and key for `localhost` (and 127.0.0.1), signed by the
/// CA whose certificate and key are `ca` (PEM files), or self-signed when
/// `ca` is `None`; written into `dir`. (certificate, key, SHA-256 hex).
pub fn localhost_certificate(dir: &Path, ca: Option<(&Path, &Path)>) -> (PathBuf, PathBuf, String) {
    let crt = dir.join("localhost.crt");
    let key = dir.join("localhost.key");
    let ext = dir.join("san.ext");
    std::fs::write(
        &ext,
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .expect("ext");
    let run = |args: &[&str]| {
        let o = Command::new("openssl").args(args).output().expect("openssl");
        assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    let (k, c, e) = (key.to_str().expect("utf8"), crt.to_str().expect("utf8"), ext.to_str().expect("utf8"));
    match ca {
        None => self_signed(&key, &crt, "/CN=localhost", &["subjectAltName=DNS:localhost,IP:127.0.0.1"]),
        Some((ca_crt, ca_key)) => {
            let csr = dir.join("localhost.csr");
            let r = csr.to_str().expect("utf8");
            run(&["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", k, "-out", r]);
            run(&[
                "x509",
                "-req",
                "-in",
                r,
                "-CA",
                ca_crt.to_str().expect("utf8"),
                "-CAkey",
                ca_key.to_str().expect("utf8"),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                e,
                "-out",
                c,
            ]);
        }
    }
    let o = Command::new("sh")
        .args(["-c", &format!("openssl x509 -in '{c}' -outform der | openssl dgst -sha256 -hex")])
        .output()
        .expect("openssl");
    let sha = String::from_utf8_lossy(&o.stdout).split_whitespace().last().expect("digest").to_owned();
    (crt, key, sha)
}

/// The outcome of an ipptool run.
#[derive(Debug)]
pub struct IppToolRun {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed, by name.
    pub failed: Vec<String>,
    /// Tests that were skipped.
    pub skipped: usize,
    /// Everything ipptool printed.
    pub output: String,
    /// It was stopped at the time limit.
    pub timed_out: bool,
}

impl IppToolRun {
    /// True when ipptool ran the whole suite: it did not time out, and did
    /// not stop on an error of its own (such as a document it cannot read,
    /// reported as `ipptool: ...`).
    pub fn completed(&self) -> bool {
        !self.timed_out && !self.output.lines().any(|l| l.starts_with("ipptool: "))
    }

    fn parse(output: String) -> IppToolRun {
        let mut run = IppToolRun { passed: 0, failed: Vec::new(), skipped: 0, output: String::new(), timed_out: false };
        for line in output.lines().map(str::trim_end) {
            if line.ends_with("[PASS]") {
                run.passed += 1;
            } else if line.ends_with("[SKIP]") {
                run.skipped += 1;
            } else if let Some(name) = line.strip_suffix("[FAIL]") {
                run.failed.push(name.trim().to_owned());
            }
        }
        run.output = output;
        run
    }
}

/// Run `ipptool -I -t -V 2.0 -f FILE URI SUITE` with a copy of Debian's
/// `SUITE` (such as `ipp-2.0.test`) in the samples folder: ipptool finds the
/// documents a suite names next to the suite file, and skips tests whose
/// documents are missing without a word.
pub fn ipptool(uri: &str, suite: &str, file: &Path, timeout: Duration) -> IppToolRun {
    let dir = samples();
    for name in ["ipp-1.1.test", "ipp-2.0.test", "ipp-everywhere.test"] {
        let from = Path::new("/usr/share/cups/ipptool").join(name);
        if from.exists() && !dir.join(name).exists() {
            std::fs::copy(&from, dir.join(name)).expect("copy an ipptool suite");
        }
    }
    assert!(dir.join(suite).exists(), "no ipptool suite {suite} (is cups-ipp-utils installed?)");
    ipptool_with(&[], uri, &dir.join(suite), file, timeout)
}

/// Run `ipptool EXTRA -I -t -V 2.0 -f FILE URI TEST` for any test file,
/// from the samples folder, stopped at `timeout`.
pub fn ipptool_with(extra: &[&str], uri: &str, test: &Path, file: &Path, timeout: Duration) -> IppToolRun {
    let mut child = Command::new("ipptool")
        .args(extra)
        .args(["-I", "-t", "-V", "2.0", "-f"])
        .arg(file)
        .arg(uri)
        .arg(test)
        .current_dir(samples())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ipptool");
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut output = reader.join().unwrap_or_default();
    output.push_str(&err_reader.join().unwrap_or_default());
    let mut run = IppToolRun::parse(output);
    run.timed_out = timed_out;
    run
}

/// A private cupsd on a Unix socket and a loopback port: a real workstation.
#[derive(Debug)]
pub struct Cupsd {
    _guard: Guard,
    /// Its folder (configuration, spool, logs).
    pub dir: tempfile::TempDir,
    /// `CUPS_SERVER` for its clients (the socket path).
    pub server: String,
    /// Its IPP port on 127.0.0.1.
    pub port: u16,
}

impl Cupsd {
    /// Start cupsd with everything under a temporary folder, logging at debug level.
    pub fn start() -> Cupsd {
        Cupsd::start_with("debug")
    }

    /// Start cupsd logging at `level` (`debug` for tests, `warn` to measure
    /// it), with no limit on the number of jobs it keeps.
    pub fn start_with(level: &str) -> Cupsd {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for sub in ["spool", "tmp", "cache", "state", "log", "ppd", "ssl"] {
            std::fs::create_dir_all(d.join(sub)).expect("cups dirs");
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("tmp"), std::fs::Permissions::from_mode(0o1777)).expect("chmod tmp");
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let sock = d.join("cups.sock");
        let port = free_port();
        std::fs::write(
            d.join("cups-files.conf"),
            format!(
                "ServerRoot {0}\nRequestRoot {0}/spool\nTempDir {0}/tmp\nCacheDir {0}/cache\nStateDir {0}/state\n\
                 AccessLog {0}/log/access_log\nErrorLog {0}/log/error_log\nPageLog {0}/log/page_log\nSystemGroup root\n",
                d.display()
            ),
        )
        .expect("cups-files.conf");
        std::fs::write(
            d.join("cupsd.conf"),
            // A private test instance on loopback: no authentication, every operation allowed.
            format!(
                "Listen {}\nListen 127.0.0.1:{port}\nBrowsing No\nWebInterface No\nLogLevel {level}\nDefaultAuthType None\n\
                 MaxJobs 0\nMaxJobsPerUser 0\n\
                 <Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
                 <Policy default>\n  <Limit All>\n    AuthType None\n    Order allow,deny\n    Allow all\n  </Limit>\n</Policy>\n",
                sock.display()
            ),
        )
        .expect("cupsd.conf");
        let child = Command::new("cupsd")
            .arg("-f")
            .arg("-c")
            .arg(d.join("cupsd.conf"))
            .arg("-s")
            .arg(d.join("cups-files.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cupsd");
        let guard = Guard { what: "cupsd", child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::os::unix::net::UnixStream::connect(&sock).is_err() {
            assert!(
                Instant::now() < deadline,
                "cupsd did not start: {}",
                std::fs::read_to_string(d.join("log/error_log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Cupsd { _guard: guard, server: sock.display().to_string(), port, dir }
    }

    /// Run a CUPS client command (lpadmin, lp, lpstat) against this cupsd.
    pub fn run(&self, cmd: &str, args: &[&str]) -> std::process::Output {
        Command::new(cmd).args(args).env("CUPS_SERVER", &self.server).output().expect("cups client")
    }

    /// The error log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log/error_log")).unwrap_or_default()
    }
}
