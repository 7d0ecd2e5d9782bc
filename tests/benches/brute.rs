//! Whether time tells an unknown credential from a wrong one: the campaign
//! figure of docs/SECURITY.md, "Brute force" (the suite checks only that
//! the answers are byte for byte the same, and the times loosely alike).
//!
//! ```text
//! cargo build --release -p pullprint
//! cargo bench -p pullprint-tests --bench brute [-- --quick]
//! ```
//!
//! or, against the debug daemon (the slow hashes and their dependencies
//! are optimised in it too): `cargo build -p pullprint` and the same with
//! `--profile dev`.
//!
//! 1. **Active Directory** (finding 9), against a real Samba AD DC on
//!    loopback: logins of unknown users against wrong passwords of a known
//!    one, on pooled LDAPS connections, and the LDAP operations each sent.
//! 2. **The listeners**, against the real daemon: at the panel of a
//!    registered printer, badge and PIN, e-mail and PIN, passcode and
//!    password, and IPP Basic on the IPPS queue; an unknown credential
//!    against a wrong one, each over a kept-alive connection, guesses never
//!    throttled (`brute::UNTHROTTLED`).
//!
//! Samples alternate between the two kinds. Each pair passes when its
//! medians differ by at most 2 ms; the run exits with status 1 if any does not.

use local_connector::ad::ActiveDirectory;
use pullprint_tests::brute::{Guesser, Range, UNTHROTTLED};
use pullprint_tests::samba::{self, SambaDc};
use pullprint_tests::timing::Paired;
use std::time::Duration;

const LIMIT: Duration = Duration::from_millis(2);

/// Print one pair's figures; whether it is within [`LIMIT`].
fn report(what: &str, mut t: Paired) -> bool {
    let ok = t.median_gap() <= LIMIT;
    println!("  {what:<24} {} {}", t.describe("unknown", "wrong"), if ok { "ok" } else { "OVER 2 ms" });
    ok
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let mut all_ok = true;

    let n = if quick { 50 } else { 300 };
    let dc = SambaDc::start();
    let ad = ActiveDirectory::new(dc.ad_config(Duration::from_secs(5))).expect("AD");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        for _ in 0..5 {
            ad.authenticate("alice", samba::ALICE_PASSWORD).await.expect("warm-up login");
        }
    });
    let before = ad.operations();
    let t = Paired::run(
        n,
        |i| assert!(rt.block_on(ad.authenticate(&format!("nobody-{i}"), "Wrong!Passw0rd")).is_err()),
        |_| assert!(rt.block_on(ad.authenticate("alice", "Wrong!Passw0rd")).is_err()),
    );
    let per_login = (ad.operations() - before) as f64 / (2 * n) as f64;
    println!(
        "Active Directory (Samba AD DC on loopback, LDAPS, pooled), {n} of each, {per_login:.1} LDAP operations a login:"
    );
    all_ok &= report("unknown user", t);
    drop(dc);

    let n = if quick { 10 } else { 60 };
    let range = Range::new(UNTHROTTLED);
    let d = range.site.serve();
    let mut g = Guesser::new(&d, &range.printer);
    println!("The listeners (pullprint serve on loopback, kept-alive TLS connections), {n} of each:");
    for (k, (method, _, _)) in range.pairs(0).into_iter().enumerate() {
        let g = std::cell::RefCell::new(&mut g);
        let t = Paired::run(
            n,
            |i| assert_eq!(g.borrow_mut().send(&range.pairs(i)[k].1).status, 401),
            |i| assert_eq!(g.borrow_mut().send(&range.pairs(i)[k].2).status, 401),
        );
        all_ok &= report(method, t);
    }
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    if !all_ok {
        std::process::exit(1);
    }
}
