//! The `android-safetynet` attestation statement format (§8.5).
//!
//! ```text
//! $$attStmtType //= (
//!                       fmt: "android-safetynet",
//!                       attStmt: safetynetStmtFormat
//!                   )
//!
//! safetynetStmtFormat = {
//!                           ver: text,
//!                           response: bytes
//!                       }
//! ```
//!
//! `ver` is the version of Google Play Services that produced the response; `response` is the
//! UTF-8 result of the SafetyNet Attestation API's `getJwsResult()`: a compact JWS
//! (RFC 7515 §7.1) signed by the SafetyNet service, whose payload is JSON:
//!
//! ```text
//! {
//!   "nonce": base64(SHA-256(authenticatorData || clientDataHash)),   ; standard alphabet, padded
//!   "timestampMs": integer,        ; when the response was made, ms since the Unix epoch
//!   "ctsProfileMatch": bool,       ; the device passed Android compatibility testing
//!   "basicIntegrity": bool,        ; a weaker integrity verdict
//!   "apkPackageName": text, ...    ; further fields, not used here
//! }
//! ```
//!
//! SafetyNet is deprecated by Google (replaced by the Play Integrity API), so the format is
//! refused unless the relying party's [`AttestationPolicy`](crate::policy::AttestationPolicy)
//! accepts it with a [`SafetyNetPolicy`].
//!
//! What this module checks, and what it leaves to the caller:
//!
//! * the JWS signature with the key of `x5c[0]`, and that `x5c[0]` is issued to
//!   `attest.android.com` (the SafetyNet documentation's "verify the compatibility check
//!   response");
//! * the nonce, and the policy's `ctsProfileMatch` and `timestampMs` checks;
//! * **not** the certificate path: the trust path returned is the JWS's `x5c`, which the
//!   registration's trust assessment (§7.1 step 24) validates to the GlobalSign roots;
//! * **not** revocation (SafetyNet's CRLs need the network) and **not** `apkPackageName` or
//!   `basicIntegrity`, which no version of the specification asks for.
//!
//! The signature is verified before the payload is read, so that nothing unauthenticated
//! decides a verdict; the specification's order (nonce in step 3, origin in step 4) gives the
//! same accept/reject outcome.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::asn1::ObjectIdentifier;
use serde_json::{Map, Value as Json};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::{DirectoryString, GeneralName};

use super::{Fields, StatementInputs};
use crate::cbor::Value;
use crate::crypto::sha256;
use crate::error::{Error, InputPart, Rejection};
use crate::jws::Jws;
use crate::policy::SafetyNetPolicy;
use crate::verified::{AttestationType, AttestationVerified};
use crate::x509;

/// The host name the SafetyNet service's signing certificate is issued to.
const SAFETYNET_HOSTNAME: &str = "attest.android.com";

/// `id-at-commonName` (RFC 4519 §2.3).
const ID_AT_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// The field name of the signing certificate in errors.
const LEAF_FIELD: &str = "attStmt.response.x5c[0]";

pub(super) fn verify(inputs: &StatementInputs<'_, '_>) -> Result<AttestationVerified, Error> {
    // The format is deprecated: it is only verified when the policy accepts it.
    let Some(policy) = inputs.policy.safetynet else {
        return Err(Error::Rejected(Rejection::AttestationUntrusted {
            reason: "android-safetynet attestation is deprecated and the attestation policy does \
                     not accept it"
                .into(),
        }));
    };

    // Step 1: attStmt is valid CBOR conforming to the syntax above.
    let fields = inputs.fields(&["ver", "response"])?;
    // ver is reserved for future use (step 2): it need only be non-empty text.
    ver(inputs, &fields)?;
    let response = response(inputs, &fields)?;

    // Step 2: response is a valid SafetyNet response of version ver. There is one format of
    // the response (ver is reserved for future use): a compact JWS in UTF-8.
    let text = std::str::from_utf8(response)
        .map_err(|_| inputs.malformed("response", "is not UTF-8 (a compact JWS)"))?;
    let jws = Jws::parse(text).map_err(|e| inputs.malformed("response", e))?;

    // Step 4: the response came from the SafetyNet service: x5c[0] is issued to
    // attest.android.com and signed the JWS (its path to a root is checked at step 24).
    let leaf_der = jws.x5c.first().ok_or_else(|| {
        inputs.malformed("response", "the JWS header has no x5c certificate chain")
    })?;
    let leaf = x509::parse(leaf_der, LEAF_FIELD.into())?;
    check_issued_to_safetynet(inputs, &leaf)?;
    let key = x509::public_key(&leaf)
        .map_err(|e| inputs.invalid(format!("SafetyNet signing certificate: {e}")))?;
    jws.verify_with(&key).map_err(|e| inputs.invalid(e))?;

    let payload = Payload::parse(inputs, &jws.payload)?;

    // Step 3: nonce is the base64 encoding of SHA-256(authenticatorData || clientDataHash).
    let expected_nonce = STANDARD.encode(sha256(&inputs.signed_data()));
    if payload.nonce != expected_nonce {
        return Err(inputs.invalid(
            "the SafetyNet nonce is not the base64 SHA-256 hash of authenticatorData || \
             clientDataHash",
        ));
    }

    // Step 4 (SafetyNet documentation): the device verdict and the response's age.
    check_cts_profile(inputs, &policy, &payload)?;
    check_timestamp(inputs, &policy, &payload)?;

    // Step 5: attestation type Basic, trust path x5c.
    Ok(AttestationVerified {
        attestation_type: AttestationType::Basic,
        trust_path: jws.x5c,
    })
}

/// `attStmt.ver`: non-empty text.
fn ver<'a>(inputs: &StatementInputs<'_, 'a>, fields: &Fields<'_, 'a>) -> Result<&'a str, Error> {
    match fields.get("ver") {
        None => Err(inputs.malformed("ver", "is missing")),
        Some(Value::Text("")) => Err(inputs.malformed("ver", "is empty")),
        Some(Value::Text(t)) => Ok(t),
        Some(v) => Err(inputs.malformed("ver", format!("is a {}, not a text string", v.kind()))),
    }
}

/// `attStmt.response`: a non-empty byte string.
fn response<'a>(
    inputs: &StatementInputs<'_, 'a>,
    fields: &Fields<'_, 'a>,
) -> Result<&'a [u8], Error> {
    match fields.get("response") {
        None => Err(inputs.malformed("response", "is missing")),
        Some(Value::Bytes([])) => Err(inputs.malformed("response", "is empty")),
        Some(Value::Bytes(b)) => Ok(b),
        Some(v) => {
            Err(inputs.malformed("response", format!("is a {}, not a byte string", v.kind())))
        }
    }
}

/// The SafetyNet documentation: "use SSL hostname matching to verify that the leaf certificate
/// was issued to the hostname attest.android.com". The DNS names of the Subject Alternative
/// Name extension decide; the subject common name is consulted only in a certificate without
/// that extension (RFC 6125 §6.4.4). A wildcard name does not match: the certificate must name
/// the attestation service itself.
fn check_issued_to_safetynet(
    inputs: &StatementInputs<'_, '_>,
    leaf: &Certificate,
) -> Result<(), Error> {
    let tbs = leaf.tbs_certificate();
    let is_safetynet = |name: &str| name.eq_ignore_ascii_case(SAFETYNET_HOSTNAME);
    let san = tbs.get_extension::<SubjectAltName>().map_err(|_| {
        Error::malformed(
            InputPart::Certificate,
            LEAF_FIELD,
            "has a malformed or repeated Subject Alternative Name extension",
        )
    })?;
    if let Some((_, SubjectAltName(names))) = san {
        let dns_names: Vec<&str> = names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DnsName(dns) => Some(dns.as_str()),
                _ => None,
            })
            .collect();
        if dns_names.iter().any(|name| is_safetynet(name)) {
            return Ok(());
        }
        return Err(inputs.invalid(format!(
            "the SafetyNet signing certificate is not issued to {SAFETYNET_HOSTNAME} (its DNS \
             names: {})",
            quoted_list(&dns_names)
        )));
    }
    let mut common_names = Vec::new();
    for atv in tbs.subject().iter() {
        if atv.oid != ID_AT_COMMON_NAME {
            continue;
        }
        let cn = DirectoryString::try_from(&atv.value).map_err(|_| {
            Error::malformed(
                InputPart::Certificate,
                LEAF_FIELD,
                "has a subject common name that is not a directory string",
            )
        })?;
        common_names.push(cn.value().into_owned());
    }
    match common_names.as_slice() {
        [cn] if is_safetynet(cn) => Ok(()),
        _ => {
            let names: Vec<&str> = common_names.iter().map(String::as_str).collect();
            Err(inputs.invalid(format!(
                "the SafetyNet signing certificate is not issued to {SAFETYNET_HOSTNAME} (it has \
                 no Subject Alternative Name, and its common names are: {})",
                quoted_list(&names)
            )))
        }
    }
}

/// A short, bounded rendering of certificate names for an error message.
fn quoted_list(names: &[&str]) -> String {
    const MAX_NAMES: usize = 4;
    const MAX_CHARS: usize = 64;
    if names.is_empty() {
        return "none".to_owned();
    }
    let mut out: Vec<String> = names
        .iter()
        .take(MAX_NAMES)
        .map(|n| format!("{:?}", n.chars().take(MAX_CHARS).collect::<String>()))
        .collect();
    if names.len() > MAX_NAMES {
        out.push(format!("and {} more", names.len() - MAX_NAMES));
    }
    out.join(", ")
}

/// The fields of the JWS payload that the verification uses.
#[derive(Debug)]
struct Payload {
    nonce: String,
    cts_profile_match: Option<bool>,
    timestamp_ms: Option<u64>,
}

impl Payload {
    /// Decodes the payload: a JSON object with a string `nonce`, and where present a boolean
    /// `ctsProfileMatch` and `basicIntegrity` and a non-negative integer `timestampMs`.
    fn parse(inputs: &StatementInputs<'_, '_>, payload: &[u8]) -> Result<Self, Error> {
        let object: Map<String, Json> = serde_json::from_slice(payload).map_err(|_| {
            inputs.malformed("response.payload", "the JWS payload is not a JSON object")
        })?;
        let nonce = match object.get("nonce") {
            None => return Err(inputs.malformed("response.payload.nonce", "is missing")),
            Some(Json::String(nonce)) => nonce.clone(),
            Some(other) => {
                return Err(inputs.malformed(
                    "response.payload.nonce",
                    format!("is {}, not a string", json_kind(other)),
                ));
            }
        };
        let cts_profile_match = optional_bool(inputs, &object, "ctsProfileMatch")?;
        // Not part of any verdict here, but a wrong type means a response we do not understand.
        optional_bool(inputs, &object, "basicIntegrity")?;
        let timestamp_ms = match object.get("timestampMs") {
            None => None,
            Some(value) => Some(value.as_u64().ok_or_else(|| {
                inputs.malformed(
                    "response.payload.timestampMs",
                    format!(
                        "is {}, not a non-negative integer of milliseconds",
                        json_kind(value)
                    ),
                )
            })?),
        };
        Ok(Self {
            nonce,
            cts_profile_match,
            timestamp_ms,
        })
    }
}

fn optional_bool(
    inputs: &StatementInputs<'_, '_>,
    object: &Map<String, Json>,
    key: &str,
) -> Result<Option<bool>, Error> {
    match object.get(key) {
        None => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(inputs.malformed(
            &format!("response.payload.{key}"),
            format!("is {}, not a boolean", json_kind(other)),
        )),
    }
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_u64() || n.is_i64() => "an integer",
        Json::Number(_) => "a fractional number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// `ctsProfileMatch` must be true when the policy requires a device that passed Android
/// compatibility testing.
fn check_cts_profile(
    inputs: &StatementInputs<'_, '_>,
    policy: &SafetyNetPolicy,
    payload: &Payload,
) -> Result<(), Error> {
    if !policy.require_cts_profile_match {
        return Ok(());
    }
    match payload.cts_profile_match {
        Some(true) => Ok(()),
        Some(false) => Err(inputs.invalid(
            "ctsProfileMatch is false: the device did not pass Android compatibility testing",
        )),
        None => Err(inputs
            .invalid("the SafetyNet response has no ctsProfileMatch, and the policy requires it")),
    }
}

/// `timestampMs` must lie within `max_age` before the verification time and at most
/// `max_clock_skew` after it. The verification time has a resolution of one second, so a
/// response is judged up to a second younger than it is.
fn check_timestamp(
    inputs: &StatementInputs<'_, '_>,
    policy: &SafetyNetPolicy,
    payload: &Payload,
) -> Result<(), Error> {
    if !policy.check_timestamp {
        return Ok(());
    }
    let Some(timestamp_ms) = payload.timestamp_ms else {
        return Err(inputs
            .invalid("the SafetyNet response has no timestampMs, and the policy checks its age"));
    };
    let now_ms = inputs.now.as_secs().saturating_mul(1000);
    let max_age_ms = millis(policy.max_age);
    let max_skew_ms = millis(policy.max_clock_skew);
    if timestamp_ms > now_ms.saturating_add(max_skew_ms) {
        return Err(inputs.invalid(format!(
            "the SafetyNet response timestampMs {timestamp_ms} is {} ms after the verification \
             time, more than the allowed clock skew of {max_skew_ms} ms",
            timestamp_ms.saturating_sub(now_ms)
        )));
    }
    let age_ms = now_ms.saturating_sub(timestamp_ms);
    if age_ms > max_age_ms {
        return Err(inputs.invalid(format!(
            "the SafetyNet response timestampMs {timestamp_ms} is {age_ms} ms old, older than \
             the allowed {max_age_ms} ms"
        )));
    }
    Ok(())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
