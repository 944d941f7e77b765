//! §7.1: every registration step's rejection, with its exact error code, and the successes.

use serde_json::json;
use webauthn_core::json::{Mediation, UserVerificationRequirement};
use webauthn_core::{
    Aaguid, AttestationPolicy, AttestationType, RegistrationOptions, RelyingParty, SystemRandom,
    UnixTime,
};

use crate::common::*;

fn finish(
    rp: &RelyingParty,
    reg: &Reg,
    options: RegistrationOptions,
) -> Result<webauthn_core::VerifiedRegistration, webauthn_core::Error> {
    let (opts, state) = start_reg(rp, options);
    rp.finish_registration(
        state,
        &reg.response(&opts),
        &AttestationPolicy::default(),
        NOW,
    )
}

fn run(reg: &Reg) -> Result<webauthn_core::VerifiedRegistration, webauthn_core::Error> {
    finish(&rp(), reg, RegistrationOptions::default())
}

#[test]
fn a_none_registration_succeeds_and_returns_the_record() {
    let v = run(&Reg::new()).unwrap();
    assert_eq!(v.attestation.format, "none");
    assert_eq!(v.attestation.attestation_type, AttestationType::None);
    assert!(!v.attestation.trusted);
    assert_eq!(v.credential.id.as_bytes(), &[0xc1; 32]);
    assert_eq!(v.credential.user_handle.as_bytes(), b"user-1");
    assert_eq!(v.credential.aaguid, Aaguid([0x11; 16]));
    assert_eq!(v.credential.transports.len(), 2);
    assert_eq!(v.credential.discoverable, Some(true));
    assert!(v.user_verified && v.credential.uv_initialized);
    assert_eq!(v.origin, ORIGIN);
    assert_eq!(v.authenticator_attachment.as_deref(), Some("platform"));
}

#[test]
fn a_packed_self_registration_succeeds() {
    for key in [Key::es256(), Key::ed25519()] {
        let v = run(&Reg {
            key,
            ..Reg::packed_self()
        })
        .unwrap();
        assert_eq!(
            v.attestation.attestation_type,
            AttestationType::SelfAttestation
        );
    }
}

#[test]
fn options_carry_the_ceremony() {
    let rp = rp();
    let (opts, state) = start_reg(&rp, RegistrationOptions::default());
    let json = serde_json::to_value(&opts).unwrap();
    assert_eq!(
        json["publicKey"]["rp"],
        json!({"name": "Example", "id": "example.org"})
    );
    assert_eq!(
        json["publicKey"]["challenge"].as_str().unwrap().len(),
        43,
        "32 random bytes"
    );
    assert_eq!(
        json["publicKey"]["pubKeyCredParams"][0],
        json!({"type": "public-key", "alg": -7})
    );
    assert_eq!(json["publicKey"]["timeout"], 300_000);
    assert_eq!(
        json["publicKey"]["authenticatorSelection"]["userVerification"],
        "preferred"
    );
    assert_eq!(json["publicKey"]["extensions"], json!({"credProps": true}));
    assert!(json.get("mediation").is_none());
    // The state is plain serde: it survives a store round trip.
    let stored = serde_json::to_string(&state).unwrap();
    let restored: webauthn_core::RegistrationState = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored, state);
    let (other, _) = start_reg(&rp, RegistrationOptions::default());
    assert_ne!(
        other.public_key.challenge, opts.public_key.challenge,
        "challenges are fresh"
    );
}

#[test]
fn expired_state() {
    let rp = rp();
    let (opts, state) = start_reg(&rp, RegistrationOptions::default());
    let late = UnixTime::from_secs(NOW.as_secs() + 301);
    let result = rp.finish_registration(
        state,
        &Reg::new().response(&opts),
        &AttestationPolicy::default(),
        late,
    );
    assert_code(result, "ceremony_unknown_or_expired");
}

#[test]
fn state_of_another_relying_party() {
    let (opts, state) = start_reg(&rp(), RegistrationOptions::default());
    let other = RelyingParty::builder("example.com", "Other")
        .build()
        .unwrap();
    let result = other.finish_registration(
        state,
        &Reg::new().response(&opts),
        &AttestationPolicy::default(),
        NOW,
    );
    assert_code(result, "internal_error");
}

#[test]
fn step_6_client_data_is_not_json() {
    let reg = Reg {
        client_data_override: Some(b"not json".to_vec()),
        ..Reg::new()
    };
    assert_code(run(&reg), "malformed_client_data");
}

#[test]
fn step_7_type_is_not_webauthn_create() {
    let reg = Reg {
        type_: "webauthn.get".into(),
        ..Reg::new()
    };
    assert_code(run(&reg), "type_mismatch");
}

#[test]
fn step_8_challenge_differs() {
    let reg = Reg {
        challenge: Some(base64url_of(&[0u8; 32])),
        ..Reg::new()
    };
    assert_code(run(&reg), "challenge_mismatch");
}

fn base64url_of(bytes: &[u8]) -> String {
    webauthn_core::base64url::encode(bytes)
}

#[test]
fn step_9_origin_is_not_allowed() {
    for origin in [
        "https://evil.example",
        "https://example.org:8443",
        "http://example.org",
        "https://sub.example.org",
    ] {
        let reg = Reg {
            origin: origin.into(),
            ..Reg::new()
        };
        assert_code(run(&reg), "origin_not_allowed");
    }
    // A configured Android app origin is accepted.
    let reg = Reg {
        origin: "android:apk-key-hash:-sYXRdwJA3hvue3mKpYrOZ9zSPC7b4mbgzJmdZEDO5w".into(),
        ..Reg::new()
    };
    assert_eq!(run(&reg).unwrap().origin, reg.origin);
}

#[test]
fn step_10_cross_origin_is_not_expected() {
    let reg = Reg {
        client_extra: vec![("crossOrigin", json!(true))],
        ..Reg::new()
    };
    assert_code(run(&reg), "origin_not_allowed");
    let permissive = RelyingParty::builder(RP_ID, "x")
        .origin(ORIGIN)
        .allow_cross_origin(["https://top.example"])
        .build()
        .unwrap();
    assert!(finish(&permissive, &reg, RegistrationOptions::default()).is_ok());
}

#[test]
fn step_11_top_origin_is_not_expected() {
    let reg = Reg {
        client_extra: vec![
            ("crossOrigin", json!(true)),
            ("topOrigin", json!("https://evil.example")),
        ],
        ..Reg::new()
    };
    assert_code(run(&reg), "origin_not_allowed");
    let permissive = RelyingParty::builder(RP_ID, "x")
        .origin(ORIGIN)
        .allow_cross_origin(["https://top.example"])
        .build()
        .unwrap();
    assert_code(
        finish(&permissive, &reg, RegistrationOptions::default()),
        "origin_not_allowed",
    );
    let framed = Reg {
        client_extra: vec![
            ("crossOrigin", json!(true)),
            ("topOrigin", json!("https://top.example")),
        ],
        ..Reg::new()
    };
    assert!(finish(&permissive, &framed, RegistrationOptions::default()).is_ok());
}

#[test]
fn token_binding_must_have_the_right_shape() {
    for tb in [
        json!("present"),
        json!({}),
        json!({"status": "unknown"}),
        json!({"status": "present"}),
    ] {
        let reg = Reg {
            client_extra: vec![("tokenBinding", tb)],
            ..Reg::new()
        };
        assert_code(run(&reg), "malformed_client_data");
    }
    let reg = Reg {
        client_extra: vec![("tokenBinding", json!({"status": "supported"}))],
        ..Reg::new()
    };
    assert!(run(&reg).is_ok());
}

#[test]
fn step_13_attestation_object_is_not_a_cbor_map() {
    let fmt_only = cbor_map(&[(cbor_text("fmt"), cbor_text("none"))]);
    let auth_data_text = cbor_map(&[
        (cbor_text("fmt"), cbor_text("none")),
        (cbor_text("attStmt"), cbor_map(&[])),
        (cbor_text("authData"), cbor_text("x")),
    ]);
    for bad in [
        vec![0xa0],
        vec![0x01],
        vec![0xa1, 0x63, b'f', b'm', b't', 0x01],
        vec![0xff],
        fmt_only,
        auth_data_text,
    ] {
        let reg = Reg {
            attestation_object_override: Some(bad),
            ..Reg::new()
        };
        assert_code(run(&reg), "malformed_attestation");
    }
    // An empty attestationObject is refused when the JSON is parsed.
    let v = json!({"id": "AQ", "type": "public-key",
        "response": {"clientDataJSON": "e30", "attestationObject": ""}});
    let err = webauthn_core::RegistrationResponseJson::from_json(&v).unwrap_err();
    assert_eq!(err.code(), "invalid_request");
}

#[test]
fn step_13_registration_needs_attested_credential_data() {
    let reg = Reg {
        flags: UP | UV,
        ..Reg::new()
    };
    // Without AT the attested credential data is trailing garbage.
    assert_code(run(&reg), "malformed_authenticator_data");
}

#[test]
fn step_14_rp_id_hash_differs() {
    let reg = Reg {
        rp_id_hash: sha256(b"evil.example"),
        ..Reg::new()
    };
    assert_code(run(&reg), "rp_id_hash_mismatch");
}

#[test]
fn step_15_user_not_present() {
    let reg = Reg {
        flags: UV | AT,
        ..Reg::new()
    };
    assert_code(run(&reg), "user_presence_missing");
}

#[test]
fn step_15_conditional_create_may_lack_up_and_uv() {
    let reg = Reg {
        flags: AT,
        ..Reg::new()
    };
    let options = RegistrationOptions {
        mediation: Mediation::Conditional,
        ..RegistrationOptions::default()
    };
    let v = finish(&rp(), &reg, options).unwrap();
    assert!(!v.user_present && !v.user_verified);
    // Conditional create cannot require user verification.
    let contradictory = RegistrationOptions {
        mediation: Mediation::Conditional,
        user_verification: UserVerificationRequirement::Required,
        ..RegistrationOptions::default()
    };
    let err = rp()
        .start_registration(user(), contradictory, NOW, &SystemRandom::new())
        .unwrap_err();
    assert_eq!(err.code(), "internal_error");
}

#[test]
fn step_16_user_verification_required() {
    let reg = Reg {
        flags: UP | AT,
        ..Reg::new()
    };
    let required = RegistrationOptions {
        user_verification: UserVerificationRequirement::Required,
        ..RegistrationOptions::default()
    };
    assert_code(finish(&rp(), &reg, required), "user_verification_required");
    assert!(
        !run(&reg).unwrap().user_verified,
        "preferred: UV is reported"
    );
}

#[test]
fn step_17_backup_state_without_eligibility() {
    let reg = Reg {
        flags: UP | UV | BS | AT,
        ..Reg::new()
    };
    assert_code(run(&reg), "malformed_authenticator_data");
    let synced = Reg {
        flags: UP | UV | BE | BS | AT,
        ..Reg::new()
    };
    let v = run(&synced).unwrap();
    assert!(v.credential.backup_eligible && v.credential.backup_state);
}

#[test]
fn step_20_algorithm_not_requested() {
    let rp = RelyingParty::builder(RP_ID, "x")
        .origin(ORIGIN)
        .algorithms(vec![webauthn_core::CoseAlgorithm::RS256])
        .build()
        .unwrap();
    assert_code(
        finish(&rp, &Reg::new(), RegistrationOptions::default()),
        "unsupported_algorithm",
    );
}

#[test]
fn step_21_unknown_format() {
    let reg = Reg {
        fmt: "Packed".into(),
        ..Reg::new()
    };
    assert_code(run(&reg), "unsupported_attestation_format");
}

#[test]
fn step_22_attestation_statement_does_not_verify() {
    let reg = Reg {
        corrupt_signature: true,
        ..Reg::packed_self()
    };
    assert_code(run(&reg), "attestation_invalid");
    // Self attestation with an alg other than the credential's.
    let reg = Reg {
        att_stmt: Some(cbor_map(&[
            (cbor_text("alg"), cbor_int(-257)),
            (cbor_text("sig"), cbor_bytes(&[1, 2, 3])),
        ])),
        ..Reg::packed_self()
    };
    assert_code(run(&reg), "attestation_invalid");
}

#[test]
fn step_22_statement_syntax() {
    let sig = cbor_bytes(&[1, 2, 3]);
    let cases = [
        ("none", cbor_map(&[(cbor_text("alg"), cbor_int(-7))])),
        ("packed", cbor_map(&[])),
        ("packed", cbor_map(&[(cbor_text("sig"), sig.clone())])),
        (
            "packed",
            cbor_map(&[
                (cbor_text("alg"), cbor_text("ES256")),
                (cbor_text("sig"), sig.clone()),
            ]),
        ),
        ("packed", cbor_map(&[(cbor_text("alg"), cbor_int(-7))])),
        (
            "packed",
            cbor_map(&[
                (cbor_text("alg"), cbor_int(-7)),
                (cbor_text("sig"), cbor_bytes(&[])),
            ]),
        ),
        (
            "packed",
            cbor_map(&[
                (cbor_text("alg"), cbor_int(-7)),
                (cbor_text("sig"), cbor_text("x")),
            ]),
        ),
        (
            "packed",
            cbor_map(&[
                (cbor_text("alg"), cbor_int(-7)),
                (cbor_text("sig"), sig.clone()),
                (cbor_text("x5c"), cbor_array(&[])),
            ]),
        ),
        (
            "packed",
            cbor_map(&[
                (cbor_text("alg"), cbor_int(-7)),
                (cbor_text("sig"), sig.clone()),
                (cbor_text("x5c"), cbor_bytes(&[1])),
            ]),
        ),
        (
            "packed",
            cbor_map(&[
                (cbor_text("alg"), cbor_int(-7)),
                (cbor_text("sig"), sig.clone()),
                (cbor_text("x5c"), cbor_array(&[cbor_bytes(&[0x30, 0x00])])),
            ]),
        ),
        (
            "packed",
            cbor_map(&[
                (cbor_text("alg"), cbor_int(-7)),
                (cbor_text("sig"), sig.clone()),
                (cbor_text("extra"), cbor_int(1)),
            ]),
        ),
        ("fido-u2f", cbor_map(&[(cbor_text("sig"), sig)])),
    ];
    for (fmt, att_stmt) in cases {
        let reg = Reg {
            fmt: fmt.into(),
            att_stmt: Some(att_stmt),
            ..Reg::new()
        };
        assert_code(run(&reg), "malformed_attestation");
    }
}

#[test]
fn step_24_policy_requires_trusted_attestation() {
    let rp = rp();
    for reg in [Reg::new(), Reg::packed_self()] {
        let (opts, state) = start_reg(&rp, RegistrationOptions::default());
        let result = rp.finish_registration(
            state,
            &reg.response(&opts),
            &AttestationPolicy::require_trusted().without_builtin_roots(),
            NOW,
        );
        assert_code(result, "attestation_untrusted");
    }
    let (opts, state) = start_reg(&rp, RegistrationOptions::default());
    let only = AttestationPolicy::any().with_allowed_aaguids(vec![Aaguid([0x22; 16])]);
    assert_code(
        rp.finish_registration(state, &Reg::new().response(&opts), &only, NOW),
        "attestation_untrusted",
    );
    let (opts, state) = start_reg(&rp, RegistrationOptions::default());
    let allowed = AttestationPolicy::any().with_allowed_aaguids(vec![Aaguid([0x11; 16])]);
    assert!(
        rp.finish_registration(state, &Reg::new().response(&opts), &allowed, NOW)
            .is_ok()
    );
}

#[test]
fn step_25_credential_id_longer_than_1023_bytes() {
    let reg = Reg {
        credential_id: vec![7; 1024],
        ..Reg::new()
    };
    assert_code(run(&reg), "malformed_authenticator_data");
    let reg = Reg {
        credential_id: vec![7; 1023],
        ..Reg::new()
    };
    assert!(run(&reg).is_ok());
}

#[test]
fn step_27_response_id_is_the_attested_credential_id() {
    let reg = Reg {
        response_id: Some(vec![0xc2; 32]),
        ..Reg::new()
    };
    assert_code(run(&reg), "credential_id_mismatch");
}

fn none_item() -> Vec<u8> {
    cbor_map(&[
        (cbor_text("fmt"), cbor_text("none")),
        (cbor_text("attStmt"), cbor_map(&[])),
    ])
}

#[test]
fn compound_every_statement_must_verify() {
    let reg = Reg {
        compound_with: Some(vec![none_item()]),
        ..Reg::packed_self()
    };
    let v = run(&reg).unwrap();
    assert_eq!(v.attestation.format, "compound");
    assert_eq!(
        v.attestation.attestation_type,
        AttestationType::SelfAttestation
    );
    let formats: Vec<&str> = v
        .attestation
        .components
        .iter()
        .map(|c| c.format.as_str())
        .collect();
    assert_eq!(formats, ["packed", "none"]);
    assert!(!v.attestation.trusted);

    let broken = Reg {
        corrupt_signature: true,
        compound_with: Some(vec![none_item()]),
        ..Reg::packed_self()
    };
    assert_code(run(&broken), "attestation_invalid");
    // Trust is required: neither statement is trusted.
    let rp = rp();
    let (opts, state) = start_reg(&rp, RegistrationOptions::default());
    let result = rp.finish_registration(
        state,
        &reg.response(&opts),
        &AttestationPolicy::require_trusted(),
        NOW,
    );
    assert_code(result, "attestation_untrusted");
}

#[test]
fn compound_syntax() {
    let nested = cbor_map(&[
        (cbor_text("fmt"), cbor_text("compound")),
        (
            cbor_text("attStmt"),
            cbor_array(&[none_item(), none_item()]),
        ),
    ]);
    let no_fmt = cbor_map(&[(cbor_text("attStmt"), cbor_map(&[]))]);
    let map_stmt = cbor_map(&[
        (cbor_text("fmt"), cbor_text("none")),
        (cbor_text("attStmt"), cbor_array(&[])),
    ]);
    for extra in [
        vec![],
        vec![nested],
        vec![no_fmt],
        vec![map_stmt],
        vec![none_item(); 8],
    ] {
        let reg = Reg {
            compound_with: Some(extra),
            ..Reg::packed_self()
        };
        assert_code(run(&reg), "malformed_attestation");
    }
    // Only compound statements may be arrays.
    let reg = Reg {
        att_stmt: Some(cbor_array(&[none_item(), none_item()])),
        ..Reg::new()
    };
    assert_code(run(&reg), "malformed_attestation");
    let unknown = cbor_map(&[
        (cbor_text("fmt"), cbor_text("x-vendor")),
        (cbor_text("attStmt"), cbor_map(&[])),
    ]);
    let reg = Reg {
        compound_with: Some(vec![unknown]),
        ..Reg::packed_self()
    };
    assert_code(run(&reg), "unsupported_attestation_format");
}
