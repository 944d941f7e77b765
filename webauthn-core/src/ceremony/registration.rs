//! Registering a new credential (§7.1).

use std::time::Duration;

use super::state::{RegistrationState, STATE_VERSION};
use super::{CeremonyType, check_backup_flags, check_user_verified};
use crate::attestation::{
    AttestationFormat, AttestationObject, StatementInputs, compound, verify_statement,
};
use crate::client_data::CollectedClientData;
use crate::cose::{CoseAlgorithm, CredentialPublicKey};
use crate::crypto::sha256;
use crate::danger::RegistrationOverrides;
use crate::error::{ApiMisuse, Error, InputPart, Rejection, Unsupported};
use crate::extensions::ClientExtensionInputs;
use crate::identifiers::Aaguid;
use crate::identifiers::{Challenge, CredentialId};
use crate::json::{
    AttestationConveyancePreference, AuthenticatorAttachment, AuthenticatorSelectionJson,
    CreationOptionsJson, CredentialDescriptorJson, Mediation, PubKeyCredParamJson,
    PublicKeyCredentialCreationOptionsJson, PublicKeyCredentialHint, RegistrationResponseJson,
    ResidentKeyRequirement, RpEntityJson, UserEntity, UserVerificationRequirement,
};
use crate::mds::{MdsError, MetadataAttestationType, MetadataEntry};
use crate::policy::{AttestationMode, AttestationPolicy};
use crate::random::RandomSource;
use crate::relying_party::RelyingParty;
use crate::time::UnixTime;
use crate::verified::{
    AttestationResult, AttestationType, AttestationVerified, CredentialRecord, ExtensionOutputs,
    MetadataSummary, VerifiedRegistration,
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

        // Step 22: run the format's verification procedure (for `compound`, each sub-statement's).
        let inputs = StatementInputs {
            format,
            att_stmt: &attestation_object.att_stmt,
            auth_data,
            attested,
            credential_key: &public_key,
            client_data_hash: &client_data_hash,
            allow_legacy_algorithms: self.legacy_algorithms,
            policy,
            now,
        };
        let components = if format == AttestationFormat::Compound {
            compound::verify_components(&inputs)?
        } else {
            vec![(format, verify_statement(&inputs)?)]
        };

        // Step 23: the authenticator model's metadata, if the policy has some: its status must
        // be acceptable, and its attestation roots join the trust anchors.
        let entry = metadata_entry(policy, attested.aaguid, &components);
        if let Some(entry) = entry {
            check_metadata(entry, &components, policy, now)?;
        } else if policy.require_metadata
            && components.iter().any(|(_, v)| {
                !matches!(
                    v.attestation_type,
                    AttestationType::None | AttestationType::SelfAttestation
                )
            })
        {
            return Err(Rejection::AttestationUntrusted {
                reason: format!(
                    "the authenticator model {} has no metadata entry",
                    attested.aaguid
                )
                .into(),
            }
            .into());
        }
        let metadata_roots: &[Vec<u8>] = entry.map_or(&[], |e| e.attestation_root_certificates());
        let metadata = entry.map(|e| MetadataSummary {
            description: e.metadata_statement.as_ref().map(|s| s.description.clone()),
            status: e.current_status(now).map(|s| s.as_str().to_owned()),
        });

        // Steps 23–24: obtain each statement's trust anchors and assess its trustworthiness.
        let mut assessed = Vec::with_capacity(components.len());
        for (component_format, verified) in &components {
            let verdict = assess_trust(
                *component_format,
                verified.attestation_type,
                &verified.trust_path,
                metadata_roots,
                policy,
                now,
            )?;
            assessed.push(AttestationResult {
                format: component_format.identifier().to_owned(),
                attestation_type: verified.attestation_type,
                trust_path: verified.trust_path.clone(),
                aaguid: attested.aaguid,
                trusted: verdict.is_ok(),
                metadata: None,
                components: Vec::new(),
            });
            if let (AttestationMode::Trusted, Err(reason)) = (policy.mode, &verdict)
                && format != AttestationFormat::Compound
            {
                return Err(Rejection::AttestationUntrusted {
                    reason: reason.clone().into(),
                }
                .into());
            }
        }
        let trusted = assessed.iter().any(|a| a.trusted);
        if policy.mode == AttestationMode::Trusted && !trusted {
            return Err(Rejection::AttestationUntrusted {
                reason: "none of the compound attestation's statements is trusted".into(),
            }
            .into());
        }
        let lead = if format == AttestationFormat::Compound {
            compound::lead(&components)
        } else {
            let (_, only) = components.into_iter().next().ok_or_else(|| {
                Error::ApiMisuse(ApiMisuse::InvalidArgument(
                    "no attestation statement was verified".into(),
                ))
            })?;
            only
        };
        let attestation = AttestationResult {
            format: format.identifier().to_owned(),
            attestation_type: lead.attestation_type,
            trust_path: lead.trust_path,
            aaguid: attested.aaguid,
            trusted,
            metadata,
            components: if format == AttestationFormat::Compound {
                assessed
            } else {
                Vec::new()
            },
        };
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
            attestation,
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

/// The metadata entry of the authenticator: by AAGUID, or for U2F authenticators (whose AAGUID
/// is zero) by the key identifier of the attestation certificate.
fn metadata_entry<'p>(
    policy: &'p AttestationPolicy,
    aaguid: Aaguid,
    components: &[(AttestationFormat, AttestationVerified)],
) -> Option<&'p MetadataEntry> {
    let metadata = policy.metadata.as_deref()?;
    if !aaguid.is_zero() {
        return metadata.by_aaguid(&aaguid);
    }
    components
        .iter()
        .find_map(|(_, v)| v.trust_path.first())
        .and_then(|leaf| metadata.by_certificate(leaf).ok().flatten())
}

/// The metadata checks of step 23: the model's status is acceptable, and the attestation type
/// is one its statement declares.
fn check_metadata(
    entry: &MetadataEntry,
    components: &[(AttestationFormat, AttestationVerified)],
    policy: &AttestationPolicy,
    now: UnixTime,
) -> Result<(), Error> {
    policy
        .rejected_statuses
        .check(entry, now)
        .map_err(|e| match e {
            MdsError::StatusRejected { status } => Error::from(Rejection::AuthenticatorStatus {
                status: status.as_str().to_owned(),
            }),
            other => Error::from(Rejection::AttestationUntrusted {
                reason: other.to_string().into(),
            }),
        })?;
    let declared = entry
        .metadata_statement
        .as_ref()
        .map(|s| s.attestation_types.as_slice())
        .unwrap_or_default();
    for (_, verified) in components {
        let as_metadata = match verified.attestation_type {
            AttestationType::None => MetadataAttestationType::None,
            AttestationType::SelfAttestation => MetadataAttestationType::BasicSurrogate,
            AttestationType::Basic => MetadataAttestationType::BasicFull,
            AttestationType::AttCa => MetadataAttestationType::AttCa,
            AttestationType::AnonCa => MetadataAttestationType::AnonCa,
        };
        // `none` says nothing about the model, so any statement allows it.
        if as_metadata != MetadataAttestationType::None
            && !declared.is_empty()
            && !declared.contains(&as_metadata)
        {
            return Err(Rejection::AttestationUntrusted {
                reason: format!(
                    "the authenticator's metadata does not declare the attestation type {:?}",
                    verified.attestation_type
                )
                .into(),
            }
            .into());
        }
    }
    Ok(())
}

/// Steps 23–24 for one statement: obtain the acceptable trust anchors for its format (the
/// policy's own and, unless switched off, the built-in roots), then assess it. The outer error
/// refuses the registration outright; the inner result says whether the statement is trusted,
/// and why not.
fn assess_trust(
    format: AttestationFormat,
    attestation_type: AttestationType,
    trust_path: &[Vec<u8>],
    metadata_roots: &[Vec<u8>],
    policy: &AttestationPolicy,
    now: UnixTime,
) -> Result<Result<(), String>, Error> {
    // Step 23: the anchors.
    let mut anchors: Vec<&[u8]> = policy.trust_anchors.iter().map(Vec::as_slice).collect();
    anchors.extend(metadata_roots.iter().map(Vec::as_slice));
    if policy.builtin_roots {
        anchors.extend_from_slice(crate::roots::for_format(format));
    }
    if policy.reject_root_in_x5c
        && let Some(position) = crate::trust::root_in_path(trust_path, &anchors)
    {
        return Err(Rejection::AttestationInvalid {
            format: format.identifier().to_owned(),
            reason: format!(
                "x5c[{position}] is a root certificate; roots come from the relying party, not the authenticator"
            )
            .into(),
        }
        .into());
    }
    // Step 24: assess.
    Ok(match attestation_type {
        AttestationType::None => {
            Err("the policy requires attestation, none was provided".to_owned())
        }
        AttestationType::SelfAttestation => Err(
            "the policy requires attestation, self attestation proves no authenticator model"
                .to_owned(),
        ),
        _ => crate::trust::verify_path(trust_path, &anchors, now),
    })
}
