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

/// Messages of dependencies that are routine here, not warnings: many
/// printers send an IP address as TLS SNI, and rustls warns at each such
/// handshake (a TLS scan wrote thousands of lines). They are logged at
/// debug level instead.
const ROUTINE: &[(&str, &str)] = &[("rustls", "IP address presented as hostname")];

/// A logger that passes every record to `inner`, with [`ROUTINE`] warnings
/// demoted to debug.
struct Demote<L>(L);

/// The latest log lines, for the console's system page (the journal has
/// them all). Only what is logged is kept, and nothing secret is logged.
static RECENT: std::sync::Mutex<std::collections::VecDeque<String>> =
    std::sync::Mutex::new(std::collections::VecDeque::new());
/// Lines [`RECENT`] keeps.
const RECENT_LINES: usize = 200;

/// The latest log lines, oldest first.
pub fn recent() -> Vec<String> {
    RECENT.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
}

fn remember(r: &log::Record<'_>) {
    if r.level() > log::Level::Info {
        return;
    }
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let line = format!("{now} {:<5} {}: {}", r.level(), r.target(), r.args());
    let mut q = RECENT.lock().unwrap_or_else(|p| p.into_inner());
    if q.len() == RECENT_LINES {
        q.pop_front();
    }
    q.push_back(line);
}

impl<L: log::Log> log::Log for Demote<L> {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        self.0.enabled(m)
    }

    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            remember(r);
        }
        let routine = r.level() == log::Level::Warn
            && ROUTINE
                .iter()
                .any(|(target, text)| r.target().starts_with(target) && r.args().to_string().contains(text));
        if !routine {
            return self.0.log(r);
        }
        if log::max_level() < log::LevelFilter::Debug {
            return;
        }
        self.0.log(
            &log::Record::builder()
                .args(*r.args())
                .level(log::Level::Debug)
                .target(r.target())
                .module_path(r.module_path())
                .file(r.file())
                .line(r.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// Install the logger once, for the whole process.
pub fn init(level: log::LevelFilter) {
    let installed = systemd_journal_logger::connected_to_journal()
        && systemd_journal_logger::JournalLog::new()
            .map(|j| j.with_syslog_identifier("pullprint".into()))
            .is_ok_and(|j| log::set_boxed_logger(Box::new(Demote(j))).is_ok());
    if !installed {
        let _ = log::set_boxed_logger(Box::new(Demote(Stderr)));
    }
    log::set_max_level(level);
}
