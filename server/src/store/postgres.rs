//! The PostgreSQL store (`postgres://...`).
//!
//! The [`Store`](super::Store) implementation is the one shared with SQLite (the
//! `sqlx_store_impl!` macro in [`super::sqlite`]); this module supplies the pool, the
//! migrations and the `uuid` column type.

use std::str::FromStr;
use std::time::Duration;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{
    PgArgumentBuffer, PgConnectOptions, PgPool, PgPoolOptions, PgRow, PgTypeInfo, PgValueFormat,
    PgValueRef,
};
use uuid::Uuid;

use super::sqlite::sqlx_store_impl;
use super::{StoreError, StoreResult};

/// How long a call waits for a connection before reporting the database unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Connections of the pool.
const MAX_CONNECTIONS: u32 = 16;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database a `postgres:` URL names.
    ///
    /// The pool waits at most 3 seconds for a connection, so that an unreachable database
    /// is reported ([`StoreError::Unavailable`]) instead of hanging a request; connections
    /// are checked before use and reopened, so the store recovers by itself once the
    /// database is back. Migrations are not run: call [`Store::migrate`](super::Store::migrate).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL is invalid or the database cannot be reached.
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str) -> StoreResult<Self> {
        // The error of an invalid URL may quote the URL, password included: leave it out.
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| StoreError::Unavailable("invalid PostgreSQL URL".to_owned()))?
            .application_name("anshin");
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(map_sqlx)?;
        Ok(Self { pool })
    }

    /// PostgreSQL queues concurrent writers itself: nothing to wait for here (the SQLite
    /// store's counterpart serializes its writers).
    #[allow(
        clippy::unused_async,
        reason = "the same call as the SQLite store's, in the shared store code"
    )]
    async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }
}

type Db = sqlx::Postgres;

/// The migrations, embedded (version, description, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "activity",
        include_str!("../../migrations/postgres/0002_activity.sql"),
    ),
    (
        3,
        "webhooks",
        include_str!("../../migrations/postgres/0003_webhooks.sql"),
    ),
];

/// A UUID in PostgreSQL's `uuid` type (sqlx's own support needs its `uuid` feature).
#[derive(Debug, Clone, Copy)]
struct PgUuid(Uuid);

impl PgUuid {
    /// The OID of the built-in `uuid` type (fixed in `pg_type.dat`).
    const OID: Oid = Oid(2950);
}

impl sqlx::Type<Db> for PgUuid {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Self::OID)
    }
}

impl sqlx::Encode<'_, Db> for PgUuid {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // The binary form of `uuid` is its 16 bytes.
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

impl sqlx::Decode<'_, Db> for PgUuid {
    fn decode(value: PgValueRef<'_>) -> Result<Self, BoxDynError> {
        let uuid = match value.format() {
            PgValueFormat::Binary => Uuid::from_slice(value.as_bytes()?)?,
            PgValueFormat::Text => Uuid::parse_str(value.as_str()?)?,
        };
        Ok(Self(uuid))
    }
}

/// How a user id is bound.
fn uuid_arg(id: Uuid) -> PgUuid {
    PgUuid(id)
}

/// Reads a user id column.
fn uuid_col(row: &PgRow, column: &str) -> StoreResult<Uuid> {
    let id: PgUuid = sqlx::Row::try_get(row, column).map_err(map_sqlx)?;
    Ok(id.0)
}

/// Reads a nullable user id column.
fn uuid_col_opt(row: &PgRow, column: &str) -> StoreResult<Option<Uuid>> {
    let id: Option<PgUuid> = sqlx::Row::try_get(row, column).map_err(map_sqlx)?;
    Ok(id.map(|id| id.0))
}

sqlx_store_impl!(PostgresStore, "postgres");
super::activity::sqlx_activity_impl!(PostgresStore, "postgres");
