//! Gathering facts for the risk engine, asking it, and recording what it decided.
//!
//! The engine (`anshin-risk`) is pure: this service owns the I/O around it — GeoIP lookups,
//! sign-in history from the store, windowed counters from the ephemeral store — and stores
//! every decision with the facts it was made on, so that feedback can be given on it and
//! rules can be tuned from real data.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anshin_risk::geo::GeoIp;
use anshin_risk::{
    Action, Counters, Decision, DecisionPoint, Facts, GeoFacts, LastLogin, Policy, UserFacts,
};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::app::now_secs;
use crate::auth::ClientContext;
use crate::ephemeral::{Ephemeral, EphemeralResult};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::{
    DecisionRecord, LoginRecord, NewEvent, SignInSubject, Store, StoredCredential, User,
};

/// How long a failed sign-in counts against its account.
const USER_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A decision with its id, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskView {
    /// The stored decision (for `POST /v1/risk/feedback`).
    pub decision_id: String,
    /// `allow`, `step_up` or `deny`.
    pub action: String,
    /// `LOW`, `MEDIUM` or `HIGH`.
    pub level: String,
    /// 0 to 100.
    pub score: u32,
    /// Why (enforced rules only): `{code, rule_id, mode, values}`.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<anshin_risk::Reason>,
    /// For a step-up: the authentication level to reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_acr: Option<String>,
    /// For a step-up: how recent (seconds) that level must be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// For a fallback: the methods to offer, passkey first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_methods: Vec<String>,
    /// What the caller should do besides (`notify_user`, `offer_passkey_enrollment`,
    /// `back_off`...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub obligations: Vec<anshin_risk::Obligation>,
    /// The policy that decided.
    pub policy_version: String,
}

/// A decision and its stored id.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The stored decision's id.
    pub id: String,
    /// The decision.
    pub decision: Decision,
}

impl Decided {
    /// The decision as the API shows it.
    #[must_use]
    pub fn view(&self) -> RiskView {
        let d = &self.decision;
        RiskView {
            decision_id: self.id.clone(),
            action: action_name(d.action).to_owned(),
            level: serde_json::to_value(d.level)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            score: d.score,
            reasons: d.reasons.clone(),
            required_acr: d.required_acr.clone(),
            max_age: d.max_age,
            allowed_methods: d.allowed_methods.clone(),
            obligations: d.obligations.clone(),
            policy_version: d.policy_version.clone(),
        }
    }

    /// The codes of the enforced reasons, joined for messages.
    #[must_use]
    pub fn reason_codes(&self) -> String {
        let codes: Vec<&str> = self
            .decision
            .reasons
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        if codes.is_empty() {
            "policy".to_owned()
        } else {
            codes.join(", ")
        }
    }
}

/// The name of an action.
#[must_use]
pub fn action_name(action: Action) -> &'static str {
    match action {
        Action::Allow => "allow",
        Action::StepUp => "step_up",
        Action::Deny => "deny",
    }
}

/// Risk facts and decisions.
pub struct RiskService {
    policy: Arc<Policy>,
    geo: Option<GeoIp>,
    store: Arc<dyn Store>,
    ephemeral: Arc<dyn Ephemeral>,
    metrics: Arc<Metrics>,
    /// How long a failed sign-in counts against its address and network.
    ip_window: Duration,
}

impl std::fmt::Debug for RiskService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RiskService")
            .field("policy", &self.policy.version())
            .field("geo", &self.geo.is_some())
            .finish_non_exhaustive()
    }
}

impl RiskService {
    /// A service over a policy, optional GeoIP databases and the stores.
    #[must_use]
    pub fn new(
        policy: Arc<Policy>,
        geo: Option<GeoIp>,
        store: Arc<dyn Store>,
        ephemeral: Arc<dyn Ephemeral>,
        metrics: Arc<Metrics>,
        ip_window: Duration,
    ) -> Self {
        Self {
            policy,
            geo,
            store,
            ephemeral,
            metrics,
            ip_window,
        }
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// A successful sign-in for the history, located with `geo` when the caller has already
    /// looked the address up, else with GeoIP now.
    #[must_use]
    pub fn login_record(
        &self,
        user_id: Uuid,
        method: &str,
        context: &ClientContext,
        geo: Option<&GeoFacts>,
        now: i64,
    ) -> LoginRecord {
        let looked_up = if geo.is_none() {
            self.geo(context.ip)
        } else {
            None
        };
        let geo = geo.or(looked_up.as_ref());
        LoginRecord {
            user_id,
            at: now,
            method: method.to_owned(),
            ip: context.ip.to_string(),
            country: geo.and_then(|g| g.country.clone()),
            city: geo.and_then(|g| g.city.clone()),
            latitude: geo.and_then(|g| g.latitude),
            longitude: geo.and_then(|g| g.longitude),
            device_id: context.device_id.clone(),
        }
    }

    /// What GeoIP knows about an address.
    #[must_use]
    pub fn geo(&self, ip: IpAddr) -> Option<GeoFacts> {
        self.geo.as_ref().and_then(|g| g.lookup(ip))
    }

    /// Reads a windowed counter; `None` when the ephemeral store cannot say.
    pub async fn counter(&self, key: &str) -> Option<u64> {
        match self.ephemeral.get(key).await {
            Ok(None) => Some(0),
            Ok(Some(bytes)) => std::str::from_utf8(&bytes).ok()?.trim().parse().ok(),
            Err(e) => {
                tracing::warn!(error = %e, "risk counter unavailable");
                None
            }
        }
    }

    /// Adds one to a windowed counter, best effort.
    pub async fn bump(&self, key: &str, window: Duration) {
        if let Err(e) = self.ephemeral.incr(key, window).await {
            tracing::warn!(error = %e, "could not count a risk signal");
        }
    }

    /// The sign-in failure counters for an address and, when known, an account.
    pub async fn failure_counters(&self, ip: IpAddr, user_id: Option<Uuid>) -> Counters {
        match self.failure_counters_and(ip, user_id, &[]).await {
            Ok((counters, _)) => counters,
            Err(e) => {
                tracing::warn!(error = %e, "risk counters unavailable");
                Counters::default()
            }
        }
    }

    /// [`Self::failure_counters`], and the values of the `extra` keys, read in one call to the
    /// ephemeral store (one round trip to Redis).
    ///
    /// # Errors
    /// When the ephemeral store fails.
    pub async fn failure_counters_and(
        &self,
        ip: IpAddr,
        user_id: Option<Uuid>,
        extra: &[&str],
    ) -> EphemeralResult<(Counters, Vec<Option<Vec<u8>>>)> {
        let network = anshin_risk::signals::network_of(ip);
        let counter_keys = [
            format!("fail:ip:{ip}"),
            format!("fail:net:{network}"),
            format!("ipusers:{ip}"),
            user_id
                .map(|id| format!("fail:user:{id}"))
                .unwrap_or_default(),
        ];
        let counted = if user_id.is_some() { 4 } else { 3 };
        let mut keys: Vec<&str> = counter_keys
            .iter()
            .take(counted)
            .map(String::as_str)
            .collect();
        keys.extend_from_slice(extra);
        let mut values = self.ephemeral.get_many(&keys).await?;
        let extras = values.split_off(counted);
        let count = |value: Option<&Option<Vec<u8>>>| match value {
            Some(Some(bytes)) => std::str::from_utf8(bytes).ok()?.trim().parse().ok(),
            Some(None) => Some(0),
            None => None,
        };
        let counters = Counters {
            ip_failures_10m: count(values.first()),
            network_failures_10m: count(values.get(1)),
            ip_distinct_users_10m: count(values.get(2)),
            user_failures_15m: if user_id.is_some() {
                count(values.get(3))
            } else {
                None
            },
            ..Counters::default()
        };
        Ok((counters, extras))
    }

    /// Counts a failed sign-in against its address, network and account.
    pub async fn count_failure(&self, ip: IpAddr, user_id: Option<Uuid>) {
        let network = anshin_risk::signals::network_of(ip);
        self.bump(&format!("fail:ip:{ip}"), self.ip_window).await;
        self.bump(&format!("fail:net:{network}"), self.ip_window)
            .await;
        if let Some(id) = user_id {
            self.bump(&format!("fail:user:{id}"), USER_WINDOW).await;
        }
    }

    /// Notes that an address tried a user name (distinct names per address reveal spraying).
    pub async fn note_attempt(&self, ip: IpAddr, name: &str) {
        let digest = ring::digest::digest(&ring::digest::SHA256, name.as_bytes());
        let seen = format!(
            "ipuser:{ip}:{}",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                digest.as_ref().get(..12).unwrap_or_default()
            )
        );
        if matches!(self.ephemeral.get(&seen).await, Ok(None)) {
            if let Err(e) = self.ephemeral.put(&seen, b"1", self.ip_window).await {
                tracing::warn!(error = %e, "could not note a sign-in attempt");
                return;
            }
            self.bump(&format!("ipusers:{ip}"), self.ip_window).await;
        }
    }

    /// Facts about a user and their passkeys.
    #[must_use]
    pub fn user_facts(user: &User, credentials: &[StoredCredential]) -> UserFacts {
        UserFacts {
            exists: true,
            created_at: Some(user.created_at),
            passkey_count: u32::try_from(credentials.len()).unwrap_or(u32::MAX),
            newest_credential_at: credentials.iter().map(|c| c.created_at).max(),
            has_phone: user.phone.is_some(),
            recovery_by_sms_allowed: false,
        }
    }

    /// The user's last successful sign-in, as the engine wants it.
    pub async fn last_login(&self, user_id: Uuid) -> Result<Option<LastLogin>, ApiError> {
        Ok(self.store.last_login(user_id).await?.map(|l| LastLogin {
            at: l.at,
            latitude: l.latitude,
            longitude: l.longitude,
            country: l.country,
            ip: l.ip.parse().ok(),
        }))
    }

    /// Facts common to every decision point: the request, GeoIP, and — for a known user —
    /// the last sign-in, whether the device is known, and the failure counters.
    pub async fn base_facts(
        &self,
        point: DecisionPoint,
        context: &ClientContext,
        user: Option<(&User, &[StoredCredential])>,
    ) -> Result<Facts, ApiError> {
        let mut facts = Facts::new(point, context.ip);
        facts.request.user_agent.clone_from(&context.user_agent);
        facts.request.device_id.clone_from(&context.device_id);
        facts.geo = self.geo(context.ip);
        facts.counters = self
            .failure_counters(context.ip, user.map(|(u, _)| u.id))
            .await;
        if let Some((user, credentials)) = user {
            facts.user = Some(Self::user_facts(user, credentials));
            facts.last_login = self.last_login(user.id).await?;
            if let Some(device) = &context.device_id {
                facts.request.known_device = Some(self.store.device_known(user.id, device).await?);
            }
        }
        Ok(facts)
    }

    /// Facts for a sign-in with a passkey: [`Self::base_facts`] from what
    /// [`Store::sign_in_subject`](crate::store::Store::sign_in_subject) read in one query,
    /// with the failure counters the caller has already read.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn sign_in_facts(
        &self,
        context: &ClientContext,
        subject: &SignInSubject,
        counters: Counters,
    ) -> Result<Facts, ApiError> {
        let user = &subject.user;
        let mut facts = Facts::new(DecisionPoint::Login, context.ip);
        facts.request.user_agent.clone_from(&context.user_agent);
        facts.request.device_id.clone_from(&context.device_id);
        facts.geo = self.geo(context.ip);
        facts.counters = counters;
        facts.user = Some(UserFacts {
            exists: true,
            created_at: Some(user.created_at),
            passkey_count: subject.passkey_count,
            newest_credential_at: Some(subject.newest_credential_at),
            has_phone: user.phone.is_some(),
            recovery_by_sms_allowed: false,
        });
        facts.last_login = subject.last_login.clone().map(|l| LastLogin {
            at: l.at,
            latitude: l.latitude,
            longitude: l.longitude,
            country: l.country,
            ip: l.ip.parse().ok(),
        });
        if let Some(device) = &context.device_id {
            facts.request.known_device = Some(self.store.device_known(user.id, device).await?);
        }
        Ok(facts)
    }

    /// Asks the engine and stores the decision with its facts.
    ///
    /// # Errors
    /// When the policy fails to evaluate (`internal_error`, logged) or the store fails.
    pub async fn decide(&self, facts: &Facts, user_id: Option<Uuid>) -> Result<Decided, ApiError> {
        let (decided, record) = self.decide_unrecorded(facts, user_id);
        self.store.record_decision(&record).await?;
        Ok(decided)
    }

    /// Asks the engine and returns the decision with the record to store, for a caller that
    /// stores it in a transaction of its own (a sign-in writes it with the session).
    #[must_use]
    pub fn decide_unrecorded(
        &self,
        facts: &Facts,
        user_id: Option<Uuid>,
    ) -> (Decided, DecisionRecord) {
        let now = now_secs();
        let decision = match anshin_risk::evaluate(&self.policy, facts, now) {
            Ok(decision) => decision,
            Err(e) => {
                tracing::error!(error = %e, code = e.code(), "risk policy failed; failing safe");
                self.fail_safe(&facts.point, e.code())
            }
        };
        let id = Uuid::new_v4().to_string();
        let point = facts.point.package().to_owned();
        self.metrics
            .risk_decision(&point, action_name(decision.action));
        let record = DecisionRecord {
            id: id.clone(),
            point,
            user_id,
            action: action_name(decision.action).to_owned(),
            level: serde_json::to_value(decision.level)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            decision: serde_json::to_value(&decision).unwrap_or_default(),
            facts: redacted(facts),
            policy_version: decision.policy_version.clone(),
            created_at: now,
        };
        (Decided { id, decision }, record)
    }

    /// The decision when the policy cannot be evaluated: a sign-in or an action steps up, an
    /// SMS is not sent, a fallback offers passkeys only.
    fn fail_safe(&self, point: &DecisionPoint, error_code: &str) -> Decision {
        let sms = matches!(point, DecisionPoint::SmsSend);
        Decision {
            action: if sms { Action::Deny } else { Action::StepUp },
            level: anshin_risk::Level::Medium,
            score: 50,
            reasons: vec![anshin_risk::Reason {
                code: "signal_unavailable".to_owned(),
                rule_id: "engine.unavailable".to_owned(),
                mode: anshin_risk::Mode::Enforce,
                values: json!({"error": error_code}),
            }],
            shadow_reasons: Vec::new(),
            required_acr: (!sms).then(|| crate::acr::PHR.to_owned()),
            max_age: (!sms).then_some(0),
            allowed_methods: if matches!(point, DecisionPoint::Fallback | DecisionPoint::Recovery) {
                vec!["passkey".to_owned(), "passkey_other_device".to_owned()]
            } else {
                Vec::new()
            },
            obligations: Vec::new(),
            policy_version: self.policy.version().to_owned(),
        }
    }

    /// Stores feedback on a decision.
    ///
    /// # Errors
    /// `not_found` for an unknown decision.
    pub async fn feedback(&self, decision_id: &str, label: &str) -> Result<(), ApiError> {
        let now = now_secs();
        let events = [NewEvent {
            kind: "risk.feedback".to_owned(),
            user_id: None,
            credential_id: None,
            data: json!({"decision_id": decision_id, "label": label}),
            created_at: now,
        }];
        if !self
            .store
            .record_feedback(decision_id, label, now, &events)
            .await?
        {
            return Err(ApiError::not_found("no decision has this id"));
        }
        // A confirmed compromise ends every session of the account at once.
        if label == "confirmed_compromised"
            && let Some(user_id) = self.store.decision_user(decision_id).await?
        {
            let events = [NewEvent {
                kind: "session.revoked".to_owned(),
                user_id: Some(user_id),
                credential_id: None,
                data: json!({"reason": "confirmed_compromised", "decision_id": decision_id}),
                created_at: now,
            }];
            let revoked = self.store.revoke_sessions_of(user_id, now, &events).await?;
            tracing::warn!(%user_id, revoked, "compromise confirmed: sessions revoked");
        }
        Ok(())
    }
}

/// The facts as stored: the phone number reduced to its prefix.
fn redacted(facts: &Facts) -> serde_json::Value {
    let mut facts = facts.clone();
    if let Some(sms) = &mut facts.sms {
        sms.phone = format!(
            "{}****",
            sms.prefix.clone().unwrap_or_else(|| "+".to_owned())
        );
    }
    serde_json::to_value(&facts).unwrap_or_default()
}

impl RiskService {
    /// `POST /v1/risk/evaluate`: a decision for an action a backend is about to allow.
    ///
    /// # Errors
    /// `invalid_request` for a bad action name, `not_found` for an unknown user.
    pub async fn evaluate_action(
        &self,
        user_id: Option<Uuid>,
        action: &str,
        context: &ClientContext,
    ) -> Result<RiskView, ApiError> {
        if action.is_empty()
            || action.len() > 64
            || !action
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        {
            return Err(ApiError::invalid(
                "action must be 1 to 64 letters, digits, '_', '-' or '.'",
            ));
        }
        let point = match action {
            "login" => DecisionPoint::Login,
            "register_credential" => DecisionPoint::RegisterCredential,
            "sms_send" => DecisionPoint::SmsSend,
            "fallback" => DecisionPoint::Fallback,
            "recovery" => DecisionPoint::Recovery,
            other => DecisionPoint::SensitiveAction(other.to_owned()),
        };
        let user = match user_id {
            Some(id) => {
                let user = self
                    .store
                    .user(id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("no user has this id"))?;
                let credentials = self.store.credentials_of(id).await?;
                Some((user, credentials))
            }
            None => None,
        };
        let facts = self
            .base_facts(
                point,
                context,
                user.as_ref().map(|(u, c)| (u, c.as_slice())),
            )
            .await?;
        Ok(self.decide(&facts, user_id).await?.view())
    }
}
