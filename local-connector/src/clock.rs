//! The one wall clock of the domain: Unix time in the units the records
//! keep, and the saturating conversions between them.
//!
//! Every timestamp Pullprint stores or compares comes from here, so a
//! clock before 1970 (a box whose RTC battery died) reads as 0 in one way
//! everywhere instead of panicking or wrapping in one place.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time since the Unix epoch, now (zero if the clock is before it).
pub fn since_epoch() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Whole seconds since the Unix epoch, now.
pub fn now_s() -> u64 {
    since_epoch().as_secs()
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    duration_ms(since_epoch())
}

/// A duration in whole milliseconds, saturating.
pub fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_agree_and_long_durations_saturate() {
        let (s, ms) = (now_s(), now_ms());
        assert!(ms / 1000 >= s && ms / 1000 - s <= 1);
        assert_eq!(duration_ms(Duration::from_millis(1500)), 1500);
        assert_eq!(duration_ms(Duration::MAX), u64::MAX);
    }
}
