//! The durable store: users, credentials, sessions, security events, signing keys and API keys.
//!
//! One trait, [`Store`], with a SQLite implementation (the embedded default) and a PostgreSQL
//! one, both through sqlx with their own migrations (`migrations/{sqlite,postgres}/`). Both
//! run the same contract test suite (`tests/it/store_contract.rs`).
//!
//! Every change that produces a security event writes the event to the `security_events`
//! outbox in the same transaction as the change: either both are stored or neither is.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_core::{CredentialId, CredentialRecord, UserHandle};

mod activity;
pub mod postgres;
pub mod sqlite;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated (a credential id or user name that already exists).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A row the write depends on does not exist (a user deleted during a registration, a
    /// credential deleted during a sign-in); nothing was written.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The database cannot be reached or failed; the request may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored row could not be decoded: a bug or a corrupted database.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The account id used in the API.
    pub id: Uuid,
    /// The WebAuthn user handle (random, never derived from the name).
    pub handle: UserHandle,
    /// The user name (unique).
    pub name: String,
    /// The display name.
    pub display_name: String,
    /// Phone number for the SMS fallback, E.164.
    pub phone: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New phone number; `Some(None)` removes it.
    pub phone: Option<Option<String>>,
}

/// How a credential was attested at registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationSummary {
    /// The attestation statement format (`none`, `packed`...).
    pub format: String,
    /// The attestation type (`none`, `self`, `basic`, `attca`, `anonca`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the attestation chained to a trusted root.
    pub trusted: bool,
}

/// A registered credential: the core's record plus what the service keeps about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The WebAuthn credential record (id, key, counter, flags, AAGUID...).
    pub record: CredentialRecord,
    /// The owner.
    pub user_id: Uuid,
    /// A name the user chose.
    pub nickname: Option<String>,
    /// The authenticator model's name, from metadata or the AAGUID list, when known.
    pub authenticator_name: Option<String>,
    /// The attestation at registration.
    pub attestation: AttestationSummary,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last successful sign-in with it.
    pub last_used_at: Option<i64>,
}

/// A server-side session, created at sign-in and revocable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The session id (`sid` in tokens).
    pub id: String,
    /// The user.
    pub user_id: Uuid,
    /// The credential used to create it, if a passkey.
    pub credential_id: Option<CredentialId>,
    /// Authentication context class (`phr`, `phrh`...).
    pub acr: String,
    /// Authentication methods (RFC 8176).
    pub amr: Vec<String>,
    /// Unix seconds of the authentication.
    pub auth_time: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
    /// When each authentication level (`acr`) was last reached in this session, so that an
    /// elevated level can expire (`max_age`) without ending the session.
    #[serde(default)]
    pub levels: std::collections::BTreeMap<String, i64>,
}

/// A security event to write to the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    /// What happened (`credential.registered`, `credential.removed`, `counter.regressed`,
    /// `backup.changed`, `session.revoked`, `signin.failed`, `user.deleted`...).
    pub kind: String,
    /// The user it concerns.
    pub user_id: Option<Uuid>,
    /// The credential it concerns.
    pub credential_id: Option<CredentialId>,
    /// Details (never secrets).
    pub data: serde_json::Value,
    /// Unix seconds.
    pub created_at: i64,
}

/// A stored security event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Increasing id (a cursor for `GET /v1/events`).
    pub id: i64,
    /// The event.
    #[serde(flatten)]
    pub event: NewEvent,
}

/// A filter for listing events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only events with an id greater than this.
    pub after: Option<i64>,
    /// Only events of this user.
    pub user_id: Option<Uuid>,
    /// At most this many (the store caps it at 1000).
    pub limit: u32,
    /// The newest `limit` events (still oldest first) instead of the oldest.
    pub latest: bool,
}

/// A token signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// Key id (`kid`).
    pub kid: String,
    /// The ES256 private key, PKCS#8 DER. Never logged.
    pub pkcs8: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds after which it no longer signs (it stays published until tokens it
    /// signed have expired).
    pub retired_at: Option<i64>,
}

/// A backend API key, kept only as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Public id of the key (shown in logs and listings).
    pub id: String,
    /// SHA-256 of the secret.
    pub hash: [u8; 32],
    /// What it is for.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// What a successful registration writes, in one transaction.
#[derive(Debug, Clone)]
pub struct RegistrationWrite {
    /// A user to create first (open sign-up), or `None` when the credential is added to an
    /// existing user.
    pub new_user: Option<User>,
    /// The credential; a duplicate id is a [`StoreError::Conflict`] and nothing is written.
    pub credential: StoredCredential,
    /// A session to open, if the registration signs the user in.
    pub session: Option<Session>,
    /// Events to append.
    pub events: Vec<NewEvent>,
    /// The session the passkey was added in, when it was; a pending passkey nudge of that
    /// session is marked converted.
    pub nudge_session: Option<String>,
    /// The sign-in, when the registration signs a new user in.
    pub login: Option<LoginRecord>,
}

/// What a successful authentication writes, in one transaction.
#[derive(Debug, Clone)]
pub struct AuthenticationWrite {
    /// The credential with its updated counter, flags and `last_used_at`.
    pub credential: StoredCredential,
    /// The session to open.
    pub session: Option<Session>,
    /// The sign-in, for the history the risk engine reads.
    pub login: Option<LoginRecord>,
    /// The risk decision that allowed the sign-in.
    pub decision: Option<DecisionRecord>,
    /// Events to append.
    pub events: Vec<NewEvent>,
}

/// What a sign-in needs to know about its credential and account before deciding, read
/// together (see [`Store::sign_in_subject`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SignInSubject {
    /// The credential.
    pub credential: StoredCredential,
    /// Its owner.
    pub user: User,
    /// How many credentials the owner has, this one included.
    pub passkey_count: u32,
    /// When the owner's newest credential was registered (Unix seconds).
    pub newest_credential_at: i64,
    /// The owner's latest successful sign-in.
    pub last_login: Option<LoginRecord>,
}

/// A successful sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRecord {
    /// The user.
    pub user_id: Uuid,
    /// Unix seconds.
    pub at: i64,
    /// `passkey` or `sms`.
    pub method: String,
    /// The client IP.
    pub ip: String,
    /// ISO country code, when GeoIP knew it.
    pub country: Option<String>,
    /// City, when GeoIP knew it.
    pub city: Option<String>,
    /// Latitude, when GeoIP knew it.
    pub latitude: Option<f64>,
    /// Longitude, when GeoIP knew it.
    pub longitude: Option<f64>,
    /// The client's device id, when it sent one.
    pub device_id: Option<String>,
}

/// A risk decision, kept with the facts it was made on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// Decision id (returned to callers, used for feedback).
    pub id: String,
    /// The decision point (`login`, `sms_send`...).
    pub point: String,
    /// The user, when known.
    pub user_id: Option<Uuid>,
    /// `allow`, `step_up` or `deny`.
    pub action: String,
    /// `LOW`, `MEDIUM` or `HIGH`.
    pub level: String,
    /// The whole decision as JSON.
    pub decision: serde_json::Value,
    /// The facts as JSON.
    pub facts: serde_json::Value,
    /// The policy version.
    pub policy_version: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// One SMS send attempt, sent or blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsRecord {
    /// Id (the one-time code's id when sent).
    pub id: String,
    /// The user, when known.
    pub user_id: Option<Uuid>,
    /// Peppered SHA-256 of the number.
    pub phone_hash: [u8; 32],
    /// ISO country code of the number.
    pub country: Option<String>,
    /// The number without its last four digits.
    pub prefix: String,
    /// `sent` or `blocked`.
    pub status: String,
    /// The reason code of a block.
    pub reason: Option<String>,
    /// What the send cost or would have cost, in millionths of the price table's currency.
    pub price_micros: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// What a sign-in by SMS writes, in one transaction.
#[derive(Debug, Clone)]
pub struct SmsSignIn {
    /// The SMS the code came in; marked verified.
    pub sms_id: String,
    /// The session to open.
    pub session: Session,
    /// The sign-in.
    pub login: LoginRecord,
    /// Whether the answer asked the client to enrol a passkey (recorded as a nudge).
    pub nudge: bool,
    /// Events to append.
    pub events: Vec<NewEvent>,
}

/// SMS sent and verified for one number prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PrefixStats {
    /// The prefix.
    pub prefix: String,
    /// Codes sent.
    pub sent: i64,
    /// Codes verified.
    pub verified: i64,
}

/// Blocked sends for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BlockedStats {
    /// The risk reason code.
    pub reason: String,
    /// Sends blocked.
    pub count: i64,
    /// What they would have cost, in millionths.
    pub cost_micros: i64,
}

/// One count of a time series: how many `metric` (with `key`) fell in the bucket starting at
/// `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesCount {
    /// Unix seconds: the bucket's start.
    pub start: i64,
    /// What is counted: `login`, `registration`, `first_passkey`, `new_user`, `sms`,
    /// `decision`.
    pub metric: &'static str,
    /// The kind within the metric: the sign-in method, the SMS status, the decision's
    /// action; empty where the metric has none.
    pub key: String,
    /// How many.
    pub count: i64,
}

/// Raw counts behind `GET /v1/stats/series`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeriesCounts {
    /// Counts per bucket, in no particular order; buckets with nothing are absent.
    pub counts: Vec<SeriesCount>,
    /// Users created before the first bucket.
    pub users_before: i64,
    /// Users who held a passkey before the first bucket.
    pub passkey_users_before: i64,
    /// Risk decisions in the window by level (`LOW`, `MEDIUM`, `HIGH`).
    pub levels: Vec<(String, i64)>,
    /// Reason codes of the window's latest risk decisions (up to
    /// [`SERIES_REASON_SAMPLE`] decisions), with how many decisions gave each.
    pub reasons: Vec<(String, i64)>,
}

/// How many of the latest risk decisions `series` reads to count reasons.
pub const SERIES_REASON_SAMPLE: i64 = 10_000;

/// Raw counts behind `GET /v1/stats`, since a point in time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityCounts {
    /// Sign-ins with a passkey.
    pub logins_passkey: i64,
    /// Sign-ins by SMS.
    pub logins_sms: i64,
    /// Codes sent.
    pub sms_sent: i64,
    /// Codes verified.
    pub sms_verified: i64,
    /// What the sent codes cost, in millionths.
    pub sms_cost_micros: i64,
    /// Blocked sends by reason.
    pub blocked: Vec<BlockedStats>,
    /// Users who signed in.
    pub active_users: i64,
    /// Of those, users who hold a passkey.
    pub active_users_with_passkey: i64,
    /// Passkey enrolment prompts after SMS sign-ins.
    pub nudges_shown: i64,
    /// Of those, followed by a passkey registration in the same session.
    pub nudges_converted: i64,
    /// Per prefix.
    pub prefixes: Vec<PrefixStats>,
}

/// Sign-in history, risk decisions, SMS fallback and the figures built from them.
#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// The user's latest successful sign-in.
    async fn last_login(&self, user_id: Uuid) -> StoreResult<Option<LoginRecord>>;
    /// Whether the user has signed in from this device id before.
    async fn device_known(&self, user_id: Uuid, device_id: &str) -> StoreResult<bool>;
    /// Stores a session's new level (`acr`, `amr`, `auth_time`, `levels`); `false` if the
    /// session does not exist or was revoked.
    async fn update_session(&self, session: &Session, events: &[NewEvent]) -> StoreResult<bool>;
    /// Stores a risk decision.
    async fn record_decision(&self, record: &DecisionRecord) -> StoreResult<()>;
    /// Stores feedback on a decision; `false` if there is no such decision.
    async fn record_feedback(
        &self,
        decision_id: &str,
        label: &str,
        now: i64,
        events: &[NewEvent],
    ) -> StoreResult<bool>;
    /// Revokes every open session of a user; returns how many.
    async fn revoke_sessions_of(
        &self,
        user_id: Uuid,
        now: i64,
        events: &[NewEvent],
    ) -> StoreResult<u64>;
    /// The user a stored decision was about, if the decision exists and named one.
    async fn decision_user(&self, decision_id: &str) -> StoreResult<Option<Uuid>>;
    /// Stores an SMS send attempt (sent or blocked) with its events.
    async fn record_sms(&self, record: &SmsRecord, events: &[NewEvent]) -> StoreResult<()>;
    /// Stores a sign-in by SMS: marks the SMS verified, opens the session, records the sign-in
    /// and the nudge. `false` (and nothing written) if the SMS was already verified.
    async fn sms_signed_in(&self, write: &SmsSignIn) -> StoreResult<bool>;
    /// Records what the development SMS sender sends.
    async fn push_dev_sms(&self, phone: &str, body: &str, now: i64) -> StoreResult<()>;
    /// What the development SMS sender sent to a number, oldest first.
    async fn dev_sms(&self, phone: &str) -> StoreResult<Vec<String>>;
    /// The raw counts behind the adoption and SMS figures, since `since`.
    async fn activity(&self, since: i64) -> StoreResult<ActivityCounts>;
    /// Counts per bucket of `bucket` seconds from `since` on, for charts over time.
    async fn series(&self, since: i64, bucket: i64) -> StoreResult<SeriesCounts>;
    /// The id of the last event a webhook acknowledged (0 before the first).
    async fn webhook_cursor(&self, name: &str) -> StoreResult<i64>;
    /// Moves a webhook's cursor forward (never back).
    async fn advance_webhook_cursor(
        &self,
        name: &str,
        last_event_id: i64,
        now: i64,
    ) -> StoreResult<()>;
}

/// The durable store.
#[async_trait]
pub trait Store: ActivityStore + Send + Sync + std::fmt::Debug {
    /// Runs pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a user; a taken name is a conflict.
    async fn create_user(&self, user: &User, events: &[NewEvent]) -> StoreResult<()>;
    /// Looks a user up by id.
    async fn user(&self, id: Uuid) -> StoreResult<Option<User>>;
    /// Looks a user up by name.
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>>;
    /// Looks a user up by user handle.
    async fn user_by_handle(&self, handle: &UserHandle) -> StoreResult<Option<User>>;
    /// Changes a user; returns the user after the change, `None` if there is none.
    async fn update_user(&self, id: Uuid, patch: &UserPatch) -> StoreResult<Option<User>>;
    /// Deletes a user with their credentials and sessions; `false` if there was none.
    async fn delete_user(&self, id: Uuid, events: &[NewEvent]) -> StoreResult<bool>;

    /// Stores a registration (user, credential, session, events) atomically.
    async fn register(&self, write: &RegistrationWrite) -> StoreResult<()>;
    /// Looks a credential up by id.
    async fn credential(&self, id: &CredentialId) -> StoreResult<Option<StoredCredential>>;
    /// A user's credentials, oldest first.
    async fn credentials_of(&self, user_id: Uuid) -> StoreResult<Vec<StoredCredential>>;
    /// The credentials of the user with this name, oldest first (none when there is no such
    /// user): [`Store::user_by_name`] and [`Store::credentials_of`] in one read.
    async fn credentials_of_name(&self, name: &str) -> StoreResult<Vec<StoredCredential>>;
    /// A credential with its owner, the owner's passkey count and newest registration, and
    /// the owner's last sign-in, in one read: what a sign-in looks up before its decision.
    async fn sign_in_subject(&self, id: &CredentialId) -> StoreResult<Option<SignInSubject>>;
    /// Stores an authentication (credential update, session, sign-in, decision, events)
    /// atomically.
    async fn authenticated(&self, write: &AuthenticationWrite) -> StoreResult<()>;
    /// Renames a credential of a user; `false` if the user has no such credential.
    async fn rename_credential(
        &self,
        user_id: Uuid,
        id: &CredentialId,
        nickname: Option<&str>,
    ) -> StoreResult<bool>;
    /// Deletes a credential of a user; `false` if the user has no such credential.
    async fn delete_credential(
        &self,
        user_id: Uuid,
        id: &CredentialId,
        events: &[NewEvent],
    ) -> StoreResult<bool>;

    /// Looks a session up by id.
    async fn session(&self, id: &str) -> StoreResult<Option<Session>>;
    /// Revokes a session; `false` if there is none or it was already revoked.
    async fn revoke_session(&self, id: &str, now: i64, events: &[NewEvent]) -> StoreResult<bool>;

    /// Appends events on their own (for example a failed sign-in).
    async fn append_events(&self, events: &[NewEvent]) -> StoreResult<()>;
    /// Lists events, oldest first.
    async fn events(&self, query: &EventQuery) -> StoreResult<Vec<SecurityEvent>>;

    /// Every signing key, newest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// Adds a signing key and retires the keys that were signing, at `now`.
    async fn rotate_signing_key(&self, key: &SigningKey, now: i64) -> StoreResult<()>;

    /// Every API key.
    async fn api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Adds an API key.
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;
}

/// Opens the store a database URL names (`sqlite://...` or `postgres://...`).
///
/// # Errors
/// An unknown scheme, or a database that cannot be opened.
pub async fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(
            sqlite::SqliteStore::connect(url).await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(std::sync::Arc::new(
            postgres::PostgresStore::connect(url).await?,
        ))
    } else {
        Err(StoreError::Unavailable(format!(
            "unsupported database URL scheme (expected sqlite:// or postgres://): {}",
            url.split(':').next().unwrap_or_default()
        )))
    }
}
