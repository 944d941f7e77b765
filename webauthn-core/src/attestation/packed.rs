//! The `packed` attestation statement format (§8.2).
//!
//! ```text
//! packedStmtFormat = {
//!                        alg: COSEAlgorithmIdentifier,
//!                        sig: bytes,
//!                        x5c: [ attestnCert: bytes, * (caCert: bytes) ]
//!                    } //
//!                    {
//!                        alg: COSEAlgorithmIdentifier
//!                        sig: bytes,
//!                    }
//! ```
//!
//! ECDAA (`ecdaaKeyId`, WebAuthn Level 1) was removed from the specification and is refused.

use super::{StatementInputs, alg_and_sig};
use crate::error::{Error, Unsupported};
use crate::verified::{AttestationType, AttestationVerified};
use crate::x509;

pub(super) fn verify(inputs: &StatementInputs<'_, '_>) -> Result<AttestationVerified, Error> {
    if inputs.att_stmt.get_text_key("ecdaaKeyId").is_some() {
        return Err(Error::Unsupported(Unsupported::AttestationFormat(
            "packed with ECDAA (ecdaaKeyId)".to_owned(),
        )));
    }
    // Step 1: valid CBOR conforming to the syntax.
    let fields = inputs.fields(&["alg", "sig", "x5c"])?;
    let (alg, sig) = alg_and_sig(inputs, &fields)?;
    let scheme = inputs.scheme(alg)?;
    let signed = inputs.signed_data();

    match fields.get("x5c") {
        // Step 2: x5c present.
        Some(x5c) => {
            let chain = inputs.x5c(x5c)?;
            let leaf_der = chain.first().map(Vec::as_slice).unwrap_or_default();
            let leaf = x509::parse(leaf_der, "attStmt.x5c[0]".into())?;
            let key = x509::public_key(&leaf)
                .map_err(|e| inputs.invalid(format!("attestation certificate: {e}")))?;
            if !key.fits(scheme) {
                return Err(inputs.invalid(format!(
                    "alg {alg} does not fit the attestation certificate's {} key",
                    key.kind()
                )));
            }
            // Step 2.1: sig is a valid signature over authenticatorData || clientDataHash using
            // the attestation public key in attestnCert with alg.
            key.verify(scheme, &signed, sig).map_err(|_| {
                inputs.invalid("the signature does not verify with the attestation certificate")
            })?;
            // Step 2.2: attestnCert meets the requirements of §8.2.1.
            x509::check_packed_requirements(&leaf).map_err(|e| inputs.invalid(e))?;
            // Step 2.3: the AAGUID extension, if present, matches the attested AAGUID.
            if let Some(aaguid) = x509::aaguid_extension(&leaf).map_err(|e| inputs.invalid(e))?
                && aaguid != inputs.attested.aaguid
            {
                return Err(inputs.invalid(format!(
                    "the certificate's AAGUID extension ({aaguid}) differs from the authenticator data's AAGUID ({})",
                    inputs.attested.aaguid
                )));
            }
            // Step 2.4–2.5: without external knowledge the type is Basic (or AttCA, which has
            // the same structure); the trust path is x5c.
            Ok(AttestationVerified {
                attestation_type: AttestationType::Basic,
                trust_path: chain,
            })
        }
        // Step 3: no x5c, self attestation.
        None => {
            // Step 3.1: alg matches the algorithm of the credential public key.
            if alg != inputs.credential_key.algorithm() {
                return Err(inputs.invalid(format!(
                    "self attestation alg {alg} differs from the credential's algorithm {}",
                    inputs.credential_key.algorithm()
                )));
            }
            // Step 3.2: sig verifies with the credential public key.
            inputs.credential_key.verify(&signed, sig).map_err(|_| {
                inputs.invalid(
                    "the self-attestation signature does not verify with the credential public key",
                )
            })?;
            // Step 3.3: attestation type Self, empty trust path.
            Ok(AttestationVerified {
                attestation_type: AttestationType::SelfAttestation,
                trust_path: Vec::new(),
            })
        }
    }
}
