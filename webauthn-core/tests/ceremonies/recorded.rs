//! Recorded registrations from the W3C specification's test vectors (shipped in
//! `conformance/vectors/w3c.json`), for the checks that need real attestation certificates.

use serde_json::Value;
use webauthn_core::base64url;
use webauthn_core::{
    AttestationPolicy, AttestationType, Challenge, RegistrationOptions, RegistrationResponseJson,
    RelyingParty, UnixTime, UserEntity, UserHandle, VerifiedRegistration,
};

fn vector(id: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../conformance/vectors/w3c.json"
    );
    let all: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all.into_iter().find(|v| v["id"] == id).unwrap()
}

fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn register(
    id: &str,
    policy: &AttestationPolicy,
    now: UnixTime,
) -> Result<VerifiedRegistration, webauthn_core::Error> {
    let v = vector(id);
    let rp = RelyingParty::builder(v["inputs"]["rp_id"].as_str().unwrap(), "W3C")
        .origin(v["inputs"]["expected_origins"][0].as_str().unwrap())
        .algorithms(vec![
            webauthn_core::CoseAlgorithm::ES256,
            webauthn_core::CoseAlgorithm::ES384,
            webauthn_core::CoseAlgorithm::ES512,
            webauthn_core::CoseAlgorithm::EDDSA,
            webauthn_core::CoseAlgorithm::RS256,
        ])
        .build()
        .unwrap();
    let challenge = base64url::decode(v["inputs"]["expected_challenge"].as_str().unwrap()).unwrap();
    let options = RegistrationOptions::default()
        .danger_with_challenge(Challenge::danger_from_bytes(challenge));
    let user = UserEntity {
        id: UserHandle::new(vec![1]).unwrap(),
        name: "u".into(),
        display_name: "U".into(),
    };
    let (_, state) = rp
        .start_registration(user, options, now, &webauthn_core::SystemRandom::new())
        .unwrap();
    let response = RegistrationResponseJson::from_json(&v["inputs"]["response"]).unwrap();
    rp.finish_registration(state, &response, policy, now)
}

fn w3c_root() -> Vec<u8> {
    pem_der(
        vector("w3c-packed-es256-reg")["options"]["trust_anchors_pem"][0]
            .as_str()
            .unwrap(),
    )
}

const IN_VALIDITY: UnixTime = UnixTime::from_secs(1_800_000_000); // 2027

#[test]
fn packed_x5c_chains_to_its_trust_anchor() {
    for id in [
        "w3c-packed-es256-reg",
        "w3c-packed-es384-reg",
        "w3c-packed-es512-reg",
        "w3c-packed-rs256-reg",
        "w3c-packed-eddsa-reg",
    ] {
        let untrusted = register(id, &AttestationPolicy::default(), IN_VALIDITY).unwrap();
        assert_eq!(
            untrusted.attestation.attestation_type,
            AttestationType::Basic,
            "{id}"
        );
        assert!(!untrusted.attestation.trusted, "{id}: no anchor configured");
        assert!(!untrusted.attestation.trust_path.is_empty());

        let policy = AttestationPolicy::trusted(vec![w3c_root()]);
        assert!(
            register(id, &policy, IN_VALIDITY)
                .unwrap()
                .attestation
                .trusted,
            "{id}"
        );
        let informed = AttestationPolicy::any().with_trust_anchors(vec![w3c_root()]);
        assert!(
            register(id, &informed, IN_VALIDITY)
                .unwrap()
                .attestation
                .trusted,
            "{id}"
        );
    }
}

#[test]
fn packed_x5c_with_another_anchor_or_before_validity_is_untrusted() {
    // The attestation certificate itself is an acceptable anchor (§7.1 step 24).
    let leaf = register(
        "w3c-packed-es256-reg",
        &AttestationPolicy::default(),
        IN_VALIDITY,
    )
    .unwrap()
    .attestation
    .trust_path[0]
        .clone();
    assert!(
        register(
            "w3c-packed-es256-reg",
            &AttestationPolicy::trusted(vec![leaf]),
            IN_VALIDITY
        )
        .unwrap()
        .attestation
        .trusted
    );
    // Another root: the path does not end in it.
    let other = register(
        "w3c-packed-es384-reg",
        &AttestationPolicy::default(),
        IN_VALIDITY,
    )
    .unwrap();
    let err = register(
        "w3c-packed-es256-reg",
        &AttestationPolicy::trusted(vec![other.attestation.trust_path[0].clone()]),
        IN_VALIDITY,
    )
    .unwrap_err();
    assert_eq!(err.code(), "attestation_untrusted");
    // Before the certificates' validity (2024-01-01).
    let err = register(
        "w3c-packed-es256-reg",
        &AttestationPolicy::trusted(vec![w3c_root()]),
        UnixTime::from_secs(1_600_000_000),
    )
    .unwrap_err();
    assert_eq!(err.code(), "attestation_untrusted");
}

#[test]
fn fido_u2f_aaguid_is_checked_only_when_asked() {
    let v = register(
        "w3c-fido-u2f-es256-reg",
        &AttestationPolicy::default(),
        IN_VALIDITY,
    )
    .unwrap();
    assert_eq!(v.attestation.format, "fido-u2f");
    assert!(!v.attestation.trust_path.is_empty());
    let strict = AttestationPolicy::default().require_zero_u2f_aaguid();
    let err = register("w3c-fido-u2f-es256-reg", &strict, IN_VALIDITY).unwrap_err();
    assert_eq!(err.code(), "attestation_invalid");
}
