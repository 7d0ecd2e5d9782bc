//! The cloud tenant: `pullprint tenant check` against a real S3-compatible
//! server (s3s-fs, checking SigV4 signatures) on loopback, and the local
//! folder that is the embedded default.

use pullprint_tests::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use pullprint_tests::*;

/// A configuration naming an S3 tenant at `endpoint`, with credentials
/// `(id, secret)` in a root-only file.
fn s3_config(dir: &std::path::Path, endpoint: &str, bucket: &str, secret: &str) -> std::path::PathBuf {
    let creds = dir.join("s3-credentials");
    std::fs::write(&creds, format!("{ACCESS_KEY}\n{secret}\n")).expect("credentials");
    let data = dir.join("data");
    write_config(
        dir,
        &data,
        &format!(
            "\n[tenant]\nkind = \"s3\"\nendpoint = \"{endpoint}\"\nbucket = \"{bucket}\"\nprefix = \"site-hq\"\n\
             path_style = true\ndangerous_allow_http = true\ntimeout = \"2s\"\ncredentials_file = \"{}\"\n",
            creds.display()
        ),
    )
}

fn check(cfg: &std::path::Path) -> (bool, String) {
    let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "tenant", "check"]);
    (o.status.success(), text(&o))
}

#[test]
fn tenant_check_passes_on_a_real_s3_server_and_names_each_step_that_fails() {
    let t = world_traversable_tempdir();
    let mut s3 = S3Server::start(&t.path().join("s3"), &["acme-print"]);
    let cfg = s3_config(t.path(), &s3.endpoint(), "acme-print", SECRET_KEY);
    let (ok, out) = check(&cfg);
    assert!(ok, "{out}");
    for step in ["DNS:", "connection:", "list: allowed", "write: allowed", "read: allowed", "delete: allowed"] {
        assert!(out.contains(step), "{step}: {out}");
    }
    assert!(!out.contains(SECRET_KEY), "the secret is never printed: {out}");

    let cfg = s3_config(t.path(), &s3.endpoint(), "acme-print", "not-the-secret");
    let (ok, out) = check(&cfg);
    assert!(!ok && out.contains("failed at credentials:"), "{out}");
    assert!(!out.contains("not-the-secret"), "{out}");

    let cfg = s3_config(t.path(), &s3.endpoint(), "no-such-bucket", SECRET_KEY);
    let (ok, out) = check(&cfg);
    assert!(!ok && out.contains("failed at bucket: no-such-bucket"), "{out}");

    // In a network namespace of its own, with only a loopback that is down:
    // the name's lookup fails without a packet leaving this machine.
    let cfg = s3_config(t.path(), "http://no-such-host.invalid:9000", "acme-print", SECRET_KEY);
    let mut unshare = std::process::Command::new("unshare");
    if !is_root() {
        unshare.arg("--map-root-user");
    }
    let o = unshare
        .args(["--net", "--"])
        .arg(pullprint_bin())
        .args(["--config", cfg.to_str().expect("utf8"), "tenant", "check"])
        .output()
        .expect("unshare");
    let (ok, out) = (o.status.success(), text(&o));
    assert!(!ok && out.contains("failed at DNS: no-such-host.invalid"), "{out}");

    s3.stop();
    let cfg = s3_config(t.path(), &s3.endpoint(), "acme-print", SECRET_KEY);
    let (ok, out) = check(&cfg);
    assert!(!ok && out.contains("failed at connection:"), "{out}");
}

#[test]
fn the_embedded_default_tenant_is_a_local_folder() {
    let t = world_traversable_tempdir();
    let data = t.path().join("data");
    let cfg = write_config(t.path(), &data, "");
    let (ok, out) = check(&cfg);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("folder {}", data.join("tenant").display())), "{out}");
}
