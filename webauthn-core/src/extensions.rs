//! WebAuthn extensions (§9, §10; CTAP 2.2 §12): the inputs a relying party requests, the client
//! extension outputs (`clientExtensionResults`) and the authenticator extension outputs (in
//! authenticator data).
//!
//! Known extensions are typed: `appid`, `appidExclude`, `credProps`, `credProtect`
//! (`credentialProtectionPolicy`), `largeBlob`, `prf`, `minPinLength`, `hmac-secret`
//! (`hmacCreateSecret`). Unknown inputs are passed through unchanged; unknown outputs are
//! ignored, as §7.1 step 28 and §7.2 step 23 allow.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::base64url::Base64UrlBytes;
use crate::cbor;
use crate::error::{Error, InputPart};

/// `AuthenticationExtensionsClientInputsJSON`: what the relying party asks for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientExtensionInputs {
    /// FIDO AppID (§10.1.1): the U2F AppID of credentials registered with U2F.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// FIDO AppID Exclusion (§10.1.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid_exclude: Option<String>,
    /// Credential properties (§10.1.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cred_props: Option<bool>,
    /// CTAP credProtect: `userVerificationOptional`, `userVerificationOptionalWithCredentialIDList`
    /// or `userVerificationRequired`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_protection_policy: Option<String>,
    /// Whether the client must fail if the authenticator cannot apply the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_credential_protection_policy: Option<bool>,
    /// Large blob storage (§10.1.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub large_blob: Option<LargeBlobInputs>,
    /// Pseudo-random function (§10.1.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prf: Option<PrfInputs>,
    /// CTAP hmac-secret at registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hmac_create_secret: Option<bool>,
    /// CTAP minPinLength.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_pin_length: Option<bool>,
    /// Extensions this library does not know, passed through unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ClientExtensionInputs {
    /// Whether no extension is requested.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `AuthenticationExtensionsLargeBlobInputs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LargeBlobInputs {
    /// `required` or `preferred` (registration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support: Option<String>,
    /// Read the blob (authentication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
    /// Write this blob (authentication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<Base64UrlBytes>,
}

/// `AuthenticationExtensionsPRFInputs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrfInputs {
    /// Salts for every credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eval: Option<PrfValues>,
    /// Salts per credential id (base64url keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eval_by_credential: Option<std::collections::BTreeMap<String, PrfValues>>,
}

/// `AuthenticationExtensionsPRFValues`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrfValues {
    /// The first salt or output.
    pub first: Base64UrlBytes,
    /// The second salt or output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<Base64UrlBytes>,
}

/// `AuthenticationExtensionsClientOutputsJSON`: what the client reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientExtensionOutputs {
    /// Whether the AppID was used instead of the RP ID (§10.1.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<bool>,
    /// Whether the AppID exclusion was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid_exclude: Option<bool>,
    /// Credential properties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cred_props: Option<CredentialProperties>,
    /// Large blob results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub large_blob: Option<LargeBlobOutputs>,
    /// PRF results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prf: Option<PrfOutputs>,
    /// CTAP hmac-secret created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hmac_create_secret: Option<bool>,
}

/// `CredentialPropertiesOutput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialProperties {
    /// Whether the credential is client-side discoverable (a resident key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rk: Option<bool>,
}

/// `AuthenticationExtensionsLargeBlobOutputs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LargeBlobOutputs {
    /// Whether the credential supports large blobs (registration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported: Option<bool>,
    /// The blob read (authentication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<Base64UrlBytes>,
    /// Whether the write succeeded (authentication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<bool>,
}

/// `AuthenticationExtensionsPRFOutputs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrfOutputs {
    /// Whether PRF is enabled for the credential (registration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The PRF outputs. These are secrets of the client: a relying party that receives them
    /// must treat them as key material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<PrfValues>,
}

impl ClientExtensionOutputs {
    /// Parses `clientExtensionResults`; unknown members are ignored, known members with the
    /// wrong type are malformed.
    pub(crate) fn from_json(value: &Value, field: &'static str) -> Result<Self, Error> {
        let object = value
            .as_object()
            .ok_or_else(|| Error::malformed(InputPart::Json, field, "is not an object"))?;
        let known = [
            "appid",
            "appidExclude",
            "credProps",
            "largeBlob",
            "prf",
            "hmacCreateSecret",
        ];
        let filtered: Map<String, Value> = object
            .iter()
            .filter(|(k, _)| known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        serde_json::from_value(Value::Object(filtered)).map_err(|e| {
            Error::malformed(
                InputPart::Json,
                field,
                format!("a known extension output has the wrong shape: {e}"),
            )
        })
    }
}

/// Authenticator extension outputs (the CBOR map in authenticator data when ED is set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorExtensionOutputs {
    /// CTAP `credProtect`: 1 (UV optional), 2 (UV optional with credential id list), 3 (UV required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cred_protect: Option<u8>,
    /// CTAP `hmac-secret` (registration: whether it was created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hmac_secret: Option<bool>,
    /// CTAP `minPinLength`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_pin_length: Option<u64>,
    /// CTAP `credBlob` (registration: whether it was stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cred_blob: Option<bool>,
    /// Names of other extension outputs present (values ignored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

impl AuthenticatorExtensionOutputs {
    pub(crate) fn from_cbor(value: &cbor::Value<'_>) -> Result<Self, String> {
        let map = value
            .as_map()
            .ok_or_else(|| format!("expected a map, found a {}", value.kind()))?;
        let mut out = Self::default();
        for (key, value) in map {
            let name = key
                .as_text()
                .ok_or_else(|| "extension identifiers must be text strings".to_owned())?;
            let wrong =
                |expected: &str| format!("`{name}` must be {expected}, found a {}", value.kind());
            match name {
                "credProtect" => {
                    let level = value
                        .as_i128()
                        .and_then(|n| u8::try_from(n).ok())
                        .filter(|n| (1..=3).contains(n))
                        .ok_or_else(|| wrong("an integer from 1 to 3"))?;
                    out.cred_protect = Some(level);
                }
                "hmac-secret" => match value {
                    cbor::Value::Bool(b) => out.hmac_secret = Some(*b),
                    // At authentication the output is the encrypted secret (bytes); not ours.
                    cbor::Value::Bytes(_) => out.other.push(name.to_owned()),
                    _ => return Err(wrong("a boolean or byte string")),
                },
                "minPinLength" => {
                    let n = value
                        .as_i128()
                        .and_then(|n| u64::try_from(n).ok())
                        .ok_or_else(|| wrong("an unsigned integer"))?;
                    out.min_pin_length = Some(n);
                }
                "credBlob" => match value {
                    cbor::Value::Bool(b) => out.cred_blob = Some(*b),
                    cbor::Value::Bytes(_) => out.other.push(name.to_owned()),
                    _ => return Err(wrong("a boolean or byte string")),
                },
                _ => out.other.push(name.to_owned()),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_inputs_pass_through() {
        let json = r#"{"example.extension":true,"credProps":true}"#;
        let inputs: ClientExtensionInputs = serde_json::from_str(json).unwrap();
        assert_eq!(inputs.cred_props, Some(true));
        assert_eq!(
            inputs.other.get("example.extension"),
            Some(&Value::Bool(true))
        );
        let back: Value = serde_json::to_value(&inputs).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(json).unwrap());
    }

    #[test]
    fn client_outputs_are_typed_and_unknown_ones_ignored() {
        let v: Value = serde_json::from_str(
            r#"{"appid":true,"credProps":{"rk":true},"prf":{"enabled":true},"weird":{"x":1}}"#,
        )
        .unwrap();
        let out = ClientExtensionOutputs::from_json(&v, "clientExtensionResults").unwrap();
        assert_eq!(out.appid, Some(true));
        assert_eq!(out.cred_props.unwrap().rk, Some(true));
        assert_eq!(out.prf.unwrap().enabled, Some(true));
        let bad: Value = serde_json::from_str(r#"{"appid":"yes"}"#).unwrap();
        assert_eq!(
            ClientExtensionOutputs::from_json(&bad, "clientExtensionResults")
                .unwrap_err()
                .code(),
            "invalid_request"
        );
    }

    #[test]
    fn authenticator_outputs() {
        let bytes = [
            0xa2, 0x6b, b'c', b'r', b'e', b'd', b'P', b'r', b'o', b't', b'e', b'c', b't', 0x03,
            0x6b, b'h', b'm', b'a', b'c', b'-', b's', b'e', b'c', b'r', b'e', b't', 0xf5,
        ];
        let v = cbor::decode_all(&bytes).unwrap();
        let out = AuthenticatorExtensionOutputs::from_cbor(&v).unwrap();
        assert_eq!(out.cred_protect, Some(3));
        assert_eq!(out.hmac_secret, Some(true));
        let bad = [
            0xa1, 0x6b, b'c', b'r', b'e', b'd', b'P', b'r', b'o', b't', b'e', b'c', b't', 0x09,
        ];
        let v = cbor::decode_all(&bad).unwrap();
        assert!(AuthenticatorExtensionOutputs::from_cbor(&v).is_err());
    }
}
