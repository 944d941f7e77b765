//! Ceremony state: what a relying party keeps between `start_*` and `finish_*`.
//!
//! States are plain serde structs that the server stores (in memory or Redis) under a random
//! ceremony id and takes back exactly once. They are never sent to the client. `finish_*`
//! consumes its state, so a state cannot be used twice within a process; the store's atomic
//! take gives the same guarantee across processes.

use serde::{Deserialize, Serialize};

use crate::cose::CoseAlgorithm;
use crate::extensions::ClientExtensionInputs;
use crate::identifiers::{Challenge, CredentialId, UserHandle};
use crate::json::{
    AttestationConveyancePreference, Mediation, UserEntity, UserVerificationRequirement,
};
use crate::time::UnixTime;

/// The version of the state layout; a state of another version is refused.
pub(crate) const STATE_VERSION: u8 = 1;

/// Whether the UP flag is required at authentication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UserPresence {
    #[default]
    Required,
    /// Only for the FIDO conformance profile, whose tool sends assertions without UP.
    DangerNotRequired,
}

/// The state of a registration ceremony.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationState {
    pub(crate) v: u8,
    pub(crate) rp_id: String,
    pub(crate) challenge: Challenge,
    pub(crate) user: UserEntity,
    pub(crate) user_verification: UserVerificationRequirement,
    pub(crate) algorithms: Vec<CoseAlgorithm>,
    pub(crate) mediation: Mediation,
    pub(crate) attestation: AttestationConveyancePreference,
    pub(crate) extensions: ClientExtensionInputs,
    pub(crate) expires_at: UnixTime,
}

impl RegistrationState {
    /// The user the credential is being registered for.
    #[must_use]
    pub fn user(&self) -> &UserEntity {
        &self.user
    }

    /// When the ceremony expires.
    #[must_use]
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }

    /// The user verification requirement of the ceremony.
    #[must_use]
    pub fn user_verification(&self) -> UserVerificationRequirement {
        self.user_verification
    }

    /// The mediation the ceremony was started with.
    #[must_use]
    pub fn mediation(&self) -> Mediation {
        self.mediation
    }
}

/// The state of an authentication ceremony.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthenticationState {
    pub(crate) v: u8,
    pub(crate) rp_id: String,
    pub(crate) challenge: Challenge,
    pub(crate) user: Option<UserHandle>,
    pub(crate) allow_credentials: Vec<CredentialId>,
    pub(crate) user_verification: UserVerificationRequirement,
    #[serde(default)]
    pub(crate) user_presence: UserPresence,
    pub(crate) mediation: Mediation,
    pub(crate) extensions: ClientExtensionInputs,
    pub(crate) expires_at: UnixTime,
    #[serde(default)]
    pub(crate) unknown_user: bool,
}

impl AuthenticationState {
    /// The user identified before the ceremony (by user name or session), if any.
    #[must_use]
    pub fn user(&self) -> Option<&UserHandle> {
        self.user.as_ref()
    }

    /// The credentials the ceremony allows; empty for discoverable credentials.
    #[must_use]
    pub fn allow_credentials(&self) -> &[CredentialId] {
        &self.allow_credentials
    }

    /// When the ceremony expires.
    #[must_use]
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }

    /// The user verification requirement of the ceremony.
    #[must_use]
    pub fn user_verification(&self) -> UserVerificationRequirement {
        self.user_verification
    }
}
