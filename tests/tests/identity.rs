//! Who may print, and how much: local users and print tokens managed from
//! the command line while the daemon runs, and the queue's size and
//! per-user limits, on a production `serve` (not the demo).

use pullprint_tests::ipp::{Request, basic, status, tag};
use pullprint_tests::*;
use std::path::{Path, PathBuf};

struct Site {
    _t: tempfile::TempDir,
    data: PathBuf,
    cfg: PathBuf,
}

impl Site {
    /// A fresh site run as `serve`: as root, it drops to `nobody`. `extra`
    /// continues the configuration's `[store]` table.
    fn new(extra: &str) -> Site {
        let t = world_traversable_tempdir();
        let data = t.path().join("data");
        let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
        let cfg = write_config(t.path(), &data, &format!("{extra}{service}"));
        let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "init"]);
        assert!(o.status.success(), "{}", text(&o));
        Site { _t: t, data, cfg }
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut a = vec!["--config", self.cfg.to_str().expect("utf8")];
        a.extend_from_slice(args);
        pullprint(&a)
    }

    fn serve(&self) -> Daemon {
        Daemon::start(&["--config", self.cfg.to_str().expect("utf8"), "serve"], &self.data, &[]).expect("serve")
    }

    fn password_file(&self, pw: &str) -> PathBuf {
        let p = self.data.with_extension("pw");
        std::fs::write(&p, format!("{pw}\n")).expect("password file");
        p
    }
}

fn print(d: &Daemon, user: &str, password: &str, doc: &[u8]) -> (u16, Option<u16>) {
    d.print_as(user, password, doc)
}

fn job_files(data: &Path) -> Vec<String> {
    std::fs::read_dir(data.join("store/jobs"))
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect())
        .unwrap_or_default()
}

/// A token printed by the CLI on a line of its own: `ppt-XXXXX-...`.
fn token_in(out: &str) -> String {
    out.lines().map(str::trim).find(|l| l.starts_with("ppt-")).expect("token in output").to_owned()
}

#[test]
fn local_users_and_print_tokens_from_the_command_line_take_effect_at_once() {
    let site = Site::new("");
    let pw = site.password_file("carol-password-1");
    let o = site.cli(&[
        "user",
        "add",
        "carol",
        "--display-name",
        "Carol Example",
        "--email",
        "carol@example.test",
        "--group",
        "PrintUsers",
        "--password-file",
        pw.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let short = site.password_file("short");
    let o = site.cli(&["user", "add", "dave", "--password-file", short.to_str().expect("utf8")]);
    assert!(!o.status.success() && text(&o).contains("too short"), "{}", text(&o));
    let list = text(&site.cli(&["user", "list"]));
    assert!(list.contains("carol") && list.contains("Carol Example") && list.contains("PrintUsers"), "{list}");

    let d = site.serve();
    let pdf = b"%PDF-1.4\n%%EOF\n";
    assert_eq!(print(&d, "carol", "carol-password-1", pdf), (200, Some(0)));
    assert_eq!(print(&d, "carol", "wrong-password", pdf).0, 401);

    // Carol serves herself over HTTPS with her directory password.
    let api = |method: &str, path: &str, user: &str, pw: &str, body: &[u8]| {
        let auth = basic(user, pw);
        https_request(
            d.web,
            &d.data.join("tls/ca.crt"),
            method,
            path,
            &[("Authorization", &auth), ("Content-Type", "application/json")],
            body,
        )
        .expect("API request")
    };
    let (code, _, body) =
        api("POST", "/api/v1/me/tokens", "carol", "carol-password-1", br#"{"label":"Carol's phone"}"#);
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
    let made: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let phone = made["token"].as_str().expect("token").to_owned();
    let phone_id = made["id"].as_str().expect("id").to_owned();
    assert_eq!(made["label"], "Carol's phone");
    assert_eq!(print(&d, "carol", &phone, pdf), (200, Some(0)));
    assert_eq!(api("GET", "/api/v1/me/tokens", "carol", &phone, b"").0, 401, "a token cannot manage tokens");
    assert_eq!(api("GET", "/api/v1/me/tokens", "carol", "wrong-password", b"").0, 401);
    let (code, _, body) = api("GET", "/api/v1/me/tokens", "carol", "carol-password-1", b"");
    assert_eq!(code, 200);
    let listed = String::from_utf8_lossy(&body).into_owned();
    assert!(listed.contains(&phone_id) && !listed.contains(&phone[4..]), "{listed}");
    let path = format!("/api/v1/me/tokens/{phone_id}");
    assert_eq!(api("DELETE", &path, "alice", "pullprint-demo", b"").0, 401, "alice is not in this directory");
    assert_eq!(api("DELETE", &path, "carol", "carol-password-1", b"").0, 204);
    assert_eq!(print(&d, "carol", &phone, pdf).0, 401, "revoked by its owner, refused at once");

    // A token made while the daemon runs works at once, for carol only.
    let o = site.cli(&["token", "create", "carol", "--label", "Carol's laptop"]);
    assert!(o.status.success(), "{}", text(&o));
    let token = token_in(&text(&o));
    assert_eq!(print(&d, "carol", &token, pdf), (200, Some(0)));
    assert_eq!(print(&d, "alice", &token, pdf).0, 401, "a token is bound to its user");
    let stored = std::fs::read_to_string(site.data.join("directory/tokens.json")).expect("tokens file");
    assert!(!stored.contains(&token[4..]), "the token is not stored");
    let list = text(&site.cli(&["token", "list", "carol"]));
    assert!(list.contains("Carol's laptop") && !list.contains(&token[4..]), "{list}");
    let id = list.lines().nth(1).and_then(|l| l.split_whitespace().next()).expect("token id").to_owned();

    // Revoked: refused on the next request.
    let o = site.cli(&["token", "revoke", &id]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(print(&d, "carol", &token, pdf).0, 401, "a revoked token is refused at once");

    // A new password, then removal, take effect at once too, despite the
    // daemon's cache of verified passwords.
    let pw2 = site.password_file("carol-password-2");
    let o = site.cli(&["user", "passwd", "carol", "--password-file", pw2.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(print(&d, "carol", "carol-password-1", pdf).0, 401, "the old password is refused");
    assert_eq!(print(&d, "carol", "carol-password-2", pdf), (200, Some(0)));
    let o = site.cli(&["user", "remove", "carol"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(print(&d, "carol", "carol-password-2", pdf).0, 401, "a removed user is refused");

    let (s, log) = d.terminate();
    assert!(s.success(), "{log}");
    for secret in ["carol-password", &token[4..], &phone[4..]] {
        assert!(!log.contains(secret), "a secret reached the log: {log}");
    }
}

#[test]
fn job_size_and_per_user_limits_answer_with_clear_statuses() {
    let site = Site::new("max_job_bytes = 1048576\n[ipp]\nmax_jobs_per_user = 2\n");
    let pw = site.password_file("erin-password-1");
    let o = site.cli(&["user", "add", "erin", "--password-file", pw.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    let d = site.serve();

    // Over the size limit: request-entity-too-large, and nothing on disk.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(3 << 20, b' ');
    assert_eq!(
        print(&d, "erin", "erin-password-1", &big),
        (200, Some(0x0408)),
        "client-error-request-entity-too-large"
    );
    assert!(job_files(&site.data).is_empty(), "left behind: {:?}", job_files(&site.data));

    // Two parked jobs are the limit here; the third is refused, clearly.
    let pdf = b"%PDF-1.4\n%%EOF\n";
    assert_eq!(print(&d, "erin", "erin-password-1", pdf), (200, Some(0)));
    assert_eq!(print(&d, "erin", "erin-password-1", pdf), (200, Some(0)));
    assert_eq!(print(&d, "erin", "erin-password-1", pdf), (200, Some(0x0404)), "client-error-not-possible");
    let (s, log) = d.terminate();
    assert!(s.success(), "{log}");
    assert_eq!(job_files(&site.data).iter().filter(|f| f.ends_with(".job")).count(), 2);
}

#[test]
fn dangerous_settings_are_off_by_default_and_flagged_when_on() {
    // Off by default: nothing flagged, no plain listener, no trust.
    let site = Site::new("");
    let d = site.serve();
    let (_, body) = d.get("/healthz").expect("health");
    let h: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(h["dangerous_settings"], serde_json::json!([]));
    let (code, _) = print(&d, "nobody-in-particular", "", b"%PDF-1.4\n");
    assert_eq!(code, 401, "no bare requesting-user-name without the dangerous setting");
    drop(d);

    let site =
        Site::new("[dangerous]\nplain_ipp_listen = [\"127.0.0.1:0\"]\ntrust_user_name_from = [\"127.0.0.1/32\"]\n");
    let d = site.serve();
    let (_, body) = d.get("/healthz").expect("health");
    let h: serde_json::Value = serde_json::from_str(&body).expect("json");
    let flagged = h["dangerous_settings"].as_array().expect("list").clone();
    assert_eq!(flagged.len(), 2, "{h}");
    let report = text(&site.cli(&["status"]));
    assert!(
        report.contains("dangerous.plain_ipp_listen") && report.contains("dangerous.trust_user_name_from"),
        "{report}"
    );
    let ep: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.data.join("run/endpoints.json")).expect("endpoints")).expect("json");
    let plain: std::net::SocketAddr = ep["plain_ipp"][0].as_str().expect("plain listener").parse().expect("addr");

    // From a trusted network, a bare requesting-user-name owns the job.
    let mut r = Request::new(0x0002, 1, &format!("ipp://{plain}/ipp/print"));
    r.attr(tag::NAME, "requesting-user-name", b"Frank");
    r.attr(tag::MIME, "document-format", b"application/pdf");
    let mut conn = client::Conn::plain(plain).expect("connect");
    let resp = conn.post("/ipp/print", &[("Content-Type", "application/ipp")], &r.finish(b"%PDF-1.4\n")).expect("post");
    assert_eq!((resp.status, status(&resp.body)), (200, Some(0)));
    // A password is never taken in clear text, not even a right one.
    let auth = basic("frank", "anything");
    let resp = conn
        .post("/ipp/print", &[("Content-Type", "application/ipp"), ("Authorization", &auth)], &r.finish(b"%PDF-1.4\n"))
        .expect("post");
    assert_eq!(resp.status, 403, "{}", String::from_utf8_lossy(&resp.body));
    let (s, log) = d.terminate();
    assert!(s.success(), "{log}");
    assert!(log.contains("DANGEROUS SETTING ON: dangerous.plain_ipp_listen"), "{log}");
    let store = open_store(&site.data);
    assert_eq!(store.jobs_of("frank").expect("list").len(), 1, "the job is frank's");
}
