//! Active Directory against a real Samba AD DC on loopback: the three name
//! forms, refusals with their reasons, nested groups, non-ASCII names, a user
//! outside CN=Users, LDAPS with the DC's CA pinned and StartTLS, refusal of
//! a DC that is not trusted, and an outage with recovery.

use pullprint_tests::samba::{self, SambaDc};
use pullprint_tests::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Site {
    _t: tempfile::TempDir,
    data: PathBuf,
    cfg: PathBuf,
}

/// A site whose directory is the DC, reached at `url`, trusting `ca`.
fn site(dc: &SambaDc, url: &str, ca: &Path) -> Site {
    let t = world_traversable_tempdir();
    let data = t.path().join("data");
    let pw = t.path().join("svc.pw");
    std::fs::write(&pw, format!("{}\n", samba::SERVICE_PASSWORD)).expect("service password");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
    let ad = format!(
        "[ad]\nurls = [\"{url}\"]\nca_file = \"{}\"\nbase_dn = \"{}\"\nrealm = \"{}\"\ndomain = \"{}\"\n\
         bind_dn = \"{}\"\nbind_password_file = \"{}\"\ntimeout = \"3s\"\ncheck_interval = \"1s\"\n",
        ca.display(),
        samba::BASE_DN,
        samba::REALM,
        samba::DOMAIN,
        dc.service_dn(),
        pw.display()
    );
    let cfg = write_config(t.path(), &data, &format!("{service}{ad}"));
    let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "init"]);
    assert!(o.status.success(), "{}", text(&o));
    Site { _t: t, data, cfg }
}

impl Site {
    /// `pullprint directory check LOGIN` with `password`: (success, output).
    fn check(&self, login: &str, password: &str) -> (bool, String) {
        let pw = self.data.with_extension("check.pw");
        std::fs::write(&pw, format!("{password}\n")).expect("password file");
        let o = pullprint(&[
            "--config",
            self.cfg.to_str().expect("utf8"),
            "directory",
            "check",
            login,
            "--password-file",
            pw.to_str().expect("utf8"),
        ]);
        (o.status.success(), text(&o))
    }
}

/// Wait until /healthz's problems do (or do not) mention the directory.
fn wait_health(d: &Daemon, directory_down: bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) = d.get("/healthz").expect("healthz");
        if body.contains("Active Directory is unreachable") == directory_down {
            assert_eq!(code, if directory_down { 503 } else { 200 }, "{body}");
            return body;
        }
        assert!(Instant::now() < deadline, "health did not follow the directory ({directory_down}): {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn print(d: &Daemon, user: &str, password: &str) -> (u16, Option<u16>) {
    d.print_as(user, password, b"%PDF-1.4\n%%EOF\n")
}

#[test]
fn ad_logins_say_why_and_read_groups_over_ldaps_and_starttls() {
    let dc = SambaDc::start();
    let s = site(&dc, "ldaps://localhost:636", &dc.ca);

    for login in ["alice", "alice@pullprint.test", "PULLPRINT\\alice"] {
        let (ok, out) = s.check(login, samba::ALICE_PASSWORD);
        assert!(ok, "{login}: {out}\n{}", dc.log());
        assert!(out.contains("Signed in as alice") && out.contains("PrintUsers"), "{login}: {out}");
        assert!(out.contains("alice@pullprint.test") && out.contains("Sales"), "{out}");
    }
    let (ok, out) = s.check("alice", "Wrong!Passw0rd");
    assert!(!ok && out.contains("wrong user name or password"), "{out}");
    let (ok, out) = s.check("nobody-here", "Wrong!Passw0rd");
    assert!(!ok && out.contains("wrong user name or password"), "an unknown user looks like a wrong password: {out}");
    let (ok, out) = s.check("alice", "");
    assert!(!ok && out.contains("wrong user name or password"), "an empty password is not an anonymous bind: {out}");
    let (ok, out) = s.check("bob", samba::BOB_PASSWORD);
    assert!(!ok && out.contains("disabled"), "{out}");
    let (ok, out) = s.check("carol", samba::CAROL_PASSWORD);
    assert!(!ok && out.contains("password has expired"), "{out}");
    let (ok, out) = s.check("alice*", samba::ALICE_PASSWORD);
    assert!(!ok && out.contains("wrong user name or password"), "a filter wildcard is escaped: {out}");
    let (ok, out) = s.check("alice@evil.example", samba::ALICE_PASSWORD);
    assert!(!ok, "another realm is not this directory: {out}");

    // Outside CN=Users, a non-ASCII name, and groups through nesting.
    let (ok, out) = s.check("zoe", samba::ZOE_PASSWORD);
    assert!(ok, "{out}");
    assert!(out.contains("Zoë Ångström") && out.contains("OU=Staff") && out.contains("Finanzen"), "{out}");
    assert!(out.contains("Finance") && out.contains("PrintUsers"), "nested group membership: {out}");

    // StartTLS on 389 with the same pinned CA.
    let st = site(&dc, "ldap://localhost:389", &dc.ca);
    let (ok, out) = st.check("PULLPRINT\\zoe", samba::ZOE_PASSWORD);
    assert!(ok, "StartTLS: {out}");

    // A DC whose certificate does not chain to the pinned CA is refused, over both.
    let other_ca = s.data.join("tls/ca.crt");
    for url in ["ldaps://localhost:636", "ldap://localhost:389"] {
        let untrusted = site(&dc, url, &other_ca);
        let (ok, out) = untrusted.check("alice", samba::ALICE_PASSWORD);
        assert!(!ok && out.contains("cannot be reached"), "{url} with an untrusted certificate: {out}");
    }

    // Printing with AD credentials: the job is the AD user's.
    let d = Daemon::start(&["--config", s.cfg.to_str().expect("utf8"), "serve"], &s.data, &[]).expect("serve");
    assert_eq!(print(&d, "PULLPRINT\\alice", samba::ALICE_PASSWORD), (200, Some(0)));
    assert_eq!(print(&d, "alice", "Wrong!Passw0rd").0, 401);
    assert_eq!(print(&d, "bob", samba::BOB_PASSWORD).0, 401);
    let (st_code, log) = d.terminate();
    assert!(st_code.success(), "{log}");
    assert!(log.contains("the account is disabled"), "the reason is logged: {log}");
    for secret in [samba::ALICE_PASSWORD, samba::BOB_PASSWORD, samba::SERVICE_PASSWORD] {
        assert!(!log.contains(secret), "a password reached the log");
    }
    assert_eq!(open_store(&s.data).jobs_of("alice").expect("list").len(), 1);
}

#[test]
fn a_directory_outage_fails_fast_and_recovers_without_a_restart() {
    let mut dc = SambaDc::start();
    let s = site(&dc, "ldaps://localhost:636", &dc.ca);
    let d = Daemon::start(&["--config", s.cfg.to_str().expect("utf8"), "serve"], &s.data, &[]).expect("serve");
    assert_eq!(print(&d, "alice", samba::ALICE_PASSWORD), (200, Some(0)));

    wait_health(&d, false);
    dc.stop();
    wait_health(&d, true);
    let report = text(&pullprint(&["--config", s.cfg.to_str().expect("utf8"), "status"]));
    assert!(report.contains("Active Directory is unreachable"), "pullprint status shows the outage: {report}");
    let started = Instant::now();
    let (ok, out) = s.check("zoe", samba::ZOE_PASSWORD);
    assert!(!ok && out.contains("cannot be reached"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(20), "a directory login must fail within its timeout: {out}");
    assert_eq!(print(&d, "zoe", samba::ZOE_PASSWORD).0, 401, "no directory, no new login");
    // Already verified credentials keep working from the cache.
    assert_eq!(print(&d, "alice", samba::ALICE_PASSWORD), (200, Some(0)));

    dc.restart();
    assert_eq!(print(&d, "zoe", samba::ZOE_PASSWORD), (200, Some(0)), "recovered without restarting Pullprint");
    wait_health(&d, false);
    let (code, log) = d.terminate();
    assert!(code.success(), "{log}");
}
