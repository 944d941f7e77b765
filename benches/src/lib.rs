//! Fixtures for the anshin benchmarks.
//!
//! Each fixture is a complete, valid ceremony made here with `ring`: a fresh credential key
//! (ES256 and Ed25519 keys are generated; the RS256 key is the throwaway one in
//! `fixtures/rs256-bench-only.pk8`, because `ring` cannot generate RSA keys), the small CBOR
//! structures encoded by hand, and the client's JSON as a browser's `toJSON()` would send it.
//! The challenge is fixed with [`Challenge::danger_from_bytes`] so that the client data
//! matches the ceremony state.
//!
//! A benchmark of an error path measures nothing useful, so every fixture has a
//! `verify_once` method that runs the ceremony and checks the result; the benches call it
//! before measuring and the unit tests below call it too.

use std::fmt;

pub mod side_by_side;

use ring::rand::SystemRandom as RingRandom;
use ring::signature::{
    self as rs, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
    RsaKeyPair,
};
use serde_json::json;
use webauthn_core::base64url;
use webauthn_core::json::CredentialDescriptorJson;
use webauthn_core::{
    AttestationPolicy, AuthenticationOptions, AuthenticationResponseJson, AuthenticationState,
    Challenge, CoseAlgorithm, CredentialRecord, RegistrationOptions, RegistrationResponseJson,
    RegistrationState, RelyingParty, SystemRandom, UnixTime, UserEntity, UserHandle,
    VerifiedAuthentication, VerifiedRegistration,
};

/// The RP ID of every fixture.
pub const RP_ID: &str = "example.org";
/// The origin every fixture's client data names.
pub const ORIGIN: &str = "https://example.org";
/// The time every ceremony starts and finishes at (2025-06-15T15:06:40Z).
pub const NOW: UnixTime = UnixTime::from_secs(1_750_000_000);

/// The throwaway RSA key of the RS256 fixtures (see `fixtures/README.md`).
const RSA_PKCS8: &[u8] = include_bytes!("../fixtures/rs256-bench-only.pk8");

/// Authenticator data flags (WebAuthn §6.1): UP, UV, BE, BS, AT.
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

/// The credential algorithm of a fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256 (COSE -7).
    Es256,
    /// EdDSA with Ed25519 (COSE -8).
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit modulus (COSE -257).
    Rs256,
}

impl Algorithm {
    /// Every algorithm, in the order the benches run them.
    pub const ALL: [Self; 3] = [Self::Es256, Self::EdDsa, Self::Rs256];

    /// The lower-case name used in bench ids: `es256`, `eddsa`, `rs256`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::Es256 => "es256",
            Self::EdDsa => "eddsa",
            Self::Rs256 => "rs256",
        }
    }

    /// The COSE algorithm identifier.
    #[must_use]
    pub fn cose(self) -> CoseAlgorithm {
        match self {
            Self::Es256 => CoseAlgorithm::ES256,
            Self::EdDsa => CoseAlgorithm::EDDSA,
            Self::Rs256 => CoseAlgorithm::RS256,
        }
    }
}

/// Why a fixture could not be built or did not verify.
#[derive(Debug)]
pub struct FixtureError {
    what: &'static str,
    detail: String,
}

impl FixtureError {
    fn new(what: &'static str, detail: impl fmt::Display) -> Self {
        Self {
            what,
            detail: detail.to_string(),
        }
    }
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.detail)
    }
}

impl std::error::Error for FixtureError {}

/// A credential public key in the form `ring` verifies it with, for the raw baseline: exactly
/// what `webauthn-core` hands to `ring` after parsing the COSE key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPublicKey {
    /// An uncompressed SEC1 P-256 point (`04 || x || y`), for
    /// `UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)`.
    EcdsaP256(Vec<u8>),
    /// A 32-byte Ed25519 public key, for `UnparsedPublicKey::new(&ED25519, key)`.
    Ed25519(Vec<u8>),
    /// RSA modulus and exponent, big-endian without leading zeros, for
    /// `RsaPublicKeyComponents { n, e }.verify(&RSA_PKCS1_2048_8192_SHA256, ..)`.
    Rsa {
        /// The modulus.
        n: Vec<u8>,
        /// The public exponent.
        e: Vec<u8>,
    },
}

impl RawPublicKey {
    /// Verifies `signature` over `message` with `ring` alone.
    ///
    /// # Errors
    /// When the signature does not verify.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), ring::error::Unspecified> {
        match self {
            Self::EcdsaP256(point) => {
                rs::UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_ASN1, point)
                    .verify(message, signature)
            }
            Self::Ed25519(key) => {
                rs::UnparsedPublicKey::new(&rs::ED25519, key).verify(message, signature)
            }
            Self::Rsa { n, e } => rs::RsaPublicKeyComponents { n, e }.verify(
                &rs::RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            ),
        }
    }
}

/// A credential private key held by the fixture's software authenticator.
enum Signer {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

impl Signer {
    fn new(alg: Algorithm, rng: &RingRandom) -> Result<Self, FixtureError> {
        let rejected = |e: ring::error::KeyRejected| FixtureError::new("loading the key", e);
        let unspecified = |e: ring::error::Unspecified| FixtureError::new("generating the key", e);
        Ok(match alg {
            Algorithm::Es256 => {
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rng)
                    .map_err(unspecified)?;
                Self::Es256(
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), rng)
                        .map_err(rejected)?,
                )
            }
            Algorithm::EdDsa => {
                let pkcs8 = Ed25519KeyPair::generate_pkcs8(rng).map_err(unspecified)?;
                Self::EdDsa(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(rejected)?)
            }
            Algorithm::Rs256 => Self::Rs256(RsaKeyPair::from_pkcs8(RSA_PKCS8).map_err(rejected)?),
        })
    }

    fn raw_public_key(&self) -> RawPublicKey {
        match self {
            Self::Es256(k) => RawPublicKey::EcdsaP256(k.public_key().as_ref().to_vec()),
            Self::EdDsa(k) => RawPublicKey::Ed25519(k.public_key().as_ref().to_vec()),
            Self::Rs256(k) => {
                let c = rs::RsaPublicKeyComponents::<Vec<u8>>::from(k.public());
                RawPublicKey::Rsa { n: c.n, e: c.e }
            }
        }
    }

    /// The credential public key as a COSE_Key in CTAP2 canonical CBOR (integer keys in the
    /// order 1, 3, -1, -2, -3):
    ///
    /// ```text
    /// EC2: { 1: 2, 3: -7,   -1: 1 (P-256), -2: x, -3: y }
    /// OKP: { 1: 1, 3: -8,   -1: 6 (Ed25519), -2: x }
    /// RSA: { 1: 3, 3: -257, -1: n, -2: e }
    /// ```
    fn cose_key(&self) -> Result<Vec<u8>, FixtureError> {
        let mut out = Vec::new();
        match self.raw_public_key() {
            RawPublicKey::EcdsaP256(point) => {
                let (x, y) = point
                    .get(1..)
                    .filter(|xy| xy.len() == 64)
                    .map(|xy| xy.split_at(32))
                    .ok_or_else(|| FixtureError::new("encoding the COSE key", "bad P-256 point"))?;
                cbor_head(5, 5, &mut out);
                cbor_int(1, &mut out);
                cbor_int(2, &mut out);
                cbor_int(3, &mut out);
                cbor_int(-7, &mut out);
                cbor_int(-1, &mut out);
                cbor_int(1, &mut out);
                cbor_int(-2, &mut out);
                cbor_bytes(x, &mut out);
                cbor_int(-3, &mut out);
                cbor_bytes(y, &mut out);
            }
            RawPublicKey::Ed25519(x) => {
                cbor_head(5, 4, &mut out);
                cbor_int(1, &mut out);
                cbor_int(1, &mut out);
                cbor_int(3, &mut out);
                cbor_int(-8, &mut out);
                cbor_int(-1, &mut out);
                cbor_int(6, &mut out);
                cbor_int(-2, &mut out);
                cbor_bytes(&x, &mut out);
            }
            RawPublicKey::Rsa { n, e } => {
                cbor_head(5, 4, &mut out);
                cbor_int(1, &mut out);
                cbor_int(3, &mut out);
                cbor_int(3, &mut out);
                cbor_int(-257, &mut out);
                cbor_int(-1, &mut out);
                cbor_bytes(&n, &mut out);
                cbor_int(-2, &mut out);
                cbor_bytes(&e, &mut out);
            }
        }
        Ok(out)
    }

    /// Signs as an authenticator does: ECDSA signatures are ASN.1 DER (WebAuthn §6.5.5).
    fn sign(&self, message: &[u8], rng: &RingRandom) -> Result<Vec<u8>, FixtureError> {
        let failed = |e: ring::error::Unspecified| FixtureError::new("signing", e);
        Ok(match self {
            Self::Es256(k) => k.sign(rng, message).map_err(failed)?.as_ref().to_vec(),
            Self::EdDsa(k) => k.sign(message).as_ref().to_vec(),
            Self::Rs256(k) => {
                let mut signature = vec![0; k.public().modulus_len()];
                k.sign(&rs::RSA_PKCS1_SHA256, rng, message, &mut signature)
                    .map_err(failed)?;
                signature
            }
        })
    }
}

/// Writes a CBOR head (RFC 8949 §3): major type and argument.
fn cbor_head(major: u8, argument: u64, out: &mut Vec<u8>) {
    let major = major << 5;
    match argument {
        0..24 => out.extend(u8::try_from(argument).map(|a| major | a)),
        24..0x100 => {
            out.push(major | 24);
            out.extend(u8::try_from(argument));
        }
        0x100..0x1_0000 => {
            out.push(major | 25);
            out.extend(
                u16::try_from(argument)
                    .map(u16::to_be_bytes)
                    .iter()
                    .flatten(),
            );
        }
        0x1_0000..0x1_0000_0000 => {
            out.push(major | 26);
            out.extend(
                u32::try_from(argument)
                    .map(u32::to_be_bytes)
                    .iter()
                    .flatten(),
            );
        }
        _ => {
            out.push(major | 27);
            out.extend(argument.to_be_bytes());
        }
    }
}

/// Writes a CBOR integer (major type 0 or 1).
fn cbor_int(value: i64, out: &mut Vec<u8>) {
    match u64::try_from(value) {
        Ok(unsigned) => cbor_head(0, unsigned, out),
        // -1 - n is encoded as major type 1 with argument n.
        Err(_) => cbor_head(1, (-1 - value).unsigned_abs(), out),
    }
}

/// Writes a CBOR byte string (major type 2).
fn cbor_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, usize_to_u64(bytes.len()), out);
    out.extend_from_slice(bytes);
}

/// Writes a CBOR text string (major type 3).
fn cbor_text(text: &str, out: &mut Vec<u8>) {
    cbor_head(3, usize_to_u64(text.len()), out);
    out.extend_from_slice(text.as_bytes());
}

fn usize_to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The `none` attestation object (§8.7) in CTAP2 canonical CBOR:
/// `{"fmt": "none", "attStmt": {}, "authData": bytes}`.
fn none_attestation_object(auth_data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(auth_data.len() + 32);
    cbor_head(5, 3, &mut out);
    cbor_text("fmt", &mut out);
    cbor_text("none", &mut out);
    cbor_text("attStmt", &mut out);
    cbor_head(5, 0, &mut out);
    cbor_text("authData", &mut out);
    cbor_bytes(auth_data, &mut out);
    out
}

/// `clientDataJSON` as Chrome serializes it (§5.8.1.1).
fn client_data_json(type_: &str, challenge: &Challenge) -> Vec<u8> {
    format!(
        r#"{{"type":"{type_}","challenge":"{}","origin":"{ORIGIN}","crossOrigin":false}}"#,
        challenge.to_base64url()
    )
    .into_bytes()
}

fn rp_id_hash() -> [u8; 32] {
    let mut hash = [0; 32];
    hash.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, RP_ID.as_bytes()).as_ref());
    hash
}

fn relying_party() -> Result<RelyingParty, FixtureError> {
    RelyingParty::builder(RP_ID, "Example")
        .origin(ORIGIN)
        .build()
        .map_err(|e| FixtureError::new("building the relying party", e))
}

fn user() -> Result<UserEntity, FixtureError> {
    Ok(UserEntity {
        id: UserHandle::new((1..=16).collect())
            .map_err(|e| FixtureError::new("making the user handle", e))?,
        name: "alice@example.org".to_owned(),
        display_name: "Alice".to_owned(),
    })
}

/// The `allowCredentials` entry naming a stored credential.
#[must_use]
pub fn allowed(credential: &CredentialRecord) -> CredentialDescriptorJson {
    CredentialDescriptorJson::new(credential.id.clone(), credential.transports.clone())
}

/// A registration ceremony with `none` attestation, ready to finish.
#[derive(Debug)]
pub struct RegistrationFixture {
    /// The relying party.
    pub rp: RelyingParty,
    /// The state `start_registration` returned; `finish_registration` consumes it, so clone
    /// it for each run.
    pub state: RegistrationState,
    /// The attestation policy (any attestation, including `none`).
    pub policy: AttestationPolicy,
    /// The `RegistrationResponseJSON` text the client sends.
    pub response_json: Vec<u8>,
    /// `response_json`, parsed.
    pub response: RegistrationResponseJson,
}

impl RegistrationFixture {
    /// Builds a registration of a new credential with `alg` and `none` attestation.
    ///
    /// # Errors
    /// When a key cannot be generated or the core refuses a step of building it.
    pub fn new(alg: Algorithm) -> Result<Self, FixtureError> {
        let rng = RingRandom::new();
        let signer = Signer::new(alg, &rng)?;
        Self::with_signer(alg, &signer)
    }

    fn with_signer(alg: Algorithm, signer: &Signer) -> Result<Self, FixtureError> {
        let rp = relying_party()?;
        let challenge = Challenge::danger_from_bytes((100..132).collect());
        let (_, state) = rp
            .start_registration(
                user()?,
                RegistrationOptions::default().danger_with_challenge(challenge.clone()),
                NOW,
                &SystemRandom::new(),
            )
            .map_err(|e| FixtureError::new("starting the registration", e))?;

        let client_data_json = client_data_json("webauthn.create", &challenge);
        let credential_id: Vec<u8> = (0..32).map(|i| i * 7).collect();
        let cose_key = signer.cose_key()?;
        // authData (§6.1): rpIdHash || flags || signCount || aaguid || credentialIdLength ||
        // credentialId || credentialPublicKey. A synced passkey: UP, UV, BE, BS, counter 0.
        let mut auth_data = Vec::with_capacity(37 + 18 + credential_id.len() + cose_key.len());
        auth_data.extend_from_slice(&rp_id_hash());
        auth_data.push(UP | UV | BE | BS | AT);
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]);
        let id_len = u16::try_from(credential_id.len())
            .map_err(|e| FixtureError::new("encoding the credential id length", e))?;
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&credential_id);
        auth_data.extend_from_slice(&cose_key);

        let attestation_object = none_attestation_object(&auth_data);
        let id = base64url::encode(&credential_id);
        let response_json = serde_json::to_vec(&json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": base64url::encode(&client_data_json),
                "attestationObject": base64url::encode(&attestation_object),
                "authenticatorData": base64url::encode(&auth_data),
                "publicKeyAlgorithm": alg.cose().0,
                "transports": ["hybrid", "internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {"credProps": {"rk": true}},
        }))
        .map_err(|e| FixtureError::new("serializing the registration response", e))?;
        let response = RegistrationResponseJson::from_slice(&response_json)
            .map_err(|e| FixtureError::new("parsing the registration response", e))?;
        Ok(Self {
            rp,
            state,
            policy: AttestationPolicy::any(),
            response_json,
            response,
        })
    }

    /// Finishes the ceremony once on a clone of the state.
    ///
    /// # Errors
    /// When `finish_registration` refuses the fixture: then a benchmark of it would measure an
    /// error path.
    pub fn verify_once(&self) -> Result<VerifiedRegistration, FixtureError> {
        self.rp
            .finish_registration(self.state.clone(), &self.response, &self.policy, NOW)
            .map_err(|e| FixtureError::new("finish_registration refused the fixture", e))
    }
}

/// An authentication ceremony with a registered credential, ready to finish.
#[derive(Debug)]
pub struct AuthenticationFixture {
    /// The relying party.
    pub rp: RelyingParty,
    /// The state `start_authentication` returned; `finish_authentication` consumes it, so
    /// clone it for each run.
    pub state: AuthenticationState,
    /// The stored credential record, as `finish_registration` produced it.
    pub credential: CredentialRecord,
    /// The `AuthenticationResponseJSON` text the client sends.
    pub response_json: Vec<u8>,
    /// `response_json`, parsed.
    pub response: AuthenticationResponseJson,
    /// The signed message: `authenticatorData || SHA-256(clientDataJSON)` (§7.2 step 21).
    pub signed_message: Vec<u8>,
    /// The assertion signature over `signed_message`.
    pub signature: Vec<u8>,
    /// The credential public key as `ring` takes it, for the raw baseline.
    pub raw_public_key: RawPublicKey,
}

impl AuthenticationFixture {
    /// Registers a new credential with `alg` and builds an assertion made with it, for a user
    /// identified before the ceremony (`allowCredentials` names the credential).
    ///
    /// # Errors
    /// When a key cannot be generated, signing fails, or the core refuses the registration.
    pub fn new(alg: Algorithm) -> Result<Self, FixtureError> {
        let rng = RingRandom::new();
        let signer = Signer::new(alg, &rng)?;
        let credential = RegistrationFixture::with_signer(alg, &signer)?
            .verify_once()?
            .credential;

        let rp = relying_party()?;
        let challenge = Challenge::danger_from_bytes((200..232).collect());
        let mut options = AuthenticationOptions::default().danger_with_challenge(challenge.clone());
        options.user = Some(credential.user_handle.clone());
        options.allow_credentials = vec![allowed(&credential)];
        let (_, state) = rp
            .start_authentication(options, NOW, &SystemRandom::new())
            .map_err(|e| FixtureError::new("starting the authentication", e))?;

        let client_data_json = client_data_json("webauthn.get", &challenge);
        // authData (§6.1) without attested credential data: a synced passkey (UP, UV, BE, BS)
        // that keeps no counter.
        let mut auth_data = Vec::with_capacity(37);
        auth_data.extend_from_slice(&rp_id_hash());
        auth_data.push(UP | UV | BE | BS);
        auth_data.extend_from_slice(&0u32.to_be_bytes());

        let mut signed_message = auth_data.clone();
        signed_message.extend_from_slice(
            ring::digest::digest(&ring::digest::SHA256, &client_data_json).as_ref(),
        );
        let signature = signer.sign(&signed_message, &rng)?;

        let id = credential.id.to_base64url();
        let response_json = serde_json::to_vec(&json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": base64url::encode(&client_data_json),
                "authenticatorData": base64url::encode(&auth_data),
                "signature": base64url::encode(&signature),
                "userHandle": credential.user_handle.to_base64url(),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }))
        .map_err(|e| FixtureError::new("serializing the authentication response", e))?;
        let response = AuthenticationResponseJson::from_slice(&response_json)
            .map_err(|e| FixtureError::new("parsing the authentication response", e))?;
        Ok(Self {
            rp,
            state,
            credential,
            response_json,
            response,
            signed_message,
            signature,
            raw_public_key: signer.raw_public_key(),
        })
    }

    /// Checks that the raw `ring` baseline accepts the signature, then finishes the ceremony
    /// once on a clone of the state.
    ///
    /// # Errors
    /// When `ring` or `finish_authentication` refuses the fixture: then a benchmark of it
    /// would measure an error path.
    pub fn verify_once(&self) -> Result<VerifiedAuthentication, FixtureError> {
        self.raw_public_key
            .verify(&self.signed_message, &self.signature)
            .map_err(|e| FixtureError::new("ring refused the fixture's signature", e))?;
        self.rp
            .finish_authentication(self.state.clone(), &self.response, &self.credential, NOW)
            .map_err(|e| FixtureError::new("finish_authentication refused the fixture", e))
    }
}

/// A registration recorded in the project's test vectors (`conformance/vectors/`), set up for
/// benchmarking: the relying party, a state with the vector's challenge, the attestation policy
/// and the time the vector's certificates are valid at.
#[derive(Debug)]
pub struct RecordedRegistration {
    /// The relying party.
    pub rp: RelyingParty,
    /// The state; clone it for each run.
    pub state: RegistrationState,
    /// The attestation policy: the vector's trust anchors when it names some (the certificate
    /// path is then validated), else the default (built-in roots).
    pub policy: AttestationPolicy,
    /// The parsed response.
    pub response: RegistrationResponseJson,
    /// The response's JSON text, as a client would send it.
    pub response_json: Vec<u8>,
    /// The time of the ceremony.
    pub now: UnixTime,
    /// The vector's trust anchors (DER), if it names some.
    pub anchors: Vec<Vec<u8>>,
}

impl RecordedRegistration {
    /// Loads the registration vector `id` from `conformance/vectors/<file>`.
    ///
    /// # Errors
    /// When the file or vector cannot be read, or the core refuses to start the ceremony.
    pub fn load(file: &str, id: &str, now: UnixTime) -> Result<Self, FixtureError> {
        use base64::Engine as _;
        let path = format!(
            "{}/../conformance/vectors/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path)
            .map_err(|e| FixtureError::new("reading a vector file", format!("{path}: {e}")))?;
        let records: Vec<serde_json::Value> = serde_json::from_str(&text)
            .map_err(|e| FixtureError::new("reading a vector file", format!("{path}: {e}")))?;
        let record = records
            .iter()
            .find(|r| r["id"] == id)
            .ok_or_else(|| FixtureError::new("finding a vector", format!("no {id} in {path}")))?;
        let inputs = &record["inputs"];
        let text_of = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let rp = RelyingParty::builder(&text_of(&inputs["rp_id"]), "anshin benches")
            .origin(&text_of(&inputs["expected_origins"][0]))
            .algorithms(vec![
                CoseAlgorithm::ES256,
                CoseAlgorithm::RS256,
                CoseAlgorithm::EDDSA,
            ])
            // Windows Hello TPMs sign their attestation with RS1.
            .legacy_algorithms(true)
            .build()
            .map_err(|e| FixtureError::new("configuring the relying party", e))?;
        let challenge = base64url::decode(&text_of(&inputs["expected_challenge"]))
            .map_err(|_| FixtureError::new("decoding the challenge", id))?;
        let options = RegistrationOptions::default()
            .danger_with_challenge(Challenge::danger_from_bytes(challenge));
        let user = UserEntity {
            id: UserHandle::new(b"bench user".to_vec())
                .map_err(|e| FixtureError::new("the user handle", e))?,
            name: "bench".into(),
            display_name: "Bench".into(),
        };
        let (_, state) = rp
            .start_registration(user, options, now, &SystemRandom::new())
            .map_err(|e| FixtureError::new("starting the registration", e))?;
        let response = RegistrationResponseJson::from_json(&inputs["response"])
            .map_err(|e| FixtureError::new("parsing the response", e))?;
        let response_json = serde_json::to_vec(&inputs["response"])
            .map_err(|e| FixtureError::new("serializing the response", e))?;
        let anchors: Vec<Vec<u8>> = record["options"]["trust_anchors_pem"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|pem| {
                let body: String = pem
                    .as_str()?
                    .lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect();
                base64::engine::general_purpose::STANDARD.decode(body).ok()
            })
            .collect();
        let policy = if anchors.is_empty() {
            AttestationPolicy::default()
        } else {
            AttestationPolicy::require_trusted()
                .without_builtin_roots()
                .with_trust_anchors(anchors.clone())
        };
        Ok(Self {
            rp,
            state,
            policy,
            response,
            response_json,
            now,
            anchors,
        })
    }

    /// Runs the ceremony once and checks that it succeeds.
    ///
    /// # Errors
    /// When the core refuses the registration.
    pub fn verify_once(&self) -> Result<VerifiedRegistration, FixtureError> {
        self.rp
            .finish_registration(self.state.clone(), &self.response, &self.policy, self.now)
            .map_err(|e| FixtureError::new("finishing the recorded registration", e))
    }
}

#[cfg(test)]
mod tests {
    use webauthn_core::{AttestationType, CounterVerdict};

    use super::*;

    #[test]
    fn registration_fixtures_verify() {
        for alg in Algorithm::ALL {
            let fixture = RegistrationFixture::new(alg).unwrap();
            let verified = fixture.verify_once().unwrap();
            assert_eq!(verified.credential.public_key.algorithm(), alg.cose());
            assert_eq!(verified.attestation.format, "none");
            assert_eq!(verified.attestation.attestation_type, AttestationType::None);
            assert_eq!(verified.credential.discoverable, Some(true));
        }
    }

    #[test]
    fn authentication_fixtures_verify() {
        for alg in Algorithm::ALL {
            let fixture = AuthenticationFixture::new(alg).unwrap();
            let verified = fixture.verify_once().unwrap();
            assert_eq!(verified.counter, CounterVerdict::NotSupported, "{alg:?}");
            assert!(verified.user_verified && verified.backup_state);
            assert!(!verified.backup_state_changed);
        }
    }

    #[test]
    fn a_tampered_signature_fails_both_paths() {
        let mut fixture = AuthenticationFixture::new(Algorithm::Es256).unwrap();
        let last = fixture.response.response.signature.last_mut().unwrap();
        *last ^= 1;
        fixture.signature = fixture.response.response.signature.clone();
        assert!(fixture.verify_once().is_err());
        let err = fixture
            .rp
            .finish_authentication(
                fixture.state.clone(),
                &fixture.response,
                &fixture.credential,
                NOW,
            )
            .unwrap_err();
        assert_eq!(err.code(), "signature_invalid", "{err:?}");
    }

    #[test]
    fn cbor_heads_use_the_shortest_form() {
        let encode = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut out = Vec::new();
            f(&mut out);
            out
        };
        assert_eq!(encode(&|o| cbor_int(-7, o)), [0x26]);
        assert_eq!(encode(&|o| cbor_int(-8, o)), [0x27]);
        assert_eq!(encode(&|o| cbor_int(-257, o)), [0x39, 0x01, 0x00]);
        assert_eq!(encode(&|o| cbor_int(24, o)), [0x18, 24]);
        assert_eq!(encode(&|o| cbor_text("fmt", o)), [0x63, b'f', b'm', b't']);
        assert_eq!(
            encode(&|o| cbor_bytes(&[0; 256], o))[..3],
            [0x59, 0x01, 0x00]
        );
    }

    #[test]
    fn recorded_registrations_verify() {
        for (file, id, now) in [
            (
                "w3c.json",
                "w3c-packed-es256-reg",
                UnixTime::from_secs(1_800_000_000),
            ),
            (
                "w3c.json",
                "w3c-tpm-es256-reg",
                UnixTime::from_secs(1_800_000_000),
            ),
            (
                "simplewebauthn.json",
                "swa-reg-tpm-san-compliant",
                UnixTime::from_secs(1_742_428_842),
            ),
        ] {
            let f = RecordedRegistration::load(file, id, now).unwrap();
            let v = f.verify_once().unwrap();
            assert_ne!(
                v.attestation.attestation_type,
                AttestationType::None,
                "{id}"
            );
            // Every one of them ends in a trust anchor: the benches measure the full path.
            assert!(v.attestation.trusted, "{id}");
        }
    }
}
