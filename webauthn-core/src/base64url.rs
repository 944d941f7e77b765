//! Strict base64url (RFC 4648 §5) without padding, as WebAuthn's JSON forms use it.
//!
//! Decoding rejects padding (`=`), the standard alphabet (`+`, `/`), whitespace and
//! non-canonical trailing bits, so that each byte string has exactly one text form.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Encodes bytes as base64url without padding.
#[must_use]
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes strict base64url without padding.
///
/// # Errors
/// When the text is not canonical base64url without padding.
pub fn decode(text: &str) -> Result<Vec<u8>, InvalidBase64Url> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| InvalidBase64Url)
}

/// The text was not strict base64url.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidBase64Url;

impl fmt::Display for InvalidBase64Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected base64url without padding")
    }
}

impl std::error::Error for InvalidBase64Url {}

/// Bytes that serialize as a strict base64url string.
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Base64UrlBytes(pub Vec<u8>);

impl fmt::Debug for Base64UrlBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b64u:{}", encode(&self.0))
    }
}

impl From<Vec<u8>> for Base64UrlBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for Base64UrlBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for Base64UrlBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64UrlBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Base64UrlBytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64url string without padding")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                decode(v)
                    .map(Base64UrlBytes)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i: u8| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn rejects_padding_standard_alphabet_and_noise() {
        assert!(decode("AAE=").is_err(), "padding");
        assert!(decode("AA+/").is_err(), "standard alphabet");
        assert!(decode("AA E").is_err(), "whitespace");
        assert!(decode("A").is_err(), "impossible length");
        // "AB" has non-zero trailing bits: the canonical form of [0x00] is "AA".
        assert!(decode("AB").is_err(), "non-canonical trailing bits");
        assert_eq!(decode("AA").unwrap(), vec![0]);
        assert_eq!(decode("_-8").unwrap(), vec![0xff, 0xef]);
    }

    #[test]
    fn serde_is_strict() {
        let ok: Base64UrlBytes = serde_json::from_str("\"AQID\"").unwrap();
        assert_eq!(ok.0, vec![1, 2, 3]);
        assert!(serde_json::from_str::<Base64UrlBytes>("\"AQI=\"").is_err());
        assert!(serde_json::from_str::<Base64UrlBytes>("12").is_err());
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"AQID\"");
    }
}
