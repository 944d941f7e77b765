//! Collected client data (WebAuthn §5.8.1), as the client serialized it in `clientDataJSON`.
//!
//! ```text
//! dictionary CollectedClientData {
//!     required DOMString           type;        // "webauthn.create" or "webauthn.get"
//!     required DOMString           challenge;   // base64url of the challenge
//!     required DOMString           origin;
//!     DOMString                    topOrigin;
//!     boolean                      crossOrigin;
//!     TokenBinding                 tokenBinding; // WebAuthn L2; {status, id?}
//! };
//! ```
//!
//! Unknown members are ignored, as the specification requires. Known members with the wrong
//! JSON type are malformed.

use serde_json::Value;

use crate::error::{Error, InputPart};

/// The largest `clientDataJSON` accepted, in bytes. Browsers produce a few hundred bytes.
pub const MAX_CLIENT_DATA_LEN: usize = 64 * 1024;

/// The parsed client data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedClientData {
    /// `type`.
    pub type_: String,
    /// `challenge`, as sent (base64url text).
    pub challenge: String,
    /// `origin`.
    pub origin: String,
    /// `topOrigin`, if present.
    pub top_origin: Option<String>,
    /// `crossOrigin`, if present.
    pub cross_origin: Option<bool>,
    /// `tokenBinding.status`, if present.
    pub token_binding_status: Option<TokenBindingStatus>,
}

/// `TokenBindingStatus` (WebAuthn Level 2 §5.8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenBindingStatus {
    /// Token binding was used; `id` is present.
    Present,
    /// The client supports token binding but did not negotiate it.
    Supported,
    /// The client does not support token binding (WebAuthn Level 1).
    NotSupported,
}

impl CollectedClientData {
    /// §7.1 steps 5–6, §7.2 steps 8–9: UTF-8 decode (stripping a byte order mark) and parse.
    ///
    /// # Errors
    /// `malformed_client_data` when the bytes are not JSON of the right shape.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |field: &'static str, problem: &'static str| {
            Error::malformed(InputPart::ClientData, field, problem)
        };
        if bytes.is_empty() {
            return Err(bad("clientDataJSON", "is empty"));
        }
        if bytes.len() > MAX_CLIENT_DATA_LEN {
            return Err(bad("clientDataJSON", "is larger than 64 KiB"));
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text =
            std::str::from_utf8(bytes).map_err(|_| bad("clientDataJSON", "is not valid UTF-8"))?;
        let json: Value =
            serde_json::from_str(text).map_err(|_| bad("clientDataJSON", "is not valid JSON"))?;
        let object = json
            .as_object()
            .ok_or_else(|| bad("clientDataJSON", "is not a JSON object"))?;

        let required_string = |name: &'static str| -> Result<String, Error> {
            match object.get(name) {
                None => Err(bad(name, "is missing")),
                Some(Value::String(s)) if s.is_empty() => Err(bad(name, "is empty")),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(bad(name, "is not a string")),
            }
        };
        let type_ = required_string("type")?;
        let challenge = required_string("challenge")?;
        let origin = required_string("origin")?;
        let top_origin = match object.get("topOrigin") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad("topOrigin", "is not a string")),
        };
        let cross_origin = match object.get("crossOrigin") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(bad("crossOrigin", "is not a boolean")),
        };
        let token_binding_status = match object.get("tokenBinding") {
            None | Some(Value::Null) => None,
            Some(Value::Object(tb)) => Some(match tb.get("status") {
                None => return Err(bad("tokenBinding.status", "is missing")),
                Some(Value::String(s)) => match s.as_str() {
                    "present" => {
                        match tb.get("id") {
                            Some(Value::String(id)) if !id.is_empty() => {}
                            _ => {
                                return Err(bad(
                                    "tokenBinding.id",
                                    "is required when tokenBinding.status is \"present\"",
                                ));
                            }
                        }
                        TokenBindingStatus::Present
                    }
                    "supported" => TokenBindingStatus::Supported,
                    "not-supported" => TokenBindingStatus::NotSupported,
                    _ => {
                        return Err(bad(
                            "tokenBinding.status",
                            "is not one of \"present\", \"supported\", \"not-supported\"",
                        ));
                    }
                },
                Some(_) => return Err(bad("tokenBinding.status", "is not a string")),
            }),
            Some(_) => return Err(bad("tokenBinding", "is not an object")),
        };
        Ok(Self {
            type_,
            challenge,
            origin,
            top_origin,
            cross_origin,
            token_binding_status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<CollectedClientData, Error> {
        CollectedClientData::parse(json.as_bytes())
    }

    const OK: &str = r#"{"type":"webauthn.get","challenge":"AAAA","origin":"https://example.org","crossOrigin":false,"extra":{"x":1}}"#;

    #[test]
    fn parses_and_ignores_unknown_members() {
        let c = parse(OK).unwrap();
        assert_eq!(c.type_, "webauthn.get");
        assert_eq!(c.cross_origin, Some(false));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(OK.as_bytes());
        assert_eq!(CollectedClientData::parse(&bom).unwrap(), c);
    }

    #[test]
    fn every_required_member_is_checked() {
        for (json, field) in [
            (r#"{"challenge":"AAAA","origin":"o"}"#, "type"),
            (r#"{"type":1,"challenge":"AAAA","origin":"o"}"#, "type"),
            (r#"{"type":"","challenge":"AAAA","origin":"o"}"#, "type"),
            (r#"{"type":"t","origin":"o"}"#, "challenge"),
            (r#"{"type":"t","challenge":[],"origin":"o"}"#, "challenge"),
            (r#"{"type":"t","challenge":"AAAA"}"#, "origin"),
            (r#"{"type":"t","challenge":"AAAA","origin":""}"#, "origin"),
            (
                r#"{"type":"t","challenge":"AAAA","origin":"o","crossOrigin":"yes"}"#,
                "crossOrigin",
            ),
            (
                r#"{"type":"t","challenge":"AAAA","origin":"o","topOrigin":5}"#,
                "topOrigin",
            ),
            (
                r#"{"type":"t","challenge":"AAAA","origin":"o","tokenBinding":"x"}"#,
                "tokenBinding",
            ),
            (
                r#"{"type":"t","challenge":"AAAA","origin":"o","tokenBinding":{}}"#,
                "tokenBinding.status",
            ),
            (
                r#"{"type":"t","challenge":"AAAA","origin":"o","tokenBinding":{"status":"nope"}}"#,
                "tokenBinding.status",
            ),
            (
                r#"{"type":"t","challenge":"AAAA","origin":"o","tokenBinding":{"status":"present"}}"#,
                "tokenBinding.id",
            ),
        ] {
            match parse(json) {
                Err(Error::Malformed(m)) => {
                    assert_eq!(m.field, field, "{json}");
                    assert_eq!(m.code(), "malformed_client_data");
                }
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_non_json() {
        for bytes in [&b""[..], b"[]", b"{", b"\xff\xfe", b"null"] {
            assert_eq!(
                CollectedClientData::parse(bytes).unwrap_err().code(),
                "malformed_client_data"
            );
        }
    }

    #[test]
    fn token_binding_statuses() {
        for (status, expected) in [
            ("supported", TokenBindingStatus::Supported),
            ("not-supported", TokenBindingStatus::NotSupported),
        ] {
            let json = format!(
                r#"{{"type":"t","challenge":"AAAA","origin":"o","tokenBinding":{{"status":"{status}"}}}}"#
            );
            assert_eq!(parse(&json).unwrap().token_binding_status, Some(expected));
        }
    }
}
