//! Signature verification: the one place that touches `ring` and the RustCrypto curves.
//!
//! `ring` verifies ECDSA P-256/P-384, Ed25519 and RSA (PKCS#1 v1.5 and PSS); `ring` has no
//! P-521, so ES512 goes through the `p521` crate. The `p256`/`p384` crates check that EC points
//! lie on their curve when a key is parsed, so that an invalid key is refused at registration
//! rather than failing every later sign-in.

use ring::signature::{self as rs, UnparsedPublicKey};

use crate::cose::SignatureScheme;
use crate::error::{Error, Rejection, Unsupported};
use crate::verified::SignatureValid;

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits (ring's limit).
pub const MAX_RSA_BITS: usize = 8192;

/// Public key material, validated when it is built.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum PublicKeyMaterial {
    /// An uncompressed SEC1 point (`04 || x || y`) on P-256.
    P256(Vec<u8>),
    /// An uncompressed SEC1 point on P-384.
    P384(Vec<u8>),
    /// An uncompressed SEC1 point on P-521.
    P521(Vec<u8>),
    /// An Ed25519 public key.
    Ed25519([u8; 32]),
    /// An Ed448 public key (57 bytes).
    Ed448(Vec<u8>),
    /// An ML-DSA (FIPS 204) public key of a parameter set.
    MlDsa(MlDsaLevel, Vec<u8>),
    /// An RSA public key: big-endian modulus without leading zeros, and exponent.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

impl std::fmt::Debug for PublicKeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind())
    }
}

/// An ML-DSA parameter set (FIPS 204).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MlDsaLevel {
    MlDsa44,
    MlDsa65,
    MlDsa87,
}

impl MlDsaLevel {
    /// The length of an encoded public key.
    pub(crate) fn public_key_len(self) -> usize {
        match self {
            Self::MlDsa44 => 1312,
            Self::MlDsa65 => 1952,
            Self::MlDsa87 => 2592,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::MlDsa44 => "ML-DSA-44",
            Self::MlDsa65 => "ML-DSA-65",
            Self::MlDsa87 => "ML-DSA-87",
        }
    }
}

/// Which curve an EC key is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub(crate) fn coordinate_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }
}

impl PublicKeyMaterial {
    /// An EC key from its affine coordinates; fails when the point is not on the curve.
    pub(crate) fn ec(curve: Curve, x: &[u8], y: &[u8]) -> Result<Self, &'static str> {
        let len = curve.coordinate_len();
        if x.len() != len || y.len() != len {
            return Err("EC coordinates have the wrong length for the curve");
        }
        let mut point = Vec::with_capacity(1 + 2 * len);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Self::ec_point(curve, point)
    }

    /// An EC key from an uncompressed SEC1 point; fails when the point is not on the curve.
    pub(crate) fn ec_point(curve: Curve, point: Vec<u8>) -> Result<Self, &'static str> {
        const NOT_ON_CURVE: &str = "the EC point is not on the curve";
        if point.len() != 1 + 2 * curve.coordinate_len() || point.first() != Some(&0x04) {
            return Err("expected an uncompressed EC point");
        }
        match curve {
            Curve::P256 => {
                p256::PublicKey::from_sec1_bytes(&point).map_err(|_| NOT_ON_CURVE)?;
                Ok(Self::P256(point))
            }
            Curve::P384 => {
                p384::PublicKey::from_sec1_bytes(&point).map_err(|_| NOT_ON_CURVE)?;
                Ok(Self::P384(point))
            }
            Curve::P521 => {
                p521::PublicKey::from_sec1_bytes(&point).map_err(|_| NOT_ON_CURVE)?;
                Ok(Self::P521(point))
            }
        }
    }

    /// An Ed25519 key.
    pub(crate) fn ed25519(x: &[u8]) -> Result<Self, &'static str> {
        let key: [u8; 32] = x
            .try_into()
            .map_err(|_| "an Ed25519 public key has 32 bytes")?;
        Ok(Self::Ed25519(key))
    }

    /// An Ed448 key.
    pub(crate) fn ed448(x: &[u8]) -> Result<Self, &'static str> {
        if x.len() != ed448_goldilocks::PUBLIC_KEY_LENGTH {
            return Err("an Ed448 public key has 57 bytes");
        }
        let bytes: [u8; 57] = x
            .try_into()
            .map_err(|_| "an Ed448 public key has 57 bytes")?;
        ed448_goldilocks::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| "the Ed448 public key is not a point on the curve")?;
        Ok(Self::Ed448(x.to_vec()))
    }

    /// An ML-DSA key of a parameter set.
    pub(crate) fn ml_dsa(level: MlDsaLevel, key: &[u8]) -> Result<Self, &'static str> {
        if key.len() != level.public_key_len() {
            return Err("the ML-DSA public key does not have its parameter set's length");
        }
        Ok(Self::MlDsa(level, key.to_vec()))
    }

    /// An RSA key; the modulus must have 2048 to 8192 bits and the exponent must be odd and
    /// at least 3.
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Result<Self, &'static str> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_len(n);
        if bits < MIN_RSA_BITS {
            return Err("the RSA modulus is shorter than 2048 bits");
        }
        if bits > MAX_RSA_BITS {
            return Err("the RSA modulus is longer than 8192 bits");
        }
        if e.is_empty() || e.len() > 4 || e.last().is_none_or(|b| b & 1 == 0) || e == [1] {
            return Err("the RSA exponent must be an odd number from 3 to 2^32-1");
        }
        Ok(Self::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// A short description of the key type.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::P256(_) => "EC P-256",
            Self::P384(_) => "EC P-384",
            Self::P521(_) => "EC P-521",
            Self::Ed25519(_) => "Ed25519",
            Self::Ed448(_) => "Ed448",
            Self::MlDsa(level, _) => level.name(),
            Self::Rsa { .. } => "RSA",
        }
    }

    /// Whether a signature scheme can be used with this key.
    pub(crate) fn fits(&self, scheme: SignatureScheme) -> bool {
        use SignatureScheme as S;
        matches!(
            (self, scheme),
            (Self::P256(_), S::EcdsaP256Sha256)
                | (Self::P384(_), S::EcdsaP384Sha384)
                | (Self::P521(_), S::EcdsaP521Sha512)
                | (Self::Ed25519(_), S::Ed25519)
                | (Self::Ed448(_), S::Ed448)
                | (Self::MlDsa(MlDsaLevel::MlDsa44, _), S::MlDsa44)
                | (Self::MlDsa(MlDsaLevel::MlDsa65, _), S::MlDsa65)
                | (Self::MlDsa(MlDsaLevel::MlDsa87, _), S::MlDsa87)
                | (
                    Self::Rsa { .. },
                    S::RsaPkcs1Sha256
                        | S::RsaPkcs1Sha384
                        | S::RsaPkcs1Sha512
                        | S::RsaPssSha256
                        | S::RsaPssSha384
                        | S::RsaPssSha512
                        | S::RsaPkcs1Sha1
                )
        )
    }

    /// Verifies `signature` over `message` with `scheme`.
    ///
    /// ECDSA signatures are ASN.1 DER `Ecdsa-Sig-Value` (WebAuthn §6.5.5); RSA signatures are
    /// raw; Ed25519 signatures are 64 bytes.
    pub(crate) fn verify(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<SignatureValid, Error> {
        use SignatureScheme as S;
        let invalid = || Error::Rejected(Rejection::SignatureInvalid);
        let ring_result = match (self, scheme) {
            (Self::P256(point), S::EcdsaP256Sha256) => {
                UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_ASN1, point)
                    .verify(message, signature)
            }
            (Self::P384(point), S::EcdsaP384Sha384) => {
                UnparsedPublicKey::new(&rs::ECDSA_P384_SHA384_ASN1, point)
                    .verify(message, signature)
            }
            (Self::P521(point), S::EcdsaP521Sha512) => {
                return verify_p521(point, message, signature).ok_or_else(invalid);
            }
            (Self::Ed25519(key), S::Ed25519) => {
                UnparsedPublicKey::new(&rs::ED25519, key).verify(message, signature)
            }
            (Self::Ed448(key), S::Ed448) => {
                return verify_ed448(key, message, signature).ok_or_else(invalid);
            }
            (Self::MlDsa(level, key), S::MlDsa44 | S::MlDsa65 | S::MlDsa87) => {
                let valid = match level {
                    MlDsaLevel::MlDsa44 => {
                        verify_ml_dsa::<ml_dsa::MlDsa44>(key, message, signature)
                    }
                    MlDsaLevel::MlDsa65 => {
                        verify_ml_dsa::<ml_dsa::MlDsa65>(key, message, signature)
                    }
                    MlDsaLevel::MlDsa87 => {
                        verify_ml_dsa::<ml_dsa::MlDsa87>(key, message, signature)
                    }
                };
                return valid.ok_or_else(invalid);
            }
            (Self::Rsa { n, e }, _) => {
                let params: &rs::RsaParameters = match scheme {
                    S::RsaPkcs1Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
                    S::RsaPkcs1Sha384 => &rs::RSA_PKCS1_2048_8192_SHA384,
                    S::RsaPkcs1Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
                    S::RsaPssSha256 => &rs::RSA_PSS_2048_8192_SHA256,
                    S::RsaPssSha384 => &rs::RSA_PSS_2048_8192_SHA384,
                    S::RsaPssSha512 => &rs::RSA_PSS_2048_8192_SHA512,
                    S::RsaPkcs1Sha1 => &rs::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                    S::EcdsaP256Sha256
                    | S::EcdsaP384Sha384
                    | S::EcdsaP521Sha512
                    | S::Ed25519
                    | S::Ed448
                    | S::MlDsa44
                    | S::MlDsa65
                    | S::MlDsa87 => {
                        return Err(mismatch(self, scheme));
                    }
                };
                rs::RsaPublicKeyComponents { n, e }.verify(params, message, signature)
            }
            _ => return Err(mismatch(self, scheme)),
        };
        ring_result
            .map(|()| SignatureValid(()))
            .map_err(|_| invalid())
    }
}

fn mismatch(key: &PublicKeyMaterial, scheme: SignatureScheme) -> Error {
    Error::Unsupported(Unsupported::KeyType(
        format!("a {} key cannot verify {scheme:?} signatures", key.kind()).into(),
    ))
}

fn verify_p521(point: &[u8], message: &[u8], signature: &[u8]) -> Option<SignatureValid> {
    use p521::ecdsa::signature::Verifier as _;
    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?;
    let sig = p521::ecdsa::DerSignature::from_bytes(signature).ok()?;
    key.verify(message, &sig).ok()?;
    Some(SignatureValid(()))
}

fn verify_ed448(key: &[u8], message: &[u8], signature: &[u8]) -> Option<SignatureValid> {
    let bytes: [u8; 57] = key.try_into().ok()?;
    let key = ed448_goldilocks::VerifyingKey::from_bytes(&bytes).ok()?;
    let signature = ed448_goldilocks::Signature::from_slice(signature).ok()?;
    // "Ed448" of RFC 8032 with an empty context, as COSE (RFC 9053 §2.2) uses it.
    key.verify_raw(&signature, message).ok()?;
    Some(SignatureValid(()))
}

/// ML-DSA in its "pure" mode with an empty context string (FIPS 204 Algorithm 3), as the COSE
/// ML-DSA algorithms specify.
fn verify_ml_dsa<P: ml_dsa::MlDsaParams>(
    key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Option<SignatureValid> {
    let encoded = ml_dsa::EncodedVerifyingKey::<P>::try_from(key).ok()?;
    let key = ml_dsa::VerifyingKey::<P>::decode(&encoded);
    let encoded_signature = ml_dsa::EncodedSignature::<P>::try_from(signature).ok()?;
    let signature = ml_dsa::Signature::<P>::decode(&encoded_signature)?;
    key.verify_with_context(message, &[], &signature)
        .then_some(SignatureValid(()))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

fn bit_len(be: &[u8]) -> usize {
    match be.first() {
        None => 0,
        Some(top) => (be.len() - 1) * 8 + (8 - usize::try_from(top.leading_zeros()).unwrap_or(8)),
    }
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_bounds() {
        let mut n = vec![0x80];
        n.extend(vec![0u8; 255]); // exactly 2048 bits
        assert!(PublicKeyMaterial::rsa(&n, &[1, 0, 1]).is_ok());
        assert!(
            PublicKeyMaterial::rsa(&n[1..], &[1, 0, 1]).is_err(),
            "2040 bits"
        );
        let mut padded = vec![0, 0];
        padded.extend_from_slice(&n);
        assert!(
            PublicKeyMaterial::rsa(&padded, &[1, 0, 1]).is_ok(),
            "leading zeros ignored"
        );
        assert!(
            PublicKeyMaterial::rsa(&n, &[1, 0, 0]).is_err(),
            "even exponent"
        );
        assert!(PublicKeyMaterial::rsa(&n, &[1]).is_err(), "exponent 1");
        assert!(PublicKeyMaterial::rsa(&n, &[]).is_err(), "empty exponent");
    }

    #[test]
    fn ec_points_must_be_on_the_curve() {
        // The P-256 generator is on the curve; changing one bit of y moves it off.
        let gx = hex32("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
        let gy = hex32("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
        assert!(PublicKeyMaterial::ec(Curve::P256, &gx, &gy).is_ok());
        let mut bad = gy;
        bad[31] ^= 1;
        assert_eq!(
            PublicKeyMaterial::ec(Curve::P256, &gx, &bad).unwrap_err(),
            "the EC point is not on the curve"
        );
        assert!(PublicKeyMaterial::ec(Curve::P256, &gx[1..], &gy).is_err());
    }

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
