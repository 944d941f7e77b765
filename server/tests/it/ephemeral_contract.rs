//! The contract of [`Ephemeral`], written once and run against both implementations: memory,
//! and Redis (`REDIS_URL`, default `redis://127.0.0.1:6379`).
//!
//! Every test gets a fresh store and a random key prefix, so the tests run in parallel against
//! one shared Redis. A test named `memory_x` and a test named `redis_x` run the same case `x`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anshin_server::ephemeral::memory::MemoryEphemeral;
use anshin_server::ephemeral::redis::RedisEphemeral;
use anshin_server::ephemeral::{Ephemeral, EphemeralError};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Barrier;

/// A short time to live for the expiry cases, and how long to wait for it to pass. Not a
/// performance assertion: the wait is twice the time to live.
const SHORT: Duration = Duration::from_millis(300);
const PAST_SHORT: Duration = Duration::from_millis(600);
const LONG: Duration = Duration::from_secs(60);

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A store and a key namespace of its own.
struct Fixture {
    store: Arc<dyn Ephemeral>,
    prefix: String,
}

impl Fixture {
    fn key(&self, name: &str) -> String {
        format!("test:{}:{name}", self.prefix)
    }
}

fn prefix() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn memory() -> Fixture {
    Fixture {
        store: Arc::new(MemoryEphemeral::default()),
        prefix: prefix(),
    }
}

async fn redis() -> Fixture {
    let url = redis_url();
    let store = RedisEphemeral::connect(&url)
        .await
        .expect("valid REDIS_URL");
    store
        .ping()
        .await
        .unwrap_or_else(|e| panic!("Redis at {url} must be running for this test: {e}"));
    Fixture {
        store: Arc::new(store),
        prefix: prefix(),
    }
}

/// Generates one `#[tokio::test]` per case and backend:
/// `case => memory_test_name, redis_test_name;`.
macro_rules! contract {
    ($($case:ident => $memory:ident, $redis:ident;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $memory() {
                $case(memory().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $redis() {
                $case(redis().await).await;
            }
        )*
    };
}

contract! {
    round_trip => memory_put_get_take_round_trip, redis_put_get_take_round_trip;
    take_is_once => memory_take_is_once, redis_take_is_once;
    concurrent_takes_yield_one_value => memory_concurrent_takes_yield_one_value, redis_concurrent_takes_yield_one_value;
    values_expire => memory_values_expire, redis_values_expire;
    put_replaces_value_and_ttl => memory_put_replaces_value_and_ttl, redis_put_replaces_value_and_ttl;
    delete_removes => memory_delete_removes, redis_delete_removes;
    incr_counts_in_a_fixed_window => memory_incr_counts_in_a_fixed_window, redis_incr_counts_in_a_fixed_window;
    keys_are_independent => memory_keys_are_independent, redis_keys_are_independent;
    ping_answers => memory_ping_answers, redis_ping_answers;
    get_many_reads_in_order => memory_get_many_reads_in_order, redis_get_many_reads_in_order;
}

async fn round_trip(f: Fixture) {
    let s = &f.store;
    let key = f.key("ceremony");
    // Binary, not UTF-8, with a NUL byte.
    let value: Vec<u8> = vec![0x00, 0xff, 0xfe, b'a', 0x80, 0x00];

    assert_eq!(s.get(&key).await.unwrap(), None);
    s.put(&key, &value, LONG).await.unwrap();
    assert_eq!(s.get(&key).await.unwrap(), Some(value.clone()));
    // Reading does not consume.
    assert_eq!(s.get(&key).await.unwrap(), Some(value.clone()));
    assert_eq!(s.take(&key).await.unwrap(), Some(value));
    assert_eq!(s.get(&key).await.unwrap(), None);

    // An empty value is a value, not an absence.
    let empty = f.key("empty");
    s.put(&empty, b"", LONG).await.unwrap();
    assert_eq!(s.get(&empty).await.unwrap(), Some(Vec::new()));
    assert_eq!(s.take(&empty).await.unwrap(), Some(Vec::new()));
    assert_eq!(s.take(&empty).await.unwrap(), None);
}

async fn get_many_reads_in_order(f: Fixture) {
    let s = &f.store;
    let (a, b, c) = (f.key("a"), f.key("b"), f.key("c"));
    assert_eq!(
        s.get_many(&[]).await.unwrap(),
        Vec::<Option<Vec<u8>>>::new()
    );
    s.put(&a, b"1", LONG).await.unwrap();
    s.incr(&c, LONG).await.unwrap();
    s.incr(&c, LONG).await.unwrap();
    assert_eq!(
        s.get_many(&[&c, &b, &a, &c]).await.unwrap(),
        [
            Some(b"2".to_vec()),
            None,
            Some(b"1".to_vec()),
            Some(b"2".to_vec())
        ]
    );
    // Reading does not consume, and an expired value is absent.
    s.put(&b, b"", Duration::from_millis(50)).await.unwrap();
    assert_eq!(s.get(&a).await.unwrap(), Some(b"1".to_vec()));
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(
        s.get_many(&[&a, &b]).await.unwrap(),
        [Some(b"1".to_vec()), None]
    );
}

async fn take_is_once(f: Fixture) {
    let s = &f.store;
    let key = f.key("challenge");
    s.put(&key, b"state", LONG).await.unwrap();
    assert_eq!(s.take(&key).await.unwrap(), Some(b"state".to_vec()));
    assert_eq!(s.take(&key).await.unwrap(), None);
    assert_eq!(s.take(&key).await.unwrap(), None);
    assert_eq!(s.get(&key).await.unwrap(), None);
    // Never stored at all.
    assert_eq!(s.take(&f.key("missing")).await.unwrap(), None);
}

async fn concurrent_takes_yield_one_value(f: Fixture) {
    const TAKERS: usize = 10;
    // Several rounds, so that an interleaving that breaks atomicity has a chance to show.
    for round in 0..20 {
        let key = f.key(&format!("race:{round}"));
        let value = format!("value {round}").into_bytes();
        f.store.put(&key, &value, LONG).await.unwrap();

        let barrier = Arc::new(Barrier::new(TAKERS));
        let tasks: Vec<_> = (0..TAKERS)
            .map(|_| {
                let store = Arc::clone(&f.store);
                let barrier = Arc::clone(&barrier);
                let key = key.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.take(&key).await.unwrap()
                })
            })
            .collect();
        let mut taken = Vec::new();
        for task in tasks {
            if let Some(v) = task.await.unwrap() {
                taken.push(v);
            }
        }
        assert_eq!(
            taken,
            vec![value],
            "round {round}: exactly one taker gets the value"
        );
    }
}

async fn values_expire(f: Fixture) {
    let s = &f.store;
    let (read, taken, kept) = (f.key("read"), f.key("taken"), f.key("kept"));
    s.put(&read, b"r", SHORT).await.unwrap();
    s.put(&taken, b"t", SHORT).await.unwrap();
    s.put(&kept, b"k", LONG).await.unwrap();
    assert_eq!(s.get(&read).await.unwrap(), Some(b"r".to_vec()));

    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(s.get(&read).await.unwrap(), None);
    assert_eq!(
        s.take(&taken).await.unwrap(),
        None,
        "an expired value is never taken"
    );
    assert_eq!(s.get(&kept).await.unwrap(), Some(b"k".to_vec()));
}

async fn put_replaces_value_and_ttl(f: Fixture) {
    let s = &f.store;
    let key = f.key("k");
    s.put(&key, b"first", SHORT).await.unwrap();
    s.put(&key, b"second", LONG).await.unwrap();
    assert_eq!(s.get(&key).await.unwrap(), Some(b"second".to_vec()));

    // The second put's time to live applies, not the first's.
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(s.get(&key).await.unwrap(), Some(b"second".to_vec()));

    // And a short one replaces a long one.
    s.put(&key, b"third", SHORT).await.unwrap();
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(s.get(&key).await.unwrap(), None);
}

async fn delete_removes(f: Fixture) {
    let s = &f.store;
    let (key, other) = (f.key("k"), f.key("other"));
    s.put(&key, b"v", LONG).await.unwrap();
    s.put(&other, b"o", LONG).await.unwrap();
    s.delete(&key).await.unwrap();
    assert_eq!(s.get(&key).await.unwrap(), None);
    assert_eq!(s.take(&key).await.unwrap(), None);
    assert_eq!(s.get(&other).await.unwrap(), Some(b"o".to_vec()));
    // Deleting what is not there is fine.
    s.delete(&key).await.unwrap();
    s.delete(&f.key("never")).await.unwrap();
}

async fn incr_counts_in_a_fixed_window(f: Fixture) {
    let s = &f.store;
    let key = f.key("rate");
    assert_eq!(s.incr(&key, SHORT).await.unwrap(), 1);
    assert_eq!(s.incr(&key, SHORT).await.unwrap(), 2);
    assert_eq!(s.incr(&key, SHORT).await.unwrap(), 3);
    // A counter reads as its decimal count (as Redis keeps it), so it can be read without
    // counting.
    assert_eq!(s.get(&key).await.unwrap(), Some(b"3".to_vec()));

    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(
        s.incr(&key, SHORT).await.unwrap(),
        1,
        "a new window starts at one"
    );

    // Fixed window: later increments do not extend it. Window W = 1.2 s: increments at 0 and
    // 0.6 s, then at 1.5 s the window (ending at 1.2 s) is over, whereas one extended by the
    // second increment would last until 1.8 s. Margins of 0.3 s either way.
    let fixed = f.key("fixed");
    let window = Duration::from_millis(1200);
    assert_eq!(s.incr(&fixed, window).await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(s.incr(&fixed, window).await.unwrap(), 2);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        s.incr(&fixed, window).await.unwrap(),
        1,
        "the window is not extended"
    );

    // Concurrent increments are all counted.
    let many = f.key("many");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&f.store);
            let many = many.clone();
            tokio::spawn(async move { store.incr(&many, LONG).await.unwrap() })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=50).collect::<Vec<u64>>());
}

async fn keys_are_independent(f: Fixture) {
    let s = &f.store;
    let (a, b) = (f.key("a"), f.key("b"));
    s.put(&a, b"A", LONG).await.unwrap();
    s.put(&b, b"B", LONG).await.unwrap();
    assert_eq!(s.take(&a).await.unwrap(), Some(b"A".to_vec()));
    assert_eq!(s.get(&b).await.unwrap(), Some(b"B".to_vec()));

    let (ca, cb) = (f.key("count:a"), f.key("count:b"));
    assert_eq!(s.incr(&ca, LONG).await.unwrap(), 1);
    assert_eq!(s.incr(&ca, LONG).await.unwrap(), 2);
    assert_eq!(s.incr(&cb, LONG).await.unwrap(), 1);

    // Another namespace (another test, another tenant) does not see these keys.
    let other = Fixture {
        store: Arc::clone(&f.store),
        prefix: prefix(),
    };
    assert_eq!(s.get(&other.key("b")).await.unwrap(), None);
    assert_eq!(s.incr(&other.key("count:a"), LONG).await.unwrap(), 1);
}

async fn ping_answers(f: Fixture) {
    f.store.ping().await.unwrap();
}

// Redis only.

/// Generous bound so a hanging call fails the test instead of blocking it; not a performance
/// assertion.
const MUST_RETURN_WITHIN: Duration = Duration::from_secs(30);

#[tokio::test]
async fn redis_unreachable_at_start_connects_and_calls_fail_as_unavailable() {
    let store = RedisEphemeral::connect("redis://127.0.0.1:1")
        .await
        .expect("connect does not fail");
    let ttl = Duration::from_secs(10);
    let results = [
        ("put", store.put("k", b"v", ttl).await.err()),
        ("take", store.take("k").await.err()),
        ("get", store.get("k").await.err()),
        ("delete", store.delete("k").await.err()),
        ("incr", store.incr("k", ttl).await.err()),
        ("ping", store.ping().await.err()),
    ];
    for (call, err) in results {
        assert!(
            matches!(err, Some(EphemeralError::Unavailable(_))),
            "{call}: {err:?}"
        );
    }
}

#[tokio::test]
async fn redis_unreachable_calls_return() {
    let store = RedisEphemeral::connect("redis://127.0.0.1:1")
        .await
        .expect("connect does not fail");
    for _ in 0..3 {
        let result = tokio::time::timeout(MUST_RETURN_WITHIN, store.take("k"))
            .await
            .expect("the call returns");
        assert!(
            matches!(result, Err(EphemeralError::Unavailable(_))),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn redis_invalid_url_is_an_error() {
    let err = RedisEphemeral::connect("not a url").await.unwrap_err();
    assert!(matches!(err, EphemeralError::Unavailable(_)));
}

/// What the store writes, seen from a plain Redis client: keys under `anshin:`, every key
/// with an expiry (so nothing outlives its ceremony or window).
#[tokio::test]
async fn redis_keys_are_prefixed_and_always_expire() {
    let f = redis().await;
    let client = redis::Client::open(redis_url()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let pttl = async |raw: &mut redis::aio::MultiplexedConnection, key: &str| -> i64 {
        redis::cmd("PTTL").arg(key).query_async(raw).await.unwrap()
    };

    let (value, counter) = (f.key("value"), f.key("counter"));
    f.store.put(&value, b"v", LONG).await.unwrap();
    for _ in 0..3 {
        f.store.incr(&counter, LONG).await.unwrap();
    }

    let stored: Option<Vec<u8>> = redis::cmd("GET")
        .arg(format!("anshin:{value}"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(stored, Some(b"v".to_vec()));
    let unprefixed: Option<Vec<u8>> = redis::cmd("GET")
        .arg(&value)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(unprefixed, None);

    for key in [&value, &counter] {
        let ttl = pttl(&mut raw, &format!("anshin:{key}")).await;
        assert!(ttl > 0 && ttl <= 60_000, "{key}: PTTL {ttl}");
    }

    // A counter that somehow lost its expiry gets one back on the next increment.
    let _: () = redis::cmd("PERSIST")
        .arg(format!("anshin:{counter}"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(f.store.incr(&counter, LONG).await.unwrap(), 4);
    assert!(pttl(&mut raw, &format!("anshin:{counter}")).await > 0);
}

/// A TCP proxy in front of the test Redis, to produce failures a real server does not: a
/// handshake answered with garbage, and a silent network partition.
struct Proxy {
    url: String,
    /// New connections get an HTTP answer instead of Redis.
    garbage: Arc<AtomicBool>,
    /// Connections opened before the last increment let nothing through any more, but stay
    /// open (a partition, not a reset).
    generation: Arc<AtomicU64>,
}

impl Proxy {
    async fn start() -> Self {
        let upstream = redis::Client::open(redis_url())
            .unwrap()
            .get_connection_info()
            .addr()
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let garbage = Arc::new(AtomicBool::new(false));
        let generation = Arc::new(AtomicU64::new(0));
        let (garbage_, generation_) = (Arc::clone(&garbage), Arc::clone(&generation));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (client_read, client_write) = client.into_split();
                if garbage_.load(Ordering::SeqCst) {
                    tokio::spawn(async move {
                        let mut request = [0; 1024];
                        if read_some(&client_read, &mut request).await.is_ok() {
                            let answer = b"HTTP/1.1 400 Bad Request\r\n\r\n";
                            let _ = write_all(&client_write, answer).await;
                        }
                    });
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (server_read, server_write) = server.into_split();
                let mine = generation_.load(Ordering::SeqCst);
                let g = Arc::clone(&generation_);
                tokio::spawn(pipe(client_read, server_write, Arc::clone(&g), mine));
                tokio::spawn(pipe(server_read, client_write, g, mine));
            }
        });
        Self {
            url,
            garbage,
            generation,
        }
    }
}

async fn pipe(from: OwnedReadHalf, to: OwnedWriteHalf, generation: Arc<AtomicU64>, mine: u64) {
    let mut buf = vec![0; 16 * 1024];
    while let Ok(n @ 1..) = read_some(&from, &mut buf).await {
        if generation.load(Ordering::SeqCst) != mine {
            // Partitioned: hold both sockets open and let nothing through.
            std::future::pending::<()>().await;
        }
        if write_all(&to, &buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn read_some(from: &OwnedReadHalf, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        from.readable().await?;
        match from.try_read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            result => return result,
        }
    }
}

async fn write_all(to: &OwnedWriteHalf, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        to.writable().await?;
        match to.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Calls `ping` until it succeeds, a few times at most; how many failed before.
async fn failures_before_ping_succeeds(store: &RedisEphemeral) -> usize {
    for failures in 0..5 {
        let result = tokio::time::timeout(MUST_RETURN_WITHIN, store.ping())
            .await
            .expect("the call returns");
        if result.is_ok() {
            return failures;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the store did not recover");
}

/// A connection attempt that fails without an I/O error (here: the handshake is answered with
/// something that is not Redis) is not retried by the connection manager on its own; the
/// store must still recover once Redis answers.
#[tokio::test]
async fn redis_recovers_after_a_garbled_handshake() {
    let proxy = Proxy::start().await;
    proxy.garbage.store(true, Ordering::SeqCst);
    let store = RedisEphemeral::connect(&proxy.url).await.unwrap();
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, EphemeralError::Unavailable(_)));

    proxy.garbage.store(false, Ordering::SeqCst);
    assert!(failures_before_ping_succeeds(&store).await <= 1);
    let key = format!("test:{}:k", prefix());
    store.put(&key, b"v", LONG).await.unwrap();
    assert_eq!(store.take(&key).await.unwrap(), Some(b"v".to_vec()));
}

/// A connection that goes silent (a partition that leaves the socket open) makes calls time
/// out, and the store then opens a new connection instead of waiting on the dead one.
#[tokio::test]
async fn redis_recovers_after_a_silent_partition() {
    let proxy = Proxy::start().await;
    let store = RedisEphemeral::connect(&proxy.url).await.unwrap();
    let key = format!("test:{}:k", prefix());
    store.put(&key, b"v", LONG).await.unwrap();

    proxy.generation.fetch_add(1, Ordering::SeqCst);
    let result = tokio::time::timeout(MUST_RETURN_WITHIN, store.get(&key))
        .await
        .expect("the call returns");
    assert!(
        matches!(result, Err(EphemeralError::Unavailable(_))),
        "{result:?}"
    );

    assert!(failures_before_ping_succeeds(&store).await <= 1);
    assert_eq!(store.take(&key).await.unwrap(), Some(b"v".to_vec()));
}
