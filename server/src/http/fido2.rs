//! The FIDO2 server conformance profile (`/fido2/...`): "FIDO 2.0: Server Requirements and
//! Transport Binding Profile" as the FIDO conformance tool drives it.
//!
//! Four POST endpoints (`attestation/options`, `attestation/result`, `assertion/options`,
//! `assertion/result`), JSON in and out. Every answer is a `ServerResponse`
//! (`{"status": "ok" | "failed", "errorMessage": ...}`, options merged into it); a failure is a
//! 4xx/5xx with `status: "failed"`, a non-empty `errorMessage` and the anshin error `code`,
//! never a body that is not JSON. The ceremony state travels between `options` and `result`
//! in the `anshin_fido2` cookie, which names an entry of the ephemeral store that `result`
//! takes exactly once.
//!
//! The profile is kept apart from the product API on purpose: its relying party offers RS1 and
//! accepts assertions without user presence, as the tool requires, so its users and
//! credentials live only in the ephemeral store (`fido2:user:<username>`, 24 hours) and can
//! never be used on `/v1`.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use webauthn_core::extensions::ClientExtensionInputs;
use webauthn_core::json::{
    AttestationConveyancePreference, AuthenticatorSelectionJson, CredentialDescriptorJson,
    ResidentKeyRequirement,
};
use webauthn_core::mds::Metadata;
use webauthn_core::{
    AttestationPolicy, AttestationType, AuthenticationOptions, AuthenticationResponseJson,
    AuthenticationState, CoseAlgorithm, CounterPolicy, CredentialRecord, RegistrationOptions,
    RegistrationResponseJson, RegistrationState, RelyingParty, SystemRandom, UserEntity,
    UserHandle, UserVerificationRequirement,
};

use crate::app::{AppState, now_unix};
use crate::config::Config;
use crate::ephemeral::{Ephemeral, EphemeralError};

/// The cookie that names the ceremony in progress.
const COOKIE: &str = "anshin_fido2";
/// How long a ceremony may take, from options to result.
const CEREMONY_TTL: Duration = Duration::from_secs(300);
/// How long the profile keeps a user and their credentials after the last ceremony.
const USER_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest user name accepted (it is part of a store key).
const MAX_USERNAME_CHARS: usize = 512;
/// Key purposes in the ephemeral store.
const ATTESTATION: &str = "attestation";
const ASSERTION: &str = "assertion";

/// Every algorithm the profile offers, RS1 included (the conformance tool asks for it).
const ALGORITHMS: [CoseAlgorithm; 11] = [
    CoseAlgorithm::ES256,
    CoseAlgorithm::ES384,
    CoseAlgorithm::ES512,
    CoseAlgorithm::EDDSA,
    CoseAlgorithm::PS256,
    CoseAlgorithm::PS384,
    CoseAlgorithm::PS512,
    CoseAlgorithm::RS256,
    CoseAlgorithm::RS384,
    CoseAlgorithm::RS512,
    CoseAlgorithm::RS1,
];

/// The conformance profile's relying party, policy and state.
#[derive(Debug)]
pub struct Fido2Profile {
    rp: RelyingParty,
    policy: AttestationPolicy,
    ephemeral: Arc<dyn Ephemeral>,
    rng: SystemRandom,
    secure_cookie: bool,
}

/// A failed call: its HTTP status, anshin error code and message.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
}

impl Failure {
    fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    fn no_ceremony() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "ceremony_unknown_or_expired",
            "no ceremony in progress: the session cookie is missing, expired or already used; \
             call the options endpoint first",
        )
    }

    fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }
}

impl From<webauthn_core::Error> for Failure {
    fn from(error: webauthn_core::Error) -> Self {
        let code = error.code();
        let status = if code == "internal_error" {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::new(status, code, error.to_string())
    }
}

impl From<EphemeralError> for Failure {
    fn from(error: EphemeralError) -> Self {
        tracing::warn!(%error, "fido2: ephemeral store failed");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the ephemeral store is unavailable; try again",
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        // Store outages were logged with their detail where they were converted.
        if self.status.is_server_error() && self.code != "unavailable" {
            tracing::warn!(code = self.code, message = %self.message, "fido2 call failed");
        } else {
            tracing::debug!(code = self.code, message = %self.message, "fido2 call refused");
        }
        let body = json!({
            "status": "failed",
            "errorMessage": self.message,
            "code": self.code,
        });
        (self.status, axum::Json(body)).into_response()
    }
}

/// A successful call: the `ServerResponse` members besides `status` and `errorMessage`, and
/// the `Set-Cookie` value naming a new ceremony.
#[derive(Debug)]
struct Answer {
    members: Map<String, Value>,
    cookie: Option<HeaderValue>,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut body = self.members;
        body.insert("status".to_owned(), Value::from("ok"));
        body.insert("errorMessage".to_owned(), Value::from(""));
        let mut response = axum::Json(Value::Object(body)).into_response();
        if let Some(cookie) = self.cookie {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// A request body: a JSON object. A wrong content type, a body over the size limit or one
/// that is not a JSON object answers with a `failed` `ServerResponse`, never with axum's
/// plain-text rejections.
#[derive(Debug)]
struct Body(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Failure> {
        if !is_json(req.headers()) {
            return Err(Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Failure::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is too large",
                )
            } else {
                Failure::invalid("the request body could not be read")
            }
        })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(object)) => Ok(Self(object)),
            Ok(_) => Err(Failure::invalid("the request body is not a JSON object")),
            Err(e) => Err(Failure::invalid(format!("malformed JSON: {e}"))),
        }
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/*+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The ceremony id in the request's cookies, if there is one of the right shape.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|id| is_session_id(id))
}

/// A ceremony id is 32 base64url characters (24 random bytes).
fn is_session_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the profile keeps between `options` and `result`.
#[derive(Debug, Serialize, Deserialize)]
struct Pending<S> {
    username: String,
    state: S,
}

/// A user of the profile (never a user of the product API).
#[derive(Debug, Serialize, Deserialize)]
struct ProfileUser {
    user_handle: UserHandle,
    credentials: Vec<CredentialRecord>,
}

/// `ServerPublicKeyCredentialCreationOptionsRequest`, with the members to echo kept verbatim.
#[derive(Debug)]
struct CreationRequest {
    username: String,
    display_name: String,
    selection: Option<Value>,
    attestation: Option<Value>,
    extensions: Option<Value>,
}

/// `ServerPublicKeyCredentialGetOptionsRequest`, with the members to echo kept verbatim.
#[derive(Debug)]
struct GetRequest {
    username: String,
    user_verification: Option<Value>,
    extensions: Option<Value>,
}

/// A member that is present and not `null`.
fn member(body: &Map<String, Value>, name: &str) -> Option<Value> {
    body.get(name).filter(|v| !v.is_null()).cloned()
}

/// A required non-empty string member.
fn required_string(body: &Map<String, Value>, name: &str) -> Result<String, Failure> {
    match body.get(name) {
        None | Some(Value::Null) => Err(Failure::invalid(format!("{name} is missing"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(Failure::invalid(format!("{name} is empty")))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Failure::invalid(format!("{name} is not a string"))),
    }
}

fn username(body: &Map<String, Value>) -> Result<String, Failure> {
    let name = required_string(body, "username")?;
    if name.chars().count() > MAX_USERNAME_CHARS {
        return Err(Failure::invalid(format!(
            "username is longer than {MAX_USERNAME_CHARS} characters"
        )));
    }
    Ok(name)
}

/// Reads a WebAuthn value (an enum, a dictionary) out of a request member.
fn typed<T: DeserializeOwned>(value: Option<&Value>, name: &str) -> Result<Option<T>, Failure> {
    value
        .map(|v| {
            serde_json::from_value(v.clone())
                .map_err(|e| Failure::invalid(format!("{name} is not valid: {e}")))
        })
        .transpose()
}

/// Extension inputs: an object, echoed verbatim; the ones the core knows are also applied.
fn extension_inputs(value: Option<&Value>) -> Result<ClientExtensionInputs, Failure> {
    match value {
        None => Ok(ClientExtensionInputs::default()),
        Some(Value::Object(_)) => Ok(typed(value, "extensions")?.unwrap_or_default()),
        Some(_) => Err(Failure::invalid("extensions is not an object")),
    }
}

impl CreationRequest {
    fn parse(body: &Map<String, Value>) -> Result<Self, Failure> {
        Ok(Self {
            username: username(body)?,
            display_name: required_string(body, "displayName")?,
            selection: member(body, "authenticatorSelection"),
            attestation: member(body, "attestation"),
            extensions: member(body, "extensions"),
        })
    }

    /// The core's registration options for this request.
    fn options(
        &self,
        exclude_credentials: Vec<CredentialDescriptorJson>,
    ) -> Result<RegistrationOptions, Failure> {
        if self.selection.as_ref().is_some_and(|s| !s.is_object()) {
            return Err(Failure::invalid("authenticatorSelection is not an object"));
        }
        let selection: AuthenticatorSelectionJson =
            typed(self.selection.as_ref(), "authenticatorSelection")?.unwrap_or_default();
        let resident_key = match (selection.resident_key, selection.require_resident_key) {
            (Some(rk), _) => rk,
            (None, Some(true)) => ResidentKeyRequirement::Required,
            (None, _) => ResidentKeyRequirement::Discouraged,
        };
        let attestation: AttestationConveyancePreference =
            typed(self.attestation.as_ref(), "attestation")?.unwrap_or_default();
        Ok(RegistrationOptions {
            user_verification: selection.user_verification.unwrap_or_default(),
            resident_key,
            authenticator_attachment: selection.authenticator_attachment,
            attestation,
            exclude_credentials,
            extensions: extension_inputs(self.extensions.as_ref())?,
            timeout: Some(CEREMONY_TTL),
            ..RegistrationOptions::default()
        })
    }
}

impl GetRequest {
    fn parse(body: &Map<String, Value>) -> Result<Self, Failure> {
        Ok(Self {
            username: username(body)?,
            user_verification: member(body, "userVerification"),
            extensions: member(body, "extensions"),
        })
    }
}

/// A value as a JSON object.
fn to_object<T: Serialize>(value: &T) -> Result<Map<String, Value>, Failure> {
    match serde_json::to_value(value) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(Failure::internal("the options could not be serialized")),
    }
}

/// Puts a request member back into the answer exactly as it was sent, or leaves it out.
fn echo(out: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    match value {
        Some(v) => out.insert(name.to_owned(), v),
        None => out.remove(name),
    };
}

/// Renames the conformance tool's `getClientExtensionResults` to the WebAuthn JSON name and
/// drops an empty `userHandle` (the API document's own example sends `""`).
fn normalize_credential(mut body: Map<String, Value>) -> Value {
    if !body.contains_key("clientExtensionResults")
        && let Some(outputs) = body.remove("getClientExtensionResults")
    {
        body.insert("clientExtensionResults".to_owned(), outputs);
    }
    if let Some(Value::Object(response)) = body.get_mut("response")
        && response.get("userHandle").and_then(Value::as_str) == Some("")
    {
        response.remove("userHandle");
    }
    Value::Object(body)
}

fn descriptors(credentials: &[CredentialRecord]) -> Vec<CredentialDescriptorJson> {
    credentials
        .iter()
        .map(|c| CredentialDescriptorJson::new(c.id.clone(), c.transports.clone()))
        .collect()
}

impl Fido2Profile {
    /// The profile for a configuration.
    ///
    /// # Errors
    /// An invalid relying party configuration.
    pub fn new(
        config: &Config,
        ephemeral: Arc<dyn Ephemeral>,
        metadata: Option<Arc<Metadata>>,
    ) -> Result<Self, webauthn_core::Error> {
        let rp = RelyingParty::builder(&config.rp_id, &config.rp_name)
            .origins(&config.origins)
            .legacy_algorithms(true)
            .algorithms(ALGORITHMS.to_vec())
            .counter_policy(CounterPolicy::Reject)
            .registration_timeout(CEREMONY_TTL)
            .authentication_timeout(CEREMONY_TTL)
            .build()?;
        // android-safetynet is deprecated and off in the product API; the conformance
        // catalogue still has its suite (Resp-B), with a one-minute timestamp window.
        let mut policy = AttestationPolicy::default()
            .require_zero_u2f_aaguid()
            .reject_root_in_x5c()
            .allow_safetynet(webauthn_core::SafetyNetPolicy::default());
        if let Some(metadata) = metadata {
            policy = policy.with_metadata(metadata).require_metadata();
        }
        // A cookie marked Secure would not come back over plain HTTP (local runs of the tool).
        let secure_cookie = !config.origins.iter().any(|o| o.starts_with("http://"));
        Ok(Self {
            rp,
            policy,
            ephemeral,
            rng: SystemRandom::new(),
            secure_cookie,
        })
    }

    /// An answer that sets the cookie naming a new ceremony.
    fn with_session(&self, members: Map<String, Value>, session: &str) -> Result<Answer, Failure> {
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        let cookie = HeaderValue::from_str(&format!(
            "{COOKIE}={session}; Path=/fido2; HttpOnly; SameSite=Lax{secure}"
        ))
        .map_err(|_| Failure::internal("the session cookie could not be built"))?;
        Ok(Answer {
            members,
            cookie: Some(cookie),
        })
    }

    async fn load_user(&self, username: &str) -> Result<Option<ProfileUser>, Failure> {
        let Some(bytes) = self.ephemeral.get(&user_key(username)).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| Failure::internal("a stored profile user could not be read"))
    }

    /// Saves a user. Read-modify-write without a lock: two ceremonies of the same user
    /// finishing at the same instant may lose one update, which the profile tolerates.
    async fn save_user(&self, username: &str, user: &ProfileUser) -> Result<(), Failure> {
        let bytes = serde_json::to_vec(user)
            .map_err(|_| Failure::internal("the profile user could not be serialized"))?;
        self.ephemeral
            .put(&user_key(username), &bytes, USER_TTL)
            .await?;
        Ok(())
    }

    /// Stores the state of a new ceremony under a fresh random id, and returns the id.
    async fn begin<S: Serialize>(&self, purpose: &str, pending: &S) -> Result<String, Failure> {
        let mut bytes = [0u8; 24];
        webauthn_core::RandomSource::fill(&self.rng, &mut bytes)?;
        let session = webauthn_core::base64url::encode(bytes);
        let state = serde_json::to_vec(pending)
            .map_err(|_| Failure::internal("the ceremony state could not be serialized"))?;
        self.ephemeral
            .put(&ceremony_key(purpose, &session), &state, CEREMONY_TTL)
            .await?;
        Ok(session)
    }

    /// Takes the state of the ceremony the cookie names: once only.
    async fn finish<S: DeserializeOwned>(
        &self,
        purpose: &str,
        session: Option<&str>,
    ) -> Result<Pending<S>, Failure> {
        let session = session.ok_or_else(Failure::no_ceremony)?;
        let bytes = self
            .ephemeral
            .take(&ceremony_key(purpose, session))
            .await?
            .ok_or_else(Failure::no_ceremony)?;
        serde_json::from_slice(&bytes).map_err(|_| Failure::no_ceremony())
    }

    /// `POST /attestation/options`.
    #[tracing::instrument(skip_all)]
    async fn attestation_options(&self, body: &Map<String, Value>) -> Result<Answer, Failure> {
        let request = CreationRequest::parse(body)?;
        let existing = self.load_user(&request.username).await?;
        let (handle, exclude) = match existing {
            Some(user) => (user.user_handle, descriptors(&user.credentials)),
            None => (UserHandle::random(&self.rng)?, Vec::new()),
        };
        let options = request.options(exclude)?;
        let user = UserEntity {
            id: handle,
            name: request.username.clone(),
            display_name: request.display_name.clone(),
        };
        let (json, state) = self
            .rp
            .start_registration(user, options, now_unix(), &self.rng)?;
        let mut out = to_object(&json.public_key)?;
        echo(&mut out, "authenticatorSelection", request.selection);
        let attestation = request.attestation.unwrap_or_else(|| Value::from("none"));
        out.insert("attestation".to_owned(), attestation);
        echo(&mut out, "extensions", request.extensions);
        out.entry("excludeCredentials").or_insert_with(|| json!([]));
        let pending = Pending {
            username: request.username,
            state,
        };
        let session = self.begin(ATTESTATION, &pending).await?;
        self.with_session(out, &session)
    }

    /// `POST /attestation/result`.
    #[tracing::instrument(skip_all)]
    async fn attestation_result(
        &self,
        session: Option<&str>,
        body: Map<String, Value>,
    ) -> Result<Answer, Failure> {
        let pending: Pending<RegistrationState> = self.finish(ATTESTATION, session).await?;
        let response = RegistrationResponseJson::from_json(&normalize_credential(body))?;
        let handle = pending.state.user().id.clone();
        let verified =
            self.rp
                .finish_registration(pending.state, &response, &self.policy, now_unix())?;
        // The tool expects a certificate-based statement whose path does not lead to the
        // model's metadata roots (expired, unknown issuer...) to be refused, while none and
        // self attestation stay acceptable: the policy mode cannot say both, so check here.
        if !verified.attestation.trusted
            && !matches!(
                verified.attestation.attestation_type,
                AttestationType::None | AttestationType::SelfAttestation
            )
        {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "attestation_untrusted",
                "the attestation certificate path does not lead to a trusted root",
            ));
        }
        let mut user = self
            .load_user(&pending.username)
            .await?
            .unwrap_or_else(|| ProfileUser {
                user_handle: handle.clone(),
                credentials: Vec::new(),
            });
        if user.user_handle != handle {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "credential_already_registered",
                "the user was registered by another ceremony meanwhile; start again",
            ));
        }
        if user
            .credentials
            .iter()
            .any(|c| c.id == verified.credential.id)
        {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "credential_already_registered",
                "this credential is already registered for the user",
            ));
        }
        tracing::info!(
            format = %verified.attestation.format,
            aaguid = %verified.attestation.aaguid,
            "fido2: credential registered"
        );
        user.credentials.push(verified.credential);
        self.save_user(&pending.username, &user).await?;
        Ok(Answer {
            members: Map::new(),
            cookie: None,
        })
    }

    /// `POST /assertion/options`.
    #[tracing::instrument(skip_all)]
    async fn assertion_options(&self, body: &Map<String, Value>) -> Result<Answer, Failure> {
        let request = GetRequest::parse(body)?;
        let user_verification: UserVerificationRequirement =
            typed(request.user_verification.as_ref(), "userVerification")?.unwrap_or_default();
        let extensions = extension_inputs(request.extensions.as_ref())?;
        let user = match self.load_user(&request.username).await? {
            Some(user) if !user.credentials.is_empty() => user,
            _ => {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "user_unknown",
                    "User does not exist",
                ));
            }
        };
        let options = AuthenticationOptions {
            user: Some(user.user_handle),
            allow_credentials: descriptors(&user.credentials),
            user_verification,
            extensions,
            timeout: Some(CEREMONY_TTL),
            ..AuthenticationOptions::default()
        }
        // The tool's positive assertion tests clear UP (see the module documentation).
        .danger_allow_missing_user_presence();
        let (json, state) = self
            .rp
            .start_authentication(options, now_unix(), &self.rng)?;
        let mut out = to_object(&json.public_key)?;
        let user_verification = request
            .user_verification
            .unwrap_or_else(|| Value::from("preferred"));
        out.insert("userVerification".to_owned(), user_verification);
        echo(&mut out, "extensions", request.extensions);
        let pending = Pending {
            username: request.username,
            state,
        };
        let session = self.begin(ASSERTION, &pending).await?;
        self.with_session(out, &session)
    }

    /// `POST /assertion/result`.
    #[tracing::instrument(skip_all)]
    async fn assertion_result(
        &self,
        session: Option<&str>,
        body: Map<String, Value>,
    ) -> Result<Answer, Failure> {
        let pending: Pending<AuthenticationState> = self.finish(ASSERTION, session).await?;
        let response = AuthenticationResponseJson::from_json(&normalize_credential(body))?;
        let unknown = || {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "credential_unknown",
                "the credential is not registered for this user",
            )
        };
        let mut user = self
            .load_user(&pending.username)
            .await?
            .ok_or_else(unknown)?;
        let record = user
            .credentials
            .iter_mut()
            .find(|c| c.id == response.id)
            .ok_or_else(unknown)?;
        let verified =
            self.rp
                .finish_authentication(pending.state, &response, record, now_unix())?;
        verified.apply_to(record);
        self.save_user(&pending.username, &user).await?;
        Ok(Answer {
            members: Map::new(),
            cookie: None,
        })
    }
}

fn user_key(username: &str) -> String {
    format!("fido2:user:{username}")
}

fn ceremony_key(purpose: &str, session: &str) -> String {
    format!("fido2:{purpose}:{session}")
}

fn profile(state: &AppState) -> Result<&Fido2Profile, Failure> {
    state.fido2.as_deref().ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "the FIDO2 conformance profile is not enabled",
        )
    })
}

async fn attestation_options(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Answer, Failure> {
    profile(&state)?.attestation_options(&body).await
}

async fn attestation_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Answer, Failure> {
    let session = session_cookie(&headers);
    profile(&state)?
        .attestation_result(session.as_deref(), body)
        .await
}

async fn assertion_options(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Answer, Failure> {
    profile(&state)?.assertion_options(&body).await
}

async fn assertion_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Answer, Failure> {
    let session = session_cookie(&headers);
    profile(&state)?
        .assertion_result(session.as_deref(), body)
        .await
}

async fn not_found() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "the FIDO2 profile's endpoints take POST",
    )
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/attestation/options", post(attestation_options))
        .route("/attestation/result", post(attestation_result))
        .route("/assertion/options", post(assertion_options))
        .route("/assertion/result", post(assertion_result))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}
