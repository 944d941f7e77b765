//! Test certificate authorities and a FIDO Metadata Service (MDS3) BLOB, generated at run time.
//!
//! ```text
//! attestation:  root CA ──▶ intermediate CA ──▶ attestation certificate (one per model)
//!                                         └───▶ expired / not-yet-valid attestation certificates
//! metadata:     MDS root ──▶ MDS CA ──▶ BLOB signer       (JWS ES256, x5c = [signer, MDS CA])
//!                          └─ CRL of the MDS CA (revoked serials chosen by the caller)
//! ```
//!
//! Every key is an ECDSA P-256 key derived from the seed ([`SplitMix64`]), and every signature,
//! certificates and CRLs included (rcgen signs through [`TestKey`]), is deterministic
//! (RFC 6979): the same seed gives the same certificates and BLOBs byte for byte, so a relying
//! party and the suite can generate them separately. (The one P-384 key, of
//! [`AttestationCa::issue_with_p384_key`], is random.) Validity periods are fixed dates
//! (2020 to 2099), so the material stays valid without a clock; the expired and not-yet-valid
//! certificates use fixed dates in the past (2010–2015) and far future (2090–2099).
//!
//! **Nothing here is secret or trustworthy**: these are test authorities for negative and
//! positive conformance tests.

use std::fmt;

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CustomExtension,
    DistinguishedName, DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SerialNumber, date_time_ymd,
};
use serde_json::{Value, json};

use crate::authenticator::SplitMix64;

/// Why test material could not be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiError(String);

impl fmt::Display for PkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "test PKI: {}", self.0)
    }
}

impl std::error::Error for PkiError {}

fn pki_error(what: &str) -> impl FnOnce(rcgen::Error) -> PkiError + '_ {
    move |e| PkiError(format!("{what}: {e}"))
}

/// The FIDO AAGUID extension, `id-fido-gen-ce-aaguid` (1.3.6.1.4.1.45724.1.1.4).
const FIDO_AAGUID_OID: [u64; 10] = [1, 3, 6, 1, 4, 1, 45724, 1, 1, 4];

/// A P-256 key derived from the PRNG, usable both by `p256` (attestation and JWS signatures)
/// and by `rcgen` (certificates).
#[derive(Clone)]
pub struct TestKey {
    signing: p256::ecdsa::SigningKey,
    /// The uncompressed SEC1 point of the public key.
    point: Vec<u8>,
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestKey(P-256, <private>)")
    }
}

impl TestKey {
    /// A key from the next bytes of `rng`.
    ///
    /// # Errors
    /// When 64 draws give no valid scalar (probability about 2^-2048).
    pub fn generate(rng: &mut SplitMix64) -> Result<Self, PkiError> {
        for _ in 0..64 {
            let scalar = rng.bytes(32);
            if let Ok(signing) = p256::ecdsa::SigningKey::from_slice(&scalar) {
                return Ok(Self::from_signing_key(signing));
            }
        }
        Err(PkiError("could not derive a P-256 scalar".to_owned()))
    }

    /// The key of an existing P-256 signing key (a credential's, to certify it).
    #[must_use]
    pub fn from_signing_key(signing: p256::ecdsa::SigningKey) -> Self {
        let point = signing
            .verifying_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec();
        Self { signing, point }
    }

    /// An ECDSA P-256 SHA-256 signature, DER (`Ecdsa-Sig-Value`), as WebAuthn statements carry.
    ///
    /// # Errors
    /// When signing fails.
    pub fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let signature: p256::ecdsa::Signature = self
            .signing
            .try_sign(message)
            .map_err(|_| PkiError("ECDSA signing failed".to_owned()))?;
        Ok(signature.to_der().as_bytes().to_vec())
    }

    /// An ECDSA P-256 SHA-256 signature, `r ‖ s`, as JWS ES256 carries (RFC 7518 §3.4).
    ///
    /// # Errors
    /// When signing fails.
    pub fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let signature: p256::ecdsa::Signature = self
            .signing
            .try_sign(message)
            .map_err(|_| PkiError("ECDSA signing failed".to_owned()))?;
        Ok(signature.to_bytes().to_vec())
    }

    /// The uncompressed SEC1 point of the public key.
    #[must_use]
    pub fn public_point(&self) -> Vec<u8> {
        self.point.clone()
    }
}

/// rcgen signs certificates and CRLs with the seeded key through `p256`, whose ECDSA nonces are
/// deterministic (RFC 6979): the same seed gives the same certificates, byte for byte.
impl rcgen::PublicKeyData for TestKey {
    fn der_bytes(&self) -> &[u8] {
        &self.point
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for TestKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.sign_der(msg)
            .map_err(|_| rcgen::Error::RingUnspecified)
    }
}

/// A certificate and the key it certifies.
#[derive(Debug, Clone)]
pub struct Certified {
    /// The DER certificate.
    pub der: Vec<u8>,
    /// Its key.
    pub key: TestKey,
    params: CertificateParams,
}

impl Certified {
    fn issuer(&self) -> Result<Issuer<'_, TestKey>, PkiError> {
        Ok(Issuer::from_params(&self.params, self.key.clone()))
    }
}

/// When a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// 2020-01-01 to 2099-12-31.
    Current,
    /// 2010-01-01 to 2015-01-01.
    Expired,
    /// 2090-01-01 to 2099-12-31.
    NotYetValid,
}

/// A positive DER INTEGER's content bytes for `n`: no leading zero unless the top bit is set.
fn serial_number(n: u64) -> SerialNumber {
    let bytes = n.to_be_bytes();
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut content = bytes.get(start..).unwrap_or_default().to_vec();
    if content.first().is_some_and(|b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    SerialNumber::from_slice(&content)
}

fn distinguished_name(parts: &[(DnType, &str)]) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    for (kind, value) in parts {
        // X.520 countryName is a PrintableString (RFC 5280 appendix A).
        match (kind, rcgen::string::PrintableString::try_from(*value)) {
            (DnType::CountryName, Ok(printable)) => {
                name.push(kind.clone(), rcgen::DnValue::PrintableString(printable));
            }
            _ => name.push(kind.clone(), *value),
        }
    }
    name
}

fn params(
    name: DistinguishedName,
    serial: u64,
    validity: Validity,
    is_ca: IsCa,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    params.serial_number = Some(serial_number(serial));
    let (not_before, not_after) = match validity {
        Validity::Current => (date_time_ymd(2020, 1, 1), date_time_ymd(2099, 12, 31)),
        Validity::Expired => (date_time_ymd(2010, 1, 1), date_time_ymd(2015, 1, 1)),
        Validity::NotYetValid => (date_time_ymd(2090, 1, 1), date_time_ymd(2099, 12, 31)),
    };
    params.not_before = not_before;
    params.not_after = not_after;
    params.key_usages = match is_ca {
        IsCa::Ca(_) => vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ],
        IsCa::NoCa | IsCa::ExplicitNoCa => vec![KeyUsagePurpose::DigitalSignature],
    };
    params.is_ca = is_ca;
    params.key_identifier_method = KeyIdMethod::Sha256;
    params.use_authority_key_identifier_extension = true;
    params
}

fn self_signed(params: CertificateParams, key: TestKey) -> Result<Certified, PkiError> {
    let der = params
        .self_signed(&key)
        .map_err(pki_error("self-signed certificate"))?
        .der()
        .to_vec();
    Ok(Certified { der, key, params })
}

fn signed_by(
    params: CertificateParams,
    key: TestKey,
    issuer: &Certified,
) -> Result<Certified, PkiError> {
    let der = params
        .signed_by(&key, &issuer.issuer()?)
        .map_err(pki_error("certificate"))?
        .der()
        .to_vec();
    Ok(Certified { der, key, params })
}

/// An attestation certificate and the chain above it.
#[derive(Debug, Clone)]
pub struct AttestationCertificate {
    /// The attestation certificate (x5c\[0\]).
    pub leaf: Certified,
    /// The intermediate CA that issued it (x5c\[1\]).
    pub intermediate: Vec<u8>,
    /// The root (a trust anchor; never sent by a well-behaved authenticator).
    pub root: Vec<u8>,
}

impl AttestationCertificate {
    /// `x5c` as an authenticator sends it: the attestation certificate, then the intermediate.
    #[must_use]
    pub fn x5c(&self) -> Vec<Vec<u8>> {
        vec![self.leaf.der.clone(), self.intermediate.clone()]
    }
}

/// A test attestation CA: a root with a critical Basic Constraints extension and one
/// intermediate, both valid from 2020 to 2099.
#[derive(Debug, Clone)]
pub struct AttestationCa {
    root: Certified,
    intermediate: Certified,
    expired_intermediate: Certified,
    rng: SplitMix64,
    serial: u64,
}

impl AttestationCa {
    /// A CA whose keys derive from `seed`.
    ///
    /// # Errors
    /// When `rcgen` refuses a certificate.
    pub fn generate(seed: u64) -> Result<Self, PkiError> {
        let mut rng = SplitMix64::new(seed ^ 0xA77E_57A7_1011_CA00);
        let root_name = distinguished_name(&[
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "anshin conformance"),
            (DnType::CommonName, "anshin Test Attestation Root"),
        ]);
        let root = self_signed(
            params(
                root_name,
                1,
                Validity::Current,
                IsCa::Ca(BasicConstraints::Unconstrained),
            ),
            TestKey::generate(&mut rng)?,
        )?;
        let intermediate_key = TestKey::generate(&mut rng)?;
        let intermediate_name = distinguished_name(&[
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "anshin conformance"),
            (DnType::CommonName, "anshin Test Attestation CA"),
        ]);
        let intermediate = signed_by(
            params(
                intermediate_name.clone(),
                2,
                Validity::Current,
                IsCa::Ca(BasicConstraints::Unconstrained),
            ),
            intermediate_key.clone(),
            &root,
        )?;
        let expired_intermediate = signed_by(
            params(
                intermediate_name,
                3,
                Validity::Expired,
                IsCa::Ca(BasicConstraints::Unconstrained),
            ),
            intermediate_key,
            &root,
        )?;
        Ok(Self {
            root,
            intermediate,
            expired_intermediate,
            rng,
            serial: 100,
        })
    }

    /// The root certificate (DER), the trust anchor a metadata statement lists.
    #[must_use]
    pub fn root(&self) -> &[u8] {
        &self.root.der
    }

    /// The intermediate CA certificate (DER).
    #[must_use]
    pub fn intermediate(&self) -> &[u8] {
        &self.intermediate.der
    }

    /// The same intermediate CA (same name and key), expired in 2015.
    #[must_use]
    pub fn expired_intermediate(&self) -> &[u8] {
        &self.expired_intermediate.der
    }

    /// Issues a `packed` attestation certificate (§8.2.1: version 3, C/O/OU "Authenticator
    /// Attestation"/CN, Basic Constraints CA false), with the AAGUID extension when `aaguid`
    /// is given.
    ///
    /// # Errors
    /// When `rcgen` refuses the certificate.
    pub fn issue(
        &mut self,
        common_name: &str,
        aaguid: Option<[u8; 16]>,
        validity: Validity,
    ) -> Result<AttestationCertificate, PkiError> {
        let key = TestKey::generate(&mut self.rng)?;
        self.issue_for(key, common_name, aaguid, validity)
    }

    /// A packed attestation certificate that certifies a P-384 key (random, from `ring`),
    /// paired with a P-256 key to sign statements: the statement's `alg` (ES256) and the
    /// metadata's algorithm then disagree with the certificate's key.
    ///
    /// # Errors
    /// When `rcgen` refuses the certificate.
    pub fn issue_with_p384_key(
        &mut self,
        common_name: &str,
        aaguid: Option<[u8; 16]>,
    ) -> Result<AttestationCertificate, PkiError> {
        let mut certificate = self.issue(common_name, aaguid, Validity::Current)?;
        let p384 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
            .map_err(pki_error("P-384 key"))?;
        certificate.leaf.der = certificate
            .leaf
            .params
            .signed_by(&p384, &self.intermediate.issuer()?)
            .map_err(pki_error("certificate"))?
            .der()
            .to_vec();
        Ok(certificate)
    }

    /// Issues a SafetyNet attestation signing certificate: Subject Alternative Name dNSName
    /// `attest.android.com` (and that common name), as §8.5 step 4 checks.
    ///
    /// # Errors
    /// When `rcgen` refuses the certificate.
    pub fn issue_safetynet(&mut self) -> Result<AttestationCertificate, PkiError> {
        const HOST: &str = "attest.android.com";
        let key = TestKey::generate(&mut self.rng)?;
        self.serial += 1;
        let name = distinguished_name(&[
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "anshin conformance"),
            (DnType::CommonName, HOST),
        ]);
        let mut params = params(name, self.serial, Validity::Current, IsCa::ExplicitNoCa);
        params.subject_alt_names = vec![rcgen::SanType::DnsName(
            HOST.try_into().map_err(pki_error("dNSName"))?,
        )];
        let leaf = signed_by(params, key, &self.intermediate)?;
        Ok(AttestationCertificate {
            leaf,
            intermediate: self.intermediate.der.clone(),
            root: self.root.der.clone(),
        })
    }

    /// [`Self::issue`] for a given key.
    ///
    /// # Errors
    /// When `rcgen` refuses the certificate.
    pub fn issue_for(
        &mut self,
        key: TestKey,
        common_name: &str,
        aaguid: Option<[u8; 16]>,
        validity: Validity,
    ) -> Result<AttestationCertificate, PkiError> {
        self.serial += 1;
        let name = distinguished_name(&[
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "anshin conformance"),
            (DnType::OrganizationalUnitName, "Authenticator Attestation"),
            (DnType::CommonName, common_name),
        ]);
        let mut params = params(name, self.serial, validity, IsCa::ExplicitNoCa);
        if let Some(aaguid) = aaguid {
            // OCTET STRING { OCTET STRING (16 bytes) } (§8.2.1).
            let mut content = vec![0x04, 0x10];
            content.extend_from_slice(&aaguid);
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(&FIDO_AAGUID_OID, content));
        }
        let leaf = signed_by(params, key, &self.intermediate)?;
        Ok(AttestationCertificate {
            leaf,
            intermediate: self.intermediate.der.clone(),
            root: self.root.der.clone(),
        })
    }
}

impl AttestationCa {
    /// Issues a certificate for a credential key with Apple's anonymous attestation nonce
    /// extension (1.2.840.113635.100.8.2): `SEQUENCE { [1] EXPLICIT OCTET STRING nonce }`.
    ///
    /// # Errors
    /// When `rcgen` refuses the certificate.
    pub fn issue_credential_certificate(
        &mut self,
        credential_key: &p256::ecdsa::SigningKey,
        nonce: &[u8; 32],
    ) -> Result<AttestationCertificate, PkiError> {
        const APPLE_NONCE_OID: [u64; 7] = [1, 2, 840, 113_635, 100, 8, 2];
        let key = TestKey::from_signing_key(credential_key.clone());
        self.serial += 1;
        let name = distinguished_name(&[
            (DnType::CommonName, "anshin credential certificate"),
            (DnType::OrganizationName, "anshin conformance"),
        ]);
        let mut params = params(name, self.serial, Validity::Current, IsCa::ExplicitNoCa);
        let mut content = vec![0x30, 0x24, 0xa1, 0x22, 0x04, 0x20];
        content.extend_from_slice(nonce);
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(&APPLE_NONCE_OID, content));
        let leaf = signed_by(params, key, &self.intermediate)?;
        Ok(AttestationCertificate {
            leaf,
            intermediate: self.intermediate.der.clone(),
            root: self.root.der.clone(),
        })
    }
}

/// DER: tag, definite length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(short), _) if short < 0x80 => out.push(short),
        (Ok(byte), _) => out.extend([0x81, byte]),
        (_, Ok(two)) => {
            out.push(0x82);
            out.extend(two.to_be_bytes());
        }
        // Nothing built here comes near 64 KiB.
        _ => out.push(0),
    }
    out.extend_from_slice(content);
    out
}

impl AttestationCa {
    /// Issues a TPM attestation identity key (AIK) certificate (§8.3.1): version 3, empty
    /// subject, a critical Subject Alternative Name whose directoryName names the TPM
    /// manufacturer, model and version, the EKU tcg-kp-AIKCertificate (2.23.133.8.3), Basic
    /// Constraints CA false, and the AAGUID extension when `aaguid` is given.
    ///
    /// # Errors
    /// When `rcgen` refuses the certificate.
    pub fn issue_aik(
        &mut self,
        aaguid: Option<[u8; 16]>,
    ) -> Result<AttestationCertificate, PkiError> {
        const SAN_OID: [u64; 4] = [2, 5, 29, 17];
        // tcg-at-tpmManufacturer, tcg-at-tpmModel, tcg-at-tpmVersion (2.23.133.2.1-3).
        let attribute = |last: u8, value: &str| {
            let oid = der(0x06, &[0x67, 0x81, 0x05, 0x02, last]);
            der(
                0x31,
                &der(0x30, &[oid, der(0x0c, value.as_bytes())].concat()),
            )
        };
        let name = der(
            0x30,
            &[
                attribute(1, "id:414E5348"),
                attribute(2, "anshin virtual TPM"),
                attribute(3, "id:13"),
            ]
            .concat(),
        );
        let san = der(0x30, &der(0xa4, &name));
        let key = TestKey::generate(&mut self.rng)?;
        self.serial += 1;
        let mut params = params(
            DistinguishedName::new(),
            self.serial,
            Validity::Current,
            IsCa::ExplicitNoCa,
        );
        let mut extension = CustomExtension::from_oid_content(&SAN_OID, san);
        extension.set_criticality(true);
        params.custom_extensions.push(extension);
        params
            .extended_key_usages
            .push(rcgen::ExtendedKeyUsagePurpose::Other(vec![
                2, 23, 133, 8, 3,
            ]));
        if let Some(aaguid) = aaguid {
            let mut content = vec![0x04, 0x10];
            content.extend_from_slice(&aaguid);
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(&FIDO_AAGUID_OID, content));
        }
        let leaf = signed_by(params, key, &self.intermediate)?;
        Ok(AttestationCertificate {
            leaf,
            intermediate: self.intermediate.der.clone(),
            root: self.root.der.clone(),
        })
    }
}

impl AttestationCa {
    /// Issues an Android Keystore certificate for a credential key (§8.4) with the key
    /// description extension (1.3.6.1.4.1.11129.2.1.17): attestation version 3, TEE security
    /// levels, `attestationChallenge`, and a TEE-enforced authorization list with
    /// `purpose [1] { SIGN }` and `origin [702] GENERATED`.
    ///
    /// # Errors
    /// When `rcgen` refuses the certificate.
    pub fn issue_android_key(
        &mut self,
        key: TestKey,
        attestation_challenge: &[u8],
    ) -> Result<AttestationCertificate, PkiError> {
        const KEY_DESCRIPTION_OID: [u64; 9] = [1, 3, 6, 1, 4, 1, 11129, 2, 1];
        // origin [702] EXPLICIT INTEGER KM_ORIGIN_GENERATED (0): the high tag number form
        // (X.690 §8.1.2.4) of context-specific constructed 702 is BF 85 3E; the content,
        // INTEGER 0, is 3 bytes long.
        let origin = [vec![0xbf, 0x85, 0x3e, 0x03], der(0x02, &[0])].concat();
        let hardware = [
            // purpose [1] EXPLICIT SET OF INTEGER { KM_PURPOSE_SIGN (2) }
            der(0xa1, &der(0x31, &der(0x02, &[2]))),
            origin,
        ]
        .concat();
        let description = der(
            0x30,
            &[
                der(0x02, &[3]),
                der(0x0a, &[1]),
                der(0x02, &[4]),
                der(0x0a, &[1]),
                der(0x04, attestation_challenge),
                der(0x04, &[]),
                der(0x30, &[]),
                der(0x30, &hardware),
            ]
            .concat(),
        );
        let mut oid = KEY_DESCRIPTION_OID.to_vec();
        oid.push(17);
        self.serial += 1;
        let name = distinguished_name(&[(DnType::CommonName, "Android Keystore Key")]);
        let mut params = params(name, self.serial, Validity::Current, IsCa::ExplicitNoCa);
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(&oid, description));
        let leaf = signed_by(params, key, &self.intermediate)?;
        Ok(AttestationCertificate {
            leaf,
            intermediate: self.intermediate.der.clone(),
            root: self.root.der.clone(),
        })
    }
}

/// An authenticator model listed in a generated metadata BLOB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelEntry {
    /// What the statement's `description` says.
    pub description: String,
    /// The AAGUID (FIDO2 models), or `None` for a U2F model identified by `key_identifiers`.
    pub aaguid: Option<[u8; 16]>,
    /// `attestationCertificateKeyIdentifiers` (lowercase hex SHA-1 of the subject public key).
    pub key_identifiers: Vec<String>,
    /// `attestationTypes` (`basic_full`, `basic_surrogate`, `attca`, `anonca`).
    pub attestation_types: Vec<String>,
    /// `attestationRootCertificates` (DER).
    pub roots: Vec<Vec<u8>>,
    /// The status of its only status report (`FIDO_CERTIFIED`, `ATTESTATION_KEY_COMPROMISE`…).
    pub status: String,
    /// The statement's `authenticatorGetInfo`, if any.
    pub authenticator_get_info: Option<Value>,
}

impl ModelEntry {
    fn to_json(&self) -> Value {
        let b64 = |der: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(der);
        let mut statement = json!({
            "legalHeader": "anshin conformance test metadata; no legal meaning",
            "description": self.description,
            "authenticatorVersion": 1,
            "protocolFamily": if self.aaguid.is_some() { "fido2" } else { "u2f" },
            "schema": 3,
            "upv": [{"major": 1, "minor": 1}],
            "authenticationAlgorithms": ["secp256r1_ecdsa_sha256_raw"],
            "publicKeyAlgAndEncodings": ["cose"],
            "attestationTypes": self.attestation_types,
            "userVerificationDetails": [[{"userVerificationMethod": "presence_internal"}]],
            "keyProtection": ["hardware", "secure_element"],
            "matcherProtection": ["on_chip"],
            "attachmentHint": ["external"],
            "tcDisplay": [],
            "attestationRootCertificates": self.roots.iter().map(b64).collect::<Vec<_>>(),
        });
        let mut entry = json!({
            "statusReports": [{"status": self.status, "effectiveDate": "2024-01-01"}],
            "timeOfLastStatusChange": "2024-01-01",
        });
        if let (Some(aaguid), Some(s), Some(e)) = (
            self.aaguid,
            statement.as_object_mut(),
            entry.as_object_mut(),
        ) {
            let text = format_aaguid(&aaguid);
            s.insert("aaguid".to_owned(), json!(text));
            e.insert("aaguid".to_owned(), json!(text));
        }
        if !self.key_identifiers.is_empty()
            && let (Some(s), Some(e)) = (statement.as_object_mut(), entry.as_object_mut())
        {
            s.insert(
                "attestationCertificateKeyIdentifiers".to_owned(),
                json!(self.key_identifiers),
            );
            e.insert(
                "attestationCertificateKeyIdentifiers".to_owned(),
                json!(self.key_identifiers),
            );
        }
        if let (Some(info), Some(s)) = (&self.authenticator_get_info, statement.as_object_mut()) {
            s.insert("authenticatorGetInfo".to_owned(), info.clone());
        }
        if let Some(e) = entry.as_object_mut() {
            e.insert("metadataStatement".to_owned(), statement);
        }
        entry
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase.
#[must_use]
pub fn format_aaguid(aaguid: &[u8; 16]) -> String {
    let hex: String = aaguid.iter().map(|b| format!("{b:02x}")).collect();
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default().to_owned();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

/// The lowercase hex SHA-1 key identifier of a certificate's public key (RFC 5280
/// §4.2.1.2 method 1), as MDS lists U2F models.
#[must_use]
pub fn key_identifier(point: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, point);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A test metadata service: root, CA and BLOB signer, all valid from 2020 to 2099.
#[derive(Debug, Clone)]
pub struct MetadataService {
    root: Certified,
    ca: Certified,
    signer: Certified,
    /// A signer with its own key whose certificate was issued by an unrelated root, for
    /// "chain does not verify".
    stray_signer: Certified,
}

/// How a generated BLOB is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobDefect {
    /// A good BLOB.
    None,
    /// One bit of the JWS signature is flipped.
    BadSignature,
    /// The signer's certificate chains to an unrelated root.
    BadChain,
}

impl MetadataService {
    /// A service whose keys derive from `seed`.
    ///
    /// # Errors
    /// When `rcgen` refuses a certificate.
    pub fn generate(seed: u64) -> Result<Self, PkiError> {
        let mut rng = SplitMix64::new(seed ^ 0x3D53_B10B_0000_0001);
        let name = |cn: &str| {
            distinguished_name(&[
                (DnType::CountryName, "US"),
                (DnType::OrganizationName, "anshin conformance"),
                (DnType::OrganizationalUnitName, "Test Metadata BLOB"),
                (DnType::CommonName, cn),
            ])
        };
        let ca_kind = || IsCa::Ca(BasicConstraints::Unconstrained);
        let root = self_signed(
            params(
                name("anshin Test MDS Root"),
                1,
                Validity::Current,
                ca_kind(),
            ),
            TestKey::generate(&mut rng)?,
        )?;
        let ca = signed_by(
            params(name("anshin Test MDS CA"), 2, Validity::Current, ca_kind()),
            TestKey::generate(&mut rng)?,
            &root,
        )?;
        let signer = signed_by(
            params(
                name("anshin Test MDS BLOB Signer"),
                3,
                Validity::Current,
                IsCa::ExplicitNoCa,
            ),
            TestKey::generate(&mut rng)?,
            &ca,
        )?;
        let stray_root = self_signed(
            params(
                name("anshin Unrelated Root"),
                4,
                Validity::Current,
                ca_kind(),
            ),
            TestKey::generate(&mut rng)?,
        )?;
        let stray_signer = signed_by(
            params(
                name("anshin Test MDS BLOB Signer"),
                5,
                Validity::Current,
                IsCa::ExplicitNoCa,
            ),
            TestKey::generate(&mut rng)?,
            &stray_root,
        )?;
        Ok(Self {
            root,
            ca,
            signer,
            stray_signer,
        })
    }

    /// The MDS root (DER), the trust anchor a relying party configures.
    #[must_use]
    pub fn root(&self) -> &[u8] {
        &self.root.der
    }

    /// The root as PEM.
    #[must_use]
    pub fn root_pem(&self) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(&self.root.der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    /// The serial number of the BLOB signer's certificate.
    #[must_use]
    pub const fn signer_serial() -> u64 {
        3
    }

    /// A CRL of the MDS CA (valid 2020 to 2099) that revokes `serials`.
    ///
    /// # Errors
    /// When `rcgen` refuses the CRL.
    pub fn ca_crl(&self, serials: &[u64]) -> Result<Vec<u8>, PkiError> {
        crl(&self.ca, serials)
    }

    /// A CRL of the MDS root (valid 2020 to 2099) that revokes `serials`.
    ///
    /// # Errors
    /// When `rcgen` refuses the CRL.
    pub fn root_crl(&self, serials: &[u64]) -> Result<Vec<u8>, PkiError> {
        crl(&self.root, serials)
    }

    /// A metadata BLOB (compact JWS, ES256, `x5c` = \[signer, CA\]) listing `entries`, with
    /// serial number `no` and `nextUpdate` 2099-12-31.
    ///
    /// # Errors
    /// When signing fails.
    pub fn blob(
        &self,
        no: u64,
        entries: &[ModelEntry],
        defect: BlobDefect,
    ) -> Result<String, PkiError> {
        let signer = if defect == BlobDefect::BadChain {
            &self.stray_signer
        } else {
            &self.signer
        };
        let b64 = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
        let header = json!({
            "alg": "ES256",
            "typ": "JWT",
            "x5c": [b64(&signer.der), b64(&self.ca.der)],
        });
        let payload = json!({
            "legalHeader": "anshin conformance test metadata; no legal meaning",
            "no": no,
            "nextUpdate": "2099-12-31",
            "entries": entries.iter().map(ModelEntry::to_json).collect::<Vec<_>>(),
        });
        let url = |v: &Value| webauthn_core::base64url::encode(v.to_string().as_bytes());
        let signing_input = format!("{}.{}", url(&header), url(&payload));
        let mut signature = signer.key.sign_raw(signing_input.as_bytes())?;
        if defect == BlobDefect::BadSignature
            && let Some(b) = signature.get_mut(10)
        {
            *b ^= 0x01;
        }
        Ok(format!(
            "{signing_input}.{}",
            webauthn_core::base64url::encode(&signature)
        ))
    }
}

fn crl(issuer: &Certified, serials: &[u64]) -> Result<Vec<u8>, PkiError> {
    let params = CertificateRevocationListParams {
        this_update: date_time_ymd(2020, 1, 1),
        next_update: date_time_ymd(2099, 12, 31),
        crl_number: SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: serial_number(*serial),
                revocation_time: date_time_ymd(2021, 1, 1),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    Ok(params
        .signed_by(&issuer.issuer()?)
        .map_err(pki_error("CRL"))?
        .der()
        .to_vec())
}

#[cfg(test)]
mod tests;
