//! The settings the console changes while the appliance runs
//! ([`config::live::KEYS`]): kept in `directory/settings.toml`, laid over
//! the configuration file at every start, checked with the file's own
//! parser, and applied to the running services at once.

use crate::config::{Config, live};
use crate::datadir::DataDir;
use local_connector::auth::Auth;
use local_connector::store::JobStore;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// `directory/settings.toml` in the data folder.
pub fn path(dd: &DataDir) -> PathBuf {
    dd.root.join("directory").join("settings.toml")
}

/// The console's settings as a table (empty when none were made).
fn read(path: &Path) -> Result<toml::Table, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.parse().map_err(|e: toml::de::Error| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(toml::Table::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// `cfg` with the console's settings laid over it. Settings that no longer
/// pass (the file changed under them, say) are logged and left out: the
/// appliance starts on its configuration file rather than not at all.
pub fn at_start(cfg: &Config, dd: &DataDir) -> (Config, toml::Table) {
    let p = path(dd);
    let table = match read(&p) {
        Ok(t) => t,
        Err(e) => {
            log::error!("console settings ignored: {e}");
            return (cfg.clone(), toml::Table::new());
        }
    };
    if table.is_empty() {
        return (cfg.clone(), table);
    }
    match cfg.with_console(&table) {
        Ok(c) => {
            log::info!("console settings in force from {}", p.display());
            (c, table)
        }
        Err(e) => {
            log::error!("console settings in {} ignored, the configuration file's apply: {e}", p.display());
            (cfg.clone(), toml::Table::new())
        }
    }
}

/// The live settings, as the console sees and changes them.
#[derive(Debug)]
pub struct Live {
    path: PathBuf,
    /// The configuration in force, and the console's table over it.
    state: Mutex<(Config, toml::Table)>,
    store: JobStore,
    auth: Arc<Auth>,
    /// `store.history_retention` in ms, read by the sweeper.
    history_ms: Arc<AtomicU64>,
}

impl Live {
    /// Over `cfg` (with `console` already laid over it, by [`at_start`]).
    pub fn new(dd: &DataDir, (cfg, console): (Config, toml::Table), store: JobStore, auth: Arc<Auth>) -> Live {
        let history_ms = Arc::new(AtomicU64::new(local_connector::clock::duration_ms(cfg.history_retention)));
        Live { path: path(dd), state: Mutex::new((cfg, console)), store, auth, history_ms }
    }

    /// `store.history_retention` in force, for the sweeper.
    pub fn history_ms(&self) -> Arc<AtomicU64> {
        self.history_ms.clone()
    }

    fn apply(&self, cfg: &Config) {
        if self.store.retention() != cfg.retention {
            match self.store.set_retention(cfg.retention) {
                Ok(n) => {
                    log::info!("retention now {}; {n} parked job(s) expire sooner", live::duration_text(cfg.retention))
                }
                Err(e) => log::error!("retention: bringing expiries forward: {e}"),
            }
        }
        self.history_ms.store(local_connector::clock::duration_ms(cfg.history_retention), Ordering::Relaxed);
        let mut a = self.auth.settings();
        a.self_enrolment = cfg.auth.self_enrolment;
        a.badge_needs_pin = cfg.auth.badge_needs_pin;
        a.lockout.free = cfg.auth.lockout.free;
        a.lockout.lock_after = cfg.auth.lockout.lock_after;
        a.lockout.lock_for = cfg.auth.lockout.lock_for;
        self.auth.set_settings(a);
    }
}

impl web_admin::LiveSettings for Live {
    fn current(&self) -> Vec<web_admin::SettingView> {
        let (cfg, console) = &*self.state.lock().unwrap_or_else(|p| p.into_inner());
        live::KEYS
            .iter()
            .map(|k| {
                let (section, name) = k.key.split_once('.').unwrap_or(("", k.key));
                web_admin::SettingView {
                    key: k.key.into(),
                    label: k.label.into(),
                    help: k.help.into(),
                    kind: match k.kind {
                        live::Kind::Duration => "duration",
                        live::Kind::Count => "count",
                        live::Kind::Switch => "switch",
                    }
                    .into(),
                    value: live::value(cfg, k.key),
                    from_console: console.get(section).and_then(|s| s.get(name)).is_some(),
                }
            })
            .collect()
    }

    fn change(&self, changes: &[(String, String)]) -> Result<web_admin::KeyedWords, web_admin::KeyedWords> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut table = state.1.clone();
        let mut problems = Vec::new();
        for (key, typed) in changes {
            match live::find(key)
                .ok_or_else(|| "cannot be set from the console".to_owned())
                .and_then(|k| live::to_toml(k, typed))
            {
                Ok(v) => live::set(&mut table, key, v),
                Err(why) => problems.push((key.clone(), why)),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // The configuration as read at start, with the new table over it.
        let cfg = state
            .0
            .with_console(&table)
            .map_err(|e| e.0.into_iter().map(|e| (e.key, e.message)).collect::<Vec<_>>())?;
        let text = toml::to_string(&table).map_err(|e| vec![(String::new(), e.to_string())])?;
        local_connector::durable::write_atomic(&self.path, text.as_bytes(), 0o600).map_err(|e| {
            log::error!("console settings: writing {}: {e}", self.path.display());
            vec![(String::new(), "the appliance could not save the settings; see its log".to_owned())]
        })?;
        self.apply(&cfg);
        let changed = changes.iter().map(|(k, _)| (k.clone(), live::value(&cfg, k))).collect();
        *state = (cfg, table);
        Ok(changed)
    }
}
