//! `MetadataBLOBPayloadEntry` (MDS3 §3.1.1) and the embedded `MetadataStatement` (FIDO
//! Metadata Statement v3 §4): the fields a relying party uses, typed, and the statement's raw
//! JSON for everything else.
//!
//! Unknown fields are ignored, so that statements of later revisions still load. Integers are
//! read as integers: `serde_json` keeps a JSON integer as a `u64`/`i64` (never an `f64`), so the
//! 64-bit values of `authenticatorGetInfo` (`vendorPrototypeConfigCommands`,
//! conformance test Resp-5 P-5) survive in [`MetadataStatement::authenticator_get_info`] and
//! [`MetadataStatement::raw`].

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use super::status::current_report;
use super::{AuthenticatorStatus, Date, KeyIdentifier, MdsError, StatusReport};
use crate::identifiers::Aaguid;
use crate::time::UnixTime;

/// `MetadataBLOBPayloadEntry` (MDS3 §3.1.1):
///
/// ```text
/// dictionary MetadataBLOBPayloadEntry {
///     AAID aaid;                                          // UAF
///     AAGUID aaguid;                                      // FIDO2
///     DOMString[] attestationCertificateKeyIdentifiers;   // U2F, UAF: lowercase hex
///     MetadataStatement metadataStatement;
///     BiometricStatusReport[] biometricStatusReports;     // not read
///     required StatusReport[] statusReports;
///     required DOMString timeOfLastStatusChange;          // YYYY-MM-DD
///     DOMString rogueListURL;                             // not read
///     DOMString rogueListHash;                            // not read
/// };
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MetadataEntry {
    /// `aaguid`: the model of a FIDO2 authenticator.
    pub aaguid: Option<Aaguid>,
    /// `aaid`: the model of a UAF authenticator (`vendor#model`, hexadecimal).
    pub aaid: Option<String>,
    /// `attestationCertificateKeyIdentifiers`: the attestation keys of a U2F or UAF model.
    pub attestation_certificate_key_identifiers: Vec<KeyIdentifier>,
    /// `metadataStatement`.
    pub metadata_statement: Option<MetadataStatement>,
    /// `statusReports`, in BLOB order.
    pub status_reports: Vec<StatusReport>,
    /// `timeOfLastStatusChange`.
    pub time_of_last_status_change: Option<Date>,
}

impl MetadataEntry {
    /// The report that gives the current status as of `now`: of the reports in effect (an
    /// `effectiveDate` on or before the day of `now`, or none), the latest. Between reports of
    /// the same day a security issue wins, then a higher certification level, then the later
    /// report in the array.
    #[must_use]
    pub fn current_status_report(&self, now: UnixTime) -> Option<&StatusReport> {
        current_report(&self.status_reports, now)
    }

    /// The current status as of `now` (see [`Self::current_status_report`]); `None` when no
    /// report is in effect yet.
    #[must_use]
    pub fn current_status(&self, now: UnixTime) -> Option<&AuthenticatorStatus> {
        self.current_status_report(now).map(|r| &r.status)
    }

    /// The trust anchors of this model's attestations (the statement's
    /// `attestationRootCertificates`, DER); empty without a statement.
    #[must_use]
    pub fn attestation_root_certificates(&self) -> &[Vec<u8>] {
        self.metadata_statement
            .as_ref()
            .map_or(&[], |s| s.attestation_root_certificates.as_slice())
    }
}

/// An attestation type of a metadata statement's `attestationTypes` (FIDO Registry of
/// Predefined Values §3.6.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetadataAttestationType {
    /// `basic_full`: a batch attestation certificate chaining to the statement's roots.
    BasicFull,
    /// `basic_surrogate`: self attestation.
    BasicSurrogate,
    /// `ecdaa`.
    Ecdaa,
    /// `attca`: an attestation CA (for example TPM privacy CA).
    AttCa,
    /// `anonca`: an anonymization CA (for example Apple).
    AnonCa,
    /// `none`.
    None,
    /// A type this library does not know, as written.
    Unknown(String),
}

impl MetadataAttestationType {
    /// The type of a wire name; unknown names become [`Self::Unknown`].
    #[must_use]
    pub fn from_wire(name: &str) -> Self {
        match name {
            "basic_full" => Self::BasicFull,
            "basic_surrogate" => Self::BasicSurrogate,
            "ecdaa" => Self::Ecdaa,
            "attca" => Self::AttCa,
            "anonca" => Self::AnonCa,
            "none" => Self::None,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The wire name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::BasicFull => "basic_full",
            Self::BasicSurrogate => "basic_surrogate",
            Self::Ecdaa => "ecdaa",
            Self::AttCa => "attca",
            Self::AnonCa => "anonca",
            Self::None => "none",
            Self::Unknown(name) => name,
        }
    }
}

impl fmt::Display for MetadataAttestationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `VerificationMethodDescriptor` (Metadata Statement §3.1): one user verification method.
/// Its `caDesc`/`baDesc`/`paDesc` accuracy descriptors stay in [`MetadataStatement::raw`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerificationMethodDescriptor {
    /// `userVerificationMethod`, for example `fingerprint_internal` or `presence_internal`.
    pub user_verification_method: String,
}

/// `MetadataStatement` (FIDO Metadata Statement v3 §4), with the fields anshin reads:
///
/// ```text
/// dictionary MetadataStatement {
///     DOMString legalHeader;
///     AAID aaid;  AAGUID aaguid;  DOMString[] attestationCertificateKeyIdentifiers;
///     required DOMString description;
///     required unsigned long authenticatorVersion;
///     required DOMString protocolFamily;                  // "uaf" | "u2f" | "fido2"
///     required unsigned short schema;                     // 3
///     required DOMString[] authenticationAlgorithms;      // "secp256r1_ecdsa_sha256_raw", ...
///     required DOMString[] publicKeyAlgAndEncodings;
///     required DOMString[] attestationTypes;              // "basic_full", ...
///     required VerificationMethodANDCombinations[] userVerificationDetails;
///     required DOMString[] keyProtection;                 // "hardware", "secure_element", ...
///     required DOMString[] attestationRootCertificates;   // base64 DER
///     DOMString icon;                                     // data: URL
///     AuthenticatorGetInfo authenticatorGetInfo;          // FIDO2
///     ...                                                 // in `raw`
/// };
/// ```
///
/// Only `description` is required here: the other fields default to empty, so that one
/// incomplete vendor statement does not make a whole BLOB unusable.
#[derive(Clone)]
#[non_exhaustive]
pub struct MetadataStatement {
    /// `legalHeader`.
    pub legal_header: Option<String>,
    /// `description`: the model's name in English.
    pub description: String,
    /// `aaguid`.
    pub aaguid: Option<Aaguid>,
    /// `aaid`.
    pub aaid: Option<String>,
    /// `attestationCertificateKeyIdentifiers`.
    pub attestation_certificate_key_identifiers: Vec<KeyIdentifier>,
    /// `authenticatorVersion`: the earliest firmware version this statement describes.
    pub authenticator_version: Option<u64>,
    /// `protocolFamily`: `uaf`, `u2f` or `fido2`.
    pub protocol_family: Option<String>,
    /// `schema`: the statement schema version (3).
    pub schema: Option<u64>,
    /// `authenticationAlgorithms` (FIDO Registry §3.6.1 names).
    pub authentication_algorithms: Vec<String>,
    /// `publicKeyAlgAndEncodings` (FIDO Registry §3.6.2 names).
    pub public_key_alg_and_encodings: Vec<String>,
    /// `attestationTypes`.
    pub attestation_types: Vec<MetadataAttestationType>,
    /// `userVerificationDetails`: alternatives (OR) of combinations (AND) of methods.
    pub user_verification_details: Vec<Vec<VerificationMethodDescriptor>>,
    /// `keyProtection` (FIDO Registry §3.2 names).
    pub key_protection: Vec<String>,
    /// `attestationRootCertificates`, decoded: DER certificates, the trust anchors of this
    /// model's attestation certificates.
    pub attestation_root_certificates: Vec<Vec<u8>>,
    /// `icon`: a `data:` URL.
    pub icon: Option<String>,
    /// `authenticatorGetInfo` (FIDO2), as JSON with integers kept as integers.
    pub authenticator_get_info: Option<Value>,
    /// The whole statement as published.
    pub raw: Value,
}

impl fmt::Debug for MetadataStatement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataStatement")
            .field("description", &self.description)
            .field("aaguid", &self.aaguid)
            .field("aaid", &self.aaid)
            .field("protocol_family", &self.protocol_family)
            .field("attestation_types", &self.attestation_types)
            .field(
                "attestation_root_certificates",
                &self.attestation_root_certificates.len(),
            )
            .finish_non_exhaustive()
    }
}

impl MetadataStatement {
    /// Parses a metadata statement published on its own (for example the FIDO conformance
    /// tool's statements, which a test server trusts locally). Nothing is verified: the caller
    /// decides why the statement is trusted.
    ///
    /// # Errors
    ///
    /// [`MdsError::Malformed`] when the JSON is not a statement.
    pub fn from_json(json: &str) -> Result<Self, MdsError> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| MdsError::malformed("metadataStatement", format!("is not JSON ({e})")))?;
        Self::from_value(value, "metadataStatement")
    }

    pub(crate) fn from_value(value: Value, field: &str) -> Result<Self, MdsError> {
        let wire = WireStatement::deserialize(&value)
            .map_err(|e| MdsError::malformed(field.to_owned(), e.to_string()))?;
        let aaguid = wire
            .aaguid
            .as_deref()
            .map(|text| parse_aaguid(text, &format!("{field}.aaguid")))
            .transpose()?;
        let attestation_certificate_key_identifiers = parse_key_identifiers(
            &wire.attestation_certificate_key_identifiers,
            &format!("{field}.attestationCertificateKeyIdentifiers"),
        )?;
        let attestation_root_certificates = wire
            .attestation_root_certificates
            .iter()
            .enumerate()
            .map(|(i, text)| {
                decode_base64_der(text, &format!("{field}.attestationRootCertificates[{i}]"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            legal_header: wire.legal_header,
            description: wire.description,
            aaguid,
            aaid: wire.aaid,
            attestation_certificate_key_identifiers,
            authenticator_version: wire.authenticator_version,
            protocol_family: wire.protocol_family,
            schema: wire.schema,
            authentication_algorithms: wire.authentication_algorithms,
            public_key_alg_and_encodings: wire.public_key_alg_and_encodings,
            attestation_types: wire
                .attestation_types
                .iter()
                .map(|t| MetadataAttestationType::from_wire(t))
                .collect(),
            user_verification_details: wire
                .user_verification_details
                .into_iter()
                .map(|and| {
                    and.into_iter()
                        .map(|m| VerificationMethodDescriptor {
                            user_verification_method: m.user_verification_method,
                        })
                        .collect()
                })
                .collect(),
            key_protection: wire.key_protection,
            attestation_root_certificates,
            icon: wire.icon,
            authenticator_get_info: wire.authenticator_get_info,
            raw: value,
        })
    }
}

/// Parses one entry of `entries`; `field` is its path (`entries[3]`).
pub(crate) fn parse_entry(value: &Value, field: &str) -> Result<MetadataEntry, MdsError> {
    let mut wire = WireEntry::deserialize(value)
        .map_err(|e| MdsError::malformed(field.to_owned(), e.to_string()))?;
    let aaguid = wire
        .aaguid
        .as_deref()
        .map(|text| parse_aaguid(text, &format!("{field}.aaguid")))
        .transpose()?;
    let attestation_certificate_key_identifiers = parse_key_identifiers(
        &wire.attestation_certificate_key_identifiers,
        &format!("{field}.attestationCertificateKeyIdentifiers"),
    )?;
    let status_reports = wire
        .status_reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| parse_status_report(r, &format!("{field}.statusReports[{i}]")))
        .collect::<Result<_, _>>()?;
    let time_of_last_status_change = wire
        .time_of_last_status_change
        .as_deref()
        .map(|text| parse_date(text, &format!("{field}.timeOfLastStatusChange")))
        .transpose()?;
    let metadata_statement = match wire.metadata_statement.take() {
        None | Some(Value::Null) => None,
        Some(statement) => Some(MetadataStatement::from_value(
            statement,
            &format!("{field}.metadataStatement"),
        )?),
    };
    Ok(MetadataEntry {
        aaguid,
        aaid: wire.aaid,
        attestation_certificate_key_identifiers,
        metadata_statement,
        status_reports,
        time_of_last_status_change,
    })
}

fn parse_status_report(wire: WireStatusReport, field: &str) -> Result<StatusReport, MdsError> {
    Ok(StatusReport {
        status: AuthenticatorStatus::from_wire(&wire.status),
        effective_date: wire
            .effective_date
            .as_deref()
            .map(|text| parse_date(text, &format!("{field}.effectiveDate")))
            .transpose()?,
        authenticator_version: wire.authenticator_version,
        certificate: wire
            .certificate
            .as_deref()
            .map(|text| decode_base64_der(text, &format!("{field}.certificate")))
            .transpose()?,
        batch_certificate: wire
            .batch_certificate
            .as_deref()
            .map(|text| decode_base64_der(text, &format!("{field}.batchCertificate")))
            .transpose()?,
        url: wire.url,
    })
}

pub(crate) fn parse_date(text: &str, field: &str) -> Result<Date, MdsError> {
    Date::parse(text)
        .ok_or_else(|| MdsError::malformed(field.to_owned(), "is not a date YYYY-MM-DD"))
}

fn parse_aaguid(text: &str, field: &str) -> Result<Aaguid, MdsError> {
    Aaguid::parse(text)
        .ok_or_else(|| MdsError::malformed(field.to_owned(), "is not a hyphenated UUID"))
}

fn parse_key_identifiers(texts: &[String], field: &str) -> Result<Vec<KeyIdentifier>, MdsError> {
    let mut out: Vec<KeyIdentifier> = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let id = KeyIdentifier::parse(text).ok_or_else(|| {
            MdsError::malformed(format!("{field}[{i}]"), "is not 40 hexadecimal digits")
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Decodes standard base64 (not base64url), ignoring line breaks and other whitespace that
/// some vendor statements carry inside `attestationRootCertificates`.
fn decode_base64_der(text: &str, field: &str) -> Result<Vec<u8>, MdsError> {
    let compact: Cow<'_, str> = if text.contains(|c: char| c.is_ascii_whitespace()) {
        Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        Cow::Borrowed(text)
    };
    base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
        .decode(compact.as_bytes())
        .ok()
        .filter(|der| !der.is_empty())
        .ok_or_else(|| MdsError::malformed(field.to_owned(), "is not base64 DER"))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEntry {
    aaid: Option<String>,
    aaguid: Option<String>,
    #[serde(default)]
    attestation_certificate_key_identifiers: Vec<String>,
    metadata_statement: Option<Value>,
    status_reports: Vec<WireStatusReport>,
    time_of_last_status_change: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatusReport {
    status: String,
    effective_date: Option<String>,
    authenticator_version: Option<u64>,
    certificate: Option<String>,
    batch_certificate: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatement {
    legal_header: Option<String>,
    description: String,
    aaid: Option<String>,
    aaguid: Option<String>,
    #[serde(default)]
    attestation_certificate_key_identifiers: Vec<String>,
    authenticator_version: Option<u64>,
    protocol_family: Option<String>,
    schema: Option<u64>,
    #[serde(default)]
    authentication_algorithms: Vec<String>,
    #[serde(default)]
    public_key_alg_and_encodings: Vec<String>,
    #[serde(default)]
    attestation_types: Vec<String>,
    #[serde(default)]
    user_verification_details: Vec<Vec<WireVerificationMethod>>,
    #[serde(default)]
    key_protection: Vec<String>,
    #[serde(default)]
    attestation_root_certificates: Vec<String>,
    icon: Option<String>,
    authenticator_get_info: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireVerificationMethod {
    user_verification_method: String,
}
