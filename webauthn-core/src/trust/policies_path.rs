//! Certificate paths that carry a critical certificate policies extension.
//!
//! Windows Hello's TPM attestation (AIK) certificates mark `certificatePolicies` critical.
//! `rustls-webpki` does not process certificate policies, so it refuses them
//! (`UnsupportedCriticalExtension`), and no Windows Hello attestation could ever be trusted.
//! RFC 5280 §6.1 lets a relying party validate such a path with the initial policy set
//! `any-policy` and no explicit policy required, in which case the policies extension accepts
//! the path. This module does that, and only that: it checks the path as given (leaf first,
//! each certificate issued by the next, the last by an anchor), with
//!
//! * signatures (RSA PKCS#1 v1.5 with SHA-256/384/512, ECDSA with the curve's own hash, Ed25519),
//! * issuer and subject names chaining byte for byte,
//! * validity at the given time,
//! * basic constraints (every issuer a CA, path length constraints) and key usage
//!   (`keyCertSign` on issuers),
//! * no critical extension other than basic constraints, key usage, extended key usage,
//!   subject alternative name and certificate policies.
//!
//! It runs only when webpki refused a path for an unsupported critical extension.

use der::asn1::ObjectIdentifier;
use der::{Decode as _, Reader as _, SliceReader};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};

use crate::cose::SignatureScheme;
use crate::crypto::PublicKeyMaterial;
use crate::time::UnixTime;
use crate::x509;

const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The critical extensions this validator understands (RFC 5280 §4.2).
const UNDERSTOOD_CRITICAL: [ObjectIdentifier; 5] = [
    ObjectIdentifier::new_unwrap("2.5.29.19"), // basicConstraints
    ObjectIdentifier::new_unwrap("2.5.29.15"), // keyUsage
    ObjectIdentifier::new_unwrap("2.5.29.37"), // extKeyUsage
    ObjectIdentifier::new_unwrap("2.5.29.17"), // subjectAltName
    ObjectIdentifier::new_unwrap("2.5.29.32"), // certificatePolicies
];

/// How many anchors are tried for the last certificate at most.
const MAX_ANCHOR_TRIES: usize = 16;

/// Verifies `chain` (leaf first) to one of `anchors` at `now`.
pub(super) fn verify(chain: &[Vec<u8>], anchors: &[&[u8]], now: UnixTime) -> Result<(), String> {
    let certs: Vec<Certificate> = chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            Certificate::from_der(der).map_err(|_| format!("x5c[{i}] cannot be parsed"))
        })
        .collect::<Result<_, _>>()?;
    for (i, cert) in certs.iter().enumerate() {
        check_validity(cert, now).map_err(|e| format!("x5c[{i}] {e}"))?;
        check_critical_extensions(cert).map_err(|e| format!("x5c[{i}]: {e}"))?;
    }
    // Each certificate is issued by the next one, which must be allowed to issue it.
    for (i, pair) in certs.windows(2).enumerate() {
        let [subject, issuer] = pair else { continue };
        let Some(subject_der) = chain.get(i) else {
            continue;
        };
        let below = i; // certificates below the issuer that are not self-issued: all of them here
        check_issuer(issuer, below).map_err(|e| format!("x5c[{}]: {e}", i + 1))?;
        check_issued_by(subject, subject_der, issuer)
            .map_err(|e| format!("x5c[{i}] is not issued by x5c[{}]: {e}", i + 1))?;
    }
    // The last certificate is an anchor, or is issued by one.
    let (Some(last), Some(last_der)) = (certs.last(), chain.last()) else {
        return Err("the trust path is empty".into());
    };
    if anchors.contains(&last_der.as_slice()) {
        return Ok(());
    }
    let mut tried = 0;
    for anchor_der in anchors {
        let Ok(anchor) = Certificate::from_der(anchor_der) else {
            continue;
        };
        if anchor.tbs_certificate().subject() != last.tbs_certificate().issuer() {
            continue;
        }
        tried += 1;
        if tried > MAX_ANCHOR_TRIES {
            break;
        }
        if check_issued_by(last, last_der, &anchor).is_ok() {
            return Ok(());
        }
    }
    Err("the certificate path does not lead to a trust anchor".into())
}

fn check_validity(cert: &Certificate, now: UnixTime) -> Result<(), String> {
    let validity = cert.tbs_certificate().validity();
    if now.as_secs() < validity.not_before.to_unix_duration().as_secs() {
        return Err("is not yet valid".into());
    }
    if now.as_secs() > validity.not_after.to_unix_duration().as_secs() {
        return Err("has expired".into());
    }
    Ok(())
}

fn check_critical_extensions(cert: &Certificate) -> Result<(), String> {
    for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
        if ext.critical && !UNDERSTOOD_CRITICAL.contains(&ext.extn_id) {
            return Err(format!(
                "has the unsupported critical extension {}",
                ext.extn_id
            ));
        }
    }
    Ok(())
}

/// An issuer must be a CA whose path length allows `below` certificates under it, and, if it
/// states its key usage, be allowed to sign certificates.
fn check_issuer(issuer: &Certificate, below: usize) -> Result<(), String> {
    let tbs = issuer.tbs_certificate();
    let constraints = tbs
        .get_extension::<BasicConstraints>()
        .map_err(|_| "the basic constraints are malformed")?
        .map(|(_, bc)| bc);
    match constraints {
        Some(bc) if bc.ca => {
            if let Some(len) = bc.path_len_constraint
                && below > usize::from(len)
            {
                return Err("the path is longer than its path length constraint allows".into());
            }
        }
        _ => return Err("issues a certificate but is not a CA".into()),
    }
    if let Some((_, usage)) = tbs
        .get_extension::<KeyUsage>()
        .map_err(|_| "the key usage is malformed")?
        && !usage.0.contains(KeyUsages::KeyCertSign)
    {
        return Err("issues a certificate but its key usage does not allow it".into());
    }
    Ok(())
}

/// `subject`'s issuer name is `issuer`'s subject, and `issuer`'s key signed `subject`.
fn check_issued_by(
    subject: &Certificate,
    subject_der: &[u8],
    issuer: &Certificate,
) -> Result<(), String> {
    if subject.tbs_certificate().issuer() != issuer.tbs_certificate().subject() {
        return Err("the names do not chain".into());
    }
    let key = x509::public_key(issuer)?;
    let oid = subject.signature_algorithm().oid;
    let scheme = match (oid, &key) {
        (o, PublicKeyMaterial::Rsa { .. }) if o == SHA256_WITH_RSA => {
            SignatureScheme::RsaPkcs1Sha256
        }
        (o, PublicKeyMaterial::Rsa { .. }) if o == SHA384_WITH_RSA => {
            SignatureScheme::RsaPkcs1Sha384
        }
        (o, PublicKeyMaterial::Rsa { .. }) if o == SHA512_WITH_RSA => {
            SignatureScheme::RsaPkcs1Sha512
        }
        (o, PublicKeyMaterial::P256(_)) if o == ECDSA_WITH_SHA256 => {
            SignatureScheme::EcdsaP256Sha256
        }
        (o, PublicKeyMaterial::P384(_)) if o == ECDSA_WITH_SHA384 => {
            SignatureScheme::EcdsaP384Sha384
        }
        (o, PublicKeyMaterial::P521(_)) if o == ECDSA_WITH_SHA512 => {
            SignatureScheme::EcdsaP521Sha512
        }
        (o, PublicKeyMaterial::Ed25519(_)) if o == ED25519 => SignatureScheme::Ed25519,
        (o, key) => {
            return Err(format!(
                "the signature algorithm {o} with a {} key is not supported",
                key.kind()
            ));
        }
    };
    let tbs = tbs_bytes(subject_der).ok_or("the certificate's signed part cannot be found")?;
    let signature = subject
        .signature()
        .as_bytes()
        .ok_or("the signature has unused bits")?;
    key.verify(scheme, tbs, signature)
        .map(|_| ())
        .map_err(|_| "the signature does not verify".to_owned())
}

/// The DER bytes of `tbsCertificate`, as signed: the first element of the certificate's
/// outer SEQUENCE, taken from the original encoding rather than re-encoded.
fn tbs_bytes(cert_der: &[u8]) -> Option<&[u8]> {
    let mut outer = SliceReader::new(cert_der).ok()?;
    let header = der::Header::decode(&mut outer).ok()?;
    let body = outer.read_slice(header.length()).ok()?;
    let mut inner = SliceReader::new(body).ok()?;
    let tbs_header = der::Header::decode(&mut inner).ok()?;
    let header_len = usize::try_from(u32::from(inner.position())).ok()?;
    let value_len = usize::try_from(u32::from(tbs_header.length())).ok()?;
    body.get(..header_len.checked_add(value_len)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{base64url, cbor, roots};

    /// The x5c of a real Windows Hello TPM registration (SimpleWebAuthn's test vector
    /// `swa-reg-tpm-san-compliant`), whose AIK certificate has critical certificate policies.
    fn windows_hello_x5c() -> Vec<Vec<u8>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../conformance/vectors/simplewebauthn.json"
        );
        let all: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let record = all
            .iter()
            .find(|r| r["id"] == "swa-reg-tpm-san-compliant")
            .unwrap();
        let att_obj = base64url::decode(
            record["inputs"]["response"]["response"]["attestationObject"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let value = cbor::decode_all(&att_obj).unwrap();
        value
            .get_text_key("attStmt")
            .and_then(|s| s.get_text_key("x5c"))
            .and_then(|x| x.as_array())
            .unwrap()
            .iter()
            .map(|c| c.as_bytes().unwrap().to_vec())
            .collect()
    }

    const VALID: UnixTime = UnixTime::from_secs(1_742_428_842); // 2025-03-20
    const MICROSOFT: &[u8] = include_bytes!("../../roots/microsoft-tpm-root-ca-2014.der");

    #[test]
    fn a_windows_hello_chain_validates_to_the_microsoft_root() {
        let chain = windows_hello_x5c();
        assert_eq!(chain.len(), 2);
        verify(&chain, &[MICROSOFT], VALID).unwrap();
        // Through the public entry point: webpki refuses the critical policies, this does not.
        super::super::verify_path(
            &chain,
            roots::for_format(crate::attestation::AttestationFormat::Tpm),
            VALID,
        )
        .unwrap();
    }

    #[test]
    fn broken_windows_hello_chains_are_refused() {
        let chain = windows_hello_x5c();
        let apple: &[u8] = include_bytes!("../../roots/apple-webauthn-root-ca.der");
        assert!(verify(&chain, &[apple], VALID).is_err(), "another anchor");
        assert!(
            verify(&chain, &[MICROSOFT], UnixTime::from_secs(1_800_000_000)).is_err(),
            "expired"
        );
        let reversed: Vec<Vec<u8>> = chain.iter().rev().cloned().collect();
        assert!(
            verify(&reversed, &[MICROSOFT], VALID).is_err(),
            "wrong order"
        );
        let mut forged = chain.clone();
        let last = forged[0].len() - 1;
        forged[0][last] ^= 1; // the leaf's signature
        assert!(
            verify(&forged, &[MICROSOFT], VALID).is_err(),
            "bad signature"
        );
        // The intermediate alone, with the leaf dropped, still chains (it is a CA), but an
        // intermediate can never be the leaf of a registration: the format checks its key.
        assert!(verify(&chain[1..], &[MICROSOFT], VALID).is_ok());
    }

    #[test]
    fn tbs_bytes_are_the_first_element() {
        // SEQUENCE { SEQUENCE { INTEGER 1 }, INTEGER 2 }
        let der = [0x30, 0x08, 0x30, 0x03, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02];
        assert_eq!(tbs_bytes(&der), Some(&der[2..7]));
        assert_eq!(tbs_bytes(&der[..5]), None);
        assert_eq!(tbs_bytes(&[]), None);
    }
}
