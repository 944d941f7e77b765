//! WebAuthn §8.3.1: the requirements on the AIK certificate of a `tpm` attestation statement.
//!
//! ```text
//! - Version MUST be set to 3.
//! - Subject field MUST be set to empty.
//! - The Subject Alternative Name extension MUST be set as defined in [TPMv2-EK-Profile]
//!   section 3.2.9.
//! - The Extended Key Usage extension MUST contain the OID 2.23.133.8.3
//!   ("joint-iso-itu-t(2) internationalorganizations(23) 133 tcg-kp(8)
//!   tcg-kp-AIKCertificate(3)").
//! - The Basic Constraints extension MUST have the CA component set to false.
//! ```
//!
//! The TCG EK Credential Profile (§3.2.9) puts the TPM's identity in a `directoryName` of the
//! Subject Alternative Name, which is critical because the subject is empty (RFC 5280
//! §4.2.1.6):
//!
//! ```text
//! tcg-at-tpmManufacturer (2.23.133.2.1)  UTF8String  "id:" + 8 hex digits (TPM_PT_MANUFACTURER)
//! tcg-at-tpmModel        (2.23.133.2.2)  UTF8String  the vendor's model string
//! tcg-at-tpmVersion      (2.23.133.2.3)  UTF8String  the firmware version, such as "id:13"
//! ```
//!
//! Certificates put the three attributes in one multi-valued RDN or in one RDN each; both
//! are accepted. Each must appear once, as a UTF8String; model and version must not be empty,
//! and are not interpreted further. The manufacturer is checked for its syntax, not against the
//! TCG TPM Vendor ID Registry: the registry grows, and test TPMs (the W3C test vectors'
//! `id:00000000`, the FIDO conformance tools' `id:FFFFF1D0`) are not in it. Which TPMs to trust
//! is decided by the trust anchors (§7.1 steps 23–24), not here.

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};

use crate::x509;

/// `tcg-at-tpmManufacturer`.
const TCG_AT_TPM_MANUFACTURER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.2.1");
/// `tcg-at-tpmModel`.
const TCG_AT_TPM_MODEL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.2.2");
/// `tcg-at-tpmVersion`.
const TCG_AT_TPM_VERSION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.2.3");
/// `tcg-kp-AIKCertificate`.
const TCG_KP_AIK_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.8.3");

/// Checks the AIK certificate against §8.3.1.
pub(super) fn check_requirements(cert: &Certificate) -> Result<(), String> {
    let tbs = cert.tbs_certificate();
    // Version MUST be set to 3.
    if tbs.version() != x509_cert::Version::V3 {
        return Err(format!(
            "the AIK certificate is {:?}, not version 3",
            tbs.version()
        ));
    }
    // Subject field MUST be set to empty.
    if !tbs.subject().is_empty() {
        return Err(format!(
            "the AIK certificate's subject must be empty, it is \"{}\"",
            tbs.subject()
        ));
    }
    // The Subject Alternative Name extension, as the TCG EK Credential Profile §3.2.9 defines.
    check_tpm_identity(cert)?;
    // The Extended Key Usage extension MUST contain tcg-kp-AIKCertificate.
    match tbs.get_extension::<ExtendedKeyUsage>() {
        Ok(Some((_, eku))) if eku.0.contains(&TCG_KP_AIK_CERTIFICATE) => {}
        Ok(Some((_, eku))) => {
            let found: Vec<String> = eku.0.iter().map(ToString::to_string).collect();
            return Err(format!(
                "the AIK certificate's Extended Key Usage is [{}]; it must contain tcg-kp-AIKCertificate ({TCG_KP_AIK_CERTIFICATE})",
                found.join(", ")
            ));
        }
        Ok(None) => {
            return Err(format!(
                "the AIK certificate has no Extended Key Usage extension; it must contain tcg-kp-AIKCertificate ({TCG_KP_AIK_CERTIFICATE})"
            ));
        }
        Err(_) => {
            return Err(
                "the AIK certificate's Extended Key Usage extension is malformed or repeated"
                    .into(),
            );
        }
    }
    // The Basic Constraints extension MUST have the CA component set to false.
    if x509::is_ca(cert)? {
        return Err(
            "the AIK certificate is a CA certificate (Basic Constraints CA is true)".into(),
        );
    }
    Ok(())
}

/// The TPM manufacturer, model and version in the Subject Alternative Name's directoryName.
fn check_tpm_identity(cert: &Certificate) -> Result<(), String> {
    let (critical, san) = match cert.tbs_certificate().get_extension::<SubjectAltName>() {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(
                "the AIK certificate has no Subject Alternative Name extension (TCG EK Credential Profile §3.2.9)"
                    .into(),
            );
        }
        Err(_) => {
            return Err(
                "the AIK certificate's Subject Alternative Name extension is malformed or repeated"
                    .into(),
            );
        }
    };
    if !critical {
        return Err(
            "the AIK certificate's Subject Alternative Name extension must be critical, as its subject is empty"
                .into(),
        );
    }
    let mut manufacturer = None;
    let mut model = None;
    let mut version = None;
    let directory_names = san.0.iter().filter_map(|general_name| match general_name {
        GeneralName::DirectoryName(name) => Some(name),
        _ => None,
    });
    for atv in directory_names.flat_map(|name| name.iter()) {
        let (slot, label) = match atv.oid {
            oid if oid == TCG_AT_TPM_MANUFACTURER => (&mut manufacturer, "tpmManufacturer"),
            oid if oid == TCG_AT_TPM_MODEL => (&mut model, "tpmModel"),
            oid if oid == TCG_AT_TPM_VERSION => (&mut version, "tpmVersion"),
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!(
                "the AIK certificate's Subject Alternative Name has {label} twice"
            ));
        }
        let text = atv.value.decode_as::<Utf8StringRef<'_>>().map_err(|_| {
            format!("the AIK certificate's Subject Alternative Name {label} is not a UTF8String")
        })?;
        *slot = Some(text.as_str().to_owned());
    }
    let missing = |label: &str| {
        format!(
            "the AIK certificate's Subject Alternative Name has no directoryName with {label} (TCG EK Credential Profile §3.2.9)"
        )
    };
    let manufacturer = manufacturer.ok_or_else(|| missing("tpmManufacturer (2.23.133.2.1)"))?;
    let model = model.ok_or_else(|| missing("tpmModel (2.23.133.2.2)"))?;
    let version = version.ok_or_else(|| missing("tpmVersion (2.23.133.2.3)"))?;
    if !is_vendor_id(&manufacturer) {
        return Err(format!(
            "the AIK certificate's tpmManufacturer is {manufacturer:?}, expected \"id:\" and 8 hex digits"
        ));
    }
    if model.is_empty() {
        return Err("the AIK certificate's tpmModel is empty".into());
    }
    if version.is_empty() {
        return Err("the AIK certificate's tpmVersion is empty".into());
    }
    Ok(())
}

/// Whether `text` is `id:` and the 8 hex digits of a 4-byte TCG vendor ID.
fn is_vendor_id(text: &str) -> bool {
    text.strip_prefix("id:")
        .is_some_and(|digits| digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
}
