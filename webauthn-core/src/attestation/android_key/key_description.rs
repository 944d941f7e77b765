//! The Android key description extension, OID 1.3.6.1.4.1.11129.2.1.17 (Android "Key and ID
//! attestation", attestation schema versions 1 to 400, Keymaster 2 to KeyMint 4).
//!
//! ```text
//! KeyDescription ::= SEQUENCE {
//!     attestationVersion         INTEGER,            -- 1, 2, 3, 4, 100, 200, 300, 400
//!     attestationSecurityLevel   SecurityLevel,
//!     keyMintVersion             INTEGER,            -- keymasterVersion before version 100
//!     keyMintSecurityLevel       SecurityLevel,      -- keymasterSecurityLevel before version 100
//!     attestationChallenge       OCTET STRING,
//!     uniqueId                   OCTET STRING,
//!     softwareEnforced           AuthorizationList,
//!     hardwareEnforced           AuthorizationList,  -- teeEnforced before version 100
//! }
//!
//! SecurityLevel ::= ENUMERATED { Software (0), TrustedEnvironment (1), StrongBox (2) }
//!
//! AuthorizationList ::= SEQUENCE {
//!     purpose          [1]   EXPLICIT SET OF INTEGER OPTIONAL,
//!     algorithm        [2]   EXPLICIT INTEGER OPTIONAL,
//!     ...                                            -- some 60 fields in all
//!     allApplications  [600] EXPLICIT NULL OPTIONAL,  -- up to version 3
//!     ...
//!     origin           [702] EXPLICIT INTEGER OPTIONAL,
//!     ...                                            -- tag numbers up to 724 so far
//! }
//! ```
//!
//! Tag numbers of 31 and above take the multi-byte ("high tag number") form of X.690 §8.1.2.4;
//! the `der` crate decodes it (and refuses non-minimal forms and numbers beyond 32 bits).
//! Decoding is DER throughout, with two leniencies that real devices need and that cannot change
//! a verdict: the fields of an authorization list are not required to appear in schema order
//! (the schema's own order has changed between versions), and a `purpose` SET OF is not required
//! to be sorted. Each field may appear once. Only `purpose`, `allApplications` and `origin` are
//! decoded inside an authorization list; other fields must be well-formed TLVs and are skipped.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use der::asn1::AnyRef;
use der::{Decode as _, Reader as _, SliceReader, Tag, Tagged as _};

/// The most fields accepted in one authorization list. The schema defines about 60 tags
/// (KeyMint 4) and each may appear once; the bound leaves room for tags added later.
pub(crate) const MAX_AUTHORIZATIONS: usize = 128;

/// The most values accepted in a `purpose` set. KeyMint defines 8 key purposes (0–7).
pub(crate) const MAX_PURPOSES: usize = 16;

/// `Tag::purpose` (KM_TAG_PURPOSE).
const TAG_PURPOSE: u32 = 1;
/// `Tag::all_applications` (KM_TAG_ALL_APPLICATIONS).
const TAG_ALL_APPLICATIONS: u32 = 600;
/// `Tag::origin` (KM_TAG_ORIGIN).
const TAG_ORIGIN: u32 = 702;

/// The parts of a key description that WebAuthn §8.4 checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyDescription<'a> {
    /// Where the attestation was produced (software or secure hardware).
    pub(crate) attestation_security_level: SecurityLevel,
    /// Where the key lives.
    pub(crate) keymaster_security_level: SecurityLevel,
    /// The challenge given when the key was generated: WebAuthn's clientDataHash.
    pub(crate) attestation_challenge: &'a [u8],
    /// Authorizations enforced by Android (software).
    pub(crate) software_enforced: AuthorizationList,
    /// Authorizations enforced by the TEE or StrongBox (`teeEnforced`, `hardwareEnforced`).
    pub(crate) tee_enforced: AuthorizationList,
}

/// `SecurityLevel`: where a key or an attestation lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecurityLevel {
    /// Android, outside secure hardware.
    Software,
    /// A trusted execution environment.
    TrustedEnvironment,
    /// A discrete secure element (StrongBox).
    StrongBox,
}

impl fmt::Display for SecurityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Software => "Software",
            Self::TrustedEnvironment => "TrustedEnvironment",
            Self::StrongBox => "StrongBox",
        })
    }
}

/// The fields of an `AuthorizationList` that WebAuthn §8.4 checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuthorizationList {
    /// `purpose [1]`: the key purposes, in encoding order.
    pub(crate) purpose: Option<Vec<i64>>,
    /// Whether `allApplications [600]` is present.
    pub(crate) all_applications: bool,
    /// `origin [702]`: how the key came to be (0 = generated).
    pub(crate) origin: Option<i64>,
}

/// Why a key description could not be decoded, and where (a byte offset into the extension
/// value, the DER of the `KeyDescription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DescriptionError {
    /// Byte offset of the offending element.
    pub(crate) offset: usize,
    /// What was expected and what was found.
    pub(crate) problem: Cow<'static, str>,
}

impl DescriptionError {
    fn new(offset: usize, problem: impl Into<Cow<'static, str>>) -> Self {
        Self {
            offset,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for DescriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.problem)
    }
}

impl<'a> TryFrom<&'a [u8]> for KeyDescription<'a> {
    type Error = DescriptionError;

    /// Decodes the DER of a `KeyDescription`, refusing trailing bytes.
    fn try_from(bytes: &'a [u8]) -> Result<Self, Self::Error> {
        let mut outer = Cursor::new(bytes, 0)?;
        let description = outer.next("KeyDescription")?;
        description.expect(Tag::Sequence, "KeyDescription")?;
        outer.finish("KeyDescription")?;

        let mut fields = description.contents()?;
        fields
            .next("attestationVersion")?
            .integer("attestationVersion")?;
        let attestation_security_level = fields
            .next("attestationSecurityLevel")?
            .security_level("attestationSecurityLevel")?;
        fields
            .next("keymasterVersion")?
            .integer("keymasterVersion")?;
        let keymaster_security_level = fields
            .next("keymasterSecurityLevel")?
            .security_level("keymasterSecurityLevel")?;
        let attestation_challenge = fields
            .next("attestationChallenge")?
            .octet_string("attestationChallenge")?;
        fields.next("uniqueId")?.octet_string("uniqueId")?;
        let software_enforced =
            AuthorizationList::parse(&fields.next("softwareEnforced")?, "softwareEnforced")?;
        let tee_enforced = AuthorizationList::parse(&fields.next("teeEnforced")?, "teeEnforced")?;
        fields.finish("KeyDescription (it has 8 fields)")?;

        Ok(Self {
            attestation_security_level,
            keymaster_security_level,
            attestation_challenge,
            software_enforced,
            tee_enforced,
        })
    }
}

impl AuthorizationList {
    fn parse(element: &Element<'_>, name: &'static str) -> Result<Self, DescriptionError> {
        element.expect(Tag::Sequence, name)?;
        let mut entries = element.contents()?;
        let mut seen = BTreeSet::new();
        let mut list = Self::default();
        while !entries.is_finished() {
            let entry = entries.next(name)?;
            let Tag::ContextSpecific {
                constructed: true,
                number,
            } = entry.tag
            else {
                return Err(DescriptionError::new(
                    entry.offset,
                    format!(
                        "{name}: expected an EXPLICIT context-specific field, found {}",
                        entry.tag
                    ),
                ));
            };
            let number = number.value();
            if seen.len() >= MAX_AUTHORIZATIONS {
                return Err(DescriptionError::new(
                    entry.offset,
                    format!("{name} has more than {MAX_AUTHORIZATIONS} fields"),
                ));
            }
            if !seen.insert(number) {
                return Err(DescriptionError::new(
                    entry.offset,
                    format!("{name} has field [{number}] twice"),
                ));
            }
            match number {
                TAG_PURPOSE => {
                    let field = format!("{name}.purpose [1]");
                    list.purpose = Some(purposes(&entry.explicit(&field)?, &field)?);
                }
                TAG_ALL_APPLICATIONS => {
                    let field = format!("{name}.allApplications [600]");
                    entry.explicit(&field)?.null(&field)?;
                    list.all_applications = true;
                }
                TAG_ORIGIN => {
                    let field = format!("{name}.origin [702]");
                    list.origin = Some(entry.explicit(&field)?.integer(&field)?);
                }
                _ => {}
            }
        }
        Ok(list)
    }
}

/// `SET OF INTEGER`, the key purposes.
fn purposes(element: &Element<'_>, field: &str) -> Result<Vec<i64>, DescriptionError> {
    element.expect(Tag::Set, field)?;
    let mut items = element.contents()?;
    let mut values = Vec::new();
    while !items.is_finished() {
        let item = items.next(field)?;
        if values.len() >= MAX_PURPOSES {
            return Err(DescriptionError::new(
                item.offset,
                format!("{field} has more than {MAX_PURPOSES} values"),
            ));
        }
        values.push(item.integer(field)?);
    }
    Ok(values)
}

/// A DER element and where it sits in the extension value.
#[derive(Debug, Clone, Copy)]
struct Element<'a> {
    tag: Tag,
    value: &'a [u8],
    /// Offset of the element's tag.
    offset: usize,
    /// Offset of the element's contents.
    value_offset: usize,
}

impl<'a> Element<'a> {
    fn expect(&self, tag: Tag, field: &str) -> Result<(), DescriptionError> {
        if self.tag == tag {
            Ok(())
        } else {
            Err(DescriptionError::new(
                self.offset,
                format!("{field}: expected {tag}, found {}", self.tag),
            ))
        }
    }

    /// A reader over the contents of a constructed element.
    fn contents(&self) -> Result<Cursor<'a>, DescriptionError> {
        Cursor::new(self.value, self.value_offset)
    }

    /// The single element inside an EXPLICIT tag.
    fn explicit(&self, field: &str) -> Result<Self, DescriptionError> {
        let mut inner = self.contents()?;
        let element = inner.next(field)?;
        inner.finish(field)?;
        Ok(element)
    }

    fn integer(&self, field: &str) -> Result<i64, DescriptionError> {
        self.expect(Tag::Integer, field)?;
        self.integer_value(field)
    }

    /// An ENUMERATED is encoded as an INTEGER (X.690 §8.4).
    fn security_level(&self, field: &str) -> Result<SecurityLevel, DescriptionError> {
        self.expect(Tag::Enumerated, field)?;
        match self.integer_value(field)? {
            0 => Ok(SecurityLevel::Software),
            1 => Ok(SecurityLevel::TrustedEnvironment),
            2 => Ok(SecurityLevel::StrongBox),
            other => Err(DescriptionError::new(
                self.offset,
                format!(
                    "{field}: expected a SecurityLevel (0 Software, 1 TrustedEnvironment, 2 StrongBox), found {other}"
                ),
            )),
        }
    }

    fn octet_string(&self, field: &str) -> Result<&'a [u8], DescriptionError> {
        self.expect(Tag::OctetString, field)?;
        Ok(self.value)
    }

    fn null(&self, field: &str) -> Result<(), DescriptionError> {
        self.expect(Tag::Null, field)?;
        if self.value.is_empty() {
            Ok(())
        } else {
            Err(DescriptionError::new(
                self.offset,
                format!(
                    "{field}: a NULL has no contents, found {} bytes",
                    self.value.len()
                ),
            ))
        }
    }

    /// The contents as a DER INTEGER that fits in 64 bits.
    fn integer_value(&self, field: &str) -> Result<i64, DescriptionError> {
        AnyRef::new(Tag::Integer, self.value)
            .and_then(AnyRef::decode_as::<i64>)
            .map_err(|e| {
                DescriptionError::new(
                    self.offset,
                    format!(
                        "{field}: not a DER integer of at most 64 bits ({})",
                        e.kind()
                    ),
                )
            })
    }
}

/// Reads consecutive DER elements from a slice of the extension value, keeping track of
/// offsets so that errors point into the extension.
struct Cursor<'a> {
    reader: SliceReader<'a>,
    /// Offset of the slice in the extension value.
    base: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Result<Self, DescriptionError> {
        let reader = SliceReader::new(bytes)
            .map_err(|e| DescriptionError::new(base, format!("{}", e.kind())))?;
        Ok(Self { reader, base })
    }

    fn offset(&self) -> usize {
        let position = usize::try_from(self.reader.position()).unwrap_or(usize::MAX);
        self.base.saturating_add(position)
    }

    fn is_finished(&self) -> bool {
        self.reader.is_finished()
    }

    /// The next element; `field` names what is expected, for errors.
    fn next(&mut self, field: &str) -> Result<Element<'a>, DescriptionError> {
        let offset = self.offset();
        if self.is_finished() {
            return Err(DescriptionError::new(
                offset,
                format!("{field} is missing (the enclosing structure ends here)"),
            ));
        }
        let any = AnyRef::decode(&mut self.reader).map_err(|e| {
            let at = e
                .position()
                .and_then(|p| usize::try_from(p).ok())
                .map_or(offset, |p| self.base.saturating_add(p));
            DescriptionError::new(at, format!("{field}: {}", e.kind()))
        })?;
        let value = any.value();
        Ok(Element {
            tag: any.tag(),
            value,
            offset,
            value_offset: self.offset().saturating_sub(value.len()),
        })
    }

    /// Refuses bytes after the last expected element.
    fn finish(&self, field: &str) -> Result<(), DescriptionError> {
        if self.is_finished() {
            Ok(())
        } else {
            Err(DescriptionError::new(
                self.offset(),
                format!("unexpected data after the end of {field}"),
            ))
        }
    }
}
