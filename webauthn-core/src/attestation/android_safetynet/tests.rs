//! Unit tests of `android-safetynet` verification, with a generated CA and a leaf issued to
//! `attest.android.com`, and JWS signed here with `ring` (RS256 and ES256). The real responses
//! are in `conformance/vectors` (run by `anshin-conformance vectors`).

use std::sync::LazyLock;
use std::time::Duration;

use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
};
use rustls_pki_types::PrivatePkcs8KeyDer;
use serde_json::json;

use super::*;
use crate::attestation::AttestationFormat;
use crate::authenticator_data::AuthenticatorData;
use crate::base64url;
use crate::cose::CredentialPublicKey;
use crate::policy::AttestationPolicy;
use crate::time::UnixTime;

/// A public test key (see `conformance/testdata/rsa/README.md`): `ring` cannot generate RSA keys.
const RSA_PKCS8: &[u8] = include_bytes!("../../../testdata/rsa/rsa2048-0.pk8");
/// The verification time of every case, in seconds since the epoch.
const NOW: u64 = 1_700_000_000;
const NOW_MS: u64 = NOW * 1000;
const VER: &str = "214815044";

// ---------------------------------------------------------------------------------------------
// Certificates and signers

/// The key that signs the JWS (and is certified by the leaf).
enum Signer {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

impl Signer {
    fn es256() -> (Self, KeyPair) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let ring_key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap();
        let rcgen_key = KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(pkcs8.as_ref()),
            &PKCS_ECDSA_P256_SHA256,
        )
        .unwrap();
        (Self::Es256(ring_key), rcgen_key)
    }

    fn rs256() -> (Self, KeyPair) {
        let ring_key = RsaKeyPair::from_pkcs8(RSA_PKCS8).unwrap();
        let rcgen_key = KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(RSA_PKCS8),
            &PKCS_RSA_SHA256,
        )
        .unwrap();
        (Self::Rs256(ring_key), rcgen_key)
    }

    fn alg(&self) -> &'static str {
        match self {
            Self::Es256(_) => "ES256",
            Self::Rs256(_) => "RS256",
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            // The fixed-length r || s form that JWS uses (RFC 7518 §3.4).
            Self::Es256(key) => key.sign(&rng, message).unwrap().as_ref().to_vec(),
            Self::Rs256(key) => {
                let mut sig = vec![0; key.public().modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .unwrap();
                sig
            }
        }
    }
}

/// Who the leaf certificate is issued to.
struct Names<'n> {
    dns: &'n [&'n str],
    cn: Option<&'n str>,
}

const SAFETYNET: Names<'static> = Names {
    dns: &["attest.android.com"],
    cn: Some("attest.android.com"),
};

/// A SafetyNet signing key with its certificate chain (leaf, test CA).
struct Chain {
    signer: Signer,
    x5c: Vec<Vec<u8>>,
}

impl Chain {
    fn es256() -> Self {
        Self::issued_to(Signer::es256(), &SAFETYNET)
    }

    fn rs256() -> Self {
        Self::issued_to(Signer::rs256(), &SAFETYNET)
    }

    fn issued_to((signer, leaf_key): (Signer, KeyPair), names: &Names<'_>) -> Self {
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name = DistinguishedName::new();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "anshin test SafetyNet CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let dns: Vec<String> = names.dns.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf_params = CertificateParams::new(dns).unwrap();
        leaf_params.distinguished_name = DistinguishedName::new();
        if let Some(cn) = names.cn {
            leaf_params.distinguished_name.push(DnType::CommonName, cn);
        }
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        Self {
            signer,
            x5c: vec![leaf.der().to_vec(), ca_cert.der().to_vec()],
        }
    }

    /// The standard JWS header: `alg` of the signer, `x5c` of the chain.
    fn header(&self) -> serde_json::Value {
        header(self.signer.alg(), &self.x5c)
    }

    /// A compact JWS of `payload` with the standard header, as `attStmt.response` bytes.
    fn response(&self, payload: &serde_json::Value) -> Vec<u8> {
        self.response_with(&self.header(), payload.to_string().as_bytes())
    }

    fn response_with(&self, header: &serde_json::Value, payload: &[u8]) -> Vec<u8> {
        compact_jws(header, payload, &self.signer).into_bytes()
    }
}

fn header(alg: &str, x5c: &[Vec<u8>]) -> serde_json::Value {
    let x5c: Vec<String> = x5c.iter().map(|c| STANDARD.encode(c)).collect();
    json!({ "alg": alg, "x5c": x5c })
}

fn compact_jws(header: &serde_json::Value, payload: &[u8], signer: &Signer) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string()),
        base64url::encode(payload)
    );
    let signature = signer.sign(input.as_bytes());
    format!("{input}.{}", base64url::encode(signature))
}

// ---------------------------------------------------------------------------------------------
// The ceremony around the statement

/// The authenticator data, client data hash, policy and time a statement is verified against.
struct Case {
    auth_data: Vec<u8>,
    client_data_hash: [u8; 32],
    policy: AttestationPolicy,
    now: UnixTime,
}

impl Case {
    /// SafetyNet allowed with the default policy (CTS required, timestamps checked).
    fn new() -> Self {
        Self::with_policy(SafetyNetPolicy::default())
    }

    fn with_policy(safetynet: SafetyNetPolicy) -> Self {
        Self {
            auth_data: authenticator_data(),
            client_data_hash: sha256(b"{\"type\":\"webauthn.create\"}"),
            policy: AttestationPolicy::any().allow_safetynet(safetynet),
            now: UnixTime::from_secs(NOW),
        }
    }

    /// The nonce SafetyNet must have signed.
    fn nonce(&self) -> String {
        let mut data = self.auth_data.clone();
        data.extend_from_slice(&self.client_data_hash);
        STANDARD.encode(sha256(&data))
    }

    /// A payload that passes every check.
    fn payload(&self) -> serde_json::Value {
        json!({
            "nonce": self.nonce(),
            "timestampMs": NOW_MS - 2_000,
            "apkPackageName": "com.google.android.gms",
            "apkCertificateDigestSha256": ["8P1sW0EPJcslw7UzRsiXL64w+O50Ed+RBICtay1g24M="],
            "ctsProfileMatch": true,
            "basicIntegrity": true,
            "evaluationType": "BASIC",
        })
    }

    /// A payload with one field replaced (or removed, with `None`).
    fn payload_with(&self, key: &str, value: Option<serde_json::Value>) -> serde_json::Value {
        let mut payload = self.payload();
        let object = payload.as_object_mut().unwrap();
        match value {
            Some(v) => object.insert(key.to_owned(), v),
            None => object.remove(key),
        };
        payload
    }

    fn verify(&self, att_stmt: &Value<'_>) -> Result<AttestationVerified, Error> {
        let auth_data = AuthenticatorData::parse(&self.auth_data).unwrap();
        let attested = auth_data.attested_credential_data.clone().unwrap();
        let credential_key =
            CredentialPublicKey::from_cose(attested.credential_public_key).unwrap();
        verify(&StatementInputs {
            format: AttestationFormat::AndroidSafetyNet,
            att_stmt,
            auth_data: &auth_data,
            attested: &attested,
            credential_key: &credential_key,
            client_data_hash: &self.client_data_hash,
            allow_legacy_algorithms: false,
            policy: &self.policy,
            now: self.now,
        })
    }

    /// Verifies `{ver, response}`.
    fn verify_response(&self, response: &[u8]) -> Result<AttestationVerified, Error> {
        self.verify(&statement(VER, response))
    }

    /// Verifies a statement whose JWS, signed by `chain`, carries `payload`.
    fn verify_payload(
        &self,
        chain: &Chain,
        payload: &serde_json::Value,
    ) -> Result<AttestationVerified, Error> {
        self.verify_response(&chain.response(payload))
    }
}

/// The entries of a CBOR map.
type Entries<'a> = Vec<(Value<'a>, Value<'a>)>;

fn statement<'a>(ver: &'a str, response: &'a [u8]) -> Value<'a> {
    Value::Map(vec![
        (Value::Text("ver"), Value::Text(ver)),
        (Value::Text("response"), Value::Bytes(response)),
    ])
}

/// Authenticator data with UP and AT set and a fresh ES256 credential key.
fn authenticator_data() -> Vec<u8> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = key.public_key().as_ref();
    let mut raw = sha256(b"example.com").to_vec();
    raw.push(0x41); // UP | AT
    raw.extend_from_slice(&[0, 0, 0, 0]); // signCount
    raw.extend_from_slice(&[0xb9, 0x3f, 0xd9, 0x61, 0xf2, 0xe6, 0x46, 0x2f]); // AAGUID of
    raw.extend_from_slice(&[0xb1, 0x22, 0x82, 0x00, 0x22, 0x47, 0xde, 0x78]); // SafetyNet
    raw.extend_from_slice(&[0, 16]);
    raw.extend_from_slice(&[7; 16]); // credential id
    // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
    raw.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
    raw.extend_from_slice(&point[1..33]);
    raw.extend_from_slice(&[0x22, 0x58, 0x20]);
    raw.extend_from_slice(&point[33..65]);
    raw
}

/// Asserts a refusal with `code` whose message contains `needle`.
#[track_caller]
fn assert_refused(result: Result<AttestationVerified, Error>, code: &str, needle: &str) {
    match result {
        Ok(v) => panic!("accepted ({v:?}), expected {code}"),
        Err(e) => {
            assert_eq!(e.code(), code, "{e}");
            assert!(
                e.to_string().contains(needle),
                "{e:?} does not mention {needle:?}"
            );
        }
    }
}

#[track_caller]
fn assert_accepted(result: Result<AttestationVerified, Error>, chain: &Chain) {
    let verified = result.unwrap();
    assert_eq!(verified.attestation_type, AttestationType::Basic);
    assert_eq!(verified.trust_path, chain.x5c);
}

const MALFORMED: &str = "malformed_attestation";
const INVALID: &str = "attestation_invalid";
const UNTRUSTED: &str = "attestation_untrusted";

// ---------------------------------------------------------------------------------------------
// Accepted statements

#[test]
fn accepts_an_es256_response_with_x5c_as_the_trust_path() {
    let case = Case::new();
    let chain = Chain::es256();
    assert_accepted(case.verify_payload(&chain, &case.payload()), &chain);
}

#[test]
fn accepts_an_rs256_response() {
    let case = Case::new();
    let chain = Chain::rs256();
    assert_accepted(case.verify_payload(&chain, &case.payload()), &chain);
}

#[test]
fn refuses_the_format_unless_the_policy_allows_it() {
    let mut case = Case::new();
    case.policy = AttestationPolicy::any();
    let chain = Chain::es256();
    assert_refused(
        case.verify_payload(&chain, &case.payload()),
        UNTRUSTED,
        "deprecated",
    );
    // Even a statement that is not SafetyNet at all: the format is not looked at.
    assert_refused(
        case.verify(&Value::Map(Vec::new())),
        UNTRUSTED,
        "deprecated",
    );
}

// ---------------------------------------------------------------------------------------------
// Step 1: the statement syntax

#[test]
fn refuses_statement_syntax_errors() {
    let case = Case::new();
    let chain = Chain::es256();
    let response = chain.response(&case.payload());
    let ok_ver = Value::Text(VER);
    let ok_response = Value::Bytes(&response);
    let cases: Vec<(&str, Entries<'_>, &str)> = vec![
        (
            "unknown key",
            vec![
                (Value::Text("ver"), ok_ver.clone()),
                (Value::Text("response"), ok_response.clone()),
                (Value::Text("x5c"), Value::Array(Vec::new())),
            ],
            "attStmt.x5c",
        ),
        (
            "non-text key",
            vec![
                (Value::Text("ver"), ok_ver.clone()),
                (Value::Text("response"), ok_response.clone()),
                (Value::Unsigned(1), Value::Null),
            ],
            "not a text string",
        ),
        (
            "ver missing",
            vec![(Value::Text("response"), ok_response.clone())],
            "attStmt.ver",
        ),
        (
            "ver empty",
            vec![
                (Value::Text("ver"), Value::Text("")),
                (Value::Text("response"), ok_response.clone()),
            ],
            "is empty",
        ),
        (
            "ver not text",
            vec![
                (Value::Text("ver"), Value::Unsigned(214_815_044)),
                (Value::Text("response"), ok_response.clone()),
            ],
            "not a text string",
        ),
        (
            "response missing",
            vec![(Value::Text("ver"), ok_ver.clone())],
            "attStmt.response",
        ),
        (
            "response empty",
            vec![
                (Value::Text("ver"), ok_ver.clone()),
                (Value::Text("response"), Value::Bytes(&[])),
            ],
            "is empty",
        ),
        (
            "response as text",
            vec![
                (Value::Text("ver"), ok_ver.clone()),
                (
                    Value::Text("response"),
                    Value::Text(std::str::from_utf8(&response).unwrap()),
                ),
            ],
            "not a byte string",
        ),
    ];
    for (name, map, needle) in cases {
        println!("testing {name}");
        assert_refused(case.verify(&Value::Map(map)), MALFORMED, needle);
    }
}

// ---------------------------------------------------------------------------------------------
// Step 2: the response is a compact JWS

#[test]
fn refuses_responses_that_are_not_a_jws() {
    let case = Case::new();
    assert_refused(case.verify_response(b"\xff\xfe"), MALFORMED, "UTF-8");
    assert_refused(case.verify_response(b"not a jws"), MALFORMED, "three parts");
    assert_refused(
        case.verify_response(b"e30.e30.e30.e30"),
        MALFORMED,
        "three parts",
    );
    assert_refused(case.verify_response(b"e30.e30.!!"), MALFORMED, "base64url");
}

#[test]
fn refuses_alg_none() {
    let case = Case::new();
    let chain = Chain::es256();
    let header = header("none", &chain.x5c);
    let unsigned = format!(
        "{}.{}.",
        base64url::encode(header.to_string()),
        base64url::encode(case.payload().to_string())
    );
    assert_refused(
        case.verify_response(unsigned.as_bytes()),
        MALFORMED,
        "\"none\" is not supported",
    );
}

#[test]
fn refuses_a_jws_without_x5c() {
    let case = Case::new();
    let chain = Chain::es256();
    let payload = case.payload().to_string();
    let empty = json!({ "alg": "ES256", "x5c": [] });
    assert_refused(
        case.verify_response(&chain.response_with(&empty, payload.as_bytes())),
        MALFORMED,
        "no x5c",
    );
    let absent = json!({ "alg": "ES256" });
    assert_refused(
        case.verify_response(&chain.response_with(&absent, payload.as_bytes())),
        MALFORMED,
        "no x5c",
    );
}

#[test]
fn refuses_a_leaf_that_is_not_a_certificate() {
    let case = Case::new();
    let chain = Chain::es256();
    let garbage = header("ES256", &[b"not a certificate".to_vec()]);
    assert_refused(
        case.verify_response(&chain.response_with(&garbage, case.payload().to_string().as_bytes())),
        MALFORMED,
        "attStmt.response.x5c[0]",
    );
}

// ---------------------------------------------------------------------------------------------
// Step 4: the response came from the SafetyNet service

#[test]
fn matches_the_hostname_in_the_subject_alternative_name() {
    let case = Case::new();
    let accepted: &[Names<'_>] = &[
        Names {
            dns: &["ATTEST.Android.COM"],
            cn: None,
        },
        Names {
            dns: &["example.com", "attest.android.com"],
            cn: Some("example.com"),
        },
        // No SAN: the common name decides.
        Names {
            dns: &[],
            cn: Some("attest.android.com"),
        },
    ];
    for names in accepted {
        let chain = Chain::issued_to(Signer::es256(), names);
        assert_accepted(case.verify_payload(&chain, &case.payload()), &chain);
    }
    let refused: &[(Names<'_>, &str)] = &[
        (
            Names {
                dns: &["attest.android.org"],
                cn: Some("attest.android.com"),
            },
            "\"attest.android.org\"",
        ),
        (
            Names {
                dns: &["*.android.com"],
                cn: None,
            },
            "\"*.android.com\"",
        ),
        (
            Names {
                dns: &["attest.android.com.evil.example"],
                cn: None,
            },
            "evil.example",
        ),
        // A SAN without the name: no fallback to the common name.
        (
            Names {
                dns: &["example.com"],
                cn: Some("attest.android.com"),
            },
            "\"example.com\"",
        ),
        (
            Names {
                dns: &[],
                cn: Some("evil.example"),
            },
            "no Subject Alternative Name",
        ),
        (Names { dns: &[], cn: None }, "common names are: none"),
    ];
    for (names, needle) in refused {
        let chain = Chain::issued_to(Signer::es256(), names);
        assert_refused(
            case.verify_payload(&chain, &case.payload()),
            INVALID,
            needle,
        );
    }
}

#[test]
fn refuses_a_jws_the_leaf_did_not_sign() {
    let case = Case::new();
    let chain = Chain::es256();
    // Signed by another key, with the SafetyNet chain in the header.
    let (other, _) = Signer::es256();
    let forged = compact_jws(
        &chain.header(),
        case.payload().to_string().as_bytes(),
        &other,
    );
    assert_refused(
        case.verify_response(forged.as_bytes()),
        INVALID,
        "signature does not verify",
    );
    // A payload swapped under a valid signature.
    let genuine = String::from_utf8(chain.response(&case.payload())).unwrap();
    let mut parts: Vec<&str> = genuine.split('.').collect();
    let swapped = base64url::encode(
        case.payload_with("ctsProfileMatch", Some(json!(false)))
            .to_string(),
    );
    parts[1] = &swapped;
    assert_refused(
        case.verify_response(parts.join(".").as_bytes()),
        INVALID,
        "signature does not verify",
    );
    // An RS256 signature by the same key: a truncated or bit-flipped one.
    let rsa = Chain::rs256();
    let genuine = String::from_utf8(rsa.response(&case.payload())).unwrap();
    let (input, sig) = genuine.rsplit_once('.').unwrap();
    let mut sig = base64url::decode(sig).unwrap();
    sig[10] ^= 1;
    let flipped = format!("{input}.{}", base64url::encode(&sig));
    assert_refused(
        case.verify_response(flipped.as_bytes()),
        INVALID,
        "signature does not verify",
    );
}

#[test]
fn refuses_an_alg_that_does_not_fit_the_leaf_key() {
    let case = Case::new();
    let chain = Chain::es256();
    // The header claims RS256 for an EC key (the signature is ES256's).
    let lying = header("RS256", &chain.x5c);
    assert_refused(
        case.verify_response(&chain.response_with(&lying, case.payload().to_string().as_bytes())),
        INVALID,
        "does not fit",
    );
}

// ---------------------------------------------------------------------------------------------
// The payload

#[test]
fn refuses_a_payload_that_is_not_a_json_object() {
    let case = Case::new();
    let chain = Chain::es256();
    for payload in [
        &b"not json"[..],
        b"[1, 2]",
        b"\"nonce\"",
        b"{\"nonce\": ",
        b"",
    ] {
        assert_refused(
            case.verify_response(&chain.response_with(&chain.header(), payload)),
            MALFORMED,
            "not a JSON object",
        );
    }
}

#[test]
fn refuses_payload_fields_of_the_wrong_type() {
    let case = Case::new();
    let chain = Chain::es256();
    let cases = [
        ("nonce", None, "payload.nonce`: is missing"),
        ("nonce", Some(json!(12)), "an integer, not a string"),
        (
            "ctsProfileMatch",
            Some(json!("true")),
            "a string, not a boolean",
        ),
        (
            "basicIntegrity",
            Some(json!(1)),
            "an integer, not a boolean",
        ),
        ("timestampMs", Some(json!("1700000000000")), "a string, not"),
        ("timestampMs", Some(json!(-1)), "an integer, not"),
        (
            "timestampMs",
            Some(json!(1.7e12)),
            "a fractional number, not",
        ),
        ("timestampMs", Some(json!(null)), "null, not"),
    ];
    for (key, value, needle) in cases {
        println!("testing {key} = {value:?}");
        assert_refused(
            case.verify_payload(&chain, &case.payload_with(key, value)),
            MALFORMED,
            needle,
        );
    }
}

// Step 3: the nonce.
#[test]
fn refuses_a_nonce_that_is_not_the_hash_of_the_signed_data() {
    let case = Case::new();
    let chain = Chain::es256();
    let mut other = case.auth_data.clone();
    other.extend_from_slice(&sha256(b"another client data"));
    let wrong = STANDARD.encode(sha256(&other));
    // The right hash, but base64url without padding: SafetyNet uses standard base64.
    let raw = STANDARD.decode(case.nonce()).unwrap();
    let url_safe = base64url::encode(raw);
    // The hash of the client data hash alone.
    let client_data_only = STANDARD.encode(sha256(&case.client_data_hash));
    for nonce in [wrong, url_safe, client_data_only, String::new()] {
        assert_refused(
            case.verify_payload(&chain, &case.payload_with("nonce", Some(json!(nonce)))),
            INVALID,
            "nonce",
        );
    }
}

#[test]
fn cts_profile_match_is_required_when_the_policy_says_so() {
    let chain = Chain::es256();
    let strict = Case::new();
    assert_refused(
        strict.verify_payload(
            &chain,
            &strict.payload_with("ctsProfileMatch", Some(json!(false))),
        ),
        INVALID,
        "ctsProfileMatch is false",
    );
    assert_refused(
        strict.verify_payload(&chain, &strict.payload_with("ctsProfileMatch", None)),
        INVALID,
        "no ctsProfileMatch",
    );
    let lenient = Case::with_policy(SafetyNetPolicy {
        require_cts_profile_match: false,
        ..SafetyNetPolicy::default()
    });
    for value in [Some(json!(false)), None] {
        assert_accepted(
            lenient.verify_payload(&chain, &lenient.payload_with("ctsProfileMatch", value)),
            &chain,
        );
    }
}

#[test]
fn basic_integrity_is_not_a_verdict() {
    // Neither WebAuthn nor the conformance profile asks for it; ctsProfileMatch is the stronger
    // verdict and implies it.
    let case = Case::with_policy(SafetyNetPolicy {
        require_cts_profile_match: false,
        ..SafetyNetPolicy::default()
    });
    let chain = Chain::es256();
    for value in [Some(json!(false)), None] {
        assert_accepted(
            case.verify_payload(&chain, &case.payload_with("basicIntegrity", value)),
            &chain,
        );
    }
}

#[test]
fn timestamp_must_be_recent() {
    let case = Case::new();
    let chain = Chain::es256();
    let at = |ms: u64| case.payload_with("timestampMs", Some(json!(ms)));
    // Within the default window: 60 s old to 10 s ahead.
    for ms in [NOW_MS, NOW_MS - 60_000, NOW_MS + 10_000, NOW_MS + 999] {
        assert_accepted(case.verify_payload(&chain, &at(ms)), &chain);
    }
    assert_refused(
        case.verify_payload(&chain, &at(NOW_MS - 60_001)),
        INVALID,
        "60001 ms old",
    );
    assert_refused(
        case.verify_payload(&chain, &at(NOW_MS + 10_001)),
        INVALID,
        "10001 ms after",
    );
    assert_refused(
        case.verify_payload(&chain, &at(u64::MAX)),
        INVALID,
        "after the verification time",
    );
    assert_refused(case.verify_payload(&chain, &at(0)), INVALID, "old");
    assert_refused(
        case.verify_payload(&chain, &case.payload_with("timestampMs", None)),
        INVALID,
        "no timestampMs",
    );
}

#[test]
fn timestamp_window_follows_the_policy() {
    let chain = Chain::es256();
    let wide = Case::with_policy(SafetyNetPolicy {
        max_age: Duration::from_secs(3600),
        max_clock_skew: Duration::ZERO,
        ..SafetyNetPolicy::default()
    });
    let at = |ms: u64| wide.payload_with("timestampMs", Some(json!(ms)));
    assert_accepted(wide.verify_payload(&chain, &at(NOW_MS - 3_600_000)), &chain);
    assert_refused(
        wide.verify_payload(&chain, &at(NOW_MS + 1)),
        INVALID,
        "clock skew of 0 ms",
    );
    // Without the check, any (or no) timestamp passes.
    let unchecked = Case::with_policy(SafetyNetPolicy {
        check_timestamp: false,
        ..SafetyNetPolicy::default()
    });
    for value in [
        Some(json!(1_565_424_262_773_u64)),
        Some(json!(u64::MAX)),
        None,
    ] {
        assert_accepted(
            unchecked.verify_payload(&chain, &unchecked.payload_with("timestampMs", value)),
            &chain,
        );
    }
}

/// The FIDO2 server conformance tests of `android-safetynet` (Resp-B, F-1 to F-7), each refused
/// under the default SafetyNet policy.
#[test]
fn conformance_resp_b_negatives_are_refused() {
    let case = Case::new();
    let chain = Chain::es256();
    let response = |payload: &serde_json::Value| chain.response(payload);
    let no_x5c = chain.response_with(
        &json!({ "alg": "ES256", "x5c": [] }),
        case.payload().to_string().as_bytes(),
    );
    let cases: Vec<(&str, Result<AttestationVerified, Error>, &str)> = vec![
        (
            "F-1 ver empty",
            case.verify(&statement("", &response(&case.payload()))),
            MALFORMED,
        ),
        ("F-2 response empty", case.verify_response(b""), MALFORMED),
        (
            "F-3 nonce mismatch",
            case.verify_response(&response(
                &case.payload_with("nonce", Some(json!(STANDARD.encode([0u8; 32])))),
            )),
            INVALID,
        ),
        ("F-4 x5c empty", case.verify_response(&no_x5c), MALFORMED),
        (
            "F-5 ctsProfileMatch false",
            case.verify_response(&response(
                &case.payload_with("ctsProfileMatch", Some(json!(false))),
            )),
            INVALID,
        ),
        (
            "F-6 timestampMs in the future",
            case.verify_response(&response(
                &case.payload_with("timestampMs", Some(json!(NOW_MS + 3_600_000))),
            )),
            INVALID,
        ),
        (
            "F-7 timestampMs older than 1 minute",
            case.verify_response(&response(
                &case.payload_with("timestampMs", Some(json!(NOW_MS - 61_000))),
            )),
            INVALID,
        ),
    ];
    for (name, result, code) in cases {
        println!("testing {name}");
        assert_refused(result, code, "");
    }
    // P-1: the valid response.
    assert_accepted(case.verify_response(&response(&case.payload())), &chain);
}

// ---------------------------------------------------------------------------------------------
// Property tests

/// An attestation statement value of any shape, owned so that the `Value` can borrow it.
#[derive(Debug, Clone)]
enum Item {
    Text(String),
    Bytes(Vec<u8>),
    Int(u64),
    Bool(bool),
    Array(Vec<Self>),
}

impl Item {
    fn value(&self) -> Value<'_> {
        match self {
            Self::Text(t) => Value::Text(t),
            Self::Bytes(b) => Value::Bytes(b),
            Self::Int(n) => Value::Unsigned(*n),
            Self::Bool(b) => Value::Bool(*b),
            Self::Array(items) => Value::Array(items.iter().map(Self::value).collect()),
        }
    }
}

fn item() -> impl Strategy<Value = Item> {
    let leaf = prop_oneof![
        ".{0,24}".prop_map(Item::Text),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Item::Bytes),
        // Byte strings that look like a JWS: three base64url parts of random bytes.
        (
            proptest::collection::vec(any::<u8>(), 0..48),
            proptest::collection::vec(any::<u8>(), 0..48),
            proptest::collection::vec(any::<u8>(), 0..48),
        )
            .prop_map(|(h, p, s)| Item::Bytes(
                format!(
                    "{}.{}.{}",
                    base64url::encode(h),
                    base64url::encode(p),
                    base64url::encode(s)
                )
                .into_bytes()
            )),
        any::<u64>().prop_map(Item::Int),
        any::<bool>().prop_map(Item::Bool),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        proptest::collection::vec(inner, 0..4).prop_map(Item::Array)
    })
}

fn json_leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,48}".prop_map(serde_json::Value::from),
        // Timestamps around the verification time.
        (NOW_MS - 120_000..NOW_MS + 120_000).prop_map(serde_json::Value::from),
    ]
}

/// One ES256 SafetyNet chain for all property cases (key generation is the slow part).
static CHAIN: LazyLock<Chain> = LazyLock::new(Chain::es256);

proptest! {
    #[test]
    fn never_panics_on_random_statements(
        entries in proptest::collection::vec(
            (prop_oneof![
                Just("ver".to_owned()),
                Just("response".to_owned()),
                Just("x5c".to_owned()),
                ".{0,8}",
            ], item()),
            0..4,
        ),
    ) {
        let case = Case::new();
        let map: Vec<(Value<'_>, Value<'_>)> = entries
            .iter()
            .map(|(k, v)| (Value::Text(k), v.value()))
            .collect();
        let result = case.verify(&Value::Map(map));
        prop_assert!(result.is_err());
    }

    #[test]
    fn never_panics_on_random_signed_payloads(
        fields in proptest::collection::btree_map(
            prop_oneof![
                Just("nonce".to_owned()),
                Just("timestampMs".to_owned()),
                Just("ctsProfileMatch".to_owned()),
                Just("basicIntegrity".to_owned()),
                ".{0,8}",
            ],
            json_leaf(),
            0..6,
        ),
        right_nonce in any::<bool>(),
    ) {
        let case = Case::new();
        let mut payload: Map<String, serde_json::Value> = fields.into_iter().collect();
        if right_nonce {
            payload.insert("nonce".to_owned(), json!(case.nonce()));
        }
        let result = case.verify_payload(&CHAIN, &serde_json::Value::Object(payload.clone()));
        // Accepted only when every check of the default policy holds.
        let accepted = payload.get("nonce") == Some(&json!(case.nonce()))
            && payload.get("ctsProfileMatch") == Some(&json!(true))
            && payload.get("basicIntegrity").is_none_or(serde_json::Value::is_boolean)
            && payload
                .get("timestampMs")
                .and_then(serde_json::Value::as_u64)
                .is_some_and(|ms| (NOW_MS - 60_000..=NOW_MS + 10_000).contains(&ms));
        prop_assert_eq!(result.is_ok(), accepted, "{:?}", result);
    }

    #[test]
    fn never_panics_on_random_jws_headers(
        header in proptest::collection::btree_map(
            prop_oneof![Just("alg".to_owned()), Just("x5c".to_owned()), ".{0,6}"],
            prop_oneof![
                json_leaf(),
                Just(json!("ES256")),
                Just(json!("none")),
                proptest::collection::vec(".{0,12}", 0..3).prop_map(serde_json::Value::from),
            ],
            0..4,
        ),
    ) {
        let case = Case::new();
        let header = serde_json::Value::Object(header.into_iter().collect());
        let response = CHAIN.response_with(&header, case.payload().to_string().as_bytes());
        prop_assert!(case.verify_response(&response).is_err());
    }
}
