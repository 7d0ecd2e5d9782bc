//! A site for end-to-end tests: a data folder initialised by `pullprint init`,
//! its configuration, and the commands admins use on it.

use crate::{
    Daemon, https_request_as, is_root, password_from, pullprint, text, world_traversable_tempdir, write_config,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A site initialised in a fresh folder, with its configuration file.
#[derive(Debug)]
pub struct Site {
    _t: tempfile::TempDir,
    /// Its data folder.
    pub data: PathBuf,
    /// Its configuration file.
    pub cfg: PathBuf,
    /// Its recovery password, as `pullprint init` showed it.
    pub recovery: String,
}

impl Site {
    /// Initialise a site whose configuration has `extra` in it.
    pub fn new(extra: &str) -> Site {
        let t = world_traversable_tempdir();
        let data = t.path().join("data");
        let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
        let cfg = write_config(t.path(), &data, &format!("{extra}{service}"));
        let o = pullprint(&["--config", cfg.to_str().expect("utf8"), "init"]);
        assert!(o.status.success(), "{}", text(&o));
        Site { _t: t, data, cfg, recovery: password_from(&text(&o)) }
    }

    /// A second appliance of this site, as an admin sets one up: this
    /// one's backup restored into a new folder and unlocked with its
    /// recovery password (`init --recover`), configured with `extra`.
    pub fn second_appliance(&self, extra: &str) -> Site {
        let t = world_traversable_tempdir();
        let archive = t.path().join("site.backup");
        let (from, archive_s) = (self.data.to_str().expect("utf8"), archive.to_str().expect("utf8"));
        let o = pullprint(&["backup", "--data-dir", from, "--output", archive_s]);
        assert!(o.status.success(), "{}", text(&o));
        let data = t.path().join("data");
        let o = pullprint(&["restore", archive_s, "--data-dir", data.to_str().expect("utf8")]);
        assert!(o.status.success(), "{}", text(&o));
        let service = if is_root() { "[service]\nuser = \"nobody\"\n" } else { "" };
        let cfg = write_config(t.path(), &data, &format!("{extra}{service}"));
        let pw = t.path().join("recovery");
        std::fs::write(&pw, format!("{}\n", self.recovery)).expect("password file");
        let o = pullprint(&[
            "--config",
            cfg.to_str().expect("utf8"),
            "init",
            "--recover",
            "--password-file",
            pw.to_str().expect("utf8"),
        ]);
        assert!(o.status.success(), "{}", text(&o));
        Site { _t: t, data, cfg, recovery: self.recovery.clone() }
    }

    /// Run a `pullprint` command on it, whatever its outcome.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        let mut a = vec!["--config", self.cfg.to_str().expect("utf8")];
        a.extend_from_slice(args);
        pullprint(&a)
    }

    /// Run a `pullprint` command on it; its output, which must say success.
    pub fn cli(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        text(&o)
    }

    /// A file holding `pw`, for `--password-file`.
    pub fn password_file(&self, pw: &str) -> PathBuf {
        let p = self.data.with_extension("pw");
        std::fs::write(&p, format!("{pw}\n")).expect("password file");
        p
    }

    /// A local user with a badge, e-mail and password.
    pub fn user(&self, name: &str, badge: &str) {
        let pw = self.password_file(&format!("{name}-Passw0rd-1"));
        self.cli(&[
            "user",
            "add",
            name,
            "--display-name",
            &format!("{name} Example"),
            "--email",
            &format!("{name}@example.test"),
            "--password-file",
            pw.to_str().expect("utf8"),
        ]);
        self.cli(&["badge", "bind", name, badge]);
    }

    /// A local user without a badge in `group` (a console role's, say),
    /// with the password `{name}-Passw0rd-1`.
    pub fn staff(&self, name: &str, group: &str) {
        let pw = self.password_file(&format!("{name}-Passw0rd-1"));
        let pw = pw.to_str().expect("utf8");
        let display = format!("{name} Example");
        let email = format!("{name}@example.test");
        self.cli(&[
            "user",
            "add",
            name,
            "--display-name",
            &display,
            "--email",
            &email,
            "--group",
            group,
            "--password-file",
            pw,
        ]);
    }

    /// A new print token for `user` (what a laptop or phone prints with).
    pub fn token(&self, user: &str) -> String {
        let out = self.cli(&["token", "create", user, "--label", "tests"]);
        out.lines().map(str::trim).find(|l| l.starts_with("ppt-")).expect("token in output").to_owned()
    }

    /// Register a printer; its credential.
    pub fn printer(&self, name: &str, vendor: &str, address: &str) -> String {
        let out = self.cli(&["device", "add", name, "--vendor", vendor, "--address", address]);
        out.split_whitespace().find(|w| w.starts_with("ppd-")).expect("credential shown").to_owned()
    }

    /// Start `pullprint serve` on it.
    pub fn serve(&self) -> Daemon {
        Daemon::start(&["--config", self.cfg.to_str().expect("utf8"), "serve"], &self.data, &[]).expect("serve")
    }
}

/// One panel API call: (status, JSON).
pub fn api(
    d: &Daemon,
    method: &str,
    path: &str,
    device: &str,
    session: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    api_as(d, None, method, path, device, session, body)
}

/// [`api`] over a connection that presents the client certificate and key `client`.
pub fn api_as(
    d: &Daemon,
    client: Option<(&Path, &Path)>,
    method: &str,
    path: &str,
    device: &str,
    session: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let auth = format!("Bearer {device}");
    let mut h = vec![("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    if let Some(s) = session {
        h.push(("X-Pullprint-Session", s));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (code, _, resp) =
        https_request_as(d.panel, &d.data.join("tls/ca.crt"), client, method, path, &h, body.as_bytes())
            .expect("panel request");
    (code, serde_json::from_slice(&resp).unwrap_or(Value::Null))
}

/// Sign in at printer `device` with `login` (a panel sign-in body).
pub fn sign_in(d: &Daemon, device: &str, login: Value) -> (u16, Value) {
    api(d, "POST", "/panel/v1/sessions", device, None, Some(login))
}

/// Sign in at printer `device` with badge `card`.
pub fn badge_login(d: &Daemon, device: &str, card: &str) -> (u16, Value) {
    sign_in(d, device, json!({"method": "badge", "card": card}))
}
