//! Registering a new credential (§7.1).

use std::time::Duration;

use super::state::{RegistrationState, STATE_VERSION};
use super::{CeremonyType, check_backup_flags, check_user_verified};
use crate::attestation::{AttestationFormat, AttestationObject, StatementInputs, verify_statement};
use crate::client_data::CollectedClientData;
use crate::cose::{CoseAlgorithm, CredentialPublicKey};
use crate::crypto::sha256;
use crate::danger::RegistrationOverrides;
use crate::error::{ApiMisuse, Error, InputPart, Rejection, Unsupported};
use crate::extensions::ClientExtensionInputs;
use crate::identifiers::{Challenge, CredentialId};
use crate::json::{
    AttestationConveyancePreference, AuthenticatorAttachment, AuthenticatorSelectionJson,
    CreationOptionsJson, CredentialDescriptorJson, Mediation, PubKeyCredParamJson,
    PublicKeyCredentialCreationOptionsJson, PublicKeyCredentialHint, RegistrationResponseJson,
    ResidentKeyRequirement, RpEntityJson, UserEntity, UserVerificationRequirement,
};
use crate::policy::{AttestationMode, AttestationPolicy};
use crate::random::RandomSource;
use crate::relying_party::RelyingParty;
use crate::time::UnixTime;
use crate::verified::{
    AttestationResult, AttestationType, CredentialRecord, ExtensionOutputs, VerifiedRegistration,
};

/// What a registration asks of the client and the authenticator.
#[derive(Debug, Clone)]
pub struct RegistrationOptions {
    /// User verification: `preferred` by default.
    pub user_verification: UserVerificationRequirement,
    /// Discoverable credential: `preferred` by default; `required` for passkey-only sign-in.
    pub resident_key: ResidentKeyRequirement,
    /// Platform or cross-platform authenticators only.
    pub authenticator_attachment: Option<AuthenticatorAttachment>,
    /// Attestation conveyance: `none` by default.
    pub attestation: AttestationConveyancePreference,
    /// Preferred attestation statement formats.
    pub attestation_formats: Vec<String>,
    /// The user's existing credentials, which the authenticator must not duplicate.
    pub exclude_credentials: Vec<CredentialDescriptorJson>,
    /// UI hints.
    pub hints: Vec<PublicKeyCredentialHint>,
    /// `conditional` for an automatic passkey upgrade after another sign-in method.
    pub mediation: Mediation,
    /// Extensions; `credProps` by default, to learn whether the credential is discoverable.
    pub extensions: ClientExtensionInputs,
    /// Overrides the relying party's registration timeout.
    pub timeout: Option<Duration>,
    /// Dangerous overrides, empty unless a `danger_*` method sets them (see [`crate::danger`]).
    pub danger: RegistrationOverrides,
}

impl Default for RegistrationOptions {
    fn default() -> Self {
        Self {
            user_verification: UserVerificationRequirement::Preferred,
            resident_key: ResidentKeyRequirement::Preferred,
            authenticator_attachment: None,
            attestation: AttestationConveyancePreference::None,
            attestation_formats: Vec::new(),
            exclude_credentials: Vec::new(),
            hints: Vec::new(),
            mediation: Mediation::Optional,
            extensions: ClientExtensionInputs {
                cred_props: Some(true),
                ..ClientExtensionInputs::default()
            },
            timeout: None,
            danger: RegistrationOverrides::default(),
        }
    }
}

impl RegistrationOptions {
    /// Uses this challenge instead of a fresh random one. Only for replaying recorded
    /// ceremonies (test vectors) and protocols that derive the challenge; a reused challenge
    /// lets a recorded registration be replayed.
    #[must_use]
    pub fn danger_with_challenge(mut self, challenge: Challenge) -> Self {
        self.danger.challenge = Some(challenge);
        self
    }
}

impl RelyingParty {
    /// Starts a registration ceremony for `user`: the options to send to the client, and the
    /// state to keep on the server until [`Self::finish_registration`].
    ///
    /// # Errors
    /// When the options are contradictory (conditional mediation with required user
    /// verification) or the random source fails.
    pub fn start_registration(
        &self,
        user: UserEntity,
        options: RegistrationOptions,
        now: UnixTime,
        rng: &dyn RandomSource,
    ) -> Result<(CreationOptionsJson, RegistrationState), Error> {
        if options.mediation == Mediation::Conditional
            && options.user_verification == UserVerificationRequirement::Required
        {
            // The automatic passkey upgrade happens without a prompt, so the authenticator
            // cannot be asked to verify the user (§5.1.3 step 22).
            return Err(ApiMisuse::InvalidArgument(
                "conditional registration cannot require user verification".into(),
            )
            .into());
        }
        let challenge = match options.danger.challenge {
            Some(c) => c,
            None => Challenge::random(rng)?,
        };
        let timeout = options.timeout.unwrap_or(self.registration_timeout);
        let public_key = PublicKeyCredentialCreationOptionsJson {
            rp: RpEntityJson {
                name: self.rp_name.clone(),
                id: Some(self.rp_id.as_str().to_owned()),
            },
            user: user.clone(),
            challenge: challenge.as_bytes().to_vec().into(),
            pub_key_cred_params: self
                .algorithms
                .iter()
                .map(|alg| PubKeyCredParamJson {
                    type_: "public-key".to_owned(),
                    alg: alg.0,
                })
                .collect(),
            timeout: Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)),
            exclude_credentials: options.exclude_credentials,
            authenticator_selection: Some(AuthenticatorSelectionJson {
                authenticator_attachment: options.authenticator_attachment,
                resident_key: Some(options.resident_key),
                require_resident_key: Some(
                    options.resident_key == ResidentKeyRequirement::Required,
                ),
                user_verification: Some(options.user_verification),
            }),
            hints: options.hints,
            attestation: Some(options.attestation),
            attestation_formats: options.attestation_formats,
            extensions: (!options.extensions.is_empty()).then(|| options.extensions.clone()),
        };
        let state = RegistrationState {
            v: STATE_VERSION,
            rp_id: self.rp_id.as_str().to_owned(),
            challenge,
            user,
            user_verification: options.user_verification,
            algorithms: self.algorithms.clone(),
            mediation: options.mediation,
            attestation: options.attestation,
            extensions: options.extensions,
            expires_at: now.saturating_add(timeout),
        };
        let mediation = (options.mediation != Mediation::Optional).then_some(options.mediation);
        Ok((
            CreationOptionsJson {
                public_key,
                mediation,
            },
            state,
        ))
    }

    /// Finishes a registration ceremony: every step of §7.1, in order.
    ///
    /// The state is consumed: a ceremony can be finished once.
    ///
    /// # Errors
    /// The first step that fails, with its stable code.
    pub fn finish_registration(
        &self,
        state: RegistrationState,
        response: &RegistrationResponseJson,
        policy: &AttestationPolicy,
        now: UnixTime,
    ) -> Result<VerifiedRegistration, Error> {
        let RegistrationState {
            v,
            rp_id,
            challenge,
            user,
            user_verification,
            algorithms,
            mediation,
            attestation: _,
            extensions: _,
            expires_at,
        } = state;
        self.check_state(&rp_id, v, expires_at, now)?;
        // Steps 1–2 (options, create()) happen in the client. Step 3 (the response is an
        // AuthenticatorAttestationResponse) and step 4 (clientExtensionResults) are enforced by
        // the type of `response`.
        let r = &response.response;

        // Steps 5–6: UTF-8 decode and parse clientDataJSON.
        let client_data = CollectedClientData::parse(&r.client_data_json)?;
        // Steps 7–11: type, challenge, origin, crossOrigin, topOrigin.
        let client_data_valid =
            self.verify_client_data(&client_data, CeremonyType::Create, &challenge)?;

        // Step 12: hash = SHA-256(clientDataJSON).
        let client_data_hash = sha256(&r.client_data_json);

        // Step 13: CBOR-decode the attestation object into fmt, authData and attStmt.
        let attestation_object = AttestationObject::parse(&r.attestation_object)?;
        let auth_data = &attestation_object.auth_data;
        let attested = auth_data.attested_credential_data.as_ref().ok_or_else(|| {
            Error::malformed(
                InputPart::AuthenticatorData,
                "flags",
                "AT is not set: a registration needs attested credential data",
            )
        })?;

        // Step 14: rpIdHash is the SHA-256 hash of the RP ID.
        Self::check_rp_id_hash(&auth_data.rp_id_hash, &self.rp_id_hash)?;

        // Step 15: UP is set, unless the ceremony used conditional mediation.
        let flags = auth_data.flags;
        if mediation != Mediation::Conditional && !flags.user_present() {
            return Err(Rejection::UserNotPresent.into());
        }

        // Step 16: UV is set if user verification is required.
        check_user_verified(flags, user_verification)?;

        // Step 17: if BE is not set, BS is not set.
        check_backup_flags(flags)?;

        // Steps 18–19: BE and BS are returned for the relying party's policy and UX.

        // Step 20: the credential public key's alg is one of pubKeyCredParams.
        let public_key = CredentialPublicKey::from_cose(attested.credential_public_key)?;
        check_algorithm_requested(public_key.algorithm(), &algorithms)?;

        // Step 21: determine the attestation statement format (case-sensitive match).
        let format =
            AttestationFormat::from_identifier(attestation_object.fmt).ok_or_else(|| {
                Unsupported::AttestationFormat(attestation_object.fmt.chars().take(64).collect())
            })?;

        // Step 22: run the format's verification procedure.
        let verified = verify_statement(&StatementInputs {
            format,
            att_stmt: &attestation_object.att_stmt,
            auth_data,
            attested,
            credential_key: &public_key,
            client_data_hash: &client_data_hash,
            allow_legacy_algorithms: self.legacy_algorithms,
            require_zero_u2f_aaguid: policy.require_zero_u2f_aaguid,
        })?;

        // Step 23: obtain the acceptable trust anchors (the policy's), and step 24: assess the
        // attestation's trustworthiness.
        let trusted = assess_trust(
            &verified.attestation_type,
            &verified.trust_path,
            policy,
            now,
        )?;
        if let Some(allowed) = &policy.allowed_aaguids
            && !allowed.contains(&attested.aaguid)
        {
            return Err(Rejection::AttestationUntrusted {
                reason: format!("authenticator model {} is not allowed", attested.aaguid).into(),
            }
            .into());
        }

        // Step 25: credentialId is at most 1023 bytes (enforced when parsing authData), and the
        // credential id the client reported is the one in the authenticator data.
        if attested.credential_id != response.id.as_bytes() {
            return Err(Rejection::CredentialIdMismatch(
                "the response id differs from the credential id in the authenticator data",
            )
            .into());
        }

        // Step 26: the caller checks that the credential id is not registered yet (see
        // VerifiedRegistration).

        // Step 27: the credential record.
        let client_extensions = response.client_extension_results.clone();
        let credential = CredentialRecord {
            id: CredentialId::new(attested.credential_id.to_vec()),
            user_handle: user.id,
            public_key,
            sign_count: auth_data.sign_count,
            uv_initialized: flags.user_verified(),
            transports: r.transports.clone(),
            backup_eligible: flags.backup_eligible(),
            backup_state: flags.backup_state(),
            aaguid: attested.aaguid,
            attestation_format: format.identifier().to_owned(),
            discoverable: client_extensions.cred_props.as_ref().and_then(|p| p.rk),
        };

        // Step 28: extension outputs, returned to the caller; unknown ones are ignored.
        let extensions = ExtensionOutputs {
            client: client_extensions,
            authenticator: auth_data.extensions.clone().unwrap_or_default(),
        };

        // Step 29: the caller stores the record.
        Ok(VerifiedRegistration {
            attestation: AttestationResult {
                format: format.identifier().to_owned(),
                attestation_type: verified.attestation_type,
                trust_path: verified.trust_path,
                aaguid: attested.aaguid,
                trusted,
            },
            credential,
            user_verified: flags.user_verified(),
            user_present: flags.user_present(),
            origin: client_data.origin,
            extensions,
            authenticator_attachment: response.authenticator_attachment.clone(),
            _client_data: client_data_valid,
        })
    }
}

/// Step 20: the credential's algorithm is one the ceremony asked for.
fn check_algorithm_requested(alg: CoseAlgorithm, requested: &[CoseAlgorithm]) -> Result<(), Error> {
    if requested.contains(&alg) {
        Ok(())
    } else {
        Err(Rejection::AlgorithmNotAllowed { alg }.into())
    }
}

/// Step 24: whether the attestation is acceptable, and whether it was trusted.
fn assess_trust(
    attestation_type: &AttestationType,
    trust_path: &[Vec<u8>],
    policy: &AttestationPolicy,
    now: UnixTime,
) -> Result<bool, Error> {
    let verdict = match attestation_type {
        AttestationType::None => {
            Err("the policy requires attestation, none was provided".to_owned())
        }
        AttestationType::SelfAttestation => Err(
            "the policy requires attestation, self attestation proves no authenticator model"
                .to_owned(),
        ),
        _ => crate::trust::verify_path(trust_path, &policy.trust_anchors, now),
    };
    match (policy.mode, verdict) {
        (_, Ok(())) => Ok(true),
        (AttestationMode::Any, Err(_)) => Ok(false),
        (AttestationMode::Trusted, Err(reason)) => Err(Rejection::AttestationUntrusted {
            reason: reason.into(),
        }
        .into()),
    }
}
