//! The generated PKI against webauthn-core: every attestation the virtual authenticator signs
//! with it is accepted (and trusted through the generated roots or metadata), every
//! wire-structure mutation is refused with its error code, and the generated metadata BLOB
//! verifies, while its broken variants do not.

use std::sync::Arc;

use webauthn_core::mds::{MdsError, Metadata};
use webauthn_core::{
    AttestationPolicy, Challenge, RegistrationOptions, RegistrationResponseJson, RelyingParty,
    SystemRandom, UnixTime, UserEntity, UserHandle,
};

use super::*;
use crate::authenticator::{Algorithm, Attestation, CredentialOptions, Mutation};
use crate::authenticator::{RegistrationRequest, VirtualAuthenticator};

const RP_ID: &str = "example.org";
const ORIGIN: &str = "https://example.org";
/// 2025-06-15.
const NOW: UnixTime = UnixTime::from_secs(1_750_000_000);
const AAGUID: [u8; 16] = *b"anshin-packed-01";

struct Fixture {
    ca: AttestationCa,
    mds: MetadataService,
}

fn fixture() -> Fixture {
    Fixture {
        ca: AttestationCa::generate(7).unwrap(),
        mds: MetadataService::generate(7).unwrap(),
    }
}

/// Registers with `options` and `mutations`; `Ok(trusted)` or the error code.
fn register(
    authenticator: &mut VirtualAuthenticator,
    options: &CredentialOptions,
    mutations: &[Mutation],
    policy: &AttestationPolicy,
) -> Result<bool, String> {
    let rp = RelyingParty::builder(RP_ID, "Example")
        .origin(ORIGIN)
        .algorithms(
            Algorithm::EVERY
                .iter()
                .map(|a| webauthn_core::CoseAlgorithm(a.cose()))
                .collect(),
        )
        .build()
        .unwrap();
    let user = UserEntity {
        id: UserHandle::new(b"user-1".to_vec()).unwrap(),
        name: "alice".into(),
        display_name: "Alice".into(),
    };
    let challenge = vec![9; 32];
    let registration = RegistrationOptions::default()
        .danger_with_challenge(Challenge::danger_from_bytes(challenge.clone()));
    let (_, state) = rp
        .start_registration(user, registration, NOW, &SystemRandom::new())
        .unwrap();
    let request = RegistrationRequest::new(RP_ID, &challenge, b"user-1");
    let response = authenticator
        .register(&request, options, mutations)
        .unwrap_or_else(|e| panic!("{mutations:?}: {e}"));
    RegistrationResponseJson::from_json(&response.json)
        .and_then(|r| rp.finish_registration(state, &r, policy, NOW))
        .map(|v| v.attestation.trusted)
        .map_err(|e| e.code().to_owned())
}

fn options(attestation: Attestation, aaguid: [u8; 16]) -> CredentialOptions {
    CredentialOptions {
        attestation,
        aaguid,
        ..CredentialOptions::default()
    }
}

#[test]
fn packed_full_and_fido_u2f_verify_and_chain_to_the_generated_root() {
    let mut f = fixture();
    // fido-u2f sends the attestation certificate alone, so its issuer is the anchor.
    let policy = AttestationPolicy::require_trusted()
        .with_trust_anchors(vec![f.ca.root().to_vec(), f.ca.intermediate().to_vec()]);
    let packed =
        f.ca.issue("packed", Some(AAGUID), Validity::Current)
            .unwrap();
    let u2f = f.ca.issue("u2f", None, Validity::Current).unwrap();
    for (attestation, certificate, aaguid) in [
        (Attestation::PackedFull, packed, AAGUID),
        (Attestation::FidoU2f, u2f, [0; 16]),
    ] {
        let mut authenticator = VirtualAuthenticator::new(1)
            .with_origin(ORIGIN)
            .with_attestation_certificate(certificate);
        assert_eq!(
            register(
                &mut authenticator,
                &options(attestation, aaguid),
                &[],
                &policy
            ),
            Ok(true),
            "{attestation:?}"
        );
    }
}

#[test]
fn apple_and_compound_verify_and_chain_to_the_generated_root() {
    let mut f = fixture();
    let policy =
        AttestationPolicy::require_trusted().with_trust_anchors(vec![f.ca.root().to_vec()]);
    let certificate =
        f.ca.issue("packed", Some(AAGUID), Validity::Current)
            .unwrap();
    for attestation in [Attestation::Apple, Attestation::Compound] {
        let mut authenticator = VirtualAuthenticator::new(11)
            .with_origin(ORIGIN)
            .with_attestation_certificate(certificate.clone())
            .with_attestation_ca(f.ca.clone());
        assert_eq!(
            register(
                &mut authenticator,
                &options(attestation, AAGUID),
                &[],
                &policy
            ),
            Ok(true),
            "{attestation:?}"
        );
        // The apple nonce, or the packed component's signature, no longer matches.
        let mut authenticator = VirtualAuthenticator::new(11)
            .with_origin(ORIGIN)
            .with_attestation_certificate(certificate.clone())
            .with_attestation_ca(f.ca.clone());
        assert_eq!(
            register(
                &mut authenticator,
                &options(attestation, AAGUID),
                &[Mutation::FlipSignatureByte],
                &policy
            ),
            Err("attestation_invalid".to_owned()),
            "{attestation:?}"
        );
    }
}

#[test]
fn tpm_with_sha256_and_sha1_names_verifies_and_chains_to_the_generated_root() {
    let mut f = fixture();
    let policy =
        AttestationPolicy::require_trusted().with_trust_anchors(vec![f.ca.root().to_vec()]);
    let aik = f.ca.issue_aik(Some(AAGUID)).unwrap();
    for attestation in [Attestation::TpmSha256, Attestation::TpmSha1] {
        let mut authenticator = VirtualAuthenticator::new(12)
            .with_origin(ORIGIN)
            .with_attestation_certificate(aik.clone());
        assert_eq!(
            register(
                &mut authenticator,
                &options(attestation, AAGUID),
                &[],
                &policy
            ),
            Ok(true),
            "{attestation:?}"
        );
    }
}

#[test]
fn android_key_verifies_and_chains_to_the_generated_root() {
    let f = fixture();
    let policy =
        AttestationPolicy::require_trusted().with_trust_anchors(vec![f.ca.root().to_vec()]);
    let mut authenticator = VirtualAuthenticator::new(13)
        .with_origin(ORIGIN)
        .with_attestation_ca(f.ca);
    assert_eq!(
        register(
            &mut authenticator,
            &options(Attestation::AndroidKey, AAGUID),
            &[],
            &policy
        ),
        Ok(true)
    );
}

#[test]
fn android_safetynet_verifies_and_each_mutation_is_refused() {
    let mut f = fixture();
    let certificate = f.ca.issue_safetynet().unwrap();
    let policy = AttestationPolicy::require_trusted()
        .with_trust_anchors(vec![f.ca.root().to_vec()])
        .allow_safetynet(webauthn_core::SafetyNetPolicy::default());
    let authenticator = || {
        VirtualAuthenticator::new(15)
            .with_origin(ORIGIN)
            .with_time(NOW.as_secs())
            .with_attestation_certificate(certificate.clone())
    };
    let options = options(Attestation::AndroidSafetyNet, AAGUID);
    assert_eq!(
        register(&mut authenticator(), &options, &[], &policy),
        Ok(true)
    );
    let mut failures = Vec::new();
    for mutation in Mutation::STRUCTURE
        .into_iter()
        .filter(|m| m.applies_to_registration(Attestation::AndroidSafetyNet))
        .filter(|m| !m.applies_to_registration(Attestation::PackedFull))
    {
        let got = register(&mut authenticator(), &options, &[mutation], &policy);
        let want = expected_code(mutation);
        if got != Err(want.to_owned()) {
            failures.push(format!("{mutation:?}: want {want}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // The profile that does not accept the format refuses it.
    assert_eq!(
        register(
            &mut authenticator(),
            &options,
            &[],
            &AttestationPolicy::default()
        ),
        Err("attestation_untrusted".to_owned())
    );
}

#[test]
fn expired_and_not_yet_valid_certificates_are_untrusted() {
    let mut f = fixture();
    let policy =
        AttestationPolicy::require_trusted().with_trust_anchors(vec![f.ca.root().to_vec()]);
    for validity in [Validity::Expired, Validity::NotYetValid] {
        let certificate = f.ca.issue("packed", Some(AAGUID), validity).unwrap();
        let mut authenticator = VirtualAuthenticator::new(2)
            .with_origin(ORIGIN)
            .with_attestation_certificate(certificate);
        assert_eq!(
            register(
                &mut authenticator,
                &options(Attestation::PackedFull, AAGUID),
                &[],
                &policy
            ),
            Err("attestation_untrusted".to_owned()),
            "{validity:?}"
        );
    }
}

#[test]
fn same_seed_same_attestation_signature() {
    let mut f = fixture();
    let certificate =
        f.ca.issue("packed", Some(AAGUID), Validity::Current)
            .unwrap();
    let request = RegistrationRequest::new(RP_ID, &[1; 32], b"u");
    let run = || {
        VirtualAuthenticator::new(3)
            .with_attestation_certificate(certificate.clone())
            .register(&request, &options(Attestation::PackedFull, AAGUID), &[])
            .unwrap()
            .attestation_object
    };
    assert_eq!(run(), run());
}

/// The code webauthn-core gives each wire-structure mutation of a packed full registration.
fn expected_code(mutation: Mutation) -> &'static str {
    use Mutation as M;
    match mutation {
        M::ClientDataTypeMissing
        | M::ClientDataTypeNotString
        | M::ChallengeMissing
        | M::ChallengeNotString
        | M::OriginMissing
        | M::OriginNotString
        | M::TokenBindingNotObject
        | M::TokenBindingStatusMissing
        | M::TokenBindingStatusInvalid
        | M::ClientDataTypeEmpty
        | M::ChallengeEmpty
        | M::OriginEmpty => "malformed_client_data",
        M::ClientDataTypeUnknown => "type_mismatch",
        M::ChallengeNotBase64url => "challenge_mismatch",
        M::AttestationObjectNotMap
        | M::FmtMissing
        | M::FmtNotString
        | M::AttStmtMissing
        | M::AttStmtNotMap
        | M::AuthDataMissing
        | M::AuthDataNotBytes
        | M::AlgMissing
        | M::AlgNotNumber
        | M::SigMissing
        | M::SigNotBytes
        | M::X5cNotArray
        | M::AuthDataEmpty
        | M::AttStmtEmpty
        | M::SigEmpty
        | M::X5cEmpty
        | M::SafetyNetVerEmpty
        | M::SafetyNetResponseEmpty
        | M::SafetyNetX5cEmpty => "malformed_attestation",
        M::OmitAttestedCredentialData | M::AttestedCredentialDataMissing => {
            "malformed_authenticator_data"
        }
        M::FmtUnknown => "unsupported_attestation_format",
        M::X5cMissing
        | M::X5cWrongOrder
        | M::X5cWithRoot
        | M::SignedWithCredentialKey
        | M::TpmExtraDataWrong
        | M::TpmMagicWrong
        | M::TpmUniqueWrong
        | M::AndroidKeyChallengeWrong
        | M::AndroidKeyCertificateKeyWrong
        | M::SafetyNetNonceWrong
        | M::SafetyNetCtsProfileMismatch
        | M::SafetyNetTimestampFuture
        | M::SafetyNetTimestampOld => "attestation_invalid",

        other => panic!("{other:?} is not a structure mutation"),
    }
}

#[test]
fn every_structure_mutation_is_refused_with_its_code() {
    let mut f = fixture();
    let certificate =
        f.ca.issue("packed", Some(AAGUID), Validity::Current)
            .unwrap();
    let aik = f.ca.issue_aik(Some(AAGUID)).unwrap();
    let policy = AttestationPolicy::default()
        .with_trust_anchors(vec![f.ca.root().to_vec()])
        .reject_root_in_x5c();
    let mut failures = Vec::new();
    // The SafetyNet mutations need a policy that accepts the format: see their own test.
    for mutation in Mutation::STRUCTURE
        .into_iter()
        .filter(|m| !m.applies_to_registration(Attestation::AndroidSafetyNet))
    {
        let attestation = if mutation.applies_to_registration(Attestation::PackedFull) {
            Attestation::PackedFull
        } else if mutation.applies_to_registration(Attestation::TpmSha256) {
            Attestation::TpmSha256
        } else if mutation.applies_to_registration(Attestation::AndroidKey) {
            Attestation::AndroidKey
        } else {
            Attestation::FidoU2f
        };
        let certificate = if attestation == Attestation::TpmSha256 {
            aik.clone()
        } else {
            certificate.clone()
        };
        let aaguid = if attestation == Attestation::FidoU2f {
            [0; 16]
        } else {
            AAGUID
        };
        let mut authenticator = VirtualAuthenticator::new(4)
            .with_origin(ORIGIN)
            .with_attestation_certificate(certificate.clone())
            .with_attestation_ca(f.ca.clone());
        let got = register(
            &mut authenticator,
            &options(attestation, aaguid),
            &[mutation],
            &policy,
        );
        let want = expected_code(mutation);
        if got != Err(want.to_owned()) {
            failures.push(format!("{mutation:?}: want {want}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn fido_u2f_structure_mutations_and_signature() {
    let mut f = fixture();
    let certificate = f.ca.issue("u2f", None, Validity::Current).unwrap();
    for (mutation, want) in [
        (Mutation::X5cMissing, "malformed_attestation"),
        (Mutation::X5cEmpty, "malformed_attestation"),
        (Mutation::FlipSignatureByte, "attestation_invalid"),
        (Mutation::SigMissing, "malformed_attestation"),
    ] {
        let mut authenticator = VirtualAuthenticator::new(5)
            .with_origin(ORIGIN)
            .with_attestation_certificate(certificate.clone());
        assert_eq!(
            register(
                &mut authenticator,
                &options(Attestation::FidoU2f, [0; 16]),
                &[mutation],
                &AttestationPolicy::default()
            ),
            Err(want.to_owned()),
            "{mutation:?}"
        );
    }
}

#[test]
fn packed_self_verifies_for_every_algorithm() {
    for algorithm in Algorithm::EVERY {
        let mut authenticator = VirtualAuthenticator::new(14).with_origin(ORIGIN);
        let options = CredentialOptions {
            attestation: Attestation::PackedSelf,
            algorithm,
            ..CredentialOptions::default()
        };
        assert_eq!(
            register(
                &mut authenticator,
                &options,
                &[],
                &AttestationPolicy::default()
            ),
            Ok(false),
            "{algorithm}"
        );
    }
}

#[test]
fn packed_self_with_extension_data_is_accepted() {
    let mut authenticator = VirtualAuthenticator::new(6).with_origin(ORIGIN);
    let options = CredentialOptions {
        attestation: Attestation::PackedSelf,
        extension_data: true,
        algorithm: Algorithm::Es256,
        ..CredentialOptions::default()
    };
    assert_eq!(
        register(
            &mut authenticator,
            &options,
            &[],
            &AttestationPolicy::default()
        ),
        Ok(false)
    );
}

fn entry(status: &str, roots: Vec<Vec<u8>>) -> ModelEntry {
    ModelEntry {
        description: "anshin test authenticator".to_owned(),
        aaguid: Some(AAGUID),
        key_identifiers: Vec::new(),
        attestation_types: vec!["basic_full".to_owned()],
        roots,
        status: status.to_owned(),
        authenticator_get_info: None,
    }
}

#[test]
fn generated_blob_verifies_and_lists_its_entries() {
    let f = fixture();
    let blob = f
        .mds
        .blob(
            1,
            &[entry("FIDO_CERTIFIED", vec![f.ca.root().to_vec()])],
            BlobDefect::None,
        )
        .unwrap();
    let crls = vec![f.mds.ca_crl(&[]).unwrap(), f.mds.root_crl(&[]).unwrap()];
    let metadata = Metadata::verify(&blob, f.mds.root(), &crls, NOW).unwrap();
    let aaguid = webauthn_core::Aaguid(AAGUID);
    let found = metadata.by_aaguid(&aaguid).expect("the entry is indexed");
    assert_eq!(
        found.attestation_root_certificates(),
        [f.ca.root().to_vec()]
    );
}

#[test]
fn broken_blobs_are_refused() {
    let f = fixture();
    let entries = [entry("FIDO_CERTIFIED", vec![f.ca.root().to_vec()])];
    let bad_signature = f.mds.blob(1, &entries, BlobDefect::BadSignature).unwrap();
    assert!(matches!(
        Metadata::verify(&bad_signature, f.mds.root(), &[], NOW),
        Err(MdsError::SignatureInvalid(_))
    ));
    let bad_chain = f.mds.blob(1, &entries, BlobDefect::BadChain).unwrap();
    assert!(matches!(
        Metadata::verify(&bad_chain, f.mds.root(), &[], NOW),
        Err(MdsError::UntrustedSigner(_))
    ));
    let good = f.mds.blob(1, &entries, BlobDefect::None).unwrap();
    let revoked_signer = vec![
        f.mds.ca_crl(&[MetadataService::signer_serial()]).unwrap(),
        f.mds.root_crl(&[]).unwrap(),
    ];
    assert!(matches!(
        Metadata::verify(&good, f.mds.root(), &revoked_signer, NOW),
        Err(MdsError::CertificateRevoked)
    ));
}

#[test]
fn metadata_makes_packed_full_trusted_and_refuses_compromised_models() {
    let mut f = fixture();
    let certificate =
        f.ca.issue("packed", Some(AAGUID), Validity::Current)
            .unwrap();
    for (status, want) in [
        ("FIDO_CERTIFIED", Ok(true)),
        (
            "ATTESTATION_KEY_COMPROMISE",
            Err("authenticator_revoked".to_owned()),
        ),
    ] {
        let blob = f
            .mds
            .blob(
                1,
                &[entry(status, vec![f.ca.root().to_vec()])],
                BlobDefect::None,
            )
            .unwrap();
        let metadata = Arc::new(Metadata::verify(&blob, f.mds.root(), &[], NOW).unwrap());
        let policy = AttestationPolicy::require_trusted()
            .with_metadata(metadata)
            .require_metadata();
        let mut authenticator = VirtualAuthenticator::new(8)
            .with_origin(ORIGIN)
            .with_attestation_certificate(certificate.clone());
        assert_eq!(
            register(
                &mut authenticator,
                &options(Attestation::PackedFull, AAGUID),
                &[],
                &policy
            ),
            want,
            "{status}"
        );
    }
}

#[test]
fn same_seed_same_certificates_and_blob() {
    let (a, b) = (fixture(), fixture());
    assert_eq!(a.ca.root(), b.ca.root());
    assert_eq!(a.ca.intermediate(), b.ca.intermediate());
    let entries = [entry("FIDO_CERTIFIED", vec![a.ca.root().to_vec()])];
    assert_eq!(
        a.mds.blob(1, &entries, BlobDefect::None).unwrap(),
        b.mds.blob(1, &entries, BlobDefect::None).unwrap()
    );
    assert_ne!(
        a.ca.root(),
        AttestationCa::generate(8).unwrap().root(),
        "another seed, another root"
    );
}

#[test]
fn aaguid_text_and_key_identifier() {
    assert_eq!(
        format_aaguid(&[
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
            0xcd, 0xef
        ]),
        "01234567-89ab-cdef-0123-456789abcdef"
    );
    // SHA-1("abc") (FIPS 180-2 appendix A.1).
    assert_eq!(
        key_identifier(b"abc"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}
