//! Helpers for this crate's unit tests.

/// A small, seeded xorshift generator: the same mutations every run, so a
/// failing case can be replayed.
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
