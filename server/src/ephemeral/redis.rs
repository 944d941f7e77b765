//! The Redis ephemeral store, shared by several instances.
//!
//! Keys are prefixed with `anshin:` so the keyspace can be shared with other users of the same
//! Redis. Values stay binary. The connection is a [`ConnectionManager`] created lazily: an
//! unreachable Redis is not an error at start, calls fail fast with
//! [`EphemeralError::Unavailable`] while it is away, and the manager reconnects by itself (on
//! the next call) once it answers again, without restarting the process.
//!
//! Every call is bounded: connection attempts and responses time out, and the whole call is
//! given up after 3 s whatever happens underneath.
//!
//! The manager reconnects by itself after I/O errors only. Two failures it would keep forever
//! are handled here by replacing it with a fresh one: a connection attempt that failed for
//! another reason (a handshake that could not be parsed or was refused: the failed attempt
//! stays cached), and a connection that went silent (a network partition that left the socket
//! open: every command times out on it). Either way the next call connects anew.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};

use super::{Ephemeral, EphemeralError, EphemeralResult};

/// The prefix of every key this store writes.
const KEY_PREFIX: &str = "anshin:";
/// How long one attempt to open a connection may take.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);
/// How long Redis may take to answer one command.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a whole call may take, connecting included.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// Extra connection attempts after a failed one, before the call fails (the next call tries
/// again).
const CONNECTION_RETRIES: usize = 1;
/// The longest time to live; longer ones are shortened to it (ceremonies last minutes, and
/// Redis refuses expiry times that overflow).
const MAX_TTL_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// Adds one to the counter and, when it has no expiry (it was just created), starts its window.
/// One script, so it is atomic: no counter is ever left without an expiry.
const INCR_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
";

/// The Redis ephemeral store.
pub struct RedisEphemeral {
    client: Client,
    config: ConnectionManagerConfig,
    /// The current manager. Cloned out for each call, never held across an await; replaced
    /// when it is stuck (see the module documentation).
    manager: Mutex<Arc<ConnectionManager>>,
    incr: Script,
    /// `host:port`, for diagnostics (the URL may hold a password).
    addr: String,
}

impl std::fmt::Debug for RedisEphemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEphemeral")
            .field("addr", &self.addr)
            .field("key_prefix", &KEY_PREFIX)
            .finish_non_exhaustive()
    }
}

impl RedisEphemeral {
    /// Prepares a store for the Redis at `url` (`redis://[user:password@]host:port[/db]`).
    ///
    /// Does not wait for Redis: when it cannot be reached, this logs a warning and still
    /// returns the store, whose calls fail with [`EphemeralError::Unavailable`] until Redis
    /// answers. Must be called within a Tokio runtime.
    ///
    /// # Errors
    /// [`EphemeralError::Unavailable`] when `url` is not a valid Redis URL.
    pub async fn connect(url: &str) -> EphemeralResult<Self> {
        let client = Client::open(url)
            .map_err(|e| EphemeralError::Unavailable(format!("invalid Redis URL: {e}")))?;
        let addr = client.get_connection_info().addr().to_string();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(CONNECTION_RETRIES)
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_millis(250));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config.clone())
            .map_err(|e| unavailable(&e))?;
        let store = Self {
            client,
            config,
            manager: Mutex::new(Arc::new(manager)),
            incr: Script::new(INCR_SCRIPT),
            addr,
        };
        // Open the connection now when possible, so the first request does not pay for it.
        if let Err(e) = store.ping().await {
            tracing::warn!(addr = %store.addr, error = %e, "Redis is not reachable yet; will retry on use");
        }
        Ok(store)
    }

    fn current(&self) -> Arc<ConnectionManager> {
        let guard = self.manager.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&guard)
    }

    /// Replaces `failed` by a fresh manager, unless another call already did.
    fn renew(&self, failed: &Arc<ConnectionManager>) {
        let mut guard = self.manager.lock().unwrap_or_else(PoisonError::into_inner);
        if !Arc::ptr_eq(&guard, failed) {
            return;
        }
        match ConnectionManager::new_lazy_with_config(self.client.clone(), self.config.clone()) {
            Ok(fresh) => *guard = Arc::new(fresh),
            Err(e) => {
                tracing::warn!(addr = %self.addr, error = %e, "cannot renew the Redis connection");
            }
        }
    }

    /// Runs one call on the shared connection, bounded by [`CALL_TIMEOUT`].
    async fn run<T, F>(&self, call: impl FnOnce(ConnectionManager) -> F) -> EphemeralResult<T>
    where
        F: Future<Output = Result<T, RedisError>>,
    {
        let manager = self.current();
        match tokio::time::timeout(CALL_TIMEOUT, call(ConnectionManager::clone(&manager))).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                // Other I/O errors (refused, reset, closed) the manager recovers from itself.
                if !e.is_io_error() || e.is_timeout() {
                    self.renew(&manager);
                }
                Err(unavailable(&e))
            }
            Err(_) => {
                self.renew(&manager);
                Err(EphemeralError::Unavailable(format!(
                    "Redis at {} did not answer within {CALL_TIMEOUT:?}",
                    self.addr
                )))
            }
        }
    }
}

fn unavailable(e: &RedisError) -> EphemeralError {
    EphemeralError::Unavailable(format!("Redis: {e}"))
}

fn prefixed(key: &str) -> String {
    format!("{KEY_PREFIX}{key}")
}

/// A time to live in whole milliseconds, at least one (Redis refuses zero) and at most
/// [`MAX_TTL_MS`].
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_TTL_MS)
}

#[async_trait]
impl Ephemeral for RedisEphemeral {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> EphemeralResult<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(prefixed(key)).arg(value).arg("PX").arg(millis(ttl));
        self.run(|mut conn| async move { cmd.query_async::<()>(&mut conn).await })
            .await
    }

    async fn take(&self, key: &str) -> EphemeralResult<Option<Vec<u8>>> {
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(prefixed(key));
        self.run(|mut conn| async move { cmd.query_async(&mut conn).await })
            .await
    }

    async fn get(&self, key: &str) -> EphemeralResult<Option<Vec<u8>>> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(prefixed(key));
        self.run(|mut conn| async move { cmd.query_async(&mut conn).await })
            .await
    }

    async fn get_many(&self, keys: &[&str]) -> EphemeralResult<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("MGET");
        for key in keys {
            cmd.arg(prefixed(key));
        }
        self.run(|mut conn| async move { cmd.query_async(&mut conn).await })
            .await
    }

    async fn delete(&self, key: &str) -> EphemeralResult<()> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(prefixed(key));
        self.run(|mut conn| async move { cmd.query_async::<()>(&mut conn).await })
            .await
    }

    async fn incr(&self, key: &str, window: Duration) -> EphemeralResult<u64> {
        let mut invocation = self.incr.prepare_invoke();
        invocation.key(prefixed(key)).arg(millis(window));
        self.run(|mut conn| async move { invocation.invoke_async(&mut conn).await })
            .await
    }

    async fn ping(&self) -> EphemeralResult<()> {
        let cmd = redis::cmd("PING");
        self.run(|mut conn| async move { cmd.query_async::<()>(&mut conn).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_whole_positive_milliseconds_within_range() {
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_micros(1500)), 1);
        assert_eq!(millis(Duration::from_millis(300)), 300);
        assert_eq!(millis(Duration::MAX), MAX_TTL_MS);
    }

    #[test]
    fn keys_are_prefixed() {
        assert_eq!(prefixed("ceremony:abc"), "anshin:ceremony:abc");
    }
}
