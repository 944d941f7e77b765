//! Ceremonies made by the virtual authenticator of `anshin-conformance`, as the inputs of the
//! side-by-side benches: the same JSON bytes go to anshin, to other relying-party libraries and
//! (the signed message and signature inside them) to `ring` alone.
//!
//! One credential per algorithm is registered with `none` attestation and then asserts once;
//! a second credential of the same authenticator registers with packed self attestation. All
//! challenges are fixed, so another library's state can be given the same challenge.

use anshin_conformance::authenticator::{
    Algorithm as VirtualAlgorithm, Attestation, AuthenticationResponse, CredentialOptions,
    RegistrationResponse, VirtualAuthenticator,
};
use coset::CborSerializable as _;
use coset::cbor::value::Value as Cbor;
use webauthn_core::json::CredentialDescriptorJson;
use webauthn_core::{
    AttestationPolicy, AuthenticationOptions, AuthenticationResponseJson, AuthenticationState,
    Challenge, CredentialRecord, RegistrationOptions, RegistrationResponseJson, RegistrationState,
    RelyingParty, SystemRandom, UserEntity, UserHandle, VerifiedAuthentication,
    VerifiedRegistration,
};

use crate::{Algorithm, FixtureError, NOW, ORIGIN, RP_ID, RawPublicKey};

/// The relying party's display name.
pub const RP_NAME: &str = "Example";
/// The seed of the virtual authenticator.
pub const SEED: u64 = 0x616e_7368_696e_0008;
/// The user's name, as both libraries are told it.
pub const USER_NAME: &str = "alice@example.org";

/// The virtual authenticator's name for `alg`.
#[must_use]
pub fn virtual_algorithm(alg: Algorithm) -> VirtualAlgorithm {
    match alg {
        Algorithm::Es256 => VirtualAlgorithm::Es256,
        Algorithm::EdDsa => VirtualAlgorithm::EdDsa,
        Algorithm::Rs256 => VirtualAlgorithm::Rs256,
    }
}

impl RawPublicKey {
    /// The raw key inside a COSE_Key (EC2 P-256, OKP Ed25519 or RSA), as `ring` takes it.
    ///
    /// # Errors
    /// When the bytes are not such a COSE_Key.
    pub fn from_cose(alg: Algorithm, cose: &[u8]) -> Result<Self, FixtureError> {
        let key = coset::CoseKey::from_slice(cose)
            .map_err(|e| FixtureError::new("decoding the COSE key", e))?;
        let param = |label: i64| {
            key.params
                .iter()
                .find(|(l, _)| *l == coset::Label::Int(label))
                .and_then(|(_, v)| v.as_bytes().cloned())
                .ok_or_else(|| FixtureError::new("reading the COSE key", label))
        };
        Ok(match alg {
            Algorithm::Es256 => {
                let mut point = vec![4];
                point.extend(param(-2)?);
                point.extend(param(-3)?);
                Self::EcdsaP256(point)
            }
            Algorithm::EdDsa => Self::Ed25519(param(-2)?),
            Algorithm::Rs256 => Self::Rsa {
                n: param(-1)?,
                e: param(-2)?,
            },
        })
    }
}

/// A registration made by the virtual authenticator, ready to finish.
#[derive(Debug)]
pub struct VirtualRegistration {
    /// The relying party.
    pub rp: RelyingParty,
    /// anshin's state; `finish_registration` consumes it, so clone it for each run.
    pub state: RegistrationState,
    /// Any attestation, including `none` and self.
    pub policy: AttestationPolicy,
    /// The challenge the state holds.
    pub challenge: Vec<u8>,
    /// The user handle the state holds.
    pub user_handle: Vec<u8>,
    /// The `RegistrationResponseJSON` text the client sends.
    pub response_json: Vec<u8>,
    /// What the authenticator produced.
    pub response: RegistrationResponse,
    /// For packed self attestation: the signed message (`authData ‖ SHA-256(clientDataJSON)`),
    /// the signature, and the credential key that checks it.
    pub self_signature: Option<(Vec<u8>, Vec<u8>, RawPublicKey)>,
}

impl VirtualRegistration {
    /// Parses the JSON and finishes the ceremony once on a clone of the state.
    ///
    /// # Errors
    /// When anshin refuses it.
    pub fn verify_once(&self) -> Result<VerifiedRegistration, FixtureError> {
        let response = RegistrationResponseJson::from_slice(&self.response_json)
            .map_err(|e| FixtureError::new("parsing the registration response", e))?;
        self.rp
            .finish_registration(self.state.clone(), &response, &self.policy, NOW)
            .map_err(|e| FixtureError::new("finish_registration refused the fixture", e))
    }
}

/// An assertion made by the virtual authenticator for a credential anshin registered.
#[derive(Debug)]
pub struct VirtualAuthentication {
    /// The relying party.
    pub rp: RelyingParty,
    /// anshin's state; clone it for each run.
    pub state: AuthenticationState,
    /// The stored credential record.
    pub credential: CredentialRecord,
    /// The challenge the state holds.
    pub challenge: Vec<u8>,
    /// The `AuthenticationResponseJSON` text the client sends.
    pub response_json: Vec<u8>,
    /// What the authenticator produced.
    pub response: AuthenticationResponse,
    /// `authenticatorData ‖ SHA-256(clientDataJSON)`: what the signature covers.
    pub signed_message: Vec<u8>,
    /// The credential's key, for `ring` alone.
    pub raw_public_key: RawPublicKey,
}

impl VirtualAuthentication {
    /// Parses the JSON and finishes the ceremony once on a clone of the state.
    ///
    /// # Errors
    /// When anshin refuses it.
    pub fn verify_once(&self) -> Result<VerifiedAuthentication, FixtureError> {
        let response = AuthenticationResponseJson::from_slice(&self.response_json)
            .map_err(|e| FixtureError::new("parsing the authentication response", e))?;
        self.rp
            .finish_authentication(self.state.clone(), &response, &self.credential, NOW)
            .map_err(|e| FixtureError::new("finish_authentication refused the fixture", e))
    }
}

/// The ceremonies of one algorithm.
#[derive(Debug)]
pub struct VirtualCeremonies {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Registration with `none` attestation of the credential that then asserts.
    pub registration_none: VirtualRegistration,
    /// Registration of a second credential with packed self attestation.
    pub registration_packed_self: VirtualRegistration,
    /// An assertion of the first credential.
    pub authentication: VirtualAuthentication,
}

fn relying_party() -> Result<RelyingParty, FixtureError> {
    RelyingParty::builder(RP_ID, RP_NAME)
        .origin(ORIGIN)
        .build()
        .map_err(|e| FixtureError::new("building the relying party", e))
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// `attStmt.sig` of an attestation object.
fn attestation_signature(attestation_object: &[u8]) -> Result<Vec<u8>, FixtureError> {
    let value: Cbor = coset::cbor::de::from_reader(attestation_object)
        .map_err(|e| FixtureError::new("decoding the attestation object", e))?;
    let field = |map: &Cbor, name: &str| {
        map.as_map().and_then(|entries| {
            entries
                .iter()
                .find(|(k, _)| k.as_text() == Some(name))
                .map(|(_, v)| v.clone())
        })
    };
    field(&value, "attStmt")
        .and_then(|statement| field(&statement, "sig"))
        .and_then(|sig| sig.as_bytes().cloned())
        .ok_or_else(|| FixtureError::new("reading the attestation object", "no attStmt.sig"))
}

impl VirtualCeremonies {
    /// Registers a credential with `alg` (`none`), another (packed self), and makes an
    /// assertion of the first.
    ///
    /// # Errors
    /// When the authenticator or anshin refuses a step.
    pub fn new(alg: Algorithm) -> Result<Self, FixtureError> {
        let mut authenticator = VirtualAuthenticator::new(SEED).with_origin(ORIGIN);
        let user_handle: Vec<u8> = (1..=16).collect();
        let registration_none =
            Self::register(alg, &mut authenticator, &user_handle, Attestation::None, 1)?;
        let registration_packed_self = Self::register(
            alg,
            &mut authenticator,
            &user_handle,
            Attestation::PackedSelf,
            2,
        )?;
        let credential = registration_none.verify_once()?.credential;

        let rp = relying_party()?;
        let challenge: Vec<u8> = (0..32).map(|i| i * 3 + 1).collect();
        let options = AuthenticationOptions {
            user: Some(credential.user_handle.clone()),
            allow_credentials: vec![CredentialDescriptorJson::new(credential.id.clone(), vec![])],
            ..AuthenticationOptions::default()
        }
        .danger_with_challenge(Challenge::danger_from_bytes(challenge.clone()));
        let (request, state) = rp
            .start_authentication(options, NOW, &SystemRandom::new())
            .map_err(|e| FixtureError::new("starting the authentication", e))?;
        let response = authenticator
            .get(&request, &[])
            .map_err(|e| FixtureError::new("the authenticator's assertion", e))?;
        let response_json = serde_json::to_vec(&response.json)
            .map_err(|e| FixtureError::new("serializing the assertion", e))?;
        let mut signed_message = response.authenticator_data.clone();
        signed_message.extend(sha256(&response.client_data_json));
        let raw_public_key = RawPublicKey::from_cose(alg, credential.public_key.as_cose())?;
        let authentication = VirtualAuthentication {
            rp,
            state,
            credential,
            challenge,
            response_json,
            response,
            signed_message,
            raw_public_key,
        };
        authentication.verify_once()?;
        Ok(Self {
            algorithm: alg,
            registration_none,
            registration_packed_self,
            authentication,
        })
    }

    fn register(
        alg: Algorithm,
        authenticator: &mut VirtualAuthenticator,
        user_handle: &[u8],
        attestation: Attestation,
        challenge_seed: u8,
    ) -> Result<VirtualRegistration, FixtureError> {
        let rp = relying_party()?;
        let challenge: Vec<u8> = (0..32u8)
            .map(|i| i.wrapping_mul(5).wrapping_add(challenge_seed))
            .collect();
        let user = UserEntity {
            id: UserHandle::new(user_handle.to_vec())
                .map_err(|e| FixtureError::new("making the user handle", e))?,
            name: USER_NAME.to_owned(),
            display_name: "Alice".to_owned(),
        };
        let options = RegistrationOptions::default()
            .danger_with_challenge(Challenge::danger_from_bytes(challenge.clone()));
        let (creation, state) = rp
            .start_registration(user, options, NOW, &SystemRandom::new())
            .map_err(|e| FixtureError::new("starting the registration", e))?;
        let credential_options = CredentialOptions {
            algorithm: virtual_algorithm(alg),
            attestation,
            ..CredentialOptions::default()
        };
        let response = authenticator
            .create(&creation, &credential_options, &[])
            .map_err(|e| FixtureError::new("the authenticator's registration", e))?;
        let response_json = serde_json::to_vec(&response.json)
            .map_err(|e| FixtureError::new("serializing the registration", e))?;
        let self_signature = match attestation {
            Attestation::PackedSelf => {
                let mut message = response.authenticator_data.clone();
                message.extend(sha256(&response.client_data_json));
                let signature = attestation_signature(&response.attestation_object)?;
                let key = authenticator
                    .credential(&response.credential_id)
                    .ok_or_else(|| FixtureError::new("finding the credential", "none"))?;
                let raw = RawPublicKey::from_cose(alg, key.cose_public_key())?;
                Some((message, signature, raw))
            }
            // `none` has no signature; the certificate-based formats' floor is the sum of
            // several checks, measured with the W3C vectors (see BENCHMARKS.md).
            _ => None,
        };
        let registration = VirtualRegistration {
            rp,
            state,
            policy: AttestationPolicy::any(),
            challenge,
            user_handle: user_handle.to_vec(),
            response_json,
            response,
            self_signature,
        };
        registration.verify_once()?;
        Ok(registration)
    }
}

/// One signature check, with what `ring` needs for it.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// What is checked, for messages.
    pub what: String,
    /// The raw public key (an uncompressed P-256 point).
    pub public_key: Vec<u8>,
    /// The signed bytes.
    pub message: Vec<u8>,
    /// The ASN.1 DER signature.
    pub signature: Vec<u8>,
}

impl SignatureCheck {
    /// Runs it with `ring` alone.
    ///
    /// # Errors
    /// When the signature does not verify.
    pub fn verify(&self) -> Result<(), ring::error::Unspecified> {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            &self.public_key,
        )
        .verify(&self.message, &self.signature)
    }
}

/// `ecdsa-with-SHA256` (RFC 5758).
const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
/// `prime256v1` (RFC 5480).
const PRIME256V1: &str = "1.2.840.10045.3.1.7";

/// What a certificate contributes to signature checks.
struct CertificateParts {
    /// The DER of `tbsCertificate`: what its issuer signed.
    tbs: Vec<u8>,
    /// The issuer's signature over it.
    signature: Vec<u8>,
    /// Its own public key (an uncompressed P-256 point).
    key: Vec<u8>,
}

/// A P-256 certificate's parts: its to-be-signed bytes, signature and public key.
fn certificate_parts(der: &[u8]) -> Result<CertificateParts, FixtureError> {
    use x509_cert::der::{Decode as _, Encode as _};
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| FixtureError::new("decoding a certificate", e))?;
    if cert.signature_algorithm().oid.to_string() != ECDSA_WITH_SHA256 {
        return Err(FixtureError::new(
            "reading a certificate",
            "only ecdsa-with-SHA256 signatures are supported here",
        ));
    }
    let spki = cert.tbs_certificate().subject_public_key_info();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
        .map(|oid| oid.to_string());
    if curve.as_deref() != Some(PRIME256V1) {
        return Err(FixtureError::new(
            "reading a certificate",
            "only P-256 keys are supported here",
        ));
    }
    let tbs = cert
        .tbs_certificate()
        .to_der()
        .map_err(|e| FixtureError::new("encoding the to-be-signed certificate", e))?;
    let signature = cert
        .signature()
        .as_bytes()
        .ok_or_else(|| FixtureError::new("reading a certificate", "unaligned signature"))?
        .to_vec();
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| FixtureError::new("reading a certificate", "unaligned key"))?
        .to_vec();
    Ok(CertificateParts {
        tbs,
        signature,
        key,
    })
}

impl crate::RecordedRegistration {
    /// The signature checks a packed registration with an x5c path needs at the least: the
    /// attestation signature with the leaf's key, and each certificate's signature with its
    /// issuer's key, the last one's with the trust anchor's (ECDSA P-256 with SHA-256 only).
    ///
    /// # Errors
    /// When the registration is not packed with x5c, or uses other algorithms.
    pub fn signature_checks(&self) -> Result<Vec<SignatureCheck>, FixtureError> {
        let r = &self.response.response;
        let value: Cbor = coset::cbor::de::from_reader(r.attestation_object.as_slice())
            .map_err(|e| FixtureError::new("decoding the attestation object", e))?;
        let field = |map: &Cbor, name: &str| {
            map.as_map().and_then(|entries| {
                entries
                    .iter()
                    .find(|(k, _)| k.as_text() == Some(name))
                    .map(|(_, v)| v.clone())
            })
        };
        let missing = |what: &'static str| FixtureError::new("reading the attestation", what);
        let auth_data = field(&value, "authData")
            .and_then(|v| v.as_bytes().cloned())
            .ok_or_else(|| missing("authData"))?;
        let statement = field(&value, "attStmt").ok_or_else(|| missing("attStmt"))?;
        let signature = field(&statement, "sig")
            .and_then(|v| v.as_bytes().cloned())
            .ok_or_else(|| missing("attStmt.sig"))?;
        let chain: Vec<Vec<u8>> = field(&statement, "x5c")
            .and_then(|v| v.as_array().cloned())
            .ok_or_else(|| missing("attStmt.x5c"))?
            .iter()
            .filter_map(|c| c.as_bytes().cloned())
            .collect();
        let anchor = self
            .anchors
            .first()
            .ok_or_else(|| missing("a trust anchor"))?;
        let mut parts = chain
            .iter()
            .map(|c| certificate_parts(c))
            .collect::<Result<Vec<_>, _>>()?;
        let anchor_key = certificate_parts(anchor)?.key;
        let leaf_key = parts
            .first()
            .map(|p| p.key.clone())
            .ok_or_else(|| missing("a certificate in x5c"))?;
        let mut message = auth_data;
        message.extend(sha256(&r.client_data_json));
        let mut checks = vec![SignatureCheck {
            what: "attestation signature".to_owned(),
            public_key: leaf_key,
            message,
            signature,
        }];
        let issuers: Vec<Vec<u8>> = parts
            .iter()
            .skip(1)
            .map(|p| p.key.clone())
            .chain(std::iter::once(anchor_key))
            .collect();
        for (i, (part, issuer)) in parts.drain(..).zip(issuers).enumerate() {
            checks.push(SignatureCheck {
                what: format!("certificate {i} of x5c"),
                public_key: issuer,
                message: part.tbs,
                signature: part.signature,
            });
        }
        Ok(checks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webauthn_core::UnixTime;

    #[test]
    fn virtual_ceremonies_verify_in_anshin_and_in_ring_alone() {
        for alg in Algorithm::ALL {
            let c = VirtualCeremonies::new(alg).unwrap();
            let a = &c.authentication;
            a.verify_once().unwrap();
            a.raw_public_key
                .verify(&a.signed_message, &a.response.signature)
                .unwrap();
            assert!(c.registration_none.self_signature.is_none());
            let verified = c.registration_packed_self.verify_once().unwrap();
            assert_eq!(verified.attestation.format, "packed", "{alg:?}");
            let (message, signature, key) = c.registration_packed_self.self_signature.unwrap();
            key.verify(&message, &signature).unwrap();
        }
    }

    #[test]
    fn the_packed_x5c_vector_has_two_signature_checks_that_verify() {
        let r = crate::RecordedRegistration::load(
            "w3c.json",
            "w3c-packed-es256-reg",
            UnixTime::from_secs(1_800_000_000),
        )
        .unwrap();
        let checks = r.signature_checks().unwrap();
        assert_eq!(checks.len(), 2);
        for check in &checks {
            check.verify().unwrap();
        }
    }

    #[test]
    fn a_changed_signature_byte_fails_in_ring_alone() {
        let c = VirtualCeremonies::new(Algorithm::Es256).unwrap();
        let a = &c.authentication;
        let mut signature = a.response.signature.clone();
        if let Some(last) = signature.last_mut() {
            *last ^= 1;
        }
        assert!(
            a.raw_public_key
                .verify(&a.signed_message, &signature)
                .is_err()
        );
    }
}
