//! Relying-party policy for attestation (§7.1 steps 23–24).

use crate::identifiers::Aaguid;

/// Which attestations a registration accepts.
///
/// The default accepts every attestation statement that verifies, including `none` and self
/// attestation, and records whether it was trusted: most relying parties do not need
/// attestation, and asking for it costs users a prompt. Ask for
/// [`AttestationPolicy::trusted`] only where the authenticator model matters (regulated or
/// enterprise deployments).
#[derive(Debug, Clone, Default)]
pub struct AttestationPolicy {
    pub(crate) mode: AttestationMode,
    pub(crate) trust_anchors: Vec<Vec<u8>>,
    pub(crate) allowed_aaguids: Option<Vec<Aaguid>>,
    pub(crate) require_zero_u2f_aaguid: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum AttestationMode {
    /// Any verified statement, trusted or not, and none/self.
    #[default]
    Any,
    /// The statement must verify and chain to one of the trust anchors.
    Trusted,
}

impl AttestationPolicy {
    /// Accepts any attestation that verifies, including `none` and self attestation.
    #[must_use]
    pub fn any() -> Self {
        Self::default()
    }

    /// Accepts only attestations whose certificate path ends in one of these trust anchors
    /// (DER certificates). `none` and self attestation are refused.
    #[must_use]
    pub fn trusted(trust_anchors: Vec<Vec<u8>>) -> Self {
        Self {
            mode: AttestationMode::Trusted,
            trust_anchors,
            allowed_aaguids: None,
            require_zero_u2f_aaguid: false,
        }
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

    /// Trust anchors to evaluate even when untrusted attestations are accepted, so that the
    /// result can say whether the path was trusted.
    #[must_use]
    pub fn with_trust_anchors(mut self, trust_anchors: Vec<Vec<u8>>) -> Self {
        self.trust_anchors = trust_anchors;
        self
    }
}
