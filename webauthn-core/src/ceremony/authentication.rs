//! Verifying an authentication assertion (§7.2).

use std::time::Duration;

use super::state::{AuthenticationState, STATE_VERSION, UserPresence};
use super::{CeremonyType, check_backup_flags, check_user_verified};
use crate::authenticator_data::{AuthenticatorData, Flags};
use crate::client_data::CollectedClientData;
use crate::crypto::sha256;
use crate::danger::AuthenticationOverrides;
use crate::error::{ApiMisuse, Error, InputPart, Rejection};
use crate::extensions::ClientExtensionInputs;
use crate::fake;
use crate::identifiers::{Challenge, UserHandle};
use crate::json::{
    AuthenticationResponseJson, CredentialDescriptorJson, Mediation, PublicKeyCredentialHint,
    PublicKeyCredentialRequestOptionsJson, RequestOptionsJson, UserVerificationRequirement,
};
use crate::random::RandomSource;
use crate::relying_party::{CounterPolicy, RelyingParty};
use crate::time::UnixTime;
use crate::verified::{CounterVerdict, CredentialRecord, ExtensionOutputs, VerifiedAuthentication};

/// What an authentication asks of the client and the authenticator.
#[derive(Debug, Clone, Default)]
pub struct AuthenticationOptions {
    /// The user, when identified before the ceremony (by user name or an existing session);
    /// `None` for usernameless sign-in with discoverable credentials.
    pub user: Option<UserHandle>,
    /// The credentials that may be used (the identified user's); empty for discoverable ones.
    pub allow_credentials: Vec<CredentialDescriptorJson>,
    /// User verification: `preferred` by default; `required` for step-up.
    pub user_verification: UserVerificationRequirement,
    /// `conditional` for autofill UI.
    pub mediation: Mediation,
    /// UI hints.
    pub hints: Vec<PublicKeyCredentialHint>,
    /// Extensions (`appid` for credentials registered with U2F, `prf`, `largeBlob`...).
    pub extensions: ClientExtensionInputs,
    /// Overrides the relying party's authentication timeout.
    pub timeout: Option<Duration>,
    /// Dangerous overrides, empty unless a `danger_*` method sets them (see [`crate::danger`]).
    pub danger: AuthenticationOverrides,
}

impl AuthenticationOptions {
    /// Uses this challenge instead of a fresh random one. Only for replaying recorded
    /// ceremonies (test vectors) and protocols that derive the challenge; a reused challenge
    /// lets a recorded assertion be replayed.
    #[must_use]
    pub fn danger_with_challenge(mut self, challenge: Challenge) -> Self {
        self.danger.challenge = Some(challenge);
        self
    }

    /// Accepts assertions without the UP flag. Only for the FIDO2 server conformance profile,
    /// whose tool sends such assertions; WebAuthn requires user presence (§7.2 step 16).
    #[must_use]
    pub fn danger_allow_missing_user_presence(mut self) -> Self {
        self.danger.user_presence = UserPresence::DangerNotRequired;
        self
    }
}

impl RelyingParty {
    /// Starts an authentication ceremony: the options to send to the client, and the state to
    /// keep on the server until [`Self::finish_authentication`].
    ///
    /// # Errors
    /// When the random source fails.
    pub fn start_authentication(
        &self,
        options: AuthenticationOptions,
        now: UnixTime,
        rng: &dyn RandomSource,
    ) -> Result<(RequestOptionsJson, AuthenticationState), Error> {
        self.start(options, false, now, rng)
    }

    /// Starts an authentication ceremony for a user name that does not exist, answering with
    /// the same shape as for a real user: `allowCredentials` holds plausible credentials derived
    /// from the name and the relying party's unknown-user secret, stable across calls. The
    /// ceremony can never succeed.
    ///
    /// # Errors
    /// When no unknown-user secret is configured, or the random source fails.
    pub fn start_authentication_for_unknown_user(
        &self,
        user_name: &str,
        mut options: AuthenticationOptions,
        now: UnixTime,
        rng: &dyn RandomSource,
    ) -> Result<(RequestOptionsJson, AuthenticationState), Error> {
        let secret = self.unknown_user_secret.as_ref().ok_or_else(|| {
            ApiMisuse::InvalidConfiguration("no unknown-user secret is configured".into())
        })?;
        options.user = None;
        options.allow_credentials = fake::allow_credentials(secret, self.rp_id.as_str(), user_name);
        self.start(options, true, now, rng)
    }

    fn start(
        &self,
        options: AuthenticationOptions,
        unknown_user: bool,
        now: UnixTime,
        rng: &dyn RandomSource,
    ) -> Result<(RequestOptionsJson, AuthenticationState), Error> {
        let challenge = match options.danger.challenge {
            Some(c) => c,
            None => Challenge::random(rng)?,
        };
        let timeout = options.timeout.unwrap_or(self.authentication_timeout);
        let public_key = PublicKeyCredentialRequestOptionsJson {
            challenge: challenge.as_bytes().to_vec().into(),
            timeout: Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)),
            rp_id: Some(self.rp_id.as_str().to_owned()),
            allow_credentials: options.allow_credentials.clone(),
            user_verification: Some(options.user_verification),
            hints: options.hints,
            extensions: (!options.extensions.is_empty()).then(|| options.extensions.clone()),
        };
        let state = AuthenticationState {
            v: STATE_VERSION,
            rp_id: self.rp_id.as_str().to_owned(),
            challenge,
            user: options.user,
            allow_credentials: options
                .allow_credentials
                .into_iter()
                .map(|d| d.id)
                .collect(),
            user_verification: options.user_verification,
            user_presence: options.danger.user_presence,
            mediation: options.mediation,
            extensions: options.extensions,
            expires_at: now.saturating_add(timeout),
            unknown_user,
        };
        let mediation = (options.mediation != Mediation::Optional).then_some(options.mediation);
        Ok((
            RequestOptionsJson {
                public_key,
                mediation,
            },
            state,
        ))
    }

    /// Finishes an authentication ceremony: every step of §7.2, in order.
    ///
    /// `credential` is the stored record whose id is `response.id` (look it up with
    /// [`AuthenticationResponseJson::id`]). The state is consumed: a ceremony can be finished
    /// once.
    ///
    /// # Errors
    /// The first step that fails, with its stable code.
    pub fn finish_authentication(
        &self,
        state: AuthenticationState,
        response: &AuthenticationResponseJson,
        credential: &CredentialRecord,
        now: UnixTime,
    ) -> Result<VerifiedAuthentication, Error> {
        let AuthenticationState {
            v,
            rp_id,
            challenge,
            user,
            allow_credentials,
            user_verification,
            user_presence,
            mediation: _,
            extensions,
            expires_at,
            unknown_user,
        } = state;
        self.check_state(&rp_id, v, expires_at, now)?;
        if unknown_user {
            return Err(Rejection::UnknownUser.into());
        }
        // Steps 1–2 (options, get()) happen in the client. Step 3 (the response is an
        // AuthenticatorAssertionResponse) and step 4 (clientExtensionResults) are enforced by
        // the type of `response`.
        let r = &response.response;

        // Step 5: if allowCredentials is not empty, the credential is one of them.
        if !allow_credentials.is_empty() && !allow_credentials.contains(&response.id) {
            return Err(Rejection::CredentialNotAllowed.into());
        }

        // Step 6: identify the user and the credential record.
        check_credential_owner(user.as_ref(), response, credential)?;

        // Step 7: cData, authData and sig. Steps 8–9: decode and parse the client data.
        let client_data = CollectedClientData::parse(&r.client_data_json)?;
        // Steps 10–14: type, challenge, origin, crossOrigin, topOrigin.
        self.verify_client_data(&client_data, CeremonyType::Get, &challenge)?;

        let auth_data = AuthenticatorData::parse(&r.authenticator_data)?;
        if auth_data.attested_credential_data.is_some() {
            return Err(Error::malformed(
                InputPart::AuthenticatorData,
                "flags",
                "AT is set: an assertion carries no attested credential data",
            ));
        }

        // Step 15: rpIdHash is the hash of the RP ID, or of the AppID when the client used the
        // appid extension (§10.1.1).
        let appid_used =
            self.check_assertion_rp_id_hash(extensions.appid.as_deref(), response, &auth_data)?;

        // Step 16: UP is set.
        let flags = auth_data.flags;
        if user_presence == UserPresence::Required && !flags.user_present() {
            return Err(Rejection::UserNotPresent.into());
        }

        // Step 17: UV is set if user verification is required.
        check_user_verified(flags, user_verification)?;

        // Step 18: if BE is not set, BS is not set.
        check_backup_flags(flags)?;

        // Step 19: compare BE and BS with the record. A change is reported, not refused:
        // providers do flip BE (for example before a passkey first syncs), and refusing would
        // lock the user out; the relying party's risk policy decides.
        let (be_changed, bs_changed) = backup_changes(flags, credential);

        // Step 20: hash = SHA-256(cData).
        let client_data_hash = sha256(&r.client_data_json);

        // Step 21: sig is a valid signature over authData || hash with the credential key.
        let mut signed = Vec::with_capacity(r.authenticator_data.len() + 32);
        signed.extend_from_slice(&r.authenticator_data);
        signed.extend_from_slice(&client_data_hash);
        let signature_valid = credential.public_key.verify(&signed, &r.signature)?;

        // Step 22: the signature counter.
        let counter = counter_verdict(credential.sign_count, auth_data.sign_count);
        if let (CounterVerdict::Regressed { stored, received }, CounterPolicy::Reject) =
            (counter, self.counter_policy)
        {
            return Err(Rejection::SignCountRegressed { stored, received }.into());
        }

        // Step 23: extension outputs, returned to the caller; unknown ones are ignored.
        let extensions = ExtensionOutputs {
            client: response.client_extension_results.clone(),
            authenticator: auth_data.extensions.clone().unwrap_or_default(),
        };

        // Step 24: the caller stores the updates (VerifiedAuthentication::apply_to).
        Ok(VerifiedAuthentication {
            credential_id: credential.id.clone(),
            user_handle: credential.user_handle.clone(),
            sign_count: auth_data.sign_count,
            counter,
            user_present: flags.user_present(),
            user_verified: flags.user_verified(),
            backup_eligible: flags.backup_eligible(),
            backup_state: flags.backup_state(),
            backup_eligibility_changed: be_changed,
            backup_state_changed: bs_changed,
            appid_used,
            origin: client_data.origin,
            extensions,
            authenticator_attachment: response.authenticator_attachment.clone(),
            _signature: signature_valid,
        })
    }

    /// Step 15, with the `appid` extension's special case.
    fn check_assertion_rp_id_hash(
        &self,
        appid: Option<&str>,
        response: &AuthenticationResponseJson,
        auth_data: &AuthenticatorData<'_>,
    ) -> Result<bool, Error> {
        let client_used_appid = response.client_extension_results.appid == Some(true);
        match appid {
            Some(appid) if client_used_appid => {
                Self::check_rp_id_hash(&auth_data.rp_id_hash, &sha256(appid.as_bytes()))?;
                Ok(true)
            }
            _ => {
                Self::check_rp_id_hash(&auth_data.rp_id_hash, &self.rp_id_hash)?;
                Ok(false)
            }
        }
    }
}

/// Step 6: the record is the credential the response names, and belongs to the user.
fn check_credential_owner(
    identified_user: Option<&UserHandle>,
    response: &AuthenticationResponseJson,
    credential: &CredentialRecord,
) -> Result<(), Error> {
    if credential.id != response.id {
        return Err(Rejection::CredentialRecordMismatch.into());
    }
    let response_handle = response.response.user_handle.as_deref();
    match identified_user {
        // The user was identified before the ceremony: the record is theirs, and a userHandle,
        // if present, is theirs too.
        Some(user) => {
            if credential.user_handle != *user {
                return Err(Rejection::UserHandleMismatch.into());
            }
            if response_handle.is_some_and(|h| h != user.as_bytes()) {
                return Err(Rejection::UserHandleMismatch.into());
            }
        }
        // Usernameless: userHandle is required and names the record's user.
        None => match response_handle {
            None => return Err(Rejection::UserHandleMissing.into()),
            Some(h) if h != credential.user_handle.as_bytes() => {
                return Err(Rejection::UserHandleMismatch.into());
            }
            Some(_) => {}
        },
    }
    Ok(())
}

/// Step 19: whether BE or BS differ from the record.
fn backup_changes(flags: Flags, credential: &CredentialRecord) -> (bool, bool) {
    (
        flags.backup_eligible() != credential.backup_eligible,
        flags.backup_state() != credential.backup_state,
    )
}

/// Step 22: the counter verdict.
pub(crate) fn counter_verdict(stored: u32, received: u32) -> CounterVerdict {
    if stored == 0 && received == 0 {
        CounterVerdict::NotSupported
    } else if received > stored {
        CounterVerdict::Increased
    } else {
        CounterVerdict::Regressed { stored, received }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_verdicts() {
        assert_eq!(counter_verdict(0, 0), CounterVerdict::NotSupported);
        assert_eq!(counter_verdict(0, 1), CounterVerdict::Increased);
        assert_eq!(counter_verdict(5, 6), CounterVerdict::Increased);
        assert_eq!(
            counter_verdict(5, 5),
            CounterVerdict::Regressed {
                stored: 5,
                received: 5
            }
        );
        assert_eq!(
            counter_verdict(5, 0),
            CounterVerdict::Regressed {
                stored: 5,
                received: 0
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn counter_increases_iff_greater(stored: u32, received: u32) {
            let v = counter_verdict(stored, received);
            let increased = matches!(v, CounterVerdict::Increased);
            proptest::prop_assert_eq!(increased, received > stored);
        }
    }
}
