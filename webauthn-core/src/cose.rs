//! COSE algorithms and credential public keys (RFC 9052 §7, RFC 9053, RFC 8230, WebAuthn §5.8.5).
//!
//! A credential public key is a COSE_Key in CTAP2 canonical CBOR. WebAuthn §6.5.1 requires the
//! `alg` parameter. The key types accepted:
//!
//! ```text
//! EC2 (kty 2): { 1: 2, 3: alg, -1: crv (1 P-256 | 2 P-384 | 3 P-521), -2: x, -3: y }
//! OKP (kty 1): { 1: 1, 3: alg, -1: 6 (Ed25519), -2: x }
//! RSA (kty 3): { 1: 3, 3: alg, -1: n, -2: e }
//! ```
//!
//! The key is decoded once, by the bounded reader of this crate, and checked against the
//! COSE_Key structure of RFC 9052 §7 (see [`check_cose_key_structure`]); EC points are checked
//! to be on their curve and RSA moduli to have at least 2048 bits.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cbor;
use crate::crypto::{Curve, MlDsaLevel, PublicKeyMaterial};
use crate::error::{Error, InputPart, Unsupported};
use crate::verified::SignatureValid;

/// A COSE algorithm identifier (IANA "COSE Algorithms" registry): an open set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CoseAlgorithm(pub i64);

impl CoseAlgorithm {
    /// ECDSA with SHA-256 (P-256 in WebAuthn).
    pub const ES256: Self = Self(-7);
    /// ECDSA with SHA-384 (P-384 in WebAuthn).
    pub const ES384: Self = Self(-35);
    /// ECDSA with SHA-512 (P-521 in WebAuthn).
    pub const ES512: Self = Self(-36);
    /// ECDSA using P-256 and SHA-256, fully specified (RFC 9864).
    pub const ESP256: Self = Self(-9);
    /// ECDSA using P-384 and SHA-384, fully specified.
    pub const ESP384: Self = Self(-51);
    /// ECDSA using P-521 and SHA-512, fully specified.
    pub const ESP512: Self = Self(-52);
    /// EdDSA (Ed25519 in WebAuthn).
    pub const EDDSA: Self = Self(-8);
    /// Ed25519, fully specified (RFC 9864).
    pub const ED25519: Self = Self(-19);
    /// Ed448 (fully specified, RFC 9864; EdDSA with the Ed448 curve).
    pub const ED448: Self = Self(-53);
    /// ML-DSA-44 (FIPS 204, security category 2).
    pub const ML_DSA_44: Self = Self(-48);
    /// ML-DSA-65 (FIPS 204, security category 3).
    pub const ML_DSA_65: Self = Self(-49);
    /// ML-DSA-87 (FIPS 204, security category 5).
    pub const ML_DSA_87: Self = Self(-50);
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    pub const RS256: Self = Self(-257);
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    pub const RS384: Self = Self(-258);
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    pub const RS512: Self = Self(-259);
    /// RSASSA-PSS with SHA-256.
    pub const PS256: Self = Self(-37);
    /// RSASSA-PSS with SHA-384.
    pub const PS384: Self = Self(-38);
    /// RSASSA-PSS with SHA-512.
    pub const PS512: Self = Self(-39);
    /// RSASSA-PKCS1-v1_5 with SHA-1: legacy, only for TPM and old Windows Hello.
    pub const RS1: Self = Self(-65535);

    /// The registry name of a known algorithm.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::ES512 => "ES512",
            Self::ESP256 => "ESP256",
            Self::ESP384 => "ESP384",
            Self::ESP512 => "ESP512",
            Self::EDDSA => "EdDSA",
            Self::ED25519 => "Ed25519",
            Self::ED448 => "Ed448",
            Self::ML_DSA_44 => "ML-DSA-44",
            Self::ML_DSA_65 => "ML-DSA-65",
            Self::ML_DSA_87 => "ML-DSA-87",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::RS1 => "RS1",
            _ => return None,
        })
    }

    /// The signature scheme this library uses for the algorithm, if it supports it.
    #[must_use]
    pub fn scheme(self) -> Option<SignatureScheme> {
        use SignatureScheme as S;
        Some(match self {
            Self::ES256 | Self::ESP256 => S::EcdsaP256Sha256,
            Self::ES384 | Self::ESP384 => S::EcdsaP384Sha384,
            Self::ES512 | Self::ESP512 => S::EcdsaP521Sha512,
            Self::EDDSA | Self::ED25519 => S::Ed25519,
            Self::ED448 => S::Ed448,
            Self::ML_DSA_44 => S::MlDsa44,
            Self::ML_DSA_65 => S::MlDsa65,
            Self::ML_DSA_87 => S::MlDsa87,
            Self::RS256 => S::RsaPkcs1Sha256,
            Self::RS384 => S::RsaPkcs1Sha384,
            Self::RS512 => S::RsaPkcs1Sha512,
            Self::PS256 => S::RsaPssSha256,
            Self::PS384 => S::RsaPssSha384,
            Self::PS512 => S::RsaPssSha512,
            Self::RS1 => S::RsaPkcs1Sha1,
            _ => return None,
        })
    }
}

impl fmt::Display for CoseAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for CoseAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CoseAlgorithm({self})")
    }
}

/// The signature schemes this library verifies: a closed set, matched exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// ECDSA P-256 with SHA-256 (ES256, ESP256).
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384 (ES384, ESP384).
    EcdsaP384Sha384,
    /// ECDSA P-521 with SHA-512 (ES512, ESP512).
    EcdsaP521Sha512,
    /// Ed25519 (EdDSA, Ed25519).
    Ed25519,
    /// Ed448 (Ed448; EdDSA with an Ed448 key).
    Ed448,
    /// ML-DSA-44 (FIPS 204).
    MlDsa44,
    /// ML-DSA-65 (FIPS 204).
    MlDsa65,
    /// ML-DSA-87 (FIPS 204).
    MlDsa87,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RS256).
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (RS384).
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (RS512).
    RsaPkcs1Sha512,
    /// RSASSA-PSS with SHA-256 (PS256).
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384 (PS384).
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512 (PS512).
    RsaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (RS1): legacy.
    RsaPkcs1Sha1,
}

impl SignatureScheme {
    /// Whether the scheme is a legacy one that must be enabled explicitly.
    #[must_use]
    pub fn is_legacy(self) -> bool {
        matches!(self, Self::RsaPkcs1Sha1)
    }
}

/// A credential public key: the COSE_Key bytes as the authenticator produced them, and the
/// validated key they encode.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialPublicKey {
    alg: CoseAlgorithm,
    scheme: SignatureScheme,
    key: PublicKeyMaterial,
    cose: Vec<u8>,
}

impl fmt::Debug for CredentialPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialPublicKey({}, {})", self.key.kind(), self.alg)
    }
}

impl CredentialPublicKey {
    /// Parses and validates a COSE_Key.
    ///
    /// # Errors
    /// `malformed_authenticator_data` when the bytes are not a valid COSE_Key,
    /// `unsupported_algorithm` when its algorithm or curve is not supported.
    pub fn from_cose(bytes: &[u8]) -> Result<Self, Error> {
        let malformed =
            |problem: String| Error::malformed(InputPart::CoseKey, "credentialPublicKey", problem);
        // One decode, by the bounded reader (depth, sizes, trailing bytes, duplicate keys).
        // `alg` is looked at before the rest of the structure so that an unsupported
        // algorithm is reported as such rather than as garbage.
        let value = cbor::decode_all(bytes).map_err(|e| malformed(e.to_string()))?;
        let Some(entries) = value.as_map() else {
            return Err(malformed(format!(
                "expected a map, found a {}",
                value.kind()
            )));
        };
        let alg = value
            .get_int_key(3)
            .ok_or_else(|| malformed("the `alg` parameter (3) is missing".into()))?
            .as_i64()
            .ok_or_else(|| malformed("the `alg` parameter (3) is not an integer".into()))?;
        let alg = CoseAlgorithm(alg);
        let scheme = alg
            .scheme()
            .ok_or(Error::Unsupported(Unsupported::Algorithm(alg)))?;

        let kty = check_cose_key_structure(entries).map_err(malformed)?;
        let param = |label: i64| {
            entries
                .iter()
                .find(|(l, _)| l.as_i64() == Some(label))
                .map(|(_, v)| v)
        };
        let bytes_param = |label: i64, name: &str| -> Result<&[u8], Error> {
            param(label).and_then(cbor::Value::as_bytes).ok_or_else(|| {
                malformed(format!(
                    "the `{name}` parameter ({label}) is missing or not a byte string"
                ))
            })
        };
        let int_param = |label: i64, name: &str| -> Result<i128, Error> {
            param(label).and_then(cbor::Value::as_i128).ok_or_else(|| {
                malformed(format!(
                    "the `{name}` parameter ({label}) is missing or not an integer"
                ))
            })
        };

        let material = match kty {
            KTY_EC2 => {
                let crv = int_param(-1, "crv")?;
                let curve = match crv {
                    CRV_P256 => Curve::P256,
                    CRV_P384 => Curve::P384,
                    CRV_P521 => Curve::P521,
                    _ => {
                        return Err(Unsupported::KeyType(format!("EC2 curve {crv}").into()).into());
                    }
                };
                let x = bytes_param(-2, "x")?;
                if param(-3).is_some_and(|v| matches!(v, cbor::Value::Bool(_))) {
                    return Err(malformed("compressed EC points are not accepted".into()));
                }
                let y = bytes_param(-3, "y")?;
                PublicKeyMaterial::ec(curve, x, y).map_err(|p| malformed(p.into()))?
            }
            KTY_OKP => {
                let crv = int_param(-1, "crv")?;
                let x = bytes_param(-2, "x")?;
                match crv {
                    CRV_ED25519 => {
                        PublicKeyMaterial::ed25519(x).map_err(|p| malformed(p.into()))?
                    }
                    CRV_ED448 => PublicKeyMaterial::ed448(x).map_err(|p| malformed(p.into()))?,
                    _ => {
                        return Err(Unsupported::KeyType(format!("OKP curve {crv}").into()).into());
                    }
                }
            }
            KTY_AKP => {
                // draft-ietf-cose-dilithium: {1: 7, 3: alg, -1: pub}
                let level = match alg {
                    CoseAlgorithm::ML_DSA_44 => MlDsaLevel::MlDsa44,
                    CoseAlgorithm::ML_DSA_65 => MlDsaLevel::MlDsa65,
                    CoseAlgorithm::ML_DSA_87 => MlDsaLevel::MlDsa87,
                    other => {
                        return Err(malformed(format!(
                            "algorithm {other} does not fit an AKP key"
                        )));
                    }
                };
                PublicKeyMaterial::ml_dsa(level, bytes_param(-1, "pub")?)
                    .map_err(|p| malformed(p.into()))?
            }
            KTY_RSA => {
                let n = bytes_param(-1, "n")?;
                let e = bytes_param(-2, "e")?;
                PublicKeyMaterial::rsa(n, e).map_err(|p| malformed(p.into()))?
            }
            other => {
                return Err(Unsupported::KeyType(format!("COSE key type {other}").into()).into());
            }
        };
        if !material.fits(scheme) {
            return Err(malformed(format!(
                "algorithm {alg} does not fit a {} key",
                material.kind()
            )));
        }
        Ok(Self {
            alg,
            scheme,
            key: material,
            cose: bytes.to_vec(),
        })
    }

    /// The key's COSE algorithm.
    #[must_use]
    pub fn algorithm(&self) -> CoseAlgorithm {
        self.alg
    }

    /// The signature scheme the key verifies.
    #[must_use]
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// The COSE_Key bytes, as received: store these.
    #[must_use]
    pub fn as_cose(&self) -> &[u8] {
        &self.cose
    }

    pub(crate) fn material(&self) -> &PublicKeyMaterial {
        &self.key
    }

    /// Verifies a signature made with the credential private key.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<SignatureValid, Error> {
        self.key.verify(self.scheme, message, signature)
    }
}

/// COSE key types (IANA "COSE Key Types").
const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const KTY_RSA: i64 = 3;
const KTY_AKP: i64 = 7;
/// The highest key type the registry assigns; 0 is reserved.
const KTY_MAX_ASSIGNED: i64 = 7;
/// COSE elliptic curves (IANA "COSE Elliptic Curves").
const CRV_P256: i128 = 1;
const CRV_P384: i128 = 2;
const CRV_P521: i128 = 3;
const CRV_ED25519: i128 = 6;
const CRV_ED448: i128 = 7;
/// The key operations the registry assigns (RFC 9052 Table 5): 1 (sign) to 10 (MAC verify).
const KEY_OPS_ASSIGNED: std::ops::RangeInclusive<i64> = 1..=10;

/// A COSE label: an integer or a text string (RFC 9052 §1.4, `label = int / tstr`).
#[derive(PartialEq)]
enum CoseLabel<'a> {
    Int(i64),
    Text(&'a str),
}

impl<'a> CoseLabel<'a> {
    fn of(value: &cbor::Value<'a>) -> Option<Self> {
        value
            .as_i64()
            .map(Self::Int)
            .or_else(|| value.as_text().map(Self::Text))
    }
}

/// Checks a decoded COSE_Key map against RFC 9052 §7 and returns its integer key type:
///
/// ```cddl
/// COSE_Key = {
///     1 => tstr / int,          ; kty
///     ? 2 => bstr,              ; kid
///     ? 3 => tstr / int,        ; alg
///     ? 4 => [+ (tstr / int) ], ; key_ops
///     ? 5 => bstr,              ; Base IV
///     * label => values
/// }
/// ```
///
/// * every label is an integer in the `i64` range or a text string, and no label occurs twice
///   (compared by value, so that `1` and a longer encoding of `1` are the same label: RFC 9052
///   §14);
/// * `kty` is present and is a registered integer key type (a text key type is reported as
///   malformed, since WebAuthn keys use integers);
/// * `kid` and Base IV are non-empty byte strings; `key_ops` is a non-empty array of distinct
///   registered integer operations or text strings;
/// * no tag and no simple value other than `true`, `false`, `null` and `undefined` occurs
///   anywhere in the key: none has a meaning in a COSE_Key.
///
/// The map itself has already been checked by the bounded reader for depth, size, trailing
/// bytes and byte-identical duplicate keys.
fn check_cose_key_structure(entries: &[(cbor::Value<'_>, cbor::Value<'_>)]) -> Result<i64, String> {
    let mut labels: Vec<CoseLabel<'_>> = Vec::with_capacity(entries.len());
    let mut kty = None;
    for (key, value) in entries {
        let label = CoseLabel::of(key).ok_or_else(|| {
            format!(
                "a label is a {}, not an integer in range or a text string",
                key.kind()
            )
        })?;
        if labels.contains(&label) {
            return Err("a label occurs twice".into());
        }
        check_no_tags_or_simple_values(value)?;
        match label {
            CoseLabel::Int(1) => match value {
                cbor::Value::Text(_) => {
                    return Err("the key type (1) must be an integer".into());
                }
                _ => match value.as_i64() {
                    Some(t) if (1..=KTY_MAX_ASSIGNED).contains(&t) => kty = Some(t),
                    Some(0) => return Err("the key type (1) is the reserved value 0".into()),
                    Some(t) => return Err(format!("the key type (1) {t} is not registered")),
                    None => {
                        return Err(format!(
                            "the key type (1) is a {}, not an integer",
                            value.kind()
                        ));
                    }
                },
            },
            CoseLabel::Int(2) => non_empty_bytes(value, "kid (2)")?,
            CoseLabel::Int(3) if value.as_i64().is_none() && value.as_text().is_none() => {
                return Err("the `alg` parameter (3) is not an integer".into());
            }
            CoseLabel::Int(4) => check_key_ops(value)?,
            CoseLabel::Int(5) => non_empty_bytes(value, "Base IV (5)")?,
            _ => {}
        }
        labels.push(label);
    }
    kty.ok_or_else(|| "the key type (1) is missing".into())
}

fn non_empty_bytes(value: &cbor::Value<'_>, name: &str) -> Result<(), String> {
    match value.as_bytes() {
        Some(b) if !b.is_empty() => Ok(()),
        _ => Err(format!("{name} must be a non-empty byte string")),
    }
}

fn check_key_ops(value: &cbor::Value<'_>) -> Result<(), String> {
    let ops = value
        .as_array()
        .filter(|ops| !ops.is_empty())
        .ok_or("key_ops (4) must be a non-empty array")?;
    let mut seen: Vec<CoseLabel<'_>> = Vec::with_capacity(ops.len());
    for op in ops {
        let op = match CoseLabel::of(op) {
            Some(CoseLabel::Int(n)) if !KEY_OPS_ASSIGNED.contains(&n) => {
                return Err(format!("key_ops (4) holds the unregistered operation {n}"));
            }
            Some(op) => op,
            None => return Err("key_ops (4) holds an item that is not an integer or text".into()),
        };
        if seen.contains(&op) {
            return Err("key_ops (4) holds an operation twice".into());
        }
        seen.push(op);
    }
    Ok(())
}

fn check_no_tags_or_simple_values(value: &cbor::Value<'_>) -> Result<(), String> {
    match value {
        cbor::Value::Tag(..) => Err("a parameter holds a tagged item".into()),
        cbor::Value::Simple(_) => Err("a parameter holds an unassigned simple value".into()),
        cbor::Value::Array(items) => items.iter().try_for_each(check_no_tags_or_simple_values),
        cbor::Value::Map(entries) => entries.iter().try_for_each(|(k, v)| {
            check_no_tags_or_simple_values(k)?;
            check_no_tags_or_simple_values(v)
        }),
        _ => Ok(()),
    }
}

impl Serialize for CredentialPublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::base64url::Base64UrlBytes(self.cose.clone()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for CredentialPublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = crate::base64url::Base64UrlBytes::deserialize(d)?;
        Self::from_cose(&bytes.0).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base64url;

    // The W3C "none ES256" test vector's credential public key.
    const W3C_ES256: &str = "pQECAyYgASFYIK_voW-XypstI-uGzLZAmNINuQhWBi6yScM6m2cvJt9hIlggkwpWuHovymYzSwNFir-HlxfBLMaO1zKQry4mZHlrkiA";

    #[test]
    fn parses_an_es256_key() {
        let key = CredentialPublicKey::from_cose(&base64url::decode(W3C_ES256).unwrap()).unwrap();
        assert_eq!(key.algorithm(), CoseAlgorithm::ES256);
        assert_eq!(key.scheme(), SignatureScheme::EcdsaP256Sha256);
    }

    #[test]
    fn rejects_broken_keys_with_the_right_code() {
        let good = base64url::decode(W3C_ES256).unwrap();
        // Trailing byte.
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            CredentialPublicKey::from_cose(&trailing)
                .unwrap_err()
                .code(),
            "malformed_authenticator_data"
        );
        // alg -7 (0x26) replaced by -999 (0x39 0x03 0xe6) is unsupported, not malformed.
        let pos = good.windows(2).position(|w| w == [0x03, 0x26]).unwrap();
        let mut unknown = good[..pos + 1].to_vec();
        unknown.extend_from_slice(&[0x39, 0x03, 0xe6]);
        unknown.extend_from_slice(&good[pos + 2..]);
        let err = CredentialPublicKey::from_cose(&unknown).unwrap_err();
        assert_eq!(err.code(), "unsupported_algorithm", "{err}");
        // alg RS256 on an EC2 key does not fit.
        let mut wrong = good[..pos + 1].to_vec();
        wrong.extend_from_slice(&[0x39, 0x01, 0x00]);
        wrong.extend_from_slice(&good[pos + 2..]);
        assert_eq!(
            CredentialPublicKey::from_cose(&wrong).unwrap_err().code(),
            "malformed_authenticator_data"
        );
        // A point off the curve: flip the last byte of y.
        let mut off = good.clone();
        *off.last_mut().unwrap() ^= 1;
        assert_eq!(
            CredentialPublicKey::from_cose(&off).unwrap_err().code(),
            "malformed_authenticator_data"
        );
    }

    enum V<'a> {
        Int(i64),
        Bytes(&'a [u8]),
    }

    /// A small COSE_Key encoder: small integer keys and values, byte strings up to 64 KiB.
    fn cose_map(entries: &[(i64, V<'_>)]) -> Vec<u8> {
        let int = |n: i64, out: &mut Vec<u8>| {
            let (major, magnitude) = if n >= 0 { (0u8, n) } else { (0x20u8, -1 - n) };
            let magnitude = u8::try_from(magnitude).unwrap();
            if magnitude < 24 {
                out.push(major | magnitude);
            } else {
                out.extend_from_slice(&[major | 24, magnitude]);
            }
        };
        let mut out = vec![0xa0 | u8::try_from(entries.len()).unwrap()];
        for (k, v) in entries {
            int(*k, &mut out);
            match v {
                V::Int(n) => int(*n, &mut out),
                V::Bytes(b) => {
                    out.push(0x59);
                    out.extend_from_slice(&u16::try_from(b.len()).unwrap().to_be_bytes());
                    out.extend_from_slice(b);
                }
            }
        }
        out
    }

    #[test]
    fn ml_dsa_and_ed448_keys_are_checked() {
        use V::{Bytes, Int};
        // AKP (7) with ML-DSA-44 and a public key of the right length parses.
        let ok = cose_map(&[(1, Int(7)), (3, Int(-48)), (-1, Bytes(&[5; 1312]))]);
        let key = CredentialPublicKey::from_cose(&ok).unwrap();
        assert_eq!(key.algorithm(), CoseAlgorithm::ML_DSA_44);
        // Wrong length for the parameter set.
        let short = cose_map(&[(1, Int(7)), (3, Int(-48)), (-1, Bytes(&[5; 1311]))]);
        assert_eq!(
            CredentialPublicKey::from_cose(&short).unwrap_err().code(),
            "malformed_authenticator_data"
        );
        // An AKP key with an algorithm that is not ML-DSA.
        let wrong = cose_map(&[(1, Int(7)), (3, Int(-7)), (-1, Bytes(&[5; 1312]))]);
        assert_eq!(
            CredentialPublicKey::from_cose(&wrong).unwrap_err().code(),
            "malformed_authenticator_data"
        );
        // Ed448 (OKP, crv 7) keys have 57 bytes.
        let ed448 = cose_map(&[
            (1, Int(1)),
            (3, Int(-53)),
            (-1, Int(7)),
            (-2, Bytes(&[9; 56])),
        ]);
        assert_eq!(
            CredentialPublicKey::from_cose(&ed448).unwrap_err().code(),
            "malformed_authenticator_data"
        );
    }

    /// One CBOR item for the differential test below, encoded by hand so that non-minimal
    /// lengths, tags and simple values can be produced.
    #[derive(Debug, Clone)]
    enum Item {
        /// An integer with its header's additional information forced to a longer form.
        Int(i64, bool),
        Bytes(Vec<u8>),
        Text(String),
        Array(Vec<Self>),
        Tag(u64, Box<Self>),
        Simple(u8),
        Bool(bool),
    }

    fn encode(item: &Item, out: &mut Vec<u8>) {
        let head = |major: u8, n: u64, long: bool, out: &mut Vec<u8>| {
            if n < 24 && !long {
                out.push((major << 5) | u8::try_from(n).unwrap());
            } else if n < 256 {
                out.extend_from_slice(&[(major << 5) | 24, u8::try_from(n).unwrap()]);
            } else {
                out.push((major << 5) | 27);
                out.extend_from_slice(&n.to_be_bytes());
            }
        };
        match item {
            Item::Int(n, long) => match u64::try_from(*n) {
                Ok(u) => head(0, u, *long, out),
                Err(_) => head(1, u64::try_from(-1 - i128::from(*n)).unwrap(), *long, out),
            },
            Item::Bytes(b) => {
                head(2, u64::try_from(b.len()).unwrap(), false, out);
                out.extend_from_slice(b);
            }
            Item::Text(t) => {
                head(3, u64::try_from(t.len()).unwrap(), false, out);
                out.extend_from_slice(t.as_bytes());
            }
            Item::Array(items) => {
                head(4, u64::try_from(items.len()).unwrap(), false, out);
                items.iter().for_each(|i| encode(i, out));
            }
            Item::Tag(tag, inner) => {
                head(6, *tag, false, out);
                encode(inner, out);
            }
            Item::Simple(v) => out.push(0xe0 | v),
            Item::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        }
    }

    fn item() -> impl proptest::strategy::Strategy<Value = Item> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            ((-5i64..12), any::<bool>()).prop_map(|(n, l)| Item::Int(n, l)),
            Just(Item::Int(i64::MIN, false)),
            Just(Item::Int(-65537, false)),
            proptest::collection::vec(any::<u8>(), 0..3).prop_map(Item::Bytes),
            "[a-c]{0,2}".prop_map(Item::Text),
            (0u8..20).prop_map(Item::Simple),
            any::<bool>().prop_map(Item::Bool),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Item::Array),
                ((0u64..4), inner).prop_map(|(t, i)| Item::Tag(t, Box::new(i))),
            ]
        })
    }

    /// Mostly labels a COSE_Key may have (short or long encodings), sometimes any item.
    fn label() -> impl proptest::strategy::Strategy<Value = Item> {
        use proptest::prelude::*;
        prop_oneof![
            8 => ((-4i64..8), any::<bool>()).prop_map(|(n, l)| Item::Int(n, l)),
            1 => "[a-b]{1}".prop_map(Item::Text),
            1 => item(),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// Whatever `coset` (which decoded credential keys before) refuses, `from_cose`
        /// refuses too: the W3C ES256 key with its entries shuffled and extra entries,
        /// labels and values of every kind added or substituted.
        #[test]
        fn at_least_as_strict_as_coset(
            extra in proptest::collection::vec((label(), item()), 0..3),
            replace in proptest::option::of((0usize..5, item())),
            order in proptest::sample::subsequence(vec![0usize, 1, 2, 3, 4], 4..=5),
        ) {
            let x = base64url::decode("r--hb5fKmy0j64bMtkCY0g25CFYGLrJJwzqbZy8m32E").unwrap();
            let y = base64url::decode("kwpWuHovymYzSwNFir-HlxfBLMaO1zKQry4mZHlrkiA").unwrap();
            let mut entries = [
                (Item::Int(1, false), Item::Int(2, false)),
                (Item::Int(3, false), Item::Int(-7, false)),
                (Item::Int(-1, false), Item::Int(1, false)),
                (Item::Int(-2, false), Item::Bytes(x)),
                (Item::Int(-3, false), Item::Bytes(y)),
            ];
            if let Some((i, value)) = replace {
                entries[i].1 = value;
            }
            let mut chosen: Vec<_> = order.iter().map(|&i| entries[i].clone()).collect();
            chosen.extend(extra);
            let mut bytes = vec![0xa0 | u8::try_from(chosen.len()).unwrap()];
            for (k, v) in &chosen {
                encode(k, &mut bytes);
                encode(v, &mut bytes);
            }
            use coset::CborSerializable as _;
            let ours = CredentialPublicKey::from_cose(&bytes);
            if coset::CoseKey::from_slice(&bytes).is_err() {
                proptest::prop_assert!(ours.is_err(), "coset refuses but from_cose accepts {bytes:02x?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = CredentialPublicKey::from_cose(&bytes);
        }
    }
}
