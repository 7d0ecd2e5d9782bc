//! Release from a phone under load, against the real daemon on loopback:
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench phone [-- --quick]
//! ```
//!
//! A bound phone's page at a printer's label (`GET /r/LABEL`: the phone's
//! credential checked, its owner looked up, their 50 held jobs listed with
//! each release's state, and the recent releases at that printer) is
//! fetched by 8 keep-alive clients in a closed loop. In the same run, on the
//! same machine, the same 50 jobs are listed by the panel API
//! (`GET /panel/v1/jobs` with a session open) and `/healthz` is fetched on
//! the console's port: the page's server CPU and latency are reported
//! against both (what the phone page costs beyond a plain HTTPS request,
//! and against the printer panel's list of the same jobs).
//!
//! Everything binds to 127.0.0.1 and is stopped by PID at the end.

use pullprint_tests::bench::{PASSWORD, badge_session, bench_site};
use pullprint_tests::client::Conn;
use pullprint_tests::{Daemon, pullprint, text};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 8;
const JOBS: usize = 50;

/// CPU time the process has used (user + system).
fn cpu_of(pid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn percentile(v: &mut [Duration], per_mille: usize) -> Duration {
    v.sort();
    v[((v.len() - 1) * per_mille + 500) / 1000]
}

/// What one kind of request came to.
struct Measured {
    per_s: f64,
    p50: Duration,
    p99: Duration,
    cpu_per: Duration,
}

/// `CLIENTS` keep-alive clients asking `path` of `addr` with `headers` for
/// `window`; `check` looks at each answer.
fn measure(
    d: &Daemon,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    window: Duration,
    check: fn(&pullprint_tests::client::Response),
) -> Measured {
    let all = Arc::new(Mutex::new(Vec::new()));
    let ca = d.data.join("tls/ca.crt");
    let cpu_before = cpu_of(d.pid());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..CLIENTS {
            let all = all.clone();
            let ca = ca.clone();
            s.spawn(move || {
                let mut c = Conn::tls(addr, &ca).expect("connect");
                let mut mine = Vec::new();
                while start.elapsed() < window {
                    let t = Instant::now();
                    let r = c.get(path, headers).expect("get");
                    check(&r);
                    mine.push(t.elapsed());
                }
                all.lock().expect("lock").extend(mine);
            });
        }
    });
    let took = start.elapsed();
    let cpu = cpu_of(d.pid()).saturating_sub(cpu_before);
    let mut l = std::mem::take(&mut *all.lock().expect("lock"));
    let n = l.len();
    Measured {
        per_s: n as f64 / took.as_secs_f64(),
        p50: percentile(&mut l, 500),
        p99: percentile(&mut l, 990),
        cpu_per: cpu / u32::try_from(n.max(1)).unwrap_or(u32::MAX),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    assert!(
        pullprint_tests::pullprint_bin().parent().is_some_and(|p| p.ends_with("release")),
        "benchmark the release build: cargo build --release -p pullprint"
    );
    let window = Duration::from_secs(if quick { 3 } else { 10 });
    // alice with a badge, one printer with a label, and 50 held jobs of hers.
    let png = std::cell::RefCell::new(String::new());
    let site = bench_site(JOBS, |cfg| {
        let out = cfg.with_file_name("label.png");
        let o = pullprint(&[
            "--config",
            cfg.to_str().expect("utf8"),
            "device",
            "label",
            "bench",
            "--out",
            out.to_str().expect("utf8"),
        ]);
        assert!(o.status.success(), "{}", text(&o));
        *png.borrow_mut() = text(&o);
    });
    let said = png.into_inner();
    let label = said
        .split_whitespace()
        .find_map(|w| w.split("/r/").nth(1))
        .map(|l| l.trim_end_matches(|c: char| !c.is_ascii_hexdigit()).to_owned())
        .expect("the label's address");
    let (d, device) = (&site.daemon, site.device.clone());
    let ca = d.data.join("tls/ca.crt");

    // Her phone, signed in at the label once.
    let origin = format!("https://{}", d.web);
    let mut w = Conn::tls(d.web, &ca).expect("web");
    let r = w
        .post(
            &format!("/r/{label}/sign-in"),
            &[("Origin", &origin), ("Content-Type", "application/x-www-form-urlencoded")],
            format!("login=alice&password={PASSWORD}").as_bytes(),
        )
        .expect("sign in");
    assert_eq!(r.status, 303, "{}", String::from_utf8_lossy(&r.body));
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("__Host-pp-phone="))
        .and_then(|(_, v)| v.split(';').next())
        .expect("the phone's cookie")
        .to_owned();
    // A panel session for the same user.
    let bearer = format!("Bearer {device}");
    let session = badge_session(&mut Conn::tls(d.panel, &ca).expect("panel"), &device);

    let page_path = format!("/r/{label}?list");
    println!("{CLIENTS} keep-alive clients, {} s each, {JOBS} held jobs:", window.as_secs());
    // A first short pass warms each path (connections, caches); then each is measured.
    for (path, headers, addr) in [
        (page_path.as_str(), vec![("Cookie", cookie.as_str())], d.web),
        (
            "/panel/v1/jobs",
            vec![("Authorization", bearer.as_str()), ("X-Pullprint-Session", session.as_str())],
            d.panel,
        ),
    ] {
        measure(d, addr, path, &headers, Duration::from_secs(1), |_| {});
    }
    let phone = measure(d, d.web, &page_path, &[("Cookie", &cookie)], window, |r| {
        assert_eq!(r.status, 200);
        let page = String::from_utf8_lossy(&r.body);
        assert_eq!(page.matches("data-state=\"held\"").count(), JOBS, "every job on the page");
    });
    let panel = measure(
        d,
        d.panel,
        "/panel/v1/jobs",
        &[("Authorization", &bearer), ("X-Pullprint-Session", &session)],
        window,
        |r| assert_eq!(r.status, 200),
    );
    let health = measure(d, d.web, "/healthz", &[], window, |r| assert_eq!(r.status, 200));
    for (name, m) in [("phone page /r/LABEL", &phone), ("panel GET /panel/v1/jobs", &panel), ("GET /healthz", &health)]
    {
        println!(
            "  {name:<26} {:>7.0}/s   p50 {:>6.2} ms   p99 {:>6.2} ms   server CPU {:.3} ms each",
            m.per_s,
            ms(m.p50),
            ms(m.p99),
            ms(m.cpu_per)
        );
    }
    println!(
        "  the phone page costs {:.2}x the server CPU of the panel's list of the same jobs, {:.2}x that of /healthz; \
         its p99 is {:.2}x the panel list's",
        phone.cpu_per.as_secs_f64() / panel.cpu_per.as_secs_f64().max(1e-9),
        phone.cpu_per.as_secs_f64() / health.cpu_per.as_secs_f64().max(1e-9),
        phone.p99.as_secs_f64() / panel.p99.as_secs_f64().max(1e-9)
    );
    let (st, _) = site.daemon.terminate();
    assert!(st.success());
}
