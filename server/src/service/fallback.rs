//! The fallback when a passkey is not at hand: which methods to offer (passkey on another
//! device first), and SMS one-time codes gated by the risk engine.
//!
//! Codes are six random digits, kept only as an HMAC in the ephemeral store, valid for a few
//! minutes, usable once, with a few attempts, compared in constant time. A sign-in by SMS gets
//! a low `acr` (`urn:anshin:acr:sms`, `amr` `["sms", "otp"]`) and asks the client to enrol a
//! passkey; whether it does is recorded.

use std::sync::Arc;
use std::time::Duration;

use anshin_risk::{Action, DecisionPoint, Obligation, SmsFacts};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SecureRandom as _;
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use crate::api::{
    BlockedView, FallbackOptions, FallbackOptionsRequest, KeyCount, LoginStats, PrefixView,
    SeriesBucket, SessionToken, SmsSendRequest, SmsSent, SmsStats, SmsVerified, SmsVerifyRequest,
    Stats, StatsSeries,
};
use crate::app::now_secs;
use crate::auth::ClientContext;
use crate::config::SmsConfig;
use crate::ephemeral::Ephemeral;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::service::risk::RiskService;
use crate::sms::SmsSender;
use crate::store::{NewEvent, Session, SmsRecord, SmsSignIn, Store, User};
use crate::tokens::TokenService;

/// The `acr` of a session opened by an SMS code.
pub const SMS_ACR: &str = "urn:anshin:acr:sms";

/// A code waiting to be entered (kept in the ephemeral store).
#[derive(Debug, Serialize, Deserialize)]
struct PendingCode {
    user_id: Uuid,
    sms_id: String,
    /// HMAC-SHA256 of the code.
    mac: String,
    attempts_left: u32,
    prefix: String,
    expires_at: i64,
}

/// SMS fallback.
pub struct FallbackService {
    store: Arc<dyn Store>,
    ephemeral: Arc<dyn Ephemeral>,
    risk: Arc<RiskService>,
    tokens: Arc<TokenService>,
    sender: Arc<dyn SmsSender>,
    config: SmsConfig,
    metrics: Arc<Metrics>,
    /// Keys the code MACs and the phone-number hashes.
    secret: ring::hmac::Key,
    rng: ring::rand::SystemRandom,
}

impl std::fmt::Debug for FallbackService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FallbackService").finish_non_exhaustive()
    }
}

/// The country of an E.164 number, from its calling code (the common ones; `None` when the
/// table does not know it).
#[must_use]
pub fn phone_country(e164: &str) -> Option<&'static str> {
    const CODES: [(&str, &str); 46] = [
        ("1", "US"),
        ("7", "RU"),
        ("20", "EG"),
        ("27", "ZA"),
        ("31", "NL"),
        ("32", "BE"),
        ("33", "FR"),
        ("34", "ES"),
        ("39", "IT"),
        ("41", "CH"),
        ("43", "AT"),
        ("44", "GB"),
        ("45", "DK"),
        ("46", "SE"),
        ("47", "NO"),
        ("48", "PL"),
        ("49", "DE"),
        ("52", "MX"),
        ("54", "AR"),
        ("55", "BR"),
        ("60", "MY"),
        ("61", "AU"),
        ("62", "ID"),
        ("63", "PH"),
        ("64", "NZ"),
        ("65", "SG"),
        ("66", "TH"),
        ("81", "JP"),
        ("82", "KR"),
        ("84", "VN"),
        ("86", "CN"),
        ("90", "TR"),
        ("91", "IN"),
        ("92", "PK"),
        ("234", "NG"),
        ("351", "PT"),
        ("353", "IE"),
        ("358", "FI"),
        ("380", "UA"),
        ("852", "HK"),
        ("880", "BD"),
        ("882", "XS"),
        ("883", "XS"),
        ("966", "SA"),
        ("971", "AE"),
        ("972", "IL"),
    ];
    let digits = e164.strip_prefix('+')?;
    // Calling codes are prefix-free: at most one matches.
    CODES
        .iter()
        .find(|(code, _)| digits.starts_with(code))
        .map(|&(_, country)| country)
}

/// What kind of number it is, where the numbering plan says so without a carrier lookup.
#[must_use]
pub fn number_type(e164: &str) -> &'static str {
    const NANP_TOLL_FREE: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];
    if let Some(national) = e164.strip_prefix("+1") {
        let area = national.get(..3).unwrap_or_default();
        if NANP_TOLL_FREE.contains(&area) {
            return "toll_free";
        }
        if area == "900" {
            return "premium";
        }
        return "unknown";
    }
    if let Some(national) = e164.strip_prefix("+44") {
        return match national.get(..1) {
            Some("7") if !national.starts_with("70") && !national.starts_with("76") => "mobile",
            Some("9") => "premium",
            Some("8") if national.starts_with("80") => "toll_free",
            _ => "unknown",
        };
    }
    // International networks (+882, +883) and satellite services are favourites of SMS
    // pumping: treat them as premium.
    if e164.starts_with("+882") || e164.starts_with("+883") || e164.starts_with("+881") {
        return "premium";
    }
    "unknown"
}

impl FallbackService {
    /// A service over the stores, the risk engine and an SMS sender.
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub fn new(
        store: Arc<dyn Store>,
        ephemeral: Arc<dyn Ephemeral>,
        risk: Arc<RiskService>,
        tokens: Arc<TokenService>,
        sender: Arc<dyn SmsSender>,
        config: SmsConfig,
        metrics: Arc<Metrics>,
        secret: [u8; 32],
    ) -> Self {
        Self {
            store,
            ephemeral,
            risk,
            tokens,
            sender,
            config,
            metrics,
            secret: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
            rng: ring::rand::SystemRandom::new(),
        }
    }

    fn mac(&self, label: &str, value: &str) -> [u8; 32] {
        let mut input = label.as_bytes().to_vec();
        input.push(0);
        input.extend_from_slice(value.as_bytes());
        let tag = ring::hmac::sign(&self.secret, &input);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    fn random_id(&self) -> Result<String, ApiError> {
        let mut bytes = [0u8; 24];
        self.rng
            .fill(&mut bytes)
            .map_err(|_| ApiError::internal("random source failed"))?;
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Six uniformly random digits.
    fn random_code(&self) -> Result<String, ApiError> {
        loop {
            let mut bytes = [0u8; 4];
            self.rng
                .fill(&mut bytes)
                .map_err(|_| ApiError::internal("random source failed"))?;
            let n = u32::from_be_bytes(bytes);
            // Reject the top sliver so that every code is equally likely.
            if n < 4_294_000_000 {
                return Ok(format!("{:06}", n % 1_000_000));
            }
        }
    }

    fn price_micros(&self, country: Option<&str>) -> i64 {
        let price = country
            .and_then(|c| self.config.prices.get(c))
            .copied()
            .unwrap_or(self.config.default_price);
        let micros = (price * 1_000_000.0).round();
        if (0.0..9.0e15).contains(&micros) {
            // In range: the conversion is exact for whole numbers below 2^53.
            format!("{micros:.0}").parse().unwrap_or(0)
        } else {
            0
        }
    }

    async fn user_and_credentials(
        &self,
        username: &str,
    ) -> Result<Option<(User, Vec<crate::store::StoredCredential>)>, ApiError> {
        let Some(user) = self.store.user_by_name(username).await? else {
            return Ok(None);
        };
        let credentials = self.store.credentials_of(user.id).await?;
        Ok(Some((user, credentials)))
    }

    /// `POST /v1/fallback/options`: which fallbacks to offer this user here, passkey first.
    ///
    /// # Errors
    /// Store failures.
    pub async fn options(
        &self,
        context: &ClientContext,
        request: FallbackOptionsRequest,
    ) -> Result<FallbackOptions, ApiError> {
        crate::service::ceremonies::check_name("username", &request.username, 256)?;
        let found = self.user_and_credentials(&request.username).await?;
        let user = found.as_ref().map(|(u, c)| (u, c.as_slice()));
        let facts = self
            .risk
            .base_facts(DecisionPoint::Fallback, context, user)
            .await?;
        let decided = self
            .risk
            .decide(&facts, found.as_ref().map(|(u, _)| u.id))
            .await?;
        let view = decided.view();
        Ok(FallbackOptions {
            allowed_methods: view.allowed_methods.clone(),
            risk: view,
        })
    }

    /// `POST /v1/fallback/sms/send`.
    ///
    /// The answer has the same shape whether or not the user exists or has a phone number,
    /// so that it does not reveal either; only a known user with a number gets a code.
    ///
    /// # Errors
    /// `sms_not_allowed` when the risk engine blocks the send, `unavailable` when the gateway
    /// fails.
    pub async fn send(
        &self,
        context: &ClientContext,
        request: SmsSendRequest,
    ) -> Result<SmsSent, ApiError> {
        crate::service::ceremonies::check_name("username", &request.username, 256)?;
        if self.config.sender == crate::config::SmsSenderKind::Disabled {
            return Err(ApiError::coded(
                "sms_not_allowed",
                "the SMS fallback is switched off; use a passkey, on this or another device",
            ));
        }
        let now = now_secs();
        let ttl = i64::try_from(self.config.code_ttl_seconds).unwrap_or(300);
        let otp_id = self.random_id()?;
        let answer = SmsSent {
            otp_id: otp_id.clone(),
            expires_at: now.saturating_add(ttl),
        };
        let Some((user, credentials)) = self.user_and_credentials(&request.username).await? else {
            return Ok(answer);
        };
        let Some(phone) = user.phone.clone() else {
            return Ok(answer);
        };
        let phone_hash = self.mac("phone", &phone);
        let phone_key = URL_SAFE_NO_PAD.encode(phone_hash);
        let prefix = anshin_risk::signals::phone_prefix(&phone).unwrap_or_else(|| "+".to_owned());
        let country = phone_country(&phone);

        let mut facts = self
            .risk
            .base_facts(DecisionPoint::SmsSend, context, Some((&user, &credentials)))
            .await?;
        let risk = &self.risk;
        facts.counters.sms_phone_1h = risk.counter(&format!("sms:phone:1h:{phone_key}")).await;
        facts.counters.sms_phone_24h = risk.counter(&format!("sms:phone:24h:{phone_key}")).await;
        facts.counters.sms_prefix_1h = risk.counter(&format!("sms:prefix:1h:{prefix}")).await;
        facts.counters.sms_ip_1h = risk.counter(&format!("sms:ip:1h:{}", context.ip)).await;
        facts.counters.sms_user_24h = risk.counter(&format!("sms:user:24h:{}", user.id)).await;
        facts.sms = Some(SmsFacts {
            phone: phone.clone(),
            country: country.map(str::to_owned),
            prefix: Some(prefix.clone()),
            number_type: Some(number_type(&phone).to_owned()),
            backoff_until: self.until(&format!("sms:backoff:{phone_key}")).await,
            prefix_sent_24h: risk.counter(&format!("sms:prefix:sent:{prefix}")).await,
            prefix_verified_24h: risk.counter(&format!("sms:prefix:verified:{prefix}")).await,
            prefix_blocked_until: self.until(&format!("sms:block:{prefix}")).await,
        });
        let decided = self.risk.decide(&facts, Some(user.id)).await?;
        let price_micros = self.price_micros(country);
        let record = |status: &str, reason: Option<String>, id: String| SmsRecord {
            id,
            user_id: Some(user.id),
            phone_hash,
            country: country.map(str::to_owned),
            prefix: prefix.clone(),
            status: status.to_owned(),
            reason,
            price_micros,
            created_at: now,
        };
        for obligation in &decided.decision.obligations {
            if let Obligation::BlockPrefix { prefix, seconds } = obligation {
                self.block(&format!("sms:block:{prefix}"), now, *seconds)
                    .await;
            }
        }
        if decided.decision.action != Action::Allow {
            let reason = decided
                .decision
                .reasons
                .first()
                .map_or_else(|| "policy".to_owned(), |r| r.code.clone());
            self.metrics.sms(&reason);
            let events = [NewEvent {
                kind: "sms.blocked".to_owned(),
                user_id: Some(user.id),
                credential_id: None,
                data: json!({"reason": reason, "decision_id": decided.id, "prefix": prefix}),
                created_at: now,
            }];
            self.store
                .record_sms(&record("blocked", Some(reason), self.random_id()?), &events)
                .await?;
            return Err(ApiError::coded(
                "sms_not_allowed",
                format!(
                    "a code cannot be sent ({}); use a passkey, on this or another device",
                    decided.reason_codes()
                ),
            ));
        }

        let code = self.random_code()?;
        let pending = PendingCode {
            user_id: user.id,
            sms_id: otp_id.clone(),
            mac: URL_SAFE_NO_PAD.encode(self.mac("otp", &format!("{otp_id}:{code}"))),
            attempts_left: self.config.max_attempts,
            prefix: prefix.clone(),
            expires_at: answer.expires_at,
        };
        let bytes = serde_json::to_vec(&pending).map_err(|e| ApiError::internal(e.to_string()))?;
        self.ephemeral
            .put(
                &format!("otp:{otp_id}"),
                &bytes,
                Duration::from_secs(self.config.code_ttl_seconds),
            )
            .await?;
        let body = format!("{code} is your sign-in code. It expires in 5 minutes. Never share it.");
        if let Err(e) = self.sender.send(&phone, &body).await {
            let _ = self.ephemeral.delete(&format!("otp:{otp_id}")).await;
            tracing::warn!(error = %e, "the SMS gateway failed");
            return Err(ApiError::unavailable(
                "the SMS gateway failed; try again shortly",
            ));
        }
        self.metrics.sms("sent");
        let events = [NewEvent {
            kind: "sms.sent".to_owned(),
            user_id: Some(user.id),
            credential_id: None,
            data: json!({"decision_id": decided.id, "prefix": prefix}),
            created_at: now,
        }];
        self.store
            .record_sms(&record("sent", None, otp_id), &events)
            .await?;
        let hour = Duration::from_secs(3600);
        let day = Duration::from_secs(24 * 3600);
        risk.bump(&format!("sms:phone:1h:{phone_key}"), hour).await;
        risk.bump(&format!("sms:phone:24h:{phone_key}"), day).await;
        risk.bump(&format!("sms:prefix:1h:{prefix}"), hour).await;
        risk.bump(&format!("sms:ip:1h:{}", context.ip), hour).await;
        risk.bump(&format!("sms:user:24h:{}", user.id), day).await;
        risk.bump(&format!("sms:prefix:sent:{prefix}"), day).await;
        // The policy sets how long this number waits before its next code (1 to 32 minutes).
        for obligation in &decided.decision.obligations {
            if let Obligation::BackOff { seconds } = obligation {
                self.block(&format!("sms:backoff:{phone_key}"), now, *seconds)
                    .await;
            }
        }
        Ok(answer)
    }

    /// Reads an "until" timestamp kept in the ephemeral store.
    async fn until(&self, key: &str) -> Option<i64> {
        let bytes = self.ephemeral.get(key).await.ok()??;
        let text = std::str::from_utf8(&bytes).ok()?;
        text.rsplit(':').next()?.parse().ok()
    }

    async fn block(&self, key: &str, now: i64, seconds: u64) {
        let until = now.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
        if let Err(e) = self
            .ephemeral
            .put(
                key,
                until.to_string().as_bytes(),
                Duration::from_secs(seconds),
            )
            .await
        {
            tracing::warn!(error = %e, "could not block an SMS prefix");
        }
    }

    /// `POST /v1/fallback/sms/verify`.
    ///
    /// # Errors
    /// `otp_invalid` for a wrong, expired or used code.
    pub async fn verify(
        &self,
        context: &ClientContext,
        request: SmsVerifyRequest,
    ) -> Result<SmsVerified, ApiError> {
        let invalid =
            || ApiError::coded("otp_invalid", "the code is wrong, expired or already used");
        if request.otp_id.len() != 32 || request.code.len() > 16 {
            return Err(invalid());
        }
        let key = format!("otp:{}", request.otp_id);
        let bytes = self.ephemeral.take(&key).await?.ok_or_else(invalid)?;
        let mut pending: PendingCode = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let now = now_secs();
        let presented = self.mac(
            "otp",
            &format!("{}:{}", request.otp_id, request.code.trim()),
        );
        let expected = URL_SAFE_NO_PAD
            .decode(&pending.mac)
            .map_err(|_| invalid())?;
        if !bool::from(presented.as_slice().ct_eq(expected.as_slice())) || now >= pending.expires_at
        {
            pending.attempts_left = pending.attempts_left.saturating_sub(1);
            if pending.attempts_left > 0 && now < pending.expires_at {
                let left = u64::try_from(pending.expires_at - now).unwrap_or(1);
                if let Ok(bytes) = serde_json::to_vec(&pending) {
                    self.ephemeral
                        .put(&key, &bytes, Duration::from_secs(left))
                        .await?;
                }
            }
            self.risk
                .count_failure(context.ip, Some(pending.user_id))
                .await;
            return Err(invalid());
        }
        let Some(user) = self.store.user(pending.user_id).await? else {
            return Err(invalid());
        };
        let credentials = self.store.credentials_of(user.id).await?;
        let enroll_passkey = credentials.is_empty();
        let ttl = i64::try_from(self.tokens.ttl().as_secs()).unwrap_or(i64::MAX);
        let session = Session {
            id: self.random_id()?,
            user_id: user.id,
            credential_id: None,
            acr: SMS_ACR.to_owned(),
            amr: vec!["sms".to_owned(), "otp".to_owned()],
            auth_time: now,
            created_at: now,
            expires_at: now.saturating_add(ttl),
            revoked_at: None,
            levels: std::iter::once((SMS_ACR.to_owned(), now)).collect(),
        };
        let written = self
            .store
            .sms_signed_in(&SmsSignIn {
                sms_id: pending.sms_id.clone(),
                session: session.clone(),
                login: self.risk.login_record(user.id, "sms", context, None, now),
                nudge: enroll_passkey,
                events: vec![NewEvent {
                    kind: "signin.succeeded".to_owned(),
                    user_id: Some(user.id),
                    credential_id: None,
                    data: json!({"method": "sms", "ip": context.ip.to_string()}),
                    created_at: now,
                }],
            })
            .await?;
        if !written {
            return Err(invalid());
        }
        self.metrics.sms("verified");
        self.risk
            .bump(
                &format!("sms:prefix:verified:{}", pending.prefix),
                Duration::from_secs(24 * 3600),
            )
            .await;
        let claims = self.tokens.claims(&session, now);
        Ok(SmsVerified {
            user_id: user.id,
            session: SessionToken {
                token: self.tokens.sign(&claims)?,
                session_id: session.id.clone(),
                expires_at: session.expires_at,
            },
            acr: session.acr,
            amr: session.amr,
            enroll_passkey,
        })
    }
}

/// A ratio, 0 when there is nothing to divide by.
fn ratio(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    // Counts stay far below 2^52: the conversion is exact.
    let (part, whole) = (
        f64::from(u32::try_from(part).unwrap_or(u32::MAX)),
        f64::from(u32::try_from(whole).unwrap_or(u32::MAX)),
    );
    part / whole
}

fn money(micros: i64) -> f64 {
    ratio(micros, 1_000_000) * 1.0
}

impl FallbackService {
    /// `GET /v1/stats`: the figures that show passkeys replacing SMS.
    ///
    /// # Errors
    /// Store failures.
    pub async fn stats(&self, since: i64) -> Result<Stats, ApiError> {
        let counts = self.store.activity(since).await?;
        let logins = counts.logins_passkey + counts.logins_sms;
        let blocked: Vec<BlockedView> = counts
            .blocked
            .iter()
            .map(|b| BlockedView {
                reason: b.reason.clone(),
                count: b.count,
                cost_avoided: money(b.cost_micros),
            })
            .collect();
        Ok(Stats {
            since,
            logins: LoginStats {
                passkey: counts.logins_passkey,
                sms: counts.logins_sms,
                active_users: counts.active_users,
                active_users_with_passkey: counts.active_users_with_passkey,
            },
            sms_per_1000_logins: ratio(counts.sms_sent, logins) * 1000.0,
            fallback_share: ratio(counts.logins_sms, logins),
            passkey_coverage: ratio(counts.active_users_with_passkey, counts.active_users),
            nudge_conversion: ratio(counts.nudges_converted, counts.nudges_shown),
            sms: SmsStats {
                sent: counts.sms_sent,
                verified: counts.sms_verified,
                conversion: ratio(counts.sms_verified, counts.sms_sent),
                cost: money(counts.sms_cost_micros),
                cost_avoided: money(counts.blocked.iter().map(|b| b.cost_micros).sum()),
                blocked,
                prefixes: counts
                    .prefixes
                    .iter()
                    .map(|p| PrefixView {
                        prefix: p.prefix.clone(),
                        sent: p.sent,
                        verified: p.verified,
                        conversion: ratio(p.verified, p.sent),
                    })
                    .collect(),
            },
        })
    }
}

impl FallbackService {
    /// `GET /v1/stats/series`: the figures per bucket of `bucket` seconds, from `since` to
    /// `until` (at most [`MAX_SERIES_BUCKETS`] buckets).
    ///
    /// # Errors
    /// `invalid_request` for an empty window or too many buckets; store failures.
    pub async fn series(
        &self,
        since: i64,
        until: i64,
        bucket: i64,
    ) -> Result<StatsSeries, ApiError> {
        if bucket <= 0 || until <= since {
            return Err(ApiError::invalid(
                "the window is empty: `since` must be before now",
            ));
        }
        let n = (until - since + bucket - 1) / bucket;
        if n > MAX_SERIES_BUCKETS {
            return Err(ApiError::invalid(format!(
                "{n} buckets asked for; at most {MAX_SERIES_BUCKETS}: use a later `since` or a wider bucket"
            )));
        }
        let raw = self.store.series(since, bucket).await?;
        let mut buckets: Vec<SeriesBucket> = (0..n)
            .map(|i| SeriesBucket {
                start: since + i * bucket,
                ..SeriesBucket::default()
            })
            .collect();
        let mut new_users = vec![0_i64; buckets.len()];
        let mut new_holders = vec![0_i64; buckets.len()];
        for c in &raw.counts {
            let Some(i) = usize::try_from((c.start - since) / bucket)
                .ok()
                .filter(|i| *i < buckets.len())
            else {
                continue; // after `until` (a clock step, or a write racing the query)
            };
            let b = &mut buckets[i];
            match (c.metric, c.key.as_str()) {
                ("login", "passkey") => b.logins_passkey += c.count,
                ("login", "sms") => b.logins_sms += c.count,
                ("registration", _) => b.registrations += c.count,
                ("first_passkey", _) => new_holders[i] += c.count,
                ("new_user", _) => new_users[i] += c.count,
                ("sms", "sent") => b.sms_sent += c.count,
                ("sms", "blocked") => b.sms_blocked += c.count,
                ("decision", "allow") => b.decisions_allow += c.count,
                ("decision", "step_up") => b.decisions_step_up += c.count,
                ("decision", "deny") => b.decisions_deny += c.count,
                _ => {}
            }
        }
        let (mut users, mut holders) = (raw.users_before, raw.passkey_users_before);
        for (i, b) in buckets.iter_mut().enumerate() {
            users += new_users[i];
            holders += new_holders[i];
            b.users = users;
            // a user deleted since keeps counting as a holder here; never above the users
            b.users_with_passkey = holders.min(users);
            b.adoption = ratio(b.users_with_passkey, b.users);
            b.sms_share = ratio(b.logins_sms, b.logins_passkey + b.logins_sms);
        }
        let key_counts = |v: Vec<(String, i64)>| -> Vec<KeyCount> {
            v.into_iter()
                .map(|(key, count)| KeyCount { key, count })
                .collect()
        };
        let mut by_reason = key_counts(raw.reasons);
        by_reason.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        Ok(StatsSeries {
            since,
            until: since + n * bucket,
            bucket_seconds: bucket,
            buckets,
            decisions_by_level: key_counts(raw.levels),
            decisions_by_reason: by_reason,
        })
    }
}

/// The most buckets `GET /v1/stats/series` answers with.
pub const MAX_SERIES_BUCKETS: i64 = 400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calling_codes_name_countries() {
        assert_eq!(phone_country("+447700900123"), Some("GB"));
        assert_eq!(phone_country("+14155550100"), Some("US"));
        assert_eq!(phone_country("+2348012345678"), Some("NG"));
        assert_eq!(phone_country("+999123"), None);
        assert_eq!(phone_country("447700900123"), None);
    }

    #[test]
    fn number_types_from_the_numbering_plan() {
        assert_eq!(number_type("+18005550100"), "toll_free");
        assert_eq!(number_type("+19005550100"), "premium");
        assert_eq!(number_type("+447700900123"), "mobile");
        assert_eq!(number_type("+449012345678"), "premium");
        assert_eq!(number_type("+8821234567"), "premium");
        assert_eq!(number_type("+33612345678"), "unknown");
    }
}
