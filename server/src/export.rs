//! Security events leave the outbox for configured webhooks, at least once, in order.
//!
//! Two forms from the same events: OCSF 1.3 JSON for a SIEM (Authentication 3002, Account
//! Change 3001, Detection Finding 2004) and Security Event Tokens (RFC 8417) with OpenID
//! CAEP/RISC event types, pushed as RFC 8935 `application/secevent+jwt`. Each webhook keeps a
//! cursor in the store (the last event it acknowledged with a 2xx); an event is retried with
//! exponential backoff until it is acknowledged, and its identifier (`metadata.uid` in OCSF,
//! `jti` in a SET) is the same on every attempt, so receivers can drop duplicates. When
//! several instances run, one delivers at a time (a lease in the ephemeral store).
//!
//! Events are delivered only once they are a few seconds old: with PostgreSQL an event id is
//! taken when the row is inserted and a transaction may commit after one with a higher id, so
//! a cursor that ran right behind the newest id could skip it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::app::{AppState, now_secs};
use crate::config::{Webhook, WebhookFormat};
use crate::sms::hex;
use crate::store::{EventQuery, SecurityEvent};
use crate::tokens::TokenService;

/// How old an event must be before it is delivered.
const SETTLE_SECONDS: i64 = 2;
/// How many events one delivery round sends at most, per webhook.
const BATCH: u32 = 100;
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The OCSF class, activity and status of an event kind.
fn ocsf_class(kind: &str) -> (u32, u32, &'static str, u32) {
    // (class_uid, activity_id, activity name, status_id: 1 success, 2 failure, 0 unknown)
    match kind {
        "signin.succeeded" | "session.stepped_up" => (3002, 1, "Logon", 1),
        "signin.failed" | "signin.denied" | "step_up.failed" => (3002, 1, "Logon", 2),
        "session.revoked" => (3002, 2, "Logoff", 1),
        "user.created" => (3001, 1, "Create", 1),
        "user.deleted" => (3001, 6, "Delete", 1),
        "credential.registered" => (3001, 10, "MFA Factor Enable", 1),
        "credential.removed" => (3001, 11, "MFA Factor Disable", 1),
        _ => (2004, 1, "Create", 0),
    }
}

/// An event as an OCSF 1.3 object.
#[must_use]
pub fn ocsf(event: &SecurityEvent, issuer: &str) -> Value {
    let e = &event.event;
    let (class_uid, activity_id, activity_name, status_id) = ocsf_class(&e.kind);
    let (category_uid, class_name) = match class_uid {
        3002 => (3, "Authentication"),
        3001 => (3, "Account Change"),
        _ => (2, "Detection Finding"),
    };
    let severity_id = match e.kind.as_str() {
        "counter.regressed" | "signin.denied" => 4,
        "backup.changed" | "signin.failed" | "sms.blocked" | "step_up.failed" => 2,
        _ => 1,
    };
    let mut object = json!({
        "class_uid": class_uid,
        "class_name": class_name,
        "category_uid": category_uid,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "severity_id": severity_id,
        "time": e.created_at.saturating_mul(1000),
        "message": e.kind,
        "metadata": {
            "version": "1.3.0",
            "uid": format!("anshin-event-{}", event.id),
            "product": {"name": "anshin", "vendor_name": "anshin", "url_string": issuer},
        },
        "unmapped": e.data,
    });
    if status_id != 0 {
        object["status_id"] = json!(status_id);
        object["status"] = json!(if status_id == 1 { "Success" } else { "Failure" });
    }
    if let Some(user) = e.user_id {
        object["user"] = json!({"uid": user.to_string()});
    }
    if let Some(ip) = e.data.get("ip").and_then(Value::as_str) {
        object["src_endpoint"] = json!({"ip": ip});
    }
    if class_uid == 3002 {
        object["auth_protocol"] = json!("FIDO2");
        object["auth_protocol_id"] = json!(99);
    }
    if class_uid == 2004 {
        object["finding_info"] = json!({
            "uid": format!("anshin-event-{}", event.id),
            "title": e.kind,
            "types": ["anshin risk signal"],
        });
    }
    object
}

/// The CAEP/RISC event of an event kind, when there is one.
fn set_event(event: &SecurityEvent) -> Option<(&'static str, Value)> {
    let e = &event.event;
    let at = e.created_at;
    Some(match e.kind.as_str() {
        "session.revoked" => (
            "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
            json!({"event_timestamp": at, "initiating_entity": "policy"}),
        ),
        "credential.registered" | "credential.removed" => (
            "https://schemas.openid.net/secevent/caep/event-type/credential-change",
            json!({
                "credential_type": "fido2-roaming",
                "change_type": if e.kind == "credential.registered" { "create" } else { "delete" },
                "fido2_aaguid": e.data.get("aaguid"),
                "event_timestamp": at,
            }),
        ),
        "session.stepped_up" => (
            "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change",
            json!({
                "namespace": "RFC8176",
                "current_level": e.data.get("acr"),
                "change_direction": "increase",
                "event_timestamp": at,
            }),
        ),
        "signin.denied" | "counter.regressed" | "backup.changed" => (
            "https://schemas.openid.net/secevent/caep/event-type/risk-level-change",
            json!({
                "risk_reason": e.kind,
                "principal": "USER",
                "current_level": if e.kind == "backup.changed" { "MEDIUM" } else { "HIGH" },
                "event_timestamp": at,
            }),
        ),
        "user.deleted" => (
            "https://schemas.openid.net/secevent/risc/event-type/account-purged",
            json!({}),
        ),
        _ => return None,
    })
}

/// An event as the claims of a Security Event Token, when it has a CAEP/RISC type.
#[must_use]
pub fn set_claims(event: &SecurityEvent, issuer: &str, audience: &str) -> Option<Value> {
    let (event_type, body) = set_event(event)?;
    let e = &event.event;
    let mut events = serde_json::Map::new();
    events.insert(event_type.to_owned(), body);
    let mut claims = json!({
        "iss": issuer,
        "aud": audience,
        "iat": e.created_at,
        "jti": format!("anshin-event-{}", event.id),
        "events": events,
    });
    if let Some(user) = e.user_id {
        claims["sub_id"] = json!({"format": "opaque", "id": user.to_string()});
    }
    Some(claims)
}

/// One webhook's deliverer.
struct Deliverer {
    hook: Webhook,
    client: reqwest::Client,
    tokens: Arc<TokenService>,
}

impl Deliverer {
    /// Sends one event; `Ok(())` when the receiver acknowledged it or it has no form for this
    /// webhook (nothing to send).
    async fn deliver(&self, event: &SecurityEvent) -> Result<(), String> {
        let request = match self.hook.format {
            WebhookFormat::Ocsf => {
                let body = ocsf(event, self.tokens.issuer()).to_string();
                let key = ring::hmac::Key::new(
                    ring::hmac::HMAC_SHA256,
                    self.hook.secret.as_deref().unwrap_or_default().as_bytes(),
                );
                let signature = hex(ring::hmac::sign(&key, body.as_bytes()).as_ref());
                self.client
                    .post(&self.hook.url)
                    .header("content-type", "application/json")
                    .header("x-anshin-signature", format!("sha256={signature}"))
                    .body(body)
            }
            WebhookFormat::Set => {
                let Some(claims) = set_claims(event, self.tokens.issuer(), &self.hook.url) else {
                    return Ok(());
                };
                let token = self
                    .tokens
                    .sign_json("secevent+jwt", &claims)
                    .map_err(|e| e.to_string())?;
                self.client
                    .post(&self.hook.url)
                    .header("content-type", "application/secevent+jwt")
                    .header("accept", "application/json")
                    .body(token)
            }
        };
        let response = request.send().await.map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered {}", response.status()))
        }
    }
}

/// Delivers what is due to one webhook.
async fn round(state: &AppState, deliverer: &Deliverer) -> Result<(), String> {
    let name = &deliverer.hook.name;
    // One instance at a time: the lease is a counter whose first increment wins.
    let lease = format!("webhook:lease:{name}");
    match state.ephemeral.incr(&lease, Duration::from_secs(30)).await {
        Ok(1) => {}
        Ok(_) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    }
    let result = deliver_due(state, deliverer).await;
    let _ = state.ephemeral.delete(&lease).await;
    result
}

async fn deliver_due(state: &AppState, deliverer: &Deliverer) -> Result<(), String> {
    let name = &deliverer.hook.name;
    let cursor = state
        .store
        .webhook_cursor(name)
        .await
        .map_err(|e| e.to_string())?;
    let events = state
        .store
        .events(&EventQuery {
            after: Some(cursor),
            user_id: None,
            limit: BATCH,
            latest: false,
        })
        .await
        .map_err(|e| e.to_string())?;
    let settled = now_secs().saturating_sub(SETTLE_SECONDS);
    for event in events.iter().filter(|e| e.event.created_at <= settled) {
        deliverer.deliver(event).await?;
        state
            .store
            .advance_webhook_cursor(name, event.id, now_secs())
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Starts one delivery task per configured webhook.
///
/// # Errors
/// When the HTTP client cannot be built.
pub fn spawn(state: &AppState) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    crate::install_crypto_provider();
    let mut tasks = Vec::new();
    for hook in &state.config.webhooks {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let deliverer = Deliverer {
            hook: hook.clone(),
            client,
            tokens: state.tokens.clone(),
        };
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            let mut failures: u32 = 0;
            loop {
                let wait = match round(&state, &deliverer).await {
                    Ok(()) => {
                        failures = 0;
                        Duration::from_secs(1)
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let wait = Duration::from_millis(500)
                            .saturating_mul(2u32.saturating_pow(failures.min(10)))
                            .min(MAX_BACKOFF);
                        tracing::warn!(
                            webhook = %deliverer.hook.name,
                            error = %e,
                            retry_in_ms = wait.as_millis(),
                            "security event delivery failed"
                        );
                        wait
                    }
                };
                tokio::time::sleep(wait).await;
            }
        }));
    }
    Ok(tasks)
}
