use std::sync::Arc;

use base64::Engine as _;
use der::Decode as _;
use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    DistinguishedName, DnType, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber, date_time_ymd,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};

use super::*;
use crate::base64url;

const SPEC_BLOB: &str = include_str!("../../testdata/mds/spec-example-blob.jwt");
const SPEC_ROOT_PEM: &str = include_str!("../../testdata/mds/spec-example-root.crt");
const PRODUCTION_BLOB: &str = include_str!("../../testdata/mds/production-blob-2021.jwt");
const GLOBALSIGN_R3: &[u8] = include_bytes!("../../testdata/mds/globalsign-root-r3.der");

fn day(year: u16, month: u8, day: u8) -> UnixTime {
    Date::from_ymd(year, month, day).unwrap().start()
}

fn noon(year: u16, month: u8, d: u8) -> UnixTime {
    UnixTime::from_secs(day(year, month, d).as_secs() + 12 * 3600)
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .unwrap()
}

fn aaguid(text: &str) -> Aaguid {
    Aaguid::parse(text).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Published BLOBs
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_example_blob_verifies_with_its_root() {
    let root = pem_to_der(SPEC_ROOT_PEM);
    // The signing certificate is valid 2021-04-19..2031-04-17 and nextUpdate is 2020-03-30:
    // whenever the chain is valid, the BLOB is stale.
    let now = noon(2025, 6, 1);
    let err = Metadata::verify(SPEC_BLOB, &root, &[], now).unwrap_err();
    assert_eq!(err.code(), "mds_stale", "{err}");
    assert_eq!(
        err,
        MdsError::Stale {
            next_update: Date::from_ymd(2020, 3, 30).unwrap(),
            today: Date::from_ymd(2025, 6, 1).unwrap(),
        }
    );

    let metadata = Metadata::danger_verify_allowing_stale(SPEC_BLOB, &root, &[], now).unwrap();
    assert_eq!(metadata.no(), 15);
    assert_eq!(metadata.next_update().to_string(), "2020-03-30");
    assert!(metadata.is_stale(now));
    assert!(
        metadata
            .legal_header()
            .starts_with("Retrieval and use of this BLOB")
    );
    assert_eq!(metadata.entries().len(), 2);

    let fido2 = metadata
        .by_aaguid(&aaguid("0132d110-bf4e-4208-a403-ab4f5f12efe5"))
        .unwrap();
    let statement = fido2.metadata_statement.as_ref().unwrap();
    assert_eq!(
        statement.description,
        "FIDO Alliance Sample FIDO2 Authenticator"
    );
    assert_eq!(statement.protocol_family.as_deref(), Some("fido2"));
    assert_eq!(statement.schema, Some(3));
    assert_eq!(
        statement.attestation_types,
        [MetadataAttestationType::BasicFull]
    );
    assert_eq!(
        statement.authentication_algorithms,
        ["secp256r1_ecdsa_sha256_raw", "rsassa_pkcsv15_sha256_raw"]
    );
    assert!(!statement.key_protection.is_empty());
    assert!(!statement.user_verification_details.is_empty());
    assert!(
        statement
            .icon
            .as_deref()
            .unwrap()
            .starts_with("data:image/png")
    );
    // Integers stay integers (conformance Resp-5 P-5).
    let get_info = statement.authenticator_get_info.as_ref().unwrap();
    assert_eq!(get_info["maxMsgSize"].as_u64(), Some(1200));
    assert_eq!(statement.raw["description"], statement.description);
    // attestationRootCertificates decode to DER certificates.
    assert!(!fido2.attestation_root_certificates().is_empty());
    for der in fido2.attestation_root_certificates() {
        assert!(
            webpki::anchor_from_trusted_cert(&rustls_pki_types::CertificateDer::from(
                der.as_slice()
            ))
            .is_ok()
        );
    }
    // FIDO_CERTIFIED (2019-01-04), then FIDO_CERTIFIED_L1 (2020-11-19).
    assert_eq!(fido2.status_reports.len(), 2);
    assert_eq!(
        fido2.current_status(now),
        Some(&AuthenticatorStatus::FidoCertifiedL1)
    );
    assert_eq!(
        fido2.current_status(day(2020, 1, 1)),
        Some(&AuthenticatorStatus::FidoCertified)
    );
    assert!(RejectedStatuses::default().check(fido2, now).is_ok());

    let uaf = &metadata.entries()[0];
    assert_eq!(uaf.aaid.as_deref(), Some("1234#5678"));
    assert!(uaf.aaguid.is_none());
}

#[test]
fn spec_example_blob_is_refused_outside_validity_and_under_another_root() {
    let root = pem_to_der(SPEC_ROOT_PEM);
    // Before the signing certificate's notBefore.
    let err =
        Metadata::danger_verify_allowing_stale(SPEC_BLOB, &root, &[], day(2021, 1, 1)).unwrap_err();
    assert_eq!(err.code(), "mds_untrusted_signer", "{err}");
    // After its notAfter.
    let err =
        Metadata::danger_verify_allowing_stale(SPEC_BLOB, &root, &[], day(2031, 5, 1)).unwrap_err();
    assert_eq!(err.code(), "mds_untrusted_signer", "{err}");
    // Under the production root.
    let err =
        Metadata::danger_verify_allowing_stale(SPEC_BLOB, GLOBALSIGN_R3, &[], noon(2025, 6, 1))
            .unwrap_err();
    assert_eq!(err.code(), "mds_untrusted_signer", "{err}");
    // A root that is not a certificate is the caller's mistake.
    let err = Metadata::verify(SPEC_BLOB, b"not a certificate", &[], noon(2025, 6, 1)).unwrap_err();
    assert_eq!(err.code(), "mds_invalid_root", "{err}");
}

#[test]
fn production_blob_2021_verifies_with_globalsign_r3() {
    assert_eq!(GLOBALSIGN_R3, crate::roots::GLOBALSIGN_ROOT_CA_R3);
    let now = noon(2021, 11, 15);
    let metadata = Metadata::verify(PRODUCTION_BLOB, GLOBALSIGN_R3, &[], now).unwrap();
    assert_eq!(metadata.no(), 9);
    assert_eq!(metadata.next_update(), Date::from_ymd(2021, 12, 1).unwrap());
    assert!(!metadata.is_stale(now));
    assert_eq!(metadata.entries().len(), 98);
    assert_eq!(
        metadata
            .entries()
            .iter()
            .filter(|e| e.aaguid.is_some())
            .count(),
        46
    );

    // By AAGUID.
    let yubikey = metadata
        .by_aaguid(&aaguid("ee882879-721c-4913-9775-3dfcce97072a"))
        .unwrap();
    assert_eq!(
        yubikey.metadata_statement.as_ref().unwrap().description,
        "YubiKey 5 Series"
    );
    assert_eq!(
        yubikey.current_status(now),
        Some(&AuthenticatorStatus::FidoCertifiedL1)
    );
    assert!(!yubikey.attestation_root_certificates().is_empty());
    assert!(
        metadata
            .by_aaguid(&aaguid("00000000-0000-0000-0000-000000000001"))
            .is_none()
    );

    // By attestation certificate key identifier.
    let id = KeyIdentifier::parse("1434d2f277fe479c35ddf6aa4d08a07cbce99dd7").unwrap();
    let neowave = metadata.by_key_identifier(&id).unwrap();
    assert_eq!(
        neowave.metadata_statement.as_ref().unwrap().description,
        "NEOWAVE Winkeo FIDO2"
    );
    assert_eq!(
        metadata.get(&EntryKey::KeyIdentifier(id)).unwrap().aaguid,
        None
    );
    // Its root certificates carry line breaks inside the base64; they still decode.
    for der in neowave.attestation_root_certificates() {
        assert!(x509_cert::Certificate::from_der(der).is_ok());
    }

    // Two reports of the same day: the higher certification level is current, whatever
    // their order in the array.
    for bio in [
        "d8522d9f-575b-4866-88a9-ba99fa02f35b",
        "83c47309-aabb-4108-8470-8be838b573cb",
    ] {
        let entry = metadata.by_aaguid(&aaguid(bio)).unwrap();
        assert_eq!(
            entry.current_status(now),
            Some(&AuthenticatorStatus::FidoCertifiedL1),
            "{bio}"
        );
    }

    // Reports dated after `now` are not in effect yet.
    let hideez = metadata
        .by_key_identifier(
            &KeyIdentifier::parse("bf8f39a5826eb910de4e436635a530e3ecce410f").unwrap(),
        )
        .unwrap();
    assert_eq!(hideez.current_status(now), None);
    assert_eq!(
        hideez.current_status(noon(2021, 12, 10)),
        Some(&AuthenticatorStatus::FidoCertifiedL1)
    );
}

#[test]
fn production_blob_2021_is_refused_once_stale_or_expired() {
    let err = Metadata::verify(PRODUCTION_BLOB, GLOBALSIGN_R3, &[], noon(2021, 12, 2)).unwrap_err();
    assert_eq!(err.code(), "mds_stale", "{err}");
    // nextUpdate counts as a whole day.
    assert!(Metadata::verify(PRODUCTION_BLOB, GLOBALSIGN_R3, &[], noon(2021, 12, 1)).is_ok());
    // The signing certificate expired on 2022-05-14.
    let err = Metadata::danger_verify_allowing_stale(
        PRODUCTION_BLOB,
        GLOBALSIGN_R3,
        &[],
        noon(2022, 6, 1),
    )
    .unwrap_err();
    assert_eq!(err.code(), "mds_untrusted_signer", "{err}");
}

#[test]
fn production_blob_loads_into_a_store() {
    let mut store = MetadataStore::new(crate::roots::GLOBALSIGN_ROOT_CA_R3.to_vec());
    assert!(store.current().is_none());
    let loaded = store.load(PRODUCTION_BLOB, noon(2021, 11, 15)).unwrap();
    assert_eq!(loaded.previous_no, None);
    assert!(loaded.status_changes.is_empty());
    assert_eq!(store.current().unwrap().no(), 9);
    // The same BLOB again is not newer.
    let err = store.load(PRODUCTION_BLOB, noon(2021, 11, 16)).unwrap_err();
    assert_eq!(
        err,
        MdsError::NotNewer {
            current: 9,
            received: 9
        }
    );
    assert_eq!(store.current().unwrap().no(), 9);
}

// ---------------------------------------------------------------------------------------------
// A generated PKI: root → CA → signer, with CRLs
// ---------------------------------------------------------------------------------------------

/// An EC P-256 key usable both by rcgen (certificates, CRLs) and by ring (fixed-length ES256
/// JWS signatures).
struct EcKey {
    pkcs8: Vec<u8>,
}

impl EcKey {
    fn generate() -> Self {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        Self {
            pkcs8: pkcs8.as_ref().to_vec(),
        }
    }

    fn rcgen(&self) -> KeyPair {
        KeyPair::try_from(self.pkcs8.as_slice()).unwrap()
    }

    fn sign_es256(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &self.pkcs8, &rng).unwrap();
        key.sign(&rng, message).unwrap().as_ref().to_vec()
    }
}

const ROOT_SERIAL: &[u8] = &[0x10, 0x01];
const CA_SERIAL: &[u8] = &[0x20, 0x02];
const SIGNER_SERIAL: &[u8] = &[0x30, 0x03];

fn params(cn: &str, serial: &[u8], ca: bool) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "anshin test MDS");
    p.serial_number = Some(SerialNumber::from_slice(serial));
    p.not_before = date_time_ymd(2021, 1, 1);
    p.not_after = date_time_ymd(2031, 1, 1);
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
    } else {
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    p
}

struct Pki {
    root_key: EcKey,
    root: CertifiedIssuer<'static, KeyPair>,
    ca: CertifiedIssuer<'static, KeyPair>,
    signer_key: EcKey,
    signer: Vec<u8>,
}

impl Pki {
    fn new(name: &str) -> Self {
        let root_key = EcKey::generate();
        let root = CertifiedIssuer::self_signed(
            params(&format!("{name} Root"), ROOT_SERIAL, true),
            root_key.rcgen(),
        )
        .unwrap();
        let ca = CertifiedIssuer::signed_by(
            params(&format!("{name} CA"), CA_SERIAL, true),
            EcKey::generate().rcgen(),
            &*root,
        )
        .unwrap();
        let signer_key = EcKey::generate();
        let signer = params(&format!("{name} BLOB Signer"), SIGNER_SERIAL, false)
            .signed_by(&signer_key.rcgen(), &*ca)
            .unwrap()
            .der()
            .to_vec();
        Self {
            root_key,
            root,
            ca,
            signer_key,
            signer,
        }
    }

    fn root_der(&self) -> Vec<u8> {
        self.root.der().to_vec()
    }

    fn ca_der(&self) -> Vec<u8> {
        self.ca.der().to_vec()
    }

    /// A BLOB signed by the signer, with x5c = [signer, CA].
    fn blob(&self, payload: &Value) -> String {
        sign_jws(
            &x5c_header(&[&self.signer, &self.ca_der()]),
            &serde_json::to_vec(payload).unwrap(),
            &self.signer_key,
        )
    }

    /// `(root's CRL, CA's CRL)`, revoking the given serials, valid 2025-05-01..`next_update`.
    fn crls(
        &self,
        revoked_by_root: &[&[u8]],
        revoked_by_ca: &[&[u8]],
        next_update: (i32, u8, u8),
    ) -> Vec<Vec<u8>> {
        vec![
            crl(&self.root, revoked_by_root, next_update),
            crl(&self.ca, revoked_by_ca, next_update),
        ]
    }
}

fn crl(
    issuer: &rcgen::Issuer<'_, KeyPair>,
    revoked: &[&[u8]],
    (y, m, d): (i32, u8, u8),
) -> Vec<u8> {
    CertificateRevocationListParams {
        this_update: date_time_ymd(2025, 5, 1),
        next_update: date_time_ymd(y, m, d),
        crl_number: SerialNumber::from(7u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from_slice(serial),
                revocation_time: date_time_ymd(2025, 4, 1),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(issuer)
    .unwrap()
    .der()
    .to_vec()
}

fn x5c_header(chain: &[&[u8]]) -> Value {
    let x5c: Vec<String> = chain
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.encode(c))
        .collect();
    json!({"alg": "ES256", "typ": "JWT", "x5c": x5c})
}

fn sign_jws(header: &Value, payload: &[u8], key: &EcKey) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(serde_json::to_vec(header).unwrap()),
        base64url::encode(payload)
    );
    let signature = key.sign_es256(input.as_bytes());
    format!("{input}.{}", base64url::encode(signature))
}

/// The verification time of the generated BLOBs.
fn now() -> UnixTime {
    noon(2025, 6, 1)
}

const YUBI: &str = "ee882879-721c-4913-9775-3dfcce97072a";
const OTHER: &str = "0132d110-bf4e-4208-a403-ab4f5f12efe5";
const KEY_ID: &str = "1434d2f277fe479c35ddf6aa4d08a07cbce99dd7";

fn report(status: &str, date: &str) -> Value {
    json!({"status": status, "effectiveDate": date})
}

fn aaguid_entry(aaguid: &str, reports: Value) -> Value {
    let mut entry = json!({
        "aaguid": aaguid,
        "metadataStatement": {
            "legalHeader": "https://fidoalliance.org/metadata/metadata-statement-legal-header/",
            "description": format!("Test authenticator {aaguid}"),
            "aaguid": aaguid,
            "authenticatorVersion": 5,
            "protocolFamily": "fido2",
            "schema": 3,
            "upv": [{"major": 1, "minor": 0}],
            "authenticationAlgorithms": ["secp256r1_ecdsa_sha256_raw"],
            "publicKeyAlgAndEncodings": ["cose"],
            "attestationTypes": ["basic_full", "attca", "something_new"],
            "userVerificationDetails": [[{"userVerificationMethod": "presence_internal"}]],
            "keyProtection": ["hardware", "secure_element"],
            "attestationRootCertificates": [],
            "someFutureField": {"nested": [1, 2, 3]}
        },
        "statusReports": [],
        "timeOfLastStatusChange": "2024-01-01"
    });
    entry["statusReports"] = reports;
    entry
}

fn key_id_entry(id: &str, reports: Value) -> Value {
    let mut entry = json!({
        "attestationCertificateKeyIdentifiers": [id],
        "metadataStatement": {
            "description": "Test U2F key",
            "attestationCertificateKeyIdentifiers": [id],
            "protocolFamily": "u2f",
            "attestationTypes": ["basic_full"],
            "attestationRootCertificates": []
        },
        "statusReports": [],
        "timeOfLastStatusChange": "2024-01-01"
    });
    entry["statusReports"] = reports;
    entry
}

const LEGAL_HEADER: &str = "Retrieval and use of this BLOB indicates acceptance of the \
    appropriate agreement located at https://fidoalliance.org/metadata/metadata-legal-terms/";

fn payload(no: u64, next_update: &str, entries: Value) -> Value {
    let mut payload = json!({
        "legalHeader": LEGAL_HEADER,
        "no": no,
        "nextUpdate": next_update,
        "entries": []
    });
    payload["entries"] = entries;
    payload
}

fn default_entries() -> Value {
    json!([
        aaguid_entry(YUBI, json!([report("FIDO_CERTIFIED_L1", "2024-01-01")])),
        key_id_entry(KEY_ID, json!([report("FIDO_CERTIFIED", "2020-01-01")])),
    ])
}

fn good_payload(no: u64) -> Value {
    payload(no, "2025-07-01", default_entries())
}

// ---------------------------------------------------------------------------------------------
// Generated BLOBs: success
// ---------------------------------------------------------------------------------------------

#[test]
fn a_generated_blob_verifies_and_is_indexed() {
    let pki = Pki::new("Good");
    let metadata =
        Metadata::verify(&pki.blob(&good_payload(1)), &pki.root_der(), &[], now()).unwrap();
    assert_eq!(metadata.no(), 1);
    let entry = metadata.by_aaguid(&aaguid(YUBI)).unwrap();
    let statement = entry.metadata_statement.as_ref().unwrap();
    assert_eq!(statement.authenticator_version, Some(5));
    assert_eq!(
        statement.attestation_types,
        [
            MetadataAttestationType::BasicFull,
            MetadataAttestationType::AttCa,
            MetadataAttestationType::Unknown("something_new".into())
        ]
    );
    assert_eq!(
        statement.user_verification_details[0][0].user_verification_method,
        "presence_internal"
    );
    assert_eq!(statement.raw["someFutureField"]["nested"][2], 3);
    assert_eq!(entry.time_of_last_status_change, Date::from_ymd(2024, 1, 1));
    assert_eq!(
        entry.current_status(now()),
        Some(&AuthenticatorStatus::FidoCertifiedL1)
    );
    let u2f = metadata
        .by_key_identifier(&KeyIdentifier::parse(KEY_ID).unwrap())
        .unwrap();
    assert_eq!(
        u2f.current_status(now()),
        Some(&AuthenticatorStatus::FidoCertified)
    );
    // Uppercase key identifiers parse to the same key.
    assert!(
        metadata
            .by_key_identifier(&KeyIdentifier::parse(&KEY_ID.to_uppercase()).unwrap())
            .is_some()
    );
}

#[test]
fn a_blob_passes_crls_that_revoke_nothing_on_its_path() {
    let pki = Pki::new("Crl");
    let other_serial: &[u8] = &[0x55, 0x55];
    let crls = pki.crls(&[other_serial], &[other_serial], (2025, 7, 1));
    let blob = pki.blob(&good_payload(1));
    assert!(Metadata::verify(&blob, &pki.root_der(), &crls, now()).is_ok());
    // The root itself is never checked for revocation (it is the trust anchor).
    let crls = pki.crls(&[ROOT_SERIAL], &[], (2025, 7, 1));
    assert!(Metadata::verify(&blob, &pki.root_der(), &crls, now()).is_ok());
}

#[test]
fn a_blob_without_x5c_is_signed_by_the_root() {
    let pki = Pki::new("Direct");
    let header = json!({"alg": "ES256", "typ": "JWT"});
    let body = serde_json::to_vec(&good_payload(1)).unwrap();
    let blob = sign_jws(&header, &body, &pki.root_key);
    assert!(Metadata::verify(&blob, &pki.root_der(), &[], now()).is_ok());
    // Signed by anyone else, it is refused.
    let blob = sign_jws(&header, &body, &pki.signer_key);
    let err = Metadata::verify(&blob, &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(err.code(), "mds_signature_invalid", "{err}");
}

#[test]
fn integers_are_read_as_integers() {
    // Conformance Resp-5 P-5: 64-bit values in statements must not go through f64.
    let pki = Pki::new("Integers");
    let mut entry = aaguid_entry(YUBI, json!([report("FIDO_CERTIFIED", "2024-01-01")]));
    entry["metadataStatement"]["authenticatorVersion"] = json!(u64::MAX);
    entry["metadataStatement"]["authenticatorGetInfo"] = json!({
        "versions": ["FIDO_2_0"],
        "aaguid": "ee882879721c491397753dfcce97072a",
        "vendorPrototypeConfigCommands": [u64::MAX, 9_007_199_254_740_993u64]
    });
    let body = payload(u64::MAX, "2025-07-01", json!([entry]));
    let metadata = Metadata::verify(&pki.blob(&body), &pki.root_der(), &[], now()).unwrap();
    assert_eq!(metadata.no(), u64::MAX);
    let statement = metadata
        .by_aaguid(&aaguid(YUBI))
        .unwrap()
        .metadata_statement
        .as_ref()
        .unwrap();
    assert_eq!(statement.authenticator_version, Some(u64::MAX));
    let commands =
        &statement.authenticator_get_info.as_ref().unwrap()["vendorPrototypeConfigCommands"];
    assert_eq!(commands[0].as_u64(), Some(u64::MAX));
    // 2^53 + 1 is not representable as an f64.
    assert_eq!(commands[1].as_u64(), Some(9_007_199_254_740_993));

    // A `no` written as a float is refused.
    let text = serde_json::to_string(&good_payload(1))
        .unwrap()
        .replace("\"no\":1", "\"no\":1.0");
    let blob = sign_jws(
        &x5c_header(&[&pki.signer, &pki.ca_der()]),
        text.as_bytes(),
        &pki.signer_key,
    );
    let err = Metadata::verify(&blob, &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(err.code(), "mds_malformed", "{err}");
}

// ---------------------------------------------------------------------------------------------
// Generated BLOBs: every failure
// ---------------------------------------------------------------------------------------------

#[test]
fn a_bad_signature_is_refused() {
    let pki = Pki::new("BadSig");
    let blob = pki.blob(&good_payload(1));
    // Another payload under the original signature.
    let mut parts: Vec<String> = blob.split('.').map(str::to_owned).collect();
    parts[1] = base64url::encode(serde_json::to_vec(&good_payload(2)).unwrap());
    let err = Metadata::verify(&parts.join("."), &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(err.code(), "mds_signature_invalid", "{err}");
    // A flipped signature bit.
    let mut signature = base64url::decode(&parts[2]).unwrap();
    signature[5] ^= 1;
    let tampered = format!(
        "{}.{}",
        blob.rsplit_once('.').unwrap().0,
        base64url::encode(signature)
    );
    let err = Metadata::verify(&tampered, &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(err.code(), "mds_signature_invalid", "{err}");
    // Signed by a key that is not the x5c[0] certificate's.
    let blob = sign_jws(
        &x5c_header(&[&pki.signer, &pki.ca_der()]),
        &serde_json::to_vec(&good_payload(1)).unwrap(),
        &EcKey::generate(),
    );
    let err = Metadata::verify(&blob, &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(
        err,
        MdsError::SignatureInvalid("the JWS signature does not verify".into())
    );
}

#[test]
fn a_chain_to_another_root_is_refused() {
    let pki = Pki::new("Mine");
    let other = Pki::new("Other");
    let blob = other.blob(&good_payload(1));
    let err = Metadata::verify(&blob, &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(err.code(), "mds_untrusted_signer", "{err}");
    // A chain without its CA does not reach the root either.
    let blob = sign_jws(
        &x5c_header(&[&pki.signer]),
        &serde_json::to_vec(&good_payload(1)).unwrap(),
        &pki.signer_key,
    );
    let err = Metadata::verify(&blob, &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(err.code(), "mds_untrusted_signer", "{err}");
    // The CA of another PKI in the middle (conformance Server-MDS3 F-3).
    let blob = sign_jws(
        &x5c_header(&[&pki.signer, &other.ca_der()]),
        &serde_json::to_vec(&good_payload(1)).unwrap(),
        &pki.signer_key,
    );
    let err = Metadata::verify(&blob, &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(err.code(), "mds_untrusted_signer", "{err}");
    // Outside the validity of the generated certificates.
    let blob = pki.blob(&good_payload(1));
    let err = Metadata::danger_verify_allowing_stale(&blob, &pki.root_der(), &[], day(2031, 2, 1))
        .unwrap_err();
    assert_eq!(err.code(), "mds_untrusted_signer", "{err}");
}

#[test]
fn a_revoked_signing_certificate_is_refused() {
    // Conformance Server-MDS3 F-5.
    let pki = Pki::new("RevokedLeaf");
    let crls = pki.crls(&[], &[SIGNER_SERIAL], (2025, 7, 1));
    let err =
        Metadata::verify(&pki.blob(&good_payload(1)), &pki.root_der(), &crls, now()).unwrap_err();
    assert_eq!(err, MdsError::CertificateRevoked);
    assert_eq!(err.code(), "mds_certificate_revoked");
}

#[test]
fn a_revoked_intermediate_is_refused() {
    // Conformance Server-MDS3 F-4.
    let pki = Pki::new("RevokedCa");
    let crls = pki.crls(&[CA_SERIAL], &[], (2025, 7, 1));
    let err =
        Metadata::verify(&pki.blob(&good_payload(1)), &pki.root_der(), &crls, now()).unwrap_err();
    assert_eq!(err, MdsError::CertificateRevoked);
}

#[test]
fn revocation_that_cannot_be_established_is_refused() {
    let pki = Pki::new("Unknown");
    let blob = pki.blob(&good_payload(1));
    // Only the root's CRL: nothing says whether the signer is revoked.
    let crls = vec![crl(&pki.root, &[], (2025, 7, 1))];
    let err = Metadata::verify(&blob, &pki.root_der(), &crls, now()).unwrap_err();
    assert_eq!(err.code(), "mds_revocation_unknown", "{err}");
    // Expired CRLs.
    let crls = pki.crls(&[], &[], (2025, 5, 15));
    let err = Metadata::verify(&blob, &pki.root_der(), &crls, now()).unwrap_err();
    assert_eq!(err.code(), "mds_revocation_unknown", "{err}");
    // Garbage instead of a CRL is a configuration error.
    let crls = vec![b"not a CRL".to_vec()];
    let err = Metadata::verify(&blob, &pki.root_der(), &crls, now()).unwrap_err();
    assert!(
        matches!(err, MdsError::InvalidCrl { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn a_stale_blob_is_refused() {
    let pki = Pki::new("Stale");
    let blob = pki.blob(&payload(1, "2025-05-31", default_entries()));
    let err = Metadata::verify(&blob, &pki.root_der(), &[], now()).unwrap_err();
    assert_eq!(
        err,
        MdsError::Stale {
            next_update: Date::from_ymd(2025, 5, 31).unwrap(),
            today: Date::from_ymd(2025, 6, 1).unwrap(),
        }
    );
    // nextUpdate today is still fresh, until midnight UTC.
    let blob = pki.blob(&payload(1, "2025-06-01", default_entries()));
    assert!(Metadata::verify(&blob, &pki.root_der(), &[], now()).is_ok());
    let last_second = UnixTime::from_secs(day(2025, 6, 2).as_secs() - 1);
    assert!(Metadata::verify(&blob, &pki.root_der(), &[], last_second).is_ok());
    let err = Metadata::verify(&blob, &pki.root_der(), &[], day(2025, 6, 2)).unwrap_err();
    assert_eq!(err.code(), "mds_stale");
    // The danger variant, and a store configured with it, accept it.
    assert!(
        Metadata::danger_verify_allowing_stale(&blob, &pki.root_der(), &[], day(2025, 6, 2))
            .is_ok()
    );
    let mut store = MetadataStore::new(pki.root_der()).danger_allow_stale();
    assert!(store.load(&blob, day(2026, 1, 1)).is_ok());
}

#[test]
fn the_store_keeps_the_last_good_blob() {
    let pki = Pki::new("Store");
    let mut store = MetadataStore::new(pki.root_der());
    let first = store.load(&pki.blob(&good_payload(5)), now()).unwrap();
    assert_eq!(first.previous_no, None);
    assert_eq!(first.metadata.no(), 5);

    // `no` not increasing: the same number, then a lower one.
    for no in [5, 4] {
        let err = store.load(&pki.blob(&good_payload(no)), now()).unwrap_err();
        assert_eq!(
            err,
            MdsError::NotNewer {
                current: 5,
                received: no
            }
        );
        assert_eq!(err.code(), "mds_not_newer");
        assert_eq!(store.current().unwrap().no(), 5);
    }

    // A newer BLOB that fails verification: bad signature, stale, revoked, malformed.
    let mut parts: Vec<String> = pki
        .blob(&good_payload(6))
        .split('.')
        .map(str::to_owned)
        .collect();
    parts[1] = base64url::encode(serde_json::to_vec(&good_payload(7)).unwrap());
    assert!(store.load(&parts.join("."), now()).is_err());
    assert!(
        store
            .load(
                &pki.blob(&payload(8, "2025-01-01", default_entries())),
                now()
            )
            .is_err()
    );
    assert!(store.load(&pki.blob(&json!({"no": 9})), now()).is_err());
    store.set_crls(pki.crls(&[], &[SIGNER_SERIAL], (2025, 7, 1)));
    let err = store.load(&pki.blob(&good_payload(10)), now()).unwrap_err();
    assert_eq!(err, MdsError::CertificateRevoked);
    assert_eq!(store.current().unwrap().no(), 5);

    // A newer good BLOB replaces it.
    store.set_crls(pki.crls(&[], &[], (2025, 7, 1)));
    let loaded = store.load(&pki.blob(&good_payload(11)), now()).unwrap();
    assert_eq!(loaded.previous_no, Some(5));
    assert!(loaded.status_changes.is_empty());
    assert_eq!(store.current().unwrap().no(), 11);
    assert!(Arc::ptr_eq(store.current().unwrap(), &loaded.metadata));
}

#[test]
fn malformed_blobs_are_refused() {
    let pki = Pki::new("Malformed");
    let header = x5c_header(&[&pki.signer, &pki.ca_der()]);
    let signed = |body: &[u8]| sign_jws(&header, body, &pki.signer_key);
    let mut missing_no = good_payload(1);
    missing_no.as_object_mut().unwrap().remove("no");
    let mut bad_date = good_payload(1);
    bad_date["nextUpdate"] = json!("2025-02-30");
    let mut datetime = good_payload(1);
    datetime["nextUpdate"] = json!("2025-07-01T00:00:00Z");
    let mut negative = good_payload(1);
    negative["no"] = json!(-1);
    let mut bad_aaguid = good_payload(1);
    bad_aaguid["entries"][0]["aaguid"] = json!("not-a-uuid");
    let mut bad_key_id = good_payload(1);
    bad_key_id["entries"][1]["attestationCertificateKeyIdentifiers"] = json!(["abc"]);
    let mut no_reports = good_payload(1);
    no_reports["entries"][0]
        .as_object_mut()
        .unwrap()
        .remove("statusReports");
    let mut bad_effective = good_payload(1);
    bad_effective["entries"][0]["statusReports"][0]["effectiveDate"] = json!("yesterday");
    let mut bad_root = good_payload(1);
    bad_root["entries"][0]["metadataStatement"]["attestationRootCertificates"] =
        json!(["not base64!"]);
    let mut no_description = good_payload(1);
    no_description["entries"][0]["metadataStatement"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    let duplicate_aaguid = payload(
        1,
        "2025-07-01",
        json!([
            aaguid_entry(YUBI, json!([report("FIDO_CERTIFIED", "2024-01-01")])),
            aaguid_entry(YUBI, json!([report("REVOKED", "2024-01-01")])),
        ]),
    );
    let duplicate_key_id = payload(
        1,
        "2025-07-01",
        json!([
            key_id_entry(KEY_ID, json!([report("FIDO_CERTIFIED", "2024-01-01")])),
            key_id_entry(KEY_ID, json!([report("REVOKED", "2024-01-01")])),
        ]),
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"{\"no\": 1,".to_vec()),
        ("an array", b"[]".to_vec()),
        ("missing no", serde_json::to_vec(&missing_no).unwrap()),
        ("invalid date", serde_json::to_vec(&bad_date).unwrap()),
        ("date-time", serde_json::to_vec(&datetime).unwrap()),
        ("negative no", serde_json::to_vec(&negative).unwrap()),
        ("bad aaguid", serde_json::to_vec(&bad_aaguid).unwrap()),
        ("bad key id", serde_json::to_vec(&bad_key_id).unwrap()),
        ("no statusReports", serde_json::to_vec(&no_reports).unwrap()),
        (
            "bad effectiveDate",
            serde_json::to_vec(&bad_effective).unwrap(),
        ),
        (
            "bad root certificate",
            serde_json::to_vec(&bad_root).unwrap(),
        ),
        (
            "no description",
            serde_json::to_vec(&no_description).unwrap(),
        ),
        (
            "duplicate aaguid",
            serde_json::to_vec(&duplicate_aaguid).unwrap(),
        ),
        (
            "duplicate key id",
            serde_json::to_vec(&duplicate_key_id).unwrap(),
        ),
    ];
    for (name, body) in cases {
        let err = Metadata::verify(&signed(&body), &pki.root_der(), &[], now()).unwrap_err();
        assert_eq!(err.code(), "mds_malformed", "{name}: {err}");
    }
    // The error names the field.
    let err = Metadata::verify(
        &signed(&serde_json::to_vec(&bad_effective).unwrap()),
        &pki.root_der(),
        &[],
        now(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        MdsError::malformed(
            "payload.entries[0].statusReports[0].effectiveDate",
            "is not a date YYYY-MM-DD"
        )
    );
}

#[test]
fn malformed_and_unsupported_jws_are_refused() {
    let pki = Pki::new("Jws");
    let root = pki.root_der();
    let body = serde_json::to_vec(&good_payload(1)).unwrap();
    for bad in ["", "abc", "a.b", "a.b.c.d", "e30.e30.e30", "!!.e30.AA"] {
        let err = Metadata::verify(bad, &root, &[], now()).unwrap_err();
        assert_eq!(err.code(), "mds_malformed", "{bad:?}: {err}");
    }
    for alg in ["none", "HS256", "EdDSA"] {
        let header = json!({"alg": alg, "x5c": []});
        let blob = sign_jws(&header, &body, &pki.signer_key);
        let err = Metadata::verify(&blob, &root, &[], now()).unwrap_err();
        assert_eq!(err.code(), "mds_unsupported", "{alg}: {err}");
    }
    let header = json!({"alg": "ES256", "x5u": "https://mds.example/chain.pem"});
    let err = Metadata::verify(
        &sign_jws(&header, &body, &pki.signer_key),
        &root,
        &[],
        now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "mds_unsupported", "{err}");
    // x5c[0] that is not a certificate.
    let header = json!({"alg": "ES256", "x5c": ["AAAA"]});
    let err = Metadata::verify(
        &sign_jws(&header, &body, &pki.signer_key),
        &root,
        &[],
        now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "mds_malformed", "{err}");
    // RS256 with an EC signing certificate.
    let mut header = x5c_header(&[&pki.signer, &pki.ca_der()]);
    header["alg"] = json!("RS256");
    let err = Metadata::verify(
        &sign_jws(&header, &body, &pki.signer_key),
        &root,
        &[],
        now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "mds_signature_invalid", "{err}");
}

// ---------------------------------------------------------------------------------------------
// Statuses
// ---------------------------------------------------------------------------------------------

fn entry_with(reports: Value) -> MetadataEntry {
    entry::parse_entry(&aaguid_entry(YUBI, reports), "entry").unwrap()
}

#[test]
fn compromised_statuses_are_rejected_by_the_default_set() {
    let policy = RejectedStatuses::default();
    for status in [
        "REVOKED",
        "ATTESTATION_KEY_COMPROMISE",
        "USER_VERIFICATION_BYPASS",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
    ] {
        let entry = entry_with(json!([
            report("FIDO_CERTIFIED_L1", "2023-01-01"),
            report(status, "2024-01-01"),
        ]));
        let err = policy.check(&entry, now()).unwrap_err();
        assert_eq!(
            err,
            MdsError::StatusRejected {
                status: AuthenticatorStatus::from_wire(status)
            }
        );
        assert_eq!(err.code(), "mds_status_rejected");
        assert!(AuthenticatorStatus::from_wire(status).is_security_issue());
        // Before the report takes effect, the earlier status holds.
        let accepted = policy.check(&entry, day(2023, 12, 31)).unwrap();
        assert_eq!(
            accepted.status(),
            Some(&AuthenticatorStatus::FidoCertifiedL1)
        );
        // A relying party may choose to accept it.
        let lenient = RejectedStatuses::default().except(&AuthenticatorStatus::from_wire(status));
        assert!(lenient.check(&entry, now()).is_ok());
    }
    assert_eq!(policy.statuses().len(), 5);
    for status in AuthenticatorStatus::known() {
        assert_eq!(
            policy.rejects(&status),
            status.is_security_issue(),
            "{status}"
        );
    }
}

#[test]
fn the_current_status_is_the_latest_in_effect() {
    let policy = RejectedStatuses::default();
    // An update supersedes the compromise it fixes (MDS3 §3.1.4).
    let fixed = entry_with(json!([
        report("USER_VERIFICATION_BYPASS", "2023-01-01"),
        report("UPDATE_AVAILABLE", "2023-06-01"),
    ]));
    assert_eq!(
        policy.check(&fixed, now()).unwrap().status(),
        Some(&AuthenticatorStatus::UpdateAvailable)
    );
    // Array order does not matter; dates do.
    let unordered = entry_with(json!([
        report("REVOKED", "2024-03-01"),
        report("FIDO_CERTIFIED_L2", "2022-01-01"),
    ]));
    assert!(policy.check(&unordered, now()).is_err());
    // On the same day a security issue wins.
    let same_day = entry_with(json!([
        report("REVOKED", "2024-03-01"),
        report("FIDO_CERTIFIED_L3plus", "2024-03-01"),
    ]));
    assert_eq!(
        same_day.current_status(now()),
        Some(&AuthenticatorStatus::Revoked)
    );
    // A report without a date is in effect, and older than any dated one.
    let undated = entry_with(json!([
        {"status": "FIDO_CERTIFIED"},
        report("NOT_FIDO_CERTIFIED", "2019-01-01"),
    ]));
    assert_eq!(
        undated.current_status(now()),
        Some(&AuthenticatorStatus::NotFidoCertified)
    );
    let only_undated = entry_with(json!([{"status": "REVOKED"}]));
    assert!(policy.check(&only_undated, now()).is_err());
    // Nothing in effect yet: no status, accepted by the status check.
    let future = entry_with(json!([report("REVOKED", "2030-01-01")]));
    assert_eq!(future.current_status(now()), None);
    assert_eq!(policy.check(&future, now()).unwrap().status(), None);
    let none = entry_with(json!([]));
    assert!(policy.check(&none, now()).is_ok());
    // RETIRED is accepted by default and can be refused.
    let retired = entry_with(json!([report("RETIRED", "2024-01-01")]));
    assert!(policy.check(&retired, now()).is_ok());
    assert!(
        RejectedStatuses::default()
            .and(AuthenticatorStatus::Retired)
            .check(&retired, now())
            .is_err()
    );
    // Unknown statuses are kept, accepted by default, and can be refused by name.
    let unknown = entry_with(json!([report("SOMETHING_NEW", "2024-01-01")]));
    assert_eq!(
        unknown.current_status(now()),
        Some(&AuthenticatorStatus::Unknown("SOMETHING_NEW".into()))
    );
    assert!(policy.check(&unknown, now()).is_ok());
    assert!(
        RejectedStatuses::rejecting(["SOMETHING_NEW".parse().unwrap()])
            .check(&unknown, now())
            .is_err()
    );
    assert!(RejectedStatuses::none().check(&unordered, now()).is_ok());
}

#[test]
fn status_reports_keep_their_certificates() {
    let pki = Pki::new("Batch");
    let cert = base64::engine::general_purpose::STANDARD.encode(&pki.signer);
    let entry = entry_with(json!([{
        "status": "ATTESTATION_KEY_COMPROMISE",
        "effectiveDate": "2024-01-01",
        "authenticatorVersion": 2,
        "certificate": cert,
        "url": "https://vendor.example/advisory",
        "certificationDescriptor": "ignored"
    }]));
    let report = entry.current_status_report(now()).unwrap();
    assert_eq!(report.certificate.as_deref(), Some(pki.signer.as_slice()));
    assert_eq!(report.authenticator_version, Some(2));
    assert_eq!(
        report.url.as_deref(),
        Some("https://vendor.example/advisory")
    );
}

#[test]
fn status_changes_between_blobs_are_detected() {
    let pki = Pki::new("Changes");
    let added_key = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let first = payload(
        1,
        "2025-07-01",
        json!([
            aaguid_entry(YUBI, json!([report("FIDO_CERTIFIED_L1", "2024-01-01")])),
            aaguid_entry(OTHER, json!([report("FIDO_CERTIFIED", "2024-01-01")])),
            key_id_entry(KEY_ID, json!([report("FIDO_CERTIFIED", "2020-01-01")])),
        ]),
    );
    let second = payload(
        2,
        "2025-07-01",
        json!([
            aaguid_entry(
                YUBI,
                json!([
                    report("FIDO_CERTIFIED_L1", "2024-01-01"),
                    report("USER_KEY_REMOTE_COMPROMISE", "2025-05-01"),
                ])
            ),
            // Unchanged, even with a new report that is not in effect yet.
            key_id_entry(
                KEY_ID,
                json!([
                    report("FIDO_CERTIFIED", "2020-01-01"),
                    report("REVOKED", "2030-01-01"),
                ])
            ),
            key_id_entry(
                added_key,
                json!([report("NOT_FIDO_CERTIFIED", "2025-01-01")])
            ),
        ]),
    );
    let mut store = MetadataStore::new(pki.root_der());
    store.load(&pki.blob(&first), now()).unwrap();
    let previous = Arc::clone(store.current().unwrap());
    let loaded = store.load(&pki.blob(&second), now()).unwrap();
    let expected = vec![
        StatusChange {
            key: EntryKey::Aaguid(aaguid(OTHER)),
            previous: Some(AuthenticatorStatus::FidoCertified),
            current: None,
        },
        StatusChange {
            key: EntryKey::Aaguid(aaguid(YUBI)),
            previous: Some(AuthenticatorStatus::FidoCertifiedL1),
            current: Some(AuthenticatorStatus::UserKeyRemoteCompromise),
        },
        StatusChange {
            key: EntryKey::KeyIdentifier(KeyIdentifier::parse(added_key).unwrap()),
            previous: None,
            current: Some(AuthenticatorStatus::NotFidoCertified),
        },
    ];
    assert_eq!(loaded.status_changes, expected);
    assert_eq!(status_changes(&previous, &loaded.metadata, now()), expected);
    assert!(status_changes(&previous, &previous, now()).is_empty());
    // The changed model is now refused.
    let entry = loaded.metadata.get(&expected[1].key).unwrap();
    assert!(RejectedStatuses::default().check(entry, now()).is_err());
}

#[test]
fn status_wire_names_round_trip() {
    assert_eq!(AuthenticatorStatus::known().count(), 20);
    for status in AuthenticatorStatus::known() {
        let name = status.to_string();
        assert_eq!(AuthenticatorStatus::from_wire(&name), status);
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(
            serde_json::from_str::<AuthenticatorStatus>(&json).unwrap(),
            status
        );
    }
    assert_eq!(
        AuthenticatorStatus::from_wire("FIDO_CERTIFIED_L1plus"),
        AuthenticatorStatus::FidoCertifiedL1Plus
    );
    // Names are case-sensitive, as in the specification.
    assert_eq!(
        AuthenticatorStatus::from_wire("FIDO_CERTIFIED_L1PLUS"),
        AuthenticatorStatus::Unknown("FIDO_CERTIFIED_L1PLUS".into())
    );
    assert_eq!(AuthenticatorStatus::Unknown("X".into()).as_str(), "X");
    for t in [
        "basic_full",
        "basic_surrogate",
        "ecdaa",
        "attca",
        "anonca",
        "none",
        "new",
    ] {
        assert_eq!(MetadataAttestationType::from_wire(t).as_str(), t);
    }
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

#[test]
fn dates_parse_strictly_and_convert_to_time() {
    assert_eq!(Date::parse("2021-12-01").unwrap().to_string(), "2021-12-01");
    assert_eq!(Date::parse("2020-02-29").unwrap().day(), 29);
    for bad in [
        "2021-02-29",
        "1900-02-29",
        "2021-13-01",
        "2021-00-10",
        "2021-04-31",
        "2021-1-01",
        "21-01-01",
        "2021/01/01",
        "2021-01-01T00:00:00Z",
        "+021-01-01",
        "２０２１-01-01",
        "",
    ] {
        assert!(Date::parse(bad).is_none(), "{bad}");
    }
    assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().start().as_secs(), 0);
    assert_eq!(
        Date::from_ymd(2021, 11, 15).unwrap().start().as_secs(),
        1_636_934_400
    );
    assert_eq!(Date::from_ymd(1960, 1, 1).unwrap().start().as_secs(), 0);
    assert_eq!(
        Date::of(UnixTime::from_secs(1_636_934_400 + 86_399)).to_string(),
        "2021-11-15"
    );
    assert_eq!(
        Date::of(UnixTime::from_secs(u64::MAX)).to_string(),
        "9999-12-31"
    );
    // Every day of four centuries round-trips.
    let mut date = Date::from_ymd(1970, 1, 1).unwrap();
    for days in 0u64..146_097 {
        let start = date.start();
        assert_eq!(start.as_secs(), days * 86_400);
        assert_eq!(Date::of(start), date);
        let next = Date::of(UnixTime::from_secs(start.as_secs() + 86_400));
        assert!(next > date);
        date = next;
    }
    assert_eq!(date.to_string(), "2370-01-01");
}

#[test]
fn key_identifiers_hash_the_subject_public_key() {
    let key = EcKey::generate().rcgen();
    let cert = params("U2F attestation", &[0x42], false)
        .self_signed(&key)
        .unwrap()
        .der()
        .to_vec();
    let id = KeyIdentifier::of_certificate(&cert).unwrap();
    let expected = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        key.public_key_raw(),
    );
    assert_eq!(id.0.as_slice(), expected.as_ref());
    assert_eq!(id.to_string().len(), 40);
    assert_eq!(id.to_string(), id.to_string().to_lowercase());
    assert_eq!(KeyIdentifier::parse(&id.to_string()), Some(id));
    assert_eq!(
        KeyIdentifier::of_certificate(b"nope").unwrap_err().code(),
        "mds_invalid_certificate"
    );
    for bad in ["", "zz", &"0".repeat(39), &"0".repeat(41), &"g".repeat(40)] {
        assert!(KeyIdentifier::parse(bad).is_none(), "{bad}");
    }

    // A U2F entry is found from its attestation certificate.
    let pki = Pki::new("U2F");
    let body = payload(
        1,
        "2025-07-01",
        json!([key_id_entry(
            &id.to_string(),
            json!([report("FIDO_CERTIFIED", "2020-01-01")])
        )]),
    );
    let metadata = Metadata::verify(&pki.blob(&body), &pki.root_der(), &[], now()).unwrap();
    assert!(metadata.by_certificate(&cert).unwrap().is_some());
    assert!(metadata.by_certificate(&pki.signer).unwrap().is_none());
}

#[test]
fn standalone_statements_parse() {
    let statement = MetadataStatement::from_json(
        &aaguid_entry(YUBI, json!([]))["metadataStatement"].to_string(),
    )
    .unwrap();
    assert_eq!(statement.aaguid, Some(aaguid(YUBI)));
    assert!(format!("{statement:?}").contains("Test authenticator"));
    assert_eq!(
        MetadataStatement::from_json("{}").unwrap_err().code(),
        "mds_malformed"
    );
    assert_eq!(
        MetadataStatement::from_json("not json").unwrap_err().code(),
        "mds_malformed"
    );
}

#[test]
fn error_codes_are_distinct_snake_case() {
    let errors = [
        MdsError::malformed("x", "y"),
        MdsError::Unsupported("x".into()),
        MdsError::UntrustedSigner("x".into()),
        MdsError::CertificateRevoked,
        MdsError::RevocationUnknown("x".into()),
        MdsError::SignatureInvalid("x".into()),
        MdsError::Stale {
            next_update: Date::from_ymd(2020, 1, 1).unwrap(),
            today: Date::from_ymd(2020, 1, 2).unwrap(),
        },
        MdsError::NotNewer {
            current: 2,
            received: 1,
        },
        MdsError::InvalidRoot("x".into()),
        MdsError::InvalidCrl {
            index: 0,
            problem: "x".into(),
        },
        MdsError::InvalidCertificate("x".into()),
        MdsError::StatusRejected {
            status: AuthenticatorStatus::Revoked,
        },
    ];
    let mut codes: Vec<&str> = errors.iter().map(MdsError::code).collect();
    for code in &codes {
        assert!(code.starts_with("mds_"));
        assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    }
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(
        errors[6].to_string(),
        "the metadata BLOB is stale: its nextUpdate 2020-01-01 is before 2020-01-02"
    );
}

#[test]
fn debug_output_is_short() {
    let pki = Pki::new("Debug");
    let metadata =
        Metadata::verify(&pki.blob(&good_payload(3)), &pki.root_der(), &[], now()).unwrap();
    let text = format!("{metadata:?}");
    assert!(
        text.contains("no: 3") && text.contains("entries: 2"),
        "{text}"
    );
    assert!(!text.contains("Test authenticator"));
}

// ---------------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_payload_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_payload(&bytes);
    }

    #[test]
    fn random_jws_text_never_panics(text in "\\PC{0,256}") {
        let _ = Metadata::verify(&text, GLOBALSIGN_R3, &[], now());
    }

    #[test]
    fn random_three_part_jws_never_panics(
        header in proptest::collection::vec(any::<u8>(), 0..128),
        body in proptest::collection::vec(any::<u8>(), 0..256),
        signature in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let text = format!(
            "{}.{}.{}",
            base64url::encode(header),
            base64url::encode(body),
            base64url::encode(signature)
        );
        let _ = Metadata::verify(&text, GLOBALSIGN_R3, &[], now());
    }

    #[test]
    fn random_entries_never_panic(
        status in "[A-Z_]{0,30}",
        date in "[0-9-]{0,12}",
        aaguid in "[0-9a-f-]{0,40}",
        key_id in "[0-9a-fA-F]{0,42}",
        no in any::<u64>(),
    ) {
        let body = payload(
            no,
            &date,
            json!([{
                "aaguid": aaguid,
                "attestationCertificateKeyIdentifiers": [key_id],
                "statusReports": [{"status": status, "effectiveDate": date}],
                "timeOfLastStatusChange": date
            }]),
        );
        if let Ok(metadata) = parse_payload(&serde_json::to_vec(&body).unwrap()) {
            for entry in metadata.entries() {
                let _ = RejectedStatuses::default().check(entry, now());
            }
        }
    }

    #[test]
    fn dates_round_trip(secs in 0u64..253_402_300_800) {
        let date = Date::of(UnixTime::from_secs(secs));
        prop_assert!(date.start().as_secs() <= secs);
        prop_assert!(secs - date.start().as_secs() < 86_400);
        prop_assert_eq!(Date::parse(&date.to_string()), Some(date));
    }
}
