//! Recorded registrations from the W3C specification's test vectors (shipped in
//! `conformance/vectors/w3c.json`), for the checks that need real attestation certificates.

use serde_json::Value;
use webauthn_core::base64url;
use webauthn_core::{
    AttestationPolicy, AttestationType, Challenge, RegistrationOptions, RegistrationResponseJson,
    RelyingParty, UnixTime, UserEntity, UserHandle, VerifiedRegistration,
};

fn vector(id: &str) -> Value {
    let file = if id.starts_with("chr-") {
        "chromium.json"
    } else {
        "w3c.json"
    };
    let path = format!(
        "{}/../conformance/vectors/{file}",
        env!("CARGO_MANIFEST_DIR")
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
            webauthn_core::CoseAlgorithm::RS256,
            webauthn_core::CoseAlgorithm::ES384,
            webauthn_core::CoseAlgorithm::ES512,
            webauthn_core::CoseAlgorithm::EDDSA,
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

/// A policy that trusts exactly these anchors.
fn only(anchors: Vec<Vec<u8>>) -> AttestationPolicy {
    AttestationPolicy::require_trusted()
        .without_builtin_roots()
        .with_trust_anchors(anchors)
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

        let policy = only(vec![w3c_root()]);
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
        register("w3c-packed-es256-reg", &only(vec![leaf]), IN_VALIDITY)
            .unwrap()
            .attestation
            .trusted
    );
    // The leaf as anchor must still be within its validity (2024-01-01 to 3024-01-01).
    let before = register(
        "w3c-packed-es256-reg",
        &only(vec![
            register(
                "w3c-packed-es256-reg",
                &AttestationPolicy::default(),
                IN_VALIDITY,
            )
            .unwrap()
            .attestation
            .trust_path[0]
                .clone(),
        ]),
        UnixTime::from_secs(1_600_000_000),
    );
    assert_eq!(before.unwrap_err().code(), "attestation_untrusted");
    // Another root: the path does not end in it.
    let other = register(
        "w3c-packed-es384-reg",
        &AttestationPolicy::default(),
        IN_VALIDITY,
    )
    .unwrap();
    let err = register(
        "w3c-packed-es256-reg",
        &only(vec![other.attestation.trust_path[0].clone()]),
        IN_VALIDITY,
    )
    .unwrap_err();
    assert_eq!(err.code(), "attestation_untrusted");
    // Before the certificates' validity (2024-01-01).
    let err = register(
        "w3c-packed-es256-reg",
        &only(vec![w3c_root()]),
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

#[test]
fn chromium_direct_attestation_is_untrusted_basic_not_rejected() {
    // Chromium's virtual authenticator signs "direct" attestation with a self-signed batch
    // certificate (C=US, O=Chromium, OU=Authenticator Attestation, CN=Batch Certificate).
    let v = register(
        "chr-reg-packed-direct-es256",
        &AttestationPolicy::default(),
        IN_VALIDITY,
    )
    .unwrap();
    assert_eq!(v.attestation.format, "packed");
    assert_eq!(v.attestation.attestation_type, AttestationType::Basic);
    assert_eq!(
        v.attestation.aaguid.to_string(),
        "01020304-0506-0708-0102-030405060708"
    );
    assert_eq!(v.attestation.trust_path.len(), 1);
    assert!(!v.attestation.trusted);
    // The conformance profile's "no root in x5c" rule does not apply to a lone leaf.
    let strict = AttestationPolicy::default().reject_root_in_x5c();
    assert!(register("chr-reg-packed-direct-es256", &strict, IN_VALIDITY).is_ok());
    // And a policy that requires trust refuses it.
    let err = register(
        "chr-reg-packed-direct-es256",
        &AttestationPolicy::require_trusted(),
        IN_VALIDITY,
    )
    .unwrap_err();
    assert_eq!(err.code(), "attestation_untrusted");
}

// --- FIDO Metadata Service -------------------------------------------------------------------

mod metadata {
    use std::sync::Arc;

    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    use serde_json::json;
    use webauthn_core::base64url;
    use webauthn_core::mds::Metadata;

    use super::*;

    // The AAGUID of the W3C "packed ES256" vector.
    const AAGUID: &str = "876ca4f5-2071-c3e9-b255-09ef2cdf7ed6";

    /// A BLOB with one entry for the W3C vectors' authenticator, signed by a root made here
    /// (no x5c: the root is the signer). Returns the verified metadata.
    fn blob(statuses: &[&str], attestation_types: &[&str], roots: &[Vec<u8>]) -> Arc<Metadata> {
        use base64::Engine as _;
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap();
        let key = rcgen::KeyPair::try_from(pkcs8.as_ref()).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "anshin test MDS root");
        let root = params.self_signed(&key).unwrap().der().to_vec();

        let std64 = |der: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(der);
        let payload = json!({
            "legalHeader": "test",
            "no": 7,
            "nextUpdate": "2028-01-01",
            "entries": [{
                "aaguid": AAGUID,
                "metadataStatement": {
                    "description": "W3C test vector authenticator",
                    "aaguid": AAGUID,
                    "attestationTypes": attestation_types,
                    "attestationRootCertificates": roots.iter().map(std64).collect::<Vec<_>>(),
                },
                "statusReports": statuses.iter().map(|s| json!({"status": s, "effectiveDate": "2025-01-01"})).collect::<Vec<_>>(),
                "timeOfLastStatusChange": "2025-01-01"
            }]
        });
        let header = base64url::encode(br#"{"alg":"ES256","typ":"JWT"}"#);
        let body = base64url::encode(serde_json::to_vec(&payload).unwrap());
        let input = format!("{header}.{body}");
        let signature = signer.sign(&rng, input.as_bytes()).unwrap();
        let jws = format!("{input}.{}", base64url::encode(signature.as_ref()));
        Arc::new(Metadata::verify(&jws, &root, &[], IN_VALIDITY).unwrap())
    }

    #[test]
    fn metadata_roots_make_the_attestation_trusted() {
        let metadata = blob(&["FIDO_CERTIFIED_L1"], &["basic_full"], &[w3c_root()]);
        let policy = AttestationPolicy::require_trusted()
            .without_builtin_roots()
            .with_metadata(metadata);
        let v = register("w3c-packed-es256-reg", &policy, IN_VALIDITY).unwrap();
        assert!(v.attestation.trusted);
        let summary = v.attestation.metadata.unwrap();
        assert_eq!(
            summary.description.as_deref(),
            Some("W3C test vector authenticator")
        );
        assert_eq!(summary.status.as_deref(), Some("FIDO_CERTIFIED_L1"));
    }

    #[test]
    fn a_revoked_model_is_refused() {
        for status in [
            "REVOKED",
            "ATTESTATION_KEY_COMPROMISE",
            "USER_VERIFICATION_BYPASS",
        ] {
            let metadata = blob(&[status], &["basic_full"], &[w3c_root()]);
            let policy = AttestationPolicy::any().with_metadata(metadata);
            let err = register("w3c-packed-es256-reg", &policy, IN_VALIDITY).unwrap_err();
            assert_eq!(err.code(), "authenticator_revoked", "{status}");
        }
    }

    #[test]
    fn an_undeclared_attestation_type_is_refused() {
        let metadata = blob(&["FIDO_CERTIFIED"], &["basic_surrogate"], &[w3c_root()]);
        let policy = AttestationPolicy::any().with_metadata(metadata);
        let err = register("w3c-packed-es256-reg", &policy, IN_VALIDITY).unwrap_err();
        assert_eq!(err.code(), "attestation_untrusted");
    }

    #[test]
    fn unknown_models_are_refused_when_metadata_is_required() {
        // The BLOB knows the W3C vectors' AAGUID; the fido-u2f vector's authenticator is
        // another model, with no entry.
        let metadata = blob(&["FIDO_CERTIFIED"], &["basic_full"], &[w3c_root()]);
        let policy = AttestationPolicy::any()
            .with_metadata(metadata.clone())
            .require_metadata();
        let err = register("w3c-fido-u2f-es256-reg", &policy, IN_VALIDITY).unwrap_err();
        assert_eq!(err.code(), "attestation_untrusted");
        // Without the requirement, an unknown model is simply untrusted metadata-wise.
        let policy = AttestationPolicy::any().with_metadata(metadata);
        assert!(register("w3c-fido-u2f-es256-reg", &policy, IN_VALIDITY).is_ok());
        // `none` attestation needs no metadata.
        let metadata = blob(&["FIDO_CERTIFIED"], &["basic_full"], &[]);
        let policy = AttestationPolicy::any()
            .with_metadata(metadata)
            .require_metadata();
        assert!(register("w3c-none-es256-reg", &policy, IN_VALIDITY).is_ok());
    }
}
