//! Request and response bodies of the product API (`/v1/...`), shared by the handlers, the
//! services and the OpenAPI document.
//!
//! WebAuthn objects travel in their Level 3 JSON forms (`PublicKeyCredential.toJSON()`,
//! `parseCreationOptionsFromJSON()`); the schema shows them as objects.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use webauthn_core::json::{
    AttestationConveyancePreference, AuthenticatorAttachment, PublicKeyCredentialHint,
    ResidentKeyRequirement,
};
use webauthn_core::{Mediation, UserVerificationRequirement};

use crate::store::{SecurityEvent, Session, StoredCredential, User};

/// The user a registration is for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationUser {
    /// An existing user's id (backends and the user's own session).
    pub id: Option<Uuid>,
    /// The user name (an email address, a handle...): 1 to 256 characters.
    pub name: Option<String>,
    /// The name shown by authenticators; the user name when absent.
    pub display_name: Option<String>,
}

/// `POST /v1/registration/options`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationOptionsRequest {
    /// Who the passkey is for.
    pub user: RegistrationUser,
    /// `platform` or `cross-platform`.
    #[schema(value_type = Option<String>)]
    pub authenticator_attachment: Option<AuthenticatorAttachment>,
    /// `discouraged`, `preferred` or `required` (default: `required`, a passkey).
    #[schema(value_type = Option<String>)]
    pub resident_key: Option<ResidentKeyRequirement>,
    /// `discouraged`, `preferred` (default) or `required`.
    #[schema(value_type = Option<String>)]
    pub user_verification: Option<UserVerificationRequirement>,
    /// `none` (default), `indirect`, `direct` or `enterprise`.
    #[schema(value_type = Option<String>)]
    pub attestation: Option<AttestationConveyancePreference>,
    /// `security-key`, `client-device`, `hybrid`.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub hints: Vec<PublicKeyCredentialHint>,
    /// `conditional` for an automatic passkey upgrade after another sign-in method.
    #[schema(value_type = Option<String>)]
    pub mediation: Option<Mediation>,
}

/// Options to pass to `navigator.credentials.create()` / `get()`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CeremonyOptions {
    /// Identifies the ceremony in the verify call. Valid for 5 minutes, once.
    pub ceremony_id: String,
    /// `PublicKeyCredentialCreationOptionsJSON` or `PublicKeyCredentialRequestOptionsJSON`.
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    pub public_key: serde_json::Value,
    /// The mediation the client should use, when not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub mediation: Option<Mediation>,
}

/// `POST /v1/registration/verify`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationVerifyRequest {
    /// From the options answer.
    pub ceremony_id: String,
    /// `PublicKeyCredential.toJSON()` of the new credential.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// A name for the passkey (at most 64 characters).
    pub nickname: Option<String>,
}

/// How a credential was attested.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttestationView {
    /// Attestation statement format.
    pub format: String,
    /// `none`, `self`, `basic`, `attca`, `anonca`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it chained to a trusted root.
    pub trusted: bool,
}

/// A passkey as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialView {
    /// Credential id, base64url.
    pub id: String,
    /// Authenticator model (AAGUID).
    pub aaguid: String,
    /// The authenticator's name, when known: the FIDO Metadata Service's description, else the
    /// passkey provider's name for its AAGUID ("Google Password Manager", "iCloud Keychain").
    pub authenticator: Option<String>,
    /// The name the user gave it.
    pub nickname: Option<String>,
    /// Can be synced (BE).
    pub backup_eligible: bool,
    /// Is synced now (BS).
    pub backup_state: bool,
    /// Transports the authenticator reported.
    pub transports: Vec<String>,
    /// Discoverable (a passkey), when the client said.
    pub discoverable: Option<bool>,
    /// Attestation at registration.
    pub attestation: AttestationView,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_used_at: Option<i64>,
}

impl From<&StoredCredential> for CredentialView {
    fn from(c: &StoredCredential) -> Self {
        Self {
            id: c.record.id.to_base64url(),
            aaguid: c.record.aaguid.to_string(),
            // the Metadata Service's description, else the passkey provider's name
            authenticator: c.authenticator_name.clone().or_else(|| {
                crate::providers::provider_name(&c.record.aaguid.to_string()).map(str::to_owned)
            }),
            nickname: c.nickname.clone(),
            backup_eligible: c.record.backup_eligible,
            backup_state: c.record.backup_state,
            transports: c.record.transports.iter().map(|t| t.0.clone()).collect(),
            discoverable: c.record.discoverable,
            attestation: AttestationView {
                format: c.attestation.format.clone(),
                kind: c.attestation.kind.clone(),
                trusted: c.attestation.trusted,
            },
            created_at: c.created_at,
            last_used_at: c.last_used_at,
        }
    }
}

/// A new session and its token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionToken {
    /// ES256 JWT; verify it against `/.well-known/jwks.json`.
    pub token: String,
    /// The session id (`sid`).
    pub session_id: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Answer of `POST /v1/registration/verify`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegistrationVerified {
    /// The user (new or existing).
    pub user_id: Uuid,
    /// The new passkey.
    pub credential: CredentialView,
    /// A session, when the registration signed a new user up.
    pub session: Option<SessionToken>,
}

/// `POST /v1/authentication/options`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationOptionsRequest {
    /// The user name, for username-first sign-in; absent for usernameless sign-in.
    pub username: Option<String>,
    /// `discouraged`, `preferred` (default) or `required`.
    #[schema(value_type = Option<String>)]
    pub user_verification: Option<UserVerificationRequirement>,
    /// `conditional` for autofill sign-in.
    #[schema(value_type = Option<String>)]
    pub mediation: Option<Mediation>,
}

/// Client context relayed by a backend.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientContextInput {
    /// The end user's IP address.
    #[schema(value_type = Option<String>)]
    pub ip: Option<std::net::IpAddr>,
    /// The end user's user agent.
    pub user_agent: Option<String>,
    /// The end user's device id.
    pub device_id: Option<String>,
}

/// `POST /v1/authentication/verify`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationVerifyRequest {
    /// From the options answer.
    pub ceremony_id: String,
    /// `PublicKeyCredential.toJSON()` of the assertion.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// The end user's context, when a backend relays the call (API key only).
    pub context: Option<ClientContextInput>,
}

/// Answer of `POST /v1/authentication/verify`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthenticationVerified {
    /// The risk decision on this sign-in. With `step_up`, the session is opened at a lower
    /// level (`urn:anshin:acr:mfa`) until a step-up reaches `required_acr`.
    pub risk: crate::service::risk::RiskView,
    /// The user.
    pub user_id: Uuid,
    /// The passkey used.
    pub credential_id: String,
    /// The new session.
    pub session: SessionToken,
    /// Authentication context class.
    pub acr: String,
    /// Authentication methods (RFC 8176).
    pub amr: Vec<String>,
    /// Whether the user was verified (UV).
    pub user_verified: bool,
}

/// `POST /v1/users`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Unique user name.
    pub name: String,
    /// Display name; the user name when absent.
    pub display_name: Option<String>,
    /// Phone number (E.164) for the SMS fallback.
    pub phone: Option<String>,
}

/// `PATCH /v1/users/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// New display name.
    pub display_name: Option<String>,
    /// New phone number (E.164); `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    /// The user id.
    pub id: Uuid,
    /// The user name.
    pub name: String,
    /// The display name.
    pub display_name: String,
    /// The phone number for the SMS fallback.
    pub phone: Option<String>,
    /// The WebAuthn user handle, base64url.
    pub user_handle: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            name: u.name.clone(),
            display_name: u.display_name.clone(),
            phone: u.phone.clone(),
            user_handle: u.handle.to_base64url(),
            created_at: u.created_at,
        }
    }
}

/// `PATCH /v1/users/{id}/credentials/{cred}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameCredentialRequest {
    /// The new name (at most 64 characters), or `null` to clear it.
    pub nickname: Option<String>,
}

/// A list of passkeys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialList {
    /// Oldest first.
    pub credentials: Vec<CredentialView>,
}

/// `POST /v1/sessions/introspect`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntrospectRequest {
    /// A session token.
    pub token: Option<String>,
    /// Or a session id.
    pub session_id: Option<String>,
    /// The level the backend needs (`urn:anshin:acr:sms` < `urn:anshin:acr:mfa` < `phr` <
    /// `phrh`); the answer says whether the session satisfies it.
    pub required_acr: Option<String>,
    /// How recent (seconds) that level must be.
    pub max_age: Option<u64>,
}

/// Session state, in the spirit of RFC 7662.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Introspection {
    /// Valid, unexpired and not revoked.
    pub active: bool,
    /// The user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Authentication context class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Unix seconds of the authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Why it is not active (`revoked`, `expired`, `unknown`, `invalid_token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// When each level was last reached in the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levels: Option<std::collections::BTreeMap<String, i64>>,
    /// Whether the session satisfies `required_acr` within `max_age`, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfied: Option<bool>,
    /// When not satisfied: the RFC 9470 challenge to send to the client, as the value of a
    /// `WWW-Authenticate` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
}

impl Introspection {
    /// An inactive session.
    #[must_use]
    pub fn inactive(reason: &'static str) -> Self {
        Self {
            active: false,
            sub: None,
            sid: None,
            acr: None,
            amr: None,
            auth_time: None,
            exp: None,
            reason: Some(reason),
            levels: None,
            satisfied: None,
            www_authenticate: None,
        }
    }

    /// An active session.
    #[must_use]
    pub fn active(session: &Session) -> Self {
        Self {
            active: true,
            sub: Some(session.user_id.to_string()),
            sid: Some(session.id.clone()),
            acr: Some(session.acr.clone()),
            amr: Some(session.amr.clone()),
            auth_time: Some(session.auth_time),
            exp: Some(session.expires_at),
            reason: None,
            levels: Some(session.levels.clone()),
            satisfied: None,
            www_authenticate: None,
        }
    }
}

/// Answer of `POST /v1/sessions/{id}/revoke`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Revoked {
    /// Whether this call revoked it (false: it was already revoked).
    pub revoked: bool,
}

/// A page of security events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventPage {
    /// Oldest first.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<SecurityEvent>,
    /// Pass as `after` to get the next page.
    pub next: Option<i64>,
}

/// `POST /v1/step-up/options`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpOptionsRequest {
    /// The sensitive action the step-up is for (`change_phone`, `payout`...); the risk
    /// engine decides on it at verify.
    pub action: Option<String>,
}

/// `POST /v1/step-up/verify`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpVerifyRequest {
    /// From the options answer.
    pub ceremony_id: String,
    /// `PublicKeyCredential.toJSON()` of the assertion (with user verification).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// Answer of `POST /v1/step-up/verify`: the same session, at a higher level.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SteppedUp {
    /// A new token for the same session, with the new `acr` and a fresh `auth_time`.
    pub session: SessionToken,
    /// The level reached.
    pub acr: String,
    /// Authentication methods.
    pub amr: Vec<String>,
    /// Unix seconds.
    pub auth_time: i64,
    /// The risk decision on the action, when one was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<crate::service::risk::RiskView>,
}

/// `POST /v1/fallback/options`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FallbackOptionsRequest {
    /// The user name the person is trying to sign in with.
    pub username: String,
    /// The end user's context, when a backend relays the call (API key only).
    pub context: Option<ClientContextInput>,
}

/// Answer of `POST /v1/fallback/options`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FallbackOptions {
    /// What to offer, in order: `passkey`, `passkey_other_device` (hybrid: a phone nearby),
    /// `sms`, `recovery`.
    pub allowed_methods: Vec<String>,
    /// The decision behind it.
    pub risk: crate::service::risk::RiskView,
}

/// `POST /v1/fallback/sms/send`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsSendRequest {
    /// The user name; the code goes to the phone number on the account.
    pub username: String,
    /// The end user's context, when a backend relays the call (API key only).
    pub context: Option<ClientContextInput>,
}

/// Answer of `POST /v1/fallback/sms/send`. The same for every user name, so that it does not
/// reveal which exist or have a number.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SmsSent {
    /// Identifies the code in the verify call.
    pub otp_id: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// `POST /v1/fallback/sms/verify`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsVerifyRequest {
    /// From the send answer.
    pub otp_id: String,
    /// The six digits the person received.
    pub code: String,
    /// The end user's context, when a backend relays the call (API key only).
    pub context: Option<ClientContextInput>,
}

/// Answer of `POST /v1/fallback/sms/verify`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SmsVerified {
    /// The user.
    pub user_id: Uuid,
    /// A session at the SMS level (`urn:anshin:acr:sms`).
    pub session: SessionToken,
    /// Authentication context class.
    pub acr: String,
    /// `["sms", "otp"]`.
    pub amr: Vec<String>,
    /// Ask the person to create a passkey now (register with this session's token).
    pub enroll_passkey: bool,
}

/// `POST /v1/risk/evaluate`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskEvaluateRequest {
    /// The user the action is for, when known.
    pub user_id: Option<Uuid>,
    /// `login`, `register_credential`, `fallback`, `recovery`, `sms_send`, or any other name
    /// for a sensitive action (`change_phone`, `payout`...).
    pub action: String,
    /// The end user's context.
    pub context: Option<ClientContextInput>,
}

/// `POST /v1/risk/feedback`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskFeedbackRequest {
    /// The decision.
    pub decision_id: String,
    /// `right`, `wrong` or `confirmed_compromised`.
    pub label: String,
}

/// Answer of `GET /v1/stats/series`: the figures over time, one entry per bucket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsSeries {
    /// Unix seconds: the first bucket's start.
    pub since: i64,
    /// Unix seconds: the end of the last bucket.
    pub until: i64,
    /// The width of a bucket in seconds (3,600 or 86,400).
    pub bucket_seconds: i64,
    /// The buckets, oldest first, every one present (zeros where nothing happened).
    pub buckets: Vec<SeriesBucket>,
    /// Risk decisions in the window by level (`LOW`, `MEDIUM`, `HIGH`).
    pub decisions_by_level: Vec<KeyCount>,
    /// Risk decisions in the window by reason code (a decision with several reasons counts
    /// once for each; read from the latest 10,000 decisions), most frequent first.
    pub decisions_by_reason: Vec<KeyCount>,
}

/// A name and how many.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyCount {
    /// The name (a level or a reason code).
    pub key: String,
    /// How many.
    pub count: i64,
}

/// One bucket of [`StatsSeries`].
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SeriesBucket {
    /// Unix seconds: the bucket's start.
    pub start: i64,
    /// Sign-ins with a passkey.
    pub logins_passkey: i64,
    /// Sign-ins by SMS.
    pub logins_sms: i64,
    /// Share of the bucket's sign-ins made by SMS (0 to 1; 0 without sign-ins).
    pub sms_share: f64,
    /// Passkeys registered.
    pub registrations: i64,
    /// Users at the end of the bucket.
    pub users: i64,
    /// Of those, users holding a passkey (counting those who ever registered one).
    pub users_with_passkey: i64,
    /// `users_with_passkey` per user (0 to 1).
    pub adoption: f64,
    /// SMS codes sent.
    pub sms_sent: i64,
    /// SMS sends the risk engine blocked.
    pub sms_blocked: i64,
    /// Risk decisions that allowed.
    pub decisions_allow: i64,
    /// Risk decisions that asked for a step-up.
    pub decisions_step_up: i64,
    /// Risk decisions that denied.
    pub decisions_deny: i64,
}

/// Answer of `GET /v1/stats`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    /// Unix seconds: the figures cover sign-ins and sends since then.
    pub since: i64,
    /// Sign-ins: passkey and SMS.
    pub logins: LoginStats,
    /// SMS sent per 1,000 sign-ins.
    pub sms_per_1000_logins: f64,
    /// Share of sign-ins that used the SMS fallback (0 to 1).
    pub fallback_share: f64,
    /// Share of active users who hold a passkey (0 to 1).
    pub passkey_coverage: f64,
    /// Passkeys created right after an SMS sign-in, per prompt (0 to 1).
    pub nudge_conversion: f64,
    /// SMS figures.
    pub sms: SmsStats,
}

/// Sign-in counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoginStats {
    /// With a passkey.
    pub passkey: i64,
    /// By SMS.
    pub sms: i64,
    /// Distinct users who signed in.
    pub active_users: i64,
    /// Of those, users with a passkey.
    pub active_users_with_passkey: i64,
}

/// SMS counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SmsStats {
    /// Codes sent.
    pub sent: i64,
    /// Codes entered correctly.
    pub verified: i64,
    /// Verified per sent (0 to 1).
    pub conversion: f64,
    /// What the sent codes cost.
    pub cost: f64,
    /// Blocked sends by reason, with what they would have cost.
    pub blocked: Vec<BlockedView>,
    /// What the blocked sends would have cost in all.
    pub cost_avoided: f64,
    /// Per number prefix (the number without its last four digits).
    pub prefixes: Vec<PrefixView>,
}

/// Blocked sends for one reason.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlockedView {
    /// The risk reason code.
    pub reason: String,
    /// How many.
    pub count: i64,
    /// What they would have cost.
    pub cost_avoided: f64,
}

/// SMS for one prefix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PrefixView {
    /// The prefix.
    pub prefix: String,
    /// Sent.
    pub sent: i64,
    /// Verified.
    pub verified: i64,
    /// Verified per sent.
    pub conversion: f64,
}
