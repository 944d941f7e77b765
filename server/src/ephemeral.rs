//! The ephemeral store: ceremony state with a time to live and atomic take-once, values that
//! expire, and windowed counters (rate limits).
//!
//! In memory by default (one instance), in Redis when several instances run side by side. Both
//! run the same contract test suite (`tests/it/ephemeral_contract.rs`).

use std::time::Duration;

use async_trait::async_trait;

pub mod memory;
pub mod redis;

/// Why an ephemeral store call failed.
#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    /// The backing service cannot be reached; the request may be retried.
    #[error("ephemeral store unavailable: {0}")]
    Unavailable(String),
}

/// Result of an ephemeral store call.
pub type EphemeralResult<T> = Result<T, EphemeralError>;

/// Short-lived shared state.
#[async_trait]
pub trait Ephemeral: Send + Sync + std::fmt::Debug {
    /// Stores `value` under `key` for `ttl`, replacing what was there.
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> EphemeralResult<()>;
    /// Reads and deletes `key` in one atomic step: of several concurrent callers, at most one
    /// gets the value. Expired values are never returned.
    async fn take(&self, key: &str) -> EphemeralResult<Option<Vec<u8>>>;
    /// Reads `key` without deleting it.
    async fn get(&self, key: &str) -> EphemeralResult<Option<Vec<u8>>>;
    /// Reads several keys without deleting them: one value (or `None`) per key, in order.
    /// A store that can read them in one round trip does.
    async fn get_many(&self, keys: &[&str]) -> EphemeralResult<Vec<Option<Vec<u8>>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }
    /// Deletes `key`.
    async fn delete(&self, key: &str) -> EphemeralResult<()>;
    /// Adds one to the counter `key` and returns the new count. The counter starts at zero
    /// and is reset `window` after its first increment (a fixed window).
    async fn incr(&self, key: &str, window: Duration) -> EphemeralResult<u64>;
    /// Checks that the backing service answers.
    async fn ping(&self) -> EphemeralResult<()>;
}

/// Opens the ephemeral store: Redis when a URL is given, memory otherwise.
///
/// # Errors
/// A Redis URL that cannot be parsed. An unreachable Redis is not an error here: calls fail
/// with [`EphemeralError::Unavailable`] until it answers, and the store reconnects by itself.
pub async fn open(redis_url: Option<&str>) -> EphemeralResult<std::sync::Arc<dyn Ephemeral>> {
    match redis_url {
        Some(url) => Ok(std::sync::Arc::new(
            redis::RedisEphemeral::connect(url).await?,
        )),
        None => Ok(std::sync::Arc::new(memory::MemoryEphemeral::default())),
    }
}
