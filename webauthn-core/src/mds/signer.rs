//! MDS3 §3.2 (Metadata BLOB object processing rules): the BLOB signing certificate path to the
//! configured root, with revocation, and the JWS signature.

use der::Decode as _;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime as PkiTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, ExtendedKeyUsageValidator,
    KeyPurposeIdIter, OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder,
    UnknownStatusPolicy,
};

use super::MdsError;
use crate::jws::Jws;
use crate::time::UnixTime;
use crate::trust::MAX_PATH_LEN;
use crate::verified::SignatureValid;
use crate::x509;

/// Proof that the BLOB's signing path leads to the root and that its signature verifies.
#[derive(Debug)]
pub(crate) struct SignerTrusted(());

/// Verifies the JWS signer: the `x5c` path (leaf first, root excluded) to `root` at `now`,
/// checked against `crls` when there are any, then the signature with `x5c[0]`'s key. Without
/// `x5c` the root itself is the signer (MDS3 §3.2).
pub(crate) fn verify_signer(
    jws: &Jws<'_>,
    root: &[u8],
    crls: &[Vec<u8>],
    now: UnixTime,
) -> Result<SignerTrusted, MdsError> {
    // MDS3 §3.2, x5u: an `x5u` chain would have to be downloaded; this crate does no I/O.
    if jws.header.contains_key("x5u") {
        return Err(MdsError::Unsupported(
            "the x5u header (a certificate chain URL) is not supported; use x5c".into(),
        ));
    }
    let root_der = CertificateDer::from(root);
    let anchor = webpki::anchor_from_trusted_cert(&root_der)
        .map_err(|e| MdsError::InvalidRoot(format!("not a usable DER certificate ({e})").into()))?;
    let signer = match jws.x5c.split_first() {
        // MDS3 §3.2: "If that attribute is missing as well, Metadata BLOB signing trust
        // anchor is considered the BLOB signing certificate chain."
        None => root,
        Some((leaf, intermediates)) => {
            // MDS3 §3.2: without x5u, the chain is x5c; verify it to the trust anchor, and
            // ignore the BLOB if a certificate of the chain is revoked.
            verify_path(leaf, intermediates, &anchor, crls, now)?;
            leaf.as_slice()
        }
    };
    // MDS3 §3.2: verify the signature of the BLOB with the signing certificate.
    let _signature: SignatureValid = verify_signature(jws, signer)?;
    Ok(SignerTrusted(()))
}

fn verify_path(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    anchor: &TrustAnchor<'_>,
    crls: &[Vec<u8>],
    now: UnixTime,
) -> Result<(), MdsError> {
    if intermediates.len() >= MAX_PATH_LEN {
        return Err(MdsError::UntrustedSigner(
            format!("x5c has more than {MAX_PATH_LEN} certificates").into(),
        ));
    }
    let leaf_der = CertificateDer::from(leaf);
    let end_entity = EndEntityCert::try_from(&leaf_der).map_err(|e| {
        MdsError::malformed(
            "header.x5c[0]",
            format!("is not a usable certificate ({e})"),
        )
    })?;
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let crls: Vec<CertRevocationList<'static>> = crls
        .iter()
        .enumerate()
        .map(|(index, der)| {
            OwnedCertRevocationList::from_der(der)
                .map(CertRevocationList::from)
                .map_err(|e| MdsError::InvalidCrl {
                    index,
                    problem: format!("not a DER X.509 CRL ({e})").into(),
                })
        })
        .collect::<Result<_, _>>()?;
    let crl_refs: Vec<&CertRevocationList<'_>> = crls.iter().collect();
    // With CRLs, every certificate below the root must be covered by an unexpired CRL of its
    // issuer: a BLOB whose revocation status cannot be established is refused, like a revoked
    // one (MDS3 §3.2: ignore the BLOB "if one of the chain certificates is revoked"). Without
    // CRLs, the caller has chosen not to check revocation.
    let revocation = match RevocationOptionsBuilder::new(&crl_refs) {
        Ok(builder) => Some(
            builder
                .with_depth(RevocationCheckDepth::Chain)
                .with_status_policy(UnknownStatusPolicy::Deny)
                .with_expiration_policy(ExpirationPolicy::Enforce)
                .build(),
        ),
        Err(_) => None,
    };
    let time = PkiTime::since_unix_epoch(std::time::Duration::from_secs(now.as_secs()));
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            std::slice::from_ref(anchor),
            &intermediates,
            time,
            AnyKeyUsage,
            revocation,
            None,
        )
        .map(|_| ())
        .map_err(path_error)
}

fn path_error(error: webpki::Error) -> MdsError {
    match error {
        webpki::Error::CertRevoked => MdsError::CertificateRevoked,
        webpki::Error::UnknownRevocationStatus => {
            MdsError::RevocationUnknown("no CRL of the certificate's issuer was given".into())
        }
        webpki::Error::CrlExpired { .. } => {
            MdsError::RevocationUnknown("the CRL of the certificate's issuer has expired".into())
        }
        other => MdsError::UntrustedSigner(
            format!("the x5c path does not lead to the configured root ({other})").into(),
        ),
    }
}

fn verify_signature(jws: &Jws<'_>, signer: &[u8]) -> Result<SignatureValid, MdsError> {
    let cert = x509_cert::Certificate::from_der(signer).map_err(|e| {
        MdsError::malformed("header.x5c[0]", format!("is not a DER certificate ({e})"))
    })?;
    let key = x509::public_key(&cert)
        .map_err(|e| MdsError::Unsupported(format!("the signing certificate has {e}").into()))?;
    jws.verify_with(&key)
        .map_err(|e| MdsError::SignatureInvalid(e.into()))
}

/// The BLOB signing certificate of the production MDS is a TLS server certificate; its
/// extended key usage says nothing about BLOB signing, so any (or none) is accepted.
struct AnyKeyUsage;

impl ExtendedKeyUsageValidator for AnyKeyUsage {
    fn validate(&self, _: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}
