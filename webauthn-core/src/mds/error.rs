//! Why a BLOB or an entry is refused, grouped by who is at fault.

use std::borrow::Cow;

use super::{AuthenticatorStatus, Date};

/// An error of the Metadata Service module.
///
/// Who is at fault:
/// * the publisher or the transport: [`Self::Malformed`], [`Self::Unsupported`];
/// * a forger or a broken chain: [`Self::UntrustedSigner`], [`Self::CertificateRevoked`],
///   [`Self::RevocationUnknown`], [`Self::SignatureInvalid`];
/// * an old BLOB: [`Self::Stale`], [`Self::NotNewer`];
/// * the caller's configuration: [`Self::InvalidRoot`], [`Self::InvalidCrl`],
///   [`Self::InvalidCertificate`];
/// * the authenticator model: [`Self::StatusRejected`].
///
/// Every error has a stable [`Self::code`]; messages describe the problem and never quote
/// secrets (a BLOB holds none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MdsError {
    /// The BLOB is not a compact JWS of an MDS3 payload: bad base64url, JSON of the wrong
    /// shape, a field missing or of the wrong type, an invalid date, AAGUID or key identifier,
    /// or an identifier that two entries claim.
    #[error("malformed metadata BLOB: field `{field}` {problem}")]
    Malformed {
        /// The field, as a path (`header.x5c[0]`, `payload.entries[3].statusReports[0]`).
        field: Cow<'static, str>,
        /// What was wrong.
        problem: Cow<'static, str>,
    },
    /// The BLOB uses something this library does not implement: a JWS algorithm outside
    /// RS256...RS512, PS256...PS512, ES256...ES512, or an `x5u` certificate URL (fetching it
    /// is I/O, which this crate does not do).
    #[error("unsupported metadata BLOB: {0}")]
    Unsupported(Cow<'static, str>),
    /// The signing certificate does not chain to the configured root at the given time
    /// (unknown issuer, expired or not yet valid certificate, bad certificate signature, an
    /// intermediate that is not a CA...).
    #[error("the metadata BLOB signer is not trusted: {0}")]
    UntrustedSigner(Cow<'static, str>),
    /// A CRL revokes the signing certificate or an intermediate of its path.
    #[error("a certificate of the metadata BLOB signing path is revoked")]
    CertificateRevoked,
    /// CRLs were given but do not establish that a certificate of the signing path is not
    /// revoked: no CRL of its issuer, or that CRL has expired.
    #[error("the revocation status of the metadata BLOB signing path is unknown: {0}")]
    RevocationUnknown(Cow<'static, str>),
    /// The JWS signature does not verify with the signing certificate's key, or the key does
    /// not fit `alg`.
    #[error("the metadata BLOB signature is invalid: {0}")]
    SignatureInvalid(Cow<'static, str>),
    /// `nextUpdate` is before the current day: a newer BLOB should exist.
    #[error("the metadata BLOB is stale: its nextUpdate {next_update} is before {today}")]
    Stale {
        /// The BLOB's `nextUpdate`.
        next_update: Date,
        /// The day of the verification time.
        today: Date,
    },
    /// The BLOB's `no` is not greater than that of the BLOB already loaded (MDS3 §3.2: the
    /// serial number increases with every BLOB).
    #[error("the metadata BLOB number {received} is not greater than the loaded {current}")]
    NotNewer {
        /// `no` of the loaded BLOB.
        current: u64,
        /// `no` of the refused BLOB.
        received: u64,
    },
    /// The configured trust root cannot be used as a trust anchor.
    #[error("the configured metadata root is invalid: {0}")]
    InvalidRoot(Cow<'static, str>),
    /// A configured CRL cannot be parsed.
    #[error("configured CRL {index} is invalid: {problem}")]
    InvalidCrl {
        /// Its position in the CRL list.
        index: usize,
        /// What was wrong.
        problem: Cow<'static, str>,
    },
    /// A certificate given to look up an entry cannot be parsed.
    #[error("invalid certificate: {0}")]
    InvalidCertificate(Cow<'static, str>),
    /// The authenticator model's current status is one the relying party refuses.
    #[error("the authenticator's metadata status {status} is refused")]
    StatusRejected {
        /// The refused status.
        status: AuthenticatorStatus,
    },
}

impl MdsError {
    /// The stable, machine-readable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "mds_malformed",
            Self::Unsupported(_) => "mds_unsupported",
            Self::UntrustedSigner(_) => "mds_untrusted_signer",
            Self::CertificateRevoked => "mds_certificate_revoked",
            Self::RevocationUnknown(_) => "mds_revocation_unknown",
            Self::SignatureInvalid(_) => "mds_signature_invalid",
            Self::Stale { .. } => "mds_stale",
            Self::NotNewer { .. } => "mds_not_newer",
            Self::InvalidRoot(_) => "mds_invalid_root",
            Self::InvalidCrl { .. } => "mds_invalid_crl",
            Self::InvalidCertificate(_) => "mds_invalid_certificate",
            Self::StatusRejected { .. } => "mds_status_rejected",
        }
    }

    pub(crate) fn malformed(
        field: impl Into<Cow<'static, str>>,
        problem: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Malformed {
            field: field.into(),
            problem: problem.into(),
        }
    }
}
