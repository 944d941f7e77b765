//! Authenticator data (WebAuthn §6.1) and attested credential data (§6.5.1).
//!
//! ```text
//! rpIdHash                32 bytes   SHA-256 of the RP ID
//! flags                    1 byte    UP (0), RFU (1), UV (2), BE (3), BS (4), RFU (5), AT (6), ED (7)
//! signCount                4 bytes   big-endian
//! attestedCredentialData   variable  present iff AT:
//!     aaguid              16 bytes
//!     credentialIdLength   2 bytes   big-endian, <= 1023
//!     credentialId         L bytes
//!     credentialPublicKey  variable  COSE_Key (CTAP2 canonical CBOR)
//! extensions               variable  present iff ED: CBOR map of authenticator extension outputs
//! ```
//!
//! Parsing rejects truncation and any byte after the last present part, so that AT/ED flags and
//! the bytes that follow always agree.

use std::fmt;

use crate::cbor;
use crate::error::{Error, InputPart};
use crate::extensions::AuthenticatorExtensionOutputs;
use crate::identifiers::{Aaguid, CredentialId};

/// The largest authenticator data accepted, in bytes.
pub const MAX_AUTHENTICATOR_DATA_LEN: usize = 64 * 1024;

/// The flags byte of authenticator data.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// User present.
    pub const UP: Self = Self(0x01);
    /// User verified.
    pub const UV: Self = Self(0x04);
    /// Backup eligible.
    pub const BE: Self = Self(0x08);
    /// Backup state.
    pub const BS: Self = Self(0x10);
    /// Attested credential data included.
    pub const AT: Self = Self(0x40);
    /// Extension data included.
    pub const ED: Self = Self(0x80);

    /// Flags from the raw byte.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    /// The raw byte.
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every flag of `other` is set.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// User present (UP).
    #[must_use]
    pub const fn user_present(self) -> bool {
        self.contains(Self::UP)
    }

    /// User verified (UV).
    #[must_use]
    pub const fn user_verified(self) -> bool {
        self.contains(Self::UV)
    }

    /// Backup eligible (BE).
    #[must_use]
    pub const fn backup_eligible(self) -> bool {
        self.contains(Self::BE)
    }

    /// Backed up (BS).
    #[must_use]
    pub const fn backup_state(self) -> bool {
        self.contains(Self::BS)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Self::UP, "UP"),
            (Self::UV, "UV"),
            (Self::BE, "BE"),
            (Self::BS, "BS"),
            (Self::AT, "AT"),
            (Self::ED, "ED"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        write!(f, "Flags({:#04x}: {})", self.0, set.join("|"))
    }
}

/// Attested credential data, borrowed from the authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredentialData<'a> {
    /// The authenticator model.
    pub aaguid: Aaguid,
    /// The credential id.
    pub credential_id: &'a [u8],
    /// The COSE_Key bytes of the credential public key.
    pub credential_public_key: &'a [u8],
}

impl AttestedCredentialData<'_> {
    /// The credential id as an owned id.
    #[must_use]
    pub fn credential_id(&self) -> CredentialId {
        CredentialId::new(self.credential_id.to_vec())
    }
}

/// Parsed authenticator data, borrowing from the bytes it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData<'a> {
    raw: &'a [u8],
    /// SHA-256 of the RP ID the credential is scoped to.
    pub rp_id_hash: [u8; 32],
    /// The flags.
    pub flags: Flags,
    /// The signature counter.
    pub sign_count: u32,
    /// Present iff the AT flag is set.
    pub attested_credential_data: Option<AttestedCredentialData<'a>>,
    /// Present iff the ED flag is set.
    pub extensions: Option<AuthenticatorExtensionOutputs>,
}

impl<'a> AuthenticatorData<'a> {
    /// Parses authenticator data.
    ///
    /// # Errors
    /// `malformed_authenticator_data` when it is truncated, has trailing bytes, flags that do
    /// not match its contents, a credential id over 1023 bytes, or invalid CBOR.
    pub fn parse(raw: &'a [u8]) -> Result<Self, Error> {
        let bad = |field: &'static str, offset: usize, problem: String| {
            Error::Malformed(
                crate::error::MalformedInput::new(InputPart::AuthenticatorData, field, problem)
                    .at(offset),
            )
        };
        if raw.is_empty() {
            return Err(bad("authData", 0, "is empty".into()));
        }
        if raw.len() > MAX_AUTHENTICATOR_DATA_LEN {
            return Err(bad("authData", 0, "is larger than 64 KiB".into()));
        }
        let (rp_id_hash, rest) = raw.split_first_chunk::<32>().ok_or_else(|| {
            bad(
                "rpIdHash",
                0,
                format!("needs 37 bytes, found {}", raw.len()),
            )
        })?;
        let (&[flags], rest) = rest
            .split_first_chunk::<1>()
            .ok_or_else(|| bad("flags", 32, "is missing".into()))?;
        let (count, mut rest) = rest.split_first_chunk::<4>().ok_or_else(|| {
            bad(
                "signCount",
                33,
                format!("needs 37 bytes, found {}", raw.len()),
            )
        })?;
        let flags = Flags(flags);
        let sign_count = u32::from_be_bytes(*count);
        let offset_of = |rest: &[u8]| raw.len() - rest.len();

        let attested_credential_data = if flags.contains(Flags::AT) {
            let start = offset_of(rest);
            let (aaguid, after) = rest.split_first_chunk::<16>().ok_or_else(|| {
                bad(
                    "attestedCredentialData.aaguid",
                    start,
                    "is truncated (AT is set but the attested credential data is missing)".into(),
                )
            })?;
            let (len, after) = after.split_first_chunk::<2>().ok_or_else(|| {
                bad(
                    "attestedCredentialData.credentialIdLength",
                    start + 16,
                    "is truncated".into(),
                )
            })?;
            let len = usize::from(u16::from_be_bytes(*len));
            if len > CredentialId::MAX_LEN {
                // §6.5.1: "Value MUST be <= 1023"; §7.1 step 25.
                return Err(bad(
                    "attestedCredentialData.credentialIdLength",
                    start + 16,
                    format!("is {len}, more than the 1023 bytes allowed"),
                ));
            }
            if len == 0 {
                return Err(bad(
                    "attestedCredentialData.credentialId",
                    start + 18,
                    "is empty".into(),
                ));
            }
            let (credential_id, after) = after.split_at_checked(len).ok_or_else(|| {
                bad(
                    "attestedCredentialData.credentialId",
                    start + 18,
                    "is truncated".into(),
                )
            })?;
            let key_offset = offset_of(after);
            let (_, key_len) = cbor::decode_prefix(after).map_err(|e| {
                bad(
                    "attestedCredentialData.credentialPublicKey",
                    key_offset + e.offset,
                    e.problem.into(),
                )
            })?;
            let (credential_public_key, after) = after.split_at(key_len);
            rest = after;
            Some(AttestedCredentialData {
                aaguid: Aaguid(*aaguid),
                credential_id,
                credential_public_key,
            })
        } else {
            None
        };

        let extensions = if flags.contains(Flags::ED) {
            let start = offset_of(rest);
            let (value, used) = cbor::decode_prefix(rest)
                .map_err(|e| bad("extensions", start + e.offset, e.problem.into()))?;
            rest = rest.get(used..).unwrap_or_default();
            Some(
                AuthenticatorExtensionOutputs::from_cbor(&value)
                    .map_err(|problem| bad("extensions", start, problem))?,
            )
        } else {
            None
        };

        if !rest.is_empty() {
            let offset = offset_of(rest);
            let problem = if flags.contains(Flags::ED) {
                format!("{} bytes follow the extensions", rest.len())
            } else {
                format!(
                    "{} bytes follow the last part announced by the flags (AT/ED)",
                    rest.len()
                )
            };
            return Err(bad("authData", offset, problem));
        }

        Ok(Self {
            raw,
            rp_id_hash: *rp_id_hash,
            flags,
            sign_count,
            attested_credential_data,
            extensions,
        })
    }

    /// The bytes this was parsed from (what the signatures cover).
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(flags: u8) -> Vec<u8> {
        let mut v = vec![7u8; 32];
        v.push(flags);
        v.extend_from_slice(&5u32.to_be_bytes());
        v
    }

    // A minimal valid EC2 COSE key is not needed here: the parser only delimits the CBOR item.
    fn attested(id_len: u16) -> Vec<u8> {
        let mut v = vec![1u8; 16];
        v.extend_from_slice(&id_len.to_be_bytes());
        v.extend(std::iter::repeat_n(9u8, usize::from(id_len)));
        v.extend_from_slice(&[0xa1, 0x01, 0x02]); // {1: 2}
        v
    }

    fn field_of(err: Error) -> String {
        match err {
            Error::Malformed(m) => {
                assert_eq!(m.code(), "malformed_authenticator_data");
                m.field.into_owned()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_assertion_data() {
        let raw = base(0x05);
        let ad = AuthenticatorData::parse(&raw).unwrap();
        assert_eq!(ad.sign_count, 5);
        assert!(ad.flags.user_present() && ad.flags.user_verified());
        assert!(ad.attested_credential_data.is_none());
    }

    #[test]
    fn parses_attested_credential_data() {
        let mut raw = base(0x41);
        raw.extend(attested(16));
        let ad = AuthenticatorData::parse(&raw).unwrap();
        let acd = ad.attested_credential_data.unwrap();
        assert_eq!(acd.credential_id, &[9u8; 16]);
        assert_eq!(acd.credential_public_key, &[0xa1, 0x01, 0x02]);
    }

    #[test]
    fn rejects_truncation_and_leftovers() {
        assert_eq!(
            field_of(AuthenticatorData::parse(&[0u8; 36]).unwrap_err()),
            "signCount"
        );
        assert_eq!(
            field_of(AuthenticatorData::parse(&[]).unwrap_err()),
            "authData"
        );
        // AT set, no attested credential data.
        assert_eq!(
            field_of(AuthenticatorData::parse(&base(0x41)).unwrap_err()),
            "attestedCredentialData.aaguid"
        );
        // AT clear but attested data present.
        let mut raw = base(0x01);
        raw.extend(attested(16));
        assert_eq!(
            field_of(AuthenticatorData::parse(&raw).unwrap_err()),
            "authData"
        );
        // Leftover bytes after the attested credential data.
        let mut raw = base(0x41);
        raw.extend(attested(16));
        raw.push(0);
        assert_eq!(
            field_of(AuthenticatorData::parse(&raw).unwrap_err()),
            "authData"
        );
        // ED set, no extensions.
        assert_eq!(
            field_of(AuthenticatorData::parse(&base(0x81)).unwrap_err()),
            "extensions"
        );
        // Credential id truncated.
        let mut raw = base(0x41);
        raw.extend(&attested(16)[..20]);
        assert_eq!(
            field_of(AuthenticatorData::parse(&raw).unwrap_err()),
            "attestedCredentialData.credentialId"
        );
    }

    #[test]
    fn credential_id_is_at_most_1023_bytes() {
        let mut raw = base(0x41);
        raw.extend(attested(1023));
        assert!(AuthenticatorData::parse(&raw).is_ok());
        let mut raw = base(0x41);
        raw.extend(attested(1024));
        assert_eq!(
            field_of(AuthenticatorData::parse(&raw).unwrap_err()),
            "attestedCredentialData.credentialIdLength"
        );
    }

    #[test]
    fn parses_extensions() {
        let mut raw = base(0x81);
        // {"credProtect": 2}
        raw.extend_from_slice(&[0xa1, 0x6b]);
        raw.extend_from_slice(b"credProtect");
        raw.push(0x02);
        let ad = AuthenticatorData::parse(&raw).unwrap();
        assert_eq!(ad.extensions.unwrap().cred_protect, Some(2));
        // Extensions must be a map.
        let mut raw = base(0x81);
        raw.push(0x01);
        assert_eq!(
            field_of(AuthenticatorData::parse(&raw).unwrap_err()),
            "extensions"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = AuthenticatorData::parse(&bytes);
        }

        #[test]
        fn flags_round_trip(bits in proptest::prelude::any::<u8>()) {
            let f = Flags::from_bits(bits);
            proptest::prop_assert_eq!(f.bits(), bits);
            proptest::prop_assert_eq!(f.user_present(), bits & 1 == 1);
            proptest::prop_assert_eq!(f.backup_state(), bits & 0x10 != 0);
        }
    }
}
