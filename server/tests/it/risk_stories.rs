//! The risk engine end to end through the HTTP API, on the real stores: stories a security
//! team would tell about its sign-in traffic.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{self, API_KEY, Answer, TestServer, creation_options, request_options};

/// London and Milton, WA in MaxMind's test City database (about 7,700 km apart).
const LONDON: &str = "81.2.69.142";
const MILTON: &str = "216.160.83.56";

fn mmdb(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../risk/testdata/mmdb")
        .join(name)
}

/// A server behind a trusted proxy on 127.0.0.1, with the GeoIP test databases.
async fn server(configure: impl FnOnce(&mut anshin_server::config::Config)) -> TestServer {
    harness::start(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.geoip_city = Some(mmdb("GeoIP2-City-Test.mmdb"));
        c.geoip_asn = Some(mmdb("GeoLite2-ASN-Test.mmdb"));
        c.geoip_anonymous = Some(mmdb("GeoIP2-Anonymous-IP-Test.mmdb"));
        configure(c);
    })
    .await
}

/// A request from `ip` (through the trusted proxy) on `device`.
async fn from(
    server: &TestServer,
    ip: &str,
    device: &str,
    path: &str,
    bearer: Option<&str>,
    body: &Value,
) -> Answer {
    let mut request = server
        .client
        .request(Method::POST, format!("{}{path}", server.url))
        .header("x-forwarded-for", ip)
        .header("x-anshin-device", device)
        .json(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        body,
    }
}

/// Signs in with a passkey from `ip` on `device`.
async fn sign_in_from(
    server: &TestServer,
    authenticator: &mut anshin_conformance::authenticator::VirtualAuthenticator,
    username: &str,
    ip: &str,
    device: &str,
) -> Answer {
    let options = from(
        server,
        ip,
        device,
        "/v1/authentication/options",
        None,
        &json!({"username": username}),
    )
    .await
    .ok();
    let response = authenticator.get(&request_options(&options), &[]).unwrap();
    from(
        server,
        ip,
        device,
        "/v1/authentication/verify",
        None,
        &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
    )
    .await
}

/// Signs up with a passkey from `ip` on `device`.
async fn sign_up_from(
    server: &TestServer,
    authenticator: &mut anshin_conformance::authenticator::VirtualAuthenticator,
    username: &str,
    ip: &str,
    device: &str,
) -> Value {
    let options = from(
        server,
        ip,
        device,
        "/v1/registration/options",
        None,
        &json!({"user": {"name": username}}),
    )
    .await
    .ok();
    let response = authenticator
        .create(&creation_options(&options), &Default::default(), &[])
        .unwrap();
    from(
        server,
        ip,
        device,
        "/v1/registration/verify",
        None,
        &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
    )
    .await
    .ok()
}

fn reason_codes(risk: &Value) -> Vec<String> {
    risk["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|r| r["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn london_then_milton_an_hour_apart_steps_up_and_a_step_up_restores_the_level() {
    // MaxMind's Anonymous-IP test database flags all of 81.2.69.0/24 (the City database's
    // London block) as Tor and VPN: leave it out so that only travel is judged here.
    let server = server(|c| c.geoip_anonymous = None).await;
    let mut authenticator = server.authenticator(31);
    let registered = sign_up_from(
        &server,
        &mut authenticator,
        "olivia",
        LONDON,
        "olivia-laptop",
    )
    .await;
    // An ordinary sign-in where she signed up: allowed at the passkey's level.
    let home = sign_in_from(
        &server,
        &mut authenticator,
        "olivia",
        LONDON,
        "olivia-laptop",
    )
    .await
    .ok();
    assert_eq!(home["risk"]["action"], "allow", "{home}");
    // The virtual authenticator's passkeys are device-bound (BE clear): hardware level.
    assert_eq!(home["acr"], "phrh");

    // An hour later (the clock is the server's: move the last sign-in back an hour).
    server_backdate_logins(&server, registered["user_id"].as_str().unwrap(), 3600).await;
    let away = sign_in_from(
        &server,
        &mut authenticator,
        "olivia",
        MILTON,
        "olivia-laptop",
    )
    .await
    .ok();
    assert_eq!(away["risk"]["action"], "step_up", "{away}");
    assert!(
        reason_codes(&away["risk"]).contains(&"impossible_travel".to_owned()),
        "{away}"
    );
    assert_eq!(away["acr"], "urn:anshin:acr:mfa", "signed in below phr");
    let token = away["session"]["token"].as_str().unwrap();

    // A backend that needs phr learns it from introspection, with an RFC 9470 challenge.
    let check = server
        .post(
            "/v1/sessions/introspect",
            Some(API_KEY),
            &json!({"token": token, "required_acr": "phr", "max_age": 300}),
        )
        .await
        .ok();
    assert_eq!(check["satisfied"], false);
    assert!(
        check["www_authenticate"]
            .as_str()
            .unwrap()
            .contains("insufficient_user_authentication")
    );

    // The step-up: a user-verifying assertion raises the same session to phr.
    let options = from(
        &server,
        MILTON,
        "olivia-laptop",
        "/v1/step-up/options",
        Some(token),
        &json!({"action": "change_phone"}),
    )
    .await
    .ok();
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let response = authenticator.get(&request_options(&options), &[]).unwrap();
    let stepped = from(
        &server,
        MILTON,
        "olivia-laptop",
        "/v1/step-up/verify",
        Some(token),
        &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
    )
    .await
    .ok();
    assert_eq!(stepped["acr"], "phrh");
    assert_eq!(
        stepped["session"]["session_id"],
        away["session"]["session_id"]
    );
    let check = server
        .post(
            "/v1/sessions/introspect",
            Some(API_KEY),
            &json!({"token": stepped["session"]["token"], "required_acr": "phr", "max_age": 300}),
        )
        .await
        .ok();
    assert_eq!(check["satisfied"], true, "{check}");
    assert!(
        check["auth_time"].as_i64().unwrap()
            >= check["levels"]["urn:anshin:acr:mfa"].as_i64().unwrap()
    );
}

/// Moves every recorded sign-in of a user `seconds` into the past.
async fn server_backdate_logins(server: &TestServer, user_id: &str, seconds: i64) {
    let pool = sqlx::SqlitePool::connect(&server.database_url)
        .await
        .unwrap();
    sqlx::query("UPDATE logins SET at = at - $1 WHERE user_id = $2")
        .bind(seconds)
        .bind(user_id)
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_burst_of_failures_from_one_address_denies_it_and_then_recovers() {
    let server = server(|c| c.risk.ip_window_seconds = 2).await;
    let mut victim = server.authenticator(32);
    sign_up_from(&server, &mut victim, "pat", "192.0.2.10", "pat-phone").await;
    // An attacker at 198.51.100.7 throws assertions of a credential nobody registered.
    let mut stranger = server.authenticator(33);
    stranger
        .register(
            &anshin_conformance::authenticator::RegistrationRequest::new(
                "localhost",
                &[1; 32],
                &[2; 16],
            ),
            &Default::default(),
            &[],
        )
        .unwrap();
    for _ in 0..31 {
        let options = from(
            &server,
            "198.51.100.7",
            "bot",
            "/v1/authentication/options",
            None,
            &json!({}),
        )
        .await
        .ok();
        let response = stranger.get(&request_options(&options), &[]).unwrap();
        from(
            &server,
            "198.51.100.7",
            "bot",
            "/v1/authentication/verify",
            None,
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
        .assert_problem(400, "credential_unknown");
    }
    // Even a genuine passkey is refused from that address now...
    let denied = sign_in_from(&server, &mut victim, "pat", "198.51.100.7", "pat-phone").await;
    denied.assert_problem(403, "risk_denied");
    assert!(
        denied.body["detail"]
            .as_str()
            .unwrap()
            .contains("ip_failure_burst")
    );
    // ...but not from the user's own network.
    sign_in_from(&server, &mut victim, "pat", "192.0.2.10", "pat-phone")
        .await
        .ok();
    // When the window has passed, the address recovers.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let again = sign_in_from(&server, &mut victim, "pat", "198.51.100.7", "pat-phone")
        .await
        .ok();
    assert_ne!(again["risk"]["action"], "deny");
}

/// Creates a user with a phone number through the backend API.
async fn user_with_phone(server: &TestServer, name: &str, phone: &str) {
    let created = server
        .post(
            "/v1/users",
            Some(API_KEY),
            &json!({"name": name, "phone": phone}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
}

/// Asks for a code as a backend relaying the end user's address.
async fn send_code(server: &TestServer, name: &str, ip: &str) -> Answer {
    server
        .post(
            "/v1/fallback/sms/send",
            Some(API_KEY),
            &json!({"username": name, "context": {"ip": ip, "device_id": format!("dev-{name}")}}),
        )
        .await
}

#[tokio::test]
async fn an_sms_pumping_wave_on_one_prefix_trips_the_breaker_and_spares_the_others() {
    let server = server(|_| {}).await;
    // A wave of sends to numbers of one prefix, from many addresses, none ever verified.
    let mut blocked_at = None;
    for i in 0..30 {
        let name = format!("pump{i}");
        user_with_phone(&server, &name, &format!("+4477009{:02}{:03}", 0, 100 + i)).await;
        let answer = send_code(&server, &name, &format!("203.0.113.{}", i + 1)).await;
        if answer.status.as_u16() == 403 {
            answer.assert_problem(403, "sms_not_allowed");
            assert!(
                answer.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("sms_prefix_blocked"),
                "{}",
                answer.body
            );
            blocked_at.get_or_insert(i);
        } else {
            assert!(answer.status.is_success(), "{}", answer.body);
        }
    }
    let blocked_at = blocked_at.expect("the breaker tripped");
    assert!(
        blocked_at >= 20,
        "the breaker needs enough sends to judge: tripped at {blocked_at}"
    );
    // Another prefix of the same country still gets codes.
    user_with_phone(&server, "honest", "+447700911234").await;
    send_code(&server, "honest", "203.0.113.200").await.ok();
    let dev = server.state_store().dev_sms("+447700911234").await.unwrap();
    assert_eq!(dev.len(), 1);
    // The figures show the blocked sends and the money they did not cost.
    let stats = server
        .call("GET", "/v1/stats", Some(API_KEY), None)
        .await
        .ok();
    let blocked = stats["sms"]["blocked"].as_array().unwrap();
    assert!(
        blocked
            .iter()
            .any(|b| b["reason"] == "sms_prefix_blocked" && b["count"].as_i64().unwrap() >= 1),
        "{stats}"
    );
    assert!(stats["sms"]["cost_avoided"].as_f64().unwrap() > 0.0);
    let prefix = stats["sms"]["prefixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["prefix"] == "+44770090")
        .cloned()
        .unwrap();
    assert_eq!(prefix["verified"], 0);
}

#[tokio::test]
async fn a_passkey_holder_is_offered_a_passkey_on_another_device_instead_of_sms() {
    let server = server(|_| {}).await;
    let mut authenticator = server.authenticator(34);
    let registered = sign_up_from(&server, &mut authenticator, "quinn", "192.0.2.20", "q").await;
    let user = registered["user_id"].as_str().unwrap();
    server
        .call(
            "PATCH",
            &format!("/v1/users/{user}"),
            Some(API_KEY),
            Some(&json!({"phone": "+447700900777"})),
        )
        .await
        .ok();
    let options = server
        .post("/v1/fallback/options", None, &json!({"username": "quinn"}))
        .await
        .ok();
    let methods: Vec<&str> = options["allowed_methods"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(methods.contains(&"passkey_other_device"), "{options}");
    assert!(!methods.contains(&"sms"), "{options}");
    let refused = send_code(&server, "quinn", "192.0.2.20").await;
    refused.assert_problem(403, "sms_not_allowed");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("sms_passkey_holder")
    );
    assert!(
        server
            .state_store()
            .dev_sms("+447700900777")
            .await
            .unwrap()
            .is_empty(),
        "no SMS left the server"
    );
}

#[tokio::test]
async fn after_an_sms_sign_in_the_passkey_nudge_is_recorded_and_the_figures_move() {
    let server = server(|_| {}).await;
    user_with_phone(&server, "rosa", "+447700900555").await;
    let options = server
        .post("/v1/fallback/options", None, &json!({"username": "rosa"}))
        .await
        .ok();
    assert!(
        options["allowed_methods"]
            .as_array()
            .unwrap()
            .contains(&json!("sms")),
        "{options}"
    );
    let sent = send_code(&server, "rosa", "192.0.2.30").await.ok();
    let message = server
        .state_store()
        .dev_sms("+447700900555")
        .await
        .unwrap()
        .pop()
        .unwrap();
    let code: String = message.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{message}");
    // A wrong code first: refused, and the right one still works afterwards.
    server
        .post(
            "/v1/fallback/sms/verify",
            None,
            &json!({"otp_id": sent["otp_id"], "code": if code == "000000" { "111111" } else { "000000" }}),
        )
        .await
        .assert_problem(400, "otp_invalid");
    let verified = server
        .post(
            "/v1/fallback/sms/verify",
            None,
            &json!({"otp_id": sent["otp_id"], "code": code}),
        )
        .await
        .ok();
    assert_eq!(verified["acr"], "urn:anshin:acr:sms");
    assert_eq!(verified["amr"], json!(["sms", "otp"]));
    assert_eq!(verified["enroll_passkey"], true);
    // The code is single use.
    server
        .post(
            "/v1/fallback/sms/verify",
            None,
            &json!({"otp_id": sent["otp_id"], "code": code}),
        )
        .await
        .assert_problem(400, "otp_invalid");
    let before = server
        .call("GET", "/v1/stats", Some(API_KEY), None)
        .await
        .ok();
    assert_eq!(before["logins"]["sms"], 1);
    assert_eq!(before["nudge_conversion"], 0.0);
    assert_eq!(before["passkey_coverage"], 0.0);

    // She accepts the nudge: a passkey registered with the SMS session.
    let token = verified["session"]["token"].as_str().unwrap();
    let options = server
        .post(
            "/v1/registration/options",
            Some(token),
            &json!({"user": {}}),
        )
        .await
        .ok();
    let mut authenticator = server.authenticator(35);
    let response = authenticator
        .create(&creation_options(&options), &Default::default(), &[])
        .unwrap();
    server
        .post(
            "/v1/registration/verify",
            Some(token),
            &json!({"ceremony_id": options["ceremony_id"], "credential": response.json}),
        )
        .await
        .ok();
    let after = server
        .call("GET", "/v1/stats", Some(API_KEY), None)
        .await
        .ok();
    assert_eq!(after["nudge_conversion"], 1.0, "{after}");
    assert_eq!(after["passkey_coverage"], 1.0, "{after}");
    assert_eq!(after["sms"]["sent"], 1);
    assert_eq!(after["sms"]["verified"], 1);
    assert_eq!(after["sms_per_1000_logins"], 1000.0);
    // From now on she is a passkey holder: no more SMS for her.
    send_code(&server, "rosa", "192.0.2.30")
        .await
        .assert_problem(403, "sms_not_allowed");
}

#[tokio::test]
async fn risk_decisions_can_be_asked_for_and_corrected() {
    let server = server(|_| {}).await;
    let mut authenticator = server.authenticator(36);
    let registered = sign_up_from(&server, &mut authenticator, "sam", LONDON, "sam-pc").await;
    let decision = server
        .post(
            "/v1/risk/evaluate",
            Some(API_KEY),
            &json!({"user_id": registered["user_id"], "action": "payout", "context": {"ip": MILTON, "device_id": "unknown-box"}}),
        )
        .await
        .ok();
    assert!(decision["decision_id"].is_string());
    assert!(decision["policy_version"].is_string());
    assert_ne!(
        decision["action"], "allow",
        "a payout from a new device far away: {decision}"
    );
    assert_eq!(
        server
            .post(
                "/v1/risk/feedback",
                Some(API_KEY),
                &json!({"decision_id": decision["decision_id"], "label": "wrong"}),
            )
            .await
            .status
            .as_u16(),
        204
    );
    server
        .post(
            "/v1/risk/feedback",
            Some(API_KEY),
            &json!({"decision_id": "no-such-decision", "label": "wrong"}),
        )
        .await
        .assert_problem(404, "not_found");
    server
        .post(
            "/v1/risk/feedback",
            Some(API_KEY),
            &json!({"decision_id": decision["decision_id"], "label": "maybe"}),
        )
        .await
        .assert_problem(400, "invalid_request");
    server
        .post("/v1/risk/evaluate", None, &json!({"action": "payout"}))
        .await
        .assert_problem(401, "unauthorized");
    server
        .post(
            "/v1/risk/evaluate",
            Some(API_KEY),
            &json!({"action": "pay out!"}),
        )
        .await
        .assert_problem(400, "invalid_request");
}

#[tokio::test]
async fn a_confirmed_compromise_ends_every_session_of_the_account() {
    let server = server(|_| {}).await;
    let mut authenticator = server.authenticator(37);
    let registered = sign_up_from(&server, &mut authenticator, "vic", "192.0.2.40", "v").await;
    let first = registered["session"]["token"].as_str().unwrap().to_owned();
    let signed_in = sign_in_from(&server, &mut authenticator, "vic", "192.0.2.40", "v")
        .await
        .ok();
    let second = signed_in["session"]["token"].as_str().unwrap().to_owned();
    server
        .post(
            "/v1/risk/feedback",
            Some(API_KEY),
            &json!({"decision_id": signed_in["risk"]["decision_id"], "label": "confirmed_compromised"}),
        )
        .await;
    for token in [first, second] {
        let state = server
            .post(
                "/v1/sessions/introspect",
                Some(API_KEY),
                &json!({"token": token}),
            )
            .await
            .ok();
        assert_eq!(state["active"], false, "{state}");
        assert_eq!(state["reason"], "revoked");
    }
}
