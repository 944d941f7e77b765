//! Starts an anshin server in-process on a free port, with a real HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;

use anshin_conformance::authenticator::VirtualAuthenticator;
use anshin_server::app::AppState;
use anshin_server::config::Config;
use anshin_server::ephemeral::{Ephemeral, memory::MemoryEphemeral};
use anshin_server::store::Store;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use webauthn_core::json::{
    PublicKeyCredentialCreationOptionsJson, PublicKeyCredentialRequestOptionsJson,
};
use webauthn_core::{CreationOptionsJson, RequestOptionsJson};

/// The API key test servers accept.
pub const API_KEY: &str = "test-api-key-0123456789abcdef";

/// A running server.
pub struct TestServer {
    /// The task serving it, when it runs in this process.
    task: Option<tokio::task::JoinHandle<()>>,
    /// `http://localhost:PORT`.
    pub url: String,
    /// The origin its relying party accepts (same as `url`).
    pub origin: String,
    /// A client that keeps cookies.
    pub client: reqwest::Client,
    /// The server's store, when it runs in this process.
    pub store: Option<Arc<dyn Store>>,
    /// Its database URL, when the harness created the database.
    pub database_url: String,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A client for a server running elsewhere (another process).
pub async fn client_for(url: &str) -> TestServer {
    TestServer {
        task: None,
        store: None,
        database_url: String::new(),
        url: url.to_owned(),
        origin: url.to_owned(),
        client: {
            anshin_server::install_crypto_provider();
            reqwest::Client::builder()
        }
        .cookie_store(true)
        .build()
        .unwrap(),
    }
}

/// A fresh SQLite database file.
pub async fn sqlite_store() -> Arc<dyn Store> {
    sqlite_store_with_url().await.0
}

/// A fresh SQLite database file, and its URL.
pub async fn sqlite_store_with_url() -> (Arc<dyn Store>, String) {
    let path = std::env::temp_dir().join(format!("anshin-it-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    let store = anshin_server::store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    (store, url)
}

/// Binds a port and builds a configuration whose origin is `http://localhost:PORT`.
pub async fn bind(configure: impl FnOnce(&mut Config)) -> (tokio::net::TcpListener, Config) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = Config {
        origins: vec![format!("http://localhost:{port}")],
        api_keys: vec![API_KEY.to_owned()],
        ..Config::default()
    };
    configure(&mut config);
    (listener, config)
}

/// Starts a server with SQLite and the in-memory ephemeral store.
pub async fn start(configure: impl FnOnce(&mut Config)) -> TestServer {
    let ephemeral: Arc<dyn Ephemeral> = Arc::new(MemoryEphemeral::default());
    let (store, url) = sqlite_store_with_url().await;
    let mut server = start_with(configure, store, ephemeral).await;
    server.database_url = url;
    server
}

/// Starts a server on the given stores.
pub async fn start_with(
    configure: impl FnOnce(&mut Config),
    store: Arc<dyn Store>,
    ephemeral: Arc<dyn Ephemeral>,
) -> TestServer {
    let (listener, config) = bind(configure).await;
    serve(listener, config, store, ephemeral).await
}

/// Serves on a bound listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    store: Arc<dyn Store>,
    ephemeral: Arc<dyn Ephemeral>,
) -> TestServer {
    let port = listener.local_addr().unwrap().port();
    let state = AppState::with_stores(config, store.clone(), ephemeral)
        .await
        .unwrap();
    let exporters = anshin_server::export::spawn(&state).unwrap();
    let app = anshin_server::http::router(state);
    let task = tokio::spawn(async move {
        let _exporters = exporters;
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let url = format!("http://localhost:{port}");
    TestServer {
        store: Some(store),
        database_url: String::new(),
        task: Some(task),
        origin: url.clone(),
        url,
        client: {
            anshin_server::install_crypto_provider();
            reqwest::Client::builder()
        }
        .cookie_store(true)
        .build()
        .unwrap(),
    }
}

/// A response's status and JSON body (`Value::Null` when the body is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl Answer {
    /// Asserts a problem document with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "body: {}",
            self.body
        );
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "a problem carries a human message: {}",
            self.body
        );
    }

    /// Asserts 200 and returns the body.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(self.status.is_success(), "{}: {}", self.status, self.body);
        self.body
    }
}

impl TestServer {
    /// The store of a server running in this process.
    pub fn state_store(&self) -> &Arc<dyn Store> {
        self.store.as_ref().expect("an in-process server")
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            body,
        }
    }

    /// POST with JSON.
    pub async fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> Answer {
        self.call("POST", path, bearer, Some(body)).await
    }

    /// A virtual authenticator for this server's origin.
    #[must_use]
    pub fn authenticator(&self, seed: u64) -> VirtualAuthenticator {
        VirtualAuthenticator::new(seed).with_origin(&self.origin)
    }

    /// Registers a passkey through open sign-up; returns the verify answer.
    pub async fn sign_up(&self, authenticator: &mut VirtualAuthenticator, name: &str) -> Value {
        let options = self
            .post(
                "/v1/registration/options",
                None,
                &json!({"user": {"name": name}}),
            )
            .await
            .ok();
        let response = authenticator
            .create(&creation_options(&options), &Default::default(), &[])
            .unwrap();
        self.post(
            "/v1/registration/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
        .ok()
    }

    /// Signs in with a passkey (username-first when `username` is given).
    pub async fn sign_in(
        &self,
        authenticator: &mut VirtualAuthenticator,
        username: Option<&str>,
    ) -> Answer {
        let body = match username {
            Some(name) => json!({"username": name}),
            None => json!({}),
        };
        let options = self
            .post("/v1/authentication/options", None, &body)
            .await
            .ok();
        let response = authenticator.get(&request_options(&options), &[]).unwrap();
        self.post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
    }
}

/// The creation options of an options answer, as the virtual authenticator takes them.
pub fn creation_options(answer: &Value) -> CreationOptionsJson {
    let public_key: PublicKeyCredentialCreationOptionsJson =
        serde_json::from_value(answer["publicKey"].clone()).unwrap();
    CreationOptionsJson {
        public_key,
        mediation: None,
    }
}

/// The request options of an options answer.
pub fn request_options(answer: &Value) -> RequestOptionsJson {
    let public_key: PublicKeyCredentialRequestOptionsJson =
        serde_json::from_value(answer["publicKey"].clone()).unwrap();
    RequestOptionsJson {
        public_key,
        mediation: None,
    }
}

/// Verifies an ES256 JWT against the server's published JWKS, as a backend would.
pub async fn verify_with_jwks(server: &TestServer, token: &str) -> Value {
    let jwks = server
        .call("GET", "/.well-known/jwks.json", None, None)
        .await
        .ok();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let (header, payload) = signed.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the token's kid is published");
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap());
    point.extend(URL_SAFE_NO_PAD.decode(key["y"].as_str().unwrap()).unwrap());
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .expect("the token verifies against the JWKS");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}
