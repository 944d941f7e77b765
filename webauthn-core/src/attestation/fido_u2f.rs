//! The `fido-u2f` attestation statement format (§8.6), used by FIDO U2F authenticators.
//!
//! ```text
//! u2fStmtFormat = {
//!                     x5c: [ attestnCert: bytes ],
//!                     sig: bytes
//!                 }
//! ```

use super::{StatementInputs, signature};
use crate::cose::SignatureScheme;
use crate::crypto::PublicKeyMaterial;
use crate::error::Error;
use crate::verified::{AttestationType, AttestationVerified};
use crate::x509;

pub(super) fn verify(inputs: &StatementInputs<'_, '_>) -> Result<AttestationVerified, Error> {
    // Step 1: valid CBOR conforming to the syntax.
    let fields = inputs.fields(&["x5c", "sig"])?;
    let sig = signature(inputs, &fields)?;
    let x5c = fields
        .get("x5c")
        .ok_or_else(|| inputs.malformed("x5c", "is missing"))?;
    let chain = inputs.x5c(x5c)?;
    // Step 2: x5c has exactly one element, whose public key is EC P-256.
    let [leaf_der] = chain.as_slice() else {
        return Err(inputs.invalid(format!(
            "x5c must hold exactly one certificate, it holds {}",
            chain.len()
        )));
    };
    let leaf = x509::parse(leaf_der, "attStmt.x5c[0]".into())?;
    let cert_key = x509::public_key(&leaf)
        .map_err(|e| inputs.invalid(format!("attestation certificate: {e}")))?;
    if !matches!(cert_key, PublicKeyMaterial::P256(_)) {
        return Err(inputs.invalid(format!(
            "the attestation certificate's key is {}, not EC P-256",
            cert_key.kind()
        )));
    }
    // U2F authenticators have no AAGUID: a client converting a U2F response fills in zeros.
    // WebAuthn's verification procedure does not check it (and the W3C test vectors use a
    // random one); the FIDO2 server conformance profile does (Resp-8 F-1), when asked.
    if inputs.policy.require_zero_u2f_aaguid && !inputs.attested.aaguid.is_zero() {
        return Err(inputs.invalid(format!(
            "the AAGUID of a U2F credential must be zero, it is {}",
            inputs.attested.aaguid
        )));
    }
    // Steps 3–4: rpIdHash, credentialId and the credential public key in raw ANSI X9.62 form.
    let PublicKeyMaterial::P256(public_key_u2f) = inputs.credential_key.material() else {
        return Err(inputs.invalid("the credential public key is not an EC P-256 key"));
    };
    // Step 5: verificationData = 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F.
    let credential_id = inputs.attested.credential_id;
    let mut data = Vec::with_capacity(1 + 32 + 32 + credential_id.len() + public_key_u2f.len());
    data.push(0x00);
    data.extend_from_slice(&inputs.auth_data.rp_id_hash);
    data.extend_from_slice(inputs.client_data_hash);
    data.extend_from_slice(credential_id);
    data.extend_from_slice(public_key_u2f);
    // Step 6: verify sig with the certificate key (ECDSA P-256 with SHA-256).
    cert_key
        .verify(SignatureScheme::EcdsaP256Sha256, &data, sig)
        .map_err(|_| {
            inputs.invalid("the signature does not verify with the attestation certificate")
        })?;
    // Step 7: type Basic (or AttCA, indistinguishable without external knowledge), trust path x5c.
    Ok(AttestationVerified {
        attestation_type: AttestationType::Basic,
        trust_path: chain,
    })
}
