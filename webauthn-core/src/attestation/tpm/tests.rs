//! Unit tests of the `tpm` format: statements built and signed here (an rcgen test CA issues
//! the AIK certificate; certInfo and pubArea are marshalled by hand), one change per test.

use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256, SigningKey as _,
};
use ring::digest;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};

use super::structures::{Attest, Attested, PublicArea, TpmPublicKey};
use super::*;
use crate::attestation::AttestationFormat;
use crate::authenticator_data::AuthenticatorData;
use crate::cose::{CoseAlgorithm, CredentialPublicKey};
use crate::error::MalformedInput;
use crate::policy::AttestationPolicy;
use crate::time::UnixTime;

const AAGUID: [u8; 16] = *b"anshin-tpm-test!";
const TCG_MANUFACTURER: [u64; 5] = [2, 23, 133, 2, 1];
const TCG_MODEL: [u64; 5] = [2, 23, 133, 2, 2];
const TCG_VERSION: [u64; 5] = [2, 23, 133, 2, 3];
const TCG_KP_AIK: [u64; 5] = [2, 23, 133, 8, 3];
const SAN: [u64; 4] = [2, 5, 29, 17];
const FIDO_AAGUID_EXTENSION: [u64; 10] = [1, 3, 6, 1, 4, 1, 45724, 1, 1, 4];

// --- DER and TPM marshalling helpers -------------------------------------------------------

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = u16::try_from(content.len()).unwrap();
    let [high, low] = len.to_be_bytes();
    match len {
        0..=127 => out.push(low),
        128..=255 => out.extend_from_slice(&[0x81, low]),
        _ => out.extend_from_slice(&[0x82, high, low]),
    }
    out.extend_from_slice(content);
    out
}

fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = vec![];
    let mut push_arc = |mut arc: u64| {
        let mut bytes = vec![u8::try_from(arc & 0x7f).unwrap()];
        arc >>= 7;
        while arc > 0 {
            bytes.push(0x80 | u8::try_from(arc & 0x7f).unwrap());
            arc >>= 7;
        }
        bytes.reverse();
        body.extend(bytes);
    };
    push_arc(arcs[0] * 40 + arcs[1]);
    for arc in &arcs[2..] {
        push_arc(*arc);
    }
    tlv(0x06, &body)
}

/// An AttributeTypeAndValue with a UTF8String value.
fn atv(arcs: &[u64], value: &str) -> Vec<u8> {
    tlv(0x30, &[oid(arcs), tlv(0x0C, value.as_bytes())].concat())
}

/// A Subject Alternative Name (GeneralNames) with one directoryName of these RDNs.
fn san_with_rdns(rdns: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let rdn_sequence: Vec<u8> = rdns
        .iter()
        .flat_map(|atvs| tlv(0x31, &atvs.concat()))
        .collect();
    let directory_name = tlv(0xA4, &tlv(0x30, &rdn_sequence));
    tlv(0x30, &directory_name)
}

/// The TPM identity as Windows puts it: one multi-valued RDN.
fn tpm_san() -> Vec<u8> {
    san_with_rdns(&[vec![
        atv(&TCG_VERSION, "id:13"),
        atv(&TCG_MODEL, "NPCT6xx"),
        atv(&TCG_MANUFACTURER, "id:4E544300"),
    ]])
}

fn tpm2b(bytes: &[u8]) -> Vec<u8> {
    let mut out = u16::try_from(bytes.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A TPMT_PUBLIC for an EC key, as Windows Hello produces it.
fn ecc_pub_area(curve: u16, x: &[u8], y: &[u8]) -> Vec<u8> {
    [
        &0x0023u16.to_be_bytes()[..], // type: TPM_ALG_ECC
        &0x000Bu16.to_be_bytes(),     // nameAlg: TPM_ALG_SHA256
        &0x0004_0072u32.to_be_bytes(),
        &tpm2b(&[]),              // authPolicy
        &0x0010u16.to_be_bytes(), // symmetric: TPM_ALG_NULL
        &0x0010u16.to_be_bytes(), // scheme: TPM_ALG_NULL
        &curve.to_be_bytes(),     // curveID
        &0x0010u16.to_be_bytes(), // kdf: TPM_ALG_NULL
        &tpm2b(x),
        &tpm2b(y),
    ]
    .concat()
}

/// A TPMT_PUBLIC for an RSA key; `exponent` 0 stands for 65537.
fn rsa_pub_area(exponent: u32, modulus: &[u8]) -> Vec<u8> {
    let key_bits = u16::try_from(modulus.len() * 8).unwrap();
    [
        &0x0001u16.to_be_bytes()[..], // type: TPM_ALG_RSA
        &0x000Bu16.to_be_bytes(),     // nameAlg: TPM_ALG_SHA256
        &0x0006_0472u32.to_be_bytes(),
        &tpm2b(&[0x9d; 32]),      // authPolicy
        &0x0010u16.to_be_bytes(), // symmetric: TPM_ALG_NULL
        &0x0014u16.to_be_bytes(), // scheme: TPM_ALG_RSASSA
        &0x000Bu16.to_be_bytes(), //   hashAlg: TPM_ALG_SHA256
        &key_bits.to_be_bytes(),
        &exponent.to_be_bytes(),
        &tpm2b(modulus),
    ]
    .concat()
}

/// A TPMS_ATTEST.
fn marshal_cert_info(magic: u32, attest_type: u16, extra_data: &[u8], name: &[u8]) -> Vec<u8> {
    [
        &magic.to_be_bytes()[..],
        &attest_type.to_be_bytes(),
        &tpm2b(&sha256_name(b"the AIK")), // qualifiedSigner
        &tpm2b(extra_data),
        &[0x11; 17], // clockInfo, ignored
        &[0x22; 8],  // firmwareVersion, ignored
        &tpm2b(name),
        &tpm2b(&sha256_name(b"qualified")), // qualifiedName
    ]
    .concat()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// The Name of a pubArea whose nameAlg is SHA-256.
fn sha256_name(pub_area: &[u8]) -> Vec<u8> {
    [&0x000Bu16.to_be_bytes()[..], &sha256(pub_area)].concat()
}

/// A 2048-bit RSA modulus: the tests never sign with it, so any odd 2048-bit number will do.
fn rsa_modulus(seed: u8) -> Vec<u8> {
    let mut n: Vec<u8> = (0..=255u8).map(|i| i.wrapping_mul(31) ^ seed).collect();
    n[0] = 0xC5;
    n[255] |= 1;
    n
}

fn ec_cose(point: &[u8]) -> Vec<u8> {
    let mut cose = vec![0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    cose.extend_from_slice(&point[1..33]);
    cose.extend_from_slice(&[0x22, 0x58, 0x20]);
    cose.extend_from_slice(&point[33..65]);
    cose
}

fn rsa_cose(n: &[u8]) -> Vec<u8> {
    // {1: 3, 3: -257, -1: n, -2: 65537}
    let mut cose = vec![
        0xA4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20, 0x59, 0x01, 0x00,
    ];
    cose.extend_from_slice(n);
    cose.extend_from_slice(&[0x21, 0x43, 0x01, 0x00, 0x01]);
    cose
}

fn new_p256_point() -> Vec<u8> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    pair.public_key().as_ref().to_vec()
}

// --- AIK certificates ----------------------------------------------------------------------

/// How to issue the AIK certificate: §8.3.1-conformant by default.
struct AikProfile {
    subject_cn: Option<&'static str>,
    /// The Subject Alternative Name value and whether it is critical.
    san: Option<(Vec<u8>, bool)>,
    eku: Vec<Vec<u64>>,
    ca: bool,
    aaguid: Option<[u8; 16]>,
}

impl Default for AikProfile {
    fn default() -> Self {
        Self {
            subject_cn: None,
            san: Some((tpm_san(), true)),
            eku: vec![TCG_KP_AIK.to_vec()],
            ca: false,
            aaguid: None,
        }
    }
}

struct Aik {
    key: KeyPair,
    der: Vec<u8>,
    ca_der: Vec<u8>,
}

fn issue_aik(profile: &AikProfile) -> Aik {
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "anshin test TPM CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_der = ca_params.self_signed(&ca_key).unwrap().der().to_vec();
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    if let Some(cn) = profile.subject_cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    params.is_ca = if profile.ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    params.extended_key_usages = profile
        .eku
        .iter()
        .map(|arcs| ExtendedKeyUsagePurpose::Other(arcs.clone()))
        .collect();
    if let Some((san, critical)) = &profile.san {
        let mut ext = CustomExtension::from_oid_content(&SAN, san.clone());
        ext.set_criticality(*critical);
        params.custom_extensions.push(ext);
    }
    if let Some(aaguid) = profile.aaguid {
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &FIDO_AAGUID_EXTENSION,
                tlv(0x04, &aaguid),
            ));
    }
    let der = params.signed_by(&key, &issuer).unwrap().der().to_vec();
    Aik { key, der, ca_der }
}

// --- Statements ----------------------------------------------------------------------------

/// A `tpm` statement, valid until a test changes one of its parts.
struct Statement {
    auth_data: Vec<u8>,
    client_data_hash: [u8; 32],
    pub_area: Vec<u8>,
    magic: u32,
    attest_type: u16,
    /// None: the SHA-256 hash of authData || clientDataHash.
    extra_data: Option<Vec<u8>>,
    /// None: the Name of `pub_area`.
    name: Option<Vec<u8>>,
    cert_info_suffix: Vec<u8>,
    /// Replaces the marshalled certInfo (and its signature is made over these bytes).
    cert_info_override: Option<Vec<u8>>,
    aik: Aik,
    alg: i64,
    allow_legacy: bool,
    ver: &'static str,
    extra_field: bool,
    omit_x5c: bool,
}

impl Statement {
    /// An EC P-256 credential.
    fn new() -> Self {
        let point = new_p256_point();
        let pub_area = ecc_pub_area(0x0003, &point[1..33], &point[33..]);
        Self::with_credential(&ec_cose(&point), pub_area)
    }

    /// An RSA credential.
    fn new_rsa() -> Self {
        let n = rsa_modulus(7);
        Self::with_credential(&rsa_cose(&n), rsa_pub_area(0, &n))
    }

    fn with_credential(cose: &[u8], pub_area: Vec<u8>) -> Self {
        let mut auth_data = sha256(b"example.org");
        auth_data.push(0x45); // UP, UV, AT
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&AAGUID);
        auth_data.extend_from_slice(&16u16.to_be_bytes());
        auth_data.extend_from_slice(b"credential-id-16");
        auth_data.extend_from_slice(cose);
        Self {
            auth_data,
            client_data_hash: [0x42; 32],
            pub_area,
            magic: 0xff54_4347,
            attest_type: 0x8017,
            extra_data: None,
            name: None,
            cert_info_suffix: vec![],
            cert_info_override: None,
            aik: issue_aik(&AikProfile::default()),
            alg: -7,
            allow_legacy: false,
            ver: "2.0",
            extra_field: false,
            omit_x5c: false,
        }
    }

    fn with_aik(mut self, profile: &AikProfile) -> Self {
        self.aik = issue_aik(profile);
        self
    }

    fn cert_info(&self) -> Vec<u8> {
        if let Some(raw) = &self.cert_info_override {
            return raw.clone();
        }
        let extra_data = self
            .extra_data
            .clone()
            .unwrap_or_else(|| sha256(&[&self.auth_data[..], &self.client_data_hash].concat()));
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| sha256_name(&self.pub_area));
        let mut cert_info = marshal_cert_info(self.magic, self.attest_type, &extra_data, &name);
        cert_info.extend_from_slice(&self.cert_info_suffix);
        cert_info
    }

    fn verify(&self) -> Result<AttestationVerified, Error> {
        let cert_info = self.cert_info();
        let sig = self.aik.key.sign(&cert_info).unwrap();
        let x5c = Value::Array(vec![
            Value::Bytes(&self.aik.der),
            Value::Bytes(&self.aik.ca_der),
        ]);
        let alg = if self.alg < 0 {
            Value::Negative(u64::try_from(-1 - self.alg).unwrap())
        } else {
            Value::Unsigned(u64::try_from(self.alg).unwrap())
        };
        let mut map = vec![
            (Value::Text("ver"), Value::Text(self.ver)),
            (Value::Text("alg"), alg),
            (Value::Text("sig"), Value::Bytes(&sig)),
            (Value::Text("certInfo"), Value::Bytes(&cert_info)),
            (Value::Text("pubArea"), Value::Bytes(&self.pub_area)),
        ];
        if !self.omit_x5c {
            map.push((Value::Text("x5c"), x5c));
        }
        if self.extra_field {
            map.push((Value::Text("ecdaaKeyId"), Value::Bytes(b"key id")));
        }
        let att_stmt = Value::Map(map);
        let auth_data = AuthenticatorData::parse(&self.auth_data).unwrap();
        let attested = auth_data.attested_credential_data.as_ref().unwrap();
        let credential_key =
            CredentialPublicKey::from_cose(attested.credential_public_key).unwrap();
        let policy = AttestationPolicy::any();
        verify(&StatementInputs {
            format: AttestationFormat::Tpm,
            att_stmt: &att_stmt,
            auth_data: &auth_data,
            attested,
            credential_key: &credential_key,
            client_data_hash: &self.client_data_hash,
            allow_legacy_algorithms: self.allow_legacy,
            policy: &policy,
            now: UnixTime::from_secs(1_700_000_000),
        })
    }
}

/// The error code of a rejection, and its message.
#[track_caller]
fn rejected(statement: &Statement) -> (&'static str, String) {
    match statement.verify() {
        Ok(_) => panic!("the statement was accepted"),
        Err(e) => (e.code(), e.to_string()),
    }
}

#[track_caller]
fn assert_rejected(statement: &Statement, code: &str, message_part: &str) {
    let (actual, message) = rejected(statement);
    assert_eq!(actual, code, "{message}");
    assert!(
        message.contains(message_part),
        "{message:?} does not mention {message_part:?}"
    );
}

#[track_caller]
fn malformed_input(statement: &Statement) -> MalformedInput {
    match statement.verify() {
        Err(Error::Malformed(m)) => m,
        other => panic!("expected a malformed-input error, got {other:?}"),
    }
}

// --- Accepted statements -------------------------------------------------------------------

#[test]
fn accepts_an_ec_credential_as_attca_with_x5c_as_trust_path() {
    let statement = Statement::new();
    let verified = statement.verify().unwrap();
    assert_eq!(verified.attestation_type, AttestationType::AttCa);
    assert_eq!(
        verified.trust_path,
        vec![statement.aik.der.clone(), statement.aik.ca_der]
    );
}

#[test]
fn accepts_an_rsa_credential_with_the_default_exponent() {
    Statement::new_rsa().verify().unwrap();
    // The exponent written out is the same key.
    let mut statement = Statement::new_rsa();
    statement.pub_area = rsa_pub_area(65537, &rsa_modulus(7));
    statement.verify().unwrap();
}

#[test]
fn accepts_the_tpm_identity_in_one_rdn_per_attribute() {
    let san = san_with_rdns(&[
        vec![atv(&TCG_MANUFACTURER, "id:53544D20")],
        vec![atv(&TCG_MODEL, "ST33HTPHAHC0")],
        vec![atv(&TCG_VERSION, "id:00490008")],
    ]);
    Statement::new()
        .with_aik(&AikProfile {
            san: Some((san, true)),
            ..AikProfile::default()
        })
        .verify()
        .unwrap();
}

#[test]
fn accepts_a_matching_aaguid_extension() {
    Statement::new()
        .with_aik(&AikProfile {
            aaguid: Some(AAGUID),
            ..AikProfile::default()
        })
        .verify()
        .unwrap();
}

#[test]
fn compares_ec_coordinates_as_unsigned_integers() {
    // A coordinate with a leading zero byte may be sent without it; find such a key.
    let point = loop {
        let p = new_p256_point();
        if p[1] == 0 {
            break p;
        }
    };
    let mut statement = Statement::with_credential(
        &ec_cose(&point),
        ecc_pub_area(0x0003, &point[2..33], &point[33..]),
    );
    statement.verify().unwrap();
    statement.pub_area = ecc_pub_area(0x0003, &point[1..33], &point[33..]);
    statement.verify().unwrap();
    // ... or with one more.
    let padded_y = [&[0][..], &point[33..]].concat();
    statement.pub_area = ecc_pub_area(0x0003, &point[1..33], &padded_y);
    statement.verify().unwrap();
    // A 33-byte magnitude is not a P-256 coordinate.
    let long_y = [&[1][..], &point[33..]].concat();
    statement.pub_area = ecc_pub_area(0x0003, &point[1..33], &long_y);
    assert_rejected(
        &statement,
        "attestation_invalid",
        "pubArea.unique holds a 33-byte coordinate, longer than the curve's 32 bytes",
    );
}

// --- certInfo checks -----------------------------------------------------------------------

#[test]
fn rejects_a_wrong_magic() {
    let mut statement = Statement::new();
    statement.magic = 0xff54_4348;
    assert_rejected(
        &statement,
        "attestation_invalid",
        "certInfo.magic is 0xff544348, expected TPM_GENERATED_VALUE (0xff544347)",
    );
}

#[test]
fn rejects_a_type_other_than_attest_certify() {
    let mut statement = Statement::new();
    statement.attest_type = 0x8018; // TPM_ST_ATTEST_QUOTE
    assert_rejected(
        &statement,
        "attestation_invalid",
        "certInfo.type is 0x8018, expected TPM_ST_ATTEST_CERTIFY (0x8017)",
    );
}

#[test]
fn rejects_extra_data_that_is_not_the_hash_of_att_to_be_signed() {
    let mut statement = Statement::new();
    statement.extra_data = Some(sha256(b"another registration"));
    assert_rejected(
        &statement,
        "attestation_invalid",
        "certInfo.extraData (32 bytes) is not the SHA-256 hash",
    );
    // The SHA-1 hash does not do for ES256 either.
    let mut statement = Statement::new();
    let att_to_be_signed = [&statement.auth_data[..], &statement.client_data_hash].concat();
    statement.extra_data = Some(
        digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &att_to_be_signed)
            .as_ref()
            .to_vec(),
    );
    assert_rejected(
        &statement,
        "attestation_invalid",
        "certInfo.extraData (20 bytes) is not the SHA-256 hash",
    );
}

#[test]
fn rejects_a_name_that_is_not_the_name_of_pub_area() {
    let mut statement = Statement::new();
    statement.name = Some(sha256_name(b"another object"));
    assert_rejected(
        &statement,
        "attestation_invalid",
        "certInfo.attested.name is not the Name of pubArea",
    );
    // The right digest under another nameAlg.
    let mut statement = Statement::new();
    let mut name = sha256_name(&statement.pub_area);
    name[1] = 0x0C;
    statement.name = Some(name);
    assert_rejected(&statement, "attestation_invalid", "TPM_ALG_SHA384 (0x000C)");
}

#[test]
fn rejects_a_signature_that_does_not_verify() {
    let mut statement = Statement::new();
    let other = issue_aik(&AikProfile::default());
    statement.aik.key = other.key;
    assert_rejected(
        &statement,
        "attestation_invalid",
        "sig does not verify over certInfo",
    );
}

// --- pubArea checks ------------------------------------------------------------------------

#[test]
fn rejects_a_pub_area_with_another_key() {
    let mut statement = Statement::new();
    let other = new_p256_point();
    statement.pub_area = ecc_pub_area(0x0003, &other[1..33], &other[33..]);
    assert_rejected(
        &statement,
        "attestation_invalid",
        "pubArea.unique (the EC point) differs from the credential public key",
    );
}

#[test]
fn rejects_a_pub_area_on_another_curve() {
    let mut statement = Statement::new();
    let point = {
        let auth_data = AuthenticatorData::parse(&statement.auth_data).unwrap();
        let cose = auth_data
            .attested_credential_data
            .unwrap()
            .credential_public_key;
        [&[0x04][..], &cose[10..42], &cose[45..77]].concat()
    };
    statement.pub_area = ecc_pub_area(0x0004, &point[1..33], &point[33..]);
    assert_rejected(
        &statement,
        "attestation_invalid",
        "pubArea.parameters.curveID is TPM_ECC_NIST_P384 (0x0004), the credential public key is EC P-256",
    );
}

#[test]
fn rejects_a_pub_area_of_another_key_type() {
    let mut statement = Statement::new();
    statement.pub_area = rsa_pub_area(0, &rsa_modulus(7));
    assert_rejected(
        &statement,
        "attestation_invalid",
        "pubArea holds an RSA key, the credential public key is EC P-256",
    );
}

#[test]
fn rejects_an_rsa_pub_area_with_another_modulus_or_exponent() {
    let mut statement = Statement::new_rsa();
    statement.pub_area = rsa_pub_area(0, &rsa_modulus(8));
    assert_rejected(
        &statement,
        "attestation_invalid",
        "pubArea.unique (the RSA modulus) differs",
    );
    let mut statement = Statement::new_rsa();
    statement.pub_area = rsa_pub_area(3, &rsa_modulus(7));
    assert_rejected(
        &statement,
        "attestation_invalid",
        "pubArea.parameters.exponent is 3, the credential public key's exponent is 65537",
    );
}

#[test]
fn rejects_an_unsupported_name_alg() {
    let mut statement = Statement::new();
    statement.pub_area[2..4].copy_from_slice(&0x0012u16.to_be_bytes()); // TPM_ALG_SM3_256
    assert_rejected(
        &statement,
        "attestation_invalid",
        "pubArea.nameAlg is TPM_ALG_SM3_256 (0x0012)",
    );
}

// --- AIK certificate requirements (§8.3.1) -------------------------------------------------

#[test]
fn rejects_an_aik_certificate_without_the_aik_eku() {
    let statement = Statement::new().with_aik(&AikProfile {
        eku: vec![vec![1, 3, 6, 1, 5, 5, 7, 3, 2]], // id-kp-clientAuth
        ..AikProfile::default()
    });
    assert_rejected(
        &statement,
        "attestation_invalid",
        "Extended Key Usage is [1.3.6.1.5.5.7.3.2]; it must contain tcg-kp-AIKCertificate (2.23.133.8.3)",
    );
    let statement = Statement::new().with_aik(&AikProfile {
        eku: vec![],
        ..AikProfile::default()
    });
    assert_rejected(
        &statement,
        "attestation_invalid",
        "has no Extended Key Usage extension",
    );
}

#[test]
fn rejects_an_aik_certificate_with_a_subject() {
    let statement = Statement::new().with_aik(&AikProfile {
        subject_cn: Some("TPM AIK"),
        ..AikProfile::default()
    });
    assert_rejected(
        &statement,
        "attestation_invalid",
        "subject must be empty, it is \"CN=TPM AIK\"",
    );
}

#[test]
fn rejects_an_aik_certificate_without_subject_alternative_name() {
    let statement = Statement::new().with_aik(&AikProfile {
        san: None,
        ..AikProfile::default()
    });
    assert_rejected(
        &statement,
        "attestation_invalid",
        "has no Subject Alternative Name extension",
    );
}

#[test]
fn rejects_a_subject_alternative_name_that_is_not_critical() {
    let statement = Statement::new().with_aik(&AikProfile {
        san: Some((tpm_san(), false)),
        ..AikProfile::default()
    });
    assert_rejected(&statement, "attestation_invalid", "must be critical");
}

#[test]
fn rejects_an_incomplete_or_ill_formed_tpm_identity() {
    let cases = [
        (
            san_with_rdns(&[vec![
                atv(&TCG_MANUFACTURER, "id:4E544300"),
                atv(&TCG_VERSION, "id:13"),
            ]]),
            "no directoryName with tpmModel (2.23.133.2.2)",
        ),
        (
            san_with_rdns(&[vec![atv(&TCG_MODEL, "NPCT6xx"), atv(&TCG_VERSION, "id:13")]]),
            "no directoryName with tpmManufacturer (2.23.133.2.1)",
        ),
        (
            san_with_rdns(&[vec![
                atv(&TCG_MANUFACTURER, "Nuvoton"),
                atv(&TCG_MODEL, "NPCT6xx"),
                atv(&TCG_VERSION, "id:13"),
            ]]),
            "tpmManufacturer is \"Nuvoton\", expected \"id:\" and 8 hex digits",
        ),
        (
            san_with_rdns(&[
                vec![
                    atv(&TCG_MANUFACTURER, "id:4E544300"),
                    atv(&TCG_MODEL, "NPCT6xx"),
                    atv(&TCG_VERSION, "id:13"),
                ],
                vec![atv(&TCG_MODEL, "NPCT7xx")],
            ]),
            "has tpmModel twice",
        ),
        (
            // A dNSName instead of the directoryName.
            tlv(0x30, &tlv(0x82, b"tpm.example")),
            "no directoryName with tpmManufacturer",
        ),
    ];
    for (san, message) in cases {
        let statement = Statement::new().with_aik(&AikProfile {
            san: Some((san, true)),
            ..AikProfile::default()
        });
        assert_rejected(&statement, "attestation_invalid", message);
    }
}

#[test]
fn rejects_a_ca_aik_certificate() {
    let statement = Statement::new().with_aik(&AikProfile {
        ca: true,
        ..AikProfile::default()
    });
    assert_rejected(
        &statement,
        "attestation_invalid",
        "is a CA certificate (Basic Constraints CA is true)",
    );
}

#[test]
fn rejects_an_aaguid_extension_that_differs() {
    let statement = Statement::new().with_aik(&AikProfile {
        aaguid: Some([7; 16]),
        ..AikProfile::default()
    });
    assert_rejected(
        &statement,
        "attestation_invalid",
        "AAGUID extension (1.3.6.1.4.1.45724.1.1.4)",
    );
}

// --- Algorithms ----------------------------------------------------------------------------

#[test]
fn rejects_an_unknown_alg() {
    let mut statement = Statement::new();
    statement.alg = -999;
    assert_rejected(&statement, "unsupported_algorithm", "-999");
}

#[test]
fn rejects_rs1_unless_legacy_algorithms_are_enabled() {
    let mut statement = Statement::new();
    statement.alg = CoseAlgorithm::RS1.0;
    assert_rejected(&statement, "unsupported_algorithm", "legacy");
    // Enabled, RS1 is verified as any algorithm: here it does not fit the AIK's EC key.
    statement.allow_legacy = true;
    assert_rejected(
        &statement,
        "attestation_invalid",
        "does not fit the AIK certificate's EC P-256 key",
    );
}

#[test]
fn rejects_eddsa_which_has_no_hash_for_extra_data() {
    let mut statement = Statement::new();
    statement.alg = CoseAlgorithm::EDDSA.0;
    assert_rejected(&statement, "unsupported_algorithm", "EdDSA");
}

// --- Statement syntax ----------------------------------------------------------------------

#[test]
fn rejects_statements_outside_the_syntax() {
    let mut statement = Statement::new();
    statement.ver = "1.2";
    assert_rejected(
        &statement,
        "malformed_attestation",
        "is \"1.2\", expected \"2.0\"",
    );
    let mut statement = Statement::new();
    statement.extra_field = true;
    assert_rejected(&statement, "malformed_attestation", "attStmt.ecdaaKeyId");
    let mut statement = Statement::new();
    statement.omit_x5c = true;
    assert_rejected(&statement, "malformed_attestation", "attStmt.x5c");
}

// --- Structure decoding --------------------------------------------------------------------

#[test]
fn rejects_trailing_bytes_in_cert_info() {
    let mut statement = Statement::new();
    statement.cert_info_suffix = vec![0];
    let full_len = statement.cert_info().len();
    let m = malformed_input(&statement);
    assert_eq!(m.code(), "malformed_attestation");
    assert_eq!(m.field, "attStmt.certInfo");
    assert_eq!(m.offset, Some(full_len - 1));
    assert!(m.problem.contains("1 bytes after the end"), "{m}");
}

#[test]
fn rejects_trailing_bytes_in_pub_area() {
    let mut statement = Statement::new();
    statement.pub_area.extend_from_slice(&[0, 0]);
    let m = malformed_input(&statement);
    assert_eq!(m.code(), "malformed_attestation");
    assert_eq!(m.field, "attStmt.pubArea");
    assert_eq!(m.offset, Some(statement.pub_area.len() - 2));
}

#[test]
fn rejects_every_truncation_of_cert_info_and_pub_area() {
    let mut statement = Statement::new();
    let cert_info = statement.cert_info();
    for len in 0..cert_info.len() {
        statement.cert_info_override = Some(cert_info[..len].to_vec());
        let (code, message) = rejected(&statement);
        assert_eq!(
            code, "malformed_attestation",
            "certInfo[..{len}]: {message}"
        );
    }
    statement.cert_info_override = None;
    let ecc = statement.pub_area.clone();
    for pub_area in [ecc, rsa_pub_area(0, &rsa_modulus(7))] {
        for len in 0..pub_area.len() {
            statement.pub_area = pub_area[..len].to_vec();
            let (code, message) = rejected(&statement);
            assert_eq!(code, "malformed_attestation", "pubArea[..{len}]: {message}");
        }
    }
}

#[test]
fn rejects_sizes_beyond_the_tpm2b_limits() {
    // An authPolicy of 65 bytes: a TPM2B_DIGEST holds at most 64.
    let point = new_p256_point();
    let mut pub_area = ecc_pub_area(0x0003, &point[1..33], &point[33..]);
    pub_area.splice(8..10, tpm2b(&[0; 65]));
    let error = PublicArea::parse(&pub_area).unwrap_err();
    assert_eq!(error.field, "pubArea.authPolicy");
    assert_eq!(error.offset, 8);
}

#[test]
fn rejects_key_bits_that_disagree_with_the_modulus() {
    let mut pub_area = rsa_pub_area(0, &rsa_modulus(1));
    // keyBits is at offset 2 + 2 + 4 + (2 + 32) + 2 + 4 = 48.
    pub_area[48..50].copy_from_slice(&3072u16.to_be_bytes());
    let error = PublicArea::parse(&pub_area).unwrap_err();
    assert_eq!(error.field, "pubArea.parameters.keyBits");
    assert!(error.problem.contains("is 3072"), "{}", error.problem);
}

#[test]
fn rejects_unknown_types_and_schemes() {
    let point = new_p256_point();
    let pub_area = ecc_pub_area(0x0003, &point[1..33], &point[33..]);
    let mut keyed_hash = pub_area.clone();
    keyed_hash[0..2].copy_from_slice(&0x0008u16.to_be_bytes());
    let error = PublicArea::parse(&keyed_hash).unwrap_err();
    assert_eq!(error.field, "pubArea.type");
    assert!(
        error.problem.contains("TPM_ALG_KEYEDHASH (0x0008)"),
        "{}",
        error.problem
    );
    let mut rsa_scheme_on_ecc = pub_area;
    rsa_scheme_on_ecc[12..14].copy_from_slice(&0x0014u16.to_be_bytes());
    let error = PublicArea::parse(&rsa_scheme_on_ecc).unwrap_err();
    assert_eq!(error.field, "pubArea.parameters.scheme");
}

#[test]
fn decodes_the_fields_verification_uses() {
    let n = rsa_modulus(3);
    let rsa = rsa_pub_area(0, &n);
    let public = PublicArea::parse(&rsa).unwrap();
    assert_eq!(public.name_alg, AlgId::SHA256);
    assert_eq!(
        public.key,
        TpmPublicKey::Rsa {
            exponent: 65537,
            modulus: &n
        }
    );
    let statement = Statement::new();
    let cert_info = statement.cert_info();
    let attest = Attest::parse(&cert_info).unwrap();
    assert_eq!(attest.magic, 0xff54_4347);
    assert_eq!(attest.attest_type, 0x8017);
    assert_eq!(attest.extra_data.len(), 32);
    assert_eq!(
        attest.attested,
        Attested::Certify {
            name: &sha256_name(&statement.pub_area)
        }
    );
    // Another attestation type: the union is not decoded.
    let mut quote = cert_info;
    quote[4..6].copy_from_slice(&0x8018u16.to_be_bytes());
    quote.truncate(4 + 2 + 36 + 34 + 17 + 8);
    assert_eq!(Attest::parse(&quote).unwrap().attested, Attested::Other);
}

/// A valid certInfo and EC pubArea, without the certificates a statement needs.
fn valid_structures() -> (Vec<u8>, Vec<u8>) {
    let point = new_p256_point();
    let pub_area = ecc_pub_area(0x0003, &point[1..33], &point[33..]);
    let cert_info = marshal_cert_info(0xff54_4347, 0x8017, &[1; 32], &sha256_name(&pub_area));
    (cert_info, pub_area)
}

proptest! {
    #[test]
    fn parsers_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = PublicArea::parse(&bytes);
        let _ = Attest::parse(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_changed_valid_structures(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in any::<usize>(),
    ) {
        let (cert_info, pub_area) = valid_structures();
        for original in [cert_info, pub_area, rsa_pub_area(0, &rsa_modulus(9))] {
            let mut bytes = original.clone();
            for (index, value) in &edits {
                let i = index % bytes.len();
                bytes[i] = *value;
            }
            bytes.truncate(cut % (bytes.len() + 1) + bytes.len() / 2);
            let _ = PublicArea::parse(&bytes);
            let _ = Attest::parse(&bytes);
        }
    }
}
