//! Attestation trust paths (§7.1 steps 23–24): does an attestation certificate chain to one of
//! the relying party's trust anchors at a given time?
//!
//! Path building, signature checks, validity periods, basic constraints and name constraints
//! are `rustls-webpki`'s, with its resource budgets. Attestation certificates are not TLS
//! certificates, so the extended key usage is not required, and two signature algorithms that
//! attestation CAs use but webpki's `ring` backend lacks are added here (ECDSA P-521 with
//! SHA-512, and P-256/P-384 with SHA-512).
//!
//! An anchor may also be the attestation certificate itself (step 24: "or is itself an
//! acceptable certificate").

use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm,
    TrustAnchor, UnixTime as PkiTime, alg_id,
};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter};

use der::Decode as _;

mod policies_path;

use crate::crypto::{Curve, PublicKeyMaterial};
use crate::time::UnixTime;

/// The most certificates accepted in an attestation trust path (leaf included). Real paths have
/// one to four.
pub const MAX_PATH_LEN: usize = 8;

/// Verifies that `chain` (leaf first, DER) leads to one of `anchors` (DER certificates) at `now`.
pub(crate) fn verify_path(
    chain: &[Vec<u8>],
    anchors: &[&[u8]],
    now: UnixTime,
) -> Result<(), String> {
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err("the trust path is empty".into());
    };
    if anchors.is_empty() {
        return Err("no trust anchor is configured".into());
    }
    if chain.len() > MAX_PATH_LEN {
        return Err(format!(
            "the trust path has more than {MAX_PATH_LEN} certificates"
        ));
    }
    if anchors.contains(&leaf.as_slice()) {
        // The attestation certificate is itself an anchor (§7.1 step 24): no path to build,
        // but it must still be valid at the time of the ceremony.
        return check_validity(leaf, now);
    }
    let anchor_ders: Vec<CertificateDer<'_>> =
        anchors.iter().map(|a| CertificateDer::from(*a)).collect();
    let trust_anchors: Vec<TrustAnchor<'_>> = anchor_ders
        .iter()
        .filter_map(|der| webpki::anchor_from_trusted_cert(der).ok())
        .collect();
    if trust_anchors.is_empty() {
        return Err("none of the trust anchors could be parsed".into());
    }
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let end_entity = match EndEntityCert::try_from(&leaf_der) {
        Ok(e) => e,
        Err(webpki::Error::UnsupportedCriticalExtension) => {
            return policies_path::verify(chain, anchors, now);
        }
        Err(e) => return Err(format!("the attestation certificate cannot be used: {e}")),
    };
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let time = PkiTime::since_unix_epoch(std::time::Duration::from_secs(now.as_secs()));
    end_entity
        .verify_for_usage(
            SIGNATURE_ALGORITHMS,
            &trust_anchors,
            &intermediates,
            time,
            AnyKeyUsage,
            None,
            None,
        )
        .map(|_| ())
        .or_else(|e| match e {
            webpki::Error::UnsupportedCriticalExtension => {
                policies_path::verify(chain, anchors, now)
            }
            e => Err(format!(
                "the certificate path does not lead to a trust anchor: {e}"
            )),
        })
}

/// Whether a DER certificate is within its validity period at `now`.
fn check_validity(der: &[u8], now: UnixTime) -> Result<(), String> {
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|_| "the attestation certificate cannot be parsed".to_owned())?;
    let validity = cert.tbs_certificate().validity();
    let not_before = validity.not_before.to_unix_duration().as_secs();
    let not_after = validity.not_after.to_unix_duration().as_secs();
    if now.as_secs() < not_before {
        return Err("the attestation certificate is not yet valid".into());
    }
    if now.as_secs() > not_after {
        return Err("the attestation certificate has expired".into());
    }
    Ok(())
}

/// The position of a root certificate among the certificates that follow the leaf in `chain`:
/// one of the anchors, or a self-issued certificate (subject equal to issuer). A self-signed
/// leaf on its own (Chromium's virtual authenticator sends one) is not a root in this sense.
pub(crate) fn root_in_path(chain: &[Vec<u8>], anchors: &[&[u8]]) -> Option<usize> {
    chain.iter().enumerate().skip(1).find_map(|(i, der)| {
        let is_root = anchors.contains(&der.as_slice())
            || x509_cert::Certificate::from_der(der)
                .is_ok_and(|c| c.tbs_certificate().subject() == c.tbs_certificate().issuer());
        is_root.then_some(i)
    })
}

/// Attestation certificates carry no TLS key usage; any (or none) is fine.
struct AnyKeyUsage;

impl ExtendedKeyUsageValidator for AnyKeyUsage {
    fn validate(&self, _: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

static SIGNATURE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    &EcdsaSha512 {
        curve: Curve::P256,
        key_alg: alg_id::ECDSA_P256,
    },
    &EcdsaSha512 {
        curve: Curve::P384,
        key_alg: alg_id::ECDSA_P384,
    },
    &EcdsaSha512 {
        curve: Curve::P521,
        key_alg: alg_id::ECDSA_P521,
    },
];

/// ECDSA with SHA-512 (`ecdsa-with-SHA512`), on the RustCrypto curves.
#[derive(Debug)]
struct EcdsaSha512 {
    curve: Curve,
    key_alg: AlgorithmIdentifier,
}

impl SignatureVerificationAlgorithm for EcdsaSha512 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key = PublicKeyMaterial::ec_point(self.curve, public_key.to_vec())
            .map_err(|_| InvalidSignature)?;
        let digest = ring::digest::digest(&ring::digest::SHA512, message);
        verify_prehashed(&key, digest.as_ref(), signature).ok_or(InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.key_alg
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA512
    }

    fn fips(&self) -> bool {
        false
    }
}

fn verify_prehashed(key: &PublicKeyMaterial, digest: &[u8], signature: &[u8]) -> Option<()> {
    use ecdsa_prehash::PrehashVerifier as _;
    match key {
        PublicKeyMaterial::P256(point) => {
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?;
            let sig = p256::ecdsa::DerSignature::from_bytes(signature).ok()?;
            vk.verify_prehash(digest, &sig).ok()
        }
        PublicKeyMaterial::P384(point) => {
            let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?;
            let sig = p384::ecdsa::DerSignature::from_bytes(signature).ok()?;
            vk.verify_prehash(digest, &sig).ok()
        }
        PublicKeyMaterial::P521(point) => {
            let vk = p521::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?;
            let sig = p521::ecdsa::DerSignature::from_bytes(signature).ok()?;
            vk.verify_prehash(digest, &sig).ok()
        }
        PublicKeyMaterial::Ed25519(_)
        | PublicKeyMaterial::Ed448(_)
        | PublicKeyMaterial::MlDsa(..)
        | PublicKeyMaterial::Rsa { .. } => None,
    }
}

mod ecdsa_prehash {
    pub(super) use p521::ecdsa::signature::hazmat::PrehashVerifier;
}
