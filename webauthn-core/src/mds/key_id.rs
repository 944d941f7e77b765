//! Attestation certificate key identifiers, the index of U2F and UAF entries.

use std::fmt;

use der::Decode as _;

use super::MdsError;

/// An attestation certificate key identifier: the SHA-1 of the certificate's
/// `subjectPublicKey` BIT STRING value, without tag, length and unused-bits octet (RFC 5280
/// §4.2.1.2, method 1). MDS3 writes it as 40 lowercase hexadecimal digits in
/// `attestationCertificateKeyIdentifiers`.
///
/// It identifies a key, not a certificate: every certificate issued for one attestation key has
/// the same identifier, whatever its subject key identifier extension says.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyIdentifier(pub [u8; 20]);

impl KeyIdentifier {
    /// Parses 40 hexadecimal digits (either case; MDS publishes lowercase).
    #[must_use]
    pub fn parse(hex: &str) -> Option<Self> {
        let bytes = hex.as_bytes();
        if bytes.len() != 40 {
            return None;
        }
        let mut out = [0u8; 20];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).ok()?;
            *slot = u8::from_str_radix(text, 16).ok()?;
        }
        Some(Self(out))
    }

    /// The key identifier of a DER certificate's subject public key, to look up the entry of a
    /// `fido-u2f` (or other key-identified) attestation certificate.
    ///
    /// # Errors
    ///
    /// [`MdsError::InvalidCertificate`] when `certificate` is not a DER X.509 certificate.
    pub fn of_certificate(certificate: &[u8]) -> Result<Self, MdsError> {
        let cert = x509_cert::Certificate::from_der(certificate).map_err(|e| {
            MdsError::InvalidCertificate(format!("not a DER X.509 certificate ({e})").into())
        })?;
        let bits = cert
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        Ok(Self::of_public_key_bits(bits))
    }

    /// The key identifier of the raw `subjectPublicKey` bits (for EC keys, the SEC1 point).
    #[must_use]
    pub fn of_public_key_bits(bits: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bits);
        let mut out = [0u8; 20];
        // A SHA-1 digest is always 20 bytes.
        out.iter_mut()
            .zip(digest.as_ref())
            .for_each(|(o, d)| *o = *d);
        Self(out)
    }
}

impl fmt::Display for KeyIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyIdentifier({self})")
    }
}
