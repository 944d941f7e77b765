//! The registration (§7.1) and authentication (§7.2) ceremonies.
//!
//! Both ceremonies check the client data the same way; those steps live here, each named
//! after what it checks and commented with its step number in both sections. Step numbers are
//! those of the WebAuthn Level 3 editor's draft (w3c/webauthn@146d0db).

pub(crate) mod authentication;
pub(crate) mod registration;
pub(crate) mod state;

use subtle::ConstantTimeEq as _;

use crate::authenticator_data::Flags;
use crate::client_data::CollectedClientData;
use crate::error::{ApiMisuse, Error, InputPart, Rejection};
use crate::identifiers::Challenge;
use crate::json::UserVerificationRequirement;
use crate::relying_party::{CrossOriginPolicy, RelyingParty};
use crate::time::UnixTime;
use crate::verified::ClientDataValid;

/// The client data `type` of each ceremony.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CeremonyType {
    Create,
    Get,
}

impl CeremonyType {
    fn client_data_type(self) -> &'static str {
        match self {
            Self::Create => "webauthn.create",
            Self::Get => "webauthn.get",
        }
    }
}

impl RelyingParty {
    /// Refuses a state made by another relying party or past its expiry.
    pub(crate) fn check_state(
        &self,
        rp_id: &str,
        version: u8,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), Error> {
        if rp_id != self.rp_id.as_str() {
            return Err(ApiMisuse::StateForAnotherRelyingParty.into());
        }
        if version != state::STATE_VERSION {
            return Err(ApiMisuse::InvalidArgument(
                format!("ceremony state version {version} is not supported").into(),
            )
            .into());
        }
        if now > expires_at {
            return Err(Rejection::CeremonyExpired {
                expired_at: expires_at,
            }
            .into());
        }
        Ok(())
    }

    /// §7.1 steps 7–11 and §7.2 steps 10–14.
    pub(crate) fn verify_client_data(
        &self,
        client_data: &CollectedClientData,
        ceremony: CeremonyType,
        challenge: &Challenge,
    ) -> Result<ClientDataValid, Error> {
        check_type(client_data, ceremony)?;
        check_challenge(client_data, challenge)?;
        self.check_origin(client_data)?;
        self.check_cross_origin(client_data)?;
        self.check_top_origin(client_data)?;
        Ok(ClientDataValid(()))
    }

    /// §7.1 step 9, §7.2 step 12: `C.origin` is an origin the relying party expects (exact
    /// match against the configured list, §13.4.9).
    fn check_origin(&self, c: &CollectedClientData) -> Result<(), Error> {
        if self.origins.iter().any(|o| o.as_str() == c.origin) {
            Ok(())
        } else {
            Err(Rejection::OriginNotAllowed {
                origin: truncate(&c.origin),
            }
            .into())
        }
    }

    /// §7.1 step 10, §7.2 step 13: `crossOrigin: true` only where cross-origin iframes are
    /// expected.
    fn check_cross_origin(&self, c: &CollectedClientData) -> Result<(), Error> {
        if c.cross_origin == Some(true) && self.cross_origin == CrossOriginPolicy::Deny {
            return Err(Rejection::CrossOriginNotAllowed.into());
        }
        Ok(())
    }

    /// §7.1 step 11, §7.2 step 14: a `topOrigin` only where cross-origin iframes are expected,
    /// and then one of the expected top-level origins.
    fn check_top_origin(&self, c: &CollectedClientData) -> Result<(), Error> {
        let Some(top) = &c.top_origin else {
            return Ok(());
        };
        match &self.cross_origin {
            CrossOriginPolicy::Deny => Err(Rejection::CrossOriginNotAllowed.into()),
            CrossOriginPolicy::Allow { top_origins } => {
                if top_origins.iter().any(|o| o.as_str() == top) {
                    Ok(())
                } else {
                    Err(Rejection::TopOriginNotAllowed {
                        top_origin: truncate(top),
                    }
                    .into())
                }
            }
        }
    }

    /// §7.1 step 14, §7.2 step 15: `rpIdHash` is the SHA-256 hash of the expected RP ID.
    pub(crate) fn check_rp_id_hash(
        rp_id_hash: &[u8; 32],
        expected: &[u8; 32],
    ) -> Result<(), Error> {
        if bool::from(rp_id_hash.ct_eq(expected)) {
            Ok(())
        } else {
            Err(Rejection::RpIdHashMismatch.into())
        }
    }
}

/// §7.1 step 7, §7.2 step 10: `C.type` is `webauthn.create` / `webauthn.get`.
fn check_type(c: &CollectedClientData, ceremony: CeremonyType) -> Result<(), Error> {
    let expected = ceremony.client_data_type();
    if c.type_ == expected {
        Ok(())
    } else {
        Err(Rejection::TypeMismatch {
            expected,
            found: truncate(&c.type_),
        }
        .into())
    }
}

/// §7.1 step 8, §7.2 step 11: `C.challenge` equals the base64url encoding of the challenge
/// (compared in constant time).
fn check_challenge(c: &CollectedClientData, challenge: &Challenge) -> Result<(), Error> {
    let expected = challenge.to_base64url();
    if bool::from(expected.as_bytes().ct_eq(c.challenge.as_bytes())) {
        Ok(())
    } else {
        Err(Rejection::ChallengeMismatch.into())
    }
}

/// §7.1 step 17, §7.2 step 18: if BE is not set, BS must not be set.
pub(crate) fn check_backup_flags(flags: Flags) -> Result<(), Error> {
    if flags.backup_state() && !flags.backup_eligible() {
        return Err(Error::Malformed(
            crate::error::MalformedInput::new(
                InputPart::AuthenticatorData,
                "flags",
                "BS (backup state) is set but BE (backup eligible) is not",
            )
            .at(32),
        ));
    }
    Ok(())
}

/// §7.1 step 16, §7.2 step 17: the UV flag when user verification is required.
pub(crate) fn check_user_verified(
    flags: Flags,
    requirement: UserVerificationRequirement,
) -> Result<(), Error> {
    if requirement == UserVerificationRequirement::Required && !flags.user_verified() {
        return Err(Rejection::UserNotVerified.into());
    }
    Ok(())
}

/// Client-supplied text quoted in an error is cut short, so errors stay small.
fn truncate(s: &str) -> String {
    const MAX: usize = 128;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", s.get(..end).unwrap_or_default())
}
