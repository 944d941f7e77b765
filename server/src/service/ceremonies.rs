//! Registration and authentication ceremonies: load what the core needs, run the core,
//! persist the outcome (with its security events) in one transaction, open the session.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use webauthn_core::json::{CredentialDescriptorJson, ResidentKeyRequirement};
use webauthn_core::{
    AttestationPolicy, AuthenticationOptions, AuthenticationResponseJson, AuthenticationState,
    CounterVerdict, CredentialId, Mediation, RegistrationOptions, RegistrationResponseJson,
    RegistrationState, RelyingParty, SystemRandom, UserEntity, UserHandle, VerifiedAuthentication,
};

use crate::acr;
use crate::api::{
    AuthenticationOptionsRequest, AuthenticationVerified, AuthenticationVerifyRequest,
    CeremonyOptions, CredentialView, RegistrationOptionsRequest, RegistrationVerified,
    RegistrationVerifyRequest, SessionToken, StepUpOptionsRequest, StepUpVerifyRequest, SteppedUp,
};
use crate::app::{now_secs, now_unix};
use crate::auth::{Caller, ClientContext};
use crate::config::Config;
use crate::ephemeral::Ephemeral;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::service::risk::RiskService;
use crate::store::{
    AttestationSummary, AuthenticationWrite, NewEvent, RegistrationWrite, Session, Store,
    StoredCredential, User,
};
use crate::tokens::TokenService;
use anshin_risk::{Action, CredentialFacts, DecisionPoint};

/// How long a ceremony may take.
pub const CEREMONY_TTL: Duration = Duration::from_secs(300);
/// The longest user name, display name or nickname accepted, in characters.
pub const MAX_NAME_CHARS: usize = 256;
/// The longest credential nickname, in characters.
pub const MAX_NICKNAME_CHARS: usize = 64;

/// A registration waiting for its verify call (kept in the ephemeral store).
#[derive(Debug, Serialize, Deserialize)]
struct PendingRegistration {
    state: RegistrationState,
    user_id: Uuid,
    /// The user is created by the verify call (open sign-up, or a backend registering a name
    /// that does not exist yet).
    new_user: bool,
    /// Who started it; only they may finish it.
    caller: String,
}

/// A step-up waiting for its verify call.
#[derive(Debug, Serialize, Deserialize)]
struct PendingStepUp {
    state: AuthenticationState,
    /// Only this session may finish it.
    session_id: String,
    /// The sensitive action it is for.
    action: Option<String>,
}

/// An authentication waiting for its verify call.
#[derive(Debug, Serialize, Deserialize)]
struct PendingAuthentication {
    state: AuthenticationState,
}

/// Registration and authentication.
#[derive(Debug)]
pub struct CeremonyService {
    rp: Arc<RelyingParty>,
    policy: Arc<AttestationPolicy>,
    risk: Arc<RiskService>,
    /// The metadata the attestation policy trusts, for authenticators' current status.
    metadata: Option<Arc<webauthn_core::mds::Metadata>>,
    store: Arc<dyn Store>,
    ephemeral: Arc<dyn Ephemeral>,
    tokens: Arc<TokenService>,
    config: Config,
    metrics: Arc<Metrics>,
    rng: SystemRandom,
}

/// Checks a name: 1 to [`MAX_NAME_CHARS`] characters, no control characters.
///
/// # Errors
/// `invalid_request` naming the field.
pub fn check_name(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(format!(
            "{field} must be at most {max} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(())
}

fn new_id(rng: &SystemRandom) -> Result<String, ApiError> {
    use webauthn_core::RandomSource as _;
    let mut bytes = [0u8; 24];
    rng.fill(&mut bytes)
        .map_err(|_| ApiError::internal("random source failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A ceremony id is 32 base64url characters; anything else cannot be one.
fn ceremony_key(prefix: &str, id: &str) -> Result<String, ApiError> {
    if id.len() != 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::ceremony_unknown());
    }
    Ok(format!("{prefix}:{id}"))
}

fn event(
    kind: &str,
    user_id: Option<Uuid>,
    credential_id: Option<&CredentialId>,
    data: serde_json::Value,
    now: i64,
) -> NewEvent {
    NewEvent {
        kind: kind.to_owned(),
        user_id,
        credential_id: credential_id.cloned(),
        data,
        created_at: now,
    }
}

fn to_value<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::internal(e.to_string()))
}

impl CeremonyService {
    /// Uses a metadata BLOB for authenticators' current status (a risk signal at sign-in).
    #[must_use]
    pub fn with_metadata(mut self, metadata: Option<Arc<webauthn_core::mds::Metadata>>) -> Self {
        self.metadata = metadata;
        self
    }

    /// Keeps a pending ceremony in the ephemeral store and answers with its options.
    async fn put_ceremony<T: Serialize>(
        &self,
        prefix: &str,
        pending: &T,
        public_key: &impl Serialize,
        mediation: Option<Mediation>,
    ) -> Result<CeremonyOptions, ApiError> {
        let ceremony_id = new_id(&self.rng)?;
        let bytes = serde_json::to_vec(pending).map_err(|e| ApiError::internal(e.to_string()))?;
        self.ephemeral
            .put(&ceremony_key(prefix, &ceremony_id)?, &bytes, CEREMONY_TTL)
            .await?;
        Ok(CeremonyOptions {
            ceremony_id,
            public_key: to_value(public_key)?,
            mediation,
        })
    }

    /// A service over the given relying party, policy and stores.
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rp: Arc<RelyingParty>,
        policy: Arc<AttestationPolicy>,
        store: Arc<dyn Store>,
        ephemeral: Arc<dyn Ephemeral>,
        tokens: Arc<TokenService>,
        config: Config,
        metrics: Arc<Metrics>,
        risk: Arc<RiskService>,
    ) -> Self {
        Self {
            rp,
            policy,
            risk,
            metadata: None,
            store,
            ephemeral,
            tokens,
            config,
            metrics,
            rng: SystemRandom::new(),
        }
    }

    /// Refuses a client that sent too many ceremony requests in the current minute.
    ///
    /// # Errors
    /// `rate_limited`, or `unavailable` when the ephemeral store is down.
    pub async fn limit_ip(&self, context: &ClientContext) -> Result<(), ApiError> {
        let count = self
            .ephemeral
            .incr(&format!("rl:ip:{}", context.ip), Duration::from_secs(60))
            .await?;
        if count > self.config.rate_limits.per_ip_per_minute {
            return Err(ApiError::coded(
                "rate_limited",
                "too many requests from this address; wait a minute",
            ));
        }
        Ok(())
    }

    /// `POST /v1/registration/options`.
    ///
    /// # Errors
    /// Invalid input, a caller who may not register this user, store failures.
    pub async fn registration_options(
        &self,
        caller: &Caller,
        context: &ClientContext,
        request: RegistrationOptionsRequest,
    ) -> Result<CeremonyOptions, ApiError> {
        let (user, new_user) = self.registration_user(caller, &request).await?;
        let existing = if new_user {
            Vec::new()
        } else {
            self.store.credentials_of(user.id).await?
        };
        if let (Caller::User { session_id, .. }, false) = (caller, new_user) {
            self.check_registration_risk(session_id, context, &user, &existing)
                .await?;
        }
        let mediation = request.mediation.unwrap_or_default();
        if !matches!(mediation, Mediation::Optional | Mediation::Conditional) {
            return Err(ApiError::invalid(
                "mediation must be optional or conditional for registration",
            ));
        }
        let user_verification = request.user_verification.unwrap_or_default();
        if mediation == Mediation::Conditional
            && user_verification == webauthn_core::UserVerificationRequirement::Required
        {
            return Err(ApiError::invalid(
                "a conditional (automatic) registration cannot require user verification",
            ));
        }
        let options = RegistrationOptions {
            user_verification,
            resident_key: request
                .resident_key
                .unwrap_or(ResidentKeyRequirement::Required),
            authenticator_attachment: request.authenticator_attachment,
            attestation: request.attestation.unwrap_or_default(),
            exclude_credentials: existing
                .iter()
                .map(|c| {
                    CredentialDescriptorJson::new(c.record.id.clone(), c.record.transports.clone())
                })
                .collect(),
            hints: request.hints,
            mediation,
            timeout: Some(CEREMONY_TTL),
            ..RegistrationOptions::default()
        };
        let entity = UserEntity {
            id: user.handle.clone(),
            name: user.name.clone(),
            display_name: user.display_name.clone(),
        };
        let (json, state) = self
            .rp
            .start_registration(entity, options, now_unix(), &self.rng)?;
        let pending = PendingRegistration {
            state,
            user_id: user.id,
            new_user,
            caller: caller.label(),
        };
        self.put_ceremony("reg", &pending, &json.public_key, json.mediation)
            .await
    }

    /// A signed-in user adding a passkey to their account: the risk engine decides, and a
    /// step-up it asks for must already be satisfied by the session (a fresh enough level).
    async fn check_registration_risk(
        &self,
        session_id: &str,
        context: &ClientContext,
        user: &User,
        credentials: &[StoredCredential],
    ) -> Result<(), ApiError> {
        let facts = self
            .risk
            .base_facts(
                DecisionPoint::RegisterCredential,
                context,
                Some((user, credentials)),
            )
            .await?;
        let decided = self.risk.decide(&facts, Some(user.id)).await?;
        match decided.decision.action {
            Action::Allow => Ok(()),
            Action::Deny => Err(ApiError::coded(
                "risk_denied",
                format!(
                    "adding a passkey was refused by the risk policy ({})",
                    decided.reason_codes()
                ),
            )),
            Action::StepUp => {
                let required = decided
                    .decision
                    .required_acr
                    .clone()
                    .unwrap_or_else(|| acr::PHR.to_owned());
                let session = self
                    .store
                    .session(session_id)
                    .await?
                    .ok_or_else(|| ApiError::unauthorized("the session does not exist"))?;
                if acr::satisfies(
                    &session.levels,
                    &required,
                    decided.decision.max_age,
                    now_secs(),
                ) {
                    Ok(())
                } else {
                    Err(ApiError::coded(
                        "step_up_required",
                        format!(
                            "adding a passkey needs a recent step-up ({}): {}",
                            decided.reason_codes(),
                            acr::challenge(&required, decided.decision.max_age)
                        ),
                    ))
                }
            }
        }
    }

    /// Decides whose passkey this is, and whether that user exists yet.
    async fn registration_user(
        &self,
        caller: &Caller,
        request: &RegistrationOptionsRequest,
    ) -> Result<(User, bool), ApiError> {
        let wanted = &request.user;
        if let Some(name) = &wanted.name {
            check_name("user.name", name, MAX_NAME_CHARS)?;
        }
        if let Some(display) = &wanted.display_name {
            check_name("user.display_name", display, MAX_NAME_CHARS)?;
        }
        let existing = match (caller, wanted.id) {
            (Caller::User { user_id, .. }, id) => {
                if id.is_some_and(|id| id != *user_id) {
                    return Err(ApiError::forbidden(
                        "a session can only add passkeys to its own account",
                    ));
                }
                Some(
                    self.store.user(*user_id).await?.ok_or_else(|| {
                        ApiError::unauthorized("the session's user no longer exists")
                    })?,
                )
            }
            (Caller::Backend { .. }, Some(id)) => Some(
                self.store
                    .user(id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("no user has this id"))?,
            ),
            (Caller::Backend { .. }, None) => match &wanted.name {
                Some(name) => self.store.user_by_name(name).await?,
                None => return Err(ApiError::invalid("user.name or user.id is required")),
            },
            (Caller::Anonymous, Some(_)) => {
                return Err(ApiError::unauthorized(
                    "adding a passkey to an existing account needs the user's session or an API key",
                ));
            }
            (Caller::Anonymous, None) => {
                if !self.config.open_signup {
                    return Err(ApiError::unauthorized(
                        "sign-up is closed: registration needs an API key or a session",
                    ));
                }
                let name = wanted
                    .name
                    .as_deref()
                    .ok_or_else(|| ApiError::invalid("user.name is required"))?;
                if self.store.user_by_name(name).await?.is_some() {
                    return Err(ApiError::coded(
                        "user_exists",
                        "this user name is taken; sign in to add a passkey to it",
                    ));
                }
                None
            }
        };
        if let Some(user) = existing {
            return Ok((user, false));
        }
        let name = wanted
            .name
            .clone()
            .ok_or_else(|| ApiError::invalid("user.name is required"))?;
        let user = User {
            id: Uuid::new_v4(),
            handle: UserHandle::random(&self.rng)?,
            display_name: wanted.display_name.clone().unwrap_or_else(|| name.clone()),
            name,
            phone: None,
            created_at: now_secs(),
        };
        Ok((user, true))
    }

    /// `POST /v1/registration/verify`.
    ///
    /// # Errors
    /// An unknown ceremony, a response that fails verification, a duplicate credential.
    pub async fn registration_verify(
        &self,
        caller: &Caller,
        context: &ClientContext,
        request: RegistrationVerifyRequest,
    ) -> Result<RegistrationVerified, ApiError> {
        if let Some(nickname) = &request.nickname {
            check_name("nickname", nickname, MAX_NICKNAME_CHARS)?;
        }
        let key = ceremony_key("reg", &request.ceremony_id)?;
        let response = RegistrationResponseJson::from_json(&request.credential)?;
        let bytes = self
            .ephemeral
            .take(&key)
            .await?
            .ok_or_else(ApiError::ceremony_unknown)?;
        let pending: PendingRegistration =
            serde_json::from_slice(&bytes).map_err(|_| ApiError::ceremony_unknown())?;
        if pending.caller != caller.label() {
            return Err(ApiError::forbidden(
                "the ceremony was started by another caller",
            ));
        }
        let now = now_secs();
        let user_entity = pending.state.user().clone();
        let verified = self
            .rp
            .finish_registration(pending.state, &response, &self.policy, now_unix())
            .inspect_err(|e| self.metrics.ceremony("registration", e.code()))?;
        let attestation = AttestationSummary {
            format: verified.attestation.format.clone(),
            kind: to_value(&verified.attestation.attestation_type)?
                .as_str()
                .unwrap_or("none")
                .to_owned(),
            trusted: verified.attestation.trusted,
        };
        let credential = StoredCredential {
            record: verified.credential.clone(),
            user_id: pending.user_id,
            nickname: request.nickname.clone(),
            authenticator_name: verified
                .attestation
                .metadata
                .as_ref()
                .and_then(|m| m.description.clone()),
            attestation,
            created_at: now,
            last_used_at: None,
        };
        let new_user = pending.new_user.then(|| User {
            id: pending.user_id,
            handle: user_entity.id.clone(),
            name: user_entity.name.clone(),
            display_name: user_entity.display_name.clone(),
            phone: None,
            created_at: now,
        });
        // A new account signs up and in at once; a passkey added to an existing account
        // leaves the caller's session as it is.
        let session = if new_user.is_some() && matches!(caller, Caller::Anonymous) {
            Some(self.new_session(
                pending.user_id,
                &credential.record.id,
                verified.user_verified,
                credential.record.backup_eligible,
                now,
            )?)
        } else {
            None
        };
        let mut events = Vec::new();
        if new_user.is_some() {
            events.push(event(
                "user.created",
                Some(pending.user_id),
                None,
                json!({}),
                now,
            ));
        }
        events.push(event(
            "credential.registered",
            Some(pending.user_id),
            Some(&credential.record.id),
            json!({
                "aaguid": credential.record.aaguid.to_string(),
                "format": credential.attestation.format,
                "trusted": credential.attestation.trusted,
                "backup_eligible": credential.record.backup_eligible,
                "ip": context.ip.to_string(),
            }),
            now,
        ));
        self.store
            .register(&RegistrationWrite {
                new_user,
                credential: credential.clone(),
                session: session.clone(),
                events,
                login: session.as_ref().map(|_| {
                    self.risk
                        .login_record(pending.user_id, "passkey", context, None, now)
                }),
                nudge_session: match caller {
                    Caller::User { session_id, .. } => Some(session_id.clone()),
                    _ => None,
                },
            })
            .await
            .map_err(ApiError::from)
            .inspect_err(|e| self.metrics.ceremony("registration", e.code))?;
        self.metrics.ceremony("registration", "ok");
        let session = match session {
            Some(s) => Some(self.token_for(&s)?),
            None => None,
        };
        Ok(RegistrationVerified {
            user_id: pending.user_id,
            credential: CredentialView::from(&credential),
            session,
        })
    }

    /// `POST /v1/authentication/options`.
    ///
    /// # Errors
    /// Invalid input, store failures.
    pub async fn authentication_options(
        &self,
        context: &ClientContext,
        request: AuthenticationOptionsRequest,
    ) -> Result<CeremonyOptions, ApiError> {
        let mediation = request.mediation.unwrap_or_default();
        let mut options = AuthenticationOptions {
            user_verification: request.user_verification.unwrap_or_default(),
            mediation,
            timeout: Some(CEREMONY_TTL),
            ..AuthenticationOptions::default()
        };
        let now = now_unix();
        let (json, state) = match request.username.as_deref() {
            Some(name) if mediation != Mediation::Conditional => {
                check_name("username", name, MAX_NAME_CHARS)?;
                let credentials = self.store.credentials_of_name(name).await?;
                if credentials.is_empty() {
                    // A name that cannot sign in: probing or spraying counts it against the
                    // address (names that sign in do not, so that many people behind one
                    // NAT are not mistaken for a sprayer).
                    self.risk.note_attempt(context.ip, name).await;
                    // Same shape as for a real user, so that the answer does not say whether
                    // the name exists.
                    self.rp
                        .start_authentication_for_unknown_user(name, options, now, &self.rng)?
                } else {
                    options.user = credentials.first().map(|c| c.record.user_handle.clone());
                    options.allow_credentials = credentials
                        .iter()
                        .map(|c| {
                            CredentialDescriptorJson::new(
                                c.record.id.clone(),
                                c.record.transports.clone(),
                            )
                        })
                        .collect();
                    self.rp.start_authentication(options, now, &self.rng)?
                }
            }
            _ => self.rp.start_authentication(options, now, &self.rng)?,
        };
        let pending = PendingAuthentication { state };
        self.put_ceremony("authn", &pending, &json.public_key, json.mediation)
            .await
    }

    /// `POST /v1/authentication/verify`.
    ///
    /// # Errors
    /// An unknown ceremony or credential, a response that fails verification, too many
    /// failures for the user.
    pub async fn authentication_verify(
        &self,
        caller: &Caller,
        context: &ClientContext,
        request: AuthenticationVerifyRequest,
    ) -> Result<AuthenticationVerified, ApiError> {
        let key = ceremony_key("authn", &request.ceremony_id)?;
        let response = AuthenticationResponseJson::from_json(&request.credential)?;
        let context = context.relayed(caller, request.context.as_ref())?;
        let bytes = self
            .ephemeral
            .take(&key)
            .await?
            .ok_or_else(ApiError::ceremony_unknown)?;
        let pending: PendingAuthentication =
            serde_json::from_slice(&bytes).map_err(|_| ApiError::ceremony_unknown())?;
        let now = now_secs();
        // The credential, its owner and what the risk engine wants to know about them: one
        // read.
        let Some(subject) = self.store.sign_in_subject(&response.id).await? else {
            self.risk.count_failure(context.ip, None).await;
            self.metrics
                .ceremony("authentication", "credential_unknown");
            return Err(ApiError::coded(
                "credential_unknown",
                "this passkey is not registered here (it may have been deleted)",
            ));
        };
        let mut stored = subject.credential.clone();
        let user_id = stored.user_id;
        let failures_key = format!("fail:user:{user_id}");
        let lock_key = format!("lock:user:{user_id}");
        // The account's lock and the failure counters the risk engine reads, together.
        let (counters, lock) = self
            .risk
            .failure_counters_and(context.ip, Some(user_id), &[&lock_key])
            .await?;
        if lock.first().is_some_and(Option::is_some) {
            self.metrics.ceremony("authentication", "rate_limited");
            return Err(ApiError::coded(
                "rate_limited",
                "too many failed sign-ins for this account; try again later",
            ));
        }
        let verified = match self.rp.finish_authentication(
            pending.state,
            &response,
            &stored.record,
            now_unix(),
        ) {
            Ok(verified) => verified,
            Err(error) => {
                let code = error.code();
                self.metrics.ceremony("authentication", code);
                self.count_failure(&failures_key, &lock_key).await;
                // The account's counter (the same key the risk engine reads) is kept above.
                self.risk.count_failure(context.ip, None).await;
                self.risk
                    .note_attempt(context.ip, &user_id.to_string())
                    .await;
                let mut events = vec![event(
                    "signin.failed",
                    Some(user_id),
                    Some(&stored.record.id),
                    json!({"code": code, "ip": context.ip.to_string()}),
                    now,
                )];
                if code == "counter_regression" {
                    events.push(event(
                        "counter.regressed",
                        Some(user_id),
                        Some(&stored.record.id),
                        json!({"stored": stored.record.sign_count, "rejected": true}),
                        now,
                    ));
                }
                if let Err(store_error) = self.store.append_events(&events).await {
                    tracing::warn!(%store_error, "could not record a failed sign-in");
                }
                return Err(error.into());
            }
        };
        let mut events = self.authentication_events(&verified, &stored, &context, now);
        let mut facts = self
            .risk
            .sign_in_facts(&context, &subject, counters)
            .await?;
        facts.credential = Some(CredentialFacts {
            aaguid: Some(stored.record.aaguid.to_string()),
            backup_eligible: verified.backup_eligible,
            backup_state: verified.backup_state,
            backup_state_changed: verified.backup_state_changed,
            backup_eligibility_changed: verified.backup_eligibility_changed,
            counter_regressed: matches!(verified.counter, CounterVerdict::Regressed { .. }),
            user_verified: verified.user_verified,
            attestation_trusted: Some(stored.attestation.trusted),
            authenticator_status: self.metadata.as_ref().and_then(|m| {
                m.by_aaguid(&stored.record.aaguid)
                    .and_then(|entry| entry.current_status(now_unix()))
                    .map(|status| status.as_str().to_owned())
            }),
            created_at: Some(stored.created_at),
        });
        // The decision is stored with the sign-in it allows, in one transaction; a denial
        // is stored on its own.
        let (decided, decision_record) = self.risk.decide_unrecorded(&facts, Some(user_id));
        if decided.decision.action == Action::Deny {
            self.store.record_decision(&decision_record).await?;
            self.metrics.ceremony("authentication", "risk_denied");
            events.retain(|e| e.kind != "signin.succeeded");
            events.push(event(
                "signin.denied",
                Some(user_id),
                Some(&stored.record.id),
                json!({"decision_id": decided.id, "reasons": decided.reason_codes(), "ip": context.ip.to_string()}),
                now,
            ));
            if let Err(store_error) = self.store.append_events(&events).await {
                tracing::warn!(%store_error, "could not record a denied sign-in");
            }
            return Err(ApiError::coded(
                "risk_denied",
                format!(
                    "the sign-in was refused by the risk policy ({}); try again later or contact support",
                    decided.reason_codes()
                ),
            ));
        }
        verified.apply_to(&mut stored.record);
        stored.last_used_at = Some(now);
        let mut session = self.new_session(
            user_id,
            &stored.record.id,
            verified.user_verified,
            verified.backup_eligible,
            now,
        )?;
        if decided.decision.action == Action::StepUp {
            // Signed in, but below the phishing-resistant levels until a step-up.
            session.acr = acr::MFA.to_owned();
            session.levels = std::iter::once((acr::MFA.to_owned(), now)).collect();
        }
        self.store
            .authenticated(&AuthenticationWrite {
                credential: stored.clone(),
                session: Some(session.clone()),
                login: Some(self.risk.login_record(
                    user_id,
                    "passkey",
                    &context,
                    facts.geo.as_ref(),
                    now,
                )),
                decision: Some(decision_record),
                events,
            })
            .await?;
        self.metrics.ceremony("authentication", "ok");
        Ok(AuthenticationVerified {
            risk: decided.view(),
            user_id,
            credential_id: stored.record.id.to_base64url(),
            acr: session.acr.clone(),
            amr: session.amr.clone(),
            user_verified: verified.user_verified,
            session: self.token_for(&session)?,
        })
    }

    /// `POST /v1/step-up/options`: a user-verifying assertion for the signed-in user.
    ///
    /// # Errors
    /// Without a user session, or when the user has no passkey.
    pub async fn step_up_options(
        &self,
        caller: &Caller,
        request: StepUpOptionsRequest,
    ) -> Result<CeremonyOptions, ApiError> {
        let Caller::User {
            user_id,
            session_id,
        } = caller
        else {
            return Err(ApiError::unauthorized(
                "a step-up needs the user's session token",
            ));
        };
        if let Some(action) = &request.action {
            check_name("action", action, 64)?;
        }
        let credentials = self.store.credentials_of(*user_id).await?;
        if credentials.is_empty() {
            return Err(ApiError::coded(
                "credential_unknown",
                "the account has no passkey to step up with; register one first",
            ));
        }
        let user = self
            .store
            .user(*user_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the session's user no longer exists"))?;
        let options = AuthenticationOptions {
            user: Some(user.handle),
            allow_credentials: credentials
                .iter()
                .map(|c| {
                    CredentialDescriptorJson::new(c.record.id.clone(), c.record.transports.clone())
                })
                .collect(),
            user_verification: webauthn_core::UserVerificationRequirement::Required,
            timeout: Some(CEREMONY_TTL),
            ..AuthenticationOptions::default()
        };
        let (json, state) = self
            .rp
            .start_authentication(options, now_unix(), &self.rng)?;
        let pending = PendingStepUp {
            state,
            session_id: session_id.clone(),
            action: request.action,
        };
        self.put_ceremony("stepup", &pending, &json.public_key, json.mediation)
            .await
    }

    /// `POST /v1/step-up/verify`: raises the session's level, with a fresh `auth_time`.
    ///
    /// # Errors
    /// Another session's ceremony, a failed assertion, or a risk denial of the action.
    pub async fn step_up_verify(
        &self,
        caller: &Caller,
        context: &ClientContext,
        request: StepUpVerifyRequest,
    ) -> Result<SteppedUp, ApiError> {
        let Caller::User {
            user_id,
            session_id,
        } = caller
        else {
            return Err(ApiError::unauthorized(
                "a step-up needs the user's session token",
            ));
        };
        let key = ceremony_key("stepup", &request.ceremony_id)?;
        let response = AuthenticationResponseJson::from_json(&request.credential)?;
        let bytes = self
            .ephemeral
            .take(&key)
            .await?
            .ok_or_else(ApiError::ceremony_unknown)?;
        let pending: PendingStepUp =
            serde_json::from_slice(&bytes).map_err(|_| ApiError::ceremony_unknown())?;
        if &pending.session_id != session_id {
            return Err(ApiError::forbidden(
                "the step-up was started by another session",
            ));
        }
        let now = now_secs();
        let mut stored = self
            .store
            .credential(&response.id)
            .await?
            .filter(|c| c.user_id == *user_id)
            .ok_or_else(|| {
                ApiError::coded(
                    "credential_unknown",
                    "this passkey is not one of the account's",
                )
            })?;
        let verified = match self.rp.finish_authentication(
            pending.state,
            &response,
            &stored.record,
            now_unix(),
        ) {
            Ok(verified) => verified,
            Err(error) => {
                self.metrics.ceremony("step_up", error.code());
                self.risk.count_failure(context.ip, Some(*user_id)).await;
                let events = [event(
                    "step_up.failed",
                    Some(*user_id),
                    Some(&stored.record.id),
                    json!({"code": error.code(), "ip": context.ip.to_string()}),
                    now,
                )];
                if let Err(store_error) = self.store.append_events(&events).await {
                    tracing::warn!(%store_error, "could not record a failed step-up");
                }
                return Err(error.into());
            }
        };
        let risk = match &pending.action {
            Some(action) => {
                let user =
                    self.store.user(*user_id).await?.ok_or_else(|| {
                        ApiError::unauthorized("the session's user no longer exists")
                    })?;
                let credentials = self.store.credentials_of(*user_id).await?;
                let facts = self
                    .risk
                    .base_facts(
                        DecisionPoint::SensitiveAction(action.clone()),
                        context,
                        Some((&user, &credentials)),
                    )
                    .await?;
                let decided = self.risk.decide(&facts, Some(*user_id)).await?;
                if decided.decision.action == Action::Deny {
                    return Err(ApiError::coded(
                        "risk_denied",
                        format!(
                            "the action was refused by the risk policy ({})",
                            decided.reason_codes()
                        ),
                    ));
                }
                Some(decided.view())
            }
            None => None,
        };
        let mut events = self.authentication_events(&verified, &stored, context, now);
        events.retain(|e| e.kind != "signin.succeeded");
        verified.apply_to(&mut stored.record);
        stored.last_used_at = Some(now);
        self.store
            .authenticated(&AuthenticationWrite {
                credential: stored.clone(),
                session: None,
                login: None,
                decision: None,
                events,
            })
            .await?;
        let mut session = self
            .store
            .session(session_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the session does not exist"))?;
        let reached = if verified.backup_eligible {
            acr::PHR
        } else {
            acr::PHRH
        };
        session.levels.insert(reached.to_owned(), now);
        session.acr = acr::highest(&session.levels).unwrap_or(reached).to_owned();
        session.auth_time = now;
        session.amr = vec![
            if verified.backup_eligible {
                "swk"
            } else {
                "hwk"
            }
            .to_owned(),
            "user".to_owned(),
            "mfa".to_owned(),
        ];
        let stepped = [event(
            "session.stepped_up",
            Some(*user_id),
            Some(&stored.record.id),
            json!({"session_id": session.id, "acr": reached, "action": pending.action}),
            now,
        )];
        if !self.store.update_session(&session, &stepped).await? {
            return Err(ApiError::unauthorized("the session has been revoked"));
        }
        self.metrics.ceremony("step_up", "ok");
        let claims = self.tokens.claims(&session, now);
        Ok(SteppedUp {
            session: SessionToken {
                token: self.tokens.sign(&claims)?,
                session_id: session.id.clone(),
                expires_at: session.expires_at,
            },
            acr: session.acr,
            amr: session.amr,
            auth_time: now,
            risk,
        })
    }

    /// Counts a failed sign-in; past the limit, the account's sign-ins are refused for the
    /// rest of the window (a lock that expires by itself, so it cannot lock anyone out for
    /// good).
    async fn count_failure(&self, failures_key: &str, lock_key: &str) {
        let window = Duration::from_secs(15 * 60);
        match self.ephemeral.incr(failures_key, window).await {
            Ok(count) if count >= self.config.rate_limits.failures_per_user => {
                if let Err(e) = self.ephemeral.put(lock_key, b"1", window).await {
                    tracing::warn!(error = %e, "could not lock sign-ins after repeated failures");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not count a failed sign-in"),
        }
    }

    fn authentication_events(
        &self,
        verified: &VerifiedAuthentication,
        stored: &StoredCredential,
        context: &ClientContext,
        now: i64,
    ) -> Vec<NewEvent> {
        let mut events = vec![event(
            "signin.succeeded",
            Some(stored.user_id),
            Some(&stored.record.id),
            json!({"ip": context.ip.to_string(), "user_verified": verified.user_verified}),
            now,
        )];
        if let CounterVerdict::Regressed {
            stored: old,
            received,
        } = verified.counter
        {
            events.push(event(
                "counter.regressed",
                Some(stored.user_id),
                Some(&stored.record.id),
                json!({"stored": old, "received": received, "rejected": false}),
                now,
            ));
        }
        if verified.backup_eligibility_changed || verified.backup_state_changed {
            events.push(event(
                "backup.changed",
                Some(stored.user_id),
                Some(&stored.record.id),
                json!({
                    "backup_eligible": {"was": stored.record.backup_eligible, "now": verified.backup_eligible},
                    "backup_state": {"was": stored.record.backup_state, "now": verified.backup_state},
                }),
                now,
            ));
        }
        events
    }

    /// A new session after a passkey ceremony. `acr` is `phrh` (phishing-resistant,
    /// hardware-protected) for a device-bound passkey used with user verification, `phr`
    /// otherwise.
    fn new_session(
        &self,
        user_id: Uuid,
        credential_id: &CredentialId,
        user_verified: bool,
        backup_eligible: bool,
        now: i64,
    ) -> Result<Session, ApiError> {
        let mut amr = vec![
            if backup_eligible { "swk" } else { "hwk" }.to_owned(),
            "user".to_owned(),
        ];
        if user_verified {
            amr.push("mfa".to_owned());
        }
        // Without user verification a passkey is one phishing-resistant factor: below `phr`.
        let acr = match (user_verified, backup_eligible) {
            (true, false) => acr::PHRH,
            (true, true) => acr::PHR,
            (false, _) => acr::MFA,
        };
        let ttl = i64::try_from(self.tokens.ttl().as_secs()).unwrap_or(i64::MAX);
        Ok(Session {
            id: new_id(&self.rng)?,
            user_id,
            credential_id: Some(credential_id.clone()),
            acr: acr.to_owned(),
            amr,
            auth_time: now,
            created_at: now,
            expires_at: now.saturating_add(ttl),
            revoked_at: None,
            levels: std::iter::once((acr.to_owned(), now)).collect(),
        })
    }

    fn token_for(&self, session: &Session) -> Result<SessionToken, ApiError> {
        let claims = self.tokens.claims(session, session.created_at);
        Ok(SessionToken {
            token: self.tokens.sign(&claims)?,
            session_id: session.id.clone(),
            expires_at: session.expires_at,
        })
    }
}
