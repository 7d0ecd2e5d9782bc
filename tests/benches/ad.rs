//! Active Directory login latency against a real Samba AD DC on loopback:
//!
//! ```text
//! cargo bench -p pullprint-tests --bench ad [-- --quick]
//! ```
//!
//! Each login is what the queue does for a password it has not seen, on a
//! pooled LDAPS connection (CA pinned): user search as the service account,
//! bind as the user, bind back, nested-group search. Reported as p50 and
//! p99, beside the same DC's fresh TLS connect + service-account bind
//! measured in the same run: what each login paid before the pool.

use local_connector::ad::ActiveDirectory;
use pullprint_tests::samba::{self, SambaDc};
use std::time::{Duration, Instant};

/// The `per_mille`-th per-mille value (500 = median, 990 = p99).
fn percentile(v: &mut [Duration], per_mille: usize) -> Duration {
    v.sort();
    v[((v.len() - 1) * per_mille + 500) / 1000]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 50 } else { 300 };
    let dc = SambaDc::start();
    let cfg = dc.ad_config(Duration::from_secs(5));
    let ad = ActiveDirectory::new(cfg).expect("provider");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut logins = Vec::with_capacity(n);
    let mut wrong = Vec::with_capacity(n);
    let mut connects = Vec::with_capacity(n);
    rt.block_on(async {
        // Warm up the DC's caches.
        for _ in 0..5 {
            ad.authenticate("alice", samba::ALICE_PASSWORD).await.expect("login");
        }
        for i in 0..n {
            let t = Instant::now();
            let user = if i % 2 == 0 { ("alice", samba::ALICE_PASSWORD) } else { ("zoe", samba::ZOE_PASSWORD) };
            ad.authenticate(user.0, user.1).await.expect("login");
            logins.push(t.elapsed());
            let t = Instant::now();
            assert!(ad.authenticate("alice", "Wrong!Passw0rd").await.is_err());
            wrong.push(t.elapsed());
            let t = Instant::now();
            ad.probe().await.expect("probe");
            connects.push(t.elapsed());
        }
    });
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (c50, c99) = (percentile(&mut connects, 500), percentile(&mut connects, 990));
    println!("AD login against Samba AD on loopback, {n} of each:");
    println!("  fresh TLS connect + service bind (reference): p50 {:.1} ms, p99 {:.1} ms", ms(c50), ms(c99));
    for (name, v) in [("successful login", &mut logins), ("wrong password", &mut wrong)] {
        let (p50, p99) = (percentile(v, 500), percentile(v, 990));
        println!(
            "  {name:<16} p50 {:.1} ms ({:.2}x the reference), p99 {:.1} ms ({:.2}x)",
            ms(p50),
            ms(p50) / ms(c50),
            ms(p99),
            ms(p99) / ms(c99)
        );
    }
}
