//! Tests of the `apple` format: every rejection with its code, and the nonce extension parser.

use crate::attestation::test_support::assert_rejected;
use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DnType, IsCa, KeyPair,
    PKCS_ECDSA_P256_SHA256,
};

use super::{parse_nonce_extension, verify};
use crate::attestation::{AttestationFormat, StatementInputs};
use crate::authenticator_data::AuthenticatorData;
use crate::cbor::Value;
use crate::cose::CredentialPublicKey;
use crate::crypto::sha256;
use crate::error::Error;
use crate::policy::AttestationPolicy;
use crate::time::UnixTime;
use crate::verified::{AttestationType, AttestationVerified};

const NONCE_OID: &[u64] = &[1, 2, 840, 113_635, 100, 8, 2];
const CLIENT_DATA_HASH: [u8; 32] = [0x3c; 32];

/// An apple registration: authenticator data and the statement's certificates.
struct Registration {
    auth_data: Vec<u8>,
    client_data_hash: [u8; 32],
    x5c: Vec<Vec<u8>>,
}

/// What goes into credCert.
enum Nonce {
    /// The right nonce, in Apple's structure.
    Right,
    /// This extension value instead.
    Value(Vec<u8>),
    /// No nonce extension.
    Absent,
    /// The right nonce, twice.
    Twice,
}

/// The extension value Apple uses: `SEQUENCE { [1] EXPLICIT OCTET STRING nonce }`.
fn nonce_extension(nonce: &[u8]) -> Vec<u8> {
    let octets = [&[0x04, u8::try_from(nonce.len()).unwrap()][..], nonce].concat();
    let tagged = [&[0xa1, u8::try_from(octets.len()).unwrap()][..], &octets].concat();
    [&[0x30, u8::try_from(tagged.len()).unwrap()][..], &tagged].concat()
}

fn p256() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
}

/// A COSE_Key (EC2, ES256) from an uncompressed P-256 point.
fn cose_es256(point: &[u8]) -> Vec<u8> {
    let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    out.extend_from_slice(&point[1..33]);
    out.extend_from_slice(&[0x22, 0x58, 0x20]);
    out.extend_from_slice(&point[33..]);
    out
}

/// Authenticator data with UP, UV and AT set and the given credential public key.
fn auth_data(cose_key: &[u8]) -> Vec<u8> {
    let mut out = vec![0x22; 32];
    out.push(0x45);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&[0, 20]);
    out.extend_from_slice(&[0xa9; 20]);
    out.extend_from_slice(cose_key);
    out
}

/// Builds a registration; `other_credential_key` puts another key than credCert's into the
/// authenticator data.
fn registration(nonce: &Nonce, other_credential_key: bool) -> Registration {
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Test WebAuthn CA 1");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, p256()).unwrap();

    let credential = p256();
    let other = other_credential_key.then(p256);
    let auth_data = auth_data(&cose_es256(
        other.as_ref().unwrap_or(&credential).public_key_raw(),
    ));
    let mut nonce_to_hash = auth_data.clone();
    nonce_to_hash.extend_from_slice(&CLIENT_DATA_HASH);
    let right = nonce_extension(&sha256(&nonce_to_hash));

    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "credential certificate");
    let extension = |value: Vec<u8>| CustomExtension::from_oid_content(NONCE_OID, value);
    match nonce {
        Nonce::Right => params.custom_extensions.push(extension(right)),
        Nonce::Value(value) => params.custom_extensions.push(extension(value.clone())),
        Nonce::Absent => {}
        Nonce::Twice => {
            params.custom_extensions.push(extension(right.clone()));
            params.custom_extensions.push(extension(right));
        }
    }
    let leaf = params.signed_by(&credential, &ca).unwrap();
    Registration {
        auth_data,
        client_data_hash: CLIENT_DATA_HASH,
        x5c: vec![leaf.der().to_vec(), ca.der().to_vec()],
    }
}

fn valid() -> Registration {
    registration(&Nonce::Right, false)
}

impl Registration {
    fn att_stmt(&self) -> Value<'_> {
        Value::Map(vec![(
            Value::Text("x5c"),
            Value::Array(self.x5c.iter().map(|c| Value::Bytes(c)).collect()),
        )])
    }

    fn verify_statement(&self, att_stmt: &Value<'_>) -> Result<AttestationVerified, Error> {
        let auth_data = AuthenticatorData::parse(&self.auth_data).unwrap();
        let attested = auth_data.attested_credential_data.clone().unwrap();
        let credential_key =
            CredentialPublicKey::from_cose(attested.credential_public_key).unwrap();
        let policy = AttestationPolicy::default();
        verify(&StatementInputs {
            format: AttestationFormat::Apple,
            att_stmt,
            auth_data: &auth_data,
            attested: &attested,
            credential_key: &credential_key,
            client_data_hash: &self.client_data_hash,
            allow_legacy_algorithms: false,
            policy: &policy,
            now: UnixTime::from_secs(1_750_000_000),
        })
    }

    fn verify(&self) -> Result<AttestationVerified, Error> {
        self.verify_statement(&self.att_stmt())
    }
}

#[test]
fn accepts_anonymous_attestation_with_x5c_as_trust_path() {
    let registration = valid();
    let verified = registration.verify().unwrap();
    assert_eq!(verified.attestation_type, AttestationType::AnonCa);
    assert_eq!(verified.trust_path, registration.x5c);
}

#[test]
fn accepts_the_alg_that_apple_devices_send() {
    let registration = valid();
    let Value::Map(mut entries) = registration.att_stmt() else {
        unreachable!()
    };
    entries.push((Value::Text("alg"), Value::Negative(6)));
    registration
        .verify_statement(&Value::Map(entries.clone()))
        .unwrap();
    entries.pop();
    entries.push((Value::Text("alg"), Value::Text("ES256")));
    assert_rejected(
        registration.verify_statement(&Value::Map(entries)),
        "malformed_attestation",
        "attStmt.alg",
    );
}

#[test]
fn refuses_a_statement_that_does_not_follow_the_syntax() {
    let registration = valid();
    assert_rejected(
        registration.verify_statement(&Value::Map(Vec::new())),
        "malformed_attestation",
        "attStmt.x5c",
    );
    let Value::Map(mut entries) = registration.att_stmt() else {
        unreachable!()
    };
    entries.push((Value::Text("sig"), Value::Bytes(b"sig")));
    assert_rejected(
        registration.verify_statement(&Value::Map(entries)),
        "malformed_attestation",
        "attStmt.sig",
    );
    assert_rejected(
        registration.verify_statement(&Value::Map(vec![(
            Value::Text("x5c"),
            Value::Array(Vec::new()),
        )])),
        "malformed_attestation",
        "attStmt.x5c",
    );
}

#[test]
fn refuses_a_nonce_mismatch() {
    let mut other_hash = valid();
    other_hash.client_data_hash = [0x3d; 32];
    assert_rejected(
        other_hash.verify(),
        "attestation_invalid",
        "nonce is not SHA-256(authenticatorData || clientDataHash)",
    );
    let zeros = registration(&Nonce::Value(nonce_extension(&[0; 32])), false);
    assert_rejected(
        zeros.verify(),
        "attestation_invalid",
        "nonce is not SHA-256",
    );
}

#[test]
fn refuses_a_missing_or_repeated_nonce_extension() {
    assert_rejected(
        registration(&Nonce::Absent, false).verify(),
        "attestation_invalid",
        "no nonce extension (1.2.840.113635.100.8.2)",
    );
    assert_rejected(
        registration(&Nonce::Twice, false).verify(),
        "malformed_attestation",
        "appears twice",
    );
}

#[test]
fn refuses_a_garbled_nonce_extension() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            Vec::new(),
            "nonce extension (1.2.840.113635.100.8.2) is malformed",
        ),
        // The bare OCTET STRING, without the SEQUENCE and the tag.
        (
            [&[0x04, 0x20][..], &[0; 32]].concat(),
            "expected a SEQUENCE",
        ),
        // [2] instead of [1]: no nonce.
        (
            [&[0x30, 0x24, 0xa2, 0x22, 0x04, 0x20][..], &[0; 32]].concat(),
            "the nonce [1] is missing",
        ),
        // A 31-byte nonce.
        (
            nonce_extension(&[0; 31]),
            "expected 32 bytes (a SHA-256 hash), found 31",
        ),
        // A primitive [1] (IMPLICIT instead of EXPLICIT).
        (
            [&[0x30, 0x22, 0x81, 0x20][..], &[0; 32]].concat(),
            "expected an EXPLICIT context-specific field",
        ),
        // An INTEGER inside [1].
        (
            vec![0x30, 0x05, 0xa1, 0x03, 0x02, 0x01, 0x00],
            "expected an OCTET STRING",
        ),
        // Trailing bytes after the SEQUENCE.
        (
            [nonce_extension(&[0; 32]), vec![0x00]].concat(),
            "trailing data",
        ),
        // Trailing bytes inside [1].
        (
            [
                &[0x30, 0x26, 0xa1, 0x24, 0x04, 0x20][..],
                &[0; 32],
                &[0x05, 0x00],
            ]
            .concat(),
            "nonce [1]: trailing data",
        ),
        // A length beyond the input.
        (vec![0x30, 0x82, 0x10, 0x00, 0xa1], "nonce extension"),
    ];
    for (value, needle) in cases {
        assert_rejected(
            registration(&Nonce::Value(value), false).verify(),
            "malformed_attestation",
            needle,
        );
    }
}

#[test]
fn refuses_a_credential_key_other_than_the_certified_one() {
    assert_rejected(
        registration(&Nonce::Right, true).verify(),
        "attestation_invalid",
        "is not the credential public key",
    );
}

#[test]
fn the_nonce_parser_skips_other_tagged_fields_and_refuses_a_second_nonce() {
    let nonce = [7; 32];
    let octets = [&[0x04, 0x20][..], &nonce].concat();
    let tagged = [&[0xa1, 0x22][..], &octets].concat();
    let other = vec![0xa5, 0x02, 0x05, 0x00];
    let value = [&[0x30, 0x28][..], &other, &tagged].concat();
    assert_eq!(parse_nonce_extension(&value).unwrap(), nonce);
    let twice = [&[0x30, 0x48][..], &tagged, &tagged].concat();
    assert!(
        parse_nonce_extension(&twice)
            .unwrap_err()
            .contains("appears twice")
    );
}

proptest! {
    #[test]
    fn the_nonce_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        let _ = parse_nonce_extension(&bytes);
    }

    #[test]
    fn the_nonce_parser_never_panics_on_mutated_extensions(
        index in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = nonce_extension(&[9; 32]);
        let i = index.index(bytes.len());
        bytes[i] = byte;
        let len = cut.index(bytes.len() + 1);
        let _ = parse_nonce_extension(&bytes[..len]);
    }
}
