//! The FIDO2 conformance profile over HTTP.
//!
//! Requests are shaped like the FIDO conformance tool's (see
//! /work/shared/reference/fido2-server-conformance.md §1): the options answers are
//! `ServerResponse`s, state travels in the `anshin_fido2` cookie, and every failure is a JSON
//! body with `status: "failed"`.

use anshin_conformance::authenticator::{
    Algorithm, Attestation, AuthenticationRequest, CredentialOptions, Mutation,
    VirtualAuthenticator,
};
use serde_json::{Value, json};
use webauthn_core::json::{
    PublicKeyCredentialCreationOptionsJson, PublicKeyCredentialRequestOptionsJson,
};
use webauthn_core::{CreationOptionsJson, RequestOptionsJson};

use crate::harness::{self, Answer, TestServer};

const ATTESTATION_OPTIONS: &str = "/fido2/attestation/options";
const ATTESTATION_RESULT: &str = "/fido2/attestation/result";
const ASSERTION_OPTIONS: &str = "/fido2/assertion/options";
const ASSERTION_RESULT: &str = "/fido2/assertion/result";

/// Asserts a successful `ServerResponse` and returns its body.
#[track_caller]
fn assert_ok(answer: Answer) -> Value {
    assert_eq!(answer.status.as_u16(), 200, "body: {}", answer.body);
    assert!(
        answer.content_type.starts_with("application/json"),
        "{}",
        answer.content_type
    );
    assert_eq!(answer.body["status"], "ok", "body: {}", answer.body);
    assert_eq!(answer.body["errorMessage"], "", "body: {}", answer.body);
    answer.body
}

/// Asserts a failed `ServerResponse` (JSON, 4xx, non-empty message) with this code.
#[track_caller]
fn assert_failed(answer: &Answer, code: &str) {
    assert!(
        answer.status.is_client_error(),
        "{}: {}",
        answer.status,
        answer.body
    );
    assert!(
        answer.content_type.starts_with("application/json"),
        "a failure is JSON, not {:?}",
        answer.content_type
    );
    assert_eq!(answer.body["status"], "failed", "body: {}", answer.body);
    assert!(
        answer.body["errorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "a failure carries a message: {}",
        answer.body
    );
    assert_eq!(answer.body["code"], code, "body: {}", answer.body);
}

/// The creation options inside a `ServerResponse`, as a browser would take them.
fn creation(answer: &Value) -> CreationOptionsJson {
    let mut options = answer.clone();
    let object = options.as_object_mut().unwrap();
    object.remove("status");
    object.remove("errorMessage");
    let public_key: PublicKeyCredentialCreationOptionsJson =
        serde_json::from_value(options).unwrap();
    CreationOptionsJson {
        public_key,
        mediation: None,
    }
}

/// The request options inside a `ServerResponse`.
fn request(answer: &Value) -> RequestOptionsJson {
    let mut options = answer.clone();
    let object = options.as_object_mut().unwrap();
    object.remove("status");
    object.remove("errorMessage");
    let public_key: PublicKeyCredentialRequestOptionsJson =
        serde_json::from_value(options).unwrap();
    RequestOptionsJson {
        public_key,
        mediation: None,
    }
}

/// The tool's creation options request.
fn creation_request(username: &str, attestation: &str) -> Value {
    json!({
        "username": username,
        "displayName": "John Doe",
        "authenticatorSelection": {"requireResidentKey": false, "userVerification": "preferred"},
        "attestation": attestation,
        "extensions": {"example.extension": true},
    })
}

/// Writes a credential the way the conformance tool does: client extension outputs under
/// `getClientExtensionResults`.
fn as_tool_sends_it(mut credential: Value) -> Value {
    let object = credential.as_object_mut().unwrap();
    let outputs = object
        .remove("clientExtensionResults")
        .unwrap_or_else(|| json!({}));
    object.insert("getClientExtensionResults".to_owned(), outputs);
    credential
}

/// Registers a credential through the profile and returns its JSON.
async fn register(
    server: &TestServer,
    authenticator: &mut VirtualAuthenticator,
    username: &str,
    credential: &CredentialOptions,
) -> Value {
    let attestation = credential.attestation.conveyance();
    let options = assert_ok(
        server
            .post(
                ATTESTATION_OPTIONS,
                None,
                &creation_request(username, attestation),
            )
            .await,
    );
    let response = authenticator
        .create(&creation(&options), credential, &[])
        .unwrap();
    let json = as_tool_sends_it(response.json);
    assert_ok(server.post(ATTESTATION_RESULT, None, &json).await);
    json
}

/// Asks for assertion options for `username` and returns them.
async fn assertion_options(server: &TestServer, username: &str) -> Value {
    assert_ok(
        server
            .post(
                ASSERTION_OPTIONS,
                None,
                &json!({"username": username, "userVerification": "preferred"}),
            )
            .await,
    )
}

#[tokio::test]
async fn creation_options_echo_the_request() {
    let server = harness::start(|_| {}).await;
    let sent = json!({
        "username": "johndoe@example.com",
        "displayName": "John Doe",
        "authenticatorSelection": {"requireResidentKey": false, "userVerification": "preferred"},
        "attestation": "direct",
        "extensions": {"example.extension": true},
    });
    let first = assert_ok(server.post(ATTESTATION_OPTIONS, None, &sent).await);
    // Deep equality: nothing added (no residentKey), nothing dropped.
    assert_eq!(
        first["authenticatorSelection"],
        sent["authenticatorSelection"]
    );
    assert_eq!(first["extensions"], json!({"example.extension": true}));
    assert_eq!(first["attestation"], "direct");
    assert_eq!(first["user"]["name"], "johndoe@example.com");
    assert_eq!(first["user"]["displayName"], "John Doe");
    let user_id = first["user"]["id"].as_str().unwrap();
    assert!(
        !user_id.is_empty()
            && user_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{user_id}"
    );
    assert!(first["rp"]["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(first["rp"]["id"], "localhost");
    let challenge = first["challenge"].as_str().unwrap();
    assert!(challenge.len() > 21, "{challenge}");
    assert!(
        challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert!(first["timeout"].as_u64().is_some_and(|t| t > 0));
    assert_eq!(first["excludeCredentials"], json!([]));
    let algorithms: Vec<i64> = first["pubKeyCredParams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "public-key");
            p["alg"].as_i64().unwrap()
        })
        .collect();
    for alg in [-7, -35, -36, -8, -37, -38, -39, -257, -258, -259, -65535] {
        assert!(
            algorithms.contains(&alg),
            "{alg} is offered: {algorithms:?}"
        );
    }

    // P-2: attestation "none" is echoed; without one, "none" is the default.
    let none = assert_ok(
        server
            .post(
                ATTESTATION_OPTIONS,
                None,
                &creation_request("johndoe@example.com", "none"),
            )
            .await,
    );
    assert_eq!(none["attestation"], "none");
    let bare = assert_ok(
        server
            .post(
                ATTESTATION_OPTIONS,
                None,
                &json!({"username": "bare", "displayName": "Bare"}),
            )
            .await,
    );
    assert_eq!(bare["attestation"], "none");
    assert!(bare.get("authenticatorSelection").is_none(), "{bare}");
    assert!(bare.get("extensions").is_none(), "{bare}");

    // P-3: fresh challenges.
    assert_ne!(first["challenge"], none["challenge"]);
    assert_ne!(none["challenge"], bare["challenge"]);

    // P-4: userVerification "required" is echoed, and other selection members verbatim.
    let selection = json!({
        "requireResidentKey": true,
        "residentKey": "required",
        "authenticatorAttachment": "cross-platform",
        "userVerification": "required",
    });
    let required = assert_ok(
        server
            .post(
                ATTESTATION_OPTIONS,
                None,
                &json!({"username": "u", "displayName": "U", "authenticatorSelection": selection}),
            )
            .await,
    );
    assert_eq!(required["authenticatorSelection"], selection);
}

#[tokio::test]
async fn options_set_a_session_cookie() {
    let server = harness::start(|_| {}).await;
    let response = server
        .client
        .post(format!("{}{ATTESTATION_OPTIONS}", server.url))
        .json(&creation_request("cookie", "none"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("anshin_fido2="), "{cookie}");
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for wanted in ["Path=/fido2", "HttpOnly", "SameSite=Lax"] {
        assert!(attributes.contains(&wanted), "{cookie}");
    }
    // The origin is http://localhost: a Secure cookie would never come back.
    assert!(!attributes.contains(&"Secure"), "{cookie}");
}

#[tokio::test]
async fn none_registration_then_assertion() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(1);
    let registered = register(
        &server,
        &mut authenticator,
        "alice",
        &CredentialOptions::default(),
    )
    .await;

    // Resp-1 P-1: a second options call for the same user excludes the credential and keeps
    // the user handle.
    let again = assert_ok(
        server
            .post(
                ATTESTATION_OPTIONS,
                None,
                &creation_request("alice", "none"),
            )
            .await,
    );
    assert_eq!(
        again["excludeCredentials"],
        json!([{"type": "public-key", "id": registered["id"], "transports": ["internal", "hybrid"]}])
    );
    assert_eq!(
        again["user"]["id"],
        json!(webauthn_core::base64url::encode(
            authenticator.credentials()[0].user_handle()
        ))
    );

    // GetOptions Req-1 P-1.
    let sent = json!({
        "username": "alice",
        "userVerification": "required",
        "extensions": {"example.extension": true},
    });
    let options = assert_ok(server.post(ASSERTION_OPTIONS, None, &sent).await);
    assert_eq!(options["userVerification"], "required");
    assert_eq!(options["extensions"], json!({"example.extension": true}));
    assert_eq!(options["rpId"], "localhost");
    assert!(options["timeout"].as_u64().is_some_and(|t| t > 0));
    assert!(options["challenge"].as_str().unwrap().len() > 21);
    let allowed = options["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "{options}");
    assert_eq!(allowed[0]["type"], "public-key");
    assert_eq!(allowed[0]["id"], registered["id"]);
    // P-2: fresh challenges.
    let other = assertion_options(&server, "alice").await;
    assert_ne!(options["challenge"], other["challenge"]);
    assert_eq!(other["userVerification"], "preferred");

    // The latest options call set the cookie: answer it, as the tool sends it (empty
    // userHandle, getClientExtensionResults).
    let assertion = authenticator.get(&request(&other), &[]).unwrap();
    let mut body = as_tool_sends_it(assertion.json);
    body["response"]["userHandle"] = json!("");
    assert_ok(server.post(ASSERTION_RESULT, None, &body).await);

    // The counter was stored: a second assertion with the next count succeeds too.
    let options = assertion_options(&server, "alice").await;
    let assertion = authenticator.get(&request(&options), &[]).unwrap();
    assert_ok(server.post(ASSERTION_RESULT, None, &assertion.json).await);
}

#[tokio::test]
async fn packed_self_attestation_for_every_algorithm() {
    let server = harness::start(|_| {}).await;
    for (seed, algorithm) in (10..).zip(Algorithm::ALL) {
        let username = format!("packed-{algorithm}");
        let mut authenticator = server.authenticator(seed);
        let credential = CredentialOptions {
            algorithm,
            attestation: Attestation::PackedSelf,
            ..CredentialOptions::default()
        };
        register(&server, &mut authenticator, &username, &credential).await;
        let options = assertion_options(&server, &username).await;
        let assertion = authenticator.get(&request(&options), &[]).unwrap();
        assert_ok(server.post(ASSERTION_RESULT, None, &assertion.json).await);
    }
    // No "full" (x5c) packed attestation here: the virtual authenticator only makes `none`
    // and packed self attestation.
}

#[tokio::test]
async fn assertion_without_user_presence_is_accepted_by_the_profile_only() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(2);
    register(
        &server,
        &mut authenticator,
        "bob",
        &CredentialOptions::default(),
    )
    .await;
    // The conformance tool's positive assertion tests clear UP and expect success (reference
    // §1.7), so the profile allows it. The product API (/v1) refuses such an assertion with
    // `user_presence_missing`, checked below on a passkey of its own.
    let options = assertion_options(&server, "bob").await;
    let assertion = authenticator
        .get(&request(&options), &[Mutation::ClearUserPresent])
        .unwrap();
    assert_eq!(assertion.authenticator_data[32] & 0x01, 0, "UP is clear");
    assert_ok(server.post(ASSERTION_RESULT, None, &assertion.json).await);

    let mut passkey = server.authenticator(3);
    server.sign_up(&mut passkey, "bob-product").await;
    let v1 = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "bob-product"}),
        )
        .await
        .ok();
    let assertion = passkey
        .get(
            &harness::request_options(&v1),
            &[Mutation::ClearUserPresent],
        )
        .unwrap();
    server
        .post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": v1["ceremony_id"], "credential": assertion.json}),
        )
        .await
        .assert_problem(400, "user_presence_missing");
}

#[tokio::test]
async fn profile_credentials_cannot_sign_in_on_the_product_api() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(4);
    register(
        &server,
        &mut authenticator,
        "carol",
        &CredentialOptions::default(),
    )
    .await;
    let v1 = server
        .post(
            "/v1/authentication/options",
            None,
            &json!({"username": "carol"}),
        )
        .await
        .ok();
    let challenge =
        webauthn_core::base64url::decode(v1["publicKey"]["challenge"].as_str().unwrap()).unwrap();
    // Offer the profile's credential whatever /v1 lists.
    let assertion = authenticator
        .authenticate(&AuthenticationRequest::new("localhost", &challenge), &[])
        .unwrap();
    let answer = server
        .post(
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": v1["ceremony_id"], "credential": assertion.json}),
        )
        .await;
    // /v1 does not know the credential: the profile's users and credentials stay in the
    // profile.
    answer.assert_problem(400, "credential_unknown");
    assert!(answer.body.get("session").is_none(), "{}", answer.body);
}

#[tokio::test]
async fn options_requests_are_validated() {
    let server = harness::start(|_| {}).await;
    let cases = [
        (ATTESTATION_OPTIONS, json!({"displayName": "No Name"})),
        (
            ATTESTATION_OPTIONS,
            json!({"username": "", "displayName": "Empty"}),
        ),
        (
            ATTESTATION_OPTIONS,
            json!({"username": 7, "displayName": "Number"}),
        ),
        (ATTESTATION_OPTIONS, json!({"username": "no-display-name"})),
        (
            ATTESTATION_OPTIONS,
            json!({"username": "u", "displayName": "U", "authenticatorSelection": "required"}),
        ),
        (
            ATTESTATION_OPTIONS,
            json!({"username": "u", "displayName": "U", "extensions": [1]}),
        ),
        (ASSERTION_OPTIONS, json!({"userVerification": "required"})),
        (
            ASSERTION_OPTIONS,
            json!({"username": "u", "userVerification": "sometimes"}),
        ),
    ];
    for (path, body) in cases {
        let answer = server.post(path, None, &body).await;
        assert_failed(&answer, "invalid_request");
    }
    let unknown = server
        .post(ASSERTION_OPTIONS, None, &json!({"username": "nobody"}))
        .await;
    assert_failed(&unknown, "user_unknown");
    assert_eq!(unknown.body["errorMessage"], "User does not exist");
}

#[tokio::test]
async fn bad_bodies_get_json_failures() {
    let server = harness::start(|_| {}).await;
    let url = |path: &str| format!("{}{path}", server.url);
    let answer = |response: reqwest::Response| async move {
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            body,
        }
    };
    let malformed = server
        .client
        .post(url(ATTESTATION_OPTIONS))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_failed(&answer(malformed).await, "invalid_request");

    let not_an_object = server.post(ATTESTATION_RESULT, None, &json!([1, 2])).await;
    assert_failed(&not_an_object, "invalid_request");

    let text = server
        .client
        .post(url(ASSERTION_OPTIONS))
        .header("content-type", "text/plain")
        .body("{\"username\": \"x\"}")
        .send()
        .await
        .unwrap();
    let text = answer(text).await;
    assert_eq!(text.status.as_u16(), 415);
    assert_failed(&text, "unsupported_media_type");

    let huge = json!({"username": "x".repeat(100 * 1024), "displayName": "X"});
    let huge = answer(
        server
            .client
            .post(url(ATTESTATION_OPTIONS))
            .json(&huge)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(huge.status.as_u16(), 413);
    assert_failed(&huge, "payload_too_large");

    let get = answer(
        server
            .client
            .get(url(ATTESTATION_OPTIONS))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(get.status.as_u16(), 405);
    assert_failed(&get, "method_not_allowed");

    let unknown = server
        .post("/fido2/attestation/nothing", None, &json!({}))
        .await;
    assert_eq!(unknown.status.as_u16(), 404);
    assert_failed(&unknown, "not_found");
}

#[tokio::test]
async fn attestation_results_are_validated() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(5);
    let options = assert_ok(
        server
            .post(ATTESTATION_OPTIONS, None, &creation_request("dave", "none"))
            .await,
    );
    let good = as_tool_sends_it(
        authenticator
            .create(&creation(&options), &CredentialOptions::default(), &[])
            .unwrap()
            .json,
    );
    // Each bad body is sent after fresh options (a result takes its ceremony even when it
    // fails), so each is refused for its own defect.
    let padded = {
        let mut body = good.clone();
        let id = body["id"].as_str().unwrap();
        let standard = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            webauthn_core::base64url::decode(id).unwrap(),
        );
        assert!(standard.ends_with('='), "a 32-byte id pads");
        body["id"] = json!(standard);
        body.as_object_mut().unwrap().remove("rawId");
        body
    };
    let mut wrong_type = good.clone();
    wrong_type["type"] = json!("password");
    let mut no_type = good.clone();
    no_type.as_object_mut().unwrap().remove("type");
    let mut no_response = good.clone();
    no_response.as_object_mut().unwrap().remove("response");
    let mut no_id = good.clone();
    no_id.as_object_mut().unwrap().remove("id");
    let mut id_number = good.clone();
    id_number["id"] = json!(1469);
    let mut empty_client_data = good.clone();
    empty_client_data["response"]["clientDataJSON"] = json!("");
    for (what, body) in [
        ("padded base64 id", padded),
        ("type not public-key", wrong_type),
        ("type missing", no_type),
        ("response missing", no_response),
        ("id missing", no_id),
        ("id not a string", id_number),
        ("clientDataJSON empty", empty_client_data),
    ] {
        assert_ok(
            server
                .post(ATTESTATION_OPTIONS, None, &creation_request("dave", "none"))
                .await,
        );
        let answer = server.post(ATTESTATION_RESULT, None, &body).await;
        assert!(answer.body["status"] == "failed", "{what}: {}", answer.body);
        assert_failed(&answer, "invalid_request");
    }
}

#[tokio::test]
async fn a_result_is_accepted_once_and_needs_the_cookie() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(6);
    let options = assert_ok(
        server
            .post(ATTESTATION_OPTIONS, None, &creation_request("erin", "none"))
            .await,
    );
    let response = authenticator
        .create(&creation(&options), &CredentialOptions::default(), &[])
        .unwrap();

    // Another client (no cookie) cannot finish the ceremony.
    let stranger = {
        anshin_server::install_crypto_provider();
        reqwest::Client::new()
    }
    .post(format!("{}{ATTESTATION_RESULT}", server.url))
    .json(&response.json)
    .send()
    .await
    .unwrap();
    assert_eq!(stranger.status(), 400);
    let body: Value = stranger.json().await.unwrap();
    assert_eq!(body["status"], "failed");
    assert_eq!(body["code"], "ceremony_unknown_or_expired");

    // A cookie that names no ceremony.
    let forged = {
        anshin_server::install_crypto_provider();
        reqwest::Client::new()
    }
    .post(format!("{}{ATTESTATION_RESULT}", server.url))
    .header("cookie", format!("anshin_fido2={}", "A".repeat(32)))
    .json(&response.json)
    .send()
    .await
    .unwrap();
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["code"], "ceremony_unknown_or_expired", "{body}");

    assert_ok(server.post(ATTESTATION_RESULT, None, &response.json).await);
    let replay = server.post(ATTESTATION_RESULT, None, &response.json).await;
    assert_failed(&replay, "ceremony_unknown_or_expired");

    // The same for assertions.
    let options = assertion_options(&server, "erin").await;
    let assertion = authenticator.get(&request(&options), &[]).unwrap();
    assert_ok(server.post(ASSERTION_RESULT, None, &assertion.json).await);
    let replay = server.post(ASSERTION_RESULT, None, &assertion.json).await;
    assert_failed(&replay, "ceremony_unknown_or_expired");
    // An attestation cookie does not finish an assertion.
    assert_ok(
        server
            .post(ATTESTATION_OPTIONS, None, &creation_request("erin", "none"))
            .await,
    );
    let assertion = authenticator.get(&request(&options), &[]).unwrap();
    let answer = server.post(ASSERTION_RESULT, None, &assertion.json).await;
    assert_failed(&answer, "ceremony_unknown_or_expired");
}

#[tokio::test]
async fn wrong_challenges_are_refused() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(7);
    let options = assert_ok(
        server
            .post(
                ATTESTATION_OPTIONS,
                None,
                &creation_request("frank", "none"),
            )
            .await,
    );
    let response = authenticator
        .create(
            &creation(&options),
            &CredentialOptions::default(),
            &[Mutation::WrongChallenge],
        )
        .unwrap();
    let answer = server.post(ATTESTATION_RESULT, None, &response.json).await;
    assert_failed(&answer, "challenge_mismatch");
    // Nothing was registered.
    let unknown = server
        .post(ASSERTION_OPTIONS, None, &json!({"username": "frank"}))
        .await;
    assert_failed(&unknown, "user_unknown");

    register(
        &server,
        &mut authenticator,
        "frank",
        &CredentialOptions::default(),
    )
    .await;
    let options = assertion_options(&server, "frank").await;
    let assertion = authenticator
        .get(&request(&options), &[Mutation::WrongChallenge])
        .unwrap();
    let answer = server.post(ASSERTION_RESULT, None, &assertion.json).await;
    assert_failed(&answer, "challenge_mismatch");
}

#[tokio::test]
async fn assertion_results_are_validated() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(8);
    register(
        &server,
        &mut authenticator,
        "grace",
        &CredentialOptions::default(),
    )
    .await;
    let options = assertion_options(&server, "grace").await;
    let good = authenticator.get(&request(&options), &[]).unwrap().json;

    let mut user_handle_number = good.clone();
    user_handle_number["response"]["userHandle"] = json!(1469);
    let mut padded = good.clone();
    let id = good["id"].as_str().unwrap();
    padded["id"] = json!(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        webauthn_core::base64url::decode(id).unwrap(),
    ));
    padded.as_object_mut().unwrap().remove("rawId");
    let mut wrong_type = good.clone();
    wrong_type["type"] = json!("public_key");
    let mut no_signature = good.clone();
    no_signature["response"]
        .as_object_mut()
        .unwrap()
        .remove("signature");
    for (what, body) in [
        ("userHandle not a string", user_handle_number),
        ("padded base64 id", padded),
        ("type not public-key", wrong_type),
        ("signature missing", no_signature),
    ] {
        assertion_options(&server, "grace").await;
        let answer = server.post(ASSERTION_RESULT, None, &body).await;
        assert!(answer.body["status"] == "failed", "{what}: {}", answer.body);
        assert_failed(&answer, "invalid_request");
    }

    // Signed by another key, answered with the signature check's code.
    let options = assertion_options(&server, "grace").await;
    let forged = authenticator
        .get(&request(&options), &[Mutation::SignatureByAnotherKey])
        .unwrap();
    let answer = server.post(ASSERTION_RESULT, None, &forged.json).await;
    assert_failed(&answer, "signature_invalid");
}

#[tokio::test]
async fn required_user_verification_is_enforced_at_registration() {
    // Resp-1 F-15: UV clear while the options required it.
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(9);
    let options = assert_ok(
        server
            .post(
                ATTESTATION_OPTIONS,
                None,
                &json!({
                    "username": "heidi",
                    "displayName": "Heidi",
                    "authenticatorSelection": {"userVerification": "required"},
                }),
            )
            .await,
    );
    let response = authenticator
        .create(
            &creation(&options),
            &CredentialOptions::default(),
            &[Mutation::ClearUserVerified],
        )
        .unwrap();
    let answer = server.post(ATTESTATION_RESULT, None, &response.json).await;
    assert_failed(&answer, "user_verification_required");
}

#[tokio::test]
async fn a_credential_is_registered_once_per_user() {
    let server = harness::start(|_| {}).await;
    let mut authenticator = server.authenticator(11);
    // A clone replays the next registration exactly: same credential id and key.
    let mut twin = authenticator.clone();
    register(
        &server,
        &mut authenticator,
        "ivan",
        &CredentialOptions::default(),
    )
    .await;
    let options = assert_ok(
        server
            .post(ATTESTATION_OPTIONS, None, &creation_request("ivan", "none"))
            .await,
    );
    let mut options = creation(&options);
    // The twin ignores excludeCredentials, as a misbehaving client might.
    options.public_key.exclude_credentials.clear();
    let response = twin
        .create(&options, &CredentialOptions::default(), &[])
        .unwrap();
    assert_eq!(
        response.credential_id,
        authenticator.credentials()[0].id(),
        "the twin made the same credential"
    );
    let answer = server.post(ATTESTATION_RESULT, None, &response.json).await;
    assert_eq!(answer.status.as_u16(), 409, "{}", answer.body);
    assert_failed(&answer, "credential_already_registered");
}
