//! The WebAuthn Level 3 JSON forms (§5.1.8, §5.1.10, §5.4, §5.5): what `toJSON()` produces
//! and what `parseCreationOptionsFromJSON()` / `parseRequestOptionsFromJSON()` consume.
//!
//! Binary values are base64url without padding ([`crate::base64url`]). Option types serialize
//! with serde. Response types are parsed by hand from JSON values, so that each problem names
//! the field it is in (`response.clientDataJSON is not base64url`); unknown members are ignored
//! and known members with the wrong type are rejected.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::base64url::{self, Base64UrlBytes};
use crate::error::{Error, InputPart};
use crate::extensions::{ClientExtensionInputs, ClientExtensionOutputs};
use crate::identifiers::{CredentialId, UserHandle};

/// `PublicKeyCredentialRpEntity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpEntityJson {
    /// The relying party's name, for display.
    pub name: String,
    /// The RP ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `PublicKeyCredentialUserEntityJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEntity {
    /// The user handle.
    pub id: UserHandle,
    /// A name that identifies the account (an email address, a user name).
    pub name: String,
    /// A name for display.
    pub display_name: String,
}

/// `PublicKeyCredentialParameters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PubKeyCredParamJson {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The COSE algorithm identifier.
    pub alg: i64,
}

/// An authenticator transport (§5.8.4): an open set of strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuthenticatorTransport(pub String);

impl AuthenticatorTransport {
    /// Removable USB.
    pub const USB: &'static str = "usb";
    /// NFC.
    pub const NFC: &'static str = "nfc";
    /// Bluetooth Low Energy.
    pub const BLE: &'static str = "ble";
    /// Hybrid (phone as a security key).
    pub const HYBRID: &'static str = "hybrid";
    /// Platform authenticator.
    pub const INTERNAL: &'static str = "internal";
    /// ISO/IEC 7816 smart card.
    pub const SMART_CARD: &'static str = "smart-card";
}

/// `PublicKeyCredentialDescriptorJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialDescriptorJson {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The credential id.
    pub id: CredentialId,
    /// Transports the relying party knows for the credential.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transports: Vec<AuthenticatorTransport>,
}

impl CredentialDescriptorJson {
    /// A descriptor of a public key credential.
    #[must_use]
    pub fn new(id: CredentialId, transports: Vec<AuthenticatorTransport>) -> Self {
        Self {
            type_: "public-key".to_owned(),
            id,
            transports,
        }
    }
}

/// `UserVerificationRequirement` (§5.8.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserVerificationRequirement {
    /// The ceremony fails without user verification.
    Required,
    /// User verification is used where available; the default.
    #[default]
    Preferred,
    /// User verification is not wanted.
    Discouraged,
}

/// `ResidentKeyRequirement` (§5.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResidentKeyRequirement {
    /// A server-side credential is preferred.
    Discouraged,
    /// A discoverable credential (passkey) is preferred.
    Preferred,
    /// A discoverable credential is required.
    Required,
}

/// `AuthenticatorAttachment` (§5.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthenticatorAttachment {
    /// Built into the device.
    Platform,
    /// Roaming (security key, phone).
    CrossPlatform,
}

/// `AttestationConveyancePreference` (§5.4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationConveyancePreference {
    /// No attestation; the default.
    #[default]
    None,
    /// Attestation, possibly anonymized by the client.
    Indirect,
    /// The authenticator's attestation as generated.
    Direct,
    /// Enterprise attestation (uniquely identifying).
    Enterprise,
}

/// `PublicKeyCredentialHint` (§5.8.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublicKeyCredentialHint {
    /// A physical security key.
    SecurityKey,
    /// The platform authenticator of the device in use.
    ClientDevice,
    /// A phone or other device over the hybrid transport.
    Hybrid,
}

/// `CredentialMediationRequirement` (Credential Management §2.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mediation {
    /// Never show UI.
    Silent,
    /// The browser decides; the default.
    #[default]
    Optional,
    /// Conditional UI: autofill at sign-in, automatic passkey upgrade at registration.
    Conditional,
    /// Always show UI.
    Required,
}

/// `AuthenticatorSelectionCriteria` (§5.4.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelectionJson {
    /// Platform or cross-platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<AuthenticatorAttachment>,
    /// Discoverable credential requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident_key: Option<ResidentKeyRequirement>,
    /// Level 1 form of `residentKey`; set to `true` exactly when `residentKey` is `required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_resident_key: Option<bool>,
    /// User verification requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<UserVerificationRequirement>,
}

/// `PublicKeyCredentialCreationOptionsJSON` (§5.1.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyCredentialCreationOptionsJson {
    /// The relying party.
    pub rp: RpEntityJson,
    /// The user account.
    pub user: UserEntity,
    /// The challenge.
    pub challenge: Base64UrlBytes,
    /// Acceptable algorithms, most preferred first.
    pub pub_key_cred_params: Vec<PubKeyCredParamJson>,
    /// Milliseconds the client may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Credentials the user already has (the authenticator must not create another).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_credentials: Vec<CredentialDescriptorJson>,
    /// Authenticator selection criteria.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator_selection: Option<AuthenticatorSelectionJson>,
    /// UI hints, most preferred first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<PublicKeyCredentialHint>,
    /// Attestation conveyance preference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationConveyancePreference>,
    /// Preferred attestation statement formats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestation_formats: Vec<String>,
    /// Requested extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<ClientExtensionInputs>,
}

/// `CredentialCreationOptions` in JSON: `{publicKey, mediation?}`, what a browser passes to
/// `navigator.credentials.create()` after `parseCreationOptionsFromJSON(publicKey)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptionsJson {
    /// The public key options.
    pub public_key: PublicKeyCredentialCreationOptionsJson,
    /// `conditional` for automatic passkey upgrades.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediation: Option<Mediation>,
}

/// `PublicKeyCredentialRequestOptionsJSON` (§5.1.10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyCredentialRequestOptionsJson {
    /// The challenge.
    pub challenge: Base64UrlBytes,
    /// Milliseconds the client may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// The RP ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rp_id: Option<String>,
    /// Credentials that may be used; empty for discoverable credentials.
    #[serde(default)]
    pub allow_credentials: Vec<CredentialDescriptorJson>,
    /// User verification requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<UserVerificationRequirement>,
    /// UI hints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<PublicKeyCredentialHint>,
    /// Requested extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<ClientExtensionInputs>,
}

/// `CredentialRequestOptions` in JSON: `{publicKey, mediation?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptionsJson {
    /// The public key options.
    pub public_key: PublicKeyCredentialRequestOptionsJson,
    /// `conditional` for autofill UI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediation: Option<Mediation>,
}

/// `RegistrationResponseJSON` (§5.1.8): a `PublicKeyCredential` with an
/// `AuthenticatorAttestationResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationResponseJson {
    /// The credential id (`id` and `rawId`, which must agree).
    pub id: CredentialId,
    /// The attestation response.
    pub response: AuthenticatorAttestationResponseJson,
    /// `platform` or `cross-platform`, if the client reported it.
    pub authenticator_attachment: Option<String>,
    /// The client extension outputs.
    pub client_extension_results: ClientExtensionOutputs,
}

/// `AuthenticatorAttestationResponseJSON`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorAttestationResponseJson {
    /// `clientDataJSON`, decoded from base64url.
    pub client_data_json: Vec<u8>,
    /// `attestationObject`, decoded from base64url.
    pub attestation_object: Vec<u8>,
    /// `transports` (from `getTransports()`).
    pub transports: Vec<AuthenticatorTransport>,
}

/// `AuthenticationResponseJSON` (§5.1.10): a `PublicKeyCredential` with an
/// `AuthenticatorAssertionResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResponseJson {
    /// The credential id (`id` and `rawId`, which must agree).
    pub id: CredentialId,
    /// The assertion response.
    pub response: AuthenticatorAssertionResponseJson,
    /// `platform` or `cross-platform`, if the client reported it.
    pub authenticator_attachment: Option<String>,
    /// The client extension outputs.
    pub client_extension_results: ClientExtensionOutputs,
}

/// `AuthenticatorAssertionResponseJSON`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorAssertionResponseJson {
    /// `clientDataJSON`, decoded.
    pub client_data_json: Vec<u8>,
    /// `authenticatorData`, decoded.
    pub authenticator_data: Vec<u8>,
    /// `signature`, decoded.
    pub signature: Vec<u8>,
    /// `userHandle`, decoded; `None` when absent, `null` or empty.
    pub user_handle: Option<Vec<u8>>,
}

/// The largest base64url field accepted in a response, in characters (256 KiB of text).
pub const MAX_FIELD_LEN: usize = 256 * 1024;

struct Fields<'a> {
    object: &'a serde_json::Map<String, Value>,
    prefix: &'static str,
}

impl<'a> Fields<'a> {
    fn new(value: &'a Value, prefix: &'static str, what: &'static str) -> Result<Self, Error> {
        let object = value.as_object().ok_or_else(|| {
            Error::malformed(
                InputPart::Json,
                if prefix.is_empty() {
                    what
                } else {
                    prefix.trim_end_matches('.')
                },
                "is not a JSON object",
            )
        })?;
        Ok(Self { object, prefix })
    }

    fn bad(&self, name: &str, problem: &'static str) -> Error {
        Error::malformed(InputPart::Json, format!("{}{name}", self.prefix), problem)
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|v| !v.is_null())
    }

    fn required_str(&self, name: &str) -> Result<&'a str, Error> {
        match self.get(name) {
            None => Err(self.bad(name, "is missing")),
            Some(Value::String(s)) if s.is_empty() => Err(self.bad(name, "is empty")),
            Some(Value::String(s)) if s.len() > MAX_FIELD_LEN => Err(self.bad(name, "is too long")),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(self.bad(name, "is not a string")),
        }
    }

    fn optional_str(&self, name: &str) -> Result<Option<&'a str>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.len() > MAX_FIELD_LEN => Err(self.bad(name, "is too long")),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.bad(name, "is not a string")),
        }
    }

    fn required_b64(&self, name: &str) -> Result<Vec<u8>, Error> {
        let text = self.required_str(name)?;
        base64url::decode(text).map_err(|_| self.bad(name, "is not base64url without padding"))
    }

    fn optional_b64(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.optional_str(name)? {
            None | Some("") => Ok(None),
            Some(text) => base64url::decode(text)
                .map(Some)
                .map_err(|_| self.bad(name, "is not base64url without padding")),
        }
    }
}

/// The envelope shared by both response kinds: `id`, `rawId`, `type`, attachment, extensions.
struct Envelope<'a> {
    id: CredentialId,
    response: &'a Value,
    authenticator_attachment: Option<String>,
    client_extension_results: ClientExtensionOutputs,
}

fn envelope(value: &Value) -> Result<Envelope<'_>, Error> {
    let top = Fields::new(value, "", "credential")?;
    let id = top.required_b64("id")?;
    if let Some(raw) = top.optional_b64("rawId")?
        && raw != id
    {
        return Err(top.bad("rawId", "does not match id"));
    }
    match top.get("type") {
        None => return Err(top.bad("type", "is missing")),
        Some(Value::String(t)) if t == "public-key" => {}
        Some(Value::String(_)) => return Err(top.bad("type", "is not \"public-key\"")),
        Some(_) => return Err(top.bad("type", "is not a string")),
    }
    let response = top
        .get("response")
        .ok_or_else(|| top.bad("response", "is missing"))?;
    let authenticator_attachment = top
        .optional_str("authenticatorAttachment")?
        .map(str::to_owned);
    // L3 names it `clientExtensionResults`; some clients and the FIDO conformance tool's older
    // examples send `getClientExtensionResults`, and webauthn-rs's older JSON `extensions`.
    let client_extension_results = match (
        top.get("clientExtensionResults"),
        top.get("getClientExtensionResults"),
        top.get("extensions").filter(|v| v.is_object()),
    ) {
        (Some(v), _, _) => ClientExtensionOutputs::from_json(v, "clientExtensionResults")?,
        (None, Some(v), _) => ClientExtensionOutputs::from_json(v, "getClientExtensionResults")?,
        (None, None, Some(v)) => ClientExtensionOutputs::from_json(v, "extensions")?,
        (None, None, None) => ClientExtensionOutputs::default(),
    };
    Ok(Envelope {
        id: CredentialId::new(id),
        response,
        authenticator_attachment,
        client_extension_results,
    })
}

impl RegistrationResponseJson {
    /// Parses the JSON a client sends after `navigator.credentials.create()`.
    ///
    /// # Errors
    /// `invalid_request` naming the field that is missing, of the wrong type or not base64url.
    pub fn from_json(value: &Value) -> Result<Self, Error> {
        let env = envelope(value)?;
        let r = Fields::new(env.response, "response.", "response")?;
        let client_data_json = r.required_b64("clientDataJSON")?;
        let attestation_object = r.required_b64("attestationObject")?;
        let transports = match r.get("transports") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|t| {
                    t.as_str()
                        .map(|s| AuthenticatorTransport(s.to_owned()))
                        .ok_or_else(|| r.bad("transports", "is not an array of strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(r.bad("transports", "is not an array")),
        };
        Ok(Self {
            id: env.id,
            response: AuthenticatorAttestationResponseJson {
                client_data_json,
                attestation_object,
                transports,
            },
            authenticator_attachment: env.authenticator_attachment,
            client_extension_results: env.client_extension_results,
        })
    }

    /// Parses the JSON text a client sends.
    ///
    /// # Errors
    /// `invalid_request` when the text is not JSON or not a registration response.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|_| Error::malformed(InputPart::Json, "credential", "is not valid JSON"))?;
        Self::from_json(&value)
    }
}

impl AuthenticationResponseJson {
    /// Parses the JSON a client sends after `navigator.credentials.get()`.
    ///
    /// # Errors
    /// `invalid_request` naming the field that is missing, of the wrong type or not base64url.
    pub fn from_json(value: &Value) -> Result<Self, Error> {
        let env = envelope(value)?;
        let r = Fields::new(env.response, "response.", "response")?;
        Ok(Self {
            id: env.id,
            response: AuthenticatorAssertionResponseJson {
                client_data_json: r.required_b64("clientDataJSON")?,
                authenticator_data: r.required_b64("authenticatorData")?,
                signature: r.required_b64("signature")?,
                user_handle: r.optional_b64("userHandle")?,
            },
            authenticator_attachment: env.authenticator_attachment,
            client_extension_results: env.client_extension_results,
        })
    }

    /// Parses the JSON text a client sends.
    ///
    /// # Errors
    /// `invalid_request` when the text is not JSON or not an authentication response.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|_| Error::malformed(InputPart::Json, "credential", "is not valid JSON"))?;
        Self::from_json(&value)
    }
}

/// Responses serialize in the Level 3 JSON form (`PublicKeyCredential.toJSON()`) and
/// deserialize through the field-checking parsers above.
macro_rules! serde_via_json_value {
    ($type:ty, $to_value:expr) => {
        impl Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let to_value: fn(&$type) -> Value = $to_value;
                to_value(self).serialize(serializer)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = Value::deserialize(deserializer)?;
                Self::from_json(&value).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn envelope_json(
    id: &CredentialId,
    response: Value,
    attachment: Option<&String>,
    extensions: &ClientExtensionOutputs,
) -> Value {
    let mut v = serde_json::json!({
        "id": id.to_base64url(),
        "rawId": id.to_base64url(),
        "type": "public-key",
        "clientExtensionResults": serde_json::to_value(extensions).unwrap_or_default(),
    });
    if let Some(obj) = v.as_object_mut() {
        obj.insert("response".to_owned(), response);
        if let Some(a) = attachment {
            obj.insert(
                "authenticatorAttachment".to_owned(),
                Value::String(a.clone()),
            );
        }
    }
    v
}

serde_via_json_value!(RegistrationResponseJson, |r| {
    let response = serde_json::json!({
        "clientDataJSON": base64url::encode(&r.response.client_data_json),
        "attestationObject": base64url::encode(&r.response.attestation_object),
        "transports": r.response.transports,
    });
    envelope_json(
        &r.id,
        response,
        r.authenticator_attachment.as_ref(),
        &r.client_extension_results,
    )
});

serde_via_json_value!(AuthenticationResponseJson, |r| {
    let mut response = serde_json::json!({
        "clientDataJSON": base64url::encode(&r.response.client_data_json),
        "authenticatorData": base64url::encode(&r.response.authenticator_data),
        "signature": base64url::encode(&r.response.signature),
    });
    if let (Some(h), Some(obj)) = (&r.response.user_handle, response.as_object_mut()) {
        obj.insert("userHandle".to_owned(), Value::String(base64url::encode(h)));
    }
    envelope_json(
        &r.id,
        response,
        r.authenticator_attachment.as_ref(),
        &r.client_extension_results,
    )
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(err: Error) -> String {
        match err {
            Error::Malformed(m) => {
                assert_eq!(m.code(), "invalid_request");
                m.field.into_owned()
            }
            other => panic!("{other:?}"),
        }
    }

    fn assertion() -> Value {
        json!({
            "id": "AQID", "rawId": "AQID", "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA", "userHandle": "AQ"},
            "clientExtensionResults": {}
        })
    }

    #[test]
    fn parses_an_assertion() {
        let a = AuthenticationResponseJson::from_json(&assertion()).unwrap();
        assert_eq!(a.id.as_bytes(), &[1, 2, 3]);
        assert_eq!(a.response.user_handle, Some(vec![1]));
    }

    #[test]
    fn each_envelope_problem_names_its_field() {
        type Mutation = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Mutation, &str)> = vec![
            (
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("id");
                }),
                "id",
            ),
            (Box::new(|v| v["id"] = json!(5)), "id"),
            (Box::new(|v| v["id"] = json!("AQI=")), "id"),
            (Box::new(|v| v["id"] = json!("")), "id"),
            (Box::new(|v| v["rawId"] = json!("AQIE")), "rawId"),
            (
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("type");
                }),
                "type",
            ),
            (Box::new(|v| v["type"] = json!(1)), "type"),
            (Box::new(|v| v["type"] = json!("password")), "type"),
            (
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("response");
                }),
                "response",
            ),
            (Box::new(|v| v["response"] = json!("x")), "response"),
            (
                Box::new(|v| {
                    v["response"]
                        .as_object_mut()
                        .unwrap()
                        .remove("clientDataJSON");
                }),
                "response.clientDataJSON",
            ),
            (
                Box::new(|v| v["response"]["clientDataJSON"] = json!(1)),
                "response.clientDataJSON",
            ),
            (
                Box::new(|v| v["response"]["clientDataJSON"] = json!("")),
                "response.clientDataJSON",
            ),
            (
                Box::new(|v| v["response"]["authenticatorData"] = json!("AA==")),
                "response.authenticatorData",
            ),
            (
                Box::new(|v| v["response"]["signature"] = json!("+/")),
                "response.signature",
            ),
            (
                Box::new(|v| v["response"]["userHandle"] = json!(7)),
                "response.userHandle",
            ),
            (
                Box::new(|v| v["clientExtensionResults"] = json!([])),
                "clientExtensionResults",
            ),
        ];
        for (mutate, expected) in cases {
            let mut v = assertion();
            mutate(&mut v);
            let err = AuthenticationResponseJson::from_json(&v).unwrap_err();
            assert_eq!(field(err), expected, "{v}");
        }
    }

    #[test]
    fn empty_or_null_user_handle_is_absent() {
        for uh in [json!(""), Value::Null] {
            let mut v = assertion();
            v["response"]["userHandle"] = uh;
            assert_eq!(
                AuthenticationResponseJson::from_json(&v)
                    .unwrap()
                    .response
                    .user_handle,
                None
            );
        }
    }

    #[test]
    fn responses_round_trip_through_serde() {
        let a = AuthenticationResponseJson::from_json(&assertion()).unwrap();
        let text = serde_json::to_string(&a).unwrap();
        let back: AuthenticationResponseJson = serde_json::from_str(&text).unwrap();
        assert_eq!(back, a);
        let err =
            serde_json::from_str::<AuthenticationResponseJson>(r#"{"id":"AQ=="}"#).unwrap_err();
        assert!(err.to_string().contains("`id`"), "{err}");
    }

    #[test]
    fn registration_transports() {
        let v = json!({"id": "AQID", "type": "public-key",
            "response": {"clientDataJSON": "e30", "attestationObject": "oA", "transports": ["usb", "hybrid"]}});
        let r = RegistrationResponseJson::from_json(&v).unwrap();
        assert_eq!(r.response.transports.len(), 2);
        let mut bad = v;
        bad["response"]["transports"] = json!([1]);
        assert_eq!(
            field(RegistrationResponseJson::from_json(&bad).unwrap_err()),
            "response.transports"
        );
    }

    #[test]
    fn options_serialize_in_l3_form() {
        let options = PublicKeyCredentialRequestOptionsJson {
            challenge: Base64UrlBytes(vec![1, 2, 3]),
            timeout: Some(300_000),
            rp_id: Some("example.org".into()),
            allow_credentials: vec![CredentialDescriptorJson::new(
                CredentialId::new(vec![9]),
                vec![],
            )],
            user_verification: Some(UserVerificationRequirement::Preferred),
            hints: vec![PublicKeyCredentialHint::SecurityKey],
            extensions: None,
        };
        assert_eq!(
            serde_json::to_value(&options).unwrap(),
            json!({"challenge": "AQID", "timeout": 300000, "rpId": "example.org",
                   "allowCredentials": [{"type": "public-key", "id": "CQ"}],
                   "userVerification": "preferred", "hints": ["security-key"]})
        );
    }
}
