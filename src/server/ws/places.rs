//! The per-key bound on open WebSocket connections: a key holds one place per connection,
//! given back when the connection ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::domain::ids::ApiKeyId;

/// How many connections each key holds.
#[derive(Default, Clone)]
pub(super) struct Places(Arc<Mutex<HashMap<ApiKeyId, usize>>>);

/// One connection's place, given back when dropped.
pub(super) struct Place {
    places: Places,
    key: ApiKeyId,
}

impl Places {
    /// A place for `key` if it holds fewer than `max`.
    pub(super) fn take(&self, key: ApiKeyId, max: usize) -> Option<Place> {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(key).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Place {
            places: self.clone(),
            key,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut held = self.places.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_max_places_and_gets_them_back() {
        let places = Places::default();
        let (one, other) = (
            ApiKeyId(uuid::Uuid::now_v7()),
            ApiKeyId(uuid::Uuid::now_v7()),
        );
        let first = places.take(one, 2);
        let second = places.take(one, 2);
        assert!(first.is_some() && second.is_some());
        assert!(places.take(one, 2).is_none());
        assert!(
            places.take(other, 2).is_some(),
            "another key is not affected"
        );
        drop(first);
        assert!(places.take(one, 2).is_some());
        drop(second);
        assert!(places.0.lock().map(|held| held.is_empty()).unwrap_or(false));
    }
}
