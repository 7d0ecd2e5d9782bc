//! Fault points: named places in the job store and in the release path's
//! state changes where a test build kills its own process, as `kill -9`
//! would, to show that whatever was acknowledged survives a crash at that
//! very step.
//!
//! They exist only with the `fault-points` feature, which the end-to-end
//! tests turn on (`pullprint-tests` depends on this crate with it, so a
//! workspace build of the daemon has them). A build of the daemon alone,
//! such as `cargo build --release -p pullprint`, has no fault points:
//! [`point`] is then empty, and neither the names nor the variable below
//! are in the binary.
//!
//! Armed through the environment, read once:
//!
//! ```text
//! PULLPRINT_FAULT=NAME:P[,NAME:P...]
//!   P with a decimal point (0.05): kill with that probability each time NAME is reached
//!   P a whole number (3):          kill the 3rd time NAME is reached
//! ```
//!
//! The process prints `fault point NAME: killing the process` on stderr,
//! then sends itself SIGKILL: no destructor, flush or exit handler runs.

/// Every fault point, in the order a job meets them.
pub const NAMES: &[&str] = &[
    // Intake (`store::JobWriter::commit` and the group committer).
    "store.before_data_sync",
    "store.after_data_sync",
    "store.after_rename",
    "store.after_dir_sync",
    "store.after_index",
    // Release (`store/releases.rs`), each around the write that is flushed.
    "release.queued.after",
    "release.sending.before",
    "release.sending.after",
    "release.submitted.before",
    "release.submitted.after",
    "release.finish.before",
    "release.finish.after_record",
    // Shredding (`JobStore::delete`).
    "shred.after_wipe",
    "shred.after_unlink",
];

/// Reaching fault point `name`: kills the process when it is armed there.
#[cfg(not(feature = "fault-points"))]
#[inline(always)]
pub fn point(_name: &'static str) {}

/// Reaching fault point `name`: kills the process when it is armed there.
#[cfg(feature = "fault-points")]
pub fn point(name: &'static str) {
    armed::point(name);
}

#[cfg(feature = "fault-points")]
mod armed {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Mutex, OnceLock};

    /// What arms a point.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub(super) enum Trigger {
        /// Each time, with this probability.
        Chance(f64),
        /// The nth time (from 1).
        Nth(u64),
    }

    /// `PULLPRINT_FAULT`'s value read into (name, trigger) pairs; unknown
    /// names and unreadable entries are errors, so a typo cannot arm nothing.
    pub(super) fn parse(spec: &str) -> Result<Vec<(&'static str, Trigger)>, String> {
        let mut out = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, how) = item.split_once(':').ok_or_else(|| format!("{item}: expected NAME:P or NAME:N"))?;
            let name = super::NAMES
                .iter()
                .find(|n| **n == name)
                .ok_or_else(|| format!("{name}: no such fault point (there are: {})", super::NAMES.join(", ")))?;
            let trigger = if how.contains('.') {
                match how.parse::<f64>() {
                    Ok(p) if (0.0..=1.0).contains(&p) => Trigger::Chance(p),
                    _ => return Err(format!("{item}: a probability is between 0.0 and 1.0")),
                }
            } else {
                match how.parse::<u64>() {
                    Ok(n) if n > 0 => Trigger::Nth(n),
                    _ => return Err(format!("{item}: a count is a whole number from 1")),
                }
            };
            out.push((*name, trigger));
        }
        Ok(out)
    }

    struct Armed {
        triggers: HashMap<&'static str, Trigger>,
        seen: Mutex<HashMap<&'static str, u64>>,
        rng: AtomicU64,
    }

    fn armed() -> &'static Armed {
        static ARMED: OnceLock<Armed> = OnceLock::new();
        ARMED.get_or_init(|| {
            let spec = std::env::var("PULLPRINT_FAULT").unwrap_or_default();
            let triggers = match parse(&spec) {
                Ok(t) => t.into_iter().collect(),
                Err(e) => {
                    // A test that asked for a fault it cannot get must not pass quietly.
                    eprintln!("PULLPRINT_FAULT: {e}");
                    std::process::exit(70);
                }
            };
            let now = crate::clock::since_epoch();
            let seed = now.as_secs() ^ (u64::from(now.subsec_nanos()) << 20) ^ u64::from(std::process::id());
            Armed { triggers, seen: Mutex::new(HashMap::new()), rng: AtomicU64::new(seed | 1) }
        })
    }

    /// Arm from the environment now, and say what is armed (a test reads
    /// this to know the binary has fault points).
    pub(super) fn announce() {
        let a = armed();
        if !a.triggers.is_empty() {
            let mut names: Vec<String> = a.triggers.iter().map(|(n, t)| format!("{n} {t:?}")).collect();
            names.sort();
            eprintln!("fault points armed: {}", names.join(", "));
        }
    }

    /// xorshift64: good enough to pick when to fail, and lock-free.
    fn chance(a: &Armed) -> f64 {
        let mut x = a.rng.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        a.rng.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn point(name: &'static str) {
        let a = armed();
        let Some(t) = a.triggers.get(name) else { return };
        let fire = match *t {
            Trigger::Chance(p) => chance(a) < p,
            Trigger::Nth(n) => {
                let mut seen = a.seen.lock().unwrap_or_else(|p| p.into_inner());
                let c = seen.entry(name).or_insert(0);
                *c += 1;
                *c == n
            }
        };
        if fire {
            eprintln!("fault point {name}: killing the process");
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            // SIGKILL cannot be caught; should raise fail, still never go on.
            std::process::abort();
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn fault_specs_read_as_written_and_a_typo_is_an_error() {
            assert_eq!(
                parse("store.after_rename:0.25, shred.after_wipe:3").expect("parse"),
                [("store.after_rename", Trigger::Chance(0.25)), ("shred.after_wipe", Trigger::Nth(3))]
            );
            assert!(parse("").expect("empty").is_empty());
            assert!(parse("store.after_renam:1").is_err());
            assert!(parse("store.after_rename:1.5").is_err());
            assert!(parse("store.after_rename:0").is_err());
            assert!(parse("store.after_rename").is_err());
        }
    }
}

/// Read `PULLPRINT_FAULT` now (exiting on a spec that names no fault
/// point) and log what it arms on stderr; nothing without the feature.
/// The daemon calls this at start-up so that a bad spec fails at once.
pub fn announce() {
    #[cfg(feature = "fault-points")]
    armed::announce();
}

/// Whether this build has fault points.
pub const BUILT_IN: bool = cfg!(feature = "fault-points");
