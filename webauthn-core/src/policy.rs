//! Relying-party policy for attestation (§7.1 steps 23–24).

use std::sync::Arc;
use std::time::Duration;

use crate::identifiers::Aaguid;
use crate::mds::{Metadata, RejectedStatuses};

/// Which attestations a registration accepts, and what it trusts.
///
/// The default accepts every attestation statement that verifies, including `none` and self
/// attestation, and reports whether its certificate path ended in a trust anchor (the built-in
/// roots of `webauthn-core/roots/`, plus any given with [`Self::with_trust_anchors`]): most
/// relying parties do not need attestation, and asking for it costs users a prompt. Ask for
/// [`Self::require_trusted`] only where the authenticator model matters (regulated or
/// enterprise deployments).
#[derive(Debug, Clone)]
pub struct AttestationPolicy {
    pub(crate) mode: AttestationMode,
    pub(crate) trust_anchors: Vec<Vec<u8>>,
    pub(crate) builtin_roots: bool,
    pub(crate) allowed_aaguids: Option<Vec<Aaguid>>,
    pub(crate) require_zero_u2f_aaguid: bool,
    pub(crate) reject_root_in_x5c: bool,
    pub(crate) android_key: AndroidKeyPolicy,
    pub(crate) safetynet: Option<SafetyNetPolicy>,
    pub(crate) metadata: Option<Arc<Metadata>>,
    pub(crate) rejected_statuses: RejectedStatuses,
    pub(crate) require_metadata: bool,
}

impl Default for AttestationPolicy {
    fn default() -> Self {
        Self {
            mode: AttestationMode::Any,
            trust_anchors: Vec::new(),
            builtin_roots: true,
            allowed_aaguids: None,
            require_zero_u2f_aaguid: false,
            reject_root_in_x5c: false,
            android_key: AndroidKeyPolicy::default(),
            safetynet: None,
            metadata: None,
            rejected_statuses: RejectedStatuses::default(),
            require_metadata: false,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum AttestationMode {
    /// Any verified statement, trusted or not, and none/self.
    #[default]
    Any,
    /// The statement must verify and chain to a trust anchor.
    Trusted,
}

/// How `android-key` statements are judged (WebAuthn §8.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AndroidKeyPolicy {
    /// Judge `origin` and `purpose` by the TEE-enforced authorization list only, accepting only
    /// keys from a trusted execution environment. Off by default: the union of the TEE- and
    /// software-enforced lists is used, as §8.4 allows.
    pub require_tee: bool,
}

/// How `android-safetynet` statements are judged (WebAuthn §8.5). SafetyNet is deprecated by
/// Google; the format is refused unless a policy allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafetyNetPolicy {
    /// Require `ctsProfileMatch: true` (a device that passed Android compatibility testing).
    pub require_cts_profile_match: bool,
    /// Check that `timestampMs` is recent (within [`Self::max_age`] before the given time and
    /// not after it, allowing [`Self::max_clock_skew`]).
    pub check_timestamp: bool,
    /// How old the SafetyNet response may be.
    pub max_age: Duration,
    /// How far in the future `timestampMs` may be, for clock differences.
    pub max_clock_skew: Duration,
}

impl Default for SafetyNetPolicy {
    fn default() -> Self {
        Self {
            require_cts_profile_match: true,
            check_timestamp: true,
            max_age: Duration::from_secs(60),
            max_clock_skew: Duration::from_secs(10),
        }
    }
}

impl AttestationPolicy {
    /// Accepts any attestation that verifies, including `none` and self attestation (the
    /// default).
    #[must_use]
    pub fn any() -> Self {
        Self::default()
    }

    /// Accepts only attestations whose certificate path ends in a trust anchor; `none` and self
    /// attestation are refused.
    #[must_use]
    pub fn require_trusted() -> Self {
        Self {
            mode: AttestationMode::Trusted,
            ..Self::default()
        }
    }

    /// Adds trust anchors (DER certificates) for every format.
    #[must_use]
    pub fn with_trust_anchors(mut self, trust_anchors: Vec<Vec<u8>>) -> Self {
        self.trust_anchors.extend(trust_anchors);
        self
    }

    /// Does not use the built-in roots (Apple, Google, Microsoft TPM, Yubico, GlobalSign): only
    /// the anchors given with [`Self::with_trust_anchors`] count.
    #[must_use]
    pub fn without_builtin_roots(mut self) -> Self {
        self.builtin_roots = false;
        self
    }

    /// Restricts registration to these authenticator models.
    #[must_use]
    pub fn with_allowed_aaguids(mut self, aaguids: Vec<Aaguid>) -> Self {
        self.allowed_aaguids = Some(aaguids);
        self
    }

    /// Refuses `fido-u2f` statements whose authenticator data has a non-zero AAGUID, as the
    /// FIDO2 server conformance profile requires (a client converting a U2F response always
    /// fills in zeros). WebAuthn's own verification procedure (§8.6) does not check it.
    #[must_use]
    pub fn require_zero_u2f_aaguid(mut self) -> Self {
        self.require_zero_u2f_aaguid = true;
        self
    }

    /// Refuses an `x5c` that carries a root certificate (a self-issued certificate or one of the
    /// anchors), as the FIDO2 server conformance profile requires: a root must come from the
    /// relying party's trust store, never from the authenticator.
    #[must_use]
    pub fn reject_root_in_x5c(mut self) -> Self {
        self.reject_root_in_x5c = true;
        self
    }

    /// How `android-key` statements are judged.
    #[must_use]
    pub fn with_android_key(mut self, policy: AndroidKeyPolicy) -> Self {
        self.android_key = policy;
        self
    }

    /// Uses a verified FIDO Metadata Service BLOB: an authenticator's entry (found by AAGUID,
    /// or for U2F by the attestation certificate's key identifier) adds its attestation root
    /// certificates to the trust anchors, and its status is checked against the rejected
    /// statuses.
    #[must_use]
    pub fn with_metadata(mut self, metadata: Arc<Metadata>) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The metadata statuses that refuse a registration; by default REVOKED,
    /// ATTESTATION_KEY_COMPROMISE, USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE and
    /// USER_KEY_PHYSICAL_COMPROMISE.
    #[must_use]
    pub fn with_rejected_statuses(mut self, statuses: RejectedStatuses) -> Self {
        self.rejected_statuses = statuses;
        self
    }

    /// Refuses attestations (other than `none` and self attestation) from authenticators that
    /// have no metadata entry, as the FIDO2 server conformance profile requires.
    #[must_use]
    pub fn require_metadata(mut self) -> Self {
        self.require_metadata = true;
        self
    }

    /// Accepts the deprecated `android-safetynet` format, judged by `policy`.
    #[must_use]
    pub fn allow_safetynet(mut self, policy: SafetyNetPolicy) -> Self {
        self.safetynet = Some(policy);
        self
    }
}
