//! Active Directory against a real Samba AD DC on loopback: the three name
//! forms, refusals with their reasons, nested groups, non-ASCII names, a user
//! outside CN=Users, LDAPS with the DC's CA pinned and StartTLS, refusal of
//! a DC that is not trusted, and an outage with recovery: badge, PIN and
//! passcode logins of known users go on from what was remembered, while
//! directory logins fail fast, and all recovers with no restart.

use local_connector::ad::ActiveDirectory;
use local_connector::auth::credentials::Credentials;
use local_connector::auth::policy::PolicyFile;
use local_connector::auth::state::AuthState;
use local_connector::auth::{Auth, AuthSettings, Refusal, Source};
use local_connector::badge::ReaderProfile;
use local_connector::directory::LocalDirectory;
use pullprint_tests::samba::{self, SambaDc};
use pullprint_tests::*;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
        let (code, body) = d.health().expect("healthz");
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

    // A DC that does not answer is skipped for the next one in the list.
    let failover = site(&dc, "ldaps://127.0.0.1:1\", \"ldaps://localhost:636", &dc.ca);
    let (ok, out) = failover.check("alice", samba::ALICE_PASSWORD);
    assert!(ok, "failover to the second DC: {out}");

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

/// The authentication service itself, over this DC, in a folder of its own.
fn service(dc: &SambaDc, dir: &Path) -> Auth {
    let cfg = dc.ad_config(Duration::from_secs(3));
    let secret = [3u8; 32];
    Auth::new(
        Arc::new(LocalDirectory::open(&dir.join("users.json")).expect("users")),
        Some(ActiveDirectory::new(cfg).expect("AD")),
        Arc::new(Credentials::open(&dir.join("credentials.json"), secret).expect("credentials")),
        Arc::new(PolicyFile::open(&dir.join("policy.json")).expect("policy")),
        AuthState::open(&dir.join("auth")).expect("state"),
        // Ask the directory on every badge login while it answers, so the outage is what decides.
        AuthSettings { refresh_after: Duration::ZERO, offline_ttl: Duration::from_secs(3600), ..Default::default() },
        secret,
    )
}

const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

#[test]
fn a_directory_outage_fails_fast_and_recovers_without_a_restart() {
    let mut dc = SambaDc::start();
    let s = site(&dc, "ldaps://localhost:636", &dc.ca);
    let d = Daemon::start(&["--config", s.cfg.to_str().expect("utf8"), "serve"], &s.data, &[]).expect("serve");
    assert_eq!(print(&d, "alice", samba::ALICE_PASSWORD), (200, Some(0)));
    // Helpdesk binds a badge to an AD user (checked in AD), and zoe sets her own PIN.
    let cli = |args: &[&str]| {
        let mut a = vec!["--config", s.cfg.to_str().expect("utf8")];
        a.extend_from_slice(args);
        pullprint(&a)
    };
    let o = cli(&["badge", "bind", "PULLPRINT\\alice", "04:A1:B2:C3"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = cli(&["badge", "bind", "nobody-here", "04:A1:B2:C4"]);
    assert!(!o.status.success() && text(&o).contains("no user"), "{}", text(&o));
    let (code, _, body) = d.post_form(
        "/me/pin",
        &[("login", "zoe@pullprint.test"), ("password", samba::ZOE_PASSWORD), ("pin", "2580"), ("pin2", "2580")],
        &[],
    );
    assert_eq!(code, 200, "{body}");
    let creds = Credentials::open(&s.data.join("directory/credentials.json"), site_key_of(&s.data).card_secret())
        .expect("credentials");
    assert_eq!(creds.badge_owner(&creds.badge_tag("uid:04A1B2C3")).as_deref(), Some("alice"));
    assert_eq!(creds.verify_email_pin("zoe@pullprint.test", "2580").as_deref(), Some("zoe"));

    // The same service, driven directly as the panel will drive it.
    let own = tempfile::tempdir().expect("tempdir");
    let auth = service(&dc, own.path());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let hex = ReaderProfile::default();
    let passcode = rt.block_on(async {
        // An unknown badge is enrolled by a directory login.
        let Err(Refusal::Enrol(ticket)) = auth.badge("CAFE0001", &hex, None, HERE).await else {
            panic!("an unknown badge offers enrolment");
        };
        let alice = auth.enrol(&ticket, "PULLPRINT\\alice", samba::ALICE_PASSWORD, HERE).await.expect("enrol");
        assert_eq!(alice.login, "alice");
        let zoe = auth.password("zoe", samba::ZOE_PASSWORD, HERE).await.expect("zoe");
        auth.set_pin(&zoe, "2580").expect("PIN");
        let code = auth.issue_passcode(&alice).expect("passcode");
        let by_badge = auth.badge("cafe0001", &hex, None, HERE).await.expect("badge");
        assert!(!by_badge.offline && by_badge.groups.contains(&"PrintUsers".to_owned()), "{by_badge:?}");
        let by_pin = auth.email_pin("ZOE@pullprint.test", "2580", HERE).await.expect("PIN");
        assert_eq!(by_pin.display_name, "Zoë Ångström");
        assert!(by_pin.groups.contains(&"Finance".to_owned()) && by_pin.groups.contains(&"PrintUsers".to_owned()));
        // The console's search finds AD users by the start of a name or
        // address; the person page reads one with their groups, a disabled
        // one too (the helpdesk may still clear their badges).
        let (found, problem) = auth.search_people("zo", 10).await;
        assert_eq!(problem, None);
        let zoe = found.iter().find(|p| p.login == "zoe").expect("zoe is found");
        assert_eq!((zoe.display_name.as_str(), zoe.source), ("Zoë Ångström", Source::ActiveDirectory));
        assert!(auth.search_people("Ångstr", 10).await.0.iter().any(|p| p.login == "zoe"), "by surname");
        assert!(auth.search_people("nobody-by-this-name", 10).await.0.is_empty());
        assert!(auth.search_people("*)(objectClass=*", 10).await.0.is_empty(), "the term is escaped");
        let person = auth.person("zoe").await.expect("asked").expect("zoe");
        assert!(person.groups.contains(&"Finance".to_owned()), "{person:?}");
        assert_eq!(auth.person("nobody-by-this-name").await, Ok(None));
        // A badge of a disabled account is refused, with the reason.
        auth.credentials().bind_badge("bob", "uid:0B0B0B0B", "admin").expect("bind");
        assert_eq!(
            auth.badge("0B0B0B0B", &hex, None, HERE).await,
            Err(Refusal::Account("the account is disabled".into()))
        );
        code.reveal().to_owned()
    });

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
    rt.block_on(async {
        // Badge, PIN and passcode logins of known users go on, marked offline.
        let by_badge = auth.badge("CAFE0001", &hex, None, HERE).await.expect("badge while the DC is down");
        assert!(by_badge.offline && by_badge.login == "alice", "{by_badge:?}");
        assert!(by_badge.groups.contains(&"PrintUsers".to_owned()), "groups are remembered too");
        let by_pin = auth.email_pin("zoe@pullprint.test", "2580", HERE).await.expect("PIN while the DC is down");
        assert!(by_pin.offline && by_pin.groups.contains(&"Finance".to_owned()), "{by_pin:?}");
        let by_code = auth.passcode(&passcode, HERE).await.expect("passcode while the DC is down");
        assert_eq!(by_code.login, "alice");
        // A wrong PIN is still wrong, and a directory login fails at once with a clear reason.
        assert_eq!(auth.email_pin("zoe@pullprint.test", "2581", HERE).await, Err(Refusal::NotRecognised));
        // (zoe signed in as "zoe" minutes ago, which is remembered; this form is not.)
        let started = Instant::now();
        assert_eq!(
            auth.password("zoe@pullprint.test", samba::ZOE_PASSWORD, HERE).await,
            Err(Refusal::DirectoryUnavailable)
        );
        assert!(started.elapsed() < Duration::from_secs(3), "within the directory timeout: {:?}", started.elapsed());
    });

    dc.restart();
    assert_eq!(print(&d, "zoe", samba::ZOE_PASSWORD), (200, Some(0)), "recovered without restarting Pullprint");
    rt.block_on(async {
        let zoe = auth.password("PULLPRINT\\zoe", samba::ZOE_PASSWORD, HERE).await.expect("the pool reconnects");
        assert!(!zoe.offline);
        let by_badge = auth.badge("CAFE0001", &hex, None, HERE).await.expect("badge");
        assert!(!by_badge.offline, "the directory answers again: {by_badge:?}");
    });
    wait_health(&d, false);
    let (code, log) = d.terminate();
    assert!(code.success(), "{log}");
}

/// Finding 9 of the December 2026 review: an unknown user cost one search,
/// a wrong password a search and two binds, so time told which accounts
/// exist. Now both send the same operations; their medians are compared
/// only loosely here (the 2 ms figure is measured by `--bench brute`).
#[test]
fn an_unknown_user_costs_the_directory_what_a_wrong_password_costs() {
    let dc = SambaDc::start();
    let ad = ActiveDirectory::new(dc.ad_config(Duration::from_secs(5))).expect("AD");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let ops = |login: &str, password: &str| {
        let before = ad.operations();
        let r = rt.block_on(ad.authenticate(login, password));
        (r, ad.operations() - before)
    };
    // Connect once, so that what follows is the login alone.
    assert!(ops("alice", samba::ALICE_PASSWORD).0.is_ok());
    let (unknown, unknown_ops) = ops("nobody-here", "Wrong!Passw0rd");
    let (wrong, wrong_ops) = ops("alice", "Wrong!Passw0rd");
    assert_eq!(unknown, Err(local_connector::ad::AdError::WrongCredentials));
    assert_eq!(wrong, Err(local_connector::ad::AdError::WrongCredentials));
    assert_eq!(unknown_ops, 3, "search, bind, bind back");
    assert_eq!(unknown_ops, wrong_ops, "an unknown user and a wrong password send the same operations");
    let (right, right_ops) = ops("alice", samba::ALICE_PASSWORD);
    assert!(right.is_ok() && right_ops == 4, "a right password also reads the groups: {right_ops}");

    let mut t = pullprint_tests::timing::Paired::run(
        30,
        |i| assert!(rt.block_on(ad.authenticate(&format!("nobody-{i}"), "Wrong!Passw0rd")).is_err()),
        |_| assert!(rt.block_on(ad.authenticate("alice", "Wrong!Passw0rd")).is_err()),
    );
    // The DC itself works longer on a real account's password (about 2 ms
    // here), too large a share of these short logins for a ratio: the
    // operation counts above are the check, and this only a sanity bound.
    let report = t.describe("unknown user", "wrong password");
    println!("{report}");
    assert!(t.median_gap() < Duration::from_millis(10), "{report}");
    // The directory's own lockout did not count these against alice.
    assert!(rt.block_on(ad.authenticate("alice", samba::ALICE_PASSWORD)).is_ok(), "{}", dc.log());
}
