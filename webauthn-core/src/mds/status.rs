//! Authenticator statuses (MDS3 §3.1.4), status reports, and what a relying party makes of
//! them: the current status of an entry, the statuses it refuses, and the changes between two
//! BLOBs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Date, KeyIdentifier, MdsError, MetadataEntry};
use crate::identifiers::Aaguid;
use crate::time::UnixTime;

/// `AuthenticatorStatus` (MDS3 §3.1.4): the status that a status report gives an authenticator
/// model.
///
/// The wire names are those of MDS3 and its revisions 3.1 and 3.1.1 (`RETIRED`,
/// `FIPS140_CERTIFIED_L1`...`L4`). A name this library does not know is kept as
/// [`Self::Unknown`] rather than refusing the BLOB, since the FIDO Alliance adds statuses
/// between revisions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthenticatorStatus {
    /// `NOT_FIDO_CERTIFIED`: not FIDO certified.
    NotFidoCertified,
    /// `FIDO_CERTIFIED`: passed FIDO functional certification (the scheme replaced by L1).
    FidoCertified,
    /// `USER_VERIFICATION_BYPASS`: malware can bypass user verification.
    UserVerificationBypass,
    /// `ATTESTATION_KEY_COMPROMISE`: an attestation key of this model is compromised (the
    /// report's `certificate` may name the batch).
    AttestationKeyCompromise,
    /// `USER_KEY_REMOTE_COMPROMISE`: registered keys can be compromised remotely.
    UserKeyRemoteCompromise,
    /// `USER_KEY_PHYSICAL_COMPROMISE`: registered keys can be extracted by someone holding the
    /// device.
    UserKeyPhysicalCompromise,
    /// `UPDATE_AVAILABLE`: a firmware or software update is available; it supersedes earlier
    /// compromise reports that the update fixes.
    UpdateAvailable,
    /// `REVOKED`: the FIDO Alliance says this model must not be trusted for any reason.
    Revoked,
    /// `SELF_ASSERTION_SUBMITTED`: the vendor submitted a self-certification checklist.
    SelfAssertionSubmitted,
    /// `FIDO_CERTIFIED_L1`.
    FidoCertifiedL1,
    /// `FIDO_CERTIFIED_L1plus`.
    FidoCertifiedL1Plus,
    /// `FIDO_CERTIFIED_L2`.
    FidoCertifiedL2,
    /// `FIDO_CERTIFIED_L2plus`.
    FidoCertifiedL2Plus,
    /// `FIDO_CERTIFIED_L3`.
    FidoCertifiedL3,
    /// `FIDO_CERTIFIED_L3plus`.
    FidoCertifiedL3Plus,
    /// `RETIRED` (MDS 3.1): the model is no longer maintained by its vendor.
    Retired,
    /// `FIPS140_CERTIFIED_L1` (MDS 3.1).
    Fips140CertifiedL1,
    /// `FIPS140_CERTIFIED_L2` (MDS 3.1).
    Fips140CertifiedL2,
    /// `FIPS140_CERTIFIED_L3` (MDS 3.1).
    Fips140CertifiedL3,
    /// `FIPS140_CERTIFIED_L4` (MDS 3.1).
    Fips140CertifiedL4,
    /// A status this library does not know, as written in the BLOB.
    Unknown(String),
}

/// Every known status with its wire name, in the order of the MDS3 specification.
static WIRE_NAMES: [(AuthenticatorStatus, &str); 20] = [
    (AuthenticatorStatus::NotFidoCertified, "NOT_FIDO_CERTIFIED"),
    (AuthenticatorStatus::FidoCertified, "FIDO_CERTIFIED"),
    (
        AuthenticatorStatus::UserVerificationBypass,
        "USER_VERIFICATION_BYPASS",
    ),
    (
        AuthenticatorStatus::AttestationKeyCompromise,
        "ATTESTATION_KEY_COMPROMISE",
    ),
    (
        AuthenticatorStatus::UserKeyRemoteCompromise,
        "USER_KEY_REMOTE_COMPROMISE",
    ),
    (
        AuthenticatorStatus::UserKeyPhysicalCompromise,
        "USER_KEY_PHYSICAL_COMPROMISE",
    ),
    (AuthenticatorStatus::UpdateAvailable, "UPDATE_AVAILABLE"),
    (AuthenticatorStatus::Revoked, "REVOKED"),
    (
        AuthenticatorStatus::SelfAssertionSubmitted,
        "SELF_ASSERTION_SUBMITTED",
    ),
    (AuthenticatorStatus::FidoCertifiedL1, "FIDO_CERTIFIED_L1"),
    (
        AuthenticatorStatus::FidoCertifiedL1Plus,
        "FIDO_CERTIFIED_L1plus",
    ),
    (AuthenticatorStatus::FidoCertifiedL2, "FIDO_CERTIFIED_L2"),
    (
        AuthenticatorStatus::FidoCertifiedL2Plus,
        "FIDO_CERTIFIED_L2plus",
    ),
    (AuthenticatorStatus::FidoCertifiedL3, "FIDO_CERTIFIED_L3"),
    (
        AuthenticatorStatus::FidoCertifiedL3Plus,
        "FIDO_CERTIFIED_L3plus",
    ),
    (AuthenticatorStatus::Retired, "RETIRED"),
    (
        AuthenticatorStatus::Fips140CertifiedL1,
        "FIPS140_CERTIFIED_L1",
    ),
    (
        AuthenticatorStatus::Fips140CertifiedL2,
        "FIPS140_CERTIFIED_L2",
    ),
    (
        AuthenticatorStatus::Fips140CertifiedL3,
        "FIPS140_CERTIFIED_L3",
    ),
    (
        AuthenticatorStatus::Fips140CertifiedL4,
        "FIPS140_CERTIFIED_L4",
    ),
];

impl AuthenticatorStatus {
    /// Every status this library knows (not [`Self::Unknown`]).
    pub fn known() -> impl Iterator<Item = Self> {
        WIRE_NAMES.iter().map(|(status, _)| status.clone())
    }

    /// The status of a wire name; unknown names become [`Self::Unknown`]. Names are
    /// case-sensitive, as in the specification (`FIDO_CERTIFIED_L1plus`).
    #[must_use]
    pub fn from_wire(name: &str) -> Self {
        WIRE_NAMES
            .iter()
            .find(|(_, wire)| *wire == name)
            .map_or_else(|| Self::Unknown(name.to_owned()), |(s, _)| s.clone())
    }

    /// The wire name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown(name) => name,
            known => WIRE_NAMES
                .iter()
                .find(|(s, _)| s == known)
                .map_or("", |(_, wire)| *wire),
        }
    }

    /// Whether this status reports a security problem: a compromise, a user verification
    /// bypass, or a revocation.
    #[must_use]
    pub fn is_security_issue(&self) -> bool {
        matches!(
            self,
            Self::UserVerificationBypass
                | Self::AttestationKeyCompromise
                | Self::UserKeyRemoteCompromise
                | Self::UserKeyPhysicalCompromise
                | Self::Revoked
        )
    }

    /// Which of two reports with the same effective date is current: security issues first,
    /// then retirement, update notices, certification levels (highest first), and the rest.
    fn precedence(&self) -> u8 {
        match self {
            Self::UserVerificationBypass
            | Self::AttestationKeyCompromise
            | Self::UserKeyRemoteCompromise
            | Self::UserKeyPhysicalCompromise
            | Self::Revoked => 40,
            Self::Retired => 30,
            Self::UpdateAvailable => 20,
            Self::FidoCertifiedL3Plus => 16,
            Self::FidoCertifiedL3 => 15,
            Self::FidoCertifiedL2Plus => 14,
            Self::FidoCertifiedL2 => 13,
            Self::FidoCertifiedL1Plus => 12,
            Self::FidoCertifiedL1 => 11,
            Self::FidoCertified => 10,
            Self::Fips140CertifiedL4 => 9,
            Self::Fips140CertifiedL3 => 8,
            Self::Fips140CertifiedL2 => 7,
            Self::Fips140CertifiedL1 => 6,
            Self::SelfAssertionSubmitted => 2,
            Self::NotFidoCertified => 1,
            Self::Unknown(_) => 0,
        }
    }
}

impl fmt::Display for AuthenticatorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthenticatorStatus {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_wire(s))
    }
}

impl Serialize for AuthenticatorStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuthenticatorStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Self::from_wire(&name))
    }
}

/// `StatusReport` (MDS3 §3.1.3), with the fields a relying party acts on.
///
/// ```text
/// dictionary StatusReport {
///     required AuthenticatorStatus status;
///     DOMString effectiveDate;          // YYYY-MM-DD
///     unsigned long authenticatorVersion;
///     DOMString certificate;            // base64 DER
///     DOMString url;
///     ...                               // certification details, kept out of this type
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusReport {
    /// `status`.
    pub status: AuthenticatorStatus,
    /// `effectiveDate`: since when the status holds; without it, the status holds for as long
    /// as the report is in the BLOB.
    pub effective_date: Option<Date>,
    /// `authenticatorVersion`: the firmware version the report is about.
    pub authenticator_version: Option<u64>,
    /// `certificate` (MDS3), decoded: the attestation (batch) certificate the report is about,
    /// for example the compromised one.
    pub certificate: Option<Vec<u8>>,
    /// `batchCertificate` (MDS 3.1), decoded.
    pub batch_certificate: Option<Vec<u8>>,
    /// `url`: more information, for example where to find an update.
    pub url: Option<String>,
}

impl StatusReport {
    /// Whether the report is in effect on the day of `now`: its `effectiveDate` is that day or
    /// earlier, or it has none.
    #[must_use]
    pub fn is_effective(&self, now: UnixTime) -> bool {
        self.effective_date.is_none_or(|d| d <= Date::of(now))
    }
}

/// The current status report among `reports` as of `now`: of the reports in effect, the one
/// with the latest `effectiveDate` (reports without one count as the oldest). Between reports
/// of the same date, a security issue wins over anything else and a higher certification
/// level over a lower one; between equals, the later one in the array.
pub(crate) fn current_report(reports: &[StatusReport], now: UnixTime) -> Option<&StatusReport> {
    reports
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_effective(now))
        .max_by_key(|(i, r)| (r.effective_date, r.status.precedence(), *i))
        .map(|(_, r)| r)
}

/// The statuses that make a relying party refuse an authenticator model.
///
/// The default refuses the security issues of MDS3: `REVOKED`, `ATTESTATION_KEY_COMPROMISE`,
/// `USER_VERIFICATION_BYPASS`, `USER_KEY_REMOTE_COMPROMISE` and
/// `USER_KEY_PHYSICAL_COMPROMISE` (the Server-MDS3 F-1 conformance test). A deployment that
/// also refuses retired models adds [`AuthenticatorStatus::Retired`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedStatuses {
    rejected: Vec<AuthenticatorStatus>,
}

impl Default for RejectedStatuses {
    fn default() -> Self {
        Self::rejecting([
            AuthenticatorStatus::Revoked,
            AuthenticatorStatus::AttestationKeyCompromise,
            AuthenticatorStatus::UserVerificationBypass,
            AuthenticatorStatus::UserKeyRemoteCompromise,
            AuthenticatorStatus::UserKeyPhysicalCompromise,
        ])
    }
}

impl RejectedStatuses {
    /// Refuses exactly these statuses.
    #[must_use]
    pub fn rejecting(statuses: impl IntoIterator<Item = AuthenticatorStatus>) -> Self {
        let mut rejected: Vec<AuthenticatorStatus> = Vec::new();
        for status in statuses {
            if !rejected.contains(&status) {
                rejected.push(status);
            }
        }
        Self { rejected }
    }

    /// Refuses nothing.
    #[must_use]
    pub fn none() -> Self {
        Self {
            rejected: Vec::new(),
        }
    }

    /// Also refuses `status`.
    #[must_use]
    pub fn and(mut self, status: AuthenticatorStatus) -> Self {
        if !self.rejected.contains(&status) {
            self.rejected.push(status);
        }
        self
    }

    /// No longer refuses `status`.
    #[must_use]
    pub fn except(mut self, status: &AuthenticatorStatus) -> Self {
        self.rejected.retain(|s| s != status);
        self
    }

    /// The refused statuses.
    #[must_use]
    pub fn statuses(&self) -> &[AuthenticatorStatus] {
        &self.rejected
    }

    /// Whether `status` is refused.
    #[must_use]
    pub fn rejects(&self, status: &AuthenticatorStatus) -> bool {
        self.rejected.contains(status)
    }

    /// Whether `entry` is acceptable as of `now`: its current status (see
    /// [`MetadataEntry::current_status`]) is not refused. An entry with no report in effect is
    /// acceptable here; whether an authenticator needs an entry at all is the attestation
    /// policy's question.
    ///
    /// Later reports supersede earlier ones (MDS3 §3.1.4: an `UPDATE_AVAILABLE` supersedes
    /// the compromise it fixes), so a compromise followed by a newer status is not refused.
    /// `ATTESTATION_KEY_COMPROMISE` refuses the whole model even when its report names one
    /// batch certificate.
    ///
    /// # Errors
    ///
    /// [`MdsError::StatusRejected`] when the current status is refused.
    pub fn check(
        &self,
        entry: &MetadataEntry,
        now: UnixTime,
    ) -> Result<StatusAcceptable, MdsError> {
        match entry.current_status(now) {
            Some(status) if self.rejects(status) => Err(MdsError::StatusRejected {
                status: status.clone(),
            }),
            status => Ok(StatusAcceptable {
                status: status.cloned(),
            }),
        }
    }
}

/// Proof that an entry's current status is not refused; carries that status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAcceptable {
    status: Option<AuthenticatorStatus>,
}

impl StatusAcceptable {
    /// The current status that was judged, if a report was in effect.
    #[must_use]
    pub fn status(&self) -> Option<&AuthenticatorStatus> {
        self.status.as_ref()
    }
}

/// How an entry is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EntryKey {
    /// By AAGUID (FIDO2 authenticators).
    Aaguid(Aaguid),
    /// By attestation certificate key identifier (U2F and UAF authenticators).
    KeyIdentifier(KeyIdentifier),
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aaguid(aaguid) => write!(f, "aaguid {aaguid}"),
            Self::KeyIdentifier(id) => write!(f, "attestation key identifier {id}"),
        }
    }
}

/// An authenticator model whose current status differs between two BLOBs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusChange {
    /// The AAGUID or key identifier of the model.
    pub key: EntryKey,
    /// The status in the previous BLOB; `None` when it had no entry, or no report in effect.
    pub previous: Option<AuthenticatorStatus>,
    /// The status in the current BLOB; `None` when it has no entry (the model was removed), or
    /// no report in effect.
    pub current: Option<AuthenticatorStatus>,
}
