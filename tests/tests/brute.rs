//! Brute force through the real listeners (campaign item 3): guesses in
//! parallel are evaluated at most `auth.lockout_after` times, a lock
//! survives a restart, unknown badges keep nobody out of a printer for
//! more than its short back-off, and an unknown credential is answered
//! exactly as a wrong one is, at the panel and on the IPPS queue.
//!
//! Timing is compared here only loosely; the 2 ms figures are measured by
//! `cargo bench -p pullprint-tests --bench brute` (see docs/SECURITY.md).

use pullprint_tests::brute::{self, Guesser, Range};
use pullprint_tests::site::{Site, badge_login, sign_in};
use pullprint_tests::timing::Paired;
use serde_json::json;
use std::time::{Duration, Instant};

/// Guesses the daemon evaluated: each failure it counted is logged once,
/// as "auth: METHOD login from SOURCE refused" (refusals by the lockout,
/// which check nothing, are not).
fn evaluated(log: &str, method: &str) -> usize {
    log.matches(&format!("auth: {method} login from 127.0.0.1 refused")).count()
}

/// Run `n` copies of `f` at once; their results.
fn parallel<T: Send>(n: usize, f: impl Fn() -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..n).map(|_| s.spawn(&f)).collect();
        hs.into_iter().map(|h| h.join().expect("attempt")).collect()
    })
}

#[test]
fn a_hundred_parallel_guesses_are_evaluated_at_most_lock_after_times_and_the_pin_lock_survives_a_restart() {
    let lock_after = 6;
    let range = Range::new(&format!(
        "[auth]\nbackoff_after = {}\nlockout_after = {lock_after}\nlockout_duration = \"10m\"\n",
        lock_after - 1
    ));
    let d = range.site.serve();
    let wrong_pin = || json!({"method": "pin", "email": brute::EMAIL, "pin": "5820"});

    // 100 wrong PINs for one address at once, at a registered printer.
    let codes = parallel(100, || sign_in(&d, &range.printer, wrong_pin()).0);
    let pins = evaluated(&d.log(), "e-mail and PIN");
    assert!((1..=lock_after).contains(&pins), "{pins} PIN guesses were evaluated");
    assert_eq!(codes.iter().filter(|&&c| c == 401).count(), pins, "each evaluated guess is a 401: {codes:?}");
    assert!(codes.iter().all(|&c| c == 401 || c == 429), "the others are held back: {codes:?}");

    // 100 wrong passwords for one user at once, in IPP Basic on the IPPS queue.
    let codes = parallel(100, || d.print_as("gina", "guess-guess", b"%PDF-1.4\n%%EOF\n").0);
    assert!(codes.iter().all(|&c| c == 401), "{codes:?}");
    let passwords = evaluated(&d.log(), "password");
    assert!((1..=lock_after).contains(&passwords), "{passwords} password guesses were evaluated");

    // Wrong PINs, each after the back-off it was told, until the address locks at this source.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !d.log().contains("email locked for 10 min after 6 failed e-mail and PIN logins") {
        assert!(Instant::now() < deadline, "no lock: {}", d.log());
        let (code, v) = sign_in(&d, &range.printer, wrong_pin());
        if code == 429 {
            std::thread::sleep(Duration::from_secs(v["retry_after_s"].as_u64().expect("retry_after_s")));
        }
    }
    assert_eq!(evaluated(&d.log(), "e-mail and PIN"), lock_after, "locked at lockout_after, not before");
    let right_pin = json!({"method": "pin", "email": brute::EMAIL, "pin": brute::PIN});
    let (code, v) = sign_in(&d, &range.printer, right_pin.clone());
    assert_eq!((code, v["error"].as_str()), (429, Some("locked")), "locked: even the right PIN: {v}");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    // As a whole word: a port, an id or a time may hold the digits 5820 by chance.
    let words: Vec<&str> = log.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    assert!(!words.contains(&"5820") && !log.contains("guess-guess"), "a guess reached the log");

    let d = range.site.serve();
    let (code, v) = sign_in(&d, &range.printer, right_pin);
    assert_eq!((code, v["error"].as_str()), (429, Some("locked")), "the lock survives a restart: {v}");
    // Only that credential is locked: gina's passcode still signs her in.
    let (code, v) = sign_in(&d, &range.printer, json!({"method": "passcode", "passcode": range.passcode}));
    assert_eq!(code, 201, "another credential of the same user is not locked: {v}");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

#[test]
fn twenty_unknown_badges_at_a_printer_keep_a_known_badge_out_for_at_most_a_short_back_off() {
    let site = Site::new("[auth]\nself_enrolment = false\n");
    site.user("gina", brute::BADGE);
    let printer = site.printer("lobby", "km", "127.0.0.5");
    let d = site.serve();
    for i in 0..20u32 {
        let (code, v) = badge_login(&d, &printer, &format!("{:08X}", 0xB000_0000u32 + i));
        match code {
            401 => assert_eq!(v["error"], "not_recognised", "{v}"),
            429 => assert!(v["retry_after_s"].as_u64().expect("retry_after_s") <= 5, "{v}"),
            _ => panic!("unknown badge {i}: {code} {v}"),
        }
    }
    let swiped = Instant::now();
    loop {
        let (code, v) = badge_login(&d, &printer, brute::BADGE);
        if code == 201 {
            assert_eq!(v["user"]["login"], "gina");
            break;
        }
        assert_eq!((code, v["error"].as_str()), (429, Some("throttled")), "a printer is never locked: {v}");
        let wait = v["retry_after_s"].as_u64().expect("retry_after_s");
        assert!(wait <= 5, "the printer backs off at most 5 s: {v}");
        std::thread::sleep(Duration::from_secs(wait));
    }
    assert!(swiped.elapsed() < Duration::from_secs(7), "gina waited {:?}", swiped.elapsed());
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains("locked for"), "nothing was locked: {log}");
}

#[test]
fn unknown_and_wrong_credentials_are_answered_alike_at_the_panel_and_the_ipp_queue() {
    let range = Range::new(brute::UNTHROTTLED);
    let d = range.site.serve();
    let mut g = Guesser::new(&d, &range.printer);
    for (method, unknown, wrong) in range.pairs(0) {
        let u = g.send(&unknown);
        let w = g.send(&wrong);
        assert_eq!(u.status, 401, "{method}: {u:?}");
        assert_eq!(u, w, "{method}: an unknown and a wrong credential get the same answer, byte for byte");
        assert_eq!(g.send(&range.pairs(1).into_iter().find(|p| p.0 == method).expect("pair").1), u, "{method}");
    }
    // Loosely alike in time as well (a decoy left out or paid twice would show).
    let g = std::cell::RefCell::new(g);
    for (k, (method, _, _)) in range.pairs(0).into_iter().enumerate() {
        let mut t = Paired::run(
            16,
            |i| assert_eq!(g.borrow_mut().send(&range.pairs(i)[k].1).status, 401),
            |i| assert_eq!(g.borrow_mut().send(&range.pairs(i)[k].2).status, 401),
        );
        let report = t.describe("unknown", "wrong");
        println!("{method}: {report}");
        assert!(t.roughly_alike(), "{method}: {report}");
    }
    // And the right credentials do sign in, so the wrong ones were wrong only in what was tried.
    let (code, v) = sign_in(&d, &range.printer, json!({"method": "badge", "card": brute::BADGE, "pin": brute::PIN}));
    assert_eq!(code, 201, "{v}");
    assert_eq!(d.print_as("gina", brute::PASSWORD, b"%PDF-1.4\n%%EOF\n"), (200, Some(0)));
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}
