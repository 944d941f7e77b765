//! Proof tokens and the results of successful ceremonies.
//!
//! A proof token is a unit struct with a private field that only the function performing a
//! check can build, so that a result can only exist once every check it depends on has passed
//! (the pattern of rustls's `HandshakeSignatureValid` and webpki's `VerifiedPath`).

use serde::{Deserialize, Serialize};

use crate::cose::CredentialPublicKey;
use crate::extensions::{AuthenticatorExtensionOutputs, ClientExtensionOutputs};
use crate::identifiers::{Aaguid, CredentialId, UserHandle};
use crate::json::AuthenticatorTransport;

/// Proof that a signature verified.
#[derive(Debug, Clone)]
pub struct SignatureValid(pub(crate) ());

/// Proof that the client data passed every check of its ceremony.
#[derive(Debug, Clone)]
pub(crate) struct ClientDataValid(pub(crate) ());

/// Proof that an attestation statement verified, with what it established.
#[derive(Debug)]
pub(crate) struct AttestationVerified {
    pub(crate) attestation_type: AttestationType,
    pub(crate) trust_path: Vec<Vec<u8>>,
}

/// The attestation type an attestation statement conveys (§6.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttestationType {
    /// No attestation statement (`none`).
    None,
    /// Self attestation: signed with the credential private key.
    #[serde(rename = "self")]
    SelfAttestation,
    /// Basic (batch) attestation.
    Basic,
    /// Attestation CA (TPM AIK).
    AttCa,
    /// Anonymization CA (per-credential certificates, such as Apple's).
    AnonCa,
}

/// The outcome of attestation verification (§7.1 steps 21–24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationResult {
    /// The attestation statement format (`none`, `packed`, `fido-u2f`...).
    pub format: String,
    /// The attestation type.
    pub attestation_type: AttestationType,
    /// The attestation trust path: DER certificates, leaf first (empty for none and self).
    #[serde(with = "der_list")]
    pub trust_path: Vec<Vec<u8>>,
    /// The AAGUID in the attested credential data.
    pub aaguid: Aaguid,
    /// Whether the trust path ended in a trust anchor of the attestation policy.
    pub trusted: bool,
    /// The authenticator's FIDO Metadata Service entry, when the policy has metadata and the
    /// authenticator is listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataSummary>,
    /// For the `compound` format, the outcome of each sub-statement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Self>,
}

mod der_list {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::base64url::Base64UrlBytes;

    pub(super) fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        v.iter()
            .map(|c| Base64UrlBytes(c.clone()))
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Ok(Vec::<Base64UrlBytes>::deserialize(d)?
            .into_iter()
            .map(|b| b.0)
            .collect())
    }
}

/// What the FIDO Metadata Service says about an authenticator model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataSummary {
    /// The statement's description (the model's name).
    pub description: Option<String>,
    /// The current status, as its wire name (`FIDO_CERTIFIED_L1`, `REVOKED`...).
    pub status: Option<String>,
}

/// A credential record (§4 "Credential Record"): what a relying party stores for a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRecord {
    /// The credential id.
    pub id: CredentialId,
    /// The user handle of the account the credential belongs to.
    pub user_handle: UserHandle,
    /// The credential public key.
    pub public_key: CredentialPublicKey,
    /// The last signature counter seen.
    pub sign_count: u32,
    /// Whether the credential has ever been used with user verification.
    pub uv_initialized: bool,
    /// Transports reported at registration.
    pub transports: Vec<AuthenticatorTransport>,
    /// Backup eligibility (BE).
    pub backup_eligible: bool,
    /// Backup state (BS).
    pub backup_state: bool,
    /// The authenticator model.
    pub aaguid: Aaguid,
    /// The attestation statement format used at registration.
    pub attestation_format: String,
    /// Whether the credential is discoverable, if the client said (`credProps.rk`).
    pub discoverable: Option<bool>,
}

/// Extension outputs of a ceremony.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionOutputs {
    /// Client extension outputs (`clientExtensionResults`).
    pub client: ClientExtensionOutputs,
    /// Authenticator extension outputs (from authenticator data).
    pub authenticator: AuthenticatorExtensionOutputs,
}

/// A registration that passed every step of §7.1.
///
/// The caller's remaining obligations: §7.1 step 26 (the credential id must not be registered
/// yet, for any user: store it under a unique constraint) and step 29 (store the record).
#[derive(Debug, Clone)]
pub struct VerifiedRegistration {
    /// The credential record to store.
    pub credential: CredentialRecord,
    /// The attestation outcome.
    pub attestation: AttestationResult,
    /// Whether the user was verified (UV).
    pub user_verified: bool,
    /// Whether the user was present (UP); false only for conditional create.
    pub user_present: bool,
    /// The origin the ceremony ran in (a web origin or an Android app origin).
    pub origin: String,
    /// Extension outputs.
    pub extensions: ExtensionOutputs,
    /// `platform` or `cross-platform`, if the client reported it.
    pub authenticator_attachment: Option<String>,
    pub(crate) _client_data: ClientDataValid,
}

/// What the signature counter says about the authenticator (§6.1.1, §7.2 step 22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
#[non_exhaustive]
pub enum CounterVerdict {
    /// The counter increased.
    Increased,
    /// Both counters are zero: the authenticator does not keep a counter (most passkeys).
    NotSupported,
    /// The counter did not increase: a signal (not proof) of a cloned authenticator.
    Regressed {
        /// The stored counter.
        stored: u32,
        /// The received counter.
        received: u32,
    },
}

/// An authentication that passed every step of §7.2.
///
/// The caller's remaining obligation: §7.2 step 24, store the updates ([`Self::apply_to`]).
#[derive(Debug, Clone)]
pub struct VerifiedAuthentication {
    /// The credential used.
    pub credential_id: CredentialId,
    /// The user the credential belongs to.
    pub user_handle: UserHandle,
    /// The counter in the authenticator data.
    pub sign_count: u32,
    /// The counter verdict.
    pub counter: CounterVerdict,
    /// Whether the user was present (UP).
    pub user_present: bool,
    /// Whether the user was verified (UV).
    pub user_verified: bool,
    /// Backup eligibility now (BE).
    pub backup_eligible: bool,
    /// Backup state now (BS).
    pub backup_state: bool,
    /// BE differs from the stored record: report it (a risk signal), never a lock-out by itself.
    pub backup_eligibility_changed: bool,
    /// BS differs from the stored record (for example a passkey that has now been synced).
    pub backup_state_changed: bool,
    /// Whether the assertion was scoped to the FIDO AppID instead of the RP ID.
    pub appid_used: bool,
    /// The origin the ceremony ran in (a web origin or an Android app origin).
    pub origin: String,
    /// Extension outputs.
    pub extensions: ExtensionOutputs,
    /// `platform` or `cross-platform`, if the client reported it.
    pub authenticator_attachment: Option<String>,
    pub(crate) _signature: SignatureValid,
}

impl VerifiedAuthentication {
    /// §7.2 step 24: applies the state updates to the stored record — the signature counter
    /// (unless it regressed, so that a clone cannot reset it), the backup flags, and
    /// `uvInitialized` once the user has been verified.
    pub fn apply_to(&self, record: &mut CredentialRecord) {
        if !matches!(self.counter, CounterVerdict::Regressed { .. }) {
            record.sign_count = self.sign_count;
        }
        record.backup_eligible = self.backup_eligible;
        record.backup_state = self.backup_state;
        if !record.uv_initialized && self.user_verified {
            record.uv_initialized = true;
        }
    }
}
