//! SNMP peers: Debian's snmpsim serving real printers' recordings
//! (`tests/data/snmp`) on loopback addresses, and silent addresses that
//! take packets and never answer.

use crate::peers::Guard;
use std::net::{Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The recordings that ship with the tests.
pub fn recordings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/snmp")
}

/// A recording with its page counter (prtMarkerLifeCount.1.1) writable,
/// so that a test can move it as a printer does when it prints.
pub fn with_writable_page_counter(file: &str) -> String {
    let text = std::fs::read_to_string(recordings().join(file)).expect("recording");
    text.lines()
        .map(|l| match l.strip_prefix("1.3.6.1.2.1.43.10.2.1.4.1.1|") {
            Some(rest) => {
                let (tag, value) = rest.split_once('|').expect("tag|value");
                format!("1.3.6.1.2.1.43.10.2.1.4.1.1|{tag}:writecache|value={value}\n")
            }
            None => format!("{l}\n"),
        })
        .collect()
}

/// The recordings of printers (every file but the non-printer's).
pub const PRINTERS: &[&str] = &[
    "jetdirect.snmprec",
    "jetdirect_m130nw.snmprec",
    "konica_c250i.snmprec",
    "lexmarkprinter.snmprec",
    "ricoh_mpc3002.snmprec",
    "xerox.snmprec",
];

/// A Linux server's agent: no Printer MIB, no hrDevicePrinter.
pub const NOT_A_PRINTER: &str = "linux_server.snmprec";

/// One snmpsimd.
#[derive(Debug)]
pub struct Snmpsim {
    _guard: Guard,
    log: PathBuf,
    pub port: u16,
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn prepare(dir: &Path) {
    if is_root() {
        // snmpsimd drops to nobody, which must read the data and write the cache.
        let status = Command::new("chown").args(["-R", "nobody:nogroup"]).arg(dir).status().expect("chown");
        assert!(status.success(), "chown the snmpsim folder");
    }
}

/// How readiness is probed: v2c, or v3 with (context, auth, privacy) in
/// net-snmp's names.
type Probe<'a> = (Ipv4Addr, Option<(&'a str, &'a str, &'a str)>);

fn spawn(dir: &Path, args: &[String], port: u16, probe: Probe<'_>) -> Snmpsim {
    let log = dir.join("snmpsim.log");
    let mut cmd = Command::new("snmpsimd");
    // Its log goes to a file; unbuffered, so that a test reads it as it is.
    cmd.env("PYTHONUNBUFFERED", "1");
    cmd.arg(format!("--data-dir={}", dir.join("data").display()))
        .arg(format!("--cache-dir={}", dir.join("cache").display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("snmpsim.out")).expect("log"))
        .stderr(std::fs::File::create(&log).expect("log"));
    if is_root() {
        cmd.args(["--process-user=nobody", "--process-group=nogroup"]);
    }
    let child = cmd.spawn().expect("snmpsimd (Debian package snmpsim) runs");
    let guard = Guard { what: "snmpsimd", child };
    // Ready when it answers the probe address.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut get = Command::new("snmpget");
        get.args(["-t", "0.3", "-r", "0", "-Ov"]);
        match probe.1 {
            None => get.args(["-v2c", "-c", "public"]),
            Some((ctx, auth, privacy)) => get.args([
                "-v3",
                "-l",
                "authPriv",
                "-u",
                "printmon",
                "-a",
                auth,
                "-A",
                "authpass123",
                "-x",
                privacy,
                "-X",
                "privpass123",
                "-n",
                ctx,
            ]),
        };
        let out = get
            .arg(format!("{}:{port}", probe.0))
            .arg("1.3.6.1.2.1.1.1.0")
            .output()
            .expect("snmpget (Debian package snmp) runs");
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "snmpsimd did not answer in 30 s: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Snmpsim { _guard: guard, log, port }
}

impl Snmpsim {
    /// A fleet: `devices[i]` (a recording's file name) answers with
    /// community `public` on `addresses[i]`:`port`, as snmpsim's
    /// `--v2c-arch` does (`DATA/public/1.3.6.1.6.1.1.N.snmprec` is the
    /// N-th endpoint, from 0).
    pub fn fleet(dir: &Path, port: u16, devices: &[(Ipv4Addr, &str)]) -> Snmpsim {
        let texts: Vec<(Ipv4Addr, String)> = devices
            .iter()
            .map(|(a, f)| (*a, std::fs::read_to_string(recordings().join(f)).expect("recording")))
            .collect();
        Snmpsim::fleet_of(dir, port, &texts)
    }

    /// A fleet whose recordings are given as text.
    pub fn fleet_of(dir: &Path, port: u16, devices: &[(Ipv4Addr, String)]) -> Snmpsim {
        let data = dir.join("data/public");
        std::fs::create_dir_all(&data).expect("data");
        std::fs::create_dir_all(dir.join("cache")).expect("cache");
        let mut args = vec!["--v2c-arch".to_owned()];
        for (n, (addr, text)) in devices.iter().enumerate() {
            std::fs::write(data.join(format!("1.3.6.1.6.1.1.{n}.snmprec")), text).expect("write");
            args.push(format!("--agent-udpv4-endpoint={addr}:{port}"));
        }
        prepare(dir);
        let last = devices.last().expect("a device").0;
        spawn(dir, &args, port, (last, None))
    }

    /// One SNMPv3 agent (user `printmon`, keys `authpass123` and
    /// `privpass123`, with `auth` and `privacy` in snmpsim's names: `SHA`
    /// or `SHA256`, `AES` or `AES256`) whose context name picks a
    /// recording: the context `konica_c250i` is konica_c250i.snmprec.
    pub fn v3(dir: &Path, addr: Ipv4Addr, port: u16, auth: &str, privacy: &str) -> Snmpsim {
        let data = dir.join("data");
        std::fs::create_dir_all(&data).expect("data");
        std::fs::create_dir_all(dir.join("cache")).expect("cache");
        for f in PRINTERS {
            std::fs::copy(recordings().join(f), data.join(f)).expect("copy");
        }
        prepare(dir);
        let args: Vec<String> = vec![
            format!("--agent-udpv4-endpoint={addr}:{port}"),
            "--v3-user=printmon".into(),
            "--v3-auth-key=authpass123".into(),
            format!("--v3-auth-proto={auth}"),
            "--v3-priv-key=privpass123".into(),
            format!("--v3-priv-proto={privacy}"),
        ];
        // net-snmp spells them with a hyphen.
        let net_snmp = |p: &str| p.replace("SHA256", "SHA-256").replace("AES256", "AES-256");
        let (a, x) = (net_snmp(auth), net_snmp(privacy));
        spawn(dir, &args, port, (addr, Some(("konica_c250i", &a, &x))))
    }

    /// What snmpsimd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the N-th endpoint (from 0) was ever contacted, by the log.
    pub fn endpoint_contacted(&self, n: usize) -> bool {
        self.log().contains(&format!("transport ID 1.3.6.1.6.1.1.{n},"))
    }
}

/// Set a Counter32 on the snmpsim agent at `addr`:`port` (a value its
/// recording marks `writecache`), as a printer's engine moves its own
/// counter. net-snmp's snmpset cannot write a Counter32; snmpsim's own
/// pysnmp can.
pub fn set_counter32(addr: Ipv4Addr, port: u16, oid: &str, value: u32) {
    let script = format!(
        "from pysnmp.hlapi import *\n\
         e, s, i, vb = next(setCmd(SnmpEngine(), CommunityData('public'), UdpTransportTarget(('{addr}', {port}), timeout=2, retries=2), ContextData(), ObjectType(ObjectIdentity('{oid}'), Counter32({value}))))\n\
         assert e is None and int(s) == 0, (e, s)\n"
    );
    let out = Command::new("/usr/bin/python3").arg("-c").arg(&script).output().expect("python3 (snmpsim's pysnmp)");
    assert!(out.status.success(), "SET {oid} on {addr}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Addresses that take SNMP packets and never answer, counting them.
#[derive(Debug)]
pub struct Silent {
    pub packets: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Silent {
    pub fn start(addresses: &[Ipv4Addr], port: u16) -> Silent {
        let packets = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = addresses
            .iter()
            .map(|a| {
                let s = UdpSocket::bind((*a, port)).expect("bind a silent address");
                s.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
                let (packets, stop) = (Arc::clone(&packets), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut buf = [0u8; 2048];
                    while !stop.load(Ordering::Relaxed) {
                        if s.recv_from(&mut buf).is_ok() {
                            packets.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        Silent { packets, stop, threads }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
