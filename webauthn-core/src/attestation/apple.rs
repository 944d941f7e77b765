//! The `apple` anonymous attestation statement format (§8.8), used by Apple devices: a
//! per-credential certificate from the Apple WebAuthn CA, with no signature in the statement.
//!
//! ```text
//! appleStmtFormat = {
//!                       x5c: [ credCert: bytes, * (caCert: bytes) ]
//!                   }
//! ```
//!
//! Apple devices also send `alg` (-7), which §8.8 does not define; it is accepted when it is an
//! integer and otherwise ignored, since nothing is signed with it.
//!
//! `credCert` carries the nonce extension, OID 1.2.840.113635.100.8.2, whose value (checked
//! against Apple devices and the W3C test vector) is:
//!
//! ```text
//! AppleAnonymousAttestation ::= SEQUENCE {
//!     nonce  [1] EXPLICIT OCTET STRING (SIZE (32)),  -- SHA-256(authenticatorData || clientDataHash)
//!     ...                                            -- other [n] EXPLICIT fields are skipped
//! }
//! ```
//!
//! The chain to the Apple WebAuthn Root CA is checked by the registration ceremony (§7.1
//! step 24), not here.

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode as _, Reader as _, SliceReader, Tag, Tagged as _};

use super::StatementInputs;
use crate::crypto::sha256;
use crate::error::Error;
use crate::verified::{AttestationType, AttestationVerified};
use crate::x509;

/// Apple's anonymous attestation nonce extension.
const ID_APPLE_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113635.100.8.2");

/// The context-specific tag number of the nonce.
const NONCE_TAG: u32 = 1;

pub(super) fn verify(inputs: &StatementInputs<'_, '_>) -> Result<AttestationVerified, Error> {
    // Step 1: valid CBOR conforming to the syntax (and Apple's undocumented `alg`).
    let fields = inputs.fields(&["x5c", "alg"])?;
    if let Some(alg) = fields.get("alg")
        && alg.as_i64().is_none()
    {
        return Err(inputs.malformed("alg", format!("is a {}, not an integer", alg.kind())));
    }
    let x5c = fields
        .get("x5c")
        .ok_or_else(|| inputs.malformed("x5c", "is missing"))?;
    let chain = inputs.x5c(x5c)?;
    let leaf_der = chain.first().map(Vec::as_slice).unwrap_or_default();
    let leaf = x509::parse(leaf_der, "attStmt.x5c[0]".into())?;

    // Steps 2–3: nonce = SHA-256(authenticatorData || clientDataHash).
    let nonce = sha256(&inputs.signed_data());

    // Step 4: nonce equals the value of the extension 1.2.840.113635.100.8.2 in credCert.
    let extension = x509::extension_value(&leaf, &ID_APPLE_NONCE)
        .map_err(|problem| inputs.malformed("x5c[0]", problem))?
        .ok_or_else(|| {
            inputs.invalid(
                "the credential certificate has no nonce extension (1.2.840.113635.100.8.2)",
            )
        })?;
    let certified_nonce = parse_nonce_extension(extension).map_err(|problem| {
        inputs.malformed(
            "x5c[0]",
            format!("the nonce extension (1.2.840.113635.100.8.2) is malformed: {problem}"),
        )
    })?;
    if certified_nonce != nonce {
        return Err(inputs.invalid(
            "the certificate's nonce is not SHA-256(authenticatorData || clientDataHash)",
        ));
    }

    // Step 5: the credential public key equals the subject public key of credCert.
    let cert_key = x509::public_key(&leaf)
        .map_err(|e| inputs.invalid(format!("credential certificate (x5c[0]): {e}")))?;
    let credential_key = inputs.credential_key.material();
    if cert_key != *credential_key {
        return Err(inputs.invalid(format!(
            "the credential certificate's public key ({}) is not the credential public key ({})",
            cert_key.kind(),
            credential_key.kind()
        )));
    }

    // Step 6: attestation type Anonymization CA, trust path x5c.
    Ok(AttestationVerified {
        attestation_type: AttestationType::AnonCa,
        trust_path: chain,
    })
}

/// Decodes the DER of the nonce extension (see the module docs) to the 32-byte nonce, refusing
/// trailing bytes, a missing or repeated nonce, and fields that are not EXPLICIT
/// context-specific.
fn parse_nonce_extension(der: &[u8]) -> Result<[u8; 32], String> {
    let sequence = AnyRef::from_der(der).map_err(|e| format!("{}", e.kind()))?;
    if sequence.tag() != Tag::Sequence {
        return Err(format!("expected a SEQUENCE, found {}", sequence.tag()));
    }
    let mut fields = SliceReader::new(sequence.value()).map_err(|e| format!("{}", e.kind()))?;
    let mut nonce = None;
    while !fields.is_finished() {
        let field = AnyRef::decode(&mut fields).map_err(|e| format!("{}", e.kind()))?;
        let Tag::ContextSpecific {
            constructed: true,
            number,
        } = field.tag()
        else {
            return Err(format!(
                "expected an EXPLICIT context-specific field, found {}",
                field.tag()
            ));
        };
        if number.value() != NONCE_TAG {
            continue;
        }
        if nonce.is_some() {
            return Err("the nonce [1] appears twice".to_owned());
        }
        let value =
            AnyRef::from_der(field.value()).map_err(|e| format!("nonce [1]: {}", e.kind()))?;
        if value.tag() != Tag::OctetString {
            return Err(format!(
                "nonce [1]: expected an OCTET STRING, found {}",
                value.tag()
            ));
        }
        let bytes: [u8; 32] = value.value().try_into().map_err(|_| {
            format!(
                "nonce [1]: expected 32 bytes (a SHA-256 hash), found {}",
                value.value().len()
            )
        })?;
        nonce = Some(bytes);
    }
    nonce.ok_or_else(|| "the nonce [1] is missing".to_owned())
}

#[cfg(test)]
mod tests;
