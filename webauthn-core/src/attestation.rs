//! Attestation objects (§6.5.4) and the dispatch to attestation statement formats (§8).
//!
//! ```text
//! attObj = {
//!     "fmt": text,        ; the attestation statement format identifier
//!     "attStmt": { ... }, ; the statement, whose syntax the format defines
//!     "authData": bytes,  ; authenticator data with attested credential data
//! }
//! ```
//!
//! Each format is one module with a `verify` function that returns the [`AttestationVerified`]
//! proof token; adding a format means adding a module and a line to [`AttestationFormat`].

mod android_key;
mod android_safetynet;
mod apple;
pub(crate) mod compound;
mod fido_u2f;
mod none;
mod packed;
mod tpm;

#[cfg(test)]
pub(crate) mod test_support;

use crate::authenticator_data::{AttestedCredentialData, AuthenticatorData};
use crate::cbor::{self, Value};
use crate::cose::{CoseAlgorithm, CredentialPublicKey, SignatureScheme};
use crate::error::{Error, InputPart, Rejection, Unsupported};
use crate::policy::AttestationPolicy;
use crate::time::UnixTime;
use crate::verified::AttestationVerified;

/// The largest attestation object accepted, in bytes.
pub const MAX_ATTESTATION_OBJECT_LEN: usize = 128 * 1024;

/// The attestation statement formats this library verifies: a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttestationFormat {
    /// `none` (§8.7).
    None,
    /// `packed` (§8.2).
    Packed,
    /// `fido-u2f` (§8.6).
    FidoU2f,
    /// `tpm` (§8.3).
    Tpm,
    /// `android-key` (§8.4).
    AndroidKey,
    /// `android-safetynet` (§8.5).
    AndroidSafetyNet,
    /// `apple` (§8.8).
    Apple,
    /// `compound` (§8.9).
    Compound,
}

impl AttestationFormat {
    /// §7.1 step 21: a USASCII case-sensitive match of `fmt` against the supported formats.
    #[must_use]
    pub fn from_identifier(fmt: &str) -> Option<Self> {
        match fmt {
            "none" => Some(Self::None),
            "packed" => Some(Self::Packed),
            "fido-u2f" => Some(Self::FidoU2f),
            "tpm" => Some(Self::Tpm),
            "android-key" => Some(Self::AndroidKey),
            "android-safetynet" => Some(Self::AndroidSafetyNet),
            "apple" => Some(Self::Apple),
            "compound" => Some(Self::Compound),
            _ => None,
        }
    }

    /// The format identifier.
    #[must_use]
    pub fn identifier(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Packed => "packed",
            Self::FidoU2f => "fido-u2f",
            Self::Tpm => "tpm",
            Self::AndroidKey => "android-key",
            Self::AndroidSafetyNet => "android-safetynet",
            Self::Apple => "apple",
            Self::Compound => "compound",
        }
    }
}

/// A decoded attestation object.
#[derive(Debug)]
pub(crate) struct AttestationObject<'a> {
    pub(crate) fmt: &'a str,
    pub(crate) att_stmt: Value<'a>,
    pub(crate) auth_data: AuthenticatorData<'a>,
}

impl<'a> AttestationObject<'a> {
    /// §7.1 step 13: CBOR decoding of the attestation object.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let bad = |field: &'static str, problem: String| {
            Error::malformed(InputPart::AttestationObject, field, problem)
        };
        if bytes.len() > MAX_ATTESTATION_OBJECT_LEN {
            return Err(bad("attestationObject", "is larger than 128 KiB".into()));
        }
        let value = cbor::decode_all(bytes).map_err(|e| bad("attestationObject", e.to_string()))?;
        if value.as_map().is_none() {
            return Err(bad(
                "attestationObject",
                format!("expected a map, found a {}", value.kind()),
            ));
        }
        let fmt = match value.get_text_key("fmt") {
            None => return Err(bad("fmt", "is missing".into())),
            Some(Value::Text(t)) => *t,
            Some(other) => {
                return Err(bad(
                    "fmt",
                    format!("is a {}, not a text string", other.kind()),
                ));
            }
        };
        let att_stmt = match value.get_text_key("attStmt") {
            None => return Err(bad("attStmt", "is missing".into())),
            Some(v @ Value::Map(_)) => v.clone(),
            // Only the compound format's statement is an array (§8.9).
            Some(v @ Value::Array(_)) if fmt == "compound" => v.clone(),
            Some(other) => return Err(bad("attStmt", format!("is a {}, not a map", other.kind()))),
        };
        let auth_data = match value.get_text_key("authData") {
            None => return Err(bad("authData", "is missing".into())),
            Some(Value::Bytes([])) => return Err(bad("authData", "is empty".into())),
            Some(Value::Bytes(b)) => AuthenticatorData::parse(b)?,
            Some(other) => {
                return Err(bad(
                    "authData",
                    format!("is a {}, not a byte string", other.kind()),
                ));
            }
        };
        Ok(Self {
            fmt,
            att_stmt,
            auth_data,
        })
    }
}

/// The verification procedure inputs of §8 and what the relying party allows.
#[derive(Debug)]
pub(crate) struct StatementInputs<'s, 'a> {
    pub(crate) format: AttestationFormat,
    pub(crate) att_stmt: &'s Value<'a>,
    pub(crate) auth_data: &'s AuthenticatorData<'a>,
    pub(crate) attested: &'s AttestedCredentialData<'a>,
    pub(crate) credential_key: &'s CredentialPublicKey,
    pub(crate) client_data_hash: &'s [u8; 32],
    pub(crate) allow_legacy_algorithms: bool,
    /// The relying party's attestation policy (format options such as SafetyNet's).
    pub(crate) policy: &'s AttestationPolicy,
    /// The time at which time-dependent checks (SafetyNet's timestamp) are made.
    pub(crate) now: UnixTime,
}

impl<'s, 'a> StatementInputs<'s, 'a> {
    /// `authenticatorData || clientDataHash`, what most formats sign.
    pub(crate) fn signed_data(&self) -> Vec<u8> {
        let raw = self.auth_data.as_bytes();
        let mut data = Vec::with_capacity(raw.len() + 32);
        data.extend_from_slice(raw);
        data.extend_from_slice(self.client_data_hash);
        data
    }

    /// An `attestation_invalid` rejection for this format.
    pub(crate) fn invalid(&self, reason: impl Into<std::borrow::Cow<'static, str>>) -> Error {
        Error::Rejected(Rejection::AttestationInvalid {
            format: self.format.identifier().to_owned(),
            reason: reason.into(),
        })
    }

    /// A malformed-statement error for a field of `attStmt`.
    pub(crate) fn malformed(&self, field: &str, problem: impl Into<String>) -> Error {
        Error::malformed(
            InputPart::AttestationStatement,
            format!("attStmt.{field}"),
            format!(
                "{} ({} attestation)",
                problem.into(),
                self.format.identifier()
            ),
        )
    }

    /// The entries of `attStmt`, refusing keys the format does not define: the statement
    /// must be "valid CBOR conforming to the syntax defined above" (§8.2, §8.6).
    pub(crate) fn fields(&self, allowed: &[&str]) -> Result<Fields<'s, 'a>, Error> {
        let map = self.att_stmt.as_map().unwrap_or_default();
        for (key, _) in map {
            match key.as_text() {
                Some(k) if allowed.contains(&k) => {}
                Some(k) => return Err(self.malformed(k, "is not part of the statement syntax")),
                None => return Err(self.malformed("", "has a key that is not a text string")),
            }
        }
        Ok(Fields { map })
    }

    /// The signature scheme of an `alg` in a statement, refusing legacy schemes unless enabled.
    pub(crate) fn scheme(&self, alg: CoseAlgorithm) -> Result<SignatureScheme, Error> {
        let scheme = alg
            .scheme()
            .ok_or(Error::Unsupported(Unsupported::Algorithm(alg)))?;
        if scheme.is_legacy() && !self.allow_legacy_algorithms {
            return Err(Error::Unsupported(Unsupported::LegacyAlgorithmDisabled(
                alg,
            )));
        }
        Ok(scheme)
    }

    /// Parses `attStmt.x5c`: a non-empty array of non-empty byte strings.
    pub(crate) fn x5c(&self, value: &Value<'a>) -> Result<Vec<Vec<u8>>, Error> {
        let items = value
            .as_array()
            .ok_or_else(|| self.malformed("x5c", format!("is a {}, not an array", value.kind())))?;
        if items.is_empty() {
            return Err(self.malformed("x5c", "is empty"));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item.as_bytes() {
                Some(b) if !b.is_empty() => Ok(b.to_vec()),
                _ => Err(self.malformed(&format!("x5c[{i}]"), "is not a non-empty byte string")),
            })
            .collect()
    }
}

/// The entries of an attestation statement.
#[derive(Debug)]
pub(crate) struct Fields<'s, 'a> {
    map: &'s [(Value<'a>, Value<'a>)],
}

impl<'s, 'a> Fields<'s, 'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'s Value<'a>> {
        self.map
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
    }
}

/// §7.1 step 22: runs the verification procedure of the statement's format.
pub(crate) fn verify_statement(
    inputs: &StatementInputs<'_, '_>,
) -> Result<AttestationVerified, Error> {
    match inputs.format {
        AttestationFormat::None => none::verify(inputs),
        AttestationFormat::Packed => packed::verify(inputs),
        AttestationFormat::FidoU2f => fido_u2f::verify(inputs),
        AttestationFormat::Tpm => tpm::verify(inputs),
        AttestationFormat::AndroidKey => android_key::verify(inputs),
        AttestationFormat::AndroidSafetyNet => android_safetynet::verify(inputs),
        AttestationFormat::Apple => apple::verify(inputs),
        AttestationFormat::Compound => compound::verify(inputs),
    }
}

/// Shared by formats whose `alg` and `sig` fields have the same syntax.
pub(crate) fn alg_and_sig<'a>(
    inputs: &StatementInputs<'_, 'a>,
    fields: &Fields<'_, 'a>,
) -> Result<(CoseAlgorithm, &'a [u8]), Error> {
    let alg = match fields.get("alg") {
        None => return Err(inputs.malformed("alg", "is missing")),
        Some(v) => v
            .as_i64()
            .map(CoseAlgorithm)
            .ok_or_else(|| inputs.malformed("alg", format!("is a {}, not an integer", v.kind())))?,
    };
    let sig = signature(inputs, fields)?;
    Ok((alg, sig))
}

/// `attStmt.sig`: a non-empty byte string.
pub(crate) fn signature<'a>(
    inputs: &StatementInputs<'_, 'a>,
    fields: &Fields<'_, 'a>,
) -> Result<&'a [u8], Error> {
    match fields.get("sig") {
        None => Err(inputs.malformed("sig", "is missing")),
        Some(Value::Bytes([])) => Err(inputs.malformed("sig", "is empty")),
        Some(Value::Bytes(b)) => Ok(b),
        Some(v) => Err(inputs.malformed("sig", format!("is a {}, not a byte string", v.kind()))),
    }
}
