//! The configuration's own tests: the documented example, each section's
//! checks, and the values that must be errors rather than panics.

use super::*;

#[test]
fn the_documented_example_is_valid_and_safe() {
    let c = Config::from_toml_str(include_str!("../../../docs/pullprint.toml.example"))
        .unwrap_or_else(|e| panic!("docs/pullprint.toml.example: {e}"));
    assert!(c.dangerous_settings().is_empty());
}

#[test]
fn scout_ranges_are_checked_and_their_secrets_read_from_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (auth, privacy) = (dir.path().join("auth"), dir.path().join("priv"));
    std::fs::write(&auth, "authpass123\n").expect("write");
    std::fs::write(&privacy, "privpass123\n").expect("write");
    let text = format!(
        "[scout]\ndiscovery = \"weekly\"\nwindows = [\"22:00-06:00\"]\nread_every = \"15m\"\nrate = 100\n\
         [[scout.range]]\nname = \"HQ\"\naddresses = [\"10.1.0.0/16\", \"10.2.0.5-10.2.0.9\"]\nexclude = [\"10.1.9.0/24\"]\n\
         [[scout.range]]\nname = \"Lab\"\naddresses = [\"10.3.0.0/24\"]\nversion = \"3\"\nv3_user = \"printmon\"\n\
         v3_auth_proto = \"SHA-256\"\nv3_auth_key_file = \"{}\"\nv3_priv_proto = \"AES-256\"\nv3_priv_key_file = \"{}\"\n",
        auth.display(),
        privacy.display()
    );
    let c = Config::from_toml_str(&text).expect("valid");
    assert_eq!(c.scout.ranges.len(), 2);
    let s = c.scout_settings().expect("secrets read");
    assert_eq!(s.discovery, local_connector::scout::schedule::Every::Weekly);
    assert_eq!(s.ranges[0].credentials.version(), "v2c");
    match &s.ranges[1].credentials {
        local_connector::scout::agent::Credentials::V3(v) => {
            assert_eq!(v.auth.as_ref().map(|(_, k)| k.expose()), Some("authpass123"));
            assert_eq!(v.privacy.as_ref().map(|(_, k)| k.expose()), Some("privpass123"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{s:?}").contains("authpass123"), "secrets stay out of Debug");
    for (bad, key) in [
        ("[scout]\nread_every = \"5m\"\n", "scout.read_every"),
        ("[scout]\nrate = 0\n", "scout.rate"),
        ("[scout]\nwindows = [\"25:00-01:00\"]\n", "scout.windows[0]"),
        ("[[scout.range]]\naddresses = [\"10.0.0.0/24\"]\n", "scout.range[0].name"),
        ("[[scout.range]]\nname = \"x\"\naddresses = [\"10.0.0.0/8\"]\n", "scout.range[0].addresses"),
        ("[[scout.range]]\nname = \"x\"\naddresses = [\"10.0.0.1\"]\nversion = \"3\"\n", "scout.range[0].v3_user"),
        ("[[scout.range]]\nname = \"x\"\naddresses = [\"10.0.0.1\"]\nv3_user = \"u\"\n", "scout.range[0].version"),
        ("[[scout.range]]\nname = \"x\"\naddresses = [\"10.0.0.1\"]\ncolour = 1\n", "scout.range[0].colour"),
    ] {
        let e = Config::from_toml_str(bad).expect_err(bad);
        assert!(e.0.iter().any(|e| e.key == key), "{bad}: {e}");
    }
}

#[test]
fn durations_too_long_to_compute_with_are_errors_not_panics() {
    let huge = "\"12297829382473034406s\"";
    for (text, key) in [
        (format!("[release]\npoll_interval = {huge}\n"), "release.poll_interval"),
        (format!("[scout]\ntimeout = {huge}\n"), "scout.timeout"),
        (format!("[scout]\nraw_confirm_timeout = {huge}\n"), "scout.raw_confirm_timeout"),
        (format!("[scout]\nread_every = {huge}\n"), "scout.read_every"),
        (format!("[tenant]\ntimeout = {huge}\n"), "tenant.timeout"),
    ] {
        let e = Config::from_toml_str(&text).expect_err(&text);
        assert!(e.0.iter().any(|e| e.key == key), "{text}: {e}");
    }
}

#[test]
fn dangerous_settings_are_off_by_default_and_named_when_on() {
    assert!(Config::from_toml_str("").expect("valid").dangerous_settings().is_empty());
    let c = Config::from_toml_str(
        "[dangerous]\nplain_ipp_listen = [\"127.0.0.1:8631\"]\ntrust_user_name_from = [\"10.20.0.0/16\", \"fd00::/8\", \"192.0.2.7\"]\n",
    )
    .expect("valid");
    let d = c.dangerous_settings();
    assert_eq!(d.len(), 2);
    assert!(d[0].starts_with("dangerous.plain_ipp_listen") && d[1].contains("10.20.0.0/16"), "{d:?}");
    let nets = &c.dangerous_trusted_subnets;
    assert!(nets[0].contains("10.20.255.1".parse().expect("ip")));
    assert!(nets[0].contains("::ffff:10.20.0.9".parse().expect("ip")), "IPv4-mapped addresses count");
    assert!(!nets[0].contains("10.21.0.1".parse().expect("ip")));
    assert!(nets[1].contains("fd12::1".parse().expect("ip")) && !nets[1].contains("fe80::1".parse().expect("ip")));
    assert!(nets[2].contains("192.0.2.7".parse().expect("ip")) && !nets[2].contains("192.0.2.8".parse().expect("ip")));
    let e = Config::from_toml_str("[dangerous]\ntrust_user_name_from = [\"10.0.0.0/33\", \"nonsense\"]\n")
        .expect_err("invalid");
    assert_eq!(e.0.len(), 2, "{e}");
}

#[test]
fn empty_config_gives_defaults() {
    let c = Config::from_toml_str("").expect("valid");
    assert_eq!(c.data_dir, PathBuf::from(defaults::DATA_DIR));
    assert_eq!(c.retention, defaults::RETENTION);
    assert_eq!(c.key_type, KeyType::Rsa2048);
}

#[test]
fn auth_defaults_are_those_of_the_auth_service() {
    let c = Config::from_toml_str("").expect("valid");
    assert_eq!(c.auth, local_connector::auth::AuthSettings::default());
}

#[test]
fn every_error_is_reported_with_its_key_path() {
    let text = r#"
        colour = "blue"
        [site]
        hostnames = ["print.example.com", "bad_name!"]
        addresses = ["10.0.0.1", "not-an-ip"]
        [store]
        retention = "soon"
        max_job_bytes = -5
        extra = 1
        [tls]
        key_type = "dsa"
        [listen]
        web = "0.0.0.0:443"
    "#;
    let errs = Config::from_toml_str(text).expect_err("invalid").0;
    let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
    for k in [
        "colour",
        "site.addresses[1]",
        "store.retention",
        "store.max_job_bytes",
        "store.extra",
        "tls.key_type",
        "listen.web",
        "site.hostnames",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
}

#[test]
fn ipp_timeouts_outside_one_second_to_an_hour_are_refused() {
    let errs = Config::from_toml_str("[ipp]\nidle_timeout = \"0s\"\nbody_idle = \"2h\"\n").expect_err("invalid").0;
    let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["ipp.idle_timeout", "ipp.body_idle"]);
    let c = Config::from_toml_str("[ipp]\nidle_timeout = \"3s\"\n").expect("valid");
    assert_eq!((c.ipp_idle_timeout, c.ipp_body_idle), (Duration::from_secs(3), defaults::IPP_BODY_IDLE));
}

#[test]
fn a_full_config_parses() {
    let text = r#"
        [site]
        name = "HQ"
        hostnames = ["pullprint.corp.example"]
        addresses = ["10.1.2.3"]
        [paths]
        data_dir = "/srv/pullprint"
        [listen]
        web = ["0.0.0.0:443", "[::]:443"]
        [service]
        user = "pullprint"
        shutdown_grace = "10s"
        [tls]
        key_type = "ecdsa-p256"
        [store]
        retention = "12h"
        sweep_interval = "30s"
        max_job_bytes = 1073741824
        min_free_bytes = 1000000
        index_cache_bytes = 1000000
        [logging]
        level = "debug"
    "#;
    let c = Config::from_toml_str(text).expect("valid");
    assert_eq!(c.web_listen.len(), 2);
    assert_eq!(c.retention, Duration::from_secs(12 * 3600));
    assert_eq!(c.key_type, KeyType::EcdsaP256);
}
