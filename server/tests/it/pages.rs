//! The demo page, the dashboard's data (`/v1/stats/series`, the newest events) and the demo's
//! sandbox. The pages themselves are driven in Chromium by the SDK's end-to-end tests.

use anshin_server::config::SmsSenderKind;
use serde_json::json;

use crate::harness::{self, API_KEY};

#[tokio::test]
async fn pages_and_assets_are_served_only_while_the_demo_is_on() {
    let on = harness::start(|_| {}).await;
    for path in ["/", "/admin", "/assets/demo.js", "/assets/sdk/index.js"] {
        let response = on
            .client
            .get(format!("{}{path}", on.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
    }
    on.call("GET", "/assets/missing.js", None, None)
        .await
        .assert_problem(404, "not_found");

    let off = harness::start(|c| c.demo = false).await;
    for path in ["/", "/admin", "/assets/demo.js", "/demo/config"] {
        off.call("GET", path, None, None)
            .await
            .assert_problem(404, "not_found");
    }
}

#[tokio::test]
async fn the_sandbox_exists_only_on_a_development_server() {
    let dev = harness::start(|_| {}).await;
    assert_eq!(
        dev.call("GET", "/demo/config", None, None).await.ok()["sandbox"],
        true
    );

    let production_like = harness::start(|c| {
        c.rp_id = "example.com".to_owned();
        c.origins = vec!["https://example.com".to_owned()];
    })
    .await;
    let webhook_sms = harness::start(|c| {
        c.sms.sender = SmsSenderKind::Webhook;
        c.sms.webhook_url = Some("http://127.0.0.1:9/sms".to_owned());
        c.sms.webhook_secret = Some("0123456789abcdef0123456789abcdef".to_owned());
    })
    .await;
    for server in [&production_like, &webhook_sms] {
        assert_eq!(
            server.call("GET", "/demo/config", None, None).await.ok()["sandbox"],
            false
        );
        server
            .post(
                "/demo/users",
                None,
                &json!({"name": "bob", "phone": "+447700900123"}),
            )
            .await
            .assert_problem(404, "not_found");
        server
            .call("GET", "/demo/inbox?phone=%2B447700900123", None, None)
            .await
            .assert_problem(404, "not_found");
        server
            .post("/demo/phone", None, &json!({"phone": "+447700900123"}))
            .await
            .assert_problem(404, "not_found");
    }
}

#[tokio::test]
async fn sandbox_endpoints_refuse_bad_input_and_strangers() {
    let server = harness::start(|_| {}).await;
    server
        .post("/demo/phone", None, &json!({"phone": "+447700900123"}))
        .await
        .assert_problem(401, "unauthorized");
    server
        .post(
            "/demo/phone",
            Some(API_KEY),
            &json!({"phone": "+447700900123"}),
        )
        .await
        .assert_problem(401, "unauthorized");
    server
        .post(
            "/demo/users",
            None,
            &json!({"name": "bob", "phone": "not a number"}),
        )
        .await
        .assert_problem(400, "invalid_request");
    server
        .post(
            "/demo/users",
            None,
            &json!({"name": "bob", "phone": "+447700900123", "admin": true}),
        )
        .await
        .assert_problem(400, "invalid_request");
    server
        .call("GET", "/demo/inbox", None, None)
        .await
        .assert_problem(400, "invalid_request");
    let created = server
        .post(
            "/demo/users",
            None,
            &json!({"name": "bob", "phone": "+447700900123"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    server
        .post(
            "/demo/users",
            None,
            &json!({"name": "bob", "phone": "+447700900123"}),
        )
        .await
        .assert_problem(409, "user_exists");
    let inbox = server
        .call("GET", "/demo/inbox?phone=%2B447700900123", None, None)
        .await
        .ok();
    assert_eq!(inbox["messages"], json!([]));
}

#[tokio::test]
async fn the_phone_change_needs_a_recent_phishing_resistant_session() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(7);
    let registered = server
        .sign_up(&mut authenticator, "carol@example.com")
        .await;
    let token = registered["session"]["token"].as_str().unwrap().to_owned();
    let user_id = registered["user_id"].as_str().unwrap().to_owned();
    // Fresh from a user-verified sign-up: allowed.
    let changed = server
        .post(
            "/demo/phone",
            Some(&token),
            &json!({"phone": "+447700900123"}),
        )
        .await
        .ok();
    assert_eq!(changed["phone"], "+447700900123");
    server
        .post("/demo/phone", Some(&token), &json!({"phone": "12"}))
        .await
        .assert_problem(400, "invalid_request");

    // A session that has not reached `phr` (an SMS sign-in's level) is challenged.
    let store = server.state_store();
    let sid = registered["session"]["session_id"].as_str().unwrap();
    let mut session = store.session(sid).await.unwrap().unwrap();
    session.levels = [("urn:anshin:acr:sms".to_owned(), session.auth_time)].into();
    session.acr = "urn:anshin:acr:sms".to_owned();
    assert!(store.update_session(&session, &[]).await.unwrap());
    let response = server
        .client
        .post(format!("{}/demo/phone", server.url))
        .bearer_auth(&token)
        .json(&json!({"phone": "+447700900999"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("insufficient_user_authentication")
            && challenge.contains("acr_values=\"phr\"")
            && challenge.contains("max_age=\"120\""),
        "{challenge}"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "step_up_required");
    let user = server
        .call("GET", &format!("/v1/users/{user_id}"), Some(API_KEY), None)
        .await
        .ok();
    assert_eq!(user["phone"], "+447700900123", "nothing was changed");
}

#[tokio::test]
async fn stats_series_has_every_bucket_aligned_and_counts_a_sign_up() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(3);
    server.sign_up(&mut authenticator, "dora@example.com").await;
    server
        .sign_in(&mut authenticator, Some("dora@example.com"))
        .await
        .ok();

    server
        .call("GET", "/v1/stats/series", None, None)
        .await
        .assert_problem(401, "unauthorized");
    for bad in [
        "bucket=week",
        "since=abc",
        "colour=red",
        "bucket=hour&since=0",
    ] {
        server
            .call(
                "GET",
                &format!("/v1/stats/series?{bad}"),
                Some(API_KEY),
                None,
            )
            .await
            .assert_problem(400, "invalid_request");
    }

    for (bucket, width, n) in [("day", 86_400, 30), ("hour", 3_600, 48)] {
        let series = server
            .call(
                "GET",
                &format!("/v1/stats/series?bucket={bucket}"),
                Some(API_KEY),
                None,
            )
            .await
            .ok();
        assert_eq!(series["bucket_seconds"], width);
        let buckets = series["buckets"].as_array().unwrap();
        assert_eq!(buckets.len(), n, "{series}");
        assert!(
            buckets
                .iter()
                .all(|b| b["start"].as_i64().unwrap() % width == 0)
        );
        let last = buckets.last().unwrap();
        assert_eq!(last["registrations"], 1, "{last}");
        assert_eq!(last["users"], 1);
        assert_eq!(last["users_with_passkey"], 1);
        assert_eq!(last["adoption"], 1.0);
        // the sign-up's session and the sign-in
        assert_eq!(last["logins_passkey"], 2, "{last}");
        assert_eq!(last["sms_share"], 0.0);
        assert_eq!(
            last["decisions_allow"], 1,
            "the sign-in was decided: {last}"
        );
        let earlier: i64 = buckets[..n - 1]
            .iter()
            .map(|b| b["registrations"].as_i64().unwrap() + b["logins_passkey"].as_i64().unwrap())
            .sum();
        assert_eq!(earlier, 0);
        assert_eq!(series["decisions_by_level"][0]["key"], "LOW", "{series}");
    }
}

#[tokio::test]
async fn the_newest_events_come_oldest_first_without_a_next_page() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(5);
    server.sign_up(&mut authenticator, "eve@example.com").await;
    let all = server
        .call("GET", "/v1/events", Some(API_KEY), None)
        .await
        .ok();
    let kinds: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.len() >= 2, "{all}");
    let latest = server
        .call("GET", "/v1/events?latest=true&limit=1", Some(API_KEY), None)
        .await
        .ok();
    assert_eq!(latest["events"].as_array().unwrap().len(), 1);
    assert_eq!(latest["events"][0]["kind"], *kinds.last().unwrap());
    assert_eq!(latest["next"], serde_json::Value::Null);
    server
        .call("GET", "/v1/events?latest=maybe", Some(API_KEY), None)
        .await
        .assert_problem(400, "invalid_request");
}

#[tokio::test]
async fn passkey_lists_name_the_provider_by_its_aaguid() {
    use anshin_server::store::RegistrationWrite;
    use webauthn_core::Aaguid;

    use crate::support::{test_credential, test_user};

    let server = harness::start(|_| {}).await;
    let store = server.state_store();
    let user = test_user("frank", 1);
    store.create_user(&user, &[]).await.unwrap();
    // The test credential's AAGUID is Chrome on Mac's.
    let mut provider_only = test_credential(&user, &[1; 16], 10);
    provider_only.authenticator_name = None;
    let metadata_named = test_credential(&user, &[2; 16], 11);
    let mut unknown = test_credential(&user, &[3; 16], 12);
    unknown.authenticator_name = None;
    unknown.record.aaguid = Aaguid([7; 16]);
    for credential in [provider_only, metadata_named, unknown] {
        store
            .register(&RegistrationWrite {
                nudge_session: None,
                login: None,
                new_user: None,
                credential,
                session: None,
                events: vec![],
            })
            .await
            .unwrap();
    }
    let listed = server
        .call(
            "GET",
            &format!("/v1/users/{}/credentials", user.id),
            Some(API_KEY),
            None,
        )
        .await
        .ok();
    let names: Vec<&serde_json::Value> = listed["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["authenticator"])
        .collect();
    assert_eq!(
        names,
        [
            &json!("Chrome on Mac"),
            &json!("Test Authenticator"),
            &serde_json::Value::Null
        ]
    );
}
