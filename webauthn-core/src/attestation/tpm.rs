//! The `tpm` attestation statement format (§8.3), used by authenticators whose cryptographic
//! engine is a TPM 2.0, such as Windows Hello.
//!
//! ```text
//! tpmStmtFormat = {
//!                     ver: "2.0",
//!                     (
//!                         alg: COSEAlgorithmIdentifier,
//!                         x5c: [ aikCert: bytes, * (caCert: bytes) ]
//!                     )
//!                     sig: bytes,
//!                     certInfo: bytes,   ; TPMS_ATTEST, see structures.rs
//!                     pubArea: bytes     ; TPMT_PUBLIC, see structures.rs
//!                 }
//! ```
//!
//! ECDAA (`ecdaaKeyId`, WebAuthn Level 1) was removed from the specification; a statement that
//! carries it is refused as having a key outside the syntax.
//!
//! `sig` is, as every TPM and client produces it and as the W3C test vectors carry it, the raw
//! signature (RSASSA-PKCS1-v1_5 or RSASSA-PSS) or the ASN.1 DER `Ecdsa-Sig-Value` (§6.5.5),
//! not a marshalled `TPMT_SIGNATURE`.

mod aik;
mod structures;

use ring::digest;

use self::structures::{
    AlgId, Attest, Attested, ParseError, PublicArea, TPM_GENERATED_VALUE, TPM_ST_ATTEST_CERTIFY,
    TpmPublicKey,
};
use super::{Fields, StatementInputs, alg_and_sig};
use crate::cbor::Value;
use crate::cose::SignatureScheme;
use crate::crypto::{Curve, PublicKeyMaterial};
use crate::error::{Error, Unsupported};
use crate::verified::{AttestationType, AttestationVerified};
use crate::x509;

/// The §8.3 verification procedure; each step quotes the specification.
pub(super) fn verify(inputs: &StatementInputs<'_, '_>) -> Result<AttestationVerified, Error> {
    // Verify that attStmt is valid CBOR conforming to the syntax and extract its fields.
    let fields = inputs.fields(&["ver", "alg", "x5c", "sig", "certInfo", "pubArea"])?;
    match fields.get("ver") {
        None => return Err(inputs.malformed("ver", "is missing")),
        Some(Value::Text("2.0")) => {}
        Some(Value::Text(other)) => {
            let shown: String = other.chars().take(16).collect();
            return Err(inputs.malformed("ver", format!("is {shown:?}, expected \"2.0\"")));
        }
        Some(v) => {
            return Err(inputs.malformed("ver", format!("is a {}, not a text string", v.kind())));
        }
    }
    let (alg, sig) = alg_and_sig(inputs, &fields)?;
    // "Verify that x5c is present": the syntax requires it since ECDAA was removed.
    let x5c = fields
        .get("x5c")
        .ok_or_else(|| inputs.malformed("x5c", "is missing"))?;
    let chain = inputs.x5c(x5c)?;
    let cert_info_bytes = byte_field(inputs, &fields, "certInfo")?;
    let pub_area_bytes = byte_field(inputs, &fields, "pubArea")?;
    let scheme = inputs.scheme(alg)?;
    let (extra_data_hash, hash_name) =
        attestation_hash(scheme).ok_or(Error::Unsupported(Unsupported::Algorithm(alg)))?;
    let pub_area = PublicArea::parse(pub_area_bytes).map_err(|e| malformed(inputs, e))?;
    let cert_info = Attest::parse(cert_info_bytes).map_err(|e| malformed(inputs, e))?;

    // Verify that the public key in the parameters and unique fields of pubArea is identical
    // to the credentialPublicKey in the attestedCredentialData in authenticatorData.
    check_public_key(inputs, &pub_area)?;

    // Concatenate authenticatorData and clientDataHash to form attToBeSigned.
    let att_to_be_signed = inputs.signed_data();

    // Verify integrity of certInfo:
    // - x5c is present (above);
    // - aikCert meets the requirements of §8.3.1;
    let aik_der = chain.first().map(Vec::as_slice).unwrap_or_default();
    let aik = x509::parse(aik_der, "attStmt.x5c[0]".into())?;
    aik::check_requirements(&aik).map_err(|e| inputs.invalid(e))?;
    // - the id-fido-gen-ce-aaguid extension, if present, matches the attested AAGUID;
    if let Some(aaguid) = x509::aaguid_extension(&aik).map_err(|e| inputs.invalid(e))?
        && aaguid != inputs.attested.aaguid
    {
        return Err(inputs.invalid(format!(
            "the AIK certificate's AAGUID extension ({}) holds {aaguid}, the authenticator data's AAGUID is {}",
            x509::ID_FIDO_GEN_CE_AAGUID,
            inputs.attested.aaguid
        )));
    }
    // - sig is a valid signature over certInfo with the aikCert key and alg.
    let aik_key =
        x509::public_key(&aik).map_err(|e| inputs.invalid(format!("AIK certificate: {e}")))?;
    if !aik_key.fits(scheme) {
        return Err(inputs.invalid(format!(
            "alg {alg} does not fit the AIK certificate's {} key",
            aik_key.kind()
        )));
    }
    aik_key.verify(scheme, cert_info_bytes, sig).map_err(|_| {
        inputs.invalid("sig does not verify over certInfo with the AIK certificate")
    })?;

    // Validate that certInfo is valid:
    // - magic is TPM_GENERATED_VALUE;
    if cert_info.magic != TPM_GENERATED_VALUE {
        return Err(inputs.invalid(format!(
            "certInfo.magic is 0x{:08x}, expected TPM_GENERATED_VALUE (0x{TPM_GENERATED_VALUE:08x})",
            cert_info.magic
        )));
    }
    // - type is TPM_ST_ATTEST_CERTIFY;
    let Attested::Certify { name } = cert_info.attested else {
        return Err(inputs.invalid(format!(
            "certInfo.type is 0x{:04x}, expected TPM_ST_ATTEST_CERTIFY (0x{TPM_ST_ATTEST_CERTIFY:04x})",
            cert_info.attest_type
        )));
    };
    // - extraData is the hash of attToBeSigned with the hash algorithm of alg;
    let expected_extra_data = digest::digest(extra_data_hash, &att_to_be_signed);
    if cert_info.extra_data != expected_extra_data.as_ref() {
        return Err(inputs.invalid(format!(
            "certInfo.extraData ({} bytes) is not the {hash_name} hash of authenticatorData || clientDataHash (alg {alg})",
            cert_info.extra_data.len()
        )));
    }
    // - attested.name is a valid Name for pubArea (TPM 2.0 Part 1 §16): nameAlg followed by the
    //   nameAlg digest of pubArea.
    check_name(inputs, &pub_area, pub_area_bytes, name)?;
    // qualifiedSigner, clockInfo and firmwareVersion are ignored (they may be obfuscated).

    // AttCA, with the trust path x5c.
    Ok(AttestationVerified {
        attestation_type: AttestationType::AttCa,
        trust_path: chain,
    })
}

/// A non-empty byte string field of the statement.
fn byte_field<'a>(
    inputs: &StatementInputs<'_, 'a>,
    fields: &Fields<'_, 'a>,
    key: &str,
) -> Result<&'a [u8], Error> {
    match fields.get(key) {
        None => Err(inputs.malformed(key, "is missing")),
        Some(Value::Bytes([])) => Err(inputs.malformed(key, "is empty")),
        Some(Value::Bytes(b)) => Ok(b),
        Some(v) => Err(inputs.malformed(key, format!("is a {}, not a byte string", v.kind()))),
    }
}

/// A structure that could not be decoded, with its field and byte offset.
fn malformed(inputs: &StatementInputs<'_, '_>, e: ParseError) -> Error {
    match inputs.malformed(e.field, e.problem) {
        Error::Malformed(m) => Error::Malformed(m.at(e.offset)),
        other => other,
    }
}

/// "The hash algorithm employed in alg", which hashes attToBeSigned into extraData.
fn attestation_hash(scheme: SignatureScheme) -> Option<(&'static digest::Algorithm, &'static str)> {
    use SignatureScheme as S;
    match scheme {
        S::RsaPkcs1Sha1 => Some((&digest::SHA1_FOR_LEGACY_USE_ONLY, "SHA-1")),
        S::RsaPkcs1Sha256 | S::RsaPssSha256 | S::EcdsaP256Sha256 => {
            Some((&digest::SHA256, "SHA-256"))
        }
        S::RsaPkcs1Sha384 | S::RsaPssSha384 | S::EcdsaP384Sha384 => {
            Some((&digest::SHA384, "SHA-384"))
        }
        S::RsaPkcs1Sha512 | S::RsaPssSha512 | S::EcdsaP521Sha512 => {
            Some((&digest::SHA512, "SHA-512"))
        }
        // EdDSA and ML-DSA take the message itself: "the hash algorithm employed in alg" does
        // not exist for them, and no TPM 2.0 signs with them.
        S::Ed25519 | S::Ed448 | S::MlDsa44 | S::MlDsa65 | S::MlDsa87 => None,
    }
}

/// The hash of a TPM `nameAlg`, if supported.
fn name_hash(name_alg: AlgId) -> Option<&'static digest::Algorithm> {
    match name_alg {
        AlgId::SHA1 => Some(&digest::SHA1_FOR_LEGACY_USE_ONLY),
        AlgId::SHA256 => Some(&digest::SHA256),
        AlgId::SHA384 => Some(&digest::SHA384),
        AlgId::SHA512 => Some(&digest::SHA512),
        _ => None,
    }
}

/// The public key of pubArea is the credential public key.
fn check_public_key(
    inputs: &StatementInputs<'_, '_>,
    pub_area: &PublicArea<'_>,
) -> Result<(), Error> {
    let credential = inputs.credential_key.material();
    let kind_mismatch = |tpm_kind: &str| {
        inputs.invalid(format!(
            "pubArea holds {tpm_kind} key, the credential public key is {}",
            credential.kind()
        ))
    };
    match &pub_area.key {
        TpmPublicKey::Rsa { exponent, modulus } => {
            let PublicKeyMaterial::Rsa { n, e } = credential else {
                return Err(kind_mismatch("an RSA"));
            };
            if strip_leading_zeros(modulus) != n.as_slice() {
                return Err(inputs.invalid(
                    "pubArea.unique (the RSA modulus) differs from the credential public key's modulus",
                ));
            }
            // The credential exponent has at most 4 bytes (PublicKeyMaterial::rsa).
            let credential_e = e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            if credential_e != u64::from(*exponent) {
                return Err(inputs.invalid(format!(
                    "pubArea.parameters.exponent is {exponent}, the credential public key's exponent is {credential_e}"
                )));
            }
            Ok(())
        }
        TpmPublicKey::Ecc { curve, x, y } => {
            let (credential_curve, point) = match credential {
                PublicKeyMaterial::P256(point) => (Curve::P256, point),
                PublicKeyMaterial::P384(point) => (Curve::P384, point),
                PublicKeyMaterial::P521(point) => (Curve::P521, point),
                _ => return Err(kind_mismatch("an EC")),
            };
            if curve.curve() != Some(credential_curve) {
                return Err(inputs.invalid(format!(
                    "pubArea.parameters.curveID is {curve}, the credential public key is {}",
                    credential.kind()
                )));
            }
            // A TPM2B_ECC_PARAMETER is an unsigned big-endian integer: compare magnitudes, so
            // that a coordinate with its leading zero bytes dropped (or one more) is the same.
            let len = credential_curve.coordinate_len();
            let mut tpm_point = Vec::with_capacity(1 + 2 * len);
            tpm_point.push(0x04);
            for coordinate in [x, y] {
                let magnitude = strip_leading_zeros(coordinate);
                let padding = len.checked_sub(magnitude.len()).ok_or_else(|| {
                    inputs.invalid(format!(
                        "pubArea.unique holds a {}-byte coordinate, longer than the curve's {len} bytes",
                        magnitude.len()
                    ))
                })?;
                tpm_point.resize(tpm_point.len() + padding, 0);
                tpm_point.extend_from_slice(magnitude);
            }
            if tpm_point != *point {
                return Err(inputs.invalid(
                    "pubArea.unique (the EC point) differs from the credential public key",
                ));
            }
            Ok(())
        }
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

/// `attested.name` is `nameAlg || H_nameAlg(pubArea)`.
fn check_name(
    inputs: &StatementInputs<'_, '_>,
    pub_area: &PublicArea<'_>,
    pub_area_bytes: &[u8],
    name: &[u8],
) -> Result<(), Error> {
    let hash = name_hash(pub_area.name_alg).ok_or_else(|| {
        inputs.invalid(format!(
            "pubArea.nameAlg is {}, expected {}, {}, {} or {}",
            pub_area.name_alg,
            AlgId::SHA1,
            AlgId::SHA256,
            AlgId::SHA384,
            AlgId::SHA512
        ))
    })?;
    let mut expected = pub_area.name_alg.0.to_be_bytes().to_vec();
    expected.extend_from_slice(digest::digest(hash, pub_area_bytes).as_ref());
    if name != expected.as_slice() {
        let found_alg = match name {
            [a, b, ..] => AlgId(u16::from_be_bytes([*a, *b])).to_string(),
            _ => "too short to name one".to_owned(),
        };
        return Err(inputs.invalid(format!(
            "certInfo.attested.name is not the Name of pubArea (expected nameAlg {} and its digest of pubArea; the name's algorithm is {found_alg})",
            pub_area.name_alg
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
