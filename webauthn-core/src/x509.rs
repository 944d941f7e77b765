//! X.509 certificates in attestation statements (RFC 5280): parsing, public keys and the
//! FIDO-specific requirements of WebAuthn §8.2.1 and §8.6.
//!
//! Certificates are decoded with `x509-cert`, which rejects trailing bytes and enforces the
//! RFC 5280 profile (serial numbers of at most 20 octets, DER).

use der::Decode as _;
use der::asn1::{ObjectIdentifier, OctetStringRef, UintRef};
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;

use crate::crypto::{Curve, PublicKeyMaterial};
use crate::error::{Error, InputPart};
use crate::identifiers::Aaguid;

/// `id-fido-gen-ce-aaguid` (WebAuthn §8.2.1).
pub(crate) const ID_FIDO_GEN_CE_AAGUID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.45724.1.1.4");
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The largest certificate accepted, in bytes.
pub const MAX_CERTIFICATE_LEN: usize = 16 * 1024;

/// Parses a DER certificate; `field` names it in errors (`attStmt.x5c[0]`).
pub(crate) fn parse(der: &[u8], field: String) -> Result<Certificate, Error> {
    if der.len() > MAX_CERTIFICATE_LEN {
        return Err(Error::malformed(
            InputPart::Certificate,
            field,
            "is larger than 16 KiB",
        ));
    }
    Certificate::from_der(der).map_err(|e| {
        Error::malformed(
            InputPart::Certificate,
            field,
            format!("is not a DER X.509 certificate ({e})"),
        )
    })
}

/// The certificate's subject public key.
pub(crate) fn public_key(cert: &Certificate) -> Result<PublicKeyMaterial, String> {
    let spki = cert.tbs_certificate().subject_public_key_info();
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or("the subject public key has unused bits")?;
    let oid = spki.algorithm.oid;
    if oid == ID_EC_PUBLIC_KEY {
        let curve_oid: ObjectIdentifier = spki
            .algorithm
            .parameters
            .as_ref()
            .ok_or("an EC key without a named curve")?
            .decode_as()
            .map_err(|_| "an EC key whose parameters are not a named curve")?;
        let curve = match curve_oid {
            c if c == SECP256R1 => Curve::P256,
            c if c == SECP384R1 => Curve::P384,
            c if c == SECP521R1 => Curve::P521,
            other => return Err(format!("an EC key on the unsupported curve {other}")),
        };
        PublicKeyMaterial::ec_point(curve, key_bytes.to_vec()).map_err(str::to_owned)
    } else if oid == RSA_ENCRYPTION {
        let parts: Vec<UintRef<'_>> =
            Vec::from_der(key_bytes).map_err(|_| "an RSA key that is not an RSAPublicKey")?;
        match parts.as_slice() {
            [n, e] => PublicKeyMaterial::rsa(n.as_bytes(), e.as_bytes()).map_err(str::to_owned),
            _ => Err("an RSA key that is not an RSAPublicKey".to_owned()),
        }
    } else if oid == ID_ED25519 {
        PublicKeyMaterial::ed25519(key_bytes).map_err(str::to_owned)
    } else {
        Err(format!("a public key of the unsupported type {oid}"))
    }
}

/// The certificate extension `oid`, if present: whether it is critical, and its value (the DER
/// inside the OCTET STRING). RFC 5280 §4.2: a certificate must not include more than one
/// instance of an extension.
pub(crate) fn extension<'c>(
    cert: &'c Certificate,
    oid: &ObjectIdentifier,
) -> Result<Option<(bool, &'c [u8])>, String> {
    let mut found = None;
    for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
        if ext.extn_id != *oid {
            continue;
        }
        if found.is_some() {
            return Err(format!("the extension {oid} appears twice"));
        }
        found = Some((ext.critical, ext.extn_value.as_bytes()));
    }
    Ok(found)
}

/// The value of the certificate extension `oid`, if present (see [`extension`]).
pub(crate) fn extension_value<'c>(
    cert: &'c Certificate,
    oid: &ObjectIdentifier,
) -> Result<Option<&'c [u8]>, String> {
    Ok(extension(cert, oid)?.map(|(_, value)| value))
}

/// The `id-fido-gen-ce-aaguid` extension, if present: it must not be critical and must hold a
/// 16-byte OCTET STRING (wrapped, as every extension value, in a second OCTET STRING).
pub(crate) fn aaguid_extension(cert: &Certificate) -> Result<Option<Aaguid>, String> {
    let Some((critical, value)) = extension(cert, &ID_FIDO_GEN_CE_AAGUID)? else {
        return Ok(None);
    };
    if critical {
        return Err("the AAGUID extension must not be critical".into());
    }
    let inner = <&OctetStringRef>::from_der(value)
        .map_err(|_| "the AAGUID extension is not an OCTET STRING")?;
    let bytes: [u8; 16] = inner
        .as_bytes()
        .try_into()
        .map_err(|_| "the AAGUID extension does not hold 16 bytes")?;
    Ok(Some(Aaguid(bytes)))
}

/// Whether the Basic Constraints extension marks the certificate as a CA.
pub(crate) fn is_ca(cert: &Certificate) -> Result<bool, String> {
    match cert.tbs_certificate().get_extension::<BasicConstraints>() {
        Ok(Some((_, bc))) => Ok(bc.ca),
        Ok(None) => Ok(false),
        Err(_) => Err("the Basic Constraints extension is malformed or repeated".into()),
    }
}

/// WebAuthn §8.2.1: the certificate requirements of packed attestation.
pub(crate) fn check_packed_requirements(cert: &Certificate) -> Result<(), String> {
    let tbs = cert.tbs_certificate();
    if tbs.version() != x509_cert::Version::V3 {
        return Err("the attestation certificate is not version 3".into());
    }
    let subject = tbs.subject();
    let text = |r: der::Result<Option<x509_cert::ext::pkix::name::DirectoryString>>| {
        r.ok().flatten().map(|s| s.value().into_owned())
    };
    let country = subject
        .country()
        .ok()
        .flatten()
        .map(|c| c.as_str().to_owned());
    if country.is_none_or(|c| c.len() != 2) {
        return Err("the subject has no two-letter country (C)".into());
    }
    if text(subject.organization()).is_none_or(|o| o.is_empty()) {
        return Err("the subject has no organization (O)".into());
    }
    if text(subject.organization_unit()).as_deref() != Some("Authenticator Attestation") {
        return Err(
            "the subject organizational unit (OU) is not \"Authenticator Attestation\"".into(),
        );
    }
    if text(subject.common_name()).is_none_or(|cn| cn.is_empty()) {
        return Err("the subject has no common name (CN)".into());
    }
    if is_ca(cert)? {
        return Err(
            "the attestation certificate is a CA certificate (Basic Constraints CA is true)".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage_and_oversized_input() {
        assert_eq!(
            parse(b"not a cert", "x5c[0]".into()).unwrap_err().code(),
            "malformed_attestation"
        );
        assert!(parse(&vec![0x30; MAX_CERTIFICATE_LEN + 1], "x5c[0]".into()).is_err());
        // A SEQUENCE header that promises more than there is.
        assert!(parse(&[0x30, 0x82, 0x01, 0x00, 0x30], "x5c[0]".into()).is_err());
    }
}
