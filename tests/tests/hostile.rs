//! Slow and greedy clients against the real daemon's three listeners (web,
//! IPPS, panel): every way of holding a connection without finishing a
//! request is cut off at its deadline while others are served, one address
//! holds at most `listen.max_per_address` connections, and with 2,000
//! hostile connections open a panel still signs people in. How fast it
//! does so is measured in `benches/hostile.rs`, not here.

use local_connector::net::{HANDSHAKE_TIMEOUT, REQUEST_DEADLINE};
use pullprint_tests::client::client_config;
use pullprint_tests::hostile::{
    Crowd, ENDLESS_HEADERS, connect_from, half_handshake, hold, raise_open_file_limit, tls,
};
use pullprint_tests::ipp::{Request, basic, tag};
use pullprint_tests::site::{Site, badge_login};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// How late after its deadline a connection may still be closed.
const SLACK: Duration = Duration::from_secs(3);
/// `ipp.idle_timeout` and `ipp.body_idle` in these tests (300 s and 60 s by default).
const IPP_SHORT: Duration = Duration::from_secs(3);

fn loopback(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

/// A site with a user (badge `CAFE0001`, password `alice-Passw0rd-1`) and
/// a printer whose panel signs her in; `listen` goes into `[listen]`.
fn site(listen: &str, extra: &str) -> (Site, String) {
    let site = Site::new(extra);
    let cfg = std::fs::read_to_string(&site.cfg).expect("config");
    std::fs::write(&site.cfg, cfg.replacen("[listen]\n", &format!("[listen]\n{listen}"), 1)).expect("config");
    site.user("alice", "CAFE0001");
    let device = site.printer("Lobby", "hp", "127.0.0.50");
    (site, device)
}

/// A panel sign-in that must succeed within 5 s.
fn signs_in(d: &pullprint_tests::Daemon, device: &str) -> Duration {
    let t = Instant::now();
    let (code, v) = badge_login(d, device, "CAFE0001");
    let took = t.elapsed();
    assert_eq!(code, 201, "panel sign-in: {v}");
    assert!(took < Duration::from_secs(5), "a panel sign-in took {took:?}");
    took
}

/// How a slow client holds its connection.
enum Slow {
    /// It connects and sends nothing.
    Silent,
    /// It sends a TLS ClientHello and nothing after it.
    Hello,
    /// It completes the TLS handshake, sends `sent` at once, then one byte
    /// of `trickle` (then `a` for ever) every half second, or nothing.
    After { sent: Vec<u8>, trickle: Option<&'static [u8]> },
}

/// Connect to `addr` and go slow as `how` says: how long the server then
/// took to close the connection, and what it sent.
async fn until_closed(addr: SocketAddr, cfg: Arc<rustls::ClientConfig>, how: Slow) -> (Duration, Vec<u8>) {
    let mut tcp = connect_from(loopback(1), addr).await.expect("connect");
    let (t, got) = match how {
        Slow::Silent => (Instant::now(), hold(tcp, None).await),
        Slow::Hello => {
            half_handshake(&mut tcp, cfg, addr).await.expect("ClientHello");
            (Instant::now(), hold(tcp, None).await)
        }
        Slow::After { sent, trickle } => {
            let mut s = tls(tcp, cfg, addr).await.expect("handshake");
            s.write_all(&sent).await.expect("send");
            s.flush().await.expect("flush");
            let t = Instant::now();
            (t, hold(s, trickle.map(|b| (b, Duration::from_millis(500)))).await)
        }
    };
    (t.elapsed(), got)
}

#[test]
fn slow_headers_and_trickled_bodies_are_dropped_at_their_deadlines_on_every_port() {
    let (site, device) = site("", "[ipp]\nidle_timeout = \"3s\"\nbody_idle = \"3s\"\n");
    let d = site.serve();
    let cfg = client_config(&d.data.join("tls/ca.crt")).expect("client config");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // (what, where, how, its deadline)
    let mut cases: Vec<(String, SocketAddr, Slow, Duration)> = Vec::new();
    for (port, addr) in [("web", d.web), ("ipp", d.ipp), ("panel", d.panel)] {
        let header_deadline = if port == "ipp" { IPP_SHORT } else { REQUEST_DEADLINE };
        let endless = Slow::After { sent: Vec::new(), trickle: Some(ENDLESS_HEADERS) };
        cases.push((format!("{port}: no TLS handshake"), addr, Slow::Silent, HANDSHAKE_TIMEOUT));
        cases.push((format!("{port}: half a TLS handshake"), addr, Slow::Hello, HANDSHAKE_TIMEOUT));
        cases.push((format!("{port}: headers one byte at a time"), addr, endless, header_deadline));
    }
    // Bodies: the headers whole, then the body one byte at a time.
    let json = "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    let heads = [
        ("web", d.web, format!("POST /api/v1/me/tokens HTTP/1.1\r\nHost: pullprint\r\n{json}")),
        (
            "panel",
            d.panel,
            format!("POST /panel/v1/sessions HTTP/1.1\r\nHost: pullprint\r\nAuthorization: Bearer {device}\r\n{json}"),
        ),
    ];
    for (port, addr, head) in heads {
        let how = Slow::After { sent: head.into_bytes(), trickle: Some(b"{\"card\":\"") };
        cases.push((format!("{port}: a body one byte at a time"), addr, how, REQUEST_DEADLINE));
    }
    // IPP: the attributes one byte at a time, before any credential is
    // checked (an attribute name of 256 octets that never ends).
    let ipp_head = |extra: &str, len: usize| {
        format!(
            "POST /ipp/print HTTP/1.1\r\nHost: pullprint\r\nContent-Type: application/ipp\r\n{extra}Content-Length: {len}\r\n\r\n"
        )
    };
    const ENDLESS_NAME: &[u8] = &[0x02, 0x00, 0x00, 0x0B, 0, 0, 0, 1, 0x01, tag::CHARSET, 0x01, 0x00];
    let how = Slow::After { sent: ipp_head("", 100_000).into_bytes(), trickle: Some(ENDLESS_NAME) };
    cases.push(("ipp: attributes one byte at a time".into(), d.ipp, how, REQUEST_DEADLINE));
    // IPP: a signed-in Print-Job whose document stops coming.
    let mut r = Request::new(0x0002, 1, &format!("ipps://{}/ipp/print", d.ipp));
    r.attr(tag::NAME, "requesting-user-name", b"alice");
    r.attr(tag::MIME, "document-format", b"application/pdf");
    let body = r.finish(b"%PDF-1.7\n");
    let auth = format!("Authorization: {}\r\n", basic("alice", "alice-Passw0rd-1"));
    let mut sent = ipp_head(&auth, body.len() + 10_000).into_bytes();
    sent.extend_from_slice(&body);
    cases.push(("ipp: a document that stops coming".into(), d.ipp, Slow::After { sent, trickle: None }, IPP_SHORT));
    let cases: Vec<_> = cases
        .into_iter()
        .map(|(what, addr, how, deadline)| (what, deadline, rt.spawn(until_closed(addr, cfg.clone(), how))))
        .collect();

    // Meanwhile the daemon serves others on every port.
    let mut served = 0;
    while !cases.iter().all(|(_, _, h)| h.is_finished()) {
        assert_eq!(d.get("/healthz").expect("health while slow clients hold on").0, 200);
        signs_in(&d, &device);
        let (code, ipp) = d.print_as("alice", "alice-Passw0rd-1", b"%PDF-1.7\n%%EOF\n");
        assert_eq!((code, ipp), (200, Some(0)), "a job printed while slow clients hold on");
        served += 1;
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(served >= 10, "others were served {served} times while the slow clients were held");
    let mut report = Vec::new();
    for (what, deadline, h) in cases {
        let (took, got) = rt.block_on(h).expect("case");
        let answer = String::from_utf8_lossy(&got[..got.len().min(12)]).into_owned();
        report.push(format!("{what}: closed after {took:.1?} (deadline {deadline:?}) {answer:?}"));
        assert!(
            took + Duration::from_secs(1) >= deadline && took <= deadline + SLACK,
            "{what}: closed after {took:?}, its deadline is {deadline:?}"
        );
        if what.contains("a body") {
            assert!(got.starts_with(b"HTTP/1.1 408"), "{what}: {answer:?}");
        }
    }
    eprintln!("{}", report.join("\n"));
    let (status, _) = d.terminate();
    assert!(status.success());
}

/// Whether the server has closed `tcp` (false: it still holds it open).
async fn closed(tcp: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    match tokio::time::timeout(Duration::from_millis(20), tcp.read(&mut [0u8; 1])).await {
        Err(_) => false,
        Ok(Ok(n)) => n == 0,
        Ok(Err(_)) => true,
    }
}

#[test]
fn one_address_holds_at_most_max_per_address_on_every_port_and_another_still_gets_in() {
    let cap = 8;
    let (site, device) = site(&format!("max_per_address = {cap}\n"), "");
    let d = site.serve();
    let cfg = client_config(&d.data.join("tls/ca.crt")).expect("client config");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let greedy = loopback(2);
    let ports: [(&str, SocketAddr); 3] = [("web", d.web), ("ipp", d.ipp), ("panel", d.panel)];
    let mut held = Vec::new();
    for (port, addr) in ports {
        rt.block_on(async {
            let mut conns = Vec::new();
            for _ in 0..cap + 5 {
                conns.push(connect_from(greedy, addr).await.expect("connect"));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut shut = 0;
            for c in &mut conns {
                shut += usize::from(closed(c).await);
            }
            assert_eq!(shut, 5, "{port}: {shut} of {} connections from one address were closed", cap + 5);
            // One more, even with a whole handshake, is closed too.
            assert!(tls(connect_from(greedy, addr).await.expect("connect"), cfg.clone(), addr).await.is_err());
            // Another address gets in and is served.
            let mut s = tls(connect_from(loopback(3), addr).await.expect("connect"), cfg.clone(), addr)
                .await
                .unwrap_or_else(|e| panic!("{port}: another address is refused: {e}"));
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: pullprint\r\nConnection: close\r\n\r\n").await.expect("GET");
            let answer = hold(s, None).await;
            assert!(answer.starts_with(b"HTTP/1.1 "), "{port}: {}", String::from_utf8_lossy(&answer));
            held.push(conns);
        });
    }
    // And a panel signs in from yet another address, with all of those held.
    signs_in(&d, &device);
    drop(held);
    let (status, _) = d.terminate();
    assert!(status.success());
}

#[test]
fn a_panel_sign_in_succeeds_with_2000_hostile_connections_open() {
    const HOSTILE: usize = 2000;
    // The daemon, started from here, inherits the limit.
    raise_open_file_limit(2 * HOSTILE as u64 + 1024);
    let (site, device) = site("", "");
    let d = site.serve();
    let cfg = client_config(&d.data.join("tls/ca.crt")).expect("client config");
    let sources: Vec<IpAddr> = (2..=9).map(loopback).collect();
    let crowd = Crowd::start(&[d.web, d.ipp, d.panel], &sources, HOSTILE, cfg);
    assert!(
        crowd.wait_open(HOSTILE, Duration::from_secs(60)),
        "only {} hostile connections opened ({} failed)",
        crowd.open(),
        crowd.failed()
    );
    let mut fewest = HOSTILE;
    for _ in 0..20 {
        signs_in(&d, &device);
        fewest = fewest.min(crowd.open());
    }
    eprintln!("20 sign-ins with at least {fewest} hostile connections open ({} dropped and reopened)", crowd.dropped());
    assert!(fewest >= HOSTILE * 9 / 10, "the crowd fell to {fewest} during the sign-ins");
    assert_eq!(d.get("/healthz").expect("health").0, 200);
    drop(crowd);
    let (status, _) = d.terminate();
    assert!(status.success());
}
