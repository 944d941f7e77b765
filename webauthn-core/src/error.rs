//! Errors, grouped by who is at fault.
//!
//! * [`MalformedInput`]: bytes or JSON that cannot be decoded (the client or authenticator sent
//!   garbage, or an attacker did).
//! * [`Rejection`]: well-formed input that fails a check of the ceremony.
//! * [`Unsupported`]: something valid that this library does not implement (an attestation
//!   format, an algorithm, a curve).
//! * [`ApiMisuse`]: a bug in the caller (an invalid configuration, a state used twice). Never
//!   caused by untrusted input alone.
//! * [`OtherError`]: the platform failed (no randomness).
//!
//! Every error has a stable, machine-readable [`Error::code`]; codes are never renamed or
//! reused. Messages say what was expected and what was found, and never contain secrets.
//!
//! | code | raised by |
//! |---|---|
//! | `invalid_request` | the response JSON: a field missing, of the wrong type, not base64url |
//! | `malformed_client_data` | `clientDataJSON` that is not a JSON object of the right shape |
//! | `malformed_authenticator_data` | authenticator data or a COSE key that cannot be decoded; BS without BE |
//! | `malformed_attestation` | an attestation object, statement or certificate that cannot be decoded |
//! | `type_mismatch` | `clientDataJSON.type` is not the ceremony's |
//! | `challenge_mismatch` | the challenge is not the one issued |
//! | `origin_not_allowed` | the origin, `crossOrigin` or `topOrigin` is not allowed |
//! | `rp_id_hash_mismatch` | `rpIdHash` is not the hash of the RP ID (or AppID) |
//! | `user_presence_missing` | UP is not set |
//! | `user_verification_required` | UV is required and not set |
//! | `unsupported_algorithm` | an algorithm or key type that is not supported or not requested |
//! | `unsupported_attestation_format` | an attestation statement format that is not supported |
//! | `attestation_invalid` | an attestation statement that does not verify |
//! | `attestation_untrusted` | an attestation the policy does not accept |
//! | `authenticator_revoked` | the authenticator model's metadata status is refused (revoked, compromised) |
//! | `credential_id_mismatch` | `id`/`rawId` differ from the attested credential id |
//! | `credential_not_allowed` | the credential is not in `allowCredentials` |
//! | `credential_unknown` | the stored record is another credential; the user does not exist |
//! | `user_handle_mismatch` | `userHandle` missing (usernameless) or not the credential's user |
//! | `signature_invalid` | the assertion signature does not verify |
//! | `counter_regression` | the signature counter did not increase (and the policy rejects) |
//! | `ceremony_unknown_or_expired` | the ceremony state has expired |
//! | `internal_error` | API misuse or a platform failure (never caused by input alone) |

use std::borrow::Cow;
use std::fmt;

use crate::cose::CoseAlgorithm;
use crate::time::UnixTime;

/// Any error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be decoded.
    #[error("malformed input: {0}")]
    Malformed(#[from] MalformedInput),
    /// The input was decoded but failed a verification step.
    #[error("rejected: {0}")]
    Rejected(#[from] Rejection),
    /// The input uses something this library does not support.
    #[error("unsupported: {0}")]
    Unsupported(#[from] Unsupported),
    /// The caller used the API wrongly.
    #[error("API misuse: {0}")]
    ApiMisuse(#[from] ApiMisuse),
    /// The platform failed.
    #[error("{0}")]
    Other(#[from] OtherError),
}

impl Error {
    /// The stable, machine-readable code of this error (see the error code table in the design).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(m) => m.code(),
            Self::Rejected(r) => r.code(),
            Self::Unsupported(u) => u.code(),
            Self::ApiMisuse(_) | Self::Other(_) => "internal_error",
        }
    }

    /// Shorthand used by parsers.
    pub(crate) fn malformed(
        part: InputPart,
        field: impl Into<Cow<'static, str>>,
        problem: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Malformed(MalformedInput::new(part, field, problem))
    }
}

/// Which part of the input was malformed; decides the error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputPart {
    /// The JSON envelope of a response (`id`, `rawId`, `type`, `response`, base64url fields).
    Json,
    /// `clientDataJSON`.
    ClientData,
    /// Authenticator data, including attested credential data and extensions.
    AuthenticatorData,
    /// The credential public key (a COSE_Key).
    CoseKey,
    /// The attestation object (`fmt`, `attStmt`, `authData`).
    AttestationObject,
    /// The attestation statement of a particular format.
    AttestationStatement,
    /// An X.509 certificate in an attestation statement.
    Certificate,
}

impl InputPart {
    fn code(self) -> &'static str {
        match self {
            Self::Json => "invalid_request",
            Self::ClientData => "malformed_client_data",
            Self::AuthenticatorData | Self::CoseKey => "malformed_authenticator_data",
            Self::AttestationObject | Self::AttestationStatement | Self::Certificate => {
                "malformed_attestation"
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Json => "credential JSON",
            Self::ClientData => "clientDataJSON",
            Self::AuthenticatorData => "authenticator data",
            Self::CoseKey => "credential public key",
            Self::AttestationObject => "attestation object",
            Self::AttestationStatement => "attestation statement",
            Self::Certificate => "attestation certificate",
        }
    }
}

/// Input that could not be decoded: which part, which field, where, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedInput {
    /// The part of the input.
    pub part: InputPart,
    /// The field, as a path (`response.clientDataJSON`, `attStmt.x5c[0]`).
    pub field: Cow<'static, str>,
    /// Byte offset in the decoded part, where known.
    pub offset: Option<usize>,
    /// What was expected and what was found.
    pub problem: Cow<'static, str>,
}

impl MalformedInput {
    /// A new malformed-input error.
    pub fn new(
        part: InputPart,
        field: impl Into<Cow<'static, str>>,
        problem: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            part,
            field: field.into(),
            offset: None,
            problem: problem.into(),
        }
    }

    /// The same error with a byte offset.
    #[must_use]
    pub fn at(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    /// The stable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.part.code()
    }
}

impl fmt::Display for MalformedInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} field `{}`", self.part.name(), self.field)?;
        if let Some(offset) = self.offset {
            write!(f, " at byte {offset}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for MalformedInput {}

/// Well-formed input that failed a verification step. Variants are in the order of the
/// ceremony steps that raise them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The ceremony state has expired.
    #[error("the ceremony expired at {expired_at}")]
    CeremonyExpired {
        /// When the ceremony expired.
        expired_at: UnixTime,
    },
    /// The ceremony was started for a user name that does not exist.
    #[error("no credential is registered for this user")]
    UnknownUser,
    /// `id`, `rawId` and the credential id in the authenticator data do not agree.
    #[error("credential id mismatch: {0}")]
    CredentialIdMismatch(&'static str),
    /// §7.2 step 5: the credential is not one of `allowCredentials`.
    #[error("the credential is not one of the allowed credentials")]
    CredentialNotAllowed,
    /// §7.2 step 6: the stored credential record is not the one the response names.
    #[error("the response names a different credential than the stored record")]
    CredentialRecordMismatch,
    /// §7.2 step 6: a usernameless ceremony needs `userHandle`.
    #[error("userHandle is required when the user was not identified before the ceremony")]
    UserHandleMissing,
    /// §7.2 step 6: `userHandle` is not the user's handle.
    #[error("userHandle does not belong to the credential's user")]
    UserHandleMismatch,
    /// The client data `type` is wrong.
    #[error("client data type is {found:?}, expected {expected:?}")]
    TypeMismatch {
        /// What the ceremony expects.
        expected: &'static str,
        /// What the client sent.
        found: String,
    },
    /// The challenge is not the one issued for this ceremony.
    #[error("the challenge does not match the one issued for this ceremony")]
    ChallengeMismatch,
    /// The origin is not configured.
    #[error("origin {origin:?} is not an allowed origin")]
    OriginNotAllowed {
        /// The origin the client reported.
        origin: String,
    },
    /// The credential was used in a cross-origin iframe and the relying party does not allow it.
    #[error("cross-origin use (crossOrigin or topOrigin) is not allowed")]
    CrossOriginNotAllowed,
    /// `topOrigin` is not a configured top-level origin.
    #[error("top origin {top_origin:?} is not an allowed top-level origin")]
    TopOriginNotAllowed {
        /// The top-level origin the client reported.
        top_origin: String,
    },
    /// `rpIdHash` is not the hash of the RP ID (or of the `appid`).
    #[error("rpIdHash is not the SHA-256 hash of the RP ID")]
    RpIdHashMismatch,
    /// The UP flag is not set.
    #[error("user presence flag (UP) is not set")]
    UserNotPresent,
    /// User verification is required and the UV flag is not set.
    #[error("user verification is required but the UV flag is not set")]
    UserNotVerified,
    /// The credential's algorithm is not one of the requested `pubKeyCredParams`.
    #[error("credential algorithm {alg} is not one of the requested algorithms")]
    AlgorithmNotAllowed {
        /// The credential's algorithm.
        alg: CoseAlgorithm,
    },
    /// The attestation statement does not verify.
    #[error("{format} attestation is invalid: {reason}")]
    AttestationInvalid {
        /// The attestation statement format.
        format: String,
        /// What failed.
        reason: Cow<'static, str>,
    },
    /// The attestation is valid but not acceptable under the attestation policy.
    #[error("attestation is not trusted: {reason}")]
    AttestationUntrusted {
        /// Why.
        reason: Cow<'static, str>,
    },
    /// The authenticator model's metadata status is one the policy refuses (revoked,
    /// compromised...).
    #[error("the authenticator model's metadata status is {status}, which the policy refuses")]
    AuthenticatorStatus {
        /// The status from the FIDO Metadata Service.
        status: String,
    },
    /// The assertion signature does not verify with the credential public key.
    #[error("the signature does not verify with the credential public key")]
    SignatureInvalid,
    /// The signature counter did not increase: a possible cloned authenticator.
    #[error(
        "signature counter {received} is not greater than the stored {stored}: possible cloned authenticator"
    )]
    SignCountRegressed {
        /// The stored counter.
        stored: u32,
        /// The counter in the authenticator data.
        received: u32,
    },
}

impl Rejection {
    /// The stable code of this rejection.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::CeremonyExpired { .. } => "ceremony_unknown_or_expired",
            Self::CredentialIdMismatch(_) => "credential_id_mismatch",
            Self::CredentialNotAllowed => "credential_not_allowed",
            Self::UnknownUser | Self::CredentialRecordMismatch => "credential_unknown",
            Self::UserHandleMissing | Self::UserHandleMismatch => "user_handle_mismatch",
            Self::TypeMismatch { .. } => "type_mismatch",
            Self::ChallengeMismatch => "challenge_mismatch",
            Self::OriginNotAllowed { .. }
            | Self::CrossOriginNotAllowed
            | Self::TopOriginNotAllowed { .. } => "origin_not_allowed",
            Self::RpIdHashMismatch => "rp_id_hash_mismatch",
            Self::UserNotPresent => "user_presence_missing",
            Self::UserNotVerified => "user_verification_required",
            Self::AlgorithmNotAllowed { .. } => "unsupported_algorithm",
            Self::AttestationInvalid { .. } => "attestation_invalid",
            Self::AttestationUntrusted { .. } => "attestation_untrusted",
            Self::AuthenticatorStatus { .. } => "authenticator_revoked",
            Self::SignatureInvalid => "signature_invalid",
            Self::SignCountRegressed { .. } => "counter_regression",
        }
    }
}

/// Something valid that this library does not implement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// An attestation statement format this library does not verify.
    #[error("attestation statement format {0:?} is not supported")]
    AttestationFormat(String),
    /// A COSE algorithm this library does not verify.
    #[error("COSE algorithm {0} is not supported")]
    Algorithm(CoseAlgorithm),
    /// A legacy algorithm (RS1) that the configuration does not enable.
    #[error("COSE algorithm {0} is a legacy algorithm that is not enabled")]
    LegacyAlgorithmDisabled(CoseAlgorithm),
    /// A key type or curve this library does not support.
    #[error("key type not supported: {0}")]
    KeyType(Cow<'static, str>),
}

impl Unsupported {
    /// The stable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::AttestationFormat(_) => "unsupported_attestation_format",
            Self::Algorithm(_) | Self::LegacyAlgorithmDisabled(_) | Self::KeyType(_) => {
                "unsupported_algorithm"
            }
        }
    }
}

/// A bug in the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiMisuse {
    /// The relying party configuration is invalid.
    #[error("invalid relying party configuration: {0}")]
    InvalidConfiguration(Cow<'static, str>),
    /// An argument is invalid (for example a user handle longer than 64 bytes).
    #[error("invalid argument: {0}")]
    InvalidArgument(Cow<'static, str>),
    /// The ceremony state was created by a relying party with another RP ID.
    #[error("the ceremony state belongs to another relying party")]
    StateForAnotherRelyingParty,
    /// A stored credential record could not be used.
    #[error("the stored credential record is invalid: {0}")]
    InvalidCredentialRecord(Cow<'static, str>),
}

/// The platform failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtherError {
    /// The random number generator failed.
    #[error("the system random number generator failed")]
    RandomUnavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_design_table() {
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::malformed(InputPart::Json, "id", "x"),
                "invalid_request",
            ),
            (
                Error::malformed(InputPart::ClientData, "type", "x"),
                "malformed_client_data",
            ),
            (
                Error::malformed(InputPart::CoseKey, "x", "x"),
                "malformed_authenticator_data",
            ),
            (
                Error::malformed(InputPart::Certificate, "x5c[0]", "x"),
                "malformed_attestation",
            ),
            (
                Rejection::SignCountRegressed {
                    stored: 2,
                    received: 1,
                }
                .into(),
                "counter_regression",
            ),
            (
                Unsupported::Algorithm(CoseAlgorithm(-999)).into(),
                "unsupported_algorithm",
            ),
            (
                ApiMisuse::StateForAnotherRelyingParty.into(),
                "internal_error",
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error}");
        }
    }

    #[test]
    fn malformed_display_names_field_and_offset() {
        let e =
            MalformedInput::new(InputPart::AuthenticatorData, "flags", "BS set without BE").at(32);
        assert_eq!(
            e.to_string(),
            "authenticator data field `flags` at byte 32: BS set without BE"
        );
    }
}
