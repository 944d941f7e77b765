//! Identifier newtypes: challenges, credential ids, user handles and AAGUIDs.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::base64url::{self, Base64UrlBytes};
use crate::error::{ApiMisuse, Error};
use crate::random::RandomSource;

/// A ceremony challenge: random bytes the authenticator signs over, sent base64url-encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge(Vec<u8>);

impl Challenge {
    /// The length of the challenges this library generates (WebAuthn §13.4.3 asks for at
    /// least 16 bytes).
    pub const LEN: usize = 32;

    /// A fresh random challenge of [`Self::LEN`] bytes.
    ///
    /// # Errors
    /// When the random source fails.
    pub fn random(rng: &dyn RandomSource) -> Result<Self, Error> {
        let mut bytes = vec![0u8; Self::LEN];
        rng.fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A challenge with the given bytes. Only for replaying recorded ceremonies and for
    /// protocols that derive the challenge themselves; a challenge must never be reused.
    #[must_use]
    pub fn danger_from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The challenge bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The challenge as the client reports it in `clientDataJSON.challenge`.
    #[must_use]
    pub fn to_base64url(&self) -> String {
        base64url::encode(&self.0)
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A challenge is not a long-term secret, but there is no reason to spread it in logs.
        write!(f, "Challenge({} bytes)", self.0.len())
    }
}

impl Serialize for Challenge {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64url())
    }
}

impl<'de> Deserialize<'de> for Challenge {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Base64UrlBytes::deserialize(d).map(|b| Self(b.0))
    }
}

/// A credential id (WebAuthn §4 "Credential ID"): at most 1023 bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CredentialId(Base64UrlBytes);

impl CredentialId {
    /// The largest credential id WebAuthn allows (§6.5.1, `credentialIdLength`).
    pub const MAX_LEN: usize = 1023;

    /// A credential id from its bytes (no length check: ids from storage and from clients are
    /// checked where the ceremony requires it).
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Base64UrlBytes(bytes))
    }

    /// The id bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0.0
    }

    /// The id as base64url without padding.
    #[must_use]
    pub fn to_base64url(&self) -> String {
        base64url::encode(self.as_bytes())
    }
}

impl fmt::Debug for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialId({})", self.to_base64url())
    }
}

impl From<Vec<u8>> for CredentialId {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

/// A user handle (WebAuthn §4 "User Handle"): 1 to 64 opaque bytes chosen by the relying party.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "Base64UrlBytes", into = "Base64UrlBytes")]
pub struct UserHandle(Vec<u8>);

impl UserHandle {
    /// The longest user handle WebAuthn allows.
    pub const MAX_LEN: usize = 64;

    /// A user handle from its bytes.
    ///
    /// # Errors
    /// When the handle is empty or longer than 64 bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, Error> {
        if bytes.is_empty() || bytes.len() > Self::MAX_LEN {
            return Err(ApiMisuse::InvalidArgument(
                format!(
                    "a user handle has 1 to {} bytes, this one has {}",
                    Self::MAX_LEN,
                    bytes.len()
                )
                .into(),
            )
            .into());
        }
        Ok(Self(bytes))
    }

    /// A fresh random 32-byte user handle.
    ///
    /// # Errors
    /// When the random source fails.
    pub fn random(rng: &dyn RandomSource) -> Result<Self, Error> {
        let mut bytes = vec![0u8; 32];
        rng.fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// The handle bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The handle as base64url without padding.
    #[must_use]
    pub fn to_base64url(&self) -> String {
        base64url::encode(&self.0)
    }
}

impl fmt::Debug for UserHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserHandle({})", self.to_base64url())
    }
}

impl TryFrom<Base64UrlBytes> for UserHandle {
    type Error = Error;
    fn try_from(value: Base64UrlBytes) -> Result<Self, Error> {
        Self::new(value.0)
    }
}

impl From<UserHandle> for Base64UrlBytes {
    fn from(value: UserHandle) -> Self {
        Self(value.0)
    }
}

/// An authenticator's AAGUID (WebAuthn §6.5.1): 16 bytes naming the authenticator model.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Aaguid(pub [u8; 16]);

impl Aaguid {
    /// The all-zero AAGUID that authenticators use when they do not attest their model.
    pub const ZERO: Self = Self([0; 16]);

    /// Whether this is the all-zero AAGUID.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    /// Parses the hyphenated UUID form (`8446ccb9-ab1d-b374-750b-2367ff6f3a1f`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let hyphens_in_place = [8, 13, 18, 23].iter().all(|&i| bytes.get(i) == Some(&b'-'));
        let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
        if text.len() != 36 || hex.len() != 32 || !hyphens_in_place {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            let s = std::str::from_utf8(pair).ok()?;
            *out.get_mut(i)? = u8::from_str_radix(s, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Display for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aaguid({self})")
    }
}

impl Serialize for Aaguid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Aaguid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom("expected a hyphenated UUID"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aaguid_text_round_trip() {
        let text = "8446ccb9-ab1d-b374-750b-2367ff6f3a1f";
        let a = Aaguid::parse(text).unwrap();
        assert_eq!(a.to_string(), text);
        assert!(Aaguid::parse("8446ccb9ab1db374750b2367ff6f3a1f").is_none());
        assert!(Aaguid::parse("8446ccb9-ab1d-b374-750b-2367ff6f3a1g").is_none());
        assert!(Aaguid::parse("8446ccb9a-b1d-b374-750b-2367ff6f3a1f").is_none());
        assert!(Aaguid::ZERO.is_zero());
    }

    #[test]
    fn user_handle_length_is_bounded() {
        assert!(UserHandle::new(vec![]).is_err());
        assert!(UserHandle::new(vec![1; 65]).is_err());
        assert!(UserHandle::new(vec![1; 64]).is_ok());
        assert!(serde_json::from_str::<UserHandle>("\"\"").is_err());
    }
}
