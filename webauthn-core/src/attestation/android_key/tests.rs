//! Tests of the `android-key` format: every rejection with its code, and the key description
//! parser against truncated, oversized and high-tag DER.

mod der;

use crate::attestation::test_support::assert_rejected;
use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DnType, IsCa, KeyPair,
    PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};

use self::der::{Description, all_applications, explicit, integer, origin, purpose};
use super::key_description::{DescriptionError, KeyDescription, MAX_AUTHORIZATIONS, SecurityLevel};
use super::verify;
use crate::attestation::{AttestationFormat, StatementInputs};
use crate::authenticator_data::AuthenticatorData;
use crate::cbor::Value;
use crate::cose::CredentialPublicKey;
use crate::error::Error;
use crate::policy::{AndroidKeyPolicy, AttestationPolicy};
use crate::time::UnixTime;
use crate::verified::{AttestationType, AttestationVerified};

const KEY_DESCRIPTION_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 1, 17];
const CLIENT_DATA_HASH: [u8; 32] = [0x5a; 32];

/// An android-key registration: authenticator data and a statement, as bytes.
struct Registration {
    auth_data: Vec<u8>,
    client_data_hash: [u8; 32],
    alg: i64,
    sig: Vec<u8>,
    x5c: Vec<Vec<u8>>,
    policy: AttestationPolicy,
}

/// How to build a registration; the default is valid.
struct Build {
    /// The key description extension's value; `None` leaves the extension out.
    description: Option<Vec<u8>>,
    /// More extensions for credCert.
    extra_extensions: Vec<CustomExtension>,
    /// Put another key than credCert's into the authenticator data.
    other_credential_key: bool,
}

impl Default for Build {
    fn default() -> Self {
        Self {
            description: Some(Description::tee_key(&CLIENT_DATA_HASH).encode()),
            extra_extensions: Vec::new(),
            other_credential_key: false,
        }
    }
}

fn p256() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
}

/// A COSE_Key (EC2, ES256) from an uncompressed P-256 point.
fn cose_es256(point: &[u8]) -> Vec<u8> {
    assert_eq!(point.len(), 65);
    let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    out.extend_from_slice(&point[1..33]);
    out.extend_from_slice(&[0x22, 0x58, 0x20]);
    out.extend_from_slice(&point[33..]);
    out
}

/// Authenticator data with UP and AT set and the given credential public key.
fn auth_data(cose_key: &[u8]) -> Vec<u8> {
    let mut out = vec![0x11; 32];
    out.push(0x41);
    out.extend_from_slice(&[0, 0, 0, 7]);
    out.extend_from_slice(&[0xad; 16]);
    out.extend_from_slice(&[0, 16]);
    out.extend_from_slice(&[0xc1; 16]);
    out.extend_from_slice(cose_key);
    out
}

fn sign(key: &KeyPair, message: &[u8]) -> Vec<u8> {
    let rng = SystemRandom::new();
    let signer =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &key.serialize_der(), &rng)
            .unwrap();
    signer.sign(&rng, message).unwrap().as_ref().to_vec()
}

impl Build {
    fn build(self) -> Registration {
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Test Keystore Attestation CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, p256()).unwrap();

        let credential = p256();
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "Android Keystore Key");
        if let Some(description) = self.description {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    KEY_DESCRIPTION_OID,
                    description,
                ));
        }
        params.custom_extensions.extend(self.extra_extensions);
        let leaf = params.signed_by(&credential, &ca).unwrap();

        let other = self.other_credential_key.then(p256);
        let in_auth_data = other.as_ref().unwrap_or(&credential);
        let auth_data = auth_data(&cose_es256(in_auth_data.public_key_raw()));
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&CLIENT_DATA_HASH);
        Registration {
            sig: sign(&credential, &signed),
            auth_data,
            client_data_hash: CLIENT_DATA_HASH,
            alg: -7,
            x5c: vec![leaf.der().to_vec(), ca.der().to_vec()],
            policy: AttestationPolicy::default(),
        }
    }
}

fn valid() -> Registration {
    Build::default().build()
}

fn with_description(description: &Description) -> Registration {
    Build {
        description: Some(description.encode()),
        ..Build::default()
    }
    .build()
}

fn int_value(n: i64) -> Value<'static> {
    if n >= 0 {
        Value::Unsigned(n.unsigned_abs())
    } else {
        Value::Negative((-1 - n).unsigned_abs())
    }
}

impl Registration {
    fn att_stmt(&self) -> Value<'_> {
        Value::Map(vec![
            (Value::Text("alg"), int_value(self.alg)),
            (Value::Text("sig"), Value::Bytes(&self.sig)),
            (
                Value::Text("x5c"),
                Value::Array(self.x5c.iter().map(|c| Value::Bytes(c)).collect()),
            ),
        ])
    }

    fn verify_statement(&self, att_stmt: &Value<'_>) -> Result<AttestationVerified, Error> {
        let auth_data = AuthenticatorData::parse(&self.auth_data).unwrap();
        let attested = auth_data.attested_credential_data.clone().unwrap();
        let credential_key =
            CredentialPublicKey::from_cose(attested.credential_public_key).unwrap();
        verify(&StatementInputs {
            format: AttestationFormat::AndroidKey,
            att_stmt,
            auth_data: &auth_data,
            attested: &attested,
            credential_key: &credential_key,
            client_data_hash: &self.client_data_hash,
            allow_legacy_algorithms: false,
            policy: &self.policy,
            now: UnixTime::from_secs(1_750_000_000),
        })
    }

    fn verify(&self) -> Result<AttestationVerified, Error> {
        self.verify_statement(&self.att_stmt())
    }

    fn require_tee(mut self) -> Self {
        self.policy =
            AttestationPolicy::default().with_android_key(AndroidKeyPolicy { require_tee: true });
        self
    }
}

// --- Accepted statements -------------------------------------------------------------------

#[test]
fn accepts_a_tee_key_as_basic_attestation_with_x5c_as_trust_path() {
    let registration = valid();
    let verified = registration.verify().unwrap();
    assert_eq!(verified.attestation_type, AttestationType::Basic);
    assert_eq!(verified.trust_path, registration.x5c);
}

#[test]
fn accepts_a_tee_key_under_the_tee_only_policy() {
    valid().require_tee().verify().unwrap();
}

#[test]
fn accepts_a_software_key_by_the_union_of_both_lists() {
    with_description(&Description::software_key(&CLIENT_DATA_HASH))
        .verify()
        .unwrap();
}

#[test]
fn the_union_combines_origin_and_purpose_from_either_list() {
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.software = vec![purpose(&[3])];
    description.tee = vec![purpose(&[2]), origin(0)];
    with_description(&description).verify().unwrap();
    description.software = vec![purpose(&[2, 3]), origin(0)];
    description.tee = vec![];
    with_description(&description).verify().unwrap();
}

#[test]
fn accepts_a_purpose_set_with_more_than_sign() {
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.tee[0] = purpose(&[3, 2]);
    with_description(&description).verify().unwrap();
}

#[test]
fn accepts_authorization_fields_out_of_schema_order_and_unknown_high_tags() {
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.tee.reverse();
    description.tee.push(explicit(724, &der::octets(&[1; 32])));
    description.tee.push(explicit(100_000, &der::null()));
    description.tee.push(explicit(u32::MAX, &der::null()));
    with_description(&description).verify().unwrap();
}

// --- §8.4 steps 1–3: syntax, signature, key --------------------------------------------------

#[test]
fn refuses_a_statement_that_does_not_follow_the_syntax() {
    let registration = valid();
    let full = registration.att_stmt();
    let Value::Map(entries) = &full else {
        unreachable!()
    };
    for missing in ["alg", "sig", "x5c"] {
        let without = Value::Map(
            entries
                .iter()
                .filter(|(k, _)| k.as_text() != Some(missing))
                .cloned()
                .collect(),
        );
        assert_rejected(
            registration.verify_statement(&without),
            "malformed_attestation",
            missing,
        );
    }
    let mut extra = entries.clone();
    extra.push((Value::Text("ver"), Value::Text("1")));
    assert_rejected(
        registration.verify_statement(&Value::Map(extra)),
        "malformed_attestation",
        "attStmt.ver",
    );
}

#[test]
fn refuses_a_bad_signature() {
    let mut registration = valid();
    let last = registration.sig.len() - 1;
    registration.sig[last] ^= 0x01;
    assert_rejected(
        registration.verify(),
        "attestation_invalid",
        "signature does not verify",
    );
}

#[test]
fn refuses_a_signature_over_another_client_data_hash() {
    let mut registration = valid();
    registration.client_data_hash = [0x5b; 32];
    assert_rejected(
        registration.verify(),
        "attestation_invalid",
        "signature does not verify",
    );
}

#[test]
fn refuses_an_alg_that_does_not_fit_the_certificate_key() {
    let mut registration = valid();
    registration.alg = -257; // RS256
    assert_rejected(registration.verify(), "attestation_invalid", "does not fit");
}

#[test]
fn refuses_certificates_in_the_wrong_order() {
    // FIDO conformance Server-ServerAuthenticatorAttestationResponse-Resp-A F-3.
    let mut registration = valid();
    registration.x5c.reverse();
    assert_rejected(
        registration.verify(),
        "attestation_invalid",
        "signature does not verify",
    );
}

#[test]
fn refuses_a_credential_certificate_with_an_invalid_public_key() {
    // Resp-A F-2: credCert's subject public key is not a point on P-256.
    let mut registration = valid();
    let auth_data = AuthenticatorData::parse(&registration.auth_data).unwrap();
    let cose = auth_data
        .attested_credential_data
        .unwrap()
        .credential_public_key;
    let y_last = cose[cose.len() - 1];
    let leaf = &mut registration.x5c[0];
    let at = leaf
        .windows(32)
        .position(|w| w == &cose[cose.len() - 32..])
        .expect("the leaf carries the credential key");
    assert_eq!(leaf[at + 31], y_last);
    leaf[at + 31] ^= 0x01;
    assert_rejected(
        registration.verify(),
        "attestation_invalid",
        "not on the curve",
    );
}

#[test]
fn refuses_a_credential_key_other_than_the_certified_one() {
    let registration = Build {
        other_credential_key: true,
        ..Build::default()
    }
    .build();
    assert_rejected(
        registration.verify(),
        "attestation_invalid",
        "is not the credential public key",
    );
}

#[test]
fn refuses_a_p384_credential_certificate_for_a_p256_credential() {
    let mut registration = valid();
    let mut params = CertificateParams::default();
    params
        .custom_extensions
        .push(CustomExtension::from_oid_content(
            KEY_DESCRIPTION_OID,
            Description::tee_key(&CLIENT_DATA_HASH).encode(),
        ));
    let p384 = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    registration.x5c[0] = params.self_signed(&p384).unwrap().der().to_vec();
    registration.alg = -35;
    let rng = SystemRandom::new();
    let signer = EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        &p384.serialize_der(),
        &rng,
    )
    .unwrap();
    let mut signed = registration.auth_data.clone();
    signed.extend_from_slice(&CLIENT_DATA_HASH);
    registration.sig = signer.sign(&rng, &signed).unwrap().as_ref().to_vec();
    assert_rejected(
        registration.verify(),
        "attestation_invalid",
        "(EC P-384) is not the credential public key (EC P-256)",
    );
}

// --- §8.4 step 4: the key description and its challenge ------------------------------------

#[test]
fn refuses_a_wrong_attestation_challenge() {
    // Resp-A F-1.
    let registration = with_description(&Description::tee_key(&[0x5b; 32]));
    assert_rejected(
        registration.verify(),
        "attestation_invalid",
        "attestationChallenge",
    );
    let short = with_description(&Description::tee_key(&CLIENT_DATA_HASH[..31]));
    assert_rejected(short.verify(), "attestation_invalid", "(31 bytes)");
}

#[test]
fn refuses_a_credential_certificate_without_the_extension() {
    let registration = Build {
        description: None,
        ..Build::default()
    }
    .build();
    assert_rejected(
        registration.verify(),
        "attestation_invalid",
        "no key description extension",
    );
}

#[test]
fn refuses_a_repeated_extension() {
    let description = Description::tee_key(&CLIENT_DATA_HASH).encode();
    let registration = Build {
        extra_extensions: vec![CustomExtension::from_oid_content(
            KEY_DESCRIPTION_OID,
            description,
        )],
        ..Build::default()
    }
    .build();
    assert_rejected(
        registration.verify(),
        "malformed_attestation",
        "appears twice",
    );
}

#[test]
fn refuses_a_garbled_extension() {
    for garbage in [&b""[..], b"\x00", b"not DER", b"\x04\x20", b"\x30\x00"] {
        let registration = Build {
            description: Some(garbage.to_vec()),
            ..Build::default()
        }
        .build();
        assert_rejected(
            registration.verify(),
            "malformed_attestation",
            "key description extension",
        );
    }
}

// --- §8.4 step 5: the authorization lists ----------------------------------------------------

#[test]
fn refuses_all_applications_in_either_list() {
    for software in [true, false] {
        let mut description = Description::tee_key(&CLIENT_DATA_HASH);
        let list = if software {
            &mut description.software
        } else {
            &mut description.tee
        };
        list.push(all_applications());
        let name = if software {
            "softwareEnforced"
        } else {
            "teeEnforced"
        };
        let registration = with_description(&description);
        assert_rejected(
            registration.verify(),
            "attestation_invalid",
            &format!("{name} has allApplications [600]"),
        );
        // Whatever the policy: the key is not scoped to the relying party.
        assert_rejected(
            registration.require_tee().verify(),
            "attestation_invalid",
            "allApplications",
        );
    }
}

#[test]
fn refuses_an_origin_other_than_generated() {
    for (value, name) in [(2, "imported"), (1, "derived"), (4, "securely imported")] {
        let mut description = Description::tee_key(&CLIENT_DATA_HASH);
        description.tee[6] = origin(value);
        assert_rejected(
            with_description(&description).verify(),
            "attestation_invalid",
            &format!("teeEnforced.origin is {value} ({name}), expected KM_ORIGIN_GENERATED (0)"),
        );
    }
    // In the union, an origin anywhere that is not generated is refused.
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.software.push(origin(2));
    assert_rejected(
        with_description(&description).verify(),
        "attestation_invalid",
        "softwareEnforced.origin is 2 (imported)",
    );
}

#[test]
fn refuses_a_purpose_without_sign() {
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.tee[0] = purpose(&[3]);
    assert_rejected(
        with_description(&description).verify(),
        "attestation_invalid",
        "is [3], which does not include KM_PURPOSE_SIGN (2)",
    );
    description.tee[0] = purpose(&[]);
    assert_rejected(
        with_description(&description).verify(),
        "attestation_invalid",
        "is [], which does not include KM_PURPOSE_SIGN (2)",
    );
}

#[test]
fn absent_origin_or_purpose_is_refused_only_under_the_tee_policy() {
    // The shape of the W3C test vector: both lists empty. They make no claim that contradicts
    // §8.4, so the default policy accepts them; the TEE-only policy needs the TEE's claims.
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.software.clear();
    description.tee.clear();
    let registration = with_description(&description);
    registration.verify().unwrap();
    assert_rejected(
        registration.require_tee().verify(),
        "attestation_invalid",
        "no origin [702] in teeEnforced",
    );
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.tee.remove(0);
    let registration = with_description(&description);
    registration.verify().unwrap();
    assert_rejected(
        registration.require_tee().verify(),
        "attestation_invalid",
        "no purpose [1] in teeEnforced",
    );
}

#[test]
fn the_tee_only_policy_refuses_software_enforced_authorizations() {
    let registration = with_description(&Description::software_key(&CLIENT_DATA_HASH));
    assert_rejected(
        registration.require_tee().verify(),
        "attestation_invalid",
        "no origin [702] in teeEnforced (the policy accepts only keys from a trusted execution environment), expected KM_ORIGIN_GENERATED (0) (keymasterSecurityLevel Software, attestationSecurityLevel Software)",
    );
    // Sign allowed only by the software list: not enough under the TEE-only policy.
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.tee[0] = purpose(&[3]);
    description.software.push(purpose(&[2]));
    let registration = with_description(&description);
    registration.verify().unwrap();
    assert_rejected(
        registration.require_tee().verify(),
        "attestation_invalid",
        "purpose in teeEnforced",
    );
}

// --- The key description parser -------------------------------------------------------------

fn parse(bytes: &[u8]) -> Result<KeyDescription<'_>, DescriptionError> {
    KeyDescription::try_from(bytes)
}

#[track_caller]
fn assert_malformed(bytes: &[u8], offset: Option<usize>, needle: &str) {
    let error = parse(bytes).expect_err("the key description must be refused");
    assert!(
        error.problem.contains(needle),
        "`{error}` does not mention `{needle}`"
    );
    if let Some(offset) = offset {
        assert_eq!(error.offset, offset, "{error}");
    }
}

#[test]
fn parses_the_fields_that_webauthn_checks() {
    let encoded = Description::tee_key(&CLIENT_DATA_HASH).encode();
    let description = parse(&encoded).unwrap();
    assert_eq!(description.attestation_challenge, CLIENT_DATA_HASH);
    assert_eq!(
        description.attestation_security_level,
        SecurityLevel::TrustedEnvironment
    );
    assert_eq!(
        description.keymaster_security_level,
        SecurityLevel::TrustedEnvironment
    );
    assert_eq!(description.tee_enforced.purpose, Some(vec![2]));
    assert_eq!(description.tee_enforced.origin, Some(0));
    assert!(!description.tee_enforced.all_applications);
    assert_eq!(description.software_enforced.purpose, None);
    assert_eq!(description.software_enforced.origin, None);

    let mut strongbox = Description::tee_key(&CLIENT_DATA_HASH);
    strongbox.keymaster_level = 2;
    strongbox.software.push(all_applications());
    let encoded = strongbox.encode();
    let description = parse(&encoded).unwrap();
    assert_eq!(
        description.keymaster_security_level,
        SecurityLevel::StrongBox
    );
    assert!(description.software_enforced.all_applications);
}

#[test]
fn refuses_truncated_descriptions() {
    let encoded = Description::tee_key(&CLIENT_DATA_HASH).encode();
    for len in 0..encoded.len() {
        let error = parse(&encoded[..len]).expect_err("a truncated description is refused");
        assert!(
            error.offset <= len,
            "offset {} beyond {len}: {error}",
            error.offset
        );
    }
}

#[test]
fn refuses_lengths_beyond_the_input() {
    let cases: [(&[u8], &str); 5] = [
        // A SEQUENCE that claims 64 KiB and has 2 bytes.
        (&[0x30, 0x83, 0x01, 0x00, 0x00, 0x02, 0x01], "incomplete"),
        // A length in five octets (more than 4 GiB).
        (
            &[0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00],
            "incorrect length for SEQUENCE",
        ),
        // A non-minimal length.
        (&[0x30, 0x81, 0x01, 0x05], "incorrect length for SEQUENCE"),
        // An indefinite length (BER, not DER).
        (&[0x30, 0x80, 0x00, 0x00], "indefinite length"),
        // A first field whose length runs past the description.
        (
            &[0x30, 0x03, 0x30, 0x82, 0x01],
            "attestationVersion: ASN.1 DER message is incomplete",
        ),
    ];
    for (bytes, needle) in cases {
        assert_malformed(bytes, None, needle);
    }
}

#[test]
fn refuses_trailing_bytes_and_extra_fields() {
    let mut encoded = Description::tee_key(&CLIENT_DATA_HASH).encode();
    let end = encoded.len();
    encoded.push(0x00);
    assert_malformed(&encoded, Some(end), "after the end of KeyDescription");

    let description = Description::tee_key(&CLIENT_DATA_HASH);
    let mut fields = vec![
        integer(3),
        der::enumerated(1),
        integer(4),
        der::enumerated(1),
        der::octets(&CLIENT_DATA_HASH),
        der::octets(&[]),
        der::sequence(&description.software),
        der::sequence(&description.tee),
    ];
    fields.push(der::null());
    let encoded = der::sequence(&fields);
    let ninth = encoded.len() - 2;
    assert_malformed(&encoded, Some(ninth), "after the end of KeyDescription");

    fields.truncate(7);
    let encoded = der::sequence(&fields);
    assert_malformed(&encoded, Some(encoded.len()), "teeEnforced is missing");
}

#[test]
fn refuses_fields_of_the_wrong_type() {
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.attestation_level = 3;
    let encoded = description.encode();
    let at = encoded
        .windows(3)
        .position(|w| w == [0x0a, 0x01, 0x03])
        .unwrap();
    assert_malformed(
        &encoded,
        Some(at),
        "attestationSecurityLevel: expected a SecurityLevel",
    );

    let swap = |index: usize, replacement: Vec<u8>| {
        let d = Description::tee_key(&CLIENT_DATA_HASH);
        let mut fields = vec![
            integer(300),
            der::enumerated(1),
            integer(300),
            der::enumerated(1),
            der::octets(&d.challenge),
            der::octets(&[]),
            der::sequence(&d.software),
            der::sequence(&d.tee),
        ];
        fields[index] = replacement;
        der::sequence(&fields)
    };
    let cases = [
        (0, der::octets(&[1]), "attestationVersion: expected INTEGER"),
        (
            1,
            integer(1),
            "attestationSecurityLevel: expected ENUMERATED",
        ),
        (4, integer(1), "attestationChallenge: expected OCTET STRING"),
        (6, der::set(&[]), "softwareEnforced: expected SEQUENCE"),
        // A non-minimal INTEGER is not DER.
        (
            0,
            vec![0x02, 0x02, 0x00, 0x01],
            "attestationVersion: not a DER integer",
        ),
        // An INTEGER beyond 64 bits.
        (0, der::tlv(&[0x02], &[0x01; 9]), "not a DER integer"),
    ];
    for (index, replacement, needle) in cases {
        let error = parse(&swap(index, replacement)).expect_err(needle);
        assert!(error.problem.contains(needle), "`{error}` lacks `{needle}`");
    }
}

#[test]
fn refuses_malformed_authorization_lists() {
    let list = |entries: &[Vec<u8>]| {
        let mut description = Description::tee_key(&CLIENT_DATA_HASH);
        description.tee = entries.to_vec();
        description.encode()
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // A primitive context-specific tag: not EXPLICIT.
        (
            vec![0x81, 0x01, 0x02],
            "expected an EXPLICIT context-specific field",
        ),
        // A universal element among the fields.
        (integer(1), "expected an EXPLICIT context-specific field"),
        // The high-tag form for a number below 31 (X.690 §8.1.2.4.2).
        (vec![0xbf, 0x01, 0x02, 0x05, 0x00], "invalid tag number"),
        // A leading 0x80 octet in a high tag number (not minimal).
        (
            vec![0xbf, 0x80, 0x85, 0x3e, 0x03, 0x02, 0x01, 0x00],
            "invalid tag number",
        ),
        // A tag number beyond 32 bits.
        (
            vec![0xbf, 0x90, 0x80, 0x80, 0x80, 0x00, 0x02, 0x05, 0x00],
            "invalid tag number",
        ),
        // A high tag number without its last octet.
        (vec![0xbf, 0x85], "teeEnforced"),
        // An EXPLICIT field holding two elements.
        (
            explicit(702, &[integer(0), integer(0)].concat()),
            "unexpected data after the end of teeEnforced.origin [702]",
        ),
        // An empty EXPLICIT field.
        (explicit(702, &[]), "teeEnforced.origin [702] is missing"),
        (
            explicit(702, &der::null()),
            "teeEnforced.origin [702]: expected INTEGER",
        ),
        (
            explicit(1, &integer(2)),
            "teeEnforced.purpose [1]: expected SET",
        ),
        (
            explicit(1, &der::set(&[der::null()])),
            "teeEnforced.purpose [1]: expected INTEGER",
        ),
        (
            explicit(600, &integer(0)),
            "teeEnforced.allApplications [600]: expected NULL",
        ),
        (
            explicit(600, &[0x05, 0x01, 0x00]),
            "allApplications [600]: a NULL has no contents, found 1 bytes",
        ),
        (
            [origin(0), purpose(&[2]), origin(0)].concat(),
            "teeEnforced has field [702] twice",
        ),
    ];
    for (entries, needle) in cases {
        let error = parse(&list(&[entries])).expect_err(needle);
        assert!(error.problem.contains(needle), "`{error}` lacks `{needle}`");
    }
}

#[test]
fn bounds_the_number_of_authorizations_and_purposes() {
    let many = |n: u32| -> Vec<Vec<u8>> {
        (1000..1000 + n)
            .map(|t| explicit(t, &der::null()))
            .collect()
    };
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.software = many(u32::try_from(MAX_AUTHORIZATIONS).unwrap());
    parse(&description.encode()).unwrap();
    description.software = many(u32::try_from(MAX_AUTHORIZATIONS).unwrap() + 1);
    let error = parse(&description.encode()).unwrap_err();
    assert!(error.problem.contains("more than 128 fields"), "{error}");

    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.tee[0] = purpose(&[2; 16]);
    parse(&description.encode()).unwrap();
    description.tee[0] = purpose(&[2; 17]);
    let error = parse(&description.encode()).unwrap_err();
    assert!(error.problem.contains("more than 16 values"), "{error}");
}

#[test]
fn errors_point_into_the_extension() {
    // The origin's INTEGER is replaced by a NULL: the error points at the NULL.
    let mut description = Description::tee_key(&CLIENT_DATA_HASH);
    description.tee = vec![explicit(702, &der::null())];
    let encoded = description.encode();
    let null_at = encoded.len() - 2;
    assert_malformed(&encoded, Some(null_at), "expected INTEGER, found NULL");
}

proptest! {
    #[test]
    fn the_parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn the_parser_never_panics_on_mutated_descriptions(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = Description::tee_key(&CLIENT_DATA_HASH).encode();
        for (index, byte) in edits {
            let i = index.index(bytes.len());
            bytes[i] = byte;
        }
        let len = cut.index(bytes.len() + 1);
        let _ = parse(&bytes[..len]);
        let _ = parse(&bytes);
    }
}
