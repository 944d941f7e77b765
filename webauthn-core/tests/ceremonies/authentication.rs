//! §7.2: every authentication step's rejection, with its exact error code, and the successes.

use serde_json::json;
use webauthn_core::json::CredentialDescriptorJson;
use webauthn_core::{
    AuthenticationOptions, CounterPolicy, CounterVerdict, CredentialId, RelyingParty, SystemRandom,
    UnixTime, UserHandle,
};

use crate::common::*;

#[test]
fn a_usernameless_assertion_succeeds() {
    let r = registered();
    let v = r
        .authenticate(AuthenticationOptions::default(), &Assert::new())
        .unwrap();
    assert_eq!(v.credential_id, r.record.id);
    assert_eq!(v.user_handle.as_bytes(), b"user-1");
    assert_eq!(v.counter, CounterVerdict::NotSupported);
    assert!(v.user_verified && v.user_present && !v.appid_used);
    assert!(!v.backup_eligibility_changed && !v.backup_state_changed);
    assert_eq!(v.origin, ORIGIN);
}

#[test]
fn an_identified_user_assertion_succeeds_without_user_handle() {
    let r = registered();
    let options = AuthenticationOptions {
        user: Some(r.record.user_handle.clone()),
        allow_credentials: vec![CredentialDescriptorJson::new(r.record.id.clone(), vec![])],
        ..AuthenticationOptions::default()
    };
    let assertion = Assert {
        user_handle: None,
        ..Assert::new()
    };
    assert!(r.authenticate(options, &assertion).is_ok());
}

#[test]
fn eddsa_assertions_verify() {
    let r = registered_with(rp(), Key::ed25519());
    assert!(
        r.authenticate(AuthenticationOptions::default(), &Assert::new())
            .is_ok()
    );
}

#[test]
fn options_carry_the_ceremony() {
    let r = registered();
    let (req, state) = r.start(AuthenticationOptions::default());
    let json = serde_json::to_value(&req).unwrap();
    assert_eq!(json["publicKey"]["rpId"], "example.org");
    assert_eq!(json["publicKey"]["userVerification"], "preferred");
    assert_eq!(json["publicKey"]["allowCredentials"], json!([]));
    let restored: webauthn_core::AuthenticationState =
        serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    assert_eq!(restored, state);
}

#[test]
fn expired_state() {
    let r = registered();
    let (req, state) = r.start(AuthenticationOptions::default());
    let response = Assert::new().response(&r.key, r.record.id.as_bytes(), &req);
    let late = UnixTime::from_secs(NOW.as_secs() + 301);
    assert_code(
        r.rp.finish_authentication(state, &response, &r.record, late),
        "ceremony_unknown_or_expired",
    );
}

#[test]
fn step_5_credential_not_in_allow_credentials() {
    let r = registered();
    let options = AuthenticationOptions {
        allow_credentials: vec![CredentialDescriptorJson::new(
            CredentialId::new(vec![1; 16]),
            vec![],
        )],
        ..AuthenticationOptions::default()
    };
    assert_code(
        r.authenticate(options, &Assert::new()),
        "credential_not_allowed",
    );
}

#[test]
fn step_6_stored_record_is_another_credential() {
    let r = registered();
    let (req, state) = r.start(AuthenticationOptions::default());
    let assertion = Assert {
        response_id: Some(vec![0xee; 32]),
        ..Assert::new()
    };
    let response = assertion.response(&r.key, r.record.id.as_bytes(), &req);
    assert_code(
        r.rp.finish_authentication(state, &response, &r.record, NOW),
        "credential_unknown",
    );
}

#[test]
fn step_6_usernameless_needs_the_user_handle() {
    let r = registered();
    let assertion = Assert {
        user_handle: None,
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "user_handle_mismatch",
    );
    let other = Assert {
        user_handle: Some(b"user-2".to_vec()),
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &other),
        "user_handle_mismatch",
    );
}

#[test]
fn step_6_identified_user_must_own_the_credential() {
    let r = registered();
    let someone_else = AuthenticationOptions {
        user: Some(UserHandle::new(b"user-2".to_vec()).unwrap()),
        ..AuthenticationOptions::default()
    };
    let assertion = Assert {
        user_handle: None,
        ..Assert::new()
    };
    assert_code(
        r.authenticate(someone_else, &assertion),
        "user_handle_mismatch",
    );
    let identified = AuthenticationOptions {
        user: Some(r.record.user_handle.clone()),
        ..AuthenticationOptions::default()
    };
    let wrong_handle = Assert {
        user_handle: Some(b"user-2".to_vec()),
        ..Assert::new()
    };
    assert_code(
        r.authenticate(identified, &wrong_handle),
        "user_handle_mismatch",
    );
}

#[test]
fn step_9_client_data_is_not_json() {
    let r = registered();
    let (req, state) = r.start(AuthenticationOptions::default());
    let mut response = Assert::new().response(&r.key, r.record.id.as_bytes(), &req);
    response.response.client_data_json = b"{".to_vec();
    assert_code(
        r.rp.finish_authentication(state, &response, &r.record, NOW),
        "malformed_client_data",
    );
}

#[test]
fn step_10_type_is_not_webauthn_get() {
    let r = registered();
    let assertion = Assert {
        type_: "webauthn.create".into(),
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "type_mismatch",
    );
}

#[test]
fn step_11_challenge_differs() {
    let r = registered();
    let assertion = Assert {
        challenge: Some(webauthn_core::base64url::encode([9u8; 32])),
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "challenge_mismatch",
    );
}

#[test]
fn step_12_origin_is_not_allowed() {
    let r = registered();
    let assertion = Assert {
        origin: "https://example.org.evil.example".into(),
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "origin_not_allowed",
    );
}

#[test]
fn steps_13_and_14_cross_origin_and_top_origin() {
    let r = registered();
    let cross = Assert {
        client_extra: vec![("crossOrigin", json!(true))],
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &cross),
        "origin_not_allowed",
    );
    let top = Assert {
        client_extra: vec![("topOrigin", json!("https://top.example"))],
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &top),
        "origin_not_allowed",
    );
}

#[test]
fn step_15_rp_id_hash_differs() {
    let r = registered();
    let assertion = Assert {
        rp_id_hash: sha256(b"example.com"),
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "rp_id_hash_mismatch",
    );
}

#[test]
fn step_15_appid_extension() {
    let r = registered();
    let appid = "https://example.org/app-id.json";
    let with_appid = || {
        let mut options = AuthenticationOptions::default();
        options.extensions.appid = Some(appid.into());
        options
    };
    // The client used the AppID: rpIdHash is the hash of the AppID.
    let u2f = Assert {
        rp_id_hash: sha256(appid.as_bytes()),
        client_extension_results: json!({"appid": true}),
        ..Assert::new()
    };
    assert!(r.authenticate(with_appid(), &u2f).unwrap().appid_used);
    // The client says it used the AppID, but the relying party did not request it.
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &u2f),
        "rp_id_hash_mismatch",
    );
    // Requested but not used: the RP ID hash applies.
    let plain = Assert::new();
    assert!(!r.authenticate(with_appid(), &plain).unwrap().appid_used);
    let not_used_but_hashed = Assert {
        rp_id_hash: sha256(appid.as_bytes()),
        ..Assert::new()
    };
    assert_code(
        r.authenticate(with_appid(), &not_used_but_hashed),
        "rp_id_hash_mismatch",
    );
}

#[test]
fn step_16_user_not_present() {
    let r = registered();
    let assertion = Assert {
        flags: UV,
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "user_presence_missing",
    );
    let conformance = AuthenticationOptions::default().danger_allow_missing_user_presence();
    assert!(
        !r.authenticate(conformance, &assertion)
            .unwrap()
            .user_present
    );
}

#[test]
fn step_17_user_verification_required() {
    let r = registered();
    let assertion = Assert {
        flags: UP,
        ..Assert::new()
    };
    assert_code(
        r.authenticate(uv_required(), &assertion),
        "user_verification_required",
    );
    assert!(
        !r.authenticate(AuthenticationOptions::default(), &assertion)
            .unwrap()
            .user_verified
    );
}

#[test]
fn step_18_backup_state_without_eligibility() {
    let r = registered();
    let assertion = Assert {
        flags: UP | UV | BS,
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "malformed_authenticator_data",
    );
}

#[test]
fn step_19_backup_flag_changes_are_reported_not_refused() {
    let mut r = registered();
    let synced = Assert {
        flags: UP | UV | BE | BS,
        ..Assert::new()
    };
    let v = r
        .authenticate(AuthenticationOptions::default(), &synced)
        .unwrap();
    assert!(v.backup_eligibility_changed && v.backup_state_changed);
    v.apply_to(&mut r.record);
    assert!(r.record.backup_eligible && r.record.backup_state);
    let v = r
        .authenticate(AuthenticationOptions::default(), &synced)
        .unwrap();
    assert!(!v.backup_eligibility_changed && !v.backup_state_changed);
}

#[test]
fn step_21_signature_does_not_verify() {
    let r = registered();
    let assertion = Assert {
        corrupt_signature: true,
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "signature_invalid",
    );
    // Signed by another key.
    let other = registered();
    let (req, state) = r.start(AuthenticationOptions::default());
    let response = Assert::new().response(&other.key, r.record.id.as_bytes(), &req);
    assert_code(
        r.rp.finish_authentication(state, &response, &r.record, NOW),
        "signature_invalid",
    );
}

#[test]
fn step_22_counter() {
    let mut r = registered();
    r.record.sign_count = 10;
    for count in [10, 9, 0] {
        let assertion = Assert {
            count,
            ..Assert::new()
        };
        assert_code(
            r.authenticate(AuthenticationOptions::default(), &assertion),
            "counter_regression",
        );
    }
    let assertion = Assert {
        count: 11,
        ..Assert::new()
    };
    let v = r
        .authenticate(AuthenticationOptions::default(), &assertion)
        .unwrap();
    assert_eq!(v.counter, CounterVerdict::Increased);
    v.apply_to(&mut r.record);
    assert_eq!(r.record.sign_count, 11);

    // A relying party that only reports regressions.
    let reporting = RelyingParty::builder(RP_ID, "x")
        .origin(ORIGIN)
        .counter_policy(CounterPolicy::Report)
        .build()
        .unwrap();
    let mut r = registered_with(reporting, Key::es256());
    r.record.sign_count = 10;
    let v = r
        .authenticate(
            AuthenticationOptions::default(),
            &Assert {
                count: 3,
                ..Assert::new()
            },
        )
        .unwrap();
    assert_eq!(
        v.counter,
        CounterVerdict::Regressed {
            stored: 10,
            received: 3
        }
    );
    v.apply_to(&mut r.record);
    assert_eq!(r.record.sign_count, 10, "a regressed counter is not stored");
}

#[test]
fn assertions_carry_no_attested_credential_data() {
    let r = registered();
    let mut trailing = vec![0x11; 16];
    trailing.extend_from_slice(&[0, 1, 5, 0xa0]);
    let assertion = Assert {
        flags: UP | UV | AT,
        trailing,
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &assertion),
        "malformed_authenticator_data",
    );
    let garbage = Assert {
        trailing: vec![0],
        ..Assert::new()
    };
    assert_code(
        r.authenticate(AuthenticationOptions::default(), &garbage),
        "malformed_authenticator_data",
    );
}

#[test]
fn step_23_extension_outputs_are_returned() {
    let r = registered();
    // {"credProtect": 2}
    let mut ext = cbor_map(&[(cbor_text("credProtect"), cbor_int(2))]);
    let assertion = Assert {
        flags: UP | UV | ED,
        trailing: std::mem::take(&mut ext),
        client_extension_results: json!({"largeBlob": {"written": true}, "unknown": 1}),
        ..Assert::new()
    };
    let v = r
        .authenticate(AuthenticationOptions::default(), &assertion)
        .unwrap();
    assert_eq!(v.extensions.authenticator.cred_protect, Some(2));
    assert_eq!(v.extensions.client.large_blob.unwrap().written, Some(true));
}

#[test]
fn unknown_users_get_plausible_options_and_never_succeed() {
    let with_secret = RelyingParty::builder(RP_ID, "x")
        .origin(ORIGIN)
        .unknown_user_secret([3; 32])
        .build()
        .unwrap();
    let r = registered_with(with_secret, Key::es256());
    let rng = SystemRandom::new();
    let (a, _) =
        r.rp.start_authentication_for_unknown_user(
            "mallory",
            AuthenticationOptions::default(),
            NOW,
            &rng,
        )
        .unwrap();
    let (b, state) =
        r.rp.start_authentication_for_unknown_user(
            "mallory",
            AuthenticationOptions::default(),
            NOW,
            &rng,
        )
        .unwrap();
    assert!(!a.public_key.allow_credentials.is_empty());
    assert_eq!(
        a.public_key.allow_credentials, b.public_key.allow_credentials,
        "stable per name"
    );
    assert_ne!(a.public_key.challenge, b.public_key.challenge);
    let response = Assert::new().response(&r.key, r.record.id.as_bytes(), &b);
    assert_code(
        r.rp.finish_authentication(state, &response, &r.record, NOW),
        "credential_unknown",
    );
    // Without a secret the relying party cannot pretend.
    let err = rp()
        .start_authentication_for_unknown_user(
            "mallory",
            AuthenticationOptions::default(),
            NOW,
            &rng,
        )
        .unwrap_err();
    assert_eq!(err.code(), "internal_error");
}
