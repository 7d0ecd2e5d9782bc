//! The settings the console may change while the appliance runs: which
//! keys, how each is shown and typed, and how a typed value becomes the
//! configuration text that [`Config::with_console`] checks exactly as it
//! checks the file.

use super::Config;

/// How a live setting is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A duration, as the file writes it (`24h`, `15min`, `400days`).
    Duration,
    /// A whole number.
    Count,
    /// On or off.
    Switch,
}

/// A setting the console may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveKey {
    /// Its dotted key in the configuration file.
    pub key: &'static str,
    /// Its name for people.
    pub label: &'static str,
    /// What it does.
    pub help: &'static str,
    /// How it is typed.
    pub kind: Kind,
}

/// Every setting the console may change, in the order it shows them.
pub const KEYS: [LiveKey; 7] = [
    LiveKey {
        key: "store.retention",
        label: "Parked jobs expire after",
        help: "A job nobody prints is shredded this long after it was submitted. A shorter time applies at once to jobs already parked; a longer one to jobs parked from now on.",
        kind: Kind::Duration,
    },
    LiveKey {
        key: "store.history_retention",
        label: "Usage records are kept for",
        help: "What was submitted, printed and deleted, for reports; older records are forgotten. At least 1 day.",
        kind: Kind::Duration,
    },
    LiveKey {
        key: "auth.badge_needs_pin",
        label: "A badge needs a PIN too",
        help: "Two factors at the printer: the badge, then the holder's PIN.",
        kind: Kind::Switch,
    },
    LiveKey {
        key: "auth.self_enrolment",
        label: "Unknown badges may be registered at the printer",
        help: "Someone whose badge is not yet bound binds it by signing in with their directory password at the panel.",
        kind: Kind::Switch,
    },
    LiveKey {
        key: "auth.backoff_after",
        label: "Failed sign-ins before waits begin",
        help: "After this many failures in a row, each further attempt waits longer (up to 30 s).",
        kind: Kind::Count,
    },
    LiveKey {
        key: "auth.lockout_after",
        label: "Failed sign-ins that lock",
        help: "After this many failures in a row at one place, that credential is locked there. More than the failures before waits.",
        kind: Kind::Count,
    },
    LiveKey {
        key: "auth.lockout_duration",
        label: "A lock lasts",
        help: "The helpdesk can lift a lock sooner on the person's page.",
        kind: Kind::Duration,
    },
];

/// What first-boot setup sets beside the live settings: the names in the
/// appliance's certificate (the configuration file's are kept too).
pub const SETUP_KEYS: [&str; 2] = ["site.hostnames", "site.addresses"];

/// The live setting `key`, if it is one.
pub fn find(key: &str) -> Option<&'static LiveKey> {
    KEYS.iter().find(|k| k.key == key)
}

/// The value of `key` in force in `c`, as the console shows it.
pub fn value(c: &Config, key: &str) -> String {
    let d = duration_text;
    match key {
        "store.retention" => d(c.retention),
        "store.history_retention" => d(c.history_retention),
        "auth.badge_needs_pin" => c.auth.badge_needs_pin.to_string(),
        "auth.self_enrolment" => c.auth.self_enrolment.to_string(),
        "auth.backoff_after" => c.auth.lockout.free.to_string(),
        "auth.lockout_after" => c.auth.lockout.lock_after.to_string(),
        "auth.lockout_duration" => d(c.auth.lockout.lock_for),
        _ => String::new(),
    }
}

/// A duration as the file would write it, in its largest whole unit
/// (`400days`, `36h`, `15min`, `90s`), which the file's parser reads back.
pub fn duration_text(d: std::time::Duration) -> String {
    match d.as_secs() {
        86_400 => "1day".to_owned(),
        s if s > 0 && s % 86_400 == 0 => format!("{}days", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}min", s / 60),
        s => format!("{s}s"),
    }
}

/// A typed value as configuration text, or why it cannot be: durations stay
/// text (the file's parser judges them), counts must be whole numbers,
/// switches `true` or `false`.
pub fn to_toml(k: &LiveKey, typed: &str) -> Result<toml::Value, String> {
    let t = typed.trim();
    match k.kind {
        Kind::Duration => Ok(toml::Value::String(t.to_owned())),
        Kind::Count => t.parse::<i64>().map(toml::Value::Integer).map_err(|_| "must be a whole number".to_owned()),
        Kind::Switch => match t {
            "true" | "on" => Ok(toml::Value::Boolean(true)),
            "false" | "off" | "" => Ok(toml::Value::Boolean(false)),
            _ => Err("must be on or off".to_owned()),
        },
    }
}

/// Set `key` (dotted) to `v` in `table`.
pub fn set(table: &mut toml::Table, key: &str, v: toml::Value) {
    let (section, name) = key.split_once('.').unwrap_or(("", key));
    let entry = table.entry(section.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = entry {
        t.insert(name.to_owned(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_changes_are_checked_as_the_file_is_and_only_live_keys_move() {
        let c = Config::from_toml_str("[store]\nretention = \"24h\"\n").expect("config");
        let mut t = toml::Table::new();
        set(&mut t, "store.retention", to_toml(&KEYS[0], "2h").expect("text"));
        set(&mut t, "auth.lockout_after", to_toml(find("auth.lockout_after").expect("key"), "12").expect("n"));
        let live = c.with_console(&t).expect("valid");
        assert_eq!(value(&live, "store.retention"), "2h");
        assert_eq!(value(&c, "store.history_retention"), "400days");
        for d in [90, 900, 7_200, 86_400 * 3] {
            let text = duration_text(std::time::Duration::from_secs(d));
            assert_eq!(humantime::parse_duration(&text).map(|p| p.as_secs()), Ok(d), "{text}");
        }
        assert_eq!(live.auth.lockout.lock_after, 12);
        assert_eq!(live.web_listen, c.web_listen);

        // What the file refuses, the console refuses, with the same words.
        let mut bad = toml::Table::new();
        set(&mut bad, "store.retention", toml::Value::String("soon".into()));
        let e = c.with_console(&bad).expect_err("refused").to_string();
        assert!(e.contains("store.retention"), "{e}");
        let mut short = toml::Table::new();
        set(&mut short, "store.retention", toml::Value::String("10s".into()));
        assert!(c.with_console(&short).expect_err("too short").to_string().contains("at least 1 minute"));
        let mut crossed = toml::Table::new();
        set(&mut crossed, "auth.lockout_after", toml::Value::Integer(2));
        assert!(c.with_console(&crossed).expect_err("crossed").to_string().contains("auth.lockout_after"));
        // Nothing beyond the live keys.
        let mut other = toml::Table::new();
        set(&mut other, "listen.web", toml::Value::String("0.0.0.0:80".into()));
        assert!(c.with_console(&other).expect_err("not live").to_string().contains("cannot be set from the console"));
        assert_eq!(to_toml(find("auth.backoff_after").expect("key"), "three"), Err("must be a whole number".into()));
    }
}
