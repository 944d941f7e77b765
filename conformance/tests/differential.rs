//! Differential test: anshin's `webauthn-core` against `webauthn-rs-core` 0.5.
//!
//! The virtual authenticator produces registrations and assertions (ES256, EdDSA, RS256;
//! attestation `none` and packed self attestation), plus single-field mutations of each, and
//! the same bytes with the same challenge go to both relying-party libraries configured alike
//! (RP ID, origin, algorithms, user verification). The test fails on any accept/reject
//! disagreement that is not listed in [`KNOWN_DIVERGENCES`], whose entries quote the WebAuthn
//! Level 3 text that decides who is right, and on any listed divergence that no longer
//! happens (so that the list stays honest).
//!
//! Everything derives from [`SEED`]: a failure prints the case seed, algorithm and mutation,
//! and replays identically.
//!
//! Run with `--nocapture` to see the per-algorithm tally, and with `DIFFERENTIAL_TRACE=1` to
//! see every comparison.

// The harness's helpers are test code too: a failed setup step aborts the test with its message.
#![allow(
    clippy::unwrap_used,
    reason = "test harness helpers outside #[test] functions"
)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use anshin_conformance::authenticator::{
    Algorithm, Attestation, CredentialOptions, Mutation, SignCounter, SplitMix64,
    VirtualAuthenticator,
};
use serde_json::Value;
use url::Url;
use webauthn_core::json::CredentialDescriptorJson;
use webauthn_core::{
    AttestationPolicy, AuthenticationOptions, AuthenticationResponseJson, Challenge, CoseAlgorithm,
    CredentialRecord, RandomSource, RegistrationOptions, RegistrationResponseJson, RelyingParty,
    UnixTime, UserEntity, UserHandle, UserVerificationRequirement,
};
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, COSEAlgorithm, Credential, PublicKeyCredential,
    RegisterPublicKeyCredential, UserVerificationPolicy,
};

const SEED: u64 = 0x616e_7368_696e_0001;
/// Base cases (one credential each, with its mutations) per algorithm.
const CASES_PER_ALGORITHM: u64 = 12;
const RP_ID: &str = "example.org";
const RP_NAME: &str = "Example";
const ORIGIN: &str = "https://example.org";
const NOW: UnixTime = UnixTime::from_secs(1_750_000_000);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ceremony {
    Registration,
    Authentication,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Accept,
    Reject,
}

/// Which library the specification sides with in a divergence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Right {
    Anshin,
    /// Both behaviours conform: the step leaves the decision to relying-party policy.
    EitherPolicy,
}

/// What a divergence condition may look at.
#[derive(Debug, Clone, Copy)]
struct Context {
    user_verification: UserVerificationRequirement,
    /// Whether UV was set in the registration's authenticator data.
    registered_with_uv: bool,
}

/// A disagreement the test expects, with the specification text that decides it.
struct KnownDivergence {
    ceremony: Ceremony,
    mutation: Mutation,
    when: fn(&Context) -> bool,
    anshin: Verdict,
    webauthn_rs: Verdict,
    right: Right,
    /// The deciding WebAuthn Level 3 text (editor's draft), and why.
    spec: &'static str,
}

fn always(_: &Context) -> bool {
    true
}

fn preferred_uv_after_registration_with_uv(c: &Context) -> bool {
    c.user_verification == UserVerificationRequirement::Preferred && c.registered_with_uv
}

/// Every disagreement between the two libraries that this test accepts.
const KNOWN_DIVERGENCES: &[KnownDivergence] = &[
    // webauthn-rs parses authenticator data with nom and drops what follows the last part.
    KnownDivergence {
        ceremony: Ceremony::Registration,
        mutation: Mutation::TrailingAuthDataByte,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§6.1: \"The authenticator data structure is a byte array of 37 bytes or more, laid \
               out as shown in Table 1\" — every part is delimited (AT/ED flags, credentialIdLength, \
               self-delimiting CBOR), and §6.3.3 step 11 relies on it: \"A simple, undelimited \
               concatenation is safe to use here because the authenticator data describes its own \
               length.\" Bytes after the last part are not authenticator data.",
    },
    KnownDivergence {
        ceremony: Ceremony::Authentication,
        mutation: Mutation::TrailingAuthDataByte,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§6.3.3 step 11: \"A simple, undelimited concatenation is safe to use here because \
               the authenticator data describes its own length.\" Accepting trailing bytes makes \
               the boundary between authData and the client data hash ambiguous in the signed \
               message.",
    },
    // webauthn-rs checks crossOrigin only at registration (register_credential_internal), not
    // in verify_credential_internal, and never reads topOrigin.
    KnownDivergence {
        ceremony: Ceremony::Authentication,
        mutation: Mutation::CrossOriginTrue,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§7.2 step 13: \"If C.crossOrigin is present and set to true, verify that the \
               Relying Party expects this credential to be used within an iframe that is not \
               same-origin with its ancestors.\" Neither relying party is configured to expect \
               iframes (webauthn-rs itself refuses the same client data at registration).",
    },
    KnownDivergence {
        ceremony: Ceremony::Authentication,
        mutation: Mutation::TopOriginOfAnotherSite,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§7.2 step 14: \"If C.topOrigin is present: Verify that the Relying Party expects \
               this credential to be used within an iframe that is not same-origin with its \
               ancestors. Verify that the value of C.topOrigin matches the origin of a page that \
               the Relying Party expects to be sub-framed within.\" (and step 13 for the \
               accompanying crossOrigin: true).",
    },
    // webauthn-rs never reads response.userHandle (AuthenticatorAssertionResponse::_user_handle).
    KnownDivergence {
        ceremony: Ceremony::Authentication,
        mutation: Mutation::UserHandleOfAnotherUser,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§7.2 step 6: \"If the user was identified before the authentication ceremony was \
               initiated, […] verify that the identified user account contains a credential record \
               whose id equals credential.rawId. […] If response.userHandle is present, verify that \
               it equals the user handle of the user account.\"",
    },
    // webauthn-rs enforces UV at authentication when the credential was registered with UV
    // under `preferred` (its documented out-of-spec policy, designs/authentication-use-cases.md).
    KnownDivergence {
        ceremony: Ceremony::Authentication,
        mutation: Mutation::ClearUserVerified,
        when: preferred_uv_after_registration_with_uv,
        anshin: Verdict::Accept,
        webauthn_rs: Verdict::Reject,
        right: Right::Anshin,
        spec: "§7.2 step 17: \"Determine whether user verification is required for this \
               assertion. User verification SHOULD be required if, and only if, \
               pkOptions.userVerification is set to required. If user verification was determined \
               to be required, verify that the UV bit of the flags in authData is set. Otherwise, \
               ignore the value of the UV flag.\" The request said `preferred`.",
    },
    // webauthn-rs rejects any change of BE (allow_backup_eligible_upgrade only lets false→true
    // through, and is off); anshin reports the change (VerifiedAuthentication::
    // backup_eligibility_changed) for the risk engine, as DESIGN.md §3 requires.
    KnownDivergence {
        ceremony: Ceremony::Authentication,
        mutation: Mutation::BackupEligibilityChanged,
        when: always,
        anshin: Verdict::Accept,
        webauthn_rs: Verdict::Reject,
        right: Right::EitherPolicy,
        spec: "§7.2 step 19: \"If the credential backup state is used as part of Relying Party \
               business logic or policy, let currentBe and currentBs be the values of the BE and BS \
               bits […]. Compare currentBe and currentBs with credentialRecord.backupEligible and \
               credentialRecord.backupState: If credentialRecord.backupEligible is set, verify that \
               currentBe is set. If credentialRecord.backupEligible is not set, verify that \
               currentBe is not set. Apply Relying Party policy, if any.\" The step is conditional \
               on the relying party's policy; anshin's policy reports, webauthn-rs's rejects.",
    },
    // webauthn-rs takes the credential id from the authenticator data and ignores id/rawId at
    // registration ("This is NEVER actually used in a real registration").
    KnownDivergence {
        ceremony: Ceremony::Registration,
        mutation: Mutation::ResponseIdNotCredentialId,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§7.1 step 27 stores \"id: credential.id or credential.rawId, whichever format is \
               preferred by the Relying Party\" together with \"publicKey: The credential public key \
               in authData\": a response whose id is not authData's credentialId would store a \
               record pairing one credential's id with another's key. No step requires the check, \
               but only rejecting keeps the record consistent; webauthn-rs avoids the problem by \
               storing authData's id instead, which is outside the spec's two choices.",
    },
    // webauthn-rs reads only rawId; anshin refuses JSON whose id and rawId disagree.
    KnownDivergence {
        ceremony: Ceremony::Registration,
        mutation: Mutation::IdDiffersFromRawId,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§5.1: `id` is \"the base64url encoding of the data contained in the object's \
               [[identifier]] internal slot\" and `rawId` \"returns the ArrayBuffer contained in the \
               [[identifier]] internal slot\": no client produces different values, and §7.2 uses \
               credential.id (step 5) and credential.rawId (step 6) interchangeably.",
    },
    KnownDivergence {
        ceremony: Ceremony::Authentication,
        mutation: Mutation::IdDiffersFromRawId,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§7.2 step 5 checks \"credential.id\" against allowCredentials and step 6 looks the \
               record up by \"credential.rawId\"; §5.1 defines `id` as the base64url encoding of \
               the same [[identifier]] as `rawId`. A response where they differ is not one a client \
               produces, and an RP that used `id` for step 5 could be steered by it.",
    },
    // webauthn-rs does not look at attStmt for fmt "none".
    KnownDivergence {
        ceremony: Ceremony::Registration,
        mutation: Mutation::NoneAttestationWithStatement,
        when: always,
        anshin: Verdict::Reject,
        webauthn_rs: Verdict::Accept,
        right: Right::Anshin,
        spec: "§8.7: \"$$attStmtType //= ( fmt: \\\"none\\\", attStmt: emptyMap )\", and §7.1 step \
               22: \"Verify that attStmt is a correct attestation statement […] by using the \
               attestation statement format fmt's verification procedure\". A non-empty map is not \
               a correct `none` statement.",
    },
];

/// The error code with which anshin must reject a mutated response (`None`: accept), so that
/// each mutation is shown to fail the check it targets and no other.
fn anshin_expectation(
    ceremony: Ceremony,
    mutation: Option<Mutation>,
    case: &Case,
) -> Option<&'static str> {
    use Mutation as M;
    Some(match mutation? {
        M::WrongType => "type_mismatch",
        M::WrongChallenge => "challenge_mismatch",
        M::WrongOrigin | M::CrossOriginTrue | M::TopOriginOfAnotherSite => "origin_not_allowed",
        M::WrongRpIdHash => "rp_id_hash_mismatch",
        M::ClearUserPresent => "user_presence_missing",
        // Fatal only where user verification is required (§7.1 step 16, §7.2 step 17).
        M::ClearUserVerified if case.user_verification == UserVerificationRequirement::Required => {
            "user_verification_required"
        }
        // A BE change is reported, not refused (DESIGN.md §3); the user was identified before
        // the ceremony, so userHandle is optional (§7.2 step 6).
        M::ClearUserVerified | M::BackupEligibilityChanged | M::OmitUserHandle => return None,
        M::SetBackupStateWithoutEligible
        | M::TrailingAuthDataByte
        | M::ClearAttestedCredentialFlag
        | M::SetAttestedCredentialFlag => "malformed_authenticator_data",
        M::FlipSignatureByte if ceremony == Ceremony::Registration => "attestation_invalid",
        M::FlipSignatureByte | M::SignatureByAnotherKey => "signature_invalid",
        // Both counters zero means "no counter" (§7.2 step 22).
        M::CounterNotIncreased if case.options.sign_counter == SignCounter::AlwaysZero => {
            return None;
        }
        M::CounterNotIncreased => "counter_regression",
        M::UserHandleOfAnotherUser => "user_handle_mismatch",
        M::AlgorithmNotRequested => "unsupported_algorithm",
        M::AttestationAlgMismatch => "attestation_invalid",
        M::NoneAttestationWithStatement => "malformed_attestation",
        M::ResponseIdNotCredentialId => "credential_id_mismatch",
        M::IdDiffersFromRawId => "invalid_request",
        // The wire-structure mutations (Mutation::STRUCTURE) are not part of this comparison.
        _ => unreachable!("{mutation:?} is not a differential mutation"),
    })
}

/// A deterministic `RandomSource` for anshin (challenges are injected, but the trait is
/// required).
struct SeededRandom(Mutex<SplitMix64>);

impl RandomSource for SeededRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), webauthn_core::Error> {
        self.0.lock().unwrap().fill(dest);
        Ok(())
    }
}

/// One base case: a credential's configuration and the relying parties' policy.
#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    options: CredentialOptions,
    user_verification: UserVerificationRequirement,
    user_handle: Vec<u8>,
}

impl Case {
    fn generate(seed: u64, algorithm: Algorithm) -> Self {
        let mut rng = SplitMix64::new(seed);
        let user_verification = [
            UserVerificationRequirement::Required,
            UserVerificationRequirement::Preferred,
            UserVerificationRequirement::Discouraged,
        ][rng.below(3)];
        let (backup_eligible, backup_state) =
            [(false, false), (true, false), (true, true)][rng.below(3)];
        let sign_counter = match rng.below(3) {
            0 => SignCounter::AlwaysZero,
            1 => SignCounter::Increment { start: 0 },
            _ => SignCounter::Increment {
                start: u32::try_from(rng.below(1000)).unwrap() + 1,
            },
        };
        let options = CredentialOptions {
            algorithm,
            attestation: Attestation::ALL[rng.below(2)],
            // A required-UV ceremony with an authenticator that cannot verify fails for both
            // libraries before anything interesting happens.
            user_verifying: user_verification == UserVerificationRequirement::Required
                || rng.below(4) != 0,
            backup_eligible,
            backup_state,
            sign_counter,
            credential_id_len: 16 + rng.below(49),
            discoverable: rng.coin(),
            ..CredentialOptions::default()
        };
        Self {
            seed,
            options,
            user_verification,
            user_handle: rng.bytes(16),
        }
    }
}

/// Both libraries' verdicts on the same response, with their reasons.
#[derive(Debug)]
struct Comparison {
    anshin: Result<(), String>,
    /// anshin's stable error code when it rejected.
    anshin_code: Option<&'static str>,
    webauthn_rs: Result<(), String>,
}

impl Comparison {
    fn verdicts(&self) -> (Verdict, Verdict) {
        let v = |r: &Result<(), String>| {
            if r.is_ok() {
                Verdict::Accept
            } else {
                Verdict::Reject
            }
        };
        (v(&self.anshin), v(&self.webauthn_rs))
    }
}

/// The stored state of one registered credential in both libraries.
struct Registered {
    anshin: CredentialRecord,
    webauthn_rs: Credential,
    context: Context,
}

/// Counts of what was compared, per algorithm and overall.
#[derive(Default)]
struct Tally {
    registrations: usize,
    assertions: usize,
    agreements: usize,
    divergences: BTreeMap<(Ceremony, String), usize>,
    failures: Vec<String>,
}

struct Harness {
    wrs: WebauthnCore,
    rng: SeededRandom,
    challenges: SplitMix64,
    observed: Vec<usize>,
}

impl Harness {
    fn new() -> Self {
        Self {
            wrs: WebauthnCore::new_unsafe_experts_only(
                RP_NAME,
                RP_ID,
                vec![Url::parse(ORIGIN).unwrap()],
                Duration::from_secs(300),
                None,
                None,
            ),
            rng: SeededRandom(Mutex::new(SplitMix64::new(SEED ^ 0xFFFF))),
            challenges: SplitMix64::new(SEED),
            observed: vec![0; KNOWN_DIVERGENCES.len()],
        }
    }

    fn anshin_rp(algorithms: &[Algorithm]) -> RelyingParty {
        RelyingParty::builder(RP_ID, RP_NAME)
            .origin(ORIGIN)
            .algorithms(algorithms.iter().map(|a| CoseAlgorithm(a.cose())).collect())
            .build()
            .unwrap()
    }

    fn wrs_algorithms(algorithms: &[Algorithm]) -> Vec<COSEAlgorithm> {
        algorithms
            .iter()
            .map(|a| match a {
                Algorithm::Es256 => COSEAlgorithm::ES256,
                Algorithm::EdDsa => COSEAlgorithm::EDDSA,
                Algorithm::Rs256 => COSEAlgorithm::RS256,
                // The comparison runs on Algorithm::ALL only.
                other => unreachable!("{other} is not compared with webauthn-rs"),
            })
            .collect()
    }

    fn wrs_policy(uv: UserVerificationRequirement) -> UserVerificationPolicy {
        match uv {
            UserVerificationRequirement::Required => UserVerificationPolicy::Required,
            UserVerificationRequirement::Preferred => UserVerificationPolicy::Preferred,
            UserVerificationRequirement::Discouraged => {
                UserVerificationPolicy::Discouraged_DO_NOT_USE
            }
        }
    }

    /// Replaces the random challenge webauthn-rs generated with ours, through its serde form.
    fn with_challenge<T: serde::Serialize + serde::de::DeserializeOwned>(
        state: &T,
        challenge: &[u8],
    ) -> T {
        let mut value = serde_json::to_value(state).unwrap();
        value["challenge"] = Value::String(webauthn_core::base64url::encode(challenge));
        serde_json::from_value(value).unwrap()
    }

    /// One registration through both libraries. Returns the comparison and, when both
    /// accepted, the stored credential.
    fn register(
        &mut self,
        case: &Case,
        authenticator: &mut VirtualAuthenticator,
        mutation: Option<Mutation>,
    ) -> (Comparison, Option<Registered>) {
        let algorithm = case.options.algorithm;
        let offered: Vec<Algorithm> = if mutation == Some(Mutation::AlgorithmNotRequested) {
            Algorithm::ALL
                .into_iter()
                .filter(|a| *a != algorithm)
                .collect()
        } else {
            Algorithm::ALL.to_vec()
        };
        let challenge = self.challenges.bytes(32);

        // anshin
        let rp = Self::anshin_rp(&offered);
        let user = UserEntity {
            id: UserHandle::new(case.user_handle.clone()).unwrap(),
            name: "alice".into(),
            display_name: "Alice".into(),
        };
        let mut options = RegistrationOptions::default()
            .danger_with_challenge(Challenge::danger_from_bytes(challenge.clone()));
        options.user_verification = case.user_verification;
        let (creation, state) = rp
            .start_registration(user, options, NOW, &self.rng)
            .unwrap();
        let mutations: Vec<Mutation> = mutation.into_iter().collect();
        let response = authenticator
            .create(&creation, &case.options, &mutations)
            .unwrap_or_else(|e| panic!("case {:#x} {mutation:?}: authenticator: {e}", case.seed));
        let anshin = RegistrationResponseJson::from_json(&response.json)
            .and_then(|r| rp.finish_registration(state, &r, &AttestationPolicy::any(), NOW));

        // webauthn-rs
        let builder = self
            .wrs
            .new_challenge_register_builder(&case.user_handle, "alice", "Alice")
            .unwrap()
            .attestation(AttestationConveyancePreference::None)
            .user_verification_policy(Self::wrs_policy(case.user_verification))
            .credential_algorithms(Self::wrs_algorithms(&offered));
        let (_, wrs_state) = self.wrs.generate_challenge_register(builder).unwrap();
        let wrs_state = Self::with_challenge(&wrs_state, &challenge);
        let webauthn_rs = serde_json::from_value::<RegisterPublicKeyCredential>(response.json)
            .map_err(|e| format!("JSON: {e}"))
            .and_then(|r| {
                self.wrs
                    .register_credential(&r, &wrs_state, None)
                    .map_err(|e| format!("{e:?}"))
            });

        let registered = match (&anshin, &webauthn_rs) {
            (Ok(verified), Ok(credential)) => Some(Registered {
                anshin: verified.credential.clone(),
                webauthn_rs: credential.clone(),
                context: Context {
                    user_verification: case.user_verification,
                    registered_with_uv: verified.user_verified,
                },
            }),
            _ => None,
        };
        let comparison = Comparison {
            anshin_code: anshin.as_ref().err().map(webauthn_core::Error::code),
            anshin: anshin
                .map(|_| ())
                .map_err(|e| format!("{} ({e})", e.code())),
            webauthn_rs: webauthn_rs.map(|_| ()),
        };
        (comparison, registered)
    }

    /// One assertion through both libraries; on agreement to accept an unmutated assertion the
    /// stored records are updated as each library prescribes.
    fn authenticate(
        &mut self,
        case: &Case,
        authenticator: &mut VirtualAuthenticator,
        registered: &mut Registered,
        mutation: Option<Mutation>,
    ) -> Comparison {
        let challenge = self.challenges.bytes(32);

        // anshin
        let rp = Self::anshin_rp(&Algorithm::ALL);
        let mut options = AuthenticationOptions::default()
            .danger_with_challenge(Challenge::danger_from_bytes(challenge.clone()));
        options.user = Some(registered.anshin.user_handle.clone());
        options.allow_credentials = vec![CredentialDescriptorJson::new(
            registered.anshin.id.clone(),
            vec![],
        )];
        options.user_verification = case.user_verification;
        let (request, state) = rp.start_authentication(options, NOW, &self.rng).unwrap();
        let mutations: Vec<Mutation> = mutation.into_iter().collect();
        let response = authenticator
            .get(&request, &mutations)
            .unwrap_or_else(|e| panic!("case {:#x} {mutation:?}: authenticator: {e}", case.seed));
        let anshin = AuthenticationResponseJson::from_json(&response.json)
            .and_then(|r| rp.finish_authentication(state, &r, &registered.anshin, NOW));

        // webauthn-rs
        let builder = self
            .wrs
            .new_challenge_authenticate_builder(
                vec![registered.webauthn_rs.clone()],
                Some(Self::wrs_policy(case.user_verification)),
            )
            .unwrap();
        let (_, wrs_state) = self.wrs.generate_challenge_authenticate(builder).unwrap();
        let wrs_state = Self::with_challenge(&wrs_state, &challenge);
        let webauthn_rs = serde_json::from_value::<PublicKeyCredential>(response.json)
            .map_err(|e| format!("JSON: {e}"))
            .and_then(|r| {
                self.wrs
                    .authenticate_credential(&r, &wrs_state)
                    .map_err(|e| format!("{e:?}"))
            });

        if mutation.is_none()
            && let (Ok(verified), Ok(result)) = (&anshin, &webauthn_rs)
        {
            verified.apply_to(&mut registered.anshin);
            let stored = &mut registered.webauthn_rs;
            if result.counter() > stored.counter {
                stored.counter = result.counter();
            }
            stored.backup_state = result.backup_state();
            stored.backup_eligible = result.backup_eligible();
        }
        Comparison {
            anshin_code: anshin.as_ref().err().map(webauthn_core::Error::code),
            anshin: anshin
                .map(|_| ())
                .map_err(|e| format!("{} ({e})", e.code())),
            webauthn_rs: webauthn_rs.map(|_| ()),
        }
    }

    /// Records one comparison: agreement, a known divergence, or a failure.
    fn judge(
        &mut self,
        tally: &mut Tally,
        ceremony: Ceremony,
        case: &Case,
        context: &Context,
        mutation: Option<Mutation>,
        comparison: &Comparison,
    ) {
        match ceremony {
            Ceremony::Registration => tally.registrations += 1,
            Ceremony::Authentication => tally.assertions += 1,
        }
        let (anshin, webauthn_rs) = comparison.verdicts();
        let describe = || {
            format!(
                "{ceremony:?} case {:#x} ({} {}, uv {:?}, BE/BS {}/{}, {:?}), mutation {}: \
                 anshin {:?}, webauthn-rs {:?}",
                case.seed,
                case.options.algorithm,
                case.options.attestation.fmt(),
                case.user_verification,
                case.options.backup_eligible,
                case.options.backup_state,
                case.options.sign_counter,
                mutation.map_or_else(|| "none".to_owned(), |m| m.to_string()),
                comparison.anshin,
                comparison.webauthn_rs,
            )
        };
        if std::env::var_os("DIFFERENTIAL_TRACE").is_some() {
            println!("{}", describe());
        }
        let expected = anshin_expectation(ceremony, mutation, case);
        if comparison.anshin_code != expected {
            tally.failures.push(format!(
                "anshin did not {}: {}",
                expected.map_or_else(|| "accept".to_owned(), |c| format!("reject with {c}")),
                describe()
            ));
        }
        if mutation.is_none() && (anshin, webauthn_rs) != (Verdict::Accept, Verdict::Accept) {
            tally.failures.push(format!(
                "unmutated response not accepted by both: {}",
                describe()
            ));
            return;
        }
        if anshin == webauthn_rs {
            tally.agreements += 1;
            return;
        }
        let known = mutation.and_then(|m| {
            KNOWN_DIVERGENCES.iter().position(|d| {
                d.ceremony == ceremony
                    && d.mutation == m
                    && (d.when)(context)
                    && d.anshin == anshin
                    && d.webauthn_rs == webauthn_rs
            })
        });
        match known {
            Some(i) => {
                self.observed[i] += 1;
                *tally
                    .divergences
                    .entry((ceremony, KNOWN_DIVERGENCES[i].mutation.to_string()))
                    .or_default() += 1;
            }
            None => tally
                .failures
                .push(format!("unexpected disagreement: {}", describe())),
        }
    }

    /// A base case: the registration and its mutations, then assertions and their mutations.
    fn run_case(&mut self, case: &Case, tally: &mut Tally) {
        let fresh = VirtualAuthenticator::new(case.seed).with_origin(ORIGIN);
        let registration_context = Context {
            user_verification: case.user_verification,
            registered_with_uv: false,
        };

        // Each mutated registration replays the same credential from a clone.
        for mutation in Mutation::ALL
            .into_iter()
            .filter(|m| m.applies_to_registration(case.options.attestation))
        {
            let mut authenticator = fresh.clone();
            let (comparison, _) = self.register(case, &mut authenticator, Some(mutation));
            self.judge(
                tally,
                Ceremony::Registration,
                case,
                &registration_context,
                Some(mutation),
                &comparison,
            );
        }
        let mut authenticator = fresh;
        let (comparison, registered) = self.register(case, &mut authenticator, None);
        self.judge(
            tally,
            Ceremony::Registration,
            case,
            &registration_context,
            None,
            &comparison,
        );
        let Some(mut registered) = registered else {
            return;
        };

        // Each mutated assertion follows an accepted, unmutated one, so that it is judged
        // against freshly updated records (the counter in particular).
        let context = registered.context;
        for mutation in Mutation::ALL
            .into_iter()
            .filter(|m| m.applies_to_authentication())
        {
            let comparison = self.authenticate(case, &mut authenticator, &mut registered, None);
            self.judge(
                tally,
                Ceremony::Authentication,
                case,
                &context,
                None,
                &comparison,
            );
            let comparison =
                self.authenticate(case, &mut authenticator, &mut registered, Some(mutation));
            self.judge(
                tally,
                Ceremony::Authentication,
                case,
                &context,
                Some(mutation),
                &comparison,
            );
        }
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} registrations, {} assertions, {} agreements",
            self.registrations, self.assertions, self.agreements
        )?;
        for ((ceremony, mutation), n) in &self.divergences {
            write!(f, "; known divergence {ceremony:?}/{mutation}: {n}")?;
        }
        Ok(())
    }
}

#[test]
fn anshin_and_webauthn_rs_agree() {
    let mut harness = Harness::new();
    let mut failures = Vec::new();
    for (a, algorithm) in Algorithm::ALL.into_iter().enumerate() {
        let mut tally = Tally::default();
        for i in 0..CASES_PER_ALGORITHM {
            let seed = SplitMix64::new(SEED ^ (u64::try_from(a).unwrap() << 32) ^ i).next_u64();
            let case = Case::generate(seed, algorithm);
            harness.run_case(&case, &mut tally);
        }
        println!("{algorithm}: {tally}");
        failures.append(&mut tally.failures);
    }
    for (divergence, seen) in KNOWN_DIVERGENCES.iter().zip(&harness.observed) {
        println!(
            "  {:?}/{}: anshin {:?}, webauthn-rs {:?}, right: {:?}, seen {seen} times",
            divergence.ceremony,
            divergence.mutation,
            divergence.anshin,
            divergence.webauthn_rs,
            divergence.right,
        );
        if *seen == 0 {
            failures.push(format!(
                "known divergence {:?}/{} never happened: remove it from the list ({})",
                divergence.ceremony, divergence.mutation, divergence.spec
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
