#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    clippy::as_conversions,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::missing_errors_doc
)]

pub mod attestation;
pub mod authenticator_data;
pub mod base64url;
mod cbor;
mod ceremony;
pub mod client_data;
pub mod cose;
mod crypto;
pub mod danger;
pub mod error;
pub mod extensions;
mod fake;
pub mod identifiers;
pub mod json;
mod jws;
pub mod mds;
pub mod origin;
pub mod policy;
pub mod random;
pub mod relying_party;
pub mod roots;
pub mod time;
mod trust;
pub mod verified;
mod x509;

/// The size and nesting limits applied to untrusted input.
pub mod limits {
    pub use crate::attestation::MAX_ATTESTATION_OBJECT_LEN;
    pub use crate::authenticator_data::MAX_AUTHENTICATOR_DATA_LEN;
    pub use crate::cbor::{MAX_DEPTH as MAX_CBOR_DEPTH, MAX_ITEMS as MAX_CBOR_ITEMS};
    pub use crate::client_data::MAX_CLIENT_DATA_LEN;
    pub use crate::crypto::{MAX_RSA_BITS, MIN_RSA_BITS};
    pub use crate::json::MAX_FIELD_LEN;
    pub use crate::trust::MAX_PATH_LEN;
    pub use crate::x509::MAX_CERTIFICATE_LEN;
}

pub use ceremony::authentication::AuthenticationOptions;
pub use ceremony::registration::RegistrationOptions;
pub use ceremony::state::{AuthenticationState, RegistrationState};
pub use cose::{CoseAlgorithm, CredentialPublicKey, SignatureScheme};
pub use error::{Error, Rejection};
pub use identifiers::{Aaguid, Challenge, CredentialId, UserHandle};
pub use json::{
    AuthenticationResponseJson, CreationOptionsJson, Mediation, RegistrationResponseJson,
    RequestOptionsJson, UserEntity, UserVerificationRequirement,
};
pub use policy::{AndroidKeyPolicy, AttestationPolicy, SafetyNetPolicy};
pub use random::{RandomSource, SystemRandom};
pub use relying_party::{CounterPolicy, CrossOriginPolicy, RelyingParty};
pub use time::UnixTime;
pub use verified::{
    AttestationResult, AttestationType, CounterVerdict, CredentialRecord, VerifiedAuthentication,
    VerifiedRegistration,
};
