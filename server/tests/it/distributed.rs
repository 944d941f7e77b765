//! Several instances on the real PostgreSQL and Redis, and outages of either.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anshin_server::ephemeral::{self, Ephemeral};
use anshin_server::store::{self, Store};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use crate::harness::{self, creation_options, request_options};
use crate::support::TestPostgres;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

async fn postgres(url: &str) -> Arc<dyn Store> {
    let store = store::open(url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

async fn redis(url: &str) -> Arc<dyn Ephemeral> {
    ephemeral::open(Some(url)).await.unwrap()
}

/// An `anshin` process, killed when dropped.
struct Process {
    child: std::process::Child,
    server: harness::TestServer,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the `anshin` binary on `port`, configured only through `ANSHIN_*` variables, and
/// waits until it is ready. `server` is a client for it (its in-process state is unused).
async fn spawn_anshin(port: u16, vars: &[(&str, String)]) -> Process {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_anshin"));
    command
        .env("ANSHIN_LISTEN", format!("127.0.0.1:{port}"))
        .env("ANSHIN_API_KEYS", harness::API_KEY)
        .env("ANSHIN_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    for (name, value) in vars {
        command.env(name, value);
    }
    let child = command.spawn().unwrap();
    let client = {
        anshin_server::install_crypto_provider();
        reqwest::Client::builder()
    }
    .cookie_store(true)
    .build()
    .unwrap();
    let url = format!("http://localhost:{port}");
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{url}/readyz")).send().await
            && r.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let server = harness::client_for(&url).await;
    Process { child, server }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_postgres_and_redis() {
    let database = TestPostgres::create().await;
    let (port_a, port_b) = (free_port(), free_port());
    let vars = [
        ("ANSHIN_DATABASE_URL", database.url().to_owned()),
        ("ANSHIN_REDIS_URL", redis_url()),
        (
            "ANSHIN_ORIGINS",
            format!("http://localhost:{port_a},http://localhost:{port_b}"),
        ),
    ];
    // One after the other: the first creates the signing key that both use.
    let a = spawn_anshin(port_a, &vars).await;
    let b = spawn_anshin(port_b, &vars).await;
    let (a, b) = (&a.server, &b.server);

    // Registration: options on A, verify on B.
    let mut authenticator = a.authenticator(21);
    let options = a
        .post(
            "/v1/registration/options",
            None,
            &json!({"user": {"name": "multi"}}),
        )
        .await
        .ok();
    let response = authenticator
        .create(&creation_options(&options), &Default::default(), &[])
        .unwrap();
    let registered = b
        .post(
            "/v1/registration/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
        .ok();
    let user = registered["user_id"].as_str().unwrap();

    // Authentication: options on B, verify on A; the ceremony cannot be finished twice.
    let options = b
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "multi"}),
        )
        .await
        .ok();
    let assertion = authenticator.get(&request_options(&options), &[]).unwrap();
    let body = json!({"ceremony_id": options["ceremony_id"], "credential": assertion.json});
    let signed_in = a.post("/v1/authentication/verify", None, &body).await.ok();
    assert_eq!(signed_in["user_id"], user);
    b.post("/v1/authentication/verify", None, &body)
        .await
        .assert_problem(400, "ceremony_unknown_or_expired");

    // A token from A works on B (one key set in the shared store), and revoking it on B
    // ends it on A.
    let token = signed_in["session"]["token"].as_str().unwrap();
    let path = format!("/v1/users/{user}/credentials");
    b.call("GET", &path, Some(token), None).await.ok();
    let sid = signed_in["session"]["session_id"].as_str().unwrap();
    b.post(
        &format!("/v1/sessions/{sid}/revoke"),
        Some(harness::API_KEY),
        &json!({}),
    )
    .await
    .ok();
    a.call("GET", &path, Some(token), None)
        .await
        .assert_problem(401, "unauthorized");

    // Unknown user names get the same plausible credentials from either instance.
    let probe = json!({"username": "nobody-here"});
    let from_a = a
        .post("/v1/authentication/options", None, &probe)
        .await
        .ok();
    let from_b = b
        .post("/v1/authentication/options", None, &probe)
        .await
        .ok();
    assert_eq!(
        from_a["publicKey"]["allowCredentials"],
        from_b["publicKey"]["allowCredentials"]
    );
}

/// A TCP proxy in front of a real service, which the test can cut and restore.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (up2, connections2) = (up.clone(), connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections2.lock().await.push(handle);
            }
        });
        Self {
            port,
            up,
            connections,
            task,
        }
    }

    /// Refuses new connections and cuts the open ones.
    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for handle in self.connections.lock().await.drain(..) {
            handle.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Polls `/readyz` until it answers `want` (a recovering pool may need a few attempts).
async fn wait_ready(server: &harness::TestServer, want: u16) {
    for _ in 0..100 {
        if server
            .call("GET", "/readyz", None, None)
            .await
            .status
            .as_u16()
            == want
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/readyz never answered {want}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_answers_503_and_recovers_without_a_restart() {
    let target = redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = Proxy::start(target).await;
    let ephemeral = redis(&format!("redis://127.0.0.1:{}", proxy.port)).await;
    let server = harness::start_with(|_| {}, harness::sqlite_store().await, ephemeral).await;
    wait_ready(&server, 200).await;

    proxy.cut().await;
    wait_ready(&server, 503).await;
    let ready = server.call("GET", "/readyz", None, None).await;
    ready.assert_problem(503, "unavailable");
    server
        .post("/v1/authentication/options", None, &json!({}))
        .await
        .assert_problem(503, "unavailable");

    proxy.restore();
    wait_ready(&server, 200).await;
    server
        .post("/v1/authentication/options", None, &json!({}))
        .await
        .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_and_recovers_without_a_restart() {
    let database = TestPostgres::create().await;
    let proxy = Proxy::start("127.0.0.1:5432".to_owned()).await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/{}",
        proxy.port,
        database.name()
    );
    let store = postgres(&url).await;
    let ephemeral: Arc<dyn Ephemeral> = Arc::new(ephemeral::memory::MemoryEphemeral::default());
    let server = harness::start_with(|_| {}, store, ephemeral).await;
    let mut authenticator = server.authenticator(22);
    server.sign_up(&mut authenticator, "pg-user").await;

    proxy.cut().await;
    wait_ready(&server, 503).await;
    server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "pg-user"}),
        )
        .await
        .assert_problem(503, "unavailable");

    proxy.restore();
    wait_ready(&server, 200).await;
    server
        .sign_in(&mut authenticator, Some("pg-user"))
        .await
        .ok();
}
