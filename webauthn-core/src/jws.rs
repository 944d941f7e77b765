//! JSON Web Signatures in compact serialization (RFC 7515 §7.1), as `android-safetynet`
//! statements and FIDO Metadata Service BLOBs carry them:
//!
//! ```text
//! BASE64URL(UTF8(header)) "." BASE64URL(payload) "." BASE64URL(signature)
//! header = {"alg": "RS256" | "ES256" | ..., "x5c": [base64 DER certificate, ...], ...}
//! ```
//!
//! The signature is verified with the public key of `x5c[0]`; whether that certificate is
//! trusted is the caller's question (certificate paths, hostnames, CRLs).

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::base64url;
use crate::cose::SignatureScheme;
use crate::crypto::PublicKeyMaterial;
use crate::verified::SignatureValid;

/// The largest compact JWS accepted, in bytes (an MDS BLOB is a few megabytes).
pub(crate) const MAX_JWS_LEN: usize = 16 * 1024 * 1024;

/// A decoded compact JWS whose signature has not been checked yet.
#[derive(Debug, Clone)]
pub(crate) struct Jws<'a> {
    /// The protected header.
    pub(crate) header: Map<String, Value>,
    /// `alg`, mapped to the signature scheme.
    pub(crate) scheme: JwsScheme,
    /// `x5c`: DER certificates, signer first.
    pub(crate) x5c: Vec<Vec<u8>>,
    /// The decoded payload.
    pub(crate) payload: Vec<u8>,
    signing_input: &'a [u8],
    signature: Vec<u8>,
}

/// A JWS `alg` this library verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwsScheme {
    /// RSASSA-PKCS1-v1_5 and RSASSA-PSS (`RS256`...`PS512`), with a raw signature.
    Rsa(SignatureScheme),
    /// ECDSA (`ES256`, `ES384`, `ES512`), with the fixed-length `r || s` signature of RFC 7518
    /// §3.4; the coordinate length in bytes.
    Ecdsa(SignatureScheme, usize),
}

impl<'a> Jws<'a> {
    /// Splits and decodes a compact JWS. Nothing is verified yet.
    pub(crate) fn parse(text: &'a str) -> Result<Self, String> {
        if text.len() > MAX_JWS_LEN {
            return Err("the JWS is larger than 16 MiB".into());
        }
        let text = text.trim();
        let mut parts = text.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("a compact JWS has exactly three parts separated by '.'".into());
        };
        let header_bytes =
            base64url::decode(header_b64).map_err(|_| "the JWS header is not base64url")?;
        let header: Map<String, Value> = serde_json::from_slice(&header_bytes)
            .map_err(|_| "the JWS header is not a JSON object")?;
        let payload =
            base64url::decode(payload_b64).map_err(|_| "the JWS payload is not base64url")?;
        let signature =
            base64url::decode(signature_b64).map_err(|_| "the JWS signature is not base64url")?;
        let scheme = match header.get("alg").and_then(Value::as_str) {
            Some("RS256") => JwsScheme::Rsa(SignatureScheme::RsaPkcs1Sha256),
            Some("RS384") => JwsScheme::Rsa(SignatureScheme::RsaPkcs1Sha384),
            Some("RS512") => JwsScheme::Rsa(SignatureScheme::RsaPkcs1Sha512),
            Some("PS256") => JwsScheme::Rsa(SignatureScheme::RsaPssSha256),
            Some("PS384") => JwsScheme::Rsa(SignatureScheme::RsaPssSha384),
            Some("PS512") => JwsScheme::Rsa(SignatureScheme::RsaPssSha512),
            Some("ES256") => JwsScheme::Ecdsa(SignatureScheme::EcdsaP256Sha256, 32),
            Some("ES384") => JwsScheme::Ecdsa(SignatureScheme::EcdsaP384Sha384, 48),
            Some("ES512") => JwsScheme::Ecdsa(SignatureScheme::EcdsaP521Sha512, 66),
            Some(other) => return Err(format!("the JWS algorithm {other:?} is not supported")),
            None => return Err("the JWS header has no alg".into()),
        };
        let x5c = match header.get("x5c") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|c| {
                    c.as_str()
                        // RFC 7515 §4.1.6: x5c values are base64, not base64url.
                        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                        .filter(|der| !der.is_empty())
                        .ok_or_else(|| "a JWS x5c entry is not base64 DER".to_owned())
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("the JWS x5c header is not an array".into()),
        };
        // The signing input is the ASCII of header "." payload (RFC 7515 §5.2 step 8).
        let signing_len = header_b64.len() + 1 + payload_b64.len();
        let signing_input = text
            .as_bytes()
            .get(..signing_len)
            .ok_or("the JWS is truncated")?;
        Ok(Self {
            header,
            scheme,
            x5c,
            payload,
            signing_input,
            signature,
        })
    }

    /// Verifies the signature with `key`.
    pub(crate) fn verify_with(&self, key: &PublicKeyMaterial) -> Result<SignatureValid, String> {
        let (scheme, signature) = match self.scheme {
            JwsScheme::Rsa(scheme) => (scheme, self.signature.clone()),
            JwsScheme::Ecdsa(scheme, len) => (
                scheme,
                fixed_to_der(&self.signature, len)
                    .ok_or("the JWS ECDSA signature does not have the length of its algorithm")?,
            ),
        };
        if !key.fits(scheme) {
            return Err(format!(
                "the JWS algorithm does not fit the signing certificate's {} key",
                key.kind()
            ));
        }
        key.verify(scheme, self.signing_input, &signature)
            .map_err(|_| "the JWS signature does not verify".to_owned())
    }
}

/// Converts a fixed-length ECDSA signature `r || s` (RFC 7518 §3.4) into ASN.1 DER
/// `Ecdsa-Sig-Value`.
fn fixed_to_der(signature: &[u8], len: usize) -> Option<Vec<u8>> {
    if signature.len() != 2 * len {
        return None;
    }
    let (r, s) = signature.split_at(len);
    let mut body = der_uint(r);
    body.extend(der_uint(s));
    let mut out = vec![0x30];
    out.extend(der_len(body.len()));
    out.extend(body);
    Some(out)
}

fn der_uint(be: &[u8]) -> Vec<u8> {
    let first = be
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(be.len().saturating_sub(1));
    let digits = be.get(first..).unwrap_or(&[0]);
    let digits = if digits.is_empty() { &[0][..] } else { digits };
    let mut value = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_some_and(|b| b & 0x80 != 0) {
        value.push(0);
    }
    value.extend_from_slice(digits);
    let mut out = vec![0x02];
    out.extend(der_len(value.len()));
    out.extend(value);
    out
}

fn der_len(len: usize) -> Vec<u8> {
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => vec![short],
        Ok(byte) => vec![0x81, byte],
        Err(_) => {
            let bytes = len.to_be_bytes();
            let first = bytes
                .iter()
                .position(|b| *b != 0)
                .unwrap_or(bytes.len() - 1);
            let significant = bytes.get(first..).unwrap_or_default();
            let mut out = vec![0x80 | u8::try_from(significant.len()).unwrap_or(0)];
            out.extend_from_slice(significant);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

    fn es256_jws(payload: &[u8]) -> (String, PublicKeyMaterial) {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let header = base64url::encode(br#"{"alg":"ES256","typ":"JWT"}"#);
        let body = base64url::encode(payload);
        let input = format!("{header}.{body}");
        let sig = key.sign(&rng, input.as_bytes()).unwrap();
        let public = PublicKeyMaterial::ec_point(
            crate::crypto::Curve::P256,
            key.public_key().as_ref().to_vec(),
        )
        .unwrap();
        (
            format!("{input}.{}", base64url::encode(sig.as_ref())),
            public,
        )
    }

    #[test]
    fn verifies_an_es256_jws_and_refuses_changes() {
        let (jws, key) = es256_jws(b"{\"no\":1}");
        let parsed = Jws::parse(&jws).unwrap();
        assert_eq!(parsed.payload, b"{\"no\":1}");
        assert!(parsed.verify_with(&key).is_ok());
        // Another payload under the same signature.
        let mut parts: Vec<&str> = jws.split('.').collect();
        let other = base64url::encode(b"{\"no\":2}");
        parts[1] = &other;
        assert!(
            Jws::parse(&parts.join("."))
                .unwrap()
                .verify_with(&key)
                .is_err()
        );
    }

    #[test]
    fn refuses_malformed_jws() {
        let x5c_not_strings = format!(
            "{}.e30.AA",
            base64url::encode(br#"{"alg":"ES256","x5c":[1]}"#)
        );
        let alg_none = format!("{}.e30.AA", base64url::encode(br#"{"alg":"none"}"#));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "e30.e30.e30",
            "e30.e3=.AA",
            &alg_none,
            &x5c_not_strings,
        ] {
            assert!(Jws::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fixed_signatures_become_der() {
        let mut sig = vec![0u8; 64];
        sig[0] = 0x80; // r needs a leading zero
        sig[63] = 1; // s is 1
        let der = fixed_to_der(&sig, 32).unwrap();
        assert_eq!(&der[..4], &[0x30, 0x26, 0x02, 0x21]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
        assert!(fixed_to_der(&sig[..63], 32).is_none());
    }
}
