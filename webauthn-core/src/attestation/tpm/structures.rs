//! The TPM 2.0 structures of a `tpm` attestation statement, decoded strictly (TPM 2.0 Library
//! Part 2, "Structures"): every integer is big-endian, every sized buffer (`TPM2B_*`) is checked
//! against the remaining input and against the size the specification allows, unions are
//! decoded by their selector, and trailing bytes are refused. The decoder never panics.
//!
//! Only what §8.3 uses is kept; the other fields are decoded (so that a truncated or padded
//! structure is refused) and dropped.

use std::fmt;

use crate::crypto::Curve;

/// `sizeof(TPMU_HA)`: the largest digest (SHA-512), the limit of a `TPM2B_DIGEST`.
pub(super) const MAX_DIGEST_SIZE: usize = 64;
/// `sizeof(TPMU_NAME)`: a hash algorithm identifier and the largest digest, the limit of a
/// `TPM2B_NAME`.
pub(super) const MAX_NAME_SIZE: usize = 2 + MAX_DIGEST_SIZE;
/// `sizeof(TPMT_HA)`: the limit of a `TPM2B_DATA`.
pub(super) const MAX_DATA_SIZE: usize = 2 + MAX_DIGEST_SIZE;
/// `MAX_RSA_KEY_BYTES`: the largest RSA modulus this library accepts (8192 bits).
pub(super) const MAX_RSA_KEY_BYTES: usize = crate::crypto::MAX_RSA_BITS / 8;
/// `MAX_ECC_KEY_BYTES`: the largest coordinate of a curve in the TCG registry (BN P-638).
pub(super) const MAX_ECC_KEY_BYTES: usize = 80;

/// `TPM_GENERATED_VALUE` (Part 2 §6.2): "0xff 'TCG'", the `magic` of TPM-generated structures.
pub(super) const TPM_GENERATED_VALUE: u32 = 0xff54_4347;
/// `TPM_ST_ATTEST_CERTIFY` (Part 2 §6.9): the structure tag of a `TPM2_Certify` result.
pub(super) const TPM_ST_ATTEST_CERTIFY: u16 = 0x8017;

/// A `TPM_ALG_ID` (Part 2 §6.3, TCG Algorithm Registry): an open set, named where known.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct AlgId(pub(super) u16);

impl AlgId {
    pub(super) const RSA: Self = Self(0x0001);
    pub(super) const TDES: Self = Self(0x0003);
    pub(super) const SHA1: Self = Self(0x0004);
    pub(super) const AES: Self = Self(0x0006);
    pub(super) const MGF1: Self = Self(0x0007);
    pub(super) const KEYEDHASH: Self = Self(0x0008);
    pub(super) const SHA256: Self = Self(0x000B);
    pub(super) const SHA384: Self = Self(0x000C);
    pub(super) const SHA512: Self = Self(0x000D);
    pub(super) const NULL: Self = Self(0x0010);
    pub(super) const SM3_256: Self = Self(0x0012);
    pub(super) const SM4: Self = Self(0x0013);
    pub(super) const RSASSA: Self = Self(0x0014);
    pub(super) const RSAES: Self = Self(0x0015);
    pub(super) const RSAPSS: Self = Self(0x0016);
    pub(super) const OAEP: Self = Self(0x0017);
    pub(super) const ECDSA: Self = Self(0x0018);
    pub(super) const ECDH: Self = Self(0x0019);
    pub(super) const ECDAA: Self = Self(0x001A);
    pub(super) const SM2: Self = Self(0x001B);
    pub(super) const ECSCHNORR: Self = Self(0x001C);
    pub(super) const ECMQV: Self = Self(0x001D);
    pub(super) const KDF1_SP800_56A: Self = Self(0x0020);
    pub(super) const KDF2: Self = Self(0x0021);
    pub(super) const KDF1_SP800_108: Self = Self(0x0022);
    pub(super) const ECC: Self = Self(0x0023);
    pub(super) const SYMCIPHER: Self = Self(0x0025);
    pub(super) const CAMELLIA: Self = Self(0x0026);
    pub(super) const SHA3_256: Self = Self(0x0027);
    pub(super) const SHA3_384: Self = Self(0x0028);
    pub(super) const SHA3_512: Self = Self(0x0029);

    /// The registry name of a known algorithm.
    pub(super) fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::RSA => "TPM_ALG_RSA",
            Self::TDES => "TPM_ALG_TDES",
            Self::SHA1 => "TPM_ALG_SHA1",
            Self::AES => "TPM_ALG_AES",
            Self::MGF1 => "TPM_ALG_MGF1",
            Self::KEYEDHASH => "TPM_ALG_KEYEDHASH",
            Self::SHA256 => "TPM_ALG_SHA256",
            Self::SHA384 => "TPM_ALG_SHA384",
            Self::SHA512 => "TPM_ALG_SHA512",
            Self::NULL => "TPM_ALG_NULL",
            Self::SM3_256 => "TPM_ALG_SM3_256",
            Self::SM4 => "TPM_ALG_SM4",
            Self::RSASSA => "TPM_ALG_RSASSA",
            Self::RSAES => "TPM_ALG_RSAES",
            Self::RSAPSS => "TPM_ALG_RSAPSS",
            Self::OAEP => "TPM_ALG_OAEP",
            Self::ECDSA => "TPM_ALG_ECDSA",
            Self::ECDH => "TPM_ALG_ECDH",
            Self::ECDAA => "TPM_ALG_ECDAA",
            Self::SM2 => "TPM_ALG_SM2",
            Self::ECSCHNORR => "TPM_ALG_ECSCHNORR",
            Self::ECMQV => "TPM_ALG_ECMQV",
            Self::KDF1_SP800_56A => "TPM_ALG_KDF1_SP800_56A",
            Self::KDF2 => "TPM_ALG_KDF2",
            Self::KDF1_SP800_108 => "TPM_ALG_KDF1_SP800_108",
            Self::ECC => "TPM_ALG_ECC",
            Self::SYMCIPHER => "TPM_ALG_SYMCIPHER",
            Self::CAMELLIA => "TPM_ALG_CAMELLIA",
            Self::SHA3_256 => "TPM_ALG_SHA3_256",
            Self::SHA3_384 => "TPM_ALG_SHA3_384",
            Self::SHA3_512 => "TPM_ALG_SHA3_512",
            _ => return None,
        })
    }
}

impl fmt::Display for AlgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:04X})", self.0),
            None => write!(f, "0x{:04X}", self.0),
        }
    }
}

impl fmt::Debug for AlgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AlgId({self})")
    }
}

/// A `TPM_ECC_CURVE` (Part 2 §6.4, TCG Algorithm Registry): an open set, named where known.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct EccCurve(pub(super) u16);

impl EccCurve {
    pub(super) const NIST_P192: Self = Self(0x0001);
    pub(super) const NIST_P224: Self = Self(0x0002);
    pub(super) const NIST_P256: Self = Self(0x0003);
    pub(super) const NIST_P384: Self = Self(0x0004);
    pub(super) const NIST_P521: Self = Self(0x0005);
    pub(super) const BN_P256: Self = Self(0x0010);
    pub(super) const BN_P638: Self = Self(0x0011);
    pub(super) const SM2_P256: Self = Self(0x0020);

    /// The curve, if this library supports it.
    pub(super) fn curve(self) -> Option<Curve> {
        match self {
            Self::NIST_P256 => Some(Curve::P256),
            Self::NIST_P384 => Some(Curve::P384),
            Self::NIST_P521 => Some(Curve::P521),
            _ => None,
        }
    }

    fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::NIST_P192 => "TPM_ECC_NIST_P192",
            Self::NIST_P224 => "TPM_ECC_NIST_P224",
            Self::NIST_P256 => "TPM_ECC_NIST_P256",
            Self::NIST_P384 => "TPM_ECC_NIST_P384",
            Self::NIST_P521 => "TPM_ECC_NIST_P521",
            Self::BN_P256 => "TPM_ECC_BN_P256",
            Self::BN_P638 => "TPM_ECC_BN_P638",
            Self::SM2_P256 => "TPM_ECC_SM2_P256",
            _ => return None,
        })
    }
}

impl fmt::Display for EccCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:04X})", self.0),
            None => write!(f, "0x{:04X}", self.0),
        }
    }
}

impl fmt::Debug for EccCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EccCurve({self})")
    }
}

/// Why a structure could not be decoded: the field (`pubArea.parameters.keyBits`), the byte
/// offset in the structure where it starts, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ParseError {
    pub(super) field: &'static str,
    pub(super) offset: usize,
    pub(super) problem: String,
}

impl ParseError {
    fn new(field: &'static str, offset: usize, problem: impl Into<String>) -> Self {
        Self {
            field,
            offset,
            problem: problem.into(),
        }
    }
}

/// A `TPMT_PUBLIC` (Part 2 §12.2.4): the public area of the credential key.
///
/// ```text
/// TPMT_PUBLIC {
///     TPMI_ALG_PUBLIC     type;              // u16: TPM_ALG_RSA | TPM_ALG_ECC
///     TPMI_ALG_HASH       nameAlg;           // u16
///     TPMA_OBJECT         objectAttributes;  // u32
///     TPM2B_DIGEST        authPolicy;        // u16 size || size bytes
///     TPMU_PUBLIC_PARMS   parameters;        // [type] TPMS_RSA_PARMS | TPMS_ECC_PARMS
///     TPMU_PUBLIC_ID      unique;            // [type] TPM2B_PUBLIC_KEY_RSA | TPMS_ECC_POINT
/// }
/// TPMS_RSA_PARMS { TPMT_SYM_DEF_OBJECT symmetric; TPMT_RSA_SCHEME scheme;
///                  TPMI_RSA_KEY_BITS keyBits /* u16 */; UINT32 exponent /* 0: 2^16+1 */ }
/// TPMS_ECC_PARMS { TPMT_SYM_DEF_OBJECT symmetric; TPMT_ECC_SCHEME scheme;
///                  TPMI_ECC_CURVE curveID /* u16 */; TPMT_KDF_SCHEME kdf }
/// TPMS_ECC_POINT { TPM2B_ECC_PARAMETER x; TPM2B_ECC_PARAMETER y }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PublicArea<'a> {
    /// `nameAlg`: the hash algorithm of the object's Name.
    pub(super) name_alg: AlgId,
    /// The public key, from `parameters` and `unique`.
    pub(super) key: TpmPublicKey<'a>,
}

/// The public key a `TPMT_PUBLIC` describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TpmPublicKey<'a> {
    /// `TPM_ALG_RSA`.
    Rsa {
        /// `parameters.exponent`, with 0 already replaced by the default 2^16 + 1.
        exponent: u32,
        /// `unique.rsa`: the big-endian modulus, `keyBits / 8` bytes.
        modulus: &'a [u8],
    },
    /// `TPM_ALG_ECC`.
    Ecc {
        /// `parameters.curveID`.
        curve: EccCurve,
        /// `unique.ecc.x`, big-endian.
        x: &'a [u8],
        /// `unique.ecc.y`, big-endian.
        y: &'a [u8],
    },
}

impl<'a> PublicArea<'a> {
    /// The default RSA public exponent that an `exponent` of zero stands for.
    pub(super) const DEFAULT_RSA_EXPONENT: u32 = 0x0001_0001;

    /// Decodes a `TPMT_PUBLIC` that spans all of `bytes`.
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes);
        let type_offset = r.offset;
        let key_type = AlgId(r.u16("pubArea.type")?);
        if key_type != AlgId::RSA && key_type != AlgId::ECC {
            return Err(ParseError::new(
                "pubArea.type",
                type_offset,
                format!(
                    "is {key_type}, expected {} or {} (a credential key is an RSA or EC key)",
                    AlgId::RSA,
                    AlgId::ECC
                ),
            ));
        }
        let name_alg = AlgId(r.u16("pubArea.nameAlg")?);
        r.u32("pubArea.objectAttributes")?;
        r.sized("pubArea.authPolicy", MAX_DIGEST_SIZE)?;
        r.sym_def_object("pubArea.parameters.symmetric")?;
        let key = if key_type == AlgId::RSA {
            r.scheme("pubArea.parameters.scheme", &RSA_SCHEMES)?;
            let bits_offset = r.offset;
            let key_bits = r.u16("pubArea.parameters.keyBits")?;
            let exponent = match r.u32("pubArea.parameters.exponent")? {
                0 => Self::DEFAULT_RSA_EXPONENT,
                e => e,
            };
            let modulus = r.sized("pubArea.unique", MAX_RSA_KEY_BYTES)?;
            if modulus.len().checked_mul(8) != Some(usize::from(key_bits)) {
                return Err(ParseError::new(
                    "pubArea.parameters.keyBits",
                    bits_offset,
                    format!(
                        "is {key_bits}, but unique holds a modulus of {} bytes ({} bits)",
                        modulus.len(),
                        modulus.len().saturating_mul(8)
                    ),
                ));
            }
            TpmPublicKey::Rsa { exponent, modulus }
        } else {
            r.scheme("pubArea.parameters.scheme", &ECC_SCHEMES)?;
            let curve = EccCurve(r.u16("pubArea.parameters.curveID")?);
            r.scheme("pubArea.parameters.kdf", &KDF_SCHEMES)?;
            let x = r.sized("pubArea.unique.x", MAX_ECC_KEY_BYTES)?;
            let y = r.sized("pubArea.unique.y", MAX_ECC_KEY_BYTES)?;
            TpmPublicKey::Ecc { curve, x, y }
        };
        r.finish("pubArea")?;
        Ok(Self { name_alg, key })
    }
}

/// A `TPMS_ATTEST` (Part 2 §10.12.8): what the AIK signed.
///
/// ```text
/// TPMS_ATTEST {
///     TPM_GENERATED       magic;            // u32: TPM_GENERATED_VALUE 0xff544347
///     TPMI_ST_ATTEST      type;             // u16: TPM_ST_ATTEST_CERTIFY 0x8017
///     TPM2B_NAME          qualifiedSigner;
///     TPM2B_DATA          extraData;
///     TPMS_CLOCK_INFO     clockInfo;        // u64 clock, u32 resetCount, u32 restartCount, u8 safe
///     UINT64              firmwareVersion;
///     TPMU_ATTEST         attested;         // [type] TPMS_CERTIFY_INFO { TPM2B_NAME name;
///                                           //                            TPM2B_NAME qualifiedName }
/// }
/// ```
///
/// `magic` and `type` are returned as found, for the verification procedure to check; the
/// `attested` union is decoded only for `TPM_ST_ATTEST_CERTIFY`, the one type §8.3 accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attest<'a> {
    /// `magic`.
    pub(super) magic: u32,
    /// `type`.
    pub(super) attest_type: u16,
    /// `extraData`.
    pub(super) extra_data: &'a [u8],
    /// `attested`.
    pub(super) attested: Attested<'a>,
}

/// The `attested` union of a `TPMS_ATTEST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Attested<'a> {
    /// `TPMS_CERTIFY_INFO` (Part 2 §10.12.3), of which §8.3 uses `name`.
    Certify {
        /// `name`: the Name of the certified object.
        name: &'a [u8],
    },
    /// Another attestation type, not decoded.
    Other,
}

impl<'a> Attest<'a> {
    /// Decodes a `TPMS_ATTEST`; one of type `TPM_ST_ATTEST_CERTIFY` must span all of `bytes`.
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes);
        let magic = r.u32("certInfo.magic")?;
        let attest_type = r.u16("certInfo.type")?;
        r.sized("certInfo.qualifiedSigner", MAX_NAME_SIZE)?;
        let extra_data = r.sized("certInfo.extraData", MAX_DATA_SIZE)?;
        r.u64("certInfo.clockInfo.clock")?;
        r.u32("certInfo.clockInfo.resetCount")?;
        r.u32("certInfo.clockInfo.restartCount")?;
        // `safe` is a TPMI_YES_NO, but §8.3 ignores clockInfo and the W3C test vectors fill it
        // with random bytes: only its size is checked.
        r.array::<1>("certInfo.clockInfo.safe")?;
        r.u64("certInfo.firmwareVersion")?;
        let attested = if attest_type == TPM_ST_ATTEST_CERTIFY {
            let name = r.sized("certInfo.attested.name", MAX_NAME_SIZE)?;
            r.sized("certInfo.attested.qualifiedName", MAX_NAME_SIZE)?;
            r.finish("certInfo")?;
            Attested::Certify { name }
        } else {
            Attested::Other
        };
        Ok(Self {
            magic,
            attest_type,
            extra_data,
            attested,
        })
    }
}

/// How the `details` of a scheme union are laid out, by the scheme's selector.
#[derive(Debug, Clone, Copy)]
enum Details {
    /// `TPM_ALG_NULL` and schemes without parameters: nothing.
    Empty,
    /// `TPMS_SCHEME_HASH`: `hashAlg` (u16).
    Hash,
    /// `TPMS_SCHEME_ECDAA`: `hashAlg` (u16) and `count` (u16).
    HashAndCount,
}

/// `TPMT_RSA_SCHEME` selectors (`TPMI_ALG_RSA_SCHEME`, Part 2 §11.2.4.1).
const RSA_SCHEMES: [(AlgId, Details); 5] = [
    (AlgId::NULL, Details::Empty),
    (AlgId::RSASSA, Details::Hash),
    (AlgId::RSAPSS, Details::Hash),
    (AlgId::RSAES, Details::Empty),
    (AlgId::OAEP, Details::Hash),
];

/// `TPMT_ECC_SCHEME` selectors (`TPMI_ALG_ECC_SCHEME`, Part 2 §11.2.5.4).
const ECC_SCHEMES: [(AlgId, Details); 7] = [
    (AlgId::NULL, Details::Empty),
    (AlgId::ECDSA, Details::Hash),
    (AlgId::ECDAA, Details::HashAndCount),
    (AlgId::SM2, Details::Hash),
    (AlgId::ECSCHNORR, Details::Hash),
    (AlgId::ECDH, Details::Hash),
    (AlgId::ECMQV, Details::Hash),
];

/// `TPMT_KDF_SCHEME` selectors (`TPMI_ALG_KDF`, Part 2 §11.2.3.3).
const KDF_SCHEMES: [(AlgId, Details); 5] = [
    (AlgId::NULL, Details::Empty),
    (AlgId::MGF1, Details::Hash),
    (AlgId::KDF1_SP800_56A, Details::Hash),
    (AlgId::KDF2, Details::Hash),
    (AlgId::KDF1_SP800_108, Details::Hash),
];

/// `TPMI_ALG_SYM_OBJECT` values other than `TPM_ALG_NULL` (Part 2 §9.29).
const SYM_OBJECT_ALGS: [AlgId; 4] = [AlgId::TDES, AlgId::AES, AlgId::SM4, AlgId::CAMELLIA];

/// A zero-copy big-endian reader that knows its offset (for error positions).
#[derive(Debug)]
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0 }
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.offset..).unwrap_or_default()
    }

    fn truncated(&self, field: &'static str, needed: usize) -> ParseError {
        ParseError::new(
            field,
            self.offset,
            format!(
                "is truncated: needs {needed} bytes, {} remain",
                self.rest().len()
            ),
        )
    }

    fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], ParseError> {
        let taken = self
            .rest()
            .get(..len)
            .ok_or_else(|| self.truncated(field, len))?;
        self.offset += len;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ParseError> {
        let (chunk, _) = self
            .rest()
            .split_first_chunk::<N>()
            .ok_or_else(|| self.truncated(field, N))?;
        self.offset += N;
        Ok(*chunk)
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, ParseError> {
        self.array(field).map(u16::from_be_bytes)
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, ParseError> {
        self.array(field).map(u32::from_be_bytes)
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, ParseError> {
        self.array(field).map(u64::from_be_bytes)
    }

    /// A `TPM2B_*`: a u16 size and that many bytes, at most `max`.
    fn sized(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], ParseError> {
        let start = self.offset;
        let size = usize::from(self.u16(field)?);
        if size > max {
            return Err(ParseError::new(
                field,
                start,
                format!("has size {size}, more than the {max} bytes it may hold"),
            ));
        }
        self.take(size, field)
    }

    /// A `TPMT_SYM_DEF_OBJECT`: an algorithm, then `keyBits` and `mode` unless it is NULL.
    fn sym_def_object(&mut self, field: &'static str) -> Result<(), ParseError> {
        let start = self.offset;
        let algorithm = AlgId(self.u16(field)?);
        if algorithm == AlgId::NULL {
            return Ok(());
        }
        if !SYM_OBJECT_ALGS.contains(&algorithm) {
            return Err(ParseError::new(
                field,
                start,
                format!("is {algorithm}, not a symmetric block cipher or TPM_ALG_NULL"),
            ));
        }
        self.u16(field)?;
        self.u16(field)?;
        Ok(())
    }

    /// A scheme: a selector from `allowed` and the details it selects.
    fn scheme(
        &mut self,
        field: &'static str,
        allowed: &[(AlgId, Details)],
    ) -> Result<AlgId, ParseError> {
        let start = self.offset;
        let scheme = AlgId(self.u16(field)?);
        let Some((_, details)) = allowed.iter().find(|(alg, _)| *alg == scheme) else {
            let names: Vec<String> = allowed.iter().map(|(alg, _)| alg.to_string()).collect();
            return Err(ParseError::new(
                field,
                start,
                format!("is {scheme}, expected one of {}", names.join(", ")),
            ));
        };
        match details {
            Details::Empty => {}
            Details::Hash => {
                self.u16(field)?;
            }
            Details::HashAndCount => {
                self.u16(field)?;
                self.u16(field)?;
            }
        }
        Ok(scheme)
    }

    /// Refuses bytes after the end of the structure.
    fn finish(&self, structure: &'static str) -> Result<(), ParseError> {
        match self.rest().len() {
            0 => Ok(()),
            n => Err(ParseError::new(
                structure,
                self.offset,
                format!("has {n} bytes after the end of the structure"),
            )),
        }
    }
}
