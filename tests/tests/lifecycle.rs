//! The appliance's life: init, serve, status, SIGTERM, systemd notifications,
//! privilege drop, bad configuration and data folders, backup, restore and
//! recovery on a second appliance.

use local_connector::store::JobSubmission;
use pullprint_tests::*;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

fn init(cfg: &Path) -> String {
    let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "init"]);
    assert!(o.status.success(), "init failed: {}", text(&o));
    text(&o)
}

/// A fresh site: a temporary folder, a configuration with `extra` appended,
/// and `pullprint init` run on it. Returns the folder, the data folder, the
/// configuration file and what init printed.
fn fresh_site(extra: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf, String) {
    let t = tempfile::tempdir().expect("tempdir");
    let data = t.path().join("data");
    let cfg = write_config(t.path(), &data, extra);
    let out = init(&cfg);
    (t, data, cfg, out)
}

/// `openssl x509 -text` of a certificate: an independent reading of what rcgen wrote.
fn x509_text(cert: &Path) -> String {
    text(
        &std::process::Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(cert)
            .output()
            .expect("openssl x509"),
    )
}

fn put_job(data: &Path, owner: &str, body: &[u8]) -> local_connector::store::JobId {
    let store = open_store(data);
    let mut w = store
        .create(JobSubmission {
            owner: owner.into(),
            document_name: "report.pdf".into(),
            format: "application/pdf".into(),
            copies: 1,
            ..Default::default()
        })
        .expect("create");
    w.write_body(body).expect("write");
    w.commit().expect("commit").id
}

#[test]
fn init_shows_the_password_once_and_stores_only_the_derived_key() {
    let t = tempfile::tempdir().expect("tempdir");
    let data = t.path().join("data");
    let cfg = write_config(t.path(), &data, "");
    let out = init(&cfg);
    let pw = password_from(&out);
    assert!(out.contains("shown once"));
    // 30 symbols of a 32-symbol alphabet: 150 bits.
    assert_eq!(pw.replace('-', "").len(), 30);
    let params: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("keys/site.json")).expect("params")).expect("json");
    assert!(params["iterations"].as_u64().expect("iterations") >= 600_000);
    assert_eq!(params["kdf"], "pbkdf2-hmac-sha256");
    assert!(params["salt"].as_str().expect("salt").len() >= 32);
    let key_mode = std::fs::metadata(data.join("keys/site.key")).expect("key").permissions().mode() & 0o777;
    assert_eq!(key_mode, 0o600);
    // The password appears nowhere in the data folder, in any form a person typed it.
    let normalised = pw.replace('-', "");
    for entry in walk(&data) {
        let bytes = std::fs::read(&entry).expect("read");
        let hay = String::from_utf8_lossy(&bytes);
        assert!(!hay.contains(&pw) && !hay.contains(&normalised), "password stored in {}", entry.display());
    }
    // A second init refuses and changes nothing.
    let before = std::fs::read(data.join("keys/site.key")).expect("key");
    let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "init"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("already initialised"), "{}", text(&o));
    assert_eq!(std::fs::read(data.join("keys/site.key")).expect("key"), before);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn certificates_chain_to_the_internal_ca_with_rsa_2048_and_the_sans() {
    let (_t, data, _cfg, _) = fresh_site("");
    // openssl is an independent judge of what rcgen wrote.
    let verify = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(data.join("tls/ca.crt"))
        .arg(data.join("tls/server.crt"))
        .output()
        .expect("openssl verify");
    assert!(verify.status.success(), "{}", text(&verify));
    let s = x509_text(&data.join("tls/server.crt"));
    assert!(s.contains("Public-Key: (2048 bit)"), "{s}");
    assert!(s.contains("DNS:localhost") && s.contains("IP Address:127.0.0.1"), "{s}");
    assert!(s.contains("TLS Web Server Authentication"), "{s}");
}

#[test]
fn ecdsa_p256_is_offered() {
    let (_t, data, _cfg, _) = fresh_site("[tls]\nkey_type = \"ecdsa-p256\"\n");
    let s = x509_text(&data.join("tls/server.crt"));
    assert!(s.contains("prime256v1"), "{s}");
}

#[test]
fn serve_reports_health_speaks_tls12_plus_only_and_stops_cleanly_on_sigterm() {
    let (_t, data, cfg, out) = fresh_site("[service]\nuser = \"root\"\n");
    let pw = password_from(&out);
    put_job(&data, "alice", b"%PDF-1.4 one");
    if is_root() {
        // Root with service.user = root: serve refuses to keep root on the network.
        let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "serve"]);
        assert!(!o.status.success());
        assert!(text(&o).contains("will not serve the network as root"), "{}", text(&o));
    }
    // The demo runs the same daemon without the privilege drop (tested on its own below).
    let d = Daemon::start(&demo_args(&data).iter().map(String::as_str).collect::<Vec<_>>(), &data, &[]).expect("start");
    // Without the status token, health is one word; with it, the whole report.
    let (code, body) = d.get("/healthz").expect("healthz");
    assert_eq!((code, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (code, body) = d.health().expect("healthz");
    assert_eq!(code, 200, "{body}");
    let h: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(h["status"], "ok");
    assert_eq!(h["parked_jobs"], 1);
    let wrong = [("Authorization", "Bearer 00000000000000000000000000000000000000000000000000000000000000ff")];
    let (_, _, body) = https_request(d.web, &data.join("tls/ca.crt"), "GET", "/healthz", &wrong, &[]).expect("wrong");
    assert_eq!(body, br#"{"status":"ok"}"#, "a wrong token sees one word");
    let (code, ca) = d.get("/ca.crt").expect("ca");
    assert_eq!(code, 200);
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(d.get("/nope").expect("404").0, 404);
    // TLS 1.1 and 1.0 are refused; 1.2 and 1.3 work (openssl as the client).
    for (flag, ok) in [("-tls1", false), ("-tls1_1", false), ("-tls1_2", true), ("-tls1_3", true)] {
        let o = std::process::Command::new("openssl")
            .args(["s_client", "-connect", &d.web.to_string(), flag, "-CAfile"])
            .arg(data.join("tls/ca.crt"))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("openssl s_client");
        let s = text(&o);
        let handshake = s.contains("Verify return code: 0 (ok)") && !s.contains("alert");
        assert_eq!(handshake, ok, "{flag}: {s}");
    }
    // `pullprint status` finds and verifies the running daemon.
    let o = pullprint(&["status", "--data-dir", data.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("parked jobs:  1"), "{}", text(&o));
    let (status, log) = d.terminate();
    assert!(status.success(), "exit after SIGTERM: {status}\n{log}");
    assert!(log.contains("SIGTERM: shutting down") && log.contains("stopped"), "{log}");
    assert!(!log.contains(&pw) && !log.contains(&pw.replace('-', "")), "the password reached the log");
    let o = pullprint(&["status", "--data-dir", data.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("not running"));
}

#[test]
fn systemd_gets_ready_watchdog_and_stopping() {
    let (t, data, _cfg, _) = fresh_site("");
    let sock_path = t.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).expect("bind notify socket");
    sock.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let d = Daemon::start(
        &demo_args(&data).iter().map(String::as_str).collect::<Vec<_>>(),
        &data,
        &[("NOTIFY_SOCKET", sock_path.to_str().expect("utf8")), ("WATCHDOG_USEC", "200000")],
    )
    .expect("start");
    let mut seen = String::new();
    let mut buf = [0u8; 512];
    while !(seen.contains("READY=1") && seen.contains("WATCHDOG=1")) {
        let n = sock.recv(&mut buf).expect("notification");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        seen.push('\n');
    }
    let (status, _) = d.terminate();
    assert!(status.success());
    loop {
        let n = sock.recv(&mut buf).expect("STOPPING notification");
        if String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1") {
            break;
        }
    }
}

#[test]
fn serve_as_root_drops_to_the_service_user_before_accepting() {
    if !is_root() {
        eprintln!("SKIPPED serve_as_root_drops_to_the_service_user_before_accepting: needs root");
        return;
    }
    let t = world_traversable_tempdir();
    let data = t.path().join("data");
    let cfg = write_config(t.path(), &data, "[service]\nuser = \"nobody\"\n");
    init(&cfg);
    // init as root handed the folder to the service user.
    use std::os::unix::fs::MetadataExt;
    let nobody = nix::unistd::User::from_name("nobody").expect("lookup").expect("nobody exists");
    assert_eq!(std::fs::metadata(data.join("keys/site.key")).expect("key").uid(), nobody.uid.as_raw());
    let d = Daemon::start(&["--config", cfg.to_str().expect("utf8"), "serve"], &data, &[]).expect("serve");
    let status = std::fs::read_to_string(format!("/proc/{}/status", d.pid())).expect("proc status");
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).expect("Uid line");
    assert!(uid_line.split_whitespace().skip(1).all(|u| u == nobody.uid.as_raw().to_string()), "{uid_line}");
    assert!(
        status.lines().any(|l| l.starts_with("Groups:") && l.split_whitespace().count() == 1),
        "supplementary groups kept: {status}"
    );
    assert!(status.lines().any(|l| l == "NoNewPrivs:\t1"), "no_new_privs not set");
    assert!(status.lines().any(|l| l == "CapEff:\t0000000000000000"), "capabilities kept");
    assert_eq!(d.get("/healthz").expect("health").0, 200);
    let (s, log) = d.terminate();
    assert!(s.success(), "{log}");
    assert!(log.contains("dropped privileges to nobody"), "{log}");
}

#[test]
fn a_broken_config_lists_every_error_with_its_key_path() {
    let t = tempfile::tempdir().expect("tempdir");
    let cfg = t.path().join("bad.toml");
    std::fs::write(&cfg, "typo = 1\n[store]\nretention = \"forever\"\nmax_job_bytes = \"big\"\n[listen]\nweb = [\"nowhere\"]\n[site]\nhostnames = [\"ok.example\", \"bad host\"]\n").expect("write");
    let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "serve"]);
    assert_eq!(o.status.code(), Some(2));
    let s = text(&o);
    for key in [
        "typo: unknown key",
        "store.retention:",
        "store.max_job_bytes: must be an integer",
        "listen.web[0]:",
        "site.hostnames:",
    ] {
        assert!(s.contains(key), "{key} missing from:\n{s}");
    }
    let o = pullprint(&["--config", "/nonexistent/pullprint.toml", "serve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("cannot read /nonexistent/pullprint.toml"));
}

#[test]
fn serve_refuses_an_exposed_or_locked_data_folder_and_says_why() {
    let (_t, data, _cfg, _) = fresh_site("");
    let serve = |data: &Path| pullprint(&demo_args(data).iter().map(String::as_str).collect::<Vec<_>>());
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let o = serve(&data);
    assert!(!o.status.success());
    assert!(text(&o).contains("has mode 755; at most 700"), "{}", text(&o));
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    if is_root() {
        // A key file that belongs to someone else is refused too.
        std::os::unix::fs::lchown(data.join("keys/site.key"), Some(65534), None).expect("chown");
        let o = serve(&data);
        assert!(!o.status.success());
        assert!(text(&o).contains("site.key is owned by uid 65534, not the service user"), "{}", text(&o));
        std::os::unix::fs::lchown(data.join("keys/site.key"), Some(0), None).expect("chown back");
    }
    std::fs::set_permissions(data.join("keys/site.key"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let o = serve(&data);
    assert!(text(&o).contains("site.key has mode 644"), "{}", text(&o));
    std::fs::remove_file(data.join("keys/site.key")).expect("rm key");
    let o = serve(&data);
    assert!(!o.status.success());
    assert!(text(&o).contains("is missing: this appliance is locked"), "{}", text(&o));
    assert!(text(&o).contains("pullprint init --recover"), "{}", text(&o));
}

#[test]
fn backup_restore_and_recover_on_a_second_appliance() {
    let (t, data, _cfg, out) = fresh_site("");
    let pw = password_from(&out);
    let body = body_for(7, 200_000);
    let id = put_job(&data, "alice", &body);
    {
        let audit = local_connector::audit::AuditLog::open(&data.join("audit"), site_key_of(&data).audit_key())
            .expect("audit log");
        for action in ["console.sign-in", "job.delete", "console.sign-out"] {
            audit.append(local_connector::audit::Entry::new("admin", "admin", "127.0.0.1", action)).expect("append");
        }
    }
    // Device Scout's inventory and meter history travel with the backup.
    std::fs::create_dir_all(data.join("scout")).expect("scout folder");
    std::fs::write(data.join("scout/changes.jsonl"), b"{\"seq\":0,\"kind\":\"meter.read\"}\n").expect("log");
    std::fs::write(data.join("scout/inventory.json"), b"{\"printers\":{}}").expect("inventory");
    let original_key = std::fs::read(data.join("keys/site.key")).expect("key");
    let archive = t.path().join("site.backup");
    let o =
        pullprint(&["backup", "--data-dir", data.to_str().expect("utf8"), "--output", archive.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    // The backup carries no site key and no TLS private key in clear.
    let raw = std::fs::read(&archive).expect("archive");
    let hay = String::from_utf8_lossy(&raw);
    assert!(!hay.contains("site.key") && !hay.contains("PRIVATE KEY"), "secret in backup");
    assert!(!hay.contains(&hex::encode(&original_key[..16])));

    // A second appliance: restore, then unlock with the password.
    let data2 = t.path().join("data2");
    let o = pullprint(&["restore", archive.to_str().expect("utf8"), "--data-dir", data2.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("init --recover"));
    assert_eq!(
        std::fs::read(data2.join("scout/changes.jsonl")).expect("the scout's log restored"),
        std::fs::read(data.join("scout/changes.jsonl")).expect("log")
    );
    let d2 = data2.to_str().expect("utf8");
    // Locked until recovered.
    let o = pullprint(&demo_args(d2).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(text(&o).contains("locked"), "{}", text(&o));
    // A wrong password changes nothing.
    let o = pullprint_with_stdin(&["init", "--recover", "--data-dir", d2], "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA\n");
    assert!(!o.status.success());
    assert!(text(&o).contains("does not belong to this site"), "{}", text(&o));
    assert!(!data2.join("keys/site.key").exists());
    assert!(data2.join("tls/ca.key.sealed").exists());
    // The right one, typed in lower case, recreates the same key.
    let o = pullprint_with_stdin(&["init", "--recover", "--data-dir", d2], &format!("{}\n", pw.to_lowercase()));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(data2.join("keys/site.key")).expect("key"), original_key);
    assert_eq!(
        std::fs::read(data2.join("tls/ca.key")).expect("ca key"),
        std::fs::read(data.join("tls/ca.key")).expect("ca key")
    );
    // The audit log came along, its chain intact.
    let o = pullprint(&["audit", "verify", "--data-dir", d2]);
    assert!(o.status.success() && text(&o).contains("intact: 3 records"), "{}", text(&o));
    let store = open_store(&data2);
    let mut got = Vec::new();
    store.read_verified(id).expect("job restored").read_to_end(&mut got).expect("read");
    assert!(got == body);
    drop(store);
    let d = Daemon::start(&demo_args(d2).iter().map(String::as_str).collect::<Vec<_>>(), &data2, &[])
        .expect("restored appliance serves");
    assert_eq!(d.get("/healthz").expect("health").0, 200);
    let _ = d.terminate();

    // A damaged archive is refused whole and leaves no folder behind.
    let mut bad = raw.clone();
    let at = bad.len() / 2;
    bad[at] ^= 0xff;
    let bad_path = t.path().join("bad.backup");
    std::fs::write(&bad_path, bad).expect("write");
    let data3 = t.path().join("data3");
    let o = pullprint(&["restore", bad_path.to_str().expect("utf8"), "--data-dir", data3.to_str().expect("utf8")]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(!data3.exists());
    // Restoring over a live data folder is refused.
    let o = pullprint(&["restore", archive.to_str().expect("utf8"), "--data-dir", data.to_str().expect("utf8")]);
    assert!(text(&o).contains("not empty"), "{}", text(&o));
}

#[test]
fn demo_comes_up_in_a_folder_the_newcomer_just_made_with_mkdir() {
    let t = tempfile::tempdir().expect("tempdir");
    let data = t.path().join("d");
    // What `mkdir` gives under the usual umask: readable by everyone.
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let args = demo_args(&data);
    let d = Daemon::start(&args.iter().map(String::as_str).collect::<Vec<_>>(), &data, &[]).expect("demo starts");
    let mode = std::fs::metadata(&data).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the demo makes the folder private itself");
    assert!(d.log().contains("Pullprint demo is running"), "{}", d.log());
    let (status, _) = d.terminate();
    assert!(status.success());
}

#[test]
fn init_refuses_an_unusable_folder_before_it_makes_a_key_or_shows_a_password() {
    let t = tempfile::tempdir().expect("tempdir");
    // A folder that holds something else.
    let data = t.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::write(data.join("notes.txt"), b"mine").expect("write");
    let cfg = write_config(t.path(), &data, "");
    let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "init"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("is not empty"), "{}", text(&o));
    assert!(!text(&o).to_lowercase().contains("recovery password"), "no password is shown for nothing:\n{}", text(&o));
    let left: Vec<_> = walk(&data).into_iter().map(|p| p.strip_prefix(&data).expect("inside").to_owned()).collect();
    assert_eq!(left, vec![Path::new("notes.txt").to_owned()], "nothing was made");
    assert!(!data.join("keys").exists() && !data.join("tls").exists(), "no key or certificate folder was made");
    // A file where the folder should be.
    let file = t.path().join("file");
    std::fs::write(&file, b"x").expect("write");
    let cfg = write_config(t.path(), &file, "");
    let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "init"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("is not a folder"), "{}", text(&o));
    assert_eq!(std::fs::read(&file).expect("read"), b"x");
}

#[test]
fn demo_takes_its_settings_from_a_config_file_and_says_so() {
    let t = tempfile::tempdir().expect("tempdir");
    let data = t.path().join("d");
    let cfg = t.path().join("trial.toml");
    std::fs::write(&cfg, "[ipp]\nmax_jobs_per_user = 1\n").expect("write");
    let mut args = vec!["--config".to_owned(), cfg.to_str().expect("utf8").to_owned()];
    args.extend(demo_args(&data));
    let d = Daemon::start(&args.iter().map(String::as_str).collect::<Vec<_>>(), &data, &[]).expect("demo starts");
    assert!(d.log().contains(&format!("Configuration   {}", cfg.display())), "the banner names the file:\n{}", d.log());
    let pdf = b"%PDF-1.4\n%%EOF\n";
    assert_eq!(d.print_as("alice", "pullprint-demo", pdf), (200, Some(0)), "the first job is parked");
    assert_eq!(
        d.print_as("alice", "pullprint-demo", pdf),
        (200, Some(0x0404)),
        "the file's max_jobs_per_user = 1 holds: client-error-not-possible"
    );
    let (status, _) = d.terminate();
    assert!(status.success());
    // A file with a mistake is refused with its key path, as for `serve`.
    std::fs::write(&cfg, "[ipp]\nmax_jobs = 1\n").expect("write");
    let mut args = vec!["--config".to_owned(), cfg.to_str().expect("utf8").to_owned()];
    args.extend(demo_args(&data));
    let o = pullprint(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("ipp.max_jobs"), "{}", text(&o));
}

/// Regression (security review, finding 14): the backup opened
/// `<out>.partial` with create and truncate, so a link left at that name
/// had the (often root) backup truncate and overwrite whatever it pointed to.
#[test]
fn a_link_at_the_backups_partial_name_is_not_followed() {
    let (t, data, _cfg, _) = fresh_site("");
    let victim = t.path().join("victim.conf");
    std::fs::write(&victim, b"precious").expect("victim");
    let archive = t.path().join("site.backup");
    std::os::unix::fs::symlink(&victim, t.path().join("site.partial")).expect("symlink");
    let o =
        pullprint(&["backup", "--data-dir", data.to_str().expect("utf8"), "--output", archive.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&victim).expect("victim"), b"precious", "the link's target was written");
    assert!(std::fs::metadata(&archive).is_ok_and(|m| m.len() > 0), "the backup was still written");
}

/// A tar archive at `path` holding `entries` (name, content), in order.
fn write_tar<'a>(path: &Path, entries: impl Iterator<Item = &'a (String, Vec<u8>)>) {
    let mut w = tar::Builder::new(std::fs::File::create(path).expect("create"));
    for (name, b) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(b.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        w.append_data(&mut h, name, &b[..]).expect("append");
    }
    w.finish().expect("finish");
}

/// Regression (security review, finding 11): the manifest's hashes were
/// unkeyed, so a backup with a file added or changed and its hash fixed in
/// the manifest restored and unlocked cleanly.
#[test]
fn a_backup_altered_after_it_was_made_does_not_unlock() {
    use sha2::Digest;
    use std::io::Read;
    let (t, data, _cfg, out) = fresh_site("");
    let pw = password_from(&out);
    let archive = t.path().join("site.backup");
    let o =
        pullprint(&["backup", "--data-dir", data.to_str().expect("utf8"), "--output", archive.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    // Rewrite the archive as an attacker would: add an admin to the local
    // directory and record its (unkeyed) hash in the manifest; keep the MAC.
    let added = br#"{"version":1,"users":{"mallory":{"groups":["PullprintAdmins"]}}}"#;
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let mut tar = tar::Archive::new(std::fs::File::open(&archive).expect("open"));
    for e in tar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let name = e.path().expect("path").to_string_lossy().into_owned();
        let mut b = Vec::new();
        e.read_to_end(&mut b).expect("read");
        entries.push((name, b));
    }
    let at = entries.iter().position(|(n, _)| n == "MANIFEST.json").expect("manifest");
    let mut manifest: serde_json::Value = serde_json::from_slice(&entries[at].1).expect("json");
    manifest["files"]["directory/mallory.json"] = hex::encode(sha2::Sha256::digest(added)).into();
    entries[at].1 = serde_json::to_vec_pretty(&manifest).expect("json");
    entries.insert(at, ("directory/mallory.json".into(), added.to_vec()));
    let tampered = t.path().join("tampered.backup");
    write_tar(&tampered, entries.iter());
    // It restores, since its files match its manifest ...
    let data2 = t.path().join("data2");
    let d2 = data2.to_str().expect("utf8");
    let o = pullprint(&["restore", tampered.to_str().expect("utf8"), "--data-dir", d2]);
    assert!(o.status.success(), "{}", text(&o));
    // ... but does not unlock: the manifest lacks this site's MAC.
    let o = pullprint_with_stdin(&["init", "--recover", "--data-dir", d2], &format!("{pw}\n"));
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("altered after it was made"), "{}", text(&o));
    assert!(!data2.join("keys/site.key").exists(), "nothing was unlocked");
    // A backup without its MAC does not even restore.
    let bare = t.path().join("bare.backup");
    write_tar(&bare, entries.iter().filter(|(n, _)| n != "MANIFEST.mac"));
    let o = pullprint(&[
        "restore",
        bare.to_str().expect("utf8"),
        "--data-dir",
        t.path().join("data3").to_str().expect("utf8"),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("MANIFEST.mac"), "{}", text(&o));
}

/// The demo, in a data folder of its own, on free ports.
fn demo_daemon() -> (tempfile::TempDir, Daemon) {
    let t = tempfile::tempdir().expect("tempdir");
    let data = t.path().join("data");
    let args = demo_args(&data);
    let d = Daemon::start(&args.iter().map(String::as_str).collect::<Vec<_>>(), &data, &[]).expect("demo starts");
    (t, d)
}

/// Regression (security review, hygiene): rustls warned at every handshake
/// that sent an IP address as SNI, as many printers do; a TLS scan wrote
/// thousands of such lines. They are routine, so they are debug-level.
#[test]
fn an_ip_address_as_sni_is_not_a_warning() {
    let (_t, d) = demo_daemon();
    for port in [d.web.port(), d.ipp.port(), d.panel.port()] {
        let o = std::process::Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-servername", "127.0.0.1", "-brief"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("openssl");
        assert!(String::from_utf8_lossy(&o.stderr).contains("CONNECTION ESTABLISHED"), "port {port}");
    }
    std::thread::sleep(Duration::from_millis(200));
    let (status, log) = d.terminate();
    assert!(status.success());
    assert!(!log.contains("IP address presented as hostname"), "{log}");
}

/// Regression (security review, hygiene): server certificates lasted 397
/// days, more than Mozilla's intermediate profile (366) accepts, and their
/// expiry showed nowhere. They last 365 days, and health and status say when.
#[test]
fn server_certificates_last_a_year_and_health_and_status_say_until_when() {
    let (_t, data, _cfg, _) = fresh_site("");
    let crt = data.join("tls/server.crt");
    // openssl, independently: valid for 364 more days, not for 366.
    let ends_within = |days: u64| {
        !std::process::Command::new("openssl")
            .args(["x509", "-noout", "-checkend", &(days * 86400).to_string(), "-in"])
            .arg(&crt)
            .output()
            .expect("openssl")
            .status
            .success()
    };
    assert!(!ends_within(364) && ends_within(366));
    let d = Daemon::start(&demo_args(&data).iter().map(String::as_str).collect::<Vec<_>>(), &data, &[]).expect("start");
    let (_, body) = d.health().expect("healthz");
    let h: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(matches!(h["certificate_days_left"].as_u64(), Some(364 | 365)), "{body}");
    assert!(h["certificate_expires"].as_str().is_some_and(|e| e.ends_with('Z')), "{body}");
    let o = pullprint(&["status", "--data-dir", data.to_str().expect("utf8")]);
    assert!(text(&o).contains("certificate:  expires"), "{}", text(&o));
    let (status, _) = d.terminate();
    assert!(status.success());
    // Renewal: a new key and certificate from the same CA, for another year.
    let before = std::fs::read(&crt).expect("crt");
    let o = pullprint(&["certificate", "renew", "--data-dir", data.to_str().expect("utf8")]);
    assert!(o.status.success() && text(&o).contains("expires"), "{}", text(&o));
    assert_ne!(std::fs::read(&crt).expect("crt"), before);
    let verify = std::process::Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(data.join("tls/ca.crt"))
        .arg(&crt)
        .output()
        .expect("openssl");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    assert!(!ends_within(364) && ends_within(366));
}

/// Regression (security review, finding 5): one address could hold every
/// connection slot, and the web and panel ports read bodies of up to 2 MiB
/// with no deadline, so trickled bodies held connections and memory.
#[test]
fn greedy_and_slow_clients_are_cut_off() {
    use std::io::Read;
    let t = tempfile::tempdir().expect("tempdir");
    let data = t.path().join("data");
    let cap = 20;
    let cfg = t.path().join("limits.toml");
    std::fs::write(&cfg, format!("[listen]\nmax_per_address = {cap}\n")).expect("config");
    let mut args = vec!["--config".to_owned(), cfg.to_str().expect("utf8").to_owned()];
    args.extend(demo_args(&data));
    let d = Daemon::start(&args.iter().map(String::as_str).collect::<Vec<_>>(), &data, &[]).expect("demo starts");
    let ca = d.data.join("tls/ca.crt");
    // One address holds at most `listen.max_per_address` connections on a
    // port; the rest are closed at once.
    let conns: Vec<std::net::TcpStream> =
        (0..cap + 44).map(|_| std::net::TcpStream::connect(d.web).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(500));
    let closed = conns
        .iter()
        .filter(|c| {
            c.set_read_timeout(Some(Duration::from_millis(20))).expect("timeout");
            match (&**c).read(&mut [0u8; 1]) {
                // Still held: the server waits for the TLS handshake.
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => false,
                Ok(n) => n == 0,
                Err(_) => true,
            }
        })
        .count();
    // About 44: a connection the start-up probe made may still be counted.
    assert!((40..=47).contains(&closed), "{closed} of {} connections were closed", cap + 44);
    drop(conns);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(d.get("/healthz").expect("health after the flood").0, 200);
    // A body over the cap is refused before it is read whole.
    let big = vec![b'x'; 100 * 1024];
    let (code, _, _) = https_request(d.web, &ca, "POST", "/api/v1/me/tokens", &[], &big).expect("POST");
    assert_eq!(code, 413);
    // A body that trickles is cut off at the request deadline.
    let mut c = pullprint_tests::client::Conn::tls(d.web, &ca).expect("tls");
    let started = std::time::Instant::now();
    let r = c
        .post_with("/api/v1/me/tokens", &[("Content-Type", "application/json")], 1000, |w| {
            w.write_all(b"{\"label\":")?;
            w.flush()
        })
        .expect("an answer");
    assert_eq!(r.status, 408);
    let waited = started.elapsed();
    assert!(
        waited >= local_connector::net::REQUEST_DEADLINE - Duration::from_secs(1) && waited < Duration::from_secs(60),
        "{waited:?}"
    );
    let (status, _) = d.terminate();
    assert!(status.success());
}
