//! Active Directory login latency against a real Samba AD DC on loopback:
//!
//! ```text
//! cargo bench -p pullprint-tests --bench ad [-- --quick]
//! ```
//!
//! Each login is what the queue does for a password it has not seen: TLS
//! connect (LDAPS, CA pinned), service-account bind, user search, bind as the
//! user, nested-group search, unbind. Reported as p50 and p99, beside the
//! same DC's bare TLS connect + service-account bind measured in the same
//! run (the part no client can avoid).

use local_connector::ad::{ActiveDirectory, AdConfig};
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
    let cfg = AdConfig {
        urls: vec!["ldaps://localhost:636".into()],
        ca_pem: std::fs::read(&dc.ca).expect("CA"),
        base_dn: samba::BASE_DN.into(),
        realm: samba::REALM.into(),
        domain: samba::DOMAIN.into(),
        bind_dn: dc.service_dn(),
        bind_password: samba::SERVICE_PASSWORD.into(),
        timeout: Duration::from_secs(5),
    };
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
    println!("  TLS connect + service bind (floor): p50 {:.1} ms, p99 {:.1} ms", ms(c50), ms(c99));
    for (name, v) in [("successful login", &mut logins), ("wrong password", &mut wrong)] {
        let (p50, p99) = (percentile(v, 500), percentile(v, 990));
        println!(
            "  {name:<16} p50 {:.1} ms ({:.2}x the floor), p99 {:.1} ms ({:.2}x)",
            ms(p50),
            ms(p50) / ms(c50),
            ms(p99),
            ms(p99) / ms(c99)
        );
    }
}
