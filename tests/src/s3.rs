//! An S3-compatible tenant for the tests: s3s-fs (built once by
//! `tests/tools/s3s-fs`) over a folder, on loopback, checking SigV4
//! signatures as a real object store does.

use crate::peers::{Guard, free_port};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The access key and secret every test server accepts.
pub const ACCESS_KEY: &str = "AKIATEST";
pub const SECRET_KEY: &str = "SECRETTEST";

/// The s3s-fs binary: `$PULLPRINT_S3S_FS`, or the one `tests/tools/s3s-fs`
/// builds. Missing, a test panics: it is a real peer the suite needs.
pub fn s3s_fs() -> PathBuf {
    if let Some(p) = std::env::var_os("PULLPRINT_S3S_FS") {
        return PathBuf::from(p);
    }
    let tools = std::env::var_os("PULLPRINT_TOOLS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/pullprint-tools")))
        .expect("HOME or PULLPRINT_TOOLS");
    let bin = tools.join("s3s-fs-0.14.1/bin/s3s-fs");
    assert!(bin.exists(), "{} is missing: run tests/tools/s3s-fs once (tests/run does)", bin.display());
    bin
}

/// One s3s-fs on 127.0.0.1.
#[derive(Debug)]
pub struct S3Server {
    guard: Option<Guard>,
    pub dir: PathBuf,
    pub port: u16,
    nice: u8,
}

impl S3Server {
    /// Serve `dir` (buckets are its folders), with `buckets` made.
    pub fn start(dir: &Path, buckets: &[&str]) -> S3Server {
        S3Server::start_niced(dir, buckets, 0)
    }

    /// [`S3Server::start`] at CPU priority `nice` (0 to 19): a benchmark
    /// that shares the machine with it so that the tenant's own work,
    /// which runs elsewhere in production, does not compete with the
    /// appliance's.
    pub fn start_niced(dir: &Path, buckets: &[&str], nice: u8) -> S3Server {
        for b in buckets {
            std::fs::create_dir_all(dir.join(b)).expect("bucket folder");
        }
        let mut s = S3Server { guard: None, dir: dir.to_owned(), port: free_port(), nice };
        s.resume();
        s
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.guard.as_ref().map(|g| g.child.id())
    }

    /// Stop it (an outage); `resume` starts it again on the same port.
    pub fn stop(&mut self) {
        self.guard = None;
    }

    /// Start it (again).
    pub fn resume(&mut self) {
        // nice(1) execs s3s-fs in its own process: the pid stays the same.
        let child = Command::new("nice")
            .args(["-n", &self.nice.to_string()])
            .arg(s3s_fs())
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        self.guard = Some(Guard { what: "s3s-fs", child });
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen in 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
