//! Counting what is held at once per key (connections per address,
//! documents arriving per user), with a cap, and a slot that gives its
//! place back when dropped.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// How many of something each key holds now.
#[derive(Debug)]
pub struct Counter<K: Hash + Eq> {
    held: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Hash + Eq> Default for Counter<K> {
    fn default() -> Self {
        Counter { held: Arc::default() }
    }
}

impl<K: Hash + Eq + Clone> Counter<K> {
    /// One more for `key`, unless it holds `max` already.
    pub fn take(&self, key: K, max: usize) -> Option<Slot<K>> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { held: self.held.clone(), key })
    }
}

/// One place held for a key, given back when dropped.
#[derive(Debug)]
pub struct Slot<K: Hash + Eq> {
    held: Arc<Mutex<HashMap<K, usize>>>,
    key: K,
}

impl<K: Hash + Eq> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Counter;

    #[test]
    fn a_key_holds_at_most_its_cap_and_a_dropped_slot_frees_a_place() {
        let c = Counter::default();
        let a: Vec<_> = (0..3).filter_map(|_| c.take("a", 3)).collect();
        assert_eq!(a.len(), 3);
        assert!(c.take("a", 3).is_none());
        assert!(c.take("b", 3).is_some(), "keys are counted apart");
        drop(a);
        assert!(c.take("a", 3).is_some());
    }
}
