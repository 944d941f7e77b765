//! The SQLite store: the embedded default (`sqlite://anshin.db`).
//!
//! The [`Store`](super::Store) implementation itself is written once, in the
//! `sqlx_store_impl!` macro below, and expanded here and in [`super::postgres`]: the two
//! backends run the same SQL text (sqlx accepts `$1`-style parameters for SQLite too). What
//! differs lives in the migrations (column types, identity columns) and in a few items each
//! backend module defines for the macro:
//!
//! - `Db`, the sqlx database type;
//! - `uuid_arg(Uuid)`, how a UUID is bound, and `uuid_col(&row, column)`, how it is read back
//!   (TEXT here, the native `uuid` type in PostgreSQL);
//! - `MIGRATIONS`, the backend's embedded migrations.
//!
//! The backend-neutral helpers (error mapping, row decoding, the migrator) are in the private
//! `shared` module.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use uuid::Uuid;

use super::{StoreError, StoreResult};

/// How long a connection waits for a lock held by another connection before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections of a file database's pool (WAL: many readers, one writer at a time).
const MAX_CONNECTIONS: u32 = 8;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// This process's writes, one at a time. SQLite has one writer at a time, and a connection
    /// that finds the write lock taken does not wait to be woken: its busy handler sleeps
    /// 1, 2, 5, 10, 15, 20, 25... ms between tries, which under concurrent sign-ins made most
    /// of the latency tail. Writers queue here instead (first come, first served) and take the
    /// lock as soon as the previous one commits. Other processes on the same file are still
    /// waited for through the busy timeout.
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (and creates, if missing) the database a `sqlite:` URL names.
    ///
    /// A file database gets a pool of connections in WAL mode; an in-memory one
    /// (`sqlite::memory:`) gets a single connection that is never closed, so that every call
    /// sees the same data. Foreign keys are enforced and a locked database is waited on for up
    /// to 5 seconds. Migrations are not run: call [`Store::migrate`](super::Store::migrate).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL is invalid or the database cannot be opened.
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool_options = SqlitePoolOptions::new().acquire_timeout(BUSY_TIMEOUT * 2);
        let pool = if in_memory {
            // An in-memory database lives only as long as a connection to it: keep exactly one
            // connection, for ever (one also avoids shared-cache table locks).
            pool_options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
        } else {
            pool_options
                .max_connections(MAX_CONNECTIONS)
                // `synchronous` stays FULL (the default): a revocation or a counter update must
                // survive a power cut once the call has returned.
                .connect_with(options.journal_mode(SqliteJournalMode::Wal))
                .await
        }
        .map_err(map_sqlx)?;
        Ok(Self {
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Waits for this process's turn to write (see the `writer` field).
    async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        Some(self.writer.lock().await)
    }
}

type Db = sqlx::Sqlite;

/// The migrations, embedded (version, description, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "activity",
        include_str!("../../migrations/sqlite/0002_activity.sql"),
    ),
    (
        3,
        "webhooks",
        include_str!("../../migrations/sqlite/0003_webhooks.sql"),
    ),
];

/// A user id as SQLite stores it: lowercase hyphenated text.
fn uuid_arg(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// Reads a user id column.
fn uuid_col(row: &SqliteRow, column: &str) -> StoreResult<Uuid> {
    let text: String = sqlx::Row::try_get(row, column).map_err(map_sqlx)?;
    Uuid::parse_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// Reads a nullable user id column.
fn uuid_col_opt(row: &SqliteRow, column: &str) -> StoreResult<Option<Uuid>> {
    let text: Option<String> = sqlx::Row::try_get(row, column).map_err(map_sqlx)?;
    text.map(|t| Uuid::parse_str(&t).map_err(|e| StoreError::Corrupt(format!("{column}: {e}"))))
        .transpose()
}

/// Backend-neutral pieces of the two sqlx stores.
pub(super) mod shared {
    use std::borrow::Cow;

    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use sqlx::SqlSafeStr;
    use sqlx::error::ErrorKind;
    use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
    use uuid::Uuid;
    use webauthn_core::json::AuthenticatorTransport;
    use webauthn_core::{Aaguid, CredentialId, CredentialPublicKey, CredentialRecord, UserHandle};

    use crate::store::{
        AttestationSummary, NewEvent, SecurityEvent, Session, StoreError, StoredCredential, User,
    };

    /// Events listed when the query does not say how many.
    pub(in crate::store) const DEFAULT_EVENT_LIMIT: u32 = 100;
    /// The most events one call lists.
    pub(in crate::store) const MAX_EVENT_LIMIT: u32 = 1000;

    /// The `LIMIT` for an event query's `limit`: 0 means the default, and it is capped.
    pub(in crate::store) fn event_limit(limit: u32) -> i64 {
        let limit = if limit == 0 {
            DEFAULT_EVENT_LIMIT
        } else {
            limit.min(MAX_EVENT_LIMIT)
        };
        i64::from(limit)
    }

    /// Builds a migrator from embedded migrations (version, description, SQL).
    ///
    /// This is what `sqlx::migrate!` would expand to (same versions, descriptions and
    /// checksums), without needing sqlx's `macros` feature.
    pub(in crate::store) fn migrator(
        migrations: &'static [(i64, &'static str, &'static str)],
    ) -> Migrator {
        Migrator::with_migrations(
            migrations
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        sql.into_sql_str(),
                        false,
                    )
                })
                .collect(),
        )
    }

    /// Maps a sqlx error to a store error.
    ///
    /// Unique violations become [`StoreError::Conflict`] naming the entity (`credential`,
    /// `user`, `api_key`, `signing_key`, `session`); a missing user behind a foreign key becomes
    /// `NotFound("user")`; decoding problems and rows the schema rejects are
    /// [`StoreError::Corrupt`]; everything else (I/O, pool, lock timeouts, database down) is
    /// [`StoreError::Unavailable`].
    pub(in crate::store) fn map_sqlx(error: sqlx::Error) -> StoreError {
        match error {
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation => {
                    // PostgreSQL names the constraint (`users_name_key`); SQLite names the
                    // column in its message (`UNIQUE constraint failed: users.name`).
                    let what = db.constraint().unwrap_or_else(|| db.message());
                    StoreError::Conflict(conflicting_entity(what))
                }
                // Every foreign key of the schema points at `users`.
                ErrorKind::ForeignKeyViolation => StoreError::NotFound("user"),
                ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                    StoreError::Corrupt(format!("value rejected by the schema: {db}"))
                }
                _ => StoreError::Unavailable(db.to_string()),
            },
            error @ (sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::TypeNotFound { .. }
            | sqlx::Error::RowNotFound) => StoreError::Corrupt(error.to_string()),
            error => StoreError::Unavailable(error.to_string()),
        }
    }

    /// The entity a unique constraint (or SQLite's message about it) is about.
    fn conflicting_entity(constraint: &str) -> &'static str {
        const ENTITIES: [(&str, &str); 5] = [
            ("credentials", "credential"),
            ("users", "user"),
            ("api_keys", "api_key"),
            ("signing_keys", "signing_key"),
            ("sessions", "session"),
        ];
        ENTITIES
            .iter()
            .find(|(table, _)| constraint.contains(table))
            .map_or("unique", |&(_, entity)| entity)
    }

    /// Maps a migration error to a store error.
    pub(in crate::store) fn map_migrate(error: MigrateError) -> StoreError {
        match error {
            MigrateError::Execute(error) => map_sqlx(error),
            MigrateError::ExecuteMigration(error, version) => match map_sqlx(error) {
                StoreError::Unavailable(e) => {
                    StoreError::Unavailable(format!("migration {version}: {e}"))
                }
                StoreError::Corrupt(e) => StoreError::Corrupt(format!("migration {version}: {e}")),
                other @ (StoreError::Conflict(_) | StoreError::NotFound(_)) => other,
            },
            // Applied migrations that differ from the embedded ones: a database of another
            // version of anshin, or one edited by hand.
            other => StoreError::Corrupt(other.to_string()),
        }
    }

    /// Serializes a value stored as JSON text.
    pub(in crate::store) fn to_json<T: Serialize + ?Sized>(
        value: &T,
    ) -> Result<String, StoreError> {
        serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("to JSON: {e}")))
    }

    /// Parses a JSON text column.
    fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
    }

    /// A `users` row.
    pub(in crate::store) struct UserRow {
        pub(in crate::store) id: Uuid,
        pub(in crate::store) handle: Vec<u8>,
        pub(in crate::store) name: String,
        pub(in crate::store) display_name: String,
        pub(in crate::store) phone: Option<String>,
        pub(in crate::store) created_at: i64,
    }

    impl UserRow {
        pub(in crate::store) fn decode(self) -> Result<User, StoreError> {
            Ok(User {
                id: self.id,
                handle: UserHandle::new(self.handle)
                    .map_err(|e| StoreError::Corrupt(format!("users.handle: {e}")))?,
                name: self.name,
                display_name: self.display_name,
                phone: self.phone,
                created_at: self.created_at,
            })
        }
    }

    /// A `credentials` row joined with its owner's handle.
    pub(in crate::store) struct CredentialRow {
        pub(in crate::store) id: Vec<u8>,
        pub(in crate::store) user_id: Uuid,
        pub(in crate::store) user_handle: Vec<u8>,
        pub(in crate::store) public_key: Vec<u8>,
        pub(in crate::store) sign_count: i64,
        pub(in crate::store) uv_initialized: bool,
        pub(in crate::store) transports: String,
        pub(in crate::store) backup_eligible: bool,
        pub(in crate::store) backup_state: bool,
        pub(in crate::store) aaguid: Vec<u8>,
        pub(in crate::store) attestation_format: String,
        pub(in crate::store) discoverable: Option<bool>,
        pub(in crate::store) nickname: Option<String>,
        pub(in crate::store) authenticator_name: Option<String>,
        pub(in crate::store) attestation_type: String,
        pub(in crate::store) attestation_trusted: bool,
        pub(in crate::store) created_at: i64,
        pub(in crate::store) last_used_at: Option<i64>,
    }

    impl CredentialRow {
        /// The credential; `attestation.format` is `record.attestation_format` (one column).
        pub(in crate::store) fn decode(self) -> Result<StoredCredential, StoreError> {
            let corrupt = |column: &str, e: &dyn std::fmt::Display| {
                StoreError::Corrupt(format!("credentials.{column}: {e}"))
            };
            let aaguid: [u8; 16] = self
                .aaguid
                .try_into()
                .map_err(|b: Vec<u8>| corrupt("aaguid", &format!("{} bytes", b.len())))?;
            let transports: Vec<AuthenticatorTransport> =
                from_json("credentials.transports", &self.transports)?;
            Ok(StoredCredential {
                record: CredentialRecord {
                    id: CredentialId::new(self.id),
                    user_handle: UserHandle::new(self.user_handle)
                        .map_err(|e| corrupt("user handle", &e))?,
                    public_key: CredentialPublicKey::from_cose(&self.public_key)
                        .map_err(|e| corrupt("public_key", &e))?,
                    sign_count: u32::try_from(self.sign_count)
                        .map_err(|e| corrupt("sign_count", &e))?,
                    uv_initialized: self.uv_initialized,
                    transports,
                    backup_eligible: self.backup_eligible,
                    backup_state: self.backup_state,
                    aaguid: Aaguid(aaguid),
                    attestation_format: self.attestation_format.clone(),
                    discoverable: self.discoverable,
                },
                user_id: self.user_id,
                nickname: self.nickname,
                authenticator_name: self.authenticator_name,
                attestation: AttestationSummary {
                    format: self.attestation_format,
                    kind: self.attestation_type,
                    trusted: self.attestation_trusted,
                },
                created_at: self.created_at,
                last_used_at: self.last_used_at,
            })
        }
    }

    /// A `sessions` row.
    pub(in crate::store) struct SessionRow {
        pub(in crate::store) id: String,
        pub(in crate::store) user_id: Uuid,
        pub(in crate::store) credential_id: Option<Vec<u8>>,
        pub(in crate::store) acr: String,
        pub(in crate::store) amr: String,
        pub(in crate::store) auth_time: i64,
        pub(in crate::store) created_at: i64,
        pub(in crate::store) expires_at: i64,
        pub(in crate::store) revoked_at: Option<i64>,
        pub(in crate::store) acr_levels: String,
    }

    impl SessionRow {
        pub(in crate::store) fn decode(self) -> Result<Session, StoreError> {
            Ok(Session {
                id: self.id,
                user_id: self.user_id,
                credential_id: self.credential_id.map(CredentialId::new),
                acr: self.acr,
                amr: from_json("sessions.amr", &self.amr)?,
                auth_time: self.auth_time,
                created_at: self.created_at,
                expires_at: self.expires_at,
                revoked_at: self.revoked_at,
                levels: from_json("sessions.acr_levels", &self.acr_levels)?,
            })
        }
    }

    /// A `security_events` row.
    pub(in crate::store) struct EventRow {
        pub(in crate::store) id: i64,
        pub(in crate::store) kind: String,
        pub(in crate::store) user_id: Option<Uuid>,
        pub(in crate::store) credential_id: Option<Vec<u8>>,
        pub(in crate::store) data: String,
        pub(in crate::store) created_at: i64,
    }

    impl EventRow {
        pub(in crate::store) fn decode(self) -> Result<SecurityEvent, StoreError> {
            Ok(SecurityEvent {
                id: self.id,
                event: NewEvent {
                    kind: self.kind,
                    user_id: self.user_id,
                    credential_id: self.credential_id.map(CredentialId::new),
                    data: from_json("security_events.data", &self.data)?,
                    created_at: self.created_at,
                },
            })
        }
    }

    /// A stored API key hash, checked for length.
    pub(in crate::store) fn api_key_hash(hash: Vec<u8>) -> Result<[u8; 32], StoreError> {
        hash.try_into().map_err(|b: Vec<u8>| {
            StoreError::Corrupt(format!("api_keys.hash: {} bytes instead of 32", b.len()))
        })
    }
}

/// The [`Store`](super::Store) implementation for a sqlx backend.
///
/// Expanded in a backend module that defines `Db`, `MIGRATIONS`, `uuid_arg`, `uuid_col` and
/// `uuid_col_opt` (see the module documentation). Every query is written so that its first
/// statement in a transaction is a write: SQLite then takes the write lock at once (waiting
/// for it under the busy timeout) instead of failing to upgrade a read lock.
macro_rules! sqlx_store_impl {
    ($store:ident, $backend:tt) => {
        type DbRow = <Db as sqlx::Database>::Row;
        type DbConnection = <Db as sqlx::Database>::Connection;

        static MIGRATOR: std::sync::LazyLock<sqlx::migrate::Migrator> =
            std::sync::LazyLock::new(|| $crate::store::sqlite::shared::migrator(MIGRATIONS));

        use $crate::store::sqlite::shared::{map_sqlx, to_json};

        /// Reads a column.
        fn col<'r, T>(row: &'r DbRow, column: &str) -> $crate::store::StoreResult<T>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            sqlx::Row::try_get(row, column).map_err(map_sqlx)
        }

        macro_rules! user_columns {
            () => {
                "id, handle, name, display_name, phone, created_at"
            };
        }

        fn user_from_row(row: &DbRow) -> $crate::store::StoreResult<$crate::store::User> {
            $crate::store::sqlite::shared::UserRow {
                id: uuid_col(row, "id")?,
                handle: col(row, "handle")?,
                name: col(row, "name")?,
                display_name: col(row, "display_name")?,
                phone: col(row, "phone")?,
                created_at: col(row, "created_at")?,
            }
            .decode()
        }

        fn credential_from_row(
            row: &DbRow,
        ) -> $crate::store::StoreResult<$crate::store::StoredCredential> {
            $crate::store::sqlite::shared::CredentialRow {
                id: col(row, "id")?,
                user_id: uuid_col(row, "user_id")?,
                user_handle: col(row, "handle")?,
                public_key: col(row, "public_key")?,
                sign_count: col(row, "sign_count")?,
                uv_initialized: col(row, "uv_initialized")?,
                transports: col(row, "transports")?,
                backup_eligible: col(row, "backup_eligible")?,
                backup_state: col(row, "backup_state")?,
                aaguid: col(row, "aaguid")?,
                attestation_format: col(row, "attestation_format")?,
                discoverable: col(row, "discoverable")?,
                nickname: col(row, "nickname")?,
                authenticator_name: col(row, "authenticator_name")?,
                attestation_type: col(row, "attestation_type")?,
                attestation_trusted: col(row, "attestation_trusted")?,
                created_at: col(row, "created_at")?,
                last_used_at: col(row, "last_used_at")?,
            }
            .decode()
        }

        fn session_from_row(row: &DbRow) -> $crate::store::StoreResult<$crate::store::Session> {
            $crate::store::sqlite::shared::SessionRow {
                id: col(row, "id")?,
                user_id: uuid_col(row, "user_id")?,
                credential_id: col(row, "credential_id")?,
                acr: col(row, "acr")?,
                amr: col(row, "amr")?,
                auth_time: col(row, "auth_time")?,
                created_at: col(row, "created_at")?,
                expires_at: col(row, "expires_at")?,
                revoked_at: col(row, "revoked_at")?,
                acr_levels: col(row, "acr_levels")?,
            }
            .decode()
        }

        fn event_from_row(
            row: &DbRow,
        ) -> $crate::store::StoreResult<$crate::store::SecurityEvent> {
            $crate::store::sqlite::shared::EventRow {
                id: col(row, "id")?,
                kind: col(row, "kind")?,
                user_id: uuid_col_opt(row, "user_id")?,
                credential_id: col(row, "credential_id")?,
                data: col(row, "data")?,
                created_at: col(row, "created_at")?,
            }
            .decode()
        }

        async fn insert_user(
            conn: &mut DbConnection,
            user: &$crate::store::User,
        ) -> $crate::store::StoreResult<()> {
            sqlx::query(
                "INSERT INTO users (id, handle, name, display_name, phone, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(uuid_arg(user.id))
            .bind(user.handle.as_bytes())
            .bind(&user.name)
            .bind(&user.display_name)
            .bind(user.phone.as_deref())
            .bind(user.created_at)
            .execute(conn)
            .await
            .map_err(map_sqlx)?;
            Ok(())
        }

        async fn insert_credential(
            conn: &mut DbConnection,
            credential: &$crate::store::StoredCredential,
        ) -> $crate::store::StoreResult<()> {
            let record = &credential.record;
            sqlx::query(
                "INSERT INTO credentials (id, user_id, public_key, sign_count, uv_initialized, \
                 transports, backup_eligible, backup_state, aaguid, attestation_format, \
                 discoverable, nickname, authenticator_name, attestation_type, \
                 attestation_trusted, created_at, last_used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17)",
            )
            .bind(record.id.as_bytes())
            .bind(uuid_arg(credential.user_id))
            .bind(record.public_key.as_cose())
            .bind(i64::from(record.sign_count))
            .bind(record.uv_initialized)
            .bind(to_json(&record.transports)?)
            .bind(record.backup_eligible)
            .bind(record.backup_state)
            .bind(&record.aaguid.0[..])
            .bind(&record.attestation_format)
            .bind(record.discoverable)
            .bind(credential.nickname.as_deref())
            .bind(credential.authenticator_name.as_deref())
            .bind(&credential.attestation.kind)
            .bind(credential.attestation.trusted)
            .bind(credential.created_at)
            .bind(credential.last_used_at)
            .execute(conn)
            .await
            .map_err(map_sqlx)?;
            Ok(())
        }

        async fn insert_session(
            conn: &mut DbConnection,
            session: &$crate::store::Session,
        ) -> $crate::store::StoreResult<()> {
            sqlx::query(
                "INSERT INTO sessions (id, user_id, credential_id, acr, amr, auth_time, \
                 created_at, expires_at, revoked_at, acr_levels) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&session.id)
            .bind(uuid_arg(session.user_id))
            .bind(session.credential_id.as_ref().map(webauthn_core::CredentialId::as_bytes))
            .bind(&session.acr)
            .bind(to_json(&session.amr)?)
            .bind(session.auth_time)
            .bind(session.created_at)
            .bind(session.expires_at)
            .bind(session.revoked_at)
            .bind(to_json(&session.levels)?)
            .execute(conn)
            .await
            .map_err(map_sqlx)?;
            Ok(())
        }

        async fn insert_events(
            conn: &mut DbConnection,
            events: &[$crate::store::NewEvent],
        ) -> $crate::store::StoreResult<()> {
            for event in events {
                sqlx::query(
                    "INSERT INTO security_events (kind, user_id, credential_id, data, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&event.kind)
                .bind(event.user_id.map(uuid_arg))
                .bind(event.credential_id.as_ref().map(webauthn_core::CredentialId::as_bytes))
                .bind(to_json(&event.data)?)
                .bind(event.created_at)
                .execute(&mut *conn)
                .await
                .map_err(map_sqlx)?;
            }
            Ok(())
        }

        macro_rules! credential_columns {
            () => {
                "c.id, c.user_id, u.handle, c.public_key, c.sign_count, \
                 c.uv_initialized, c.transports, c.backup_eligible, c.backup_state, c.aaguid, \
                 c.attestation_format, c.discoverable, c.nickname, c.authenticator_name, \
                 c.attestation_type, c.attestation_trusted, c.created_at, c.last_used_at"
            };
        }

        macro_rules! credential_select {
            () => {
                concat!(
                    "SELECT ",
                    credential_columns!(),
                    " FROM credentials c JOIN users u ON u.id = c.user_id"
                )
            };
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn migrate(&self) -> $crate::store::StoreResult<()> {
                MIGRATOR
                    .run(&self.pool)
                    .await
                    .map_err($crate::store::sqlite::shared::map_migrate)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn ping(&self) -> $crate::store::StoreResult<()> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map_err(map_sqlx)?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn create_user(
                &self,
                user: &$crate::store::User,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<()> {
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                insert_user(&mut tx, user).await?;
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn user(
                &self,
                id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                sqlx::query(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE id = $1"
                ))
                .bind(uuid_arg(id))
                .fetch_optional(&self.pool)
                .await
                .map_err(map_sqlx)?
                .as_ref()
                .map(user_from_row)
                .transpose()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn user_by_name(
                &self,
                name: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                sqlx::query(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE name = $1"
                ))
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_sqlx)?
                .as_ref()
                .map(user_from_row)
                .transpose()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn user_by_handle(
                &self,
                handle: &webauthn_core::UserHandle,
            ) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                sqlx::query(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE handle = $1"
                ))
                .bind(handle.as_bytes())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_sqlx)?
                .as_ref()
                .map(user_from_row)
                .transpose()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn update_user(
                &self,
                id: uuid::Uuid,
                patch: &$crate::store::UserPatch,
            ) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                let _writing = self.writer().await;
                let (set_phone, phone) = match &patch.phone {
                    Some(phone) => (true, phone.as_deref()),
                    None => (false, None),
                };
                sqlx::query(concat!(
                    "UPDATE users SET display_name = COALESCE($2, display_name), \
                     phone = CASE WHEN $3 THEN $4 ELSE phone END \
                     WHERE id = $1 RETURNING ",
                    user_columns!()
                ))
                .bind(uuid_arg(id))
                .bind(patch.display_name.as_deref())
                .bind(set_phone)
                .bind(phone)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_sqlx)?
                .as_ref()
                .map(user_from_row)
                .transpose()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn delete_user(
                &self,
                id: uuid::Uuid,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<bool> {
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                // Credentials and sessions go with the user (ON DELETE CASCADE); events stay.
                let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(uuid_arg(id))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_sqlx)?
                    .rows_affected();
                if deleted == 0 {
                    return Ok(false);
                }
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(true)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn register(
                &self,
                write: &$crate::store::RegistrationWrite,
            ) -> $crate::store::StoreResult<()> {
                let _writing = self.writer().await;
                // Dropping `tx` on an error rolls everything back.
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                if let Some(user) = &write.new_user {
                    insert_user(&mut tx, user).await?;
                }
                insert_credential(&mut tx, &write.credential).await?;
                if let Some(session) = &write.session {
                    insert_session(&mut tx, session).await?;
                }
                if let Some(login) = &write.login {
                    insert_login(&mut tx, login).await?;
                }
                if let Some(session_id) = &write.nudge_session {
                    convert_nudge(&mut tx, session_id, write.credential.created_at).await?;
                }
                insert_events(&mut tx, &write.events).await?;
                tx.commit().await.map_err(map_sqlx)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn credential(
                &self,
                id: &webauthn_core::CredentialId,
            ) -> $crate::store::StoreResult<Option<$crate::store::StoredCredential>> {
                sqlx::query(concat!(credential_select!(), " WHERE c.id = $1"))
                    .bind(id.as_bytes())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_sqlx)?
                    .as_ref()
                    .map(credential_from_row)
                    .transpose()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn credentials_of(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StoredCredential>> {
                sqlx::query(concat!(
                    credential_select!(),
                    " WHERE c.user_id = $1 ORDER BY c.created_at, c.id"
                ))
                .bind(uuid_arg(user_id))
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?
                .iter()
                .map(credential_from_row)
                .collect()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn credentials_of_name(
                &self,
                name: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StoredCredential>> {
                sqlx::query(concat!(
                    credential_select!(),
                    " WHERE u.name = $1 ORDER BY c.created_at, c.id"
                ))
                .bind(name)
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?
                .iter()
                .map(credential_from_row)
                .collect()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn sign_in_subject(
                &self,
                id: &webauthn_core::CredentialId,
            ) -> $crate::store::StoreResult<Option<$crate::store::SignInSubject>> {
                // The credential row (with its owner's columns), the owner's passkey count
                // and newest registration, and the owner's latest sign-in (the same order as
                // `last_login`), in one statement.
                let Some(row) = sqlx::query(concat!(
                    "SELECT ",
                    credential_columns!(),
                    ", u.name AS user_name, u.display_name AS user_display_name, \
                     u.phone AS user_phone, u.created_at AS user_created_at, \
                     (SELECT COUNT(*) FROM credentials c2 WHERE c2.user_id = c.user_id) \
                     AS passkey_count, \
                     (SELECT MAX(c2.created_at) FROM credentials c2 \
                     WHERE c2.user_id = c.user_id) AS newest_credential_at, \
                     l.at AS login_at, l.method AS login_method, l.ip AS login_ip, \
                     l.country AS login_country, l.city AS login_city, \
                     l.latitude AS login_latitude, l.longitude AS login_longitude, \
                     l.device_id AS login_device_id \
                     FROM credentials c JOIN users u ON u.id = c.user_id \
                     LEFT JOIN logins l ON l.id = (SELECT l2.id FROM logins l2 \
                     WHERE l2.user_id = c.user_id ORDER BY l2.at DESC, l2.id DESC LIMIT 1) \
                     WHERE c.id = $1"
                ))
                .bind(id.as_bytes())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_sqlx)?
                else {
                    return Ok(None);
                };
                let credential = credential_from_row(&row)?;
                let user = $crate::store::sqlite::shared::UserRow {
                    id: credential.user_id,
                    handle: col(&row, "handle")?,
                    name: col(&row, "user_name")?,
                    display_name: col(&row, "user_display_name")?,
                    phone: col(&row, "user_phone")?,
                    created_at: col(&row, "user_created_at")?,
                }
                .decode()?;
                let passkey_count: i64 = col(&row, "passkey_count")?;
                let newest_credential_at: Option<i64> = col(&row, "newest_credential_at")?;
                let login_at: Option<i64> = col(&row, "login_at")?;
                let last_login = match login_at {
                    Some(at) => Some($crate::store::LoginRecord {
                        user_id: credential.user_id,
                        at,
                        method: col(&row, "login_method")?,
                        ip: col(&row, "login_ip")?,
                        country: col(&row, "login_country")?,
                        city: col(&row, "login_city")?,
                        latitude: col(&row, "login_latitude")?,
                        longitude: col(&row, "login_longitude")?,
                        device_id: col(&row, "login_device_id")?,
                    }),
                    None => None,
                };
                Ok(Some($crate::store::SignInSubject {
                    passkey_count: u32::try_from(passkey_count).unwrap_or(u32::MAX),
                    newest_credential_at: newest_credential_at.unwrap_or(credential.created_at),
                    credential,
                    user,
                    last_login,
                }))
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn authenticated(
                &self,
                write: &$crate::store::AuthenticationWrite,
            ) -> $crate::store::StoreResult<()> {
                // The whole write goes to the database at once, as every statement costs a
                // round trip (to SQLite's worker thread or PostgreSQL's socket): PostgreSQL
                // gets one statement whose inserts are data-modifying CTEs, SQLite one batch
                // of statements in a transaction. The inserts happen only if the credential
                // is still there: when it is not, nothing is written.
                let postgres = $backend == "postgres";
                let guard = if postgres {
                    " WHERE EXISTS (SELECT 1 FROM updated)"
                } else {
                    " WHERE EXISTS (SELECT 1 FROM credentials WHERE id = $1 AND user_id = $2)"
                };
                let mut next = 7;
                let mut params = |count: usize| {
                    let list: Vec<String> =
                        (next + 1..=next + count).map(|i| format!("${i}")).collect();
                    next += count;
                    list.join(", ")
                };
                let mut inserts = Vec::new();
                if write.session.is_some() {
                    inserts.push(format!(
                        "INSERT INTO sessions (id, user_id, credential_id, acr, amr, auth_time, \
                         created_at, expires_at, revoked_at, acr_levels) SELECT {}{guard}",
                        params(10)
                    ));
                }
                if write.login.is_some() {
                    inserts.push(format!(
                        "INSERT INTO logins (user_id, at, method, ip, country, city, latitude, \
                         longitude, device_id) SELECT {}{guard}",
                        params(9)
                    ));
                }
                if write.decision.is_some() {
                    inserts.push(format!(
                        "INSERT INTO risk_decisions (id, point, user_id, action, level, \
                         decision, facts, policy_version, created_at) SELECT {}{guard}",
                        params(9)
                    ));
                }
                for _ in &write.events {
                    inserts.push(format!(
                        "INSERT INTO security_events (kind, user_id, credential_id, data, \
                         created_at) SELECT {}{guard}",
                        params(5)
                    ));
                }
                let update = "UPDATE credentials SET sign_count = $3, uv_initialized = $4, \
                              backup_eligible = $5, backup_state = $6, last_used_at = $7 \
                              WHERE id = $1 AND user_id = $2";
                let sql = if postgres {
                    let ctes: String = inserts
                        .iter()
                        .enumerate()
                        .map(|(i, insert)| format!(", w{i} AS ({insert})"))
                        .collect();
                    format!(
                        "WITH updated AS ({update} RETURNING 1){ctes} \
                         SELECT COUNT(*) AS updated FROM updated"
                    )
                } else {
                    std::iter::once(update.to_owned())
                        .chain(inserts)
                        .collect::<Vec<_>>()
                        .join("; ")
                };

                let credential = &write.credential;
                let record = &credential.record;
                // Built from the fixed fragments above and parameter numbers only.
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(record.id.as_bytes())
                    .bind(uuid_arg(credential.user_id))
                    .bind(i64::from(record.sign_count))
                    .bind(record.uv_initialized)
                    .bind(record.backup_eligible)
                    .bind(record.backup_state)
                    .bind(credential.last_used_at);
                if let Some(session) = &write.session {
                    query = query
                        .bind(&session.id)
                        .bind(uuid_arg(session.user_id))
                        .bind(
                            session
                                .credential_id
                                .as_ref()
                                .map(webauthn_core::CredentialId::as_bytes),
                        )
                        .bind(&session.acr)
                        .bind(to_json(&session.amr)?)
                        .bind(session.auth_time)
                        .bind(session.created_at)
                        .bind(session.expires_at)
                        .bind(session.revoked_at)
                        .bind(to_json(&session.levels)?);
                }
                if let Some(login) = &write.login {
                    query = query
                        .bind(uuid_arg(login.user_id))
                        .bind(login.at)
                        .bind(&login.method)
                        .bind(&login.ip)
                        .bind(&login.country)
                        .bind(&login.city)
                        .bind(login.latitude)
                        .bind(login.longitude)
                        .bind(&login.device_id);
                }
                if let Some(decision) = &write.decision {
                    query = query
                        .bind(&decision.id)
                        .bind(&decision.point)
                        .bind(decision.user_id.map(uuid_arg))
                        .bind(&decision.action)
                        .bind(&decision.level)
                        .bind(to_json(&decision.decision)?)
                        .bind(to_json(&decision.facts)?)
                        .bind(&decision.policy_version)
                        .bind(decision.created_at);
                }
                for event in &write.events {
                    query = query
                        .bind(&event.kind)
                        .bind(event.user_id.map(uuid_arg))
                        .bind(
                            event
                                .credential_id
                                .as_ref()
                                .map(webauthn_core::CredentialId::as_bytes),
                        )
                        .bind(to_json(&event.data)?)
                        .bind(event.created_at);
                }

                let _writing = self.writer().await;
                let updated = if postgres {
                    // One statement: atomic without an explicit transaction.
                    let row = query.fetch_one(&self.pool).await.map_err(map_sqlx)?;
                    let updated: i64 = col(&row, "updated")?;
                    updated > 0
                } else {
                    let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                    let changes = query
                        .execute(&mut *tx)
                        .await
                        .map_err(map_sqlx)?
                        .rows_affected();
                    if changes > 0 {
                        tx.commit().await.map_err(map_sqlx)?;
                    }
                    changes > 0
                };
                if updated {
                    Ok(())
                } else {
                    // Deleted (or moved) since the ceremony started: the sign-in must fail.
                    Err($crate::store::StoreError::NotFound("credential"))
                }
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn rename_credential(
                &self,
                user_id: uuid::Uuid,
                id: &webauthn_core::CredentialId,
                nickname: Option<&str>,
            ) -> $crate::store::StoreResult<bool> {
                let _writing = self.writer().await;
                let updated = sqlx::query(
                    "UPDATE credentials SET nickname = $3 WHERE id = $1 AND user_id = $2",
                )
                .bind(id.as_bytes())
                .bind(uuid_arg(user_id))
                .bind(nickname)
                .execute(&self.pool)
                .await
                .map_err(map_sqlx)?
                .rows_affected();
                Ok(updated > 0)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn delete_credential(
                &self,
                user_id: uuid::Uuid,
                id: &webauthn_core::CredentialId,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<bool> {
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let deleted = sqlx::query("DELETE FROM credentials WHERE id = $1 AND user_id = $2")
                    .bind(id.as_bytes())
                    .bind(uuid_arg(user_id))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_sqlx)?
                    .rows_affected();
                if deleted == 0 {
                    return Ok(false);
                }
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(true)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn session(
                &self,
                id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::Session>> {
                sqlx::query(
                    "SELECT id, user_id, credential_id, acr, amr, auth_time, created_at, \
                     expires_at, revoked_at, acr_levels FROM sessions WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_sqlx)?
                .as_ref()
                .map(session_from_row)
                .transpose()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn revoke_session(
                &self,
                id: &str,
                now: i64,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<bool> {
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let revoked = sqlx::query(
                    "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(map_sqlx)?
                .rows_affected();
                if revoked == 0 {
                    return Ok(false);
                }
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(true)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn append_events(
                &self,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<()> {
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn events(
                &self,
                query: &$crate::store::EventQuery,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SecurityEvent>> {
                macro_rules! event_select {
                    () => {
                        "SELECT id, kind, user_id, credential_id, data, created_at \
                         FROM security_events"
                    };
                }
                let after = query.after.unwrap_or(i64::MIN);
                let limit = $crate::store::sqlite::shared::event_limit(query.limit);
                // Two filters rather than `$3 IS NULL OR user_id = $3`, so that each has a
                // plan that uses its index (the primary key, or (user_id, id)); `latest` takes
                // the newest `limit` and still returns them oldest first.
                let sql = match (query.user_id.is_some(), query.latest) {
                    (true, false) => {
                        concat!(event_select!(), " WHERE user_id = $3 AND id > $1 ORDER BY id LIMIT $2")
                    }
                    (false, false) => concat!(event_select!(), " WHERE id > $1 ORDER BY id LIMIT $2"),
                    (true, true) => concat!(
                        "SELECT * FROM (",
                        event_select!(),
                        " WHERE user_id = $3 AND id > $1 ORDER BY id DESC LIMIT $2) e ORDER BY id"
                    ),
                    (false, true) => concat!(
                        "SELECT * FROM (",
                        event_select!(),
                        " WHERE id > $1 ORDER BY id DESC LIMIT $2) e ORDER BY id"
                    ),
                };
                let mut statement = sqlx::query(sql).bind(after).bind(limit);
                if let Some(user_id) = query.user_id {
                    statement = statement.bind(uuid_arg(user_id));
                }
                let rows = statement.fetch_all(&self.pool).await
                .map_err(map_sqlx)?;
                rows.iter().map(event_from_row).collect()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn signing_keys(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SigningKey>> {
                sqlx::query(
                    "SELECT kid, pkcs8, created_at, retired_at FROM signing_keys \
                     ORDER BY created_at DESC, kid DESC",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?
                .iter()
                .map(|row| {
                    Ok($crate::store::SigningKey {
                        kid: col(row, "kid")?,
                        pkcs8: col(row, "pkcs8")?,
                        created_at: col(row, "created_at")?,
                        retired_at: col(row, "retired_at")?,
                    })
                })
                .collect()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn rotate_signing_key(
                &self,
                key: &$crate::store::SigningKey,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_sqlx)?;
                sqlx::query(
                    "INSERT INTO signing_keys (kid, pkcs8, created_at, retired_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&key.kid)
                .bind(&key.pkcs8[..])
                .bind(key.created_at)
                .bind(key.retired_at)
                .execute(&mut *tx)
                .await
                .map_err(map_sqlx)?;
                tx.commit().await.map_err(map_sqlx)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn api_keys(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ApiKeyRecord>> {
                sqlx::query(
                    "SELECT id, hash, name, created_at FROM api_keys ORDER BY created_at, id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?
                .iter()
                .map(|row| {
                    Ok($crate::store::ApiKeyRecord {
                        id: col(row, "id")?,
                        hash: $crate::store::sqlite::shared::api_key_hash(col(row, "hash")?)?,
                        name: col(row, "name")?,
                        created_at: col(row, "created_at")?,
                    })
                })
                .collect()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn insert_api_key(
                &self,
                key: &$crate::store::ApiKeyRecord,
            ) -> $crate::store::StoreResult<()> {
                let _writing = self.writer().await;
                sqlx::query(
                    "INSERT INTO api_keys (id, hash, name, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&key.id)
                .bind(&key.hash[..])
                .bind(&key.name)
                .bind(key.created_at)
                .execute(&self.pool)
                .await
                .map_err(map_sqlx)?;
                Ok(())
            }
        }
    };
}
pub(super) use sqlx_store_impl;

sqlx_store_impl!(SqliteStore, "sqlite");
super::activity::sqlx_activity_impl!(SqliteStore, "sqlite");
