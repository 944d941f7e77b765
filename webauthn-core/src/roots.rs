//! The built-in trust anchors (`webauthn-core/roots/`, with their sources in its README).

use crate::attestation::AttestationFormat;

const APPLE_WEBAUTHN_ROOT_CA: &[u8] = include_bytes!("../roots/apple-webauthn-root-ca.der");
const GOOGLE_HARDWARE_ATTESTATION_ROOT: &[u8] =
    include_bytes!("../roots/google-hardware-attestation-root-2034.der");
const GOOGLE_KEY_ATTESTATION_CA1: &[u8] = include_bytes!("../roots/google-key-attestation-ca1.der");
const GLOBALSIGN_ROOT_CA: &[u8] = include_bytes!("../roots/globalsign-root-ca.der");
const MICROSOFT_TPM_ROOT_CA_2014: &[u8] = include_bytes!("../roots/microsoft-tpm-root-ca-2014.der");
const YUBICO_U2F_ROOT_CA: &[u8] = include_bytes!("../roots/yubico-u2f-root-ca-457200631.der");

/// GlobalSign Root CA - R3, the root of the FIDO Metadata Service's BLOB signing chain.
pub const GLOBALSIGN_ROOT_CA_R3: &[u8] = include_bytes!("../roots/globalsign-root-ca-r3.der");

/// The built-in roots for a format's attestation certificates.
#[must_use]
pub fn for_format(format: AttestationFormat) -> &'static [&'static [u8]] {
    match format {
        AttestationFormat::Apple => &[APPLE_WEBAUTHN_ROOT_CA],
        AttestationFormat::AndroidKey => {
            &[GOOGLE_HARDWARE_ATTESTATION_ROOT, GOOGLE_KEY_ATTESTATION_CA1]
        }
        AttestationFormat::AndroidSafetyNet => &[GLOBALSIGN_ROOT_CA],
        AttestationFormat::Tpm => &[MICROSOFT_TPM_ROOT_CA_2014],
        AttestationFormat::FidoU2f | AttestationFormat::Packed => &[YUBICO_U2F_ROOT_CA],
        AttestationFormat::None | AttestationFormat::Compound => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode as _;

    #[test]
    fn every_builtin_root_is_a_self_signed_certificate() {
        let all = [
            APPLE_WEBAUTHN_ROOT_CA,
            GOOGLE_HARDWARE_ATTESTATION_ROOT,
            GOOGLE_KEY_ATTESTATION_CA1,
            GLOBALSIGN_ROOT_CA,
            MICROSOFT_TPM_ROOT_CA_2014,
            YUBICO_U2F_ROOT_CA,
            GLOBALSIGN_ROOT_CA_R3,
        ];
        for der in all {
            let cert = x509_cert::Certificate::from_der(der).unwrap();
            assert_eq!(
                cert.tbs_certificate().subject(),
                cert.tbs_certificate().issuer()
            );
            assert!(
                webpki::anchor_from_trusted_cert(&rustls_pki_types::CertificateDer::from(der))
                    .is_ok()
            );
        }
    }
}
