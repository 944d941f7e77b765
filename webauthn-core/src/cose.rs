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
//! The key is decoded with `coset` after the bounded reader of this crate has delimited and
//! sanity-checked it; EC points are checked to be on their curve and RSA moduli to have at
//! least 2048 bits.

use std::fmt;

use coset::iana::{self, EnumI64 as _};
use coset::{CborSerializable as _, KeyType, Label, RegisteredLabel};
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
        // The bounded reader first: it limits depth and sizes, and finds `kty` and `alg` so
        // that an unsupported algorithm is reported as such rather than as garbage.
        let value = cbor::decode_all(bytes).map_err(|e| malformed(e.to_string()))?;
        if value.as_map().is_none() {
            return Err(malformed(format!(
                "expected a map, found a {}",
                value.kind()
            )));
        }
        let alg = value
            .get_int_key(3)
            .ok_or_else(|| malformed("the `alg` parameter (3) is missing".into()))?
            .as_i64()
            .ok_or_else(|| malformed("the `alg` parameter (3) is not an integer".into()))?;
        let alg = CoseAlgorithm(alg);
        let scheme = alg
            .scheme()
            .ok_or(Error::Unsupported(Unsupported::Algorithm(alg)))?;

        let key = coset::CoseKey::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let param = |label: i64| {
            key.params
                .iter()
                .find(|(l, _)| *l == Label::Int(label))
                .map(|(_, v)| v)
        };
        let bytes_param = |label: i64, name: &str| -> Result<&[u8], Error> {
            param(label)
                .and_then(|v| v.as_bytes())
                .map(Vec::as_slice)
                .ok_or_else(|| {
                    malformed(format!(
                        "the `{name}` parameter ({label}) is missing or not a byte string"
                    ))
                })
        };
        let int_param = |label: i64, name: &str| -> Result<i128, Error> {
            param(label)
                .and_then(|v| v.as_integer())
                .map(i128::from)
                .ok_or_else(|| {
                    malformed(format!(
                        "the `{name}` parameter ({label}) is missing or not an integer"
                    ))
                })
        };

        let material = match key.kty {
            KeyType::Assigned(iana::KeyType::EC2) => {
                let crv = int_param(-1, "crv")?;
                let curve = match i64::try_from(crv)
                    .ok()
                    .and_then(iana::EllipticCurve::from_i64)
                {
                    Some(iana::EllipticCurve::P_256) => Curve::P256,
                    Some(iana::EllipticCurve::P_384) => Curve::P384,
                    Some(iana::EllipticCurve::P_521) => Curve::P521,
                    _ => {
                        return Err(Unsupported::KeyType(format!("EC2 curve {crv}").into()).into());
                    }
                };
                let x = bytes_param(-2, "x")?;
                if param(-3).is_some_and(|v| v.as_bool().is_some()) {
                    return Err(malformed("compressed EC points are not accepted".into()));
                }
                let y = bytes_param(-3, "y")?;
                PublicKeyMaterial::ec(curve, x, y).map_err(|p| malformed(p.into()))?
            }
            KeyType::Assigned(iana::KeyType::OKP) => {
                let crv = int_param(-1, "crv")?;
                let x = bytes_param(-2, "x")?;
                if crv == i128::from(iana::EllipticCurve::Ed25519.to_i64()) {
                    PublicKeyMaterial::ed25519(x).map_err(|p| malformed(p.into()))?
                } else if crv == i128::from(iana::EllipticCurve::Ed448.to_i64()) {
                    PublicKeyMaterial::ed448(x).map_err(|p| malformed(p.into()))?
                } else {
                    return Err(Unsupported::KeyType(format!("OKP curve {crv}").into()).into());
                }
            }
            KeyType::Assigned(iana::KeyType::AKP) => {
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
            KeyType::Assigned(iana::KeyType::RSA) => {
                let n = bytes_param(-1, "n")?;
                let e = bytes_param(-2, "e")?;
                PublicKeyMaterial::rsa(n, e).map_err(|p| malformed(p.into()))?
            }
            RegisteredLabel::Assigned(other) => {
                return Err(Unsupported::KeyType(
                    format!("COSE key type {}", other.to_i64()).into(),
                )
                .into());
            }
            RegisteredLabel::Text(_) => {
                return Err(malformed("the key type (1) must be an integer".into()));
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

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = CredentialPublicKey::from_cose(&bytes);
        }
    }
}
