//! Security events leave through webhooks: OCSF for a SIEM and Security Event Tokens with
//! CAEP types, at least once, retried after a failure with the same identifier.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anshin_server::config::{Webhook, WebhookFormat};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

use crate::harness::{self, API_KEY, verify_with_jwks};

const SECRET: &str = "webhook-secret-0123456789";

#[derive(Default)]
struct Received {
    /// (headers, body) of every request, including refused ones.
    ocsf: Vec<(HeaderMap, Bytes)>,
    set: Vec<(HeaderMap, Bytes, u16)>,
}

type Shared = Arc<Mutex<Received>>;

async fn take_ocsf(State(received): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    received.lock().unwrap().ocsf.push((headers, body));
    StatusCode::ACCEPTED
}

/// Refuses the first delivery, accepts the rest.
async fn take_set(State(received): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut received = received.lock().unwrap();
    let status = if received.set.is_empty() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::ACCEPTED
    };
    received.set.push((headers, body, status.as_u16()));
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_events_reach_webhooks_as_ocsf_and_signed_sets() {
    let received: Shared = Arc::default();
    let app = Router::new()
        .route("/ocsf", post(take_ocsf))
        .route("/set", post(take_set))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let receiver = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let server = harness::start(|c| {
        c.webhooks = vec![
            Webhook {
                name: "siem".to_owned(),
                url: format!("http://127.0.0.1:{port}/ocsf"),
                format: WebhookFormat::Ocsf,
                secret: Some(SECRET.to_owned()),
            },
            Webhook {
                name: "caep".to_owned(),
                url: format!("http://127.0.0.1:{port}/set"),
                format: WebhookFormat::Set,
                secret: None,
            },
        ];
    })
    .await;
    let mut authenticator = server.authenticator(41);
    let registered = server.sign_up(&mut authenticator, "tess").await;
    let user = registered["user_id"].as_str().unwrap().to_owned();
    let sid = registered["session"]["session_id"].as_str().unwrap();
    server
        .post(
            &format!("/v1/sessions/{sid}/revoke"),
            Some(API_KEY),
            &json!({}),
        )
        .await
        .ok();

    // Wait for both receivers (events are held back a couple of seconds, and the refused SET
    // is retried after a backoff).
    let mut done = false;
    for _ in 0..150 {
        {
            let r = received.lock().unwrap();
            let ocsf_revoked = r.ocsf.iter().any(|(_, b)| {
                serde_json::from_slice::<Value>(b).is_ok_and(|v| v["message"] == "session.revoked")
            });
            let set_accepted = r.set.iter().filter(|(_, _, s)| *s == 202).count();
            if ocsf_revoked && set_accepted >= 2 {
                done = true;
            }
        }
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the webhooks did not receive the events in time");
    receiver.abort();
    let received = std::mem::take(&mut *received.lock().unwrap());

    // OCSF: each body signed with the webhook secret, classes as OCSF defines them.
    let mut ocsf = Vec::new();
    for (headers, body) in &received.ocsf {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
        let expected = anshin_server::sms::hex(ring::hmac::sign(&key, body).as_ref());
        assert_eq!(
            headers["x-anshin-signature"].to_str().unwrap(),
            format!("sha256={expected}")
        );
        ocsf.push(serde_json::from_slice::<Value>(body).unwrap());
    }
    let registered_event = ocsf
        .iter()
        .find(|e| e["message"] == "credential.registered")
        .unwrap();
    assert_eq!(registered_event["class_uid"], 3001);
    assert_eq!(registered_event["activity_id"], 10);
    assert_eq!(registered_event["type_uid"], 300_110);
    assert_eq!(registered_event["user"]["uid"], user.as_str());
    let revoked = ocsf
        .iter()
        .find(|e| e["message"] == "session.revoked")
        .unwrap();
    assert_eq!(revoked["class_uid"], 3002);
    assert_eq!(revoked["activity_name"], "Logoff");
    // In order, each once.
    let uids: Vec<&str> = ocsf
        .iter()
        .map(|e| e["metadata"]["uid"].as_str().unwrap())
        .collect();
    let mut sorted = uids.clone();
    sorted.dedup();
    assert_eq!(
        uids, sorted,
        "delivered in order, without repeats: {uids:?}"
    );

    // SETs: signed with the server's key (verified against its JWKS), CAEP event types, and
    // the refused delivery came again with the same jti.
    let mut accepted = Vec::new();
    for (headers, body, status) in &received.set {
        assert_eq!(headers["content-type"], "application/secevent+jwt");
        let token = std::str::from_utf8(body).unwrap();
        let claims = verify_with_jwks(&server, token).await;
        if *status == 202 {
            accepted.push(claims);
        }
    }
    let (_, first, _) = &received.set[0];
    let first = verify_with_jwks(&server, std::str::from_utf8(first).unwrap()).await;
    assert!(
        accepted.iter().any(|c| c["jti"] == first["jti"]),
        "the refused event was delivered again with the same jti"
    );
    let types: Vec<String> = accepted
        .iter()
        .flat_map(|c| c["events"].as_object().unwrap().keys().cloned())
        .collect();
    assert!(
        types.contains(
            &"https://schemas.openid.net/secevent/caep/event-type/credential-change".to_owned()
        ),
        "{types:?}"
    );
    assert!(
        types.contains(
            &"https://schemas.openid.net/secevent/caep/event-type/session-revoked".to_owned()
        ),
        "{types:?}"
    );
    let change = accepted
        .iter()
        .find(|c| {
            c["events"]
                .get("https://schemas.openid.net/secevent/caep/event-type/credential-change")
                .is_some()
        })
        .unwrap();
    assert_eq!(change["sub_id"]["id"], user.as_str());
}

async fn take_sms(State(received): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    received.lock().unwrap().ocsf.push((headers, body));
    StatusCode::OK
}

#[tokio::test]
async fn codes_go_to_the_sms_gateway_webhook_signed() {
    let received: Shared = Arc::default();
    let app = Router::new()
        .route("/sms", post(take_sms))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let receiver = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let server = harness::start(|c| {
        c.sms.sender = anshin_server::config::SmsSenderKind::Webhook;
        c.sms.webhook_url = Some(format!("http://127.0.0.1:{port}/sms"));
        c.sms.webhook_secret = Some(SECRET.to_owned());
    })
    .await;
    server
        .post(
            "/v1/users",
            Some(API_KEY),
            &json!({"name": "uma", "phone": "+447700900321"}),
        )
        .await
        .ok();
    let sent = server
        .post("/v1/fallback/sms/send", None, &json!({"username": "uma"}))
        .await
        .ok();
    receiver.abort();
    let (headers, body) = received
        .lock()
        .unwrap()
        .ocsf
        .pop()
        .expect("the gateway was called");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let expected = anshin_server::sms::hex(ring::hmac::sign(&key, &body).as_ref());
    assert_eq!(
        headers["x-anshin-signature"].to_str().unwrap(),
        format!("sha256={expected}")
    );
    let message: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(message["to"], "+447700900321");
    let code: String = message["body"]
        .as_str()
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(
        server
            .state_store()
            .dev_sms("+447700900321")
            .await
            .unwrap()
            .is_empty(),
        "nothing in the development outbox"
    );
    let verified = server
        .post(
            "/v1/fallback/sms/verify",
            None,
            &json!({"otp_id": sent["otp_id"], "code": code}),
        )
        .await
        .ok();
    assert_eq!(verified["acr"], "urn:anshin:acr:sms");
}
