//! Logging: to journald when started by systemd with the journal connected
//! (JOURNAL_STREAM), otherwise to stderr. Secrets are never passed to the
//! logger: keys, passwords, PINs and badge numbers have redacting Debug
//! implementations or are not logged at all.

use std::io::Write;

struct Stderr;

impl log::Log for Stderr {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &log::Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
        let _ = writeln!(std::io::stderr().lock(), "{now} {:<5} {}: {}", r.level(), r.target(), r.args());
    }

    fn flush(&self) {}
}

/// Install the logger once, for the whole process.
pub fn init(level: log::LevelFilter) {
    let installed = if systemd_journal_logger::connected_to_journal() {
        systemd_journal_logger::JournalLog::new()
            .map(|j| j.with_syslog_identifier("pullprint".into()))
            .and_then(|j| j.install().map_err(std::io::Error::other))
            .is_ok()
    } else {
        false
    };
    if !installed {
        let _ = log::set_logger(&Stderr);
    }
    log::set_max_level(level);
}
