//! The in-memory ephemeral store, for a single instance.
//!
//! One map behind a [`std::sync::Mutex`] (never held across an await: no call awaits at all).
//! Expiry is checked on every read, so an expired value is never returned. Memory stays bounded:
//! expired entries are swept out opportunistically as writes come in, and the number of entries
//! is capped; a full store evicts expired entries first and otherwise refuses new keys with
//! [`EphemeralError::Unavailable`].
//!
//! Counters share the keyspace with values and are kept as decimal ASCII, like Redis keeps them,
//! so that both implementations behave alike when a key is used both ways.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::{Ephemeral, EphemeralError, EphemeralResult};

/// How many entries the store holds at most.
const MAX_ENTRIES: usize = 1_000_000;

/// The fewest writes between two opportunistic sweeps. Between sweeps at least this many writes,
/// and at least half as many as there are entries, go by, so a sweep costs O(1) per write.
const SWEEP_EVERY: usize = 1024;

/// The longest time to live; longer ones are shortened to it (ceremonies last minutes).
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The in-memory ephemeral store. Cloning is not offered: share it behind an `Arc`.
pub struct MemoryEphemeral {
    inner: Mutex<Inner>,
}

impl Default for MemoryEphemeral {
    fn default() -> Self {
        Self::with_limits(MAX_ENTRIES, SWEEP_EVERY)
    }
}

impl std::fmt::Debug for MemoryEphemeral {
    // The values are secrets (ceremony state); show none of them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("MemoryEphemeral")
            .field("entries", &inner.map.len())
            .field("max_entries", &inner.max_entries)
            .finish_non_exhaustive()
    }
}

impl MemoryEphemeral {
    fn with_limits(max_entries: usize, sweep_every: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                max_entries,
                sweep_every,
                writes_since_sweep: 0,
                earliest_expiry: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves the map consistent, so a panic elsewhere while the lock
        // was held does not make the data unusable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires: Instant,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        now < self.expires
    }
}

#[derive(Debug)]
struct Inner {
    map: HashMap<String, Entry>,
    max_entries: usize,
    sweep_every: usize,
    writes_since_sweep: usize,
    /// No entry expires before this instant (it may be earlier than the true earliest expiry
    /// once entries are removed, which only makes a sweep find nothing). `None`: empty map.
    earliest_expiry: Option<Instant>,
}

impl Inner {
    fn expiry(now: Instant, ttl: Duration) -> Instant {
        let ttl = ttl.min(MAX_TTL);
        now.checked_add(ttl).unwrap_or(now)
    }

    /// The live value under `key`; an expired one is removed on the way.
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        if self.map.get(key).is_some_and(|e| !e.is_live(now)) {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    /// Removes every expired entry and recomputes the earliest expiry.
    fn sweep(&mut self, now: Instant) {
        self.map.retain(|_, e| e.is_live(now));
        self.earliest_expiry = self.map.values().map(|e| e.expires).min();
        self.writes_since_sweep = 0;
    }

    /// Something may have expired since the last sweep.
    fn sweep_may_help(&self, now: Instant) -> bool {
        self.earliest_expiry.is_some_and(|t| t <= now)
    }

    /// Counts a write and sweeps when enough writes went by and something may have expired.
    fn note_write(&mut self, now: Instant) {
        self.writes_since_sweep = self.writes_since_sweep.saturating_add(1);
        let due = self.writes_since_sweep >= self.sweep_every.max(self.map.len() / 2);
        if due && self.sweep_may_help(now) {
            self.sweep(now);
        }
    }

    /// Makes room for one new key, or says the store is full.
    fn reserve_new_key(&mut self, now: Instant) -> EphemeralResult<()> {
        if self.map.len() < self.max_entries {
            return Ok(());
        }
        if self.sweep_may_help(now) {
            self.sweep(now);
        }
        if self.map.len() < self.max_entries {
            Ok(())
        } else {
            Err(EphemeralError::Unavailable(
                "ephemeral store full".to_owned(),
            ))
        }
    }

    fn insert(&mut self, key: &str, value: Vec<u8>, expires: Instant, now: Instant) {
        self.note_write(now);
        self.earliest_expiry = Some(self.earliest_expiry.map_or(expires, |t| t.min(expires)));
        self.map.insert(key.to_owned(), Entry { value, expires });
    }

    fn put(&mut self, key: &str, value: &[u8], ttl: Duration, now: Instant) -> EphemeralResult<()> {
        if self.live(key, now).is_none() {
            self.reserve_new_key(now)?;
        }
        self.insert(key, value.to_vec(), Self::expiry(now, ttl), now);
        Ok(())
    }

    fn take(&mut self, key: &str, now: Instant) -> Option<Vec<u8>> {
        self.map
            .remove(key)
            .filter(|e| e.is_live(now))
            .map(|e| e.value)
    }

    fn get(&mut self, key: &str, now: Instant) -> Option<Vec<u8>> {
        self.live(key, now).map(|e| e.value.clone())
    }

    fn incr(&mut self, key: &str, window: Duration, now: Instant) -> EphemeralResult<u64> {
        let (count, expires) = if let Some(entry) = self.live(key, now) {
            let count = std::str::from_utf8(&entry.value)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| EphemeralError::Unavailable("value is not a counter".to_owned()))?;
            // The window started with the first increment: keep its expiry.
            (count.saturating_add(1), entry.expires)
        } else {
            self.reserve_new_key(now)?;
            (1, Self::expiry(now, window))
        };
        self.insert(key, count.to_string().into_bytes(), expires, now);
        Ok(count)
    }
}

#[async_trait]
impl Ephemeral for MemoryEphemeral {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> EphemeralResult<()> {
        self.lock().put(key, value, ttl, Instant::now())
    }

    async fn take(&self, key: &str) -> EphemeralResult<Option<Vec<u8>>> {
        Ok(self.lock().take(key, Instant::now()))
    }

    async fn get(&self, key: &str) -> EphemeralResult<Option<Vec<u8>>> {
        Ok(self.lock().get(key, Instant::now()))
    }

    async fn delete(&self, key: &str) -> EphemeralResult<()> {
        self.lock().map.remove(key);
        Ok(())
    }

    async fn incr(&self, key: &str, window: Duration) -> EphemeralResult<u64> {
        self.lock().incr(key, window, Instant::now())
    }

    async fn ping(&self) -> EphemeralResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn sweep_removes_abandoned_entries_and_bounds_the_map() {
        let store = MemoryEphemeral::with_limits(1_000, 16);
        let mut inner = store.lock();
        let start = Instant::now();

        // 100 ceremonies started and abandoned.
        for i in 0..100 {
            inner
                .put(&format!("abandoned:{i}"), b"state", TTL, start)
                .unwrap();
        }
        assert_eq!(inner.map.len(), 100);

        // After they expired, fresh writes sweep them out without anyone reading them.
        let later = start + TTL + Duration::from_secs(1);
        for i in 0..60 {
            inner
                .put(&format!("fresh:{i}"), b"state", TTL, later)
                .unwrap();
        }
        assert!(
            inner.map.keys().all(|k| k.starts_with("fresh:")),
            "expired entries are swept"
        );
        assert_eq!(inner.map.len(), 60);

        // A steady stream of short-lived, abandoned entries keeps the map bounded.
        let mut now = later;
        let mut largest = 0;
        for i in 0..10_000 {
            now += Duration::from_millis(10);
            inner
                .put(
                    &format!("stream:{i}"),
                    b"state",
                    Duration::from_millis(100),
                    now,
                )
                .unwrap();
            largest = largest.max(inner.map.len());
        }
        // At most 71 are live at once (60 fresh, 11 from the stream); between sweeps the map
        // may grow to twice that, plus one sweep interval.
        assert!(largest <= 2 * 71 + 16, "map grew to {largest}");
        assert!(largest >= 71);
    }

    #[test]
    fn a_full_store_evicts_expired_entries_and_otherwise_refuses_new_keys() {
        let store = MemoryEphemeral::with_limits(4, 1_000);
        let mut inner = store.lock();
        let start = Instant::now();

        inner
            .put("short", b"v", Duration::from_secs(1), start)
            .unwrap();
        for key in ["a", "b", "c"] {
            inner.put(key, b"v", TTL, start).unwrap();
        }
        // Full of live entries: a new key is refused, an existing one may still be replaced.
        let err = inner.put("d", b"v", TTL, start).unwrap_err();
        assert!(matches!(err, EphemeralError::Unavailable(m) if m == "ephemeral store full"));
        assert!(inner.incr("counter", TTL, start).is_err());
        inner.put("a", b"replaced", TTL, start).unwrap();
        assert_eq!(inner.get("a", start), Some(b"replaced".to_vec()));

        // Once "short" expired, it makes room.
        let later = start + Duration::from_secs(2);
        inner.put("d", b"v", TTL, later).unwrap();
        assert_eq!(inner.map.len(), 4);
        assert_eq!(inner.get("short", later), None);
        assert!(inner.put("e", b"v", TTL, later).is_err());

        // Taking frees a slot.
        assert_eq!(inner.take("b", later), Some(b"v".to_vec()));
        inner.put("e", b"v", TTL, later).unwrap();
    }

    #[test]
    fn counters_keep_the_window_of_their_first_increment() {
        let store = MemoryEphemeral::default();
        let mut inner = store.lock();
        let start = Instant::now();
        let window = Duration::from_secs(10);

        assert_eq!(inner.incr("c", window, start).unwrap(), 1);
        assert_eq!(
            inner
                .incr("c", window, start + Duration::from_secs(9))
                .unwrap(),
            2
        );
        assert_eq!(
            inner
                .incr("c", window, start + Duration::from_secs(10))
                .unwrap(),
            1
        );
        // A counter reads as its decimal count, as in Redis.
        assert_eq!(
            inner.get("c", start + Duration::from_secs(10)),
            Some(b"1".to_vec())
        );
        // Counting a value that is not a counter is an error, as in Redis.
        inner.put("v", b"\xff", window, start).unwrap();
        assert!(inner.incr("v", window, start).is_err());
    }

    #[test]
    fn huge_ttls_do_not_overflow() {
        let store = MemoryEphemeral::default();
        let mut inner = store.lock();
        let now = Instant::now();
        inner.put("k", b"v", Duration::MAX, now).unwrap();
        assert_eq!(
            inner.get("k", now + Duration::from_secs(3600)),
            Some(b"v".to_vec())
        );
        assert_eq!(inner.incr("c", Duration::MAX, now).unwrap(), 1);
    }
}
