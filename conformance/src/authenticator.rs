//! A deterministic virtual authenticator, playing both the authenticator and the client
//! (browser) side of WebAuthn, for tests and benchmarks.
//!
//! [`VirtualAuthenticator`] answers a relying party's options with the JSON a browser's
//! `PublicKeyCredential.toJSON()` produces (WebAuthn Level 3 §5.1.8 `RegistrationResponseJSON`,
//! §5.1.10 `AuthenticationResponseJSON`):
//!
//! ```text
//! options ──▶ VirtualAuthenticator::create / get ──▶ { id, rawId, type, response{…},
//!                │                                     authenticatorAttachment,
//!                │  seed ─▶ SplitMix64 ─▶ keys, ids    clientExtensionResults }
//!                └─ mutations: break exactly one check (for negative tests)
//! ```
//!
//! Everything is derived from a `u64` seed with [`SplitMix64`], a small non-cryptographic
//! PRNG: the same seed and the same calls give the same credentials, the same bytes and the same
//! signatures. ES256 signatures are deterministic (RFC 6979, `p256`), Ed25519 signatures are
//! deterministic by construction (`ring`), and RSASSA-PKCS1-v1_5 is deterministic (`ring`;
//! four fixed test keys from `conformance/testdata/rsa/`, because `ring` cannot generate RSA
//! keys). **The keys are test keys: nothing this module signs proves anything.**
//!
//! The binary structures are encoded here, without a CBOR library, so that the encoder under
//! test is not also the encoder that built the input:
//!
//! ```text
//! authenticator data (§6.1)        rpIdHash(32) ‖ flags(1) ‖ signCount(4, BE) ‖ [attestedCredentialData]
//! attested credential data (§6.5.1) aaguid(16) ‖ credentialIdLength(2, BE) ‖ credentialId ‖ COSE_Key
//! attestation object (§6.5.4)      { "fmt": tstr, "attStmt": map, "authData": bstr }   (CTAP2 canonical)
//! COSE_Key (§5.8.5, CTAP2 canonical order)
//!     ES256  { 1: 2, 3: -7,   -1: 1, -2: x, -3: y }
//!     EdDSA  { 1: 1, 3: -8,   -1: 6, -2: x }
//!     RS256  { 1: 3, 3: -257, -1: n, -2: e }
//! ```
//!
//! Each [`Mutation`] breaks one verification step of §7.1 or §7.2 and nothing else: the
//! mutated structure is still signed correctly, so that a relying party that rejects it does
//! so for the named reason.

use std::fmt;
use std::sync::Arc;

use p256::ecdsa::signature::Signer as _;
use ring::signature::{self as rs, KeyPair as _};
use serde_json::{Map, Value, json};
use webauthn_core::{
    CreationOptionsJson, RequestOptionsJson, UserVerificationRequirement, base64url,
};

use crate::pki::{AttestationCa, AttestationCertificate};

/// The four fixture RSA keys (2048-bit, PKCS#8 DER), see `conformance/testdata/rsa/README.md`.
const RSA_KEYS: [&[u8]; 4] = [
    include_bytes!("../testdata/rsa/rsa2048-0.pk8"),
    include_bytes!("../testdata/rsa/rsa2048-1.pk8"),
    include_bytes!("../testdata/rsa/rsa2048-2.pk8"),
    include_bytes!("../testdata/rsa/rsa2048-3.pk8"),
];

/// The origin and RP ID that mutations use for "another site".
const ATTACKER_ORIGIN: &str = "https://attacker.example";
const ATTACKER_RP_ID: &str = "attacker.example";

/// Authenticator data flag bits (§6.1).
mod flag {
    pub(super) const UP: u8 = 0x01;
    pub(super) const UV: u8 = 0x04;
    pub(super) const BE: u8 = 0x08;
    pub(super) const BS: u8 = 0x10;
    pub(super) const AT: u8 = 0x40;
    pub(super) const ED: u8 = 0x80;
}

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
/// a tiny, fast, **non-cryptographic** PRNG, used so that test data replays from a seed.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is `0`); the tiny modulo bias does not matter here.
    pub fn below(&mut self, n: usize) -> usize {
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        if n64 == 0 {
            return 0;
        }
        // The result is below `n`, which is a `usize`.
        usize::try_from(self.next_u64() % n64).unwrap_or(0)
    }

    /// A fair coin.
    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }

    /// Fills `dest` with random bytes.
    pub fn fill(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            for (d, s) in chunk.iter_mut().zip(bytes) {
                *d = s;
            }
        }
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.fill(&mut v);
        v
    }
}

// ---------------------------------------------------------------------------------------------
// Public configuration types
// ---------------------------------------------------------------------------------------------

/// The credential algorithms the virtual authenticator can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256, COSE -7; DER (`Ecdsa-Sig-Value`) signatures (§6.5.5).
    Es256,
    /// EdDSA with Ed25519, COSE -8.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256, COSE -257, 2048-bit fixture keys.
    Rs256,
    /// ECDSA P-384 with SHA-384, COSE -35.
    Es384,
    /// ECDSA P-521 with SHA-512, COSE -36.
    Es512,
    /// RSASSA-PKCS1-v1_5 with SHA-384, COSE -258, fixture keys.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512, COSE -259, fixture keys.
    Rs512,
    /// RSASSA-PSS with SHA-256, COSE -37, fixture keys (salted: not deterministic).
    Ps256,
    /// RSASSA-PSS with SHA-384, COSE -38, fixture keys (salted: not deterministic).
    Ps384,
    /// RSASSA-PSS with SHA-512, COSE -39, fixture keys (salted: not deterministic).
    Ps512,
}

impl Algorithm {
    /// The three most used algorithms: ES256, EdDSA, RS256.
    pub const ALL: [Self; 3] = [Self::Es256, Self::EdDsa, Self::Rs256];

    /// Every algorithm the virtual authenticator creates credentials for.
    pub const EVERY: [Self; 10] = [
        Self::Es256,
        Self::EdDsa,
        Self::Rs256,
        Self::Es384,
        Self::Es512,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
    ];

    /// The COSE algorithm identifier.
    #[must_use]
    pub const fn cose(self) -> i64 {
        match self {
            Self::Es256 => -7,
            Self::EdDsa => -8,
            Self::Rs256 => -257,
            Self::Es384 => -35,
            Self::Es512 => -36,
            Self::Rs384 => -258,
            Self::Rs512 => -259,
            Self::Ps256 => -37,
            Self::Ps384 => -38,
            Self::Ps512 => -39,
        }
    }

    /// The registry name (`ES256`, `EdDSA`, `RS256`...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
        }
    }

    /// The algorithm with this COSE identifier, if the virtual authenticator supports it.
    #[must_use]
    pub fn from_cose(alg: i64) -> Option<Self> {
        Self::EVERY.into_iter().find(|a| a.cose() == alg)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The attestation statement the authenticator produces at registration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Attestation {
    /// `fmt: "none"`, `attStmt: {}` (§8.7).
    #[default]
    None,
    /// `fmt: "packed"` self attestation, `attStmt: { alg, sig }` signed with the credential
    /// private key (§8.2).
    PackedSelf,
    /// `fmt: "packed"` full (basic) attestation, `attStmt: { alg: -7, sig, x5c }` signed with
    /// the attestation key of [`VirtualAuthenticator::with_attestation_certificate`] (§8.2).
    PackedFull,
    /// `fmt: "fido-u2f"`, `attStmt: { sig, x5c: [attestation certificate] }` over the U2F
    /// registration data (§8.6); needs an ES256 credential and an attestation certificate.
    FidoU2f,
    /// `fmt: "apple"`, `attStmt: { x5c }`: a certificate for the credential key, issued per
    /// credential by [`VirtualAuthenticator::with_attestation_ca`], carrying the nonce (§8.8).
    Apple,
    /// `fmt: "compound"`: a packed full and a packed self statement together (§8.9).
    Compound,
    /// `fmt: "tpm"` (§8.3) for an ES256 credential: `pubArea` with nameAlg SHA-256, `certInfo`
    /// signed (ES256) by the AIK of [`VirtualAuthenticator::with_attestation_certificate`]
    /// (see [`crate::pki::AttestationCa::issue_aik`]).
    TpmSha256,
    /// As [`Self::TpmSha256`], with nameAlg SHA-1 (the name of `pubArea` is a SHA-1 digest).
    TpmSha1,
    /// `fmt: "android-key"` (§8.4) for an ES256 credential: the test CA of
    /// [`VirtualAuthenticator::with_attestation_ca`] certifies the credential key with a key
    /// description whose `attestationChallenge` is the clientDataHash; `sig` is by the
    /// credential key.
    AndroidKey,
    /// `fmt: "android-safetynet"` (§8.5, deprecated): `response` is a JWS (ES256, x5c of
    /// [`VirtualAuthenticator::with_attestation_certificate`], see
    /// [`crate::pki::AttestationCa::issue_safetynet`]) whose payload carries the nonce,
    /// `ctsProfileMatch: true` and `timestampMs` from [`VirtualAuthenticator::with_time`].
    AndroidSafetyNet,
}

impl Attestation {
    /// Every statement: the first two need no attestation certificate or CA.
    pub const ALL: [Self; 10] = [
        Self::None,
        Self::PackedSelf,
        Self::PackedFull,
        Self::FidoU2f,
        Self::Apple,
        Self::Compound,
        Self::TpmSha256,
        Self::TpmSha1,
        Self::AndroidKey,
        Self::AndroidSafetyNet,
    ];

    /// The attestation statement format identifier.
    #[must_use]
    pub const fn fmt(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::PackedSelf | Self::PackedFull => "packed",
            Self::FidoU2f => "fido-u2f",
            Self::Apple => "apple",
            Self::Compound => "compound",
            Self::TpmSha256 | Self::TpmSha1 => "tpm",
            Self::AndroidKey => "android-key",
            Self::AndroidSafetyNet => "android-safetynet",
        }
    }

    /// Whether the statement is signed with an attestation certificate's key.
    #[must_use]
    pub const fn needs_certificate(self) -> bool {
        matches!(
            self,
            Self::PackedFull
                | Self::FidoU2f
                | Self::Compound
                | Self::TpmSha256
                | Self::TpmSha1
                | Self::AndroidSafetyNet
        )
    }

    /// The `attestation` conveyance preference a relying party asks for to get it.
    #[must_use]
    pub const fn conveyance(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::PackedSelf
            | Self::PackedFull
            | Self::FidoU2f
            | Self::Apple
            | Self::Compound
            | Self::TpmSha256
            | Self::TpmSha1
            | Self::AndroidKey
            | Self::AndroidSafetyNet => "direct",
        }
    }
}

/// How a credential's signature counter behaves (§6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignCounter {
    /// Starts at `start` (reported at registration) and increases by one per assertion.
    Increment {
        /// The counter in the registration's authenticator data.
        start: u32,
    },
    /// Always zero, as most passkey providers do.
    AlwaysZero,
}

impl Default for SignCounter {
    fn default() -> Self {
        Self::Increment { start: 0 }
    }
}

/// How the authenticator creates a credential: algorithm, attestation, flags, counter and what
/// the client reports about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialOptions {
    /// The credential algorithm. It must be among the relying party's `pubKeyCredParams`
    /// (unless [`Mutation::AlgorithmNotRequested`] is applied).
    pub algorithm: Algorithm,
    /// The attestation statement.
    pub attestation: Attestation,
    /// UP: whether the authenticator tests user presence (true for every real ceremony).
    pub user_present: bool,
    /// Whether the authenticator can verify the user. UV is set in a response when this is
    /// true and the relying party did not ask for `userVerification: "discouraged"`.
    pub user_verifying: bool,
    /// BE: the credential may be backed up (a synced passkey).
    pub backup_eligible: bool,
    /// BS: the credential is backed up. Only meaningful with `backup_eligible`.
    pub backup_state: bool,
    /// The signature counter.
    pub sign_counter: SignCounter,
    /// The credential id length in bytes (1 to 1023).
    pub credential_id_len: usize,
    /// The authenticator model.
    pub aaguid: [u8; 16],
    /// Whether the credential is discoverable (a passkey): the client reports `credProps.rk`
    /// and assertions carry the user handle.
    pub discoverable: bool,
    /// What `getTransports()` returns.
    pub transports: Vec<String>,
    /// `authenticatorAttachment` (`platform` or `cross-platform`), if the client reports it.
    pub authenticator_attachment: Option<String>,
    /// ED: the authenticator appends extension outputs (`{"example.extension": true}`) to its
    /// authenticator data (§6.1) in every response.
    pub extension_data: bool,
}

impl Default for CredentialOptions {
    /// A platform passkey: ES256, attestation `none`, UV capable, not synced, counter from 0.
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Es256,
            attestation: Attestation::None,
            user_present: true,
            user_verifying: true,
            backup_eligible: false,
            backup_state: false,
            sign_counter: SignCounter::default(),
            credential_id_len: 32,
            aaguid: [0; 16],
            discoverable: true,
            transports: vec!["internal".to_owned(), "hybrid".to_owned()],
            authenticator_attachment: Some("platform".to_owned()),
            extension_data: false,
        }
    }
}

/// What the authenticator needs from `PublicKeyCredentialCreationOptions`, without JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRequest {
    /// The RP ID the credential is scoped to.
    pub rp_id: String,
    /// The challenge bytes.
    pub challenge: Vec<u8>,
    /// `user.id`.
    pub user_handle: Vec<u8>,
    /// The COSE identifiers of `pubKeyCredParams`; empty accepts any algorithm.
    pub algorithms: Vec<i64>,
    /// `excludeCredentials` ids.
    pub exclude_credentials: Vec<Vec<u8>>,
    /// `authenticatorSelection.userVerification`.
    pub user_verification: UserVerificationRequirement,
    /// Whether the `credProps` extension was requested.
    pub cred_props: bool,
}

impl RegistrationRequest {
    /// A request for `rp_id` with `challenge` for the user `user_handle`, any algorithm,
    /// user verification `preferred`.
    #[must_use]
    pub fn new(rp_id: &str, challenge: &[u8], user_handle: &[u8]) -> Self {
        Self {
            rp_id: rp_id.to_owned(),
            challenge: challenge.to_vec(),
            user_handle: user_handle.to_vec(),
            algorithms: Vec::new(),
            exclude_credentials: Vec::new(),
            user_verification: UserVerificationRequirement::Preferred,
            cred_props: false,
        }
    }

    /// The request a browser derives from `options` (`parseCreationOptionsFromJSON`). Without
    /// `rp.id`, the RP ID is the host of `origin`, as a browser uses its effective domain.
    ///
    /// # Errors
    /// [`Error::MissingRpId`] when neither `rp.id` nor a host in `origin` is available.
    pub fn from_options(
        options: &CreationOptionsJson,
        origin: Option<&str>,
    ) -> Result<Self, Error> {
        let pk = &options.public_key;
        let rp_id = match (&pk.rp.id, origin.and_then(origin_host)) {
            (Some(id), _) => id.clone(),
            (None, Some(host)) => host.to_owned(),
            (None, None) => return Err(Error::MissingRpId),
        };
        Ok(Self {
            rp_id,
            challenge: pk.challenge.0.clone(),
            user_handle: pk.user.id.as_bytes().to_vec(),
            algorithms: pk.pub_key_cred_params.iter().map(|p| p.alg).collect(),
            exclude_credentials: pk
                .exclude_credentials
                .iter()
                .map(|d| d.id.as_bytes().to_vec())
                .collect(),
            user_verification: pk
                .authenticator_selection
                .as_ref()
                .and_then(|s| s.user_verification)
                .unwrap_or_default(),
            cred_props: pk
                .extensions
                .as_ref()
                .is_some_and(|e| e.cred_props == Some(true)),
        })
    }
}

/// What the authenticator needs from `PublicKeyCredentialRequestOptions`, without JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationRequest {
    /// The RP ID.
    pub rp_id: String,
    /// The challenge bytes.
    pub challenge: Vec<u8>,
    /// `allowCredentials` ids; empty for discoverable credentials.
    pub allow_credentials: Vec<Vec<u8>>,
    /// `userVerification`.
    pub user_verification: UserVerificationRequirement,
}

impl AuthenticationRequest {
    /// A request for `rp_id` with `challenge`, any discoverable credential, user verification
    /// `preferred`.
    #[must_use]
    pub fn new(rp_id: &str, challenge: &[u8]) -> Self {
        Self {
            rp_id: rp_id.to_owned(),
            challenge: challenge.to_vec(),
            allow_credentials: Vec::new(),
            user_verification: UserVerificationRequirement::Preferred,
        }
    }

    /// The request a browser derives from `options` (`parseRequestOptionsFromJSON`). Without
    /// `rpId`, the RP ID is the host of `origin`.
    ///
    /// # Errors
    /// [`Error::MissingRpId`] when neither `rpId` nor a host in `origin` is available.
    pub fn from_options(options: &RequestOptionsJson, origin: Option<&str>) -> Result<Self, Error> {
        let pk = &options.public_key;
        let rp_id = match (&pk.rp_id, origin.and_then(origin_host)) {
            (Some(id), _) => id.clone(),
            (None, Some(host)) => host.to_owned(),
            (None, None) => return Err(Error::MissingRpId),
        };
        Ok(Self {
            rp_id,
            challenge: pk.challenge.0.clone(),
            allow_credentials: pk
                .allow_credentials
                .iter()
                .map(|d| d.id.as_bytes().to_vec())
                .collect(),
            user_verification: pk.user_verification.unwrap_or_default(),
        })
    }
}

/// A change to a response that breaks exactly one verification step, for negative tests.
///
/// Everything a mutation changes is signed afterwards, so the signature stays valid unless the
/// mutation is about the signature. Step numbers are WebAuthn Level 3 §7.1 (registration) and
/// §7.2 (authentication).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// `clientDataJSON.type` is the other ceremony's (§7.1 step 7, §7.2 step 10).
    WrongType,
    /// `clientDataJSON.challenge` is the challenge with one bit flipped (§7.1 step 8, §7.2
    /// step 11).
    WrongChallenge,
    /// `clientDataJSON.origin` is another site (§7.1 step 9, §7.2 step 12).
    WrongOrigin,
    /// `clientDataJSON.crossOrigin` is `true` (§7.1 step 10, §7.2 step 13).
    CrossOriginTrue,
    /// `clientDataJSON` says the ceremony ran in an iframe (`crossOrigin: true`) under another
    /// site's `topOrigin` (§7.1 step 11, §7.2 step 14).
    TopOriginOfAnotherSite,
    /// `rpIdHash` is the hash of another site's RP ID (§7.1 step 14, §7.2 step 15).
    WrongRpIdHash,
    /// UP is clear (§7.1 step 15, §7.2 step 16).
    ClearUserPresent,
    /// UV is clear although the authenticator would have verified the user (§7.1 step 16,
    /// §7.2 step 17: fatal only where user verification is required).
    ClearUserVerified,
    /// BS is set and BE is clear (§7.1 step 17, §7.2 step 18).
    SetBackupStateWithoutEligible,
    /// BE differs from the registration's (and BS is cleared with it when BE is cleared)
    /// (§7.2 step 19: a relying-party policy decision).
    BackupEligibilityChanged,
    /// One byte follows the authenticator data's last part (§6.1: "the authenticator data
    /// describes its own length").
    TrailingAuthDataByte,
    /// AT is clear in a registration although attested credential data follows (§6.1).
    ClearAttestedCredentialFlag,
    /// AT is set in an assertion but no attested credential data follows (§6.1).
    SetAttestedCredentialFlag,
    /// One bit of the signature (the assertion signature, or the packed attestation
    /// signature) is flipped (§7.2 step 21, §8.2 verification step 3).
    FlipSignatureByte,
    /// The assertion is signed with a key other than the credential's (§7.2 step 21).
    SignatureByAnotherKey,
    /// The counter repeats the last reported value instead of increasing (§7.2 step 22: fatal
    /// only when it is nonzero).
    CounterNotIncreased,
    /// `userHandle` is another user's (§7.2 step 6).
    UserHandleOfAnotherUser,
    /// `userHandle` is absent (§7.2 step 6: fatal only for usernameless sign-in).
    OmitUserHandle,
    /// The registration uses the configured algorithm although the relying party did not ask
    /// for it (§7.1 step 20).
    AlgorithmNotRequested,
    /// The packed self-attestation `alg` differs from the credential's algorithm (§8.2
    /// verification step 3).
    AttestationAlgMismatch,
    /// `fmt` is `none` but `attStmt` is not the empty map (§8.7).
    NoneAttestationWithStatement,
    /// The registration's `id` and `rawId` name another credential than the authenticator
    /// data's `credentialId` (§7.1 step 27 stores `credential.id`).
    ResponseIdNotCredentialId,
    /// `id` differs from `rawId` (§5.1: `id` is the base64url encoding of `rawId`).
    IdDiffersFromRawId,

    // --- The wire structure (§5.8.1 client data, §6.5.4 attestation object, §8 statements).
    // Each one is in [`Mutation::STRUCTURE`], not in [`Mutation::ALL`].
    /// `clientDataJSON.type` is absent.
    ClientDataTypeMissing,
    /// `clientDataJSON.type` is a number.
    ClientDataTypeNotString,
    /// `clientDataJSON.type` is `""`.
    ClientDataTypeEmpty,
    /// `clientDataJSON.type` is neither ceremony's (`"webauthn.anshin"`).
    ClientDataTypeUnknown,
    /// `clientDataJSON.challenge` is absent.
    ChallengeMissing,
    /// `clientDataJSON.challenge` is a number.
    ChallengeNotString,
    /// `clientDataJSON.challenge` is `""`.
    ChallengeEmpty,
    /// `clientDataJSON.challenge` is standard base64 with padding, not base64url.
    ChallengeNotBase64url,
    /// `clientDataJSON.origin` is absent.
    OriginMissing,
    /// `clientDataJSON.origin` is a number.
    OriginNotString,
    /// `clientDataJSON.origin` is `""`.
    OriginEmpty,
    /// `clientDataJSON.tokenBinding` is a string, not a `TokenBinding` dictionary.
    TokenBindingNotObject,
    /// `clientDataJSON.tokenBinding` has no `status`.
    TokenBindingStatusMissing,
    /// `clientDataJSON.tokenBinding.status` is not present/supported/not-supported.
    TokenBindingStatusInvalid,
    /// The attestation object is a CBOR array, not a map.
    AttestationObjectNotMap,
    /// The attestation object has no `fmt`.
    FmtMissing,
    /// `fmt` is a number.
    FmtNotString,
    /// `fmt` is a format nobody registered (`"anshin-unknown"`).
    FmtUnknown,
    /// The attestation object has no `attStmt`.
    AttStmtMissing,
    /// `attStmt` is a text string.
    AttStmtNotMap,
    /// The attestation object has no `authData`.
    AuthDataMissing,
    /// `authData` is a text string.
    AuthDataNotBytes,
    /// `authData` is the empty byte string.
    AuthDataEmpty,
    /// AT is clear and the attested credential data is left out.
    OmitAttestedCredentialData,
    /// AT is set but the attested credential data is left out.
    AttestedCredentialDataMissing,
    /// `attStmt` is the empty map (packed, fido-u2f).
    AttStmtEmpty,
    /// `attStmt.alg` is absent (packed).
    AlgMissing,
    /// `attStmt.alg` is a text string (packed).
    AlgNotNumber,
    /// `attStmt.sig` is absent.
    SigMissing,
    /// `attStmt.sig` is a text string.
    SigNotBytes,
    /// `attStmt.sig` is the empty byte string.
    SigEmpty,
    /// `attStmt.x5c` is absent from a statement that needs it (fido-u2f; packed full then
    /// reads as self attestation with the wrong key).
    X5cMissing,
    /// `attStmt.x5c` is a byte string, not an array.
    X5cNotArray,
    /// `attStmt.x5c` is the empty array.
    X5cEmpty,
    /// `attStmt.x5c` lists the intermediate before the attestation certificate.
    X5cWrongOrder,
    /// `attStmt.x5c` ends with the root certificate (the full chain).
    X5cWithRoot,
    /// The packed full statement is signed with the credential key instead of the
    /// attestation key (x5c\[0\]).
    SignedWithCredentialKey,
    /// `certInfo.extraData` is not the hash of attToBeSigned (tpm).
    TpmExtraDataWrong,
    /// `certInfo.magic` is not `TPM_GENERATED_VALUE` (tpm).
    TpmMagicWrong,
    /// `pubArea.unique` is another key than the credential's (tpm).
    TpmUniqueWrong,
    /// The key description's `attestationChallenge` is not the clientDataHash (android-key).
    AndroidKeyChallengeWrong,
    /// The android-key certificate certifies another key than the credential's.
    AndroidKeyCertificateKeyWrong,
    /// `ver` is empty (android-safetynet).
    SafetyNetVerEmpty,
    /// `response` is empty (android-safetynet).
    SafetyNetResponseEmpty,
    /// The JWS's `nonce` is not the hash of attToBeSigned (android-safetynet).
    SafetyNetNonceWrong,
    /// The JWS header's `x5c` is empty (android-safetynet).
    SafetyNetX5cEmpty,
    /// `ctsProfileMatch` is false (android-safetynet).
    SafetyNetCtsProfileMismatch,
    /// `timestampMs` is an hour after the authenticator's time (android-safetynet).
    SafetyNetTimestampFuture,
    /// `timestampMs` is an hour before the authenticator's time (android-safetynet).
    SafetyNetTimestampOld,
}

impl Mutation {
    /// Every mutation that breaks one verification step of §7.1 or §7.2 (the wire-structure
    /// mutations are in [`Self::STRUCTURE`]).
    pub const ALL: [Self; 23] = [
        Self::WrongType,
        Self::WrongChallenge,
        Self::WrongOrigin,
        Self::CrossOriginTrue,
        Self::TopOriginOfAnotherSite,
        Self::WrongRpIdHash,
        Self::ClearUserPresent,
        Self::ClearUserVerified,
        Self::SetBackupStateWithoutEligible,
        Self::BackupEligibilityChanged,
        Self::TrailingAuthDataByte,
        Self::ClearAttestedCredentialFlag,
        Self::SetAttestedCredentialFlag,
        Self::FlipSignatureByte,
        Self::SignatureByAnotherKey,
        Self::CounterNotIncreased,
        Self::UserHandleOfAnotherUser,
        Self::OmitUserHandle,
        Self::AlgorithmNotRequested,
        Self::AttestationAlgMismatch,
        Self::NoneAttestationWithStatement,
        Self::ResponseIdNotCredentialId,
        Self::IdDiffersFromRawId,
    ];

    /// Every mutation of the wire structure: client data members, the attestation object's
    /// CBOR, the statements' members and certificate lists.
    pub const STRUCTURE: [Self; 49] = [
        Self::ClientDataTypeMissing,
        Self::ClientDataTypeNotString,
        Self::ClientDataTypeEmpty,
        Self::ClientDataTypeUnknown,
        Self::ChallengeMissing,
        Self::ChallengeNotString,
        Self::ChallengeEmpty,
        Self::ChallengeNotBase64url,
        Self::OriginMissing,
        Self::OriginNotString,
        Self::OriginEmpty,
        Self::TokenBindingNotObject,
        Self::TokenBindingStatusMissing,
        Self::TokenBindingStatusInvalid,
        Self::AttestationObjectNotMap,
        Self::FmtMissing,
        Self::FmtNotString,
        Self::FmtUnknown,
        Self::AttStmtMissing,
        Self::AttStmtNotMap,
        Self::AuthDataMissing,
        Self::AuthDataNotBytes,
        Self::AuthDataEmpty,
        Self::OmitAttestedCredentialData,
        Self::AttestedCredentialDataMissing,
        Self::AttStmtEmpty,
        Self::AlgMissing,
        Self::AlgNotNumber,
        Self::SigMissing,
        Self::SigNotBytes,
        Self::SigEmpty,
        Self::X5cMissing,
        Self::X5cNotArray,
        Self::X5cEmpty,
        Self::X5cWrongOrder,
        Self::X5cWithRoot,
        Self::SignedWithCredentialKey,
        Self::TpmExtraDataWrong,
        Self::TpmMagicWrong,
        Self::TpmUniqueWrong,
        Self::AndroidKeyChallengeWrong,
        Self::AndroidKeyCertificateKeyWrong,
        Self::SafetyNetVerEmpty,
        Self::SafetyNetResponseEmpty,
        Self::SafetyNetNonceWrong,
        Self::SafetyNetX5cEmpty,
        Self::SafetyNetCtsProfileMismatch,
        Self::SafetyNetTimestampFuture,
        Self::SafetyNetTimestampOld,
    ];

    /// Whether the mutation changes `clientDataJSON`'s members.
    const fn is_client_data_structure(self) -> bool {
        matches!(
            self,
            Self::ClientDataTypeMissing
                | Self::ClientDataTypeNotString
                | Self::ClientDataTypeEmpty
                | Self::ClientDataTypeUnknown
                | Self::ChallengeMissing
                | Self::ChallengeNotString
                | Self::ChallengeEmpty
                | Self::ChallengeNotBase64url
                | Self::OriginMissing
                | Self::OriginNotString
                | Self::OriginEmpty
                | Self::TokenBindingNotObject
                | Self::TokenBindingStatusMissing
                | Self::TokenBindingStatusInvalid
        )
    }

    /// Whether the mutation applies to a registration with this attestation.
    #[must_use]
    pub const fn applies_to_registration(self, attestation: Attestation) -> bool {
        if self.is_client_data_structure() {
            return true;
        }
        match self {
            Self::AttestationObjectNotMap
            | Self::FmtMissing
            | Self::FmtNotString
            | Self::FmtUnknown
            | Self::AttStmtMissing
            | Self::AttStmtNotMap
            | Self::AuthDataMissing
            | Self::AuthDataNotBytes
            | Self::AuthDataEmpty
            | Self::OmitAttestedCredentialData
            | Self::AttestedCredentialDataMissing => return true,
            Self::AttStmtEmpty => return !matches!(attestation, Attestation::None),
            Self::SigMissing | Self::SigNotBytes | Self::SigEmpty => {
                return matches!(
                    attestation,
                    Attestation::PackedSelf
                        | Attestation::PackedFull
                        | Attestation::FidoU2f
                        | Attestation::TpmSha256
                        | Attestation::TpmSha1
                );
            }
            Self::AlgMissing | Self::AlgNotNumber => {
                return matches!(
                    attestation,
                    Attestation::PackedSelf | Attestation::PackedFull
                );
            }
            Self::X5cMissing | Self::X5cNotArray | Self::X5cEmpty => {
                return matches!(
                    attestation,
                    Attestation::PackedFull
                        | Attestation::FidoU2f
                        | Attestation::Apple
                        | Attestation::TpmSha256
                        | Attestation::TpmSha1
                );
            }
            Self::SignedWithCredentialKey => return matches!(attestation, Attestation::PackedFull),
            Self::X5cWrongOrder | Self::X5cWithRoot => {
                return matches!(
                    attestation,
                    Attestation::PackedFull
                        | Attestation::TpmSha256
                        | Attestation::TpmSha1
                        | Attestation::AndroidKey
                );
            }
            Self::TpmExtraDataWrong | Self::TpmMagicWrong | Self::TpmUniqueWrong => {
                return matches!(attestation, Attestation::TpmSha256 | Attestation::TpmSha1);
            }
            Self::AndroidKeyChallengeWrong | Self::AndroidKeyCertificateKeyWrong => {
                return matches!(attestation, Attestation::AndroidKey);
            }
            Self::SafetyNetVerEmpty
            | Self::SafetyNetResponseEmpty
            | Self::SafetyNetNonceWrong
            | Self::SafetyNetX5cEmpty
            | Self::SafetyNetCtsProfileMismatch
            | Self::SafetyNetTimestampFuture
            | Self::SafetyNetTimestampOld => {
                return matches!(attestation, Attestation::AndroidSafetyNet);
            }
            _ => {}
        }
        match self {
            Self::WrongType
            | Self::WrongChallenge
            | Self::WrongOrigin
            | Self::CrossOriginTrue
            | Self::TopOriginOfAnotherSite
            | Self::WrongRpIdHash
            | Self::ClearUserPresent
            | Self::ClearUserVerified
            | Self::SetBackupStateWithoutEligible
            | Self::TrailingAuthDataByte
            | Self::ClearAttestedCredentialFlag
            | Self::AlgorithmNotRequested
            | Self::ResponseIdNotCredentialId
            | Self::IdDiffersFromRawId => true,
            // For apple, the certified nonce is what changes.
            Self::FlipSignatureByte => !matches!(attestation, Attestation::None),
            Self::AttestationAlgMismatch => {
                matches!(
                    attestation,
                    Attestation::PackedSelf | Attestation::PackedFull
                )
            }
            Self::NoneAttestationWithStatement => matches!(attestation, Attestation::None),
            Self::BackupEligibilityChanged
            | Self::SetAttestedCredentialFlag
            | Self::SignatureByAnotherKey
            | Self::CounterNotIncreased
            | Self::UserHandleOfAnotherUser
            | Self::OmitUserHandle
            | Self::ClientDataTypeMissing
            | Self::ClientDataTypeNotString
            | Self::ClientDataTypeEmpty
            | Self::ClientDataTypeUnknown
            | Self::ChallengeMissing
            | Self::ChallengeNotString
            | Self::ChallengeEmpty
            | Self::ChallengeNotBase64url
            | Self::OriginMissing
            | Self::OriginNotString
            | Self::OriginEmpty
            | Self::TokenBindingNotObject
            | Self::TokenBindingStatusMissing
            | Self::TokenBindingStatusInvalid
            | Self::AttestationObjectNotMap
            | Self::FmtMissing
            | Self::FmtNotString
            | Self::FmtUnknown
            | Self::AttStmtMissing
            | Self::AttStmtNotMap
            | Self::AuthDataMissing
            | Self::AuthDataNotBytes
            | Self::AuthDataEmpty
            | Self::OmitAttestedCredentialData
            | Self::AttestedCredentialDataMissing
            | Self::AttStmtEmpty
            | Self::AlgMissing
            | Self::AlgNotNumber
            | Self::SigMissing
            | Self::SigNotBytes
            | Self::SigEmpty
            | Self::X5cMissing
            | Self::X5cNotArray
            | Self::X5cEmpty
            | Self::X5cWrongOrder
            | Self::X5cWithRoot
            | Self::SignedWithCredentialKey
            | Self::TpmExtraDataWrong
            | Self::TpmMagicWrong
            | Self::TpmUniqueWrong
            | Self::AndroidKeyChallengeWrong
            | Self::AndroidKeyCertificateKeyWrong
            | Self::SafetyNetVerEmpty
            | Self::SafetyNetResponseEmpty
            | Self::SafetyNetNonceWrong
            | Self::SafetyNetX5cEmpty
            | Self::SafetyNetCtsProfileMismatch
            | Self::SafetyNetTimestampFuture
            | Self::SafetyNetTimestampOld => false,
        }
    }

    /// Whether the mutation applies to an assertion.
    #[must_use]
    pub const fn applies_to_authentication(self) -> bool {
        if self.is_client_data_structure() {
            return true;
        }
        match self {
            Self::WrongType
            | Self::WrongChallenge
            | Self::WrongOrigin
            | Self::CrossOriginTrue
            | Self::TopOriginOfAnotherSite
            | Self::WrongRpIdHash
            | Self::ClearUserPresent
            | Self::ClearUserVerified
            | Self::SetBackupStateWithoutEligible
            | Self::BackupEligibilityChanged
            | Self::TrailingAuthDataByte
            | Self::SetAttestedCredentialFlag
            | Self::FlipSignatureByte
            | Self::SignatureByAnotherKey
            | Self::CounterNotIncreased
            | Self::UserHandleOfAnotherUser
            | Self::OmitUserHandle
            | Self::IdDiffersFromRawId => true,
            Self::ClearAttestedCredentialFlag
            | Self::AlgorithmNotRequested
            | Self::AttestationAlgMismatch
            | Self::NoneAttestationWithStatement
            | Self::ResponseIdNotCredentialId
            | Self::ClientDataTypeMissing
            | Self::ClientDataTypeNotString
            | Self::ClientDataTypeEmpty
            | Self::ClientDataTypeUnknown
            | Self::ChallengeMissing
            | Self::ChallengeNotString
            | Self::ChallengeEmpty
            | Self::ChallengeNotBase64url
            | Self::OriginMissing
            | Self::OriginNotString
            | Self::OriginEmpty
            | Self::TokenBindingNotObject
            | Self::TokenBindingStatusMissing
            | Self::TokenBindingStatusInvalid
            | Self::AttestationObjectNotMap
            | Self::FmtMissing
            | Self::FmtNotString
            | Self::FmtUnknown
            | Self::AttStmtMissing
            | Self::AttStmtNotMap
            | Self::AuthDataMissing
            | Self::AuthDataNotBytes
            | Self::AuthDataEmpty
            | Self::OmitAttestedCredentialData
            | Self::AttestedCredentialDataMissing
            | Self::AttStmtEmpty
            | Self::AlgMissing
            | Self::AlgNotNumber
            | Self::SigMissing
            | Self::SigNotBytes
            | Self::SigEmpty
            | Self::X5cMissing
            | Self::X5cNotArray
            | Self::X5cEmpty
            | Self::X5cWrongOrder
            | Self::X5cWithRoot
            | Self::SignedWithCredentialKey
            | Self::TpmExtraDataWrong
            | Self::TpmMagicWrong
            | Self::TpmUniqueWrong
            | Self::AndroidKeyChallengeWrong
            | Self::AndroidKeyCertificateKeyWrong
            | Self::SafetyNetVerEmpty
            | Self::SafetyNetResponseEmpty
            | Self::SafetyNetNonceWrong
            | Self::SafetyNetX5cEmpty
            | Self::SafetyNetCtsProfileMismatch
            | Self::SafetyNetTimestampFuture
            | Self::SafetyNetTimestampOld => false,
        }
    }
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why the virtual authenticator could not produce a response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The options carry no RP ID and no origin was configured to derive it from.
    MissingRpId,
    /// The relying party did not offer the credential's algorithm in `pubKeyCredParams` (a
    /// browser fails with `NotSupportedError`).
    AlgorithmNotRequested(Algorithm),
    /// The authenticator already holds one of `excludeCredentials` (`InvalidStateError`).
    CredentialExcluded,
    /// No credential for the RP ID (and allow list) exists (`NotAllowedError`).
    NoCredential,
    /// The mutation does not apply to this ceremony or attestation.
    MutationNotApplicable(Mutation),
    /// A credential option is out of range.
    InvalidOptions(&'static str),
    /// Key generation or signing failed.
    Crypto(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingRpId => f.write_str("the options name no RP ID and no origin is set"),
            Self::AlgorithmNotRequested(alg) => {
                write!(
                    f,
                    "the relying party did not offer {alg} in pubKeyCredParams"
                )
            }
            Self::CredentialExcluded => {
                f.write_str("the authenticator holds a credential in excludeCredentials")
            }
            Self::NoCredential => f.write_str("no credential matches the RP ID and allow list"),
            Self::MutationNotApplicable(m) => write!(f, "mutation {m} does not apply here"),
            Self::InvalidOptions(why) => write!(f, "invalid credential options: {why}"),
            Self::Crypto(why) => write!(f, "cryptographic failure: {why}"),
        }
    }
}

impl std::error::Error for Error {}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// A registration response: the `RegistrationResponseJSON` and the bytes inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationResponse {
    /// What `PublicKeyCredential.toJSON()` returns.
    pub json: Value,
    /// The credential id in the authenticator data.
    pub credential_id: Vec<u8>,
    /// `response.clientDataJSON`.
    pub client_data_json: Vec<u8>,
    /// The authenticator data inside the attestation object.
    pub authenticator_data: Vec<u8>,
    /// `response.attestationObject`.
    pub attestation_object: Vec<u8>,
}

/// An authentication response: the `AuthenticationResponseJSON` and the bytes inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthenticationResponse {
    /// What `PublicKeyCredential.toJSON()` returns.
    pub json: Value,
    /// The credential that signed (`rawId`).
    pub credential_id: Vec<u8>,
    /// `response.clientDataJSON`.
    pub client_data_json: Vec<u8>,
    /// `response.authenticatorData`.
    pub authenticator_data: Vec<u8>,
    /// `response.signature`.
    pub signature: Vec<u8>,
    /// `response.userHandle`, if present.
    pub user_handle: Option<Vec<u8>>,
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// A credential private key. Shared with `Arc` so that an authenticator can be cloned (to
/// replay a ceremony with another mutation from the same state).
#[derive(Clone)]
enum PrivateKey {
    Es256(p256::ecdsa::SigningKey),
    Es384(p384::ecdsa::SigningKey),
    Es512(Arc<p521::ecdsa::SigningKey>),
    EdDsa(Arc<rs::Ed25519KeyPair>),
    /// An RSA fixture key and the algorithm (padding and hash) it signs with.
    Rsa(Arc<rs::RsaKeyPair>, Algorithm),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Es256(_) => "Es256(<private>)",
            Self::Es384(_) => "Es384(<private>)",
            Self::Es512(_) => "Es512(<private>)",
            Self::EdDsa(_) => "EdDsa(<private>)",
            Self::Rsa(..) => "Rsa(<private>)",
        })
    }
}

impl PrivateKey {
    /// A fresh key for `algorithm`, from the PRNG.
    fn generate(algorithm: Algorithm, rng: &mut SplitMix64) -> Result<Self, Error> {
        match algorithm {
            Algorithm::Es256 => {
                // A random 32-byte string is a valid scalar except with probability ~2^-32;
                // retry a bounded number of times.
                for _ in 0..64 {
                    if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&rng.bytes(32)) {
                        return Ok(Self::Es256(key));
                    }
                }
                Err(Error::Crypto("could not derive a P-256 scalar"))
            }
            Algorithm::EdDsa => rs::Ed25519KeyPair::from_seed_unchecked(&rng.bytes(32))
                .map(|k| Self::EdDsa(Arc::new(k)))
                .map_err(|_| Error::Crypto("Ed25519 seed rejected")),
            Algorithm::Es384 => {
                for _ in 0..64 {
                    if let Ok(key) = p384::ecdsa::SigningKey::from_slice(&rng.bytes(48)) {
                        return Ok(Self::Es384(key));
                    }
                }
                Err(Error::Crypto("could not derive a P-384 scalar"))
            }
            Algorithm::Es512 => {
                for _ in 0..64 {
                    // A P-521 scalar has 521 bits: clear the top 7 bits of 66 bytes.
                    let mut bytes = rng.bytes(66);
                    if let Some(first) = bytes.first_mut() {
                        *first &= 0x01;
                    }
                    if let Ok(key) = p521::ecdsa::SigningKey::from_slice(&bytes) {
                        return Ok(Self::Es512(Arc::new(key)));
                    }
                }
                Err(Error::Crypto("could not derive a P-521 scalar"))
            }
            Algorithm::Rs256
            | Algorithm::Rs384
            | Algorithm::Rs512
            | Algorithm::Ps256
            | Algorithm::Ps384
            | Algorithm::Ps512 => {
                let der = RSA_KEYS
                    .get(rng.below(RSA_KEYS.len()))
                    .ok_or(Error::Crypto("no RSA fixture key"))?;
                rs::RsaKeyPair::from_pkcs8(der)
                    .map(|k| Self::Rsa(Arc::new(k), algorithm))
                    .map_err(|_| Error::Crypto("RSA fixture key rejected"))
            }
        }
    }

    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Es256(_) => Algorithm::Es256,
            Self::Es384(_) => Algorithm::Es384,
            Self::Es512(_) => Algorithm::Es512,
            Self::EdDsa(_) => Algorithm::EdDsa,
            Self::Rsa(_, algorithm) => *algorithm,
        }
    }

    /// Signs `message`: DER ECDSA, raw Ed25519, raw RSASSA-PKCS1-v1_5 (§6.5.5).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        match self {
            Self::Es256(key) => {
                let sig: p256::ecdsa::Signature = key
                    .try_sign(message)
                    .map_err(|_| Error::Crypto("ECDSA signing failed"))?;
                let bytes = sig.to_bytes();
                let (r, s) = bytes.split_at(bytes.len() / 2);
                Ok(ecdsa_der(r, s))
            }
            Self::Es384(key) => {
                let sig: p384::ecdsa::Signature = key
                    .try_sign(message)
                    .map_err(|_| Error::Crypto("ECDSA signing failed"))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Self::Es512(key) => {
                let sig: p521::ecdsa::Signature = key
                    .try_sign(message)
                    .map_err(|_| Error::Crypto("ECDSA signing failed"))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Self::EdDsa(key) => Ok(key.sign(message).as_ref().to_vec()),
            Self::Rsa(key, algorithm) => {
                let encoding: &'static dyn rs::RsaEncoding = match algorithm {
                    Algorithm::Rs384 => &rs::RSA_PKCS1_SHA384,
                    Algorithm::Rs512 => &rs::RSA_PKCS1_SHA512,
                    Algorithm::Ps256 => &rs::RSA_PSS_SHA256,
                    Algorithm::Ps384 => &rs::RSA_PSS_SHA384,
                    Algorithm::Ps512 => &rs::RSA_PSS_SHA512,
                    _ => &rs::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; key.public().modulus_len()];
                key.sign(
                    encoding,
                    &ring::rand::SystemRandom::new(),
                    message,
                    &mut sig,
                )
                .map_err(|_| Error::Crypto("RSA signing failed"))?;
                Ok(sig)
            }
        }
    }

    /// The COSE_Key of the public key, CTAP2 canonical (§5.8.5, §6.5.1.1).
    fn cose_public_key(&self) -> Result<Vec<u8>, Error> {
        let map = match self {
            Self::Es256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                let (x, y) = ec_coordinates(point.as_bytes())?;
                vec![
                    (Cbor::int(1), Cbor::int(2)),
                    (Cbor::int(3), Cbor::int(Algorithm::Es256.cose())),
                    (Cbor::int(-1), Cbor::int(1)),
                    (Cbor::int(-2), Cbor::Bytes(x.to_vec())),
                    (Cbor::int(-3), Cbor::Bytes(y.to_vec())),
                ]
            }
            Self::EdDsa(key) => vec![
                (Cbor::int(1), Cbor::int(1)),
                (Cbor::int(3), Cbor::int(Algorithm::EdDsa.cose())),
                (Cbor::int(-1), Cbor::int(6)),
                (
                    Cbor::int(-2),
                    Cbor::Bytes(key.public_key().as_ref().to_vec()),
                ),
            ],
            Self::Es384(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                let (x, y) = point_coordinates(point.as_bytes(), 48)?;
                vec![
                    (Cbor::int(1), Cbor::int(2)),
                    (Cbor::int(3), Cbor::int(Algorithm::Es384.cose())),
                    (Cbor::int(-1), Cbor::int(2)),
                    (Cbor::int(-2), Cbor::Bytes(x.to_vec())),
                    (Cbor::int(-3), Cbor::Bytes(y.to_vec())),
                ]
            }
            Self::Es512(key) => {
                let point = p521::ecdsa::VerifyingKey::from(key.as_ref()).to_sec1_point(false);
                let (x, y) = point_coordinates(point.as_bytes(), 66)?;
                vec![
                    (Cbor::int(1), Cbor::int(2)),
                    (Cbor::int(3), Cbor::int(Algorithm::Es512.cose())),
                    (Cbor::int(-1), Cbor::int(3)),
                    (Cbor::int(-2), Cbor::Bytes(x.to_vec())),
                    (Cbor::int(-3), Cbor::Bytes(y.to_vec())),
                ]
            }
            Self::Rsa(key, algorithm) => {
                let public = rs::RsaPublicKeyComponents::<Vec<u8>>::from(key.public());
                vec![
                    (Cbor::int(1), Cbor::int(3)),
                    (Cbor::int(3), Cbor::int(algorithm.cose())),
                    (Cbor::int(-1), Cbor::Bytes(public.n)),
                    (Cbor::int(-2), Cbor::Bytes(public.e)),
                ]
            }
        };
        Ok(Cbor::Map(map).encode())
    }

    /// The DER `SubjectPublicKeyInfo` that `getPublicKey()` returns.
    fn spki(&self) -> Result<Vec<u8>, Error> {
        Ok(match self {
            Self::Es256(key) => {
                // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING point }
                const PREFIX: [u8; 26] = [
                    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
                ];
                let point = key.verifying_key().to_sec1_point(false);
                [PREFIX.as_slice(), point.as_bytes()].concat()
            }
            Self::EdDsa(key) => {
                // SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING key } (RFC 8410)
                const PREFIX: [u8; 12] = [
                    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
                ];
                [PREFIX.as_slice(), key.public_key().as_ref()].concat()
            }
            Self::Es384(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                ec_spki(&[0x2b, 0x81, 0x04, 0x00, 0x22], point.as_bytes())?
            }
            Self::Es512(key) => {
                let point = p521::ecdsa::VerifyingKey::from(key.as_ref()).to_sec1_point(false);
                ec_spki(&[0x2b, 0x81, 0x04, 0x00, 0x23], point.as_bytes())?
            }
            Self::Rsa(key, _) => {
                // SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING RSAPublicKey }
                const ALGORITHM: [u8; 15] = [
                    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
                    0x05, 0x00,
                ];
                let bits = [[0u8].as_slice(), key.public().as_ref()].concat();
                let body = [ALGORITHM.as_slice(), &der_tlv(0x03, &bits)?].concat();
                der_tlv(0x30, &body)?
            }
        })
    }
}

/// The affine coordinates of an uncompressed point `04 ‖ x ‖ y` of `size`-byte coordinates.
fn point_coordinates(point: &[u8], size: usize) -> Result<(&[u8], &[u8]), Error> {
    match point.split_first() {
        Some((0x04, xy)) if xy.len() == 2 * size => Ok(xy.split_at(size)),
        _ => Err(Error::Crypto("unexpected EC point encoding")),
    }
}

/// `SubjectPublicKeyInfo` of an EC key on the named curve with this OID content.
fn ec_spki(curve: &[u8], point: &[u8]) -> Result<Vec<u8>, Error> {
    const ID_EC_PUBLIC_KEY: [u8; 9] = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let algorithm = der_tlv(
        0x30,
        &[ID_EC_PUBLIC_KEY.as_slice(), &der_tlv(0x06, curve)?].concat(),
    )?;
    let bits = der_tlv(0x03, &[[0u8].as_slice(), point].concat())?;
    der_tlv(0x30, &[algorithm, bits].concat())
}

/// The affine coordinates of an uncompressed P-256 point `04 ‖ x ‖ y`.
fn ec_coordinates(point: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    match point.split_first() {
        Some((0x04, xy)) if xy.len() == 64 => Ok(xy.split_at(32)),
        _ => Err(Error::Crypto("unexpected P-256 point encoding")),
    }
}

/// `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` from big-endian `r` and `s`.
fn ecdsa_der(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn integer(v: &[u8]) -> Vec<u8> {
        let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
        let trimmed = v.get(start..).unwrap_or_default();
        let mut content = Vec::with_capacity(trimmed.len() + 1);
        if trimmed.first().is_none_or(|&b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend_from_slice(trimmed);
        let mut out = vec![0x02];
        push_der_len(&mut out, content.len());
        out.extend(content);
        out
    }
    let body = [integer(r), integer(s)].concat();
    let mut out = vec![0x30];
    push_der_len(&mut out, body.len());
    out.extend(body);
    out
}

fn push_der_len(out: &mut Vec<u8>, len: usize) {
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            let bytes = len.to_be_bytes();
            let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
            let significant = bytes.get(start..).unwrap_or_default();
            // At most 8 bytes, so the count fits in the low bits.
            out.push(0x80 | u8::try_from(significant.len()).unwrap_or(8));
            out.extend_from_slice(significant);
        }
    }
}

fn der_tlv(tag: u8, content: &[u8]) -> Result<Vec<u8>, Error> {
    if content.len() > 0xFFFF {
        return Err(Error::Crypto("DER value too long"));
    }
    let mut out = vec![tag];
    push_der_len(&mut out, content.len());
    out.extend_from_slice(content);
    Ok(out)
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

// ---------------------------------------------------------------------------------------------
// CBOR (RFC 8949), just enough for attestation objects and COSE keys
// ---------------------------------------------------------------------------------------------

/// A CBOR data item. Maps are written in CTAP2 canonical order (keys sorted by the length of
/// their encoding, then bytewise), whatever order they are built in.
#[derive(Debug, Clone)]
enum Cbor {
    Unsigned(u64),
    /// The negative integer `-1 - n`.
    Negative(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Self>),
    Bool(bool),
    Map(Vec<(Self, Self)>),
}

impl Cbor {
    fn int(i: i64) -> Self {
        match u64::try_from(i) {
            Ok(u) => Self::Unsigned(u),
            // i < 0 here, so -1 - i >= 0 and fits in u64.
            Err(_) => Self::Negative(u64::try_from(-1 - i128::from(i)).unwrap_or(u64::MAX)),
        }
    }

    fn text(s: &str) -> Self {
        Self::Text(s.to_owned())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Unsigned(n) => head(out, 0, *n),
            Self::Negative(n) => head(out, 1, *n),
            Self::Bytes(b) => {
                head(out, 2, len_u64(b.len()));
                out.extend_from_slice(b);
            }
            Self::Text(t) => {
                head(out, 3, len_u64(t.len()));
                out.extend_from_slice(t.as_bytes());
            }
            Self::Array(items) => {
                head(out, 4, len_u64(items.len()));
                for item in items {
                    item.write(out);
                }
            }
            Self::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
            Self::Map(entries) => {
                let mut encoded: Vec<(Vec<u8>, Vec<u8>)> = entries
                    .iter()
                    .map(|(k, v)| (k.encode(), v.encode()))
                    .collect();
                encoded.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
                head(out, 5, len_u64(encoded.len()));
                for (k, v) in encoded {
                    out.extend(k);
                    out.extend(v);
                }
            }
        }
    }
}

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// The initial byte(s) of a data item: major type and argument, shortest form.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if let Ok(small) = u8::try_from(n) {
        if small < 24 {
            out.push(m | small);
        } else {
            out.extend([m | 24, small]);
        }
    } else if let Ok(n16) = u16::try_from(n) {
        out.push(m | 25);
        out.extend(n16.to_be_bytes());
    } else if let Ok(n32) = u32::try_from(n) {
        out.push(m | 26);
        out.extend(n32.to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend(n.to_be_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// The authenticator
// ---------------------------------------------------------------------------------------------

/// A credential held by the virtual authenticator (a public key credential source, §4).
#[derive(Debug, Clone)]
pub struct VirtualCredential {
    id: Vec<u8>,
    rp_id: String,
    user_handle: Vec<u8>,
    key: PrivateKey,
    cose_public_key: Vec<u8>,
    sign_count: u32,
    options: CredentialOptions,
}

impl VirtualCredential {
    /// The credential id.
    #[must_use]
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The RP ID the credential is scoped to.
    #[must_use]
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// The user handle it was created for.
    #[must_use]
    pub fn user_handle(&self) -> &[u8] {
        &self.user_handle
    }

    /// Its algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// The COSE_Key of its public key, as in the attested credential data.
    #[must_use]
    pub fn cose_public_key(&self) -> &[u8] {
        &self.cose_public_key
    }

    /// The last signature counter it reported.
    #[must_use]
    pub fn sign_count(&self) -> u32 {
        self.sign_count
    }

    /// The options it was created with.
    #[must_use]
    pub fn options(&self) -> &CredentialOptions {
        &self.options
    }
}

/// The client data type of each ceremony.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ceremony {
    Create,
    Get,
}

impl Ceremony {
    const fn client_data_type(self) -> &'static str {
        match self {
            Self::Create => "webauthn.create",
            Self::Get => "webauthn.get",
        }
    }

    const fn other(self) -> Self {
        match self {
            Self::Create => Self::Get,
            Self::Get => Self::Create,
        }
    }
}

/// A seeded virtual authenticator together with the client that talks to it.
///
/// Cloning copies the credentials and the PRNG state, so a clone replays the next ceremony
/// exactly (useful to apply several mutations to the same registration).
#[derive(Debug, Clone)]
pub struct VirtualAuthenticator {
    seed: u64,
    rng: SplitMix64,
    origin: Option<String>,
    credentials: Vec<VirtualCredential>,
    attestation_certificate: Option<AttestationCertificate>,
    attestation_ca: Option<AttestationCa>,
    /// Seconds since the Unix epoch, for statements that carry a time (SafetyNet).
    time: u64,
}

impl VirtualAuthenticator {
    /// An authenticator with no credentials whose keys, credential ids and signature choices
    /// all derive from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            rng: SplitMix64::new(seed),
            origin: None,
            credentials: Vec::new(),
            attestation_certificate: None,
            attestation_ca: None,
            time: 1_750_000_000,
        }
    }

    /// The time (seconds since the Unix epoch) the authenticator puts in statements that carry
    /// one (android-safetynet's `timestampMs`); default 2025-06-15 (1 750 000 000).
    #[must_use]
    pub fn with_time(mut self, unix_seconds: u64) -> Self {
        self.time = unix_seconds;
        self
    }

    /// The CA that issues a certificate per credential for [`Attestation::Apple`] (as Apple's
    /// anonymization CA does).
    #[must_use]
    pub fn with_attestation_ca(mut self, ca: AttestationCa) -> Self {
        self.attestation_ca = Some(ca);
        self
    }

    /// The attestation certificate (and its chain) that signs [`Attestation::PackedFull`] and
    /// [`Attestation::FidoU2f`] statements, as a batch of authenticators shares one.
    #[must_use]
    pub fn with_attestation_certificate(mut self, certificate: AttestationCertificate) -> Self {
        self.attestation_certificate = Some(certificate);
        self
    }

    /// The origin the client reports in `clientDataJSON` (default: `https://<RP ID>`).
    #[must_use]
    pub fn with_origin(mut self, origin: &str) -> Self {
        self.origin = Some(origin.to_owned());
        self
    }

    /// The seed it was created with.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every credential created so far, oldest first.
    #[must_use]
    pub fn credentials(&self) -> &[VirtualCredential] {
        &self.credentials
    }

    /// The credential with this id.
    #[must_use]
    pub fn credential(&self, id: &[u8]) -> Option<&VirtualCredential> {
        self.credentials.iter().find(|c| c.id == id)
    }

    /// `navigator.credentials.create()`: answers a relying party's creation options.
    ///
    /// # Errors
    /// See [`Self::register`]; also [`Error::MissingRpId`].
    pub fn create(
        &mut self,
        options: &CreationOptionsJson,
        credential: &CredentialOptions,
        mutations: &[Mutation],
    ) -> Result<RegistrationResponse, Error> {
        let request = RegistrationRequest::from_options(options, self.origin.as_deref())?;
        self.register(&request, credential, mutations)
    }

    /// `navigator.credentials.get()`: answers a relying party's request options.
    ///
    /// # Errors
    /// See [`Self::authenticate`]; also [`Error::MissingRpId`].
    pub fn get(
        &mut self,
        options: &RequestOptionsJson,
        mutations: &[Mutation],
    ) -> Result<AuthenticationResponse, Error> {
        let request = AuthenticationRequest::from_options(options, self.origin.as_deref())?;
        self.authenticate(&request, mutations)
    }

    /// Creates a credential (authenticatorMakeCredential, §6.3.2) and the client's response.
    /// The credential is kept even when mutations make the response invalid, as a real
    /// authenticator would keep it.
    ///
    /// # Errors
    /// When the algorithm was not requested, an excluded credential exists, a mutation does
    /// not apply to registrations with this attestation, or the options are out of range.
    pub fn register(
        &mut self,
        request: &RegistrationRequest,
        options: &CredentialOptions,
        mutations: &[Mutation],
    ) -> Result<RegistrationResponse, Error> {
        if let Some(m) = mutations
            .iter()
            .find(|m| !m.applies_to_registration(options.attestation))
        {
            return Err(Error::MutationNotApplicable(*m));
        }
        let has = |m: Mutation| mutations.contains(&m);
        if !(1..=1023).contains(&options.credential_id_len) {
            return Err(Error::InvalidOptions("credential_id_len must be 1 to 1023"));
        }
        let algorithm = options.algorithm;
        if !request.algorithms.is_empty()
            && !request.algorithms.contains(&algorithm.cose())
            && !has(Mutation::AlgorithmNotRequested)
        {
            return Err(Error::AlgorithmNotRequested(algorithm));
        }
        if self
            .credentials
            .iter()
            .any(|c| c.rp_id == request.rp_id && request.exclude_credentials.contains(&c.id))
        {
            return Err(Error::CredentialExcluded);
        }

        // The new credential source.
        let key = PrivateKey::generate(algorithm, &mut self.rng)?;
        let id = self.rng.bytes(options.credential_id_len);
        let cose_public_key = key.cose_public_key()?;
        let sign_count = match options.sign_counter {
            SignCounter::Increment { start } => start,
            SignCounter::AlwaysZero => 0,
        };

        // Client data (§5.8.1) and its hash.
        let client_data_json = self.client_data(
            Ceremony::Create,
            &request.challenge,
            &request.rp_id,
            mutations,
        );
        let client_data_hash = sha256(&client_data_json);

        // Authenticator data with attested credential data (§6.1, §6.5.1).
        let mut flags = Self::flags(
            options,
            request.user_verification,
            mutations,
            Ceremony::Create,
        );
        flags |= flag::AT;
        if has(Mutation::ClearAttestedCredentialFlag) {
            flags &= !flag::AT;
        }
        let id_len =
            u16::try_from(id.len()).map_err(|_| Error::InvalidOptions("credential id too long"))?;
        let mut attested = Vec::with_capacity(18 + id.len() + cose_public_key.len());
        attested.extend_from_slice(&options.aaguid);
        attested.extend_from_slice(&id_len.to_be_bytes());
        attested.extend_from_slice(&id);
        attested.extend_from_slice(&cose_public_key);
        if has(Mutation::OmitAttestedCredentialData) {
            flags &= !flag::AT;
            attested.clear();
        }
        if has(Mutation::AttestedCredentialDataMissing) {
            attested.clear();
        }
        let authenticator_data = authenticator_data(
            &request.rp_id,
            flags,
            sign_count,
            &attested,
            options,
            mutations,
        );

        // The attestation statement (§8.7 none, §8.2 packed, §8.6 fido-u2f).
        let mut signed = authenticator_data.clone();
        signed.extend_from_slice(&client_data_hash);
        let certificate = if options.attestation.needs_certificate() {
            Some(
                self.attestation_certificate
                    .clone()
                    .ok_or(Error::InvalidOptions(
                        "this attestation needs with_attestation_certificate",
                    ))?,
            )
        } else {
            None
        };
        let mut statement: Vec<(&str, Cbor)> = match (options.attestation, &certificate) {
            (Attestation::None, _) if has(Mutation::NoneAttestationWithStatement) => vec![
                ("alg", Cbor::int(algorithm.cose())),
                ("sig", Cbor::Bytes(key.sign(&signed)?)),
            ],
            (Attestation::PackedSelf, _) => {
                self.packed_self_members(&key, algorithm, &signed, mutations)?
            }
            (Attestation::PackedFull, Some(certificate)) => {
                self.packed_full_members(certificate, &key, &signed, mutations)?
            }
            (Attestation::Compound, Some(certificate)) => {
                // §8.9: two self-contained statements, each `{ fmt, attStmt }`.
                let full = self.packed_full_members(certificate, &key, &signed, mutations)?;
                let own = self.packed_self_members(&key, algorithm, &signed, &[])?;
                let item = |members: Vec<(&str, Cbor)>| {
                    Cbor::Map(vec![
                        (Cbor::text("fmt"), Cbor::text("packed")),
                        (
                            Cbor::text("attStmt"),
                            Cbor::Map(
                                members
                                    .into_iter()
                                    .map(|(k, v)| (Cbor::text(k), v))
                                    .collect(),
                            ),
                        ),
                    ])
                };
                vec![("", Cbor::Array(vec![item(full), item(own)]))]
            }
            (Attestation::TpmSha256 | Attestation::TpmSha1, Some(certificate)) => {
                let PrivateKey::Es256(credential_key) = &key else {
                    return Err(Error::InvalidOptions("tpm needs an ES256 credential"));
                };
                let sha1 = options.attestation == Attestation::TpmSha1;
                self.tpm_members(certificate, credential_key, &signed, sha1, mutations)?
            }
            (Attestation::AndroidKey, _) => {
                let PrivateKey::Es256(credential_key) = &key else {
                    return Err(Error::InvalidOptions(
                        "android-key needs an ES256 credential",
                    ));
                };
                let mut challenge = client_data_hash;
                if has(Mutation::AndroidKeyChallengeWrong) {
                    self.flip_bit(&mut challenge);
                }
                let certified = if has(Mutation::AndroidKeyCertificateKeyWrong) {
                    crate::pki::TestKey::generate(&mut self.rng)
                        .map_err(|_| Error::Crypto("no P-256 key"))?
                } else {
                    crate::pki::TestKey::from_signing_key(credential_key.clone())
                };
                let ca = self.attestation_ca.as_mut().ok_or(Error::InvalidOptions(
                    "android-key needs with_attestation_ca",
                ))?;
                let certificate = ca
                    .issue_android_key(certified, &challenge)
                    .map_err(|_| Error::Crypto("the key certificate was refused"))?;
                let mut sig = key.sign(&signed)?;
                if has(Mutation::FlipSignatureByte) {
                    self.flip_bit(&mut sig);
                }
                let mut x5c = certificate.x5c();
                if has(Mutation::X5cWrongOrder) {
                    x5c.reverse();
                }
                if has(Mutation::X5cWithRoot) {
                    x5c.push(certificate.root);
                }
                vec![
                    ("alg", Cbor::int(Algorithm::Es256.cose())),
                    ("sig", Cbor::Bytes(sig)),
                    (
                        "x5c",
                        Cbor::Array(x5c.into_iter().map(Cbor::Bytes).collect()),
                    ),
                ]
            }
            (Attestation::AndroidSafetyNet, Some(certificate)) => {
                self.safetynet_members(certificate, &signed, mutations)?
            }
            (Attestation::Apple, _) => {
                // §8.8: a certificate for the credential key whose extension
                // 1.2.840.113635.100.8.2 holds SHA-256(authenticatorData ‖ clientDataHash).
                let PrivateKey::Es256(credential_key) = &key else {
                    return Err(Error::InvalidOptions("apple needs an ES256 credential"));
                };
                let mut nonce = sha256(&signed);
                if has(Mutation::FlipSignatureByte) {
                    self.flip_bit(&mut nonce);
                }
                let ca = self
                    .attestation_ca
                    .as_mut()
                    .ok_or(Error::InvalidOptions("apple needs with_attestation_ca"))?;
                let certificate = ca
                    .issue_credential_certificate(credential_key, &nonce)
                    .map_err(|_| Error::Crypto("the credential certificate was refused"))?;
                vec![(
                    "x5c",
                    Cbor::Array(certificate.x5c().into_iter().map(Cbor::Bytes).collect()),
                )]
            }
            (Attestation::FidoU2f, Some(certificate)) => {
                // §8.6 verification step 5: 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖
                // publicKeyU2F (the uncompressed P-256 point).
                let PrivateKey::Es256(credential_key) = &key else {
                    return Err(Error::InvalidOptions("fido-u2f needs an ES256 credential"));
                };
                let point = credential_key.verifying_key().to_sec1_point(false);
                let mut data = vec![0x00];
                data.extend_from_slice(authenticator_data.get(..32).unwrap_or_default());
                data.extend_from_slice(&client_data_hash);
                data.extend_from_slice(&id);
                data.extend_from_slice(point.as_bytes());
                let mut sig = certificate
                    .leaf
                    .key
                    .sign_der(&data)
                    .map_err(|_| Error::Crypto("attestation signing failed"))?;
                if has(Mutation::FlipSignatureByte) {
                    self.flip_bit(&mut sig);
                }
                vec![
                    ("sig", Cbor::Bytes(sig)),
                    (
                        "x5c",
                        Cbor::Array(vec![Cbor::Bytes(certificate.leaf.der.clone())]),
                    ),
                ]
            }
            _ => Vec::new(),
        };
        edit_statement(&mut statement, mutations);
        let att_stmt = if has(Mutation::AttStmtNotMap) {
            Cbor::text("packed")
        } else if let [("", array)] = statement.as_slice() {
            array.clone()
        } else {
            Cbor::Map(
                statement
                    .into_iter()
                    .map(|(k, v)| (Cbor::text(k), v))
                    .collect(),
            )
        };
        let fmt = if has(Mutation::FmtNotString) {
            Cbor::int(1)
        } else if has(Mutation::FmtUnknown) {
            Cbor::text("anshin-unknown")
        } else {
            Cbor::text(options.attestation.fmt())
        };
        let auth_data = if has(Mutation::AuthDataNotBytes) {
            Cbor::text("authData")
        } else if has(Mutation::AuthDataEmpty) {
            Cbor::Bytes(Vec::new())
        } else {
            Cbor::Bytes(authenticator_data.clone())
        };
        let mut members = Vec::with_capacity(3);
        if !has(Mutation::FmtMissing) {
            members.push((Cbor::text("fmt"), fmt));
        }
        if !has(Mutation::AttStmtMissing) {
            members.push((Cbor::text("attStmt"), att_stmt));
        }
        if !has(Mutation::AuthDataMissing) {
            members.push((Cbor::text("authData"), auth_data));
        }
        let attestation_object = if has(Mutation::AttestationObjectNotMap) {
            Cbor::Array(members.into_iter().map(|(_, v)| v).collect())
        } else {
            Cbor::Map(members)
        }
        .encode();

        // The client's JSON (§5.1.8 RegistrationResponseJSON).
        let reported_id = if has(Mutation::ResponseIdNotCredentialId) {
            another_id(&id)
        } else {
            id.clone()
        };
        let mut response = Map::new();
        response.insert("clientDataJSON".into(), b64(&client_data_json));
        response.insert("authenticatorData".into(), b64(&authenticator_data));
        response.insert("transports".into(), json!(options.transports));
        response.insert("publicKey".into(), b64(&key.spki()?));
        response.insert("publicKeyAlgorithm".into(), json!(algorithm.cose()));
        response.insert("attestationObject".into(), b64(&attestation_object));
        let mut extensions = Map::new();
        if request.cred_props {
            extensions.insert("credProps".into(), json!({ "rk": options.discoverable }));
        }
        let json = Self::envelope(
            &reported_id,
            Value::Object(response),
            options,
            extensions,
            mutations,
        );

        self.credentials.push(VirtualCredential {
            id: id.clone(),
            rp_id: request.rp_id.clone(),
            user_handle: request.user_handle.clone(),
            key,
            cose_public_key,
            sign_count,
            options: options.clone(),
        });
        Ok(RegistrationResponse {
            json,
            credential_id: id,
            client_data_json,
            authenticator_data,
            attestation_object,
        })
    }

    /// Signs an assertion (authenticatorGetAssertion, §6.3.3) with the first allowed
    /// credential (or, with an empty allow list, the newest credential for the RP ID), and
    /// the client's response.
    ///
    /// # Errors
    /// When no credential matches, a mutation does not apply to assertions, or signing fails.
    pub fn authenticate(
        &mut self,
        request: &AuthenticationRequest,
        mutations: &[Mutation],
    ) -> Result<AuthenticationResponse, Error> {
        if let Some(m) = mutations.iter().find(|m| !m.applies_to_authentication()) {
            return Err(Error::MutationNotApplicable(*m));
        }
        let has = |m: Mutation| mutations.contains(&m);
        let index = self.select(request).ok_or(Error::NoCredential)?;
        let client_data_json =
            self.client_data(Ceremony::Get, &request.challenge, &request.rp_id, mutations);
        let client_data_hash = sha256(&client_data_json);

        let credential = self.credentials.get(index).ok_or(Error::NoCredential)?;
        let options = credential.options.clone();
        let sign_count = match options.sign_counter {
            SignCounter::AlwaysZero => 0,
            SignCounter::Increment { .. } if has(Mutation::CounterNotIncreased) => {
                credential.sign_count
            }
            SignCounter::Increment { .. } => credential.sign_count.saturating_add(1),
        };
        let mut flags = Self::flags(
            &options,
            request.user_verification,
            mutations,
            Ceremony::Get,
        );
        if has(Mutation::SetAttestedCredentialFlag) {
            flags |= flag::AT;
        }
        let authenticator_data =
            authenticator_data(&request.rp_id, flags, sign_count, &[], &options, mutations);

        let mut signed = authenticator_data.clone();
        signed.extend_from_slice(&client_data_hash);
        let mut signature = if has(Mutation::SignatureByAnotherKey) {
            let mut other = self.rng.clone();
            let mut key = PrivateKey::generate(credential.algorithm(), &mut other)?;
            if let (PrivateKey::Rsa(..), PrivateKey::Rsa(mine, algorithm)) = (&key, &credential.key)
                && key.cose_public_key()? == credential.cose_public_key
            {
                // The fixture pool is small: take the next fixture key instead.
                let position = RSA_KEYS
                    .iter()
                    .position(|der| {
                        rs::RsaKeyPair::from_pkcs8(der)
                            .is_ok_and(|k| k.public().as_ref() == mine.public().as_ref())
                    })
                    .unwrap_or(0);
                let der = RSA_KEYS
                    .get((position + 1) % RSA_KEYS.len())
                    .ok_or(Error::Crypto("no RSA fixture key"))?;
                key = rs::RsaKeyPair::from_pkcs8(der)
                    .map(|k| PrivateKey::Rsa(Arc::new(k), *algorithm))
                    .map_err(|_| Error::Crypto("RSA fixture key rejected"))?;
            }
            key.sign(&signed)?
        } else {
            credential.key.sign(&signed)?
        };
        let user_handle = if has(Mutation::OmitUserHandle) {
            None
        } else if has(Mutation::UserHandleOfAnotherUser) {
            Some(credential.user_handle.iter().map(|b| b ^ 0xFF).collect())
        } else if options.discoverable {
            Some(credential.user_handle.clone())
        } else {
            None
        };
        let id = credential.id.clone();
        if has(Mutation::FlipSignatureByte) {
            self.flip_bit(&mut signature);
        }
        if let Some(c) = self.credentials.get_mut(index) {
            c.sign_count = sign_count;
        }

        // The client's JSON (§5.1.10 AuthenticationResponseJSON).
        let mut response = Map::new();
        response.insert("clientDataJSON".into(), b64(&client_data_json));
        response.insert("authenticatorData".into(), b64(&authenticator_data));
        response.insert("signature".into(), b64(&signature));
        if let Some(h) = &user_handle {
            response.insert("userHandle".into(), b64(h));
        }
        let json = Self::envelope(
            &id,
            Value::Object(response),
            &options,
            Map::new(),
            mutations,
        );
        Ok(AuthenticationResponse {
            json,
            credential_id: id,
            client_data_json,
            authenticator_data,
            signature,
            user_handle,
        })
    }

    /// The members of a tpm statement (§8.3) for a P-256 credential key.
    ///
    /// ```text
    /// pubArea  = TPMT_PUBLIC { type ECC, nameAlg, objectAttributes, authPolicy "",
    ///            symmetric NULL, scheme NULL, curveID NIST_P256, kdf NULL, unique { x, y } }
    /// certInfo = TPMS_ATTEST { magic 0xff544347, type ATTEST_CERTIFY, qualifiedSigner "",
    ///            extraData SHA-256(attToBeSigned), clockInfo, firmwareVersion,
    ///            attested { name = nameAlg ‖ H(pubArea), qualifiedName "" } }
    /// ```
    fn tpm_members(
        &mut self,
        certificate: &AttestationCertificate,
        credential_key: &p256::ecdsa::SigningKey,
        signed: &[u8],
        sha1: bool,
        mutations: &[Mutation],
    ) -> Result<Vec<(&'static str, Cbor)>, Error> {
        let has = |m: Mutation| mutations.contains(&m);
        let sized = |out: &mut Vec<u8>, bytes: &[u8]| -> Result<(), Error> {
            let len =
                u16::try_from(bytes.len()).map_err(|_| Error::InvalidOptions("TPM2B too long"))?;
            out.extend(len.to_be_bytes());
            out.extend_from_slice(bytes);
            Ok(())
        };
        let point = credential_key.verifying_key().to_sec1_point(false);
        let (x, y) = ec_coordinates(point.as_bytes())?;
        let mut x = x.to_vec();
        if has(Mutation::TpmUniqueWrong)
            && let Some(b) = x.last_mut()
        {
            *b ^= 0x01;
        }
        let name_alg: u16 = if sha1 { 0x0004 } else { 0x000B };
        let mut pub_area = Vec::new();
        pub_area.extend(0x0023u16.to_be_bytes());
        pub_area.extend(name_alg.to_be_bytes());
        pub_area.extend(0x0006_0472u32.to_be_bytes());
        sized(&mut pub_area, &[])?;
        for field in [0x0010u16, 0x0010, 0x0003, 0x0010] {
            pub_area.extend(field.to_be_bytes());
        }
        sized(&mut pub_area, &x)?;
        sized(&mut pub_area, y)?;

        let mut name = name_alg.to_be_bytes().to_vec();
        if sha1 {
            name.extend_from_slice(
                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &pub_area).as_ref(),
            );
        } else {
            name.extend_from_slice(&sha256(&pub_area));
        }
        let mut extra_data = sha256(signed);
        if has(Mutation::TpmExtraDataWrong) {
            self.flip_bit(&mut extra_data);
        }
        let magic: u32 = if has(Mutation::TpmMagicWrong) {
            0xff54_4348
        } else {
            0xff54_4347
        };
        let mut cert_info = Vec::new();
        cert_info.extend(magic.to_be_bytes());
        cert_info.extend(0x8017u16.to_be_bytes());
        sized(&mut cert_info, &[])?;
        sized(&mut cert_info, &extra_data)?;
        cert_info.extend(1_000_000u64.to_be_bytes());
        cert_info.extend(1u32.to_be_bytes());
        cert_info.extend(1u32.to_be_bytes());
        cert_info.push(1);
        cert_info.extend(0x0002_0000_0000_0000u64.to_be_bytes());
        sized(&mut cert_info, &name)?;
        sized(&mut cert_info, &[])?;

        let mut sig = certificate
            .leaf
            .key
            .sign_der(&cert_info)
            .map_err(|_| Error::Crypto("AIK signing failed"))?;
        if has(Mutation::FlipSignatureByte) {
            self.flip_bit(&mut sig);
        }
        let mut x5c = certificate.x5c();
        if has(Mutation::X5cWrongOrder) {
            x5c.reverse();
        }
        if has(Mutation::X5cWithRoot) {
            x5c.push(certificate.root.clone());
        }
        Ok(vec![
            ("ver", Cbor::text("2.0")),
            ("alg", Cbor::int(Algorithm::Es256.cose())),
            (
                "x5c",
                Cbor::Array(x5c.into_iter().map(Cbor::Bytes).collect()),
            ),
            ("sig", Cbor::Bytes(sig)),
            ("certInfo", Cbor::Bytes(cert_info)),
            ("pubArea", Cbor::Bytes(pub_area)),
        ])
    }

    /// The members of an android-safetynet statement (§8.5): `ver` and the JWS `response`.
    fn safetynet_members(
        &mut self,
        certificate: &AttestationCertificate,
        signed: &[u8],
        mutations: &[Mutation],
    ) -> Result<Vec<(&'static str, Cbor)>, Error> {
        use base64::Engine as _;
        let has = |m: Mutation| mutations.contains(&m);
        let standard = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let mut nonce = sha256(signed);
        if has(Mutation::SafetyNetNonceWrong) {
            self.flip_bit(&mut nonce);
        }
        let hour_ms = 3_600_000;
        let now_ms = self.time.saturating_mul(1000);
        let timestamp_ms = if has(Mutation::SafetyNetTimestampFuture) {
            now_ms.saturating_add(hour_ms)
        } else if has(Mutation::SafetyNetTimestampOld) {
            now_ms.saturating_sub(hour_ms)
        } else {
            now_ms
        };
        let x5c: Vec<String> = if has(Mutation::SafetyNetX5cEmpty) {
            Vec::new()
        } else {
            certificate.x5c().iter().map(|c| standard(c)).collect()
        };
        let header = json!({"alg": "ES256", "x5c": x5c});
        let payload = json!({
            "nonce": standard(&nonce),
            "timestampMs": timestamp_ms,
            "apkPackageName": "com.google.android.gms",
            "apkCertificateDigestSha256": [],
            "ctsProfileMatch": !has(Mutation::SafetyNetCtsProfileMismatch),
            "basicIntegrity": true,
        });
        let signing_input = format!(
            "{}.{}",
            base64url::encode(header.to_string()),
            base64url::encode(payload.to_string())
        );
        let signature = certificate
            .leaf
            .key
            .sign_raw(signing_input.as_bytes())
            .map_err(|_| Error::Crypto("JWS signing failed"))?;
        let response = if has(Mutation::SafetyNetResponseEmpty) {
            Vec::new()
        } else {
            format!("{signing_input}.{}", base64url::encode(signature)).into_bytes()
        };
        let ver = if has(Mutation::SafetyNetVerEmpty) {
            ""
        } else {
            "14366018"
        };
        Ok(vec![
            ("ver", Cbor::text(ver)),
            ("response", Cbor::Bytes(response)),
        ])
    }

    /// The members of a packed self-attestation statement (§8.2).
    fn packed_self_members(
        &mut self,
        key: &PrivateKey,
        algorithm: Algorithm,
        signed: &[u8],
        mutations: &[Mutation],
    ) -> Result<Vec<(&'static str, Cbor)>, Error> {
        let mut sig = key.sign(signed)?;
        if mutations.contains(&Mutation::FlipSignatureByte) {
            self.flip_bit(&mut sig);
        }
        Ok(vec![
            ("alg", Cbor::int(self.statement_alg(algorithm, mutations))),
            ("sig", Cbor::Bytes(sig)),
        ])
    }

    /// The members of a packed full-attestation statement (§8.2).
    fn packed_full_members(
        &mut self,
        certificate: &AttestationCertificate,
        key: &PrivateKey,
        signed: &[u8],
        mutations: &[Mutation],
    ) -> Result<Vec<(&'static str, Cbor)>, Error> {
        let has = |m: Mutation| mutations.contains(&m);
        let mut sig = if has(Mutation::SignedWithCredentialKey) {
            key.sign(signed)?
        } else {
            certificate
                .leaf
                .key
                .sign_der(signed)
                .map_err(|_| Error::Crypto("attestation signing failed"))?
        };
        if has(Mutation::FlipSignatureByte) {
            self.flip_bit(&mut sig);
        }
        let mut x5c = certificate.x5c();
        if has(Mutation::X5cWrongOrder) {
            x5c.reverse();
        }
        if has(Mutation::X5cWithRoot) {
            x5c.push(certificate.root.clone());
        }
        let alg = if has(Mutation::AttestationAlgMismatch) {
            Algorithm::EdDsa.cose()
        } else {
            Algorithm::Es256.cose()
        };
        Ok(vec![
            ("alg", Cbor::int(alg)),
            ("sig", Cbor::Bytes(sig)),
            (
                "x5c",
                Cbor::Array(x5c.into_iter().map(Cbor::Bytes).collect()),
            ),
        ])
    }

    /// The `alg` of a self-attestation statement: the credential's, or another with
    /// [`Mutation::AttestationAlgMismatch`].
    fn statement_alg(&self, algorithm: Algorithm, mutations: &[Mutation]) -> i64 {
        let _ = self;
        if mutations.contains(&Mutation::AttestationAlgMismatch) {
            Algorithm::ALL
                .into_iter()
                .find(|a| *a != algorithm)
                .map_or(-35, Algorithm::cose)
        } else {
            algorithm.cose()
        }
    }

    /// The credential an assertion uses, as an index into `credentials`.
    fn select(&self, request: &AuthenticationRequest) -> Option<usize> {
        if request.allow_credentials.is_empty() {
            self.credentials
                .iter()
                .rposition(|c| c.rp_id == request.rp_id && c.options.discoverable)
        } else {
            request.allow_credentials.iter().find_map(|allowed| {
                self.credentials
                    .iter()
                    .position(|c| c.rp_id == request.rp_id && c.id == *allowed)
            })
        }
    }

    /// `clientDataJSON` as Chromium serializes it: `type`, `challenge`, `origin`,
    /// `crossOrigin`, then `topOrigin` when framed (§5.8.1.1).
    fn client_data(
        &self,
        ceremony: Ceremony,
        challenge: &[u8],
        rp_id: &str,
        mutations: &[Mutation],
    ) -> Vec<u8> {
        let has = |m: Mutation| mutations.contains(&m);
        let type_ = if has(Mutation::WrongType) {
            ceremony.other()
        } else {
            ceremony
        }
        .client_data_type();
        let mut challenge = challenge.to_vec();
        if has(Mutation::WrongChallenge) {
            match challenge.first_mut() {
                Some(b) => *b ^= 0x01,
                None => challenge.push(0x01),
            }
        }
        let origin = if has(Mutation::WrongOrigin) {
            ATTACKER_ORIGIN.to_owned()
        } else {
            self.origin
                .clone()
                .unwrap_or_else(|| format!("https://{rp_id}"))
        };
        let framed = has(Mutation::TopOriginOfAnotherSite);
        let cross_origin = framed || has(Mutation::CrossOriginTrue);
        let mut text = format!(
            "{{\"type\":{},\"challenge\":{},\"origin\":{},\"crossOrigin\":{cross_origin}",
            json_string(type_),
            json_string(&base64url::encode(&challenge)),
            json_string(&origin),
        );
        if framed {
            text.push_str(",\"topOrigin\":");
            text.push_str(&json_string(ATTACKER_ORIGIN));
        }
        text.push('}');
        if mutations.iter().any(|m| m.is_client_data_structure()) {
            return edit_client_data(&text, mutations);
        }
        text.into_bytes()
    }

    /// The flags byte (without AT) for a ceremony.
    fn flags(
        options: &CredentialOptions,
        user_verification: UserVerificationRequirement,
        mutations: &[Mutation],
        ceremony: Ceremony,
    ) -> u8 {
        let has = |m: Mutation| mutations.contains(&m);
        let mut flags = 0;
        if options.user_present && !has(Mutation::ClearUserPresent) {
            flags |= flag::UP;
        }
        if options.user_verifying
            && user_verification != UserVerificationRequirement::Discouraged
            && !has(Mutation::ClearUserVerified)
        {
            flags |= flag::UV;
        }
        let mut be = options.backup_eligible;
        let mut bs = options.backup_eligible && options.backup_state;
        if ceremony == Ceremony::Get && has(Mutation::BackupEligibilityChanged) {
            be = !be;
            bs = bs && be;
        }
        if has(Mutation::SetBackupStateWithoutEligible) {
            be = false;
            bs = true;
        }
        if be {
            flags |= flag::BE;
        }
        if bs {
            flags |= flag::BS;
        }
        flags
    }

    /// The `PublicKeyCredential` JSON envelope around a response.
    fn envelope(
        id: &[u8],
        response: Value,
        options: &CredentialOptions,
        extensions: Map<String, Value>,
        mutations: &[Mutation],
    ) -> Value {
        let shown_id = if mutations.contains(&Mutation::IdDiffersFromRawId) {
            another_id(id)
        } else {
            id.to_vec()
        };
        let mut object = Map::new();
        object.insert("id".into(), b64(&shown_id));
        object.insert("rawId".into(), b64(id));
        object.insert("type".into(), json!("public-key"));
        object.insert("response".into(), response);
        if let Some(attachment) = &options.authenticator_attachment {
            object.insert("authenticatorAttachment".into(), json!(attachment));
        }
        object.insert("clientExtensionResults".into(), Value::Object(extensions));
        Value::Object(object)
    }

    /// Flips one bit of `bytes`, at a position chosen by the PRNG.
    fn flip_bit(&mut self, bytes: &mut [u8]) {
        let at = self.rng.below(bytes.len());
        let bit = self.rng.below(8);
        if let Some(b) = bytes.get_mut(at) {
            *b ^= 1 << bit;
        }
    }
}

/// Authenticator data (§6.1): `rpIdHash ‖ flags ‖ signCount ‖ attestedCredentialData`, with the
/// RP ID hash and trailing-byte mutations applied.
fn authenticator_data(
    rp_id: &str,
    mut flags: u8,
    sign_count: u32,
    attested: &[u8],
    options: &CredentialOptions,
    mutations: &[Mutation],
) -> Vec<u8> {
    if options.extension_data {
        flags |= flag::ED;
    }
    let rp_id = if mutations.contains(&Mutation::WrongRpIdHash) {
        ATTACKER_RP_ID
    } else {
        rp_id
    };
    let mut data = Vec::with_capacity(37 + attested.len() + 1);
    data.extend_from_slice(&sha256(rp_id.as_bytes()));
    data.push(flags);
    data.extend_from_slice(&sign_count.to_be_bytes());
    data.extend_from_slice(attested);
    if options.extension_data {
        data.extend(Cbor::Map(vec![(Cbor::text("example.extension"), Cbor::Bool(true))]).encode());
    }
    if mutations.contains(&Mutation::TrailingAuthDataByte) {
        data.push(0x00);
    }
    data
}

/// Applies the client data member mutations (§5.8.1) to Chromium-shaped client data.
fn edit_client_data(text: &str, mutations: &[Mutation]) -> Vec<u8> {
    let Ok(Value::Object(mut members)) = serde_json::from_str::<Value>(text) else {
        return text.as_bytes().to_vec();
    };
    for mutation in mutations {
        match mutation {
            Mutation::ClientDataTypeMissing => {
                members.remove("type");
            }
            Mutation::ClientDataTypeNotString => {
                members.insert("type".into(), json!(1469));
            }
            Mutation::ClientDataTypeEmpty => {
                members.insert("type".into(), json!(""));
            }
            Mutation::ClientDataTypeUnknown => {
                members.insert("type".into(), json!("webauthn.anshin"));
            }
            Mutation::ChallengeMissing => {
                members.remove("challenge");
            }
            Mutation::ChallengeNotString => {
                members.insert("challenge".into(), json!(1469));
            }
            Mutation::ChallengeEmpty => {
                members.insert("challenge".into(), json!(""));
            }
            Mutation::ChallengeNotBase64url => {
                let challenge = members
                    .get("challenge")
                    .and_then(Value::as_str)
                    .and_then(|c| base64url::decode(c).ok())
                    .unwrap_or_default();
                let mut standard = base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD_NO_PAD,
                    challenge,
                );
                // Make sure the standard alphabet shows, whatever the challenge bytes.
                standard.push_str("+/==");
                members.insert("challenge".into(), json!(standard));
            }
            Mutation::OriginMissing => {
                members.remove("origin");
            }
            Mutation::OriginNotString => {
                members.insert("origin".into(), json!(1469));
            }
            Mutation::OriginEmpty => {
                members.insert("origin".into(), json!(""));
            }
            Mutation::TokenBindingNotObject => {
                members.insert("tokenBinding".into(), json!("present"));
            }
            Mutation::TokenBindingStatusMissing => {
                members.insert("tokenBinding".into(), json!({"id": "AAEC"}));
            }
            Mutation::TokenBindingStatusInvalid => {
                members.insert("tokenBinding".into(), json!({"status": "anshin"}));
            }
            _ => {}
        }
    }
    Value::Object(members).to_string().into_bytes()
}

/// Applies the statement-member mutations to a statement's members.
fn edit_statement(statement: &mut Vec<(&str, Cbor)>, mutations: &[Mutation]) {
    let has = |m: Mutation| mutations.contains(&m);
    if has(Mutation::AttStmtEmpty) {
        statement.clear();
    }
    let mut remove = |name: &str| statement.retain(|(k, _)| *k != name);
    if has(Mutation::AlgMissing) {
        remove("alg");
    }
    if has(Mutation::SigMissing) {
        remove("sig");
    }
    if has(Mutation::X5cMissing) {
        remove("x5c");
    }
    for (name, value) in statement.iter_mut() {
        match *name {
            "alg" if has(Mutation::AlgNotNumber) => *value = Cbor::text("ES256"),
            "sig" if has(Mutation::SigNotBytes) => *value = Cbor::text("signature"),
            "sig" if has(Mutation::SigEmpty) => *value = Cbor::Bytes(Vec::new()),
            "x5c" if has(Mutation::X5cEmpty) => *value = Cbor::Array(Vec::new()),
            "x5c" if has(Mutation::X5cNotArray) => {
                let first = match value {
                    Cbor::Array(items) => items.first().cloned(),
                    _ => None,
                };
                *value = first.unwrap_or(Cbor::Bytes(Vec::new()));
            }
            _ => {}
        }
    }
}

/// A credential id that differs from `id` in its last bit.
fn another_id(id: &[u8]) -> Vec<u8> {
    let mut other = id.to_vec();
    match other.last_mut() {
        Some(b) => *b ^= 0x01,
        None => other.push(0x01),
    }
    other
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64url::encode(bytes))
}

/// A JSON string literal, escaped as `JSON.stringify` would.
fn json_string(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// The host of a `scheme://host[:port][/...]` origin.
fn origin_host(origin: &str) -> Option<&str> {
    let (_, rest) = origin.split_once("://")?;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // The first outputs for seed 1234567 from the reference implementation
        // (https://prng.di.unimi.it/splitmix64.c).
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn cbor_canonical_order_and_shortest_heads() {
        let map = Cbor::Map(vec![
            (Cbor::int(-1), Cbor::int(1)),
            (Cbor::int(3), Cbor::int(-7)),
            (Cbor::int(1), Cbor::int(2)),
        ]);
        assert_eq!(map.encode(), [0xa3, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01]);
        assert_eq!(Cbor::int(-257).encode(), [0x39, 0x01, 0x00]);
        assert_eq!(Cbor::int(24).encode(), [0x18, 0x18]);
        assert_eq!(Cbor::Bytes(vec![0; 300]).encode()[..3], [0x59, 0x01, 0x2c]);
        let obj = Cbor::Map(vec![
            (Cbor::text("authData"), Cbor::Bytes(vec![])),
            (Cbor::text("attStmt"), Cbor::Map(vec![])),
            (Cbor::text("fmt"), Cbor::text("none")),
        ])
        .encode();
        assert_eq!(&obj[..5], &[0xa3, 0x63, b'f', b'm', b't']);
    }

    #[test]
    fn ecdsa_der_pads_high_bits_and_strips_zeros() {
        let mut r = [0u8; 32];
        r[0] = 0x80;
        let mut s = [0u8; 32];
        s[31] = 0x05;
        let der = ecdsa_der(&r, &s);
        assert_eq!(&der[..5], &[0x30, 0x26, 0x02, 0x21, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x05]);
    }

    #[test]
    fn same_seed_same_bytes() {
        let request = RegistrationRequest::new("example.org", &[7; 32], b"user");
        for algorithm in Algorithm::ALL {
            let options = CredentialOptions {
                algorithm,
                attestation: Attestation::PackedSelf,
                ..CredentialOptions::default()
            };
            let a = VirtualAuthenticator::new(42)
                .register(&request, &options, &[])
                .unwrap();
            let b = VirtualAuthenticator::new(42)
                .register(&request, &options, &[])
                .unwrap();
            let c = VirtualAuthenticator::new(43)
                .register(&request, &options, &[])
                .unwrap();
            assert_eq!(a, b, "{algorithm}");
            assert_ne!(a.credential_id, c.credential_id, "{algorithm}");
        }
    }

    #[test]
    fn origin_hosts() {
        assert_eq!(origin_host("https://example.org"), Some("example.org"));
        assert_eq!(origin_host("http://localhost:8080/x"), Some("localhost"));
        assert_eq!(origin_host("example.org"), None);
    }
}
