//! Helpers shared by the integration tests: throwaway databases (PostgreSQL and SQLite), ready
//! stores on them, and test credentials with real COSE keys.
//!
//! ```ignore
//! let db = support::TestPostgres::create().await;      // CREATE DATABASE anshin_test_<random>
//! let store = PostgresStore::connect(db.url()).await?; // ... use it ...
//! // dropped at the end of the test (also on panic): DROP DATABASE ... WITH (FORCE)
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use anshin_server::store::postgres::PostgresStore;
use anshin_server::store::sqlite::SqliteStore;
use anshin_server::store::{AttestationSummary, NewEvent, Session, Store, StoredCredential, User};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use uuid::Uuid;
use webauthn_core::json::AuthenticatorTransport;
use webauthn_core::{Aaguid, CredentialId, CredentialPublicKey, CredentialRecord, UserHandle};

/// The PostgreSQL server the tests use: `DATABASE_URL`, or the local default.
pub fn postgres_admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A PostgreSQL database of its own for one test: created empty, dropped (best effort, with
/// `WITH (FORCE)`, so open connections do not keep it alive) when this guard is dropped,
/// which also happens when the test panics.
#[derive(Debug)]
pub struct TestPostgres {
    name: String,
    url: String,
    admin_url: String,
}

impl TestPostgres {
    /// Creates `anshin_test_<random>` on the server [`postgres_admin_url`] names.
    ///
    /// # Panics
    /// When PostgreSQL cannot be reached, with a message saying how to point the tests at one.
    pub async fn create() -> Self {
        let admin_url = postgres_admin_url();
        let name = format!("anshin_test_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL must be running for this test (DATABASE_URL, default \
                 postgres://postgres@127.0.0.1:5432/postgres): {e}"
            )
        });
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            name,
            url: url.into(),
            admin_url,
        }
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    #[allow(dead_code)]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await, and may run inside the test's runtime: do it on a thread of its
        // own with a runtime of its own. Never panic here (it may run during a panic).
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(AssertSqlSafe(sql))
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok::<_, String>(())
            })
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!(
                "could not drop test database {}: the thread panicked",
                self.name
            ),
        }
    }
}

/// A fresh PostgreSQL database: its URL, and the guard that drops it.
pub async fn fresh_postgres_url() -> (String, TestPostgres) {
    let db = TestPostgres::create().await;
    (db.url().to_owned(), db)
}

/// A SQLite database file of its own for one test (in the temporary directory, not created
/// yet), removed with its `-wal` and `-shm` files when this guard is dropped.
#[derive(Debug)]
pub struct TestSqlite {
    path: PathBuf,
    url: String,
}

impl TestSqlite {
    /// A new, unused path.
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("anshin_test_{}.db", Uuid::new_v4().simple()));
        let url = format!("sqlite://{}", path.display());
        Self { path, url }
    }

    /// The `sqlite://` URL of the file.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The file's path.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for TestSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A migrated [`SqliteStore`] on a fresh file, and the guard that removes the file.
pub async fn sqlite_store() -> (Arc<dyn Store>, TestSqlite) {
    let file = TestSqlite::new();
    let store = SqliteStore::connect(file.url()).await.expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    (Arc::new(store), file)
}

/// A migrated [`PostgresStore`] on a fresh database, and the guard that drops the database.
pub async fn postgres_store() -> (Arc<dyn Store>, TestPostgres) {
    let db = TestPostgres::create().await;
    let store = PostgresStore::connect(db.url())
        .await
        .expect("connect to PostgreSQL");
    store.migrate().await.expect("migrate PostgreSQL");
    (Arc::new(store), db)
}

/// The COSE_Key of a fresh ES256 (P-256) key pair: `{1: 2, 3: -7, -1: 1, -2: x, -3: y}`.
pub fn es256_cose_key() -> Vec<u8> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .expect("generate a P-256 key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
        .expect("parse the generated key");
    // An uncompressed SEC1 point: 0x04 || x || y.
    let point = pair.public_key().as_ref();
    assert_eq!(point.len(), 65);
    assert_eq!(point[0], 0x04);
    let mut cose = vec![
        0xa5, // map(5)
        0x01, 0x02, // 1 (kty): 2 (EC2)
        0x03, 0x26, // 3 (alg): -7 (ES256)
        0x20, 0x01, // -1 (crv): 1 (P-256)
        0x21, 0x58, 0x20, // -2 (x): bytes(32)
    ];
    cose.extend_from_slice(&point[1..33]);
    cose.extend_from_slice(&[0x22, 0x58, 0x20]); // -3 (y): bytes(32)
    cose.extend_from_slice(&point[33..65]);
    cose
}

/// A fresh ES256 credential public key.
pub fn es256_public_key() -> CredentialPublicKey {
    CredentialPublicKey::from_cose(&es256_cose_key()).expect("a valid COSE key")
}

/// A user named `name` with a random id and handle, created at `created_at`.
pub fn test_user(name: &str, created_at: i64) -> User {
    User {
        id: Uuid::new_v4(),
        handle: UserHandle::new(Uuid::new_v4().as_bytes().to_vec()).expect("16 bytes"),
        name: name.to_owned(),
        display_name: format!("{name} (display)"),
        phone: None,
        created_at,
    }
}

/// A credential of `user` with id `id`, created at `created_at`, with a real ES256 key and
/// non-default values in every field.
pub fn test_credential(user: &User, id: &[u8], created_at: i64) -> StoredCredential {
    StoredCredential {
        record: CredentialRecord {
            id: CredentialId::new(id.to_vec()),
            user_handle: user.handle.clone(),
            public_key: es256_public_key(),
            sign_count: 7,
            uv_initialized: true,
            transports: vec![
                AuthenticatorTransport(AuthenticatorTransport::HYBRID.to_owned()),
                AuthenticatorTransport(AuthenticatorTransport::INTERNAL.to_owned()),
            ],
            backup_eligible: true,
            backup_state: false,
            aaguid: Aaguid([
                0xad, 0xce, 0x00, 0x02, 0x35, 0xbc, 0xc6, 0x0a, 0x64, 0x8b, 0x0b, 0x25, 0xf1, 0xf0,
                0x55, 0x03,
            ]),
            attestation_format: "packed".to_owned(),
            discoverable: Some(true),
        },
        user_id: user.id,
        nickname: Some("laptop".to_owned()),
        authenticator_name: Some("Test Authenticator".to_owned()),
        attestation: AttestationSummary {
            format: "packed".to_owned(),
            kind: "basic".to_owned(),
            trusted: true,
        },
        created_at,
        last_used_at: None,
    }
}

/// A session of `user`, opened with `credential`.
pub fn test_session(id: &str, user: &User, credential: Option<&CredentialId>) -> Session {
    Session {
        id: id.to_owned(),
        user_id: user.id,
        credential_id: credential.cloned(),
        acr: "phr".to_owned(),
        amr: vec!["hwk".to_owned(), "user".to_owned()],
        auth_time: 1_700_000_000,
        created_at: 1_700_000_000,
        expires_at: 1_700_003_600,
        revoked_at: None,
        levels: [("phr".to_owned(), 1_700_000_000)].into_iter().collect(),
    }
}

/// An event of `kind` about `user`.
pub fn test_event(kind: &str, user: Option<Uuid>, created_at: i64) -> NewEvent {
    NewEvent {
        kind: kind.to_owned(),
        user_id: user,
        credential_id: None,
        data: serde_json::json!({ "kind": kind, "n": created_at, "nested": { "ok": true } }),
        created_at,
    }
}
