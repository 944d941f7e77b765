//! The product API over HTTP: ceremonies, passkey management, sessions, events, published
//! documents, and bad input on every endpoint.

use serde_json::{Value, json};

use crate::harness::{self, API_KEY, creation_options, request_options, verify_with_jwks};

#[tokio::test]
async fn sign_up_then_sign_in_issues_tokens_that_verify_against_the_jwks() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(1);
    let registered = server
        .sign_up(&mut authenticator, "alice@example.com")
        .await;
    let user_id = registered["user_id"].as_str().unwrap().to_owned();
    assert_eq!(registered["credential"]["attestation"]["format"], "none");
    let token = registered["session"]["token"].as_str().unwrap();
    let claims = verify_with_jwks(&server, token).await;
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["sid"], registered["session"]["session_id"]);

    // Username-first sign-in.
    let signed_in = server
        .sign_in(&mut authenticator, Some("alice@example.com"))
        .await
        .ok();
    assert_eq!(signed_in["user_id"], user_id.as_str());
    let claims = verify_with_jwks(&server, signed_in["session"]["token"].as_str().unwrap()).await;
    for claim in ["kid", "sub", "sid", "auth_time", "acr", "amr", "exp"] {
        if claim != "kid" {
            assert!(
                !claims[claim].is_null(),
                "claim {claim} is present: {claims}"
            );
        }
    }
    assert_eq!(claims["acr"], signed_in["acr"]);
    assert!(claims["amr"].as_array().unwrap().contains(&json!("user")));
    assert!(claims["exp"].as_i64().unwrap() > claims["auth_time"].as_i64().unwrap());

    // Usernameless (discoverable) sign-in.
    let usernameless = server.sign_in(&mut authenticator, None).await.ok();
    assert_eq!(usernameless["user_id"], user_id.as_str());
}

#[tokio::test]
async fn unknown_user_names_get_the_same_shape_of_options() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(2);
    server.sign_up(&mut authenticator, "bob").await;
    let known = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "bob"}),
        )
        .await
        .ok();
    let unknown = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "mallory"}),
        )
        .await
        .ok();
    let keys = |v: &Value| {
        let mut k: Vec<_> = v["publicKey"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    assert_eq!(keys(&known), keys(&unknown));
    assert_eq!(
        known["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        !unknown["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Stable across calls, so that repeated probing does not tell either.
    let again = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "mallory"}),
        )
        .await
        .ok();
    assert_eq!(
        unknown["publicKey"]["allowCredentials"],
        again["publicKey"]["allowCredentials"]
    );
}

#[tokio::test]
async fn passkeys_can_be_listed_renamed_and_deleted_by_their_owner_or_a_backend() {
    let server = harness::start(|_| {}).await;
    let mut alice_key = server.authenticator(3);
    let alice = server.sign_up(&mut alice_key, "alice").await;
    let alice_id = alice["user_id"].as_str().unwrap();
    let alice_token = alice["session"]["token"].as_str().unwrap();
    let credential = alice["credential"]["id"].as_str().unwrap();
    let mut bob_key = server.authenticator(4);
    let bob = server.sign_up(&mut bob_key, "bob").await;
    let bob_token = bob["session"]["token"].as_str().unwrap();

    let path = format!("/v1/users/{alice_id}/credentials");
    let list = server
        .call("GET", &path, Some(alice_token), None)
        .await
        .ok();
    assert_eq!(list["credentials"][0]["id"], credential);
    server
        .call("GET", &path, Some(bob_token), None)
        .await
        .assert_problem(403, "forbidden");
    server
        .call("GET", &path, None, None)
        .await
        .assert_problem(401, "unauthorized");

    let one = format!("{path}/{credential}");
    let renamed = server
        .call(
            "PATCH",
            &one,
            Some(alice_token),
            Some(&json!({"nickname": "Work laptop"})),
        )
        .await
        .ok();
    assert_eq!(renamed["nickname"], "Work laptop");
    let by_backend = server.call("GET", &one, Some(API_KEY), None).await.ok();
    assert_eq!(by_backend["nickname"], "Work laptop");

    // Bob cannot delete Alice's passkey, even through his own user path.
    let bob_id = bob["user_id"].as_str().unwrap();
    server
        .call(
            "DELETE",
            &format!("/v1/users/{bob_id}/credentials/{credential}"),
            Some(bob_token),
            None,
        )
        .await
        .assert_problem(404, "not_found");
    let deleted = server.call("DELETE", &one, Some(alice_token), None).await;
    assert_eq!(deleted.status.as_u16(), 204);
    let list = server.call("GET", &path, Some(API_KEY), None).await.ok();
    assert!(list["credentials"].as_array().unwrap().is_empty());
    // The deleted passkey no longer signs in.
    let options = server
        .post("/v1/authentication/options", None, &json!({}))
        .await
        .ok();
    let response = alice_key.get(&request_options(&options), &[]).unwrap();
    server
        .post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
        .assert_problem(400, "credential_unknown");
    let events = server
        .call(
            "GET",
            &format!("/v1/events?user_id={alice_id}"),
            Some(API_KEY),
            None,
        )
        .await
        .ok();
    let kinds: Vec<_> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.contains(&"credential.registered".to_owned()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"credential.removed".to_owned()),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn revoked_sessions_stop_working_at_once() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(5);
    let registered = server.sign_up(&mut authenticator, "carol").await;
    let token = registered["session"]["token"].as_str().unwrap();
    let sid = registered["session"]["session_id"].as_str().unwrap();
    let user = registered["user_id"].as_str().unwrap();

    let active = server
        .post(
            "/v1/sessions/introspect",
            Some(API_KEY),
            &json!({"token": token}),
        )
        .await
        .ok();
    assert_eq!(active["active"], true);
    assert_eq!(active["sub"], user);
    assert!(active["auth_time"].is_i64());

    let revoked = server
        .post(
            &format!("/v1/sessions/{sid}/revoke"),
            Some(API_KEY),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(revoked["revoked"], true);
    let again = server
        .post(
            &format!("/v1/sessions/{sid}/revoke"),
            Some(API_KEY),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(again["revoked"], false);

    let inactive = server
        .post(
            "/v1/sessions/introspect",
            Some(API_KEY),
            &json!({"session_id": sid}),
        )
        .await
        .ok();
    assert_eq!(inactive["active"], false);
    assert_eq!(inactive["reason"], "revoked");
    server
        .call(
            "GET",
            &format!("/v1/users/{user}/credentials"),
            Some(token),
            None,
        )
        .await
        .assert_problem(401, "unauthorized");
    let events = server
        .call("GET", "/v1/events", Some(API_KEY), None)
        .await
        .ok();
    let revocations = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "session.revoked")
        .count();
    assert_eq!(revocations, 1);
}

#[tokio::test]
async fn ten_concurrent_verifies_of_one_ceremony_let_exactly_one_through() {
    let server = std::sync::Arc::new(harness::start(|_| {}).await);
    let mut authenticator = server.authenticator(6);
    server.sign_up(&mut authenticator, "dave").await;
    let options = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "dave"}),
        )
        .await
        .ok();
    let response = authenticator.get(&request_options(&options), &[]).unwrap();
    let body = json!({"ceremony_id": options["ceremony_id"], "credential": response.json});
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let server = server.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            server.post("/v1/authentication/verify", None, &body).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        let answer = task.await.unwrap();
        if answer.status.is_success() {
            ok += 1;
        } else {
            answer.assert_problem(400, "ceremony_unknown_or_expired");
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn a_replayed_assertion_is_rejected_in_a_new_ceremony() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(7);
    server.sign_up(&mut authenticator, "erin").await;
    let first = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "erin"}),
        )
        .await
        .ok();
    let response = authenticator.get(&request_options(&first), &[]).unwrap();
    server
        .post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": first["ceremony_id"], "credential": response.json}),
        )
        .await
        .ok();
    // The attacker captured the assertion and tries it against a fresh ceremony.
    let second = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "erin"}),
        )
        .await
        .ok();
    server
        .post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": second["ceremony_id"], "credential": response.json}),
        )
        .await
        .assert_problem(400, "challenge_mismatch");
    let events = server
        .call("GET", "/v1/events", Some(API_KEY), None)
        .await
        .ok();
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "signin.failed" && e["data"]["code"] == "challenge_mismatch"),
        "{events}"
    );
}

#[tokio::test]
async fn a_credential_cannot_be_registered_twice() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(8);
    let registered = server.sign_up(&mut authenticator, "frank").await;
    let token = registered["session"]["token"].as_str().unwrap();
    let options = server
        .post(
            "/v1/registration/options",
            Some(token),
            &json!({"user": {}}),
        )
        .await
        .ok();
    assert_eq!(
        options["publicKey"]["excludeCredentials"][0]["id"],
        registered["credential"]["id"]
    );
    // A second passkey for the same account works.
    let mut second = server.authenticator(9);
    let response = second
        .create(&creation_options(&options), &Default::default(), &[])
        .unwrap();
    let added = server
        .post(
            "/v1/registration/verify",
            Some(token),
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json, "nickname": "Phone"}),
        )
        .await
        .ok();
    assert_eq!(added["user_id"], registered["user_id"]);
    assert!(
        added["session"].is_null(),
        "adding a passkey does not open a session"
    );
    // The same credential response again, in a fresh ceremony of another account, is refused.
    let other = server
        .post(
            "/v1/registration/options",
            Some(API_KEY),
            &json!({"user": {"name": "someone-else"}}),
        )
        .await
        .ok();
    let mut copy = serde_json::to_value(&response.json).unwrap();
    // Re-sign nothing: only the challenge differs, so the core rejects it before the store would.
    copy["id"] = registered["credential"]["id"].clone();
    let replay = server
        .post(
            "/v1/registration/verify",
            Some(API_KEY),
            &json!({"ceremony_id": other["ceremony_id"], "credential": copy}),
        )
        .await;
    assert!(replay.status.is_client_error(), "{}", replay.body);
}

#[tokio::test]
async fn taken_names_and_closed_sign_up_are_refused() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(10);
    server.sign_up(&mut authenticator, "grace").await;
    server
        .post(
            "/v1/registration/options",
            None,
            &json!({"user": {"name": "grace"}}),
        )
        .await
        .assert_problem(409, "user_exists");
    let closed = harness::start(|c| c.open_signup = false).await;
    closed
        .post(
            "/v1/registration/options",
            None,
            &json!({"user": {"name": "heidi"}}),
        )
        .await
        .assert_problem(401, "unauthorized");
    // A backend can still register users when sign-up is closed.
    let options = closed
        .post(
            "/v1/registration/options",
            Some(API_KEY),
            &json!({"user": {"name": "heidi"}}),
        )
        .await
        .ok();
    let mut key = closed.authenticator(11);
    let response = key
        .create(&creation_options(&options), &Default::default(), &[])
        .unwrap();
    // Only the caller that started a ceremony may finish it.
    closed
        .post(
            "/v1/registration/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn users_can_be_managed_by_backends() {
    let server = harness::start(|_| {}).await;
    let created = server
        .post(
            "/v1/users",
            Some(API_KEY),
            &json!({"name": "ivan", "phone": "+15551234567"}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/users/{id}");
    let patched = server
        .call(
            "PATCH",
            &path,
            Some(API_KEY),
            Some(&json!({"phone": null, "display_name": "Ivan"})),
        )
        .await
        .ok();
    assert!(patched["phone"].is_null());
    assert_eq!(patched["display_name"], "Ivan");
    server
        .post("/v1/users", Some(API_KEY), &json!({"name": "ivan"}))
        .await
        .assert_problem(409, "user_exists");
    assert_eq!(
        server
            .call("DELETE", &path, Some(API_KEY), None)
            .await
            .status
            .as_u16(),
        204
    );
    server
        .call("GET", &path, Some(API_KEY), None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn published_documents_and_operations_endpoints() {
    let server = harness::start(|c| {
        c.related_origins = vec!["https://shop.example".to_owned()];
        c.apps.apple = vec!["ABCDE12345.com.example.app".to_owned()];
        c.apps.android = vec![anshin_server::config::AndroidApp {
            package_name: "com.example.app".to_owned(),
            sha256_cert_fingerprints: vec!["AB:CD".to_owned()],
        }];
    })
    .await;
    let related = server
        .call("GET", "/.well-known/webauthn", None, None)
        .await
        .ok();
    assert_eq!(related["origins"], json!(["https://shop.example"]));
    let aasa = server
        .call("GET", "/.well-known/apple-app-site-association", None, None)
        .await
        .ok();
    assert_eq!(
        aasa["webcredentials"]["apps"][0],
        "ABCDE12345.com.example.app"
    );
    let links = server
        .call("GET", "/.well-known/assetlinks.json", None, None)
        .await
        .ok();
    assert_eq!(links[0]["target"]["package_name"], "com.example.app");
    assert!(
        links[0]["relation"]
            .as_array()
            .unwrap()
            .contains(&json!("delegate_permission/common.get_login_creds"))
    );
    assert_eq!(
        server.call("GET", "/healthz", None, None).await.ok()["status"],
        "ok"
    );
    assert_eq!(
        server.call("GET", "/readyz", None, None).await.ok()["status"],
        "ready"
    );
    server
        .post("/v1/authentication/options", None, &json!({}))
        .await
        .ok();
    let metrics = server
        .client
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("route=\"/v1/authentication/options\""),
        "{metrics}"
    );
    // Without configuration the documents do not exist.
    let bare = harness::start(|_| {}).await;
    bare.call("GET", "/.well-known/webauthn", None, None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_openapi_document_matches_the_committed_snapshot() {
    let server = harness::start(|_| {}).await;
    let served = server.call("GET", "/openapi.json", None, None).await.ok();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let rendered = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "server/openapi.json is out of date; run UPDATE_SNAPSHOTS=1 cargo test -p anshin-server --test it openapi and review the diff"
    );
    for path in [
        "/v1/registration/options",
        "/v1/registration/verify",
        "/v1/authentication/options",
        "/v1/authentication/verify",
        "/v1/users/{id}/credentials/{cred}",
        "/v1/sessions/introspect",
        "/v1/events",
        "/.well-known/jwks.json",
    ] {
        assert!(served["paths"][path].is_object(), "{path} is documented");
    }
}

/// method, path, bearer, body, expected status, expected code.
type Case<'a> = (
    &'a str,
    String,
    Option<&'a str>,
    Option<Value>,
    u16,
    &'a str,
);

/// Every endpoint, with a request that is malformed in the way that endpoint can be.
#[tokio::test]
async fn bad_input_gets_a_problem_document_on_every_endpoint() {
    let server = harness::start(|c| c.max_body_bytes = 4096).await;
    let mut authenticator = server.authenticator(12);
    let registered = server.sign_up(&mut authenticator, "judy").await;
    let user = registered["user_id"].as_str().unwrap();
    let cred = registered["credential"]["id"].as_str().unwrap();
    let token = registered["session"]["token"].as_str().unwrap();
    let huge = json!({"user": {"name": "x".repeat(10_000)}});
    let cases: Vec<Case<'_>> = vec![
        (
            "POST",
            "/v1/registration/options".into(),
            None,
            Some(json!({"user": {"name": ""}})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/registration/options".into(),
            None,
            Some(json!({"user": {"name": "a"}, "attestation": "sometimes"})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/registration/options".into(),
            None,
            Some(json!({"user": {"name": "a\u{0007}"}})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/registration/options".into(),
            None,
            Some(huge),
            413,
            "payload_too_large",
        ),
        (
            "POST",
            "/v1/registration/options".into(),
            Some("not-a-valid-api-key"),
            Some(json!({"user": {"name": "k"}})),
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/v1/registration/verify".into(),
            None,
            Some(json!({"ceremony_id": "nope", "credential": {}})),
            400,
            "ceremony_unknown_or_expired",
        ),
        (
            "POST",
            "/v1/registration/verify".into(),
            None,
            Some(
                json!({"ceremony_id": "A".repeat(32), "credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}}),
            ),
            400,
            "ceremony_unknown_or_expired",
        ),
        (
            "POST",
            "/v1/registration/verify".into(),
            None,
            Some(
                json!({"ceremony_id": "A".repeat(32), "credential": {"id": "AA==", "type": "public-key", "response": {}}}),
            ),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/authentication/options".into(),
            None,
            Some(json!({"username": 7})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/authentication/options".into(),
            None,
            Some(json!({"mediation": "psychic"})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/authentication/verify".into(),
            None,
            Some(json!({"ceremony_id": "A".repeat(32)})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/authentication/verify".into(),
            None,
            Some(
                json!({"ceremony_id": "A".repeat(32), "credential": {"id": cred, "rawId": cred, "type": "public-key", "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}}),
            ),
            400,
            "ceremony_unknown_or_expired",
        ),
        (
            "POST",
            "/v1/authentication/verify".into(),
            None,
            Some(
                json!({"ceremony_id": "A".repeat(32), "credential": {}, "context": {"ip": "1.2.3.4"}}),
            ),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/users".into(),
            None,
            Some(json!({"name": "x"})),
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/v1/users".into(),
            Some(token),
            Some(json!({"name": "x"})),
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/v1/users".into(),
            Some(API_KEY),
            Some(json!({"name": "x", "phone": "12345"})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/users".into(),
            Some(API_KEY),
            Some(json!({"name": "x", "admin": true})),
            400,
            "invalid_request",
        ),
        (
            "GET",
            "/v1/users/not-a-uuid".into(),
            Some(API_KEY),
            None,
            400,
            "invalid_request",
        ),
        (
            "GET",
            format!("/v1/users/{}", uuid::Uuid::new_v4()),
            Some(API_KEY),
            None,
            404,
            "not_found",
        ),
        (
            "PATCH",
            format!("/v1/users/{user}"),
            Some(API_KEY),
            Some(json!({"display_name": 5})),
            400,
            "invalid_request",
        ),
        (
            "PATCH",
            format!("/v1/users/{user}"),
            Some(token),
            Some(json!({"display_name": "J"})),
            401,
            "unauthorized",
        ),
        (
            "DELETE",
            format!("/v1/users/{}", uuid::Uuid::new_v4()),
            Some(API_KEY),
            None,
            404,
            "not_found",
        ),
        (
            "GET",
            format!("/v1/users/{user}/credentials"),
            Some("a.b.c"),
            None,
            401,
            "unauthorized",
        ),
        (
            "GET",
            format!("/v1/users/{user}/credentials/AA=="),
            Some(API_KEY),
            None,
            400,
            "invalid_request",
        ),
        (
            "PATCH",
            format!("/v1/users/{user}/credentials/{cred}"),
            Some(token),
            Some(json!({"nickname": "n".repeat(65)})),
            400,
            "invalid_request",
        ),
        (
            "PATCH",
            format!("/v1/users/{user}/credentials/AAAA"),
            Some(token),
            Some(json!({"nickname": "n"})),
            404,
            "not_found",
        ),
        (
            "DELETE",
            format!("/v1/users/{user}/credentials/AAAA"),
            Some(token),
            None,
            404,
            "not_found",
        ),
        (
            "POST",
            "/v1/sessions/introspect".into(),
            Some(API_KEY),
            Some(json!({})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/sessions/introspect".into(),
            None,
            Some(json!({"token": token})),
            401,
            "unauthorized",
        ),
        (
            "POST",
            format!("/v1/sessions/{}/revoke", "s".repeat(200)),
            Some(API_KEY),
            Some(json!({})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/sessions/unknown/revoke".into(),
            Some(API_KEY),
            Some(json!({})),
            404,
            "not_found",
        ),
        (
            "GET",
            "/v1/events?limit=lots".into(),
            Some(API_KEY),
            None,
            400,
            "invalid_request",
        ),
        ("GET", "/v1/events".into(), None, None, 401, "unauthorized"),
        (
            "POST",
            "/v1/step-up/options".into(),
            None,
            Some(json!({})),
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/v1/step-up/options".into(),
            Some(API_KEY),
            Some(json!({})),
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/v1/step-up/options".into(),
            Some(token),
            Some(json!({"action": "a\u{0000}"})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/step-up/verify".into(),
            Some(token),
            Some(
                json!({"ceremony_id": "A".repeat(32), "credential": {"id": cred, "rawId": cred, "type": "public-key", "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}}),
            ),
            400,
            "ceremony_unknown_or_expired",
        ),
        (
            "POST",
            "/v1/step-up/verify".into(),
            Some(token),
            Some(json!({"ceremony_id": 5})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/fallback/options".into(),
            None,
            Some(json!({})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/fallback/options".into(),
            None,
            Some(json!({"username": "judy", "context": {"ip": "192.0.2.1"}})),
            403,
            "forbidden",
        ),
        (
            "POST",
            "/v1/fallback/sms/send".into(),
            None,
            Some(json!({"username": ""})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/fallback/sms/verify".into(),
            None,
            Some(json!({"otp_id": "A".repeat(32), "code": "123456"})),
            400,
            "otp_invalid",
        ),
        (
            "POST",
            "/v1/fallback/sms/verify".into(),
            None,
            Some(json!({"otp_id": "short", "code": "1".repeat(100)})),
            400,
            "otp_invalid",
        ),
        (
            "POST",
            "/v1/risk/evaluate".into(),
            None,
            Some(json!({"action": "payout"})),
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/v1/risk/evaluate".into(),
            Some(API_KEY),
            Some(json!({"action": ""})),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/risk/evaluate".into(),
            Some(API_KEY),
            Some(json!({"action": "payout", "user_id": uuid::Uuid::new_v4()})),
            404,
            "not_found",
        ),
        (
            "POST",
            "/v1/risk/feedback".into(),
            Some(API_KEY),
            Some(json!({"decision_id": "nope", "label": "right"})),
            404,
            "not_found",
        ),
        (
            "POST",
            "/v1/risk/feedback".into(),
            Some(token),
            Some(json!({"decision_id": "nope", "label": "right"})),
            401,
            "unauthorized",
        ),
        (
            "GET",
            "/v1/stats?since=yesterday".into(),
            Some(API_KEY),
            None,
            400,
            "invalid_request",
        ),
        ("GET", "/v1/stats".into(), None, None, 401, "unauthorized"),
        ("GET", "/v1/nowhere".into(), None, None, 404, "not_found"),
        (
            "DELETE",
            "/v1/registration/options".into(),
            None,
            None,
            405,
            "method_not_allowed",
        ),
    ];
    for (method, path, bearer, body, status, code) in cases {
        let answer = server.call(method, &path, bearer, body.as_ref()).await;
        assert_eq!(
            (answer.status.as_u16(), answer.body["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {}",
            answer.body
        );
        answer.assert_problem(status, code);
    }
    // Not JSON at all, and JSON without the content type.
    for (content_type, status, code) in [
        ("application/json", 400, "invalid_request"),
        ("text/plain", 415, "unsupported_media_type"),
    ] {
        let response = server
            .client
            .post(format!("{}/v1/authentication/options", server.url))
            .header("content-type", content_type)
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], code);
    }
    // Nothing was half-written: judy still has exactly her one passkey and one user row.
    let list = server
        .call(
            "GET",
            &format!("/v1/users/{user}/credentials"),
            Some(API_KEY),
            None,
        )
        .await
        .ok();
    assert_eq!(list["credentials"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn forged_assertions_are_rejected_and_counted() {
    use anshin_conformance::authenticator::Mutation;
    let server = harness::start(|c| c.rate_limits.failures_per_user = 3).await;
    let mut authenticator = server.authenticator(13);
    server.sign_up(&mut authenticator, "ken").await;
    for _ in 0..3 {
        let options = server
            .post(
                "/v1/authentication/options",
                None,
                &json!({"username": "ken"}),
            )
            .await
            .ok();
        let response = authenticator
            .get(&request_options(&options), &[Mutation::FlipSignatureByte])
            .unwrap();
        server
            .post(
                "/v1/authentication/verify",
                None,
                &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
            )
            .await
            .assert_problem(400, "signature_invalid");
    }
    // Past the limit, even a genuine assertion waits for the window to pass.
    let answer = server.sign_in(&mut authenticator, Some("ken")).await;
    answer.assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn a_regressed_counter_is_refused_and_recorded() {
    let server = harness::start(|_| {}).await;
    // The virtual authenticator counts signatures from zero.
    let mut authenticator = server.authenticator(14);
    let registered = server.sign_up(&mut authenticator, "leo").await;
    server.sign_in(&mut authenticator, Some("leo")).await.ok();
    let options = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "leo"}),
        )
        .await
        .ok();
    let cloned = authenticator
        .get(
            &request_options(&options),
            &[anshin_conformance::authenticator::Mutation::CounterNotIncreased],
        )
        .unwrap();
    server
        .post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": cloned.json}),
        )
        .await
        .assert_problem(400, "counter_regression");
    let user = registered["user_id"].as_str().unwrap();
    let events = server
        .call(
            "GET",
            &format!("/v1/events?user_id={user}"),
            Some(API_KEY),
            None,
        )
        .await
        .ok();
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "counter.regressed" && e["data"]["rejected"] == true),
        "{events}"
    );
}

#[tokio::test]
async fn a_backup_flag_change_is_recorded_without_locking_the_user_out() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(15);
    let registered = server.sign_up(&mut authenticator, "mia").await;
    let options = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "mia"}),
        )
        .await
        .ok();
    let response = authenticator
        .get(
            &request_options(&options),
            &[anshin_conformance::authenticator::Mutation::BackupEligibilityChanged],
        )
        .unwrap();
    server
        .post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
        .ok();
    let user = registered["user_id"].as_str().unwrap();
    let events = server
        .call(
            "GET",
            &format!("/v1/events?user_id={user}"),
            Some(API_KEY),
            None,
        )
        .await
        .ok();
    let change = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "backup.changed")
        .unwrap_or_else(|| panic!("no backup.changed event: {events}"))
        .clone();
    assert_ne!(
        change["data"]["backup_eligible"]["was"],
        change["data"]["backup_eligible"]["now"]
    );
    let credential = server
        .call(
            "GET",
            &format!("/v1/users/{user}/credentials"),
            Some(API_KEY),
            None,
        )
        .await
        .ok();
    assert_eq!(
        credential["credentials"][0]["backup_eligible"], change["data"]["backup_eligible"]["now"],
        "the stored flag follows the authenticator"
    );
}

#[tokio::test]
async fn conditional_mediation_asks_for_a_discoverable_credential() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(16);
    let registered = server.sign_up(&mut authenticator, "nina").await;
    // Autofill: no allow list even when the page already knows a name.
    let options = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"mediation": "conditional", "username": "nina"}),
        )
        .await
        .ok();
    assert_eq!(options["mediation"], "conditional");
    assert!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    let response = authenticator.get(&request_options(&options), &[]).unwrap();
    let signed_in = server
        .post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
        .ok();
    assert_eq!(signed_in["user_id"], registered["user_id"]);
    // Conditional create (passkey upgrade) may not require user verification.
    let token = signed_in["session"]["token"].as_str().unwrap();
    server
        .post(
            "/v1/registration/options",
            Some(token),
            &json!({"user": {}, "mediation": "conditional", "user_verification": "required"}),
        )
        .await
        .assert_problem(400, "invalid_request");
    let upgrade = server
        .post(
            "/v1/registration/options",
            Some(token),
            &json!({"user": {}, "mediation": "conditional"}),
        )
        .await
        .ok();
    assert_eq!(upgrade["mediation"], "conditional");
}
