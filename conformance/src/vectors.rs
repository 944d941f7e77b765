//! The test-vector runner: runs WebAuthn registration and authentication vectors (the schema of
//! `conformance/vectors/README.md`) through `webauthn-core` and compares each verdict, and every
//! output the vector asserts, with what the vector expects.
//!
//! Outcomes follow the conformance-suite convention: a vector passes, is pending (a format that
//! is not implemented yet, with the reason from `exceptions.toml`), is a known divergence (listed
//! in `exceptions.toml` with the expected verdict, anshin's verdict and the reason), or fails.
//! Only unexpected outcomes fail the run, and an exception that no longer matches what happens
//! fails it too, so the list stays true.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use webauthn_core::base64url;
use webauthn_core::error::Unsupported;
use webauthn_core::json::UserVerificationRequirement;
use webauthn_core::{
    AttestationPolicy, AuthenticationOptions, AuthenticationResponseJson, Challenge, CoseAlgorithm,
    CredentialId, CredentialPublicKey, CredentialRecord, Error, Mediation, RandomSource,
    RegistrationOptions, RegistrationResponseJson, RelyingParty, SafetyNetPolicy, UnixTime,
    UserEntity, UserHandle,
};

/// The exceptions file: formats not implemented yet, and known divergences.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exceptions {
    /// Attestation formats that are not implemented yet.
    #[serde(default)]
    pub pending: Vec<PendingFormat>,
    /// Vectors whose verdict anshin knowingly does not share.
    #[serde(default)]
    pub divergence: Vec<Divergence>,
}

/// An attestation format that is not implemented yet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingFormat {
    /// The format identifier (`tpm`).
    pub format: String,
    /// Why, and when it comes.
    pub reason: String,
}

/// A vector whose verdict anshin knowingly does not share.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// The vector id.
    pub id: String,
    /// What the vector expects: `accept` or `reject`.
    pub expected: String,
    /// What anshin does: `accept` or the error code it rejects with.
    pub actual: String,
    /// Why anshin differs, with the specification text that decides it.
    pub reason: String,
}

impl Exceptions {
    /// Reads an exceptions file.
    ///
    /// # Errors
    /// When the file cannot be read or is not valid TOML of this shape.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn pending_reason(&self, format: &str) -> Option<&str> {
        self.pending
            .iter()
            .find(|p| p.format == format)
            .map(|p| p.reason.as_str())
    }

    fn divergence(&self, id: &str) -> Option<&Divergence> {
        self.divergence.iter().find(|d| d.id == id)
    }
}

/// The outcome of one vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The verdict (and every checked output) is what the vector expects.
    Pass {
        /// A short note (the error code of an expected rejection).
        note: String,
    },
    /// The vector needs something not implemented yet.
    Pending {
        /// Why.
        reason: String,
    },
    /// A listed divergence, and the verdict is the listed one.
    KnownDivergence {
        /// Why anshin differs.
        reason: String,
    },
    /// The vector expected acceptance (or a particular rejection) and did not get it.
    UnexpectedFailure {
        /// What happened.
        detail: String,
    },
    /// The vector expected a rejection and anshin accepted.
    UnexpectedSuccess {
        /// What happened.
        detail: String,
    },
}

impl Outcome {
    /// Whether the outcome fails the run.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::UnexpectedFailure { .. } | Self::UnexpectedSuccess { .. }
        )
    }
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct VectorResult {
    /// The vector id.
    pub id: String,
    /// `registration` or `authentication`.
    pub ceremony: String,
    /// The outcome.
    pub outcome: Outcome,
}

impl fmt::Display for VectorResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tag, text) = match &self.outcome {
            Outcome::Pass { note } => ("pass", note.as_str()),
            Outcome::Pending { reason } => ("pending", reason.as_str()),
            Outcome::KnownDivergence { reason } => ("known divergence", reason.as_str()),
            Outcome::UnexpectedFailure { detail } => ("FAIL: unexpected failure", detail.as_str()),
            Outcome::UnexpectedSuccess { detail } => ("FAIL: unexpected success", detail.as_str()),
        };
        write!(f, "{:<44} {:<14} {tag}", self.id, self.ceremony)?;
        if !text.is_empty() {
            write!(f, ": {text}")?;
        }
        Ok(())
    }
}

/// The totals of a run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Vectors that passed.
    pub passed: usize,
    /// Vectors that failed (unexpected outcomes).
    pub failed: usize,
    /// Vectors pending a format not implemented yet.
    pub pending: usize,
    /// Known divergences.
    pub known: usize,
}

impl Summary {
    /// Totals of results.
    #[must_use]
    pub fn of(results: &[VectorResult]) -> Self {
        let mut s = Self::default();
        for r in results {
            match r.outcome {
                Outcome::Pass { .. } => s.passed += 1,
                Outcome::Pending { .. } => s.pending += 1,
                Outcome::KnownDivergence { .. } => s.known += 1,
                Outcome::UnexpectedFailure { .. } | Outcome::UnexpectedSuccess { .. } => {
                    s.failed += 1;
                }
            }
        }
        s
    }
}

/// Collects the `*.json` vector files of directories (or files), sorted.
///
/// # Errors
/// When a directory cannot be read.
pub fn vector_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries =
                std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
            for entry in entries {
                let p = entry
                    .map_err(|e| format!("{}: {e}", path.display()))?
                    .path();
                if p.extension().is_some_and(|e| e == "json") {
                    files.push(p);
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    Ok(files)
}

/// Runs every vector of a file.
///
/// # Errors
/// When the file is not a JSON array of vectors.
pub fn run_file(path: &Path, exceptions: &Exceptions) -> Result<Vec<VectorResult>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let records: Vec<Value> = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a JSON array: {e}", path.display()))?;
    Ok(records.iter().map(|r| run_vector(r, exceptions)).collect())
}

/// Runs one vector and classifies the outcome.
///
/// Some sources' fixtures encode binary fields in padded or standard base64, which anshin's
/// API refuses (WebAuthn's JSON forms and the FIDO conformance profile use base64url without
/// padding). The runner re-encodes such fields in canonical base64url first, so that the
/// ceremony checks still run on the vector's bytes, and says so in the report.
#[must_use]
pub fn run_vector(record: &Value, exceptions: &Exceptions) -> VectorResult {
    let id = record["id"].as_str().unwrap_or("<no id>").to_owned();
    let ceremony = record["ceremony"].as_str().unwrap_or("?").to_owned();
    let mut record = record.clone();
    let normalized = normalize_base64(&mut record["inputs"]["response"]);
    let outcome = match Vector::from_record(&record) {
        Err(problem) => Outcome::UnexpectedFailure {
            detail: format!("the vector cannot be read: {problem}"),
        },
        Ok(vector) => classify(&vector, &vector.run(), exceptions),
    };
    let outcome = match outcome {
        Outcome::Pass { note } if !normalized.is_empty() => Outcome::Pass {
            note: format!(
                "{note} (re-encoded as base64url, the source used padded or standard base64: {})",
                normalized.join(", ")
            ),
        },
        other => other,
    };
    VectorResult {
        id,
        ceremony,
        outcome,
    }
}

/// A vector, read from its JSON record.
struct Vector<'a> {
    id: &'a str,
    record: &'a Value,
    registration: bool,
    rp_ids: Vec<String>,
    origins: Vec<String>,
    challenge: Vec<u8>,
    expect_accept: bool,
    reason: String,
}

/// What webauthn-core decided, with the outputs to compare.
enum Verdict {
    Accepted(BTreeMap<&'static str, String>),
    Rejected(Error),
}

impl<'a> Vector<'a> {
    fn from_record(record: &'a Value) -> Result<Self, String> {
        let id = record["id"].as_str().ok_or("no id")?;
        let registration = match record["ceremony"].as_str() {
            Some("registration") => true,
            Some("authentication") => false,
            other => return Err(format!("unknown ceremony {other:?}")),
        };
        let inputs = &record["inputs"];
        let origins: Vec<String> = strings(&inputs["expected_origins"]);
        if origins.is_empty() {
            return Err("no expected_origins".into());
        }
        let rp_ids = match &inputs["rp_id"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(_) => strings(&inputs["rp_id"]),
            // The source checked no RP ID: use the host of the expected origin.
            _ => origins
                .iter()
                .filter_map(|o| {
                    o.split_once("://")
                        .map(|(_, h)| h.split(':').next().unwrap_or(h).to_owned())
                })
                .take(1)
                .collect(),
        };
        let challenge_text = inputs["expected_challenge"]
            .as_str()
            .ok_or("no expected_challenge")?;
        // A few sources use text that is not canonical base64url as the challenge; decode it
        // leniently so that the ceremony compares the client's challenge with the same text.
        let challenge = base64url::decode(challenge_text)
            .or_else(|_| LENIENT_BASE64URL.decode(challenge_text))
            .map_err(|_| "expected_challenge is not base64url")?;
        let expected = &record["expected"];
        let expect_accept = match expected["outcome"].as_str() {
            Some("accept") => true,
            Some("reject") => false,
            other => return Err(format!("unknown expected outcome {other:?}")),
        };
        Ok(Self {
            id,
            record,
            registration,
            rp_ids,
            origins,
            challenge,
            expect_accept,
            reason: expected["reason"].as_str().unwrap_or_default().to_owned(),
        })
    }

    fn options(&self) -> &'a Value {
        &self.record["options"]
    }

    /// Runs the ceremony once per RP ID the vector allows; accepted if any accepts.
    fn run(&self) -> Verdict {
        let mut last = None;
        for rp_id in &self.rp_ids {
            match self.run_with(rp_id) {
                Ok(outputs) => return Verdict::Accepted(outputs),
                Err(e) => last = Some(e),
            }
        }
        match last {
            Some(e) => Verdict::Rejected(e),
            None => Verdict::Rejected(Error::Unsupported(Unsupported::KeyType(
                "the vector names no RP ID".into(),
            ))),
        }
    }

    fn relying_party(&self, rp_id: &str) -> Result<RelyingParty, Error> {
        let options = self.options();
        let mut builder = RelyingParty::builder(rp_id, "anshin vectors").origins(&self.origins);
        if options["allow_cross_origin"].as_bool() == Some(true) {
            builder = builder.allow_cross_origin(strings(&options["expected_top_origins"]));
        }
        let names = match (&options["allowed_algorithms"], &options["supported_algs"]) {
            (Value::Array(_), _) => strings(&options["allowed_algorithms"]),
            (_, Value::Array(_)) => strings(&options["supported_algs"]),
            _ => Vec::new(),
        };
        let mut algorithms: Vec<CoseAlgorithm> =
            names.iter().filter_map(|n| algorithm(n)).collect();
        if names.is_empty() {
            algorithms = ALL_ALGORITHMS.to_vec();
        } else if algorithms.is_empty() {
            // Only algorithms anshin does not implement were requested: offer the default list,
            // so that the credential's algorithm is refused as unsupported.
            algorithms = webauthn_core::relying_party::DEFAULT_ALGORITHMS.to_vec();
        }
        if algorithms.contains(&CoseAlgorithm::RS1) {
            builder = builder.legacy_algorithms(true);
        }
        builder.algorithms(algorithms).build()
    }

    fn user_verification(&self) -> UserVerificationRequirement {
        let options = self.options();
        let required = options["require_user_verification"].as_bool() == Some(true)
            || options["user_verification_policy"].as_str() == Some("Required");
        if required {
            UserVerificationRequirement::Required
        } else {
            UserVerificationRequirement::Preferred
        }
    }

    fn user_presence_required(&self) -> bool {
        self.options()["require_user_presence"].as_bool() != Some(false)
    }

    fn now(&self) -> UnixTime {
        if let Some(t) = self.options()["verification_time"]
            .as_str()
            .and_then(parse_time)
        {
            return t;
        }
        // No pinned time: the latest notBefore of the attestation certificates, so that their
        // validity does not depend on the day the vectors run.
        let not_before = self.record["derived"]["x5c"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["not_before"].as_str().and_then(parse_time))
            .max();
        not_before.map_or(DEFAULT_TIME, |t| UnixTime::from_secs(t.as_secs() + 1))
    }

    fn run_with(&self, rp_id: &str) -> Result<BTreeMap<&'static str, String>, Error> {
        let rp = self.relying_party(rp_id)?;
        let now = self.now();
        let challenge = Challenge::danger_from_bytes(self.challenge.clone());
        let response = &self.record["inputs"]["response"];
        if self.registration {
            let mut options = RegistrationOptions::default().danger_with_challenge(challenge);
            options.user_verification = self.user_verification();
            if !self.user_presence_required() {
                // A registration without UP is the automatic passkey upgrade (conditional create).
                options.mediation = Mediation::Conditional;
                options.user_verification = UserVerificationRequirement::Preferred;
            }
            let user = UserEntity {
                id: UserHandle::new(b"anshin vector user".to_vec())?,
                name: "user".into(),
                display_name: "User".into(),
            };
            let (_, state) = rp.start_registration(user, options, now, &NoRandom)?;
            let response = RegistrationResponseJson::from_json(response)?;
            let verified =
                rp.finish_registration(state, &response, &self.attestation_policy(), now)?;
            let c = &verified.credential;
            Ok(BTreeMap::from([
                ("credential_id", c.id.to_base64url()),
                ("credential_type", "public-key".to_owned()),
                (
                    "credential_public_key_cose",
                    base64url::encode(c.public_key.as_cose()),
                ),
                ("aaguid", c.aaguid.to_string()),
                ("fmt", verified.attestation.format.clone()),
                ("sign_count", c.sign_count.to_string()),
                ("user_verified", verified.user_verified.to_string()),
                ("credential_backed_up", c.backup_state.to_string()),
                ("backup_eligible", c.backup_eligible.to_string()),
                ("origin", verified.origin.clone()),
                ("rp_id", rp_id.to_owned()),
                (
                    "attestation_type",
                    format!("{:?}", verified.attestation.attestation_type),
                ),
            ]))
        } else {
            let response = AuthenticationResponseJson::from_json(response)?;
            let stored = &self.record["inputs"]["credential"];
            let key_text = stored["public_key_cose"].as_str().unwrap_or_default();
            let key_bytes = base64url::decode(key_text).unwrap_or_default();
            let public_key = CredentialPublicKey::from_cose(&key_bytes)?;
            let stored_id = base64url::decode(stored["id"].as_str().unwrap_or_default())
                .or_else(|_| LENIENT_BASE64URL.decode(stored["id"].as_str().unwrap_or_default()))
                .unwrap_or_default();
            let user_handle = match &response.response.user_handle {
                Some(h) => UserHandle::new(h.clone())?,
                None => UserHandle::new(b"anshin vector user".to_vec())?,
            };
            let record = CredentialRecord {
                id: CredentialId::new(stored_id),
                user_handle: user_handle.clone(),
                public_key,
                sign_count: stored["sign_count"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
                uv_initialized: false,
                transports: Vec::new(),
                backup_eligible: stored["backup_eligible"].as_bool().unwrap_or(false),
                backup_state: false,
                aaguid: webauthn_core::Aaguid::ZERO,
                attestation_format: "none".into(),
                discoverable: None,
            };
            let mut options = AuthenticationOptions::default().danger_with_challenge(challenge);
            options.user_verification = self.user_verification();
            // With a user handle in the response the source ran a usernameless ceremony;
            // otherwise the user was identified before it.
            options.user = response
                .response
                .user_handle
                .is_none()
                .then_some(user_handle);
            if let Some(appid) = self.record["inputs"]["appid"].as_str() {
                options.extensions.appid = Some(appid.to_owned());
            }
            if !self.user_presence_required() {
                options = options.danger_allow_missing_user_presence();
            }
            let (_, state) = rp.start_authentication(options, now, &NoRandom)?;
            let verified = rp.finish_authentication(state, &response, &record, now)?;
            Ok(BTreeMap::from([
                ("credential_id", verified.credential_id.to_base64url()),
                ("new_sign_count", verified.sign_count.to_string()),
                ("user_verified", verified.user_verified.to_string()),
                ("credential_backed_up", verified.backup_state.to_string()),
                ("backup_eligible", verified.backup_eligible.to_string()),
                ("origin", verified.origin),
                ("rp_id", rp_id.to_owned()),
            ]))
        }
    }

    fn attestation_policy(&self) -> AttestationPolicy {
        let options = self.options();
        // The vectors' sources accept SafetyNet, and say when they skip its checks.
        let safetynet = SafetyNetPolicy {
            require_cts_profile_match: options["safetynet_enforce_cts_profile_match"]
                .as_bool()
                .unwrap_or(true),
            check_timestamp: options["safetynet_verify_timestamp"]
                .as_bool()
                .unwrap_or(true),
            ..SafetyNetPolicy::default()
        };
        let anchors = &options["trust_anchors_pem"];
        // SimpleWebAuthn's tests clear a format's root list to switch its root check off (see
        // the records' trust_anchor_note); elsewhere an empty list trusts nothing.
        let simplewebauthn =
            self.record["source"]["repo"].as_str() == Some("MasterKale/SimpleWebAuthn");
        let skips_roots = simplewebauthn && anchors.as_array().is_some_and(Vec::is_empty);
        let policy = match anchors {
            _ if skips_roots => AttestationPolicy::any(),
            // The vector names its anchors: exactly those are trusted.
            Value::Array(items) => AttestationPolicy::require_trusted()
                .without_builtin_roots()
                .with_trust_anchors(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(pem_to_der)
                        .collect(),
                ),
            _ => AttestationPolicy::any(),
        };
        policy.allow_safetynet(safetynet)
    }

    /// Compares every output the vector asserts with what anshin returned.
    fn check_asserted(
        &self,
        outputs: &BTreeMap<&'static str, String>,
    ) -> Result<Vec<String>, String> {
        let mut unchecked = Vec::new();
        let asserted = self.record["expected"]["asserted"].as_object();
        for (key, expected) in asserted.into_iter().flatten() {
            let expected_text = match (key.as_str(), expected) {
                ("verified", Value::Bool(true)) => continue,
                ("credential_device_type", Value::String(s)) => {
                    let multi = s.to_ascii_lowercase().contains("multi");
                    let actual = outputs.get("backup_eligible").map(String::as_str);
                    if actual != Some(if multi { "true" } else { "false" }) {
                        return Err(format!(
                            "credential_device_type: expected {s}, BE is {actual:?}"
                        ));
                    }
                    continue;
                }
                ("attestation_type", Value::String(s)) => match s.as_str() {
                    "Self" | "self" => "SelfAttestation".to_owned(),
                    other => other.to_owned(),
                },
                (_, Value::String(s)) => s.clone(),
                (_, Value::Bool(b)) => b.to_string(),
                (_, Value::Number(n)) => n.to_string(),
                (_, other) => other.to_string(),
            };
            match outputs.get(key.as_str()) {
                None => unchecked.push(key.clone()),
                Some(actual) if *actual == expected_text => {}
                Some(actual) if key == "aaguid" && actual.eq_ignore_ascii_case(&expected_text) => {}
                Some(actual) => {
                    return Err(format!(
                        "{key}: expected {expected_text}, anshin returned {actual}"
                    ));
                }
            }
        }
        Ok(unchecked)
    }

    /// The error codes that fit the vector's stated reason for rejection, if it names one.
    fn expected_codes(&self) -> Vec<&'static str> {
        let reason = self.reason.to_ascii_lowercase();
        let mut codes = Vec::new();
        for (keywords, fitting) in REASON_CLASSES {
            if keywords.iter().any(|k| reason.contains(k)) {
                codes.extend_from_slice(fitting);
            }
        }
        codes
    }
}

/// Keywords of the vectors' stated rejection reasons, and the error codes that fit them.
const REASON_CLASSES: &[(&[&str], &[&str])] = &[
    (&["challenge"], &["challenge_mismatch"]),
    (&["origin"], &["origin_not_allowed"]),
    (&["rpidhash", "rp id"], &["rp_id_hash_mismatch"]),
    (
        &["uv flag", "uv required", "user verification"],
        &["user_verification_required"],
    ),
    (&["up flag", "user presence"], &["user_presence_missing"]),
    (
        &["signature"],
        &["signature_invalid", "attestation_invalid"],
    ),
    (&["counter", "signcount"], &["counter_regression"]),
    (
        &["clientdatajson.type", "expected type"],
        &["type_mismatch"],
    ),
    (&["aaguid"], &["attestation_invalid"]),
    (
        &["trust anchor", "trusted root", "trusted ca"],
        &["attestation_untrusted"],
    ),
    (
        &["unsupported attestation statement format"],
        &["unsupported_attestation_format"],
    ),
    (&["tokenbinding"], &["malformed_client_data"]),
    (&["cose_key"], &["malformed_authenticator_data"]),
    (
        &["authenticator data cannot be parsed"],
        &["malformed_authenticator_data"],
    ),
    (
        &["not valid cbor"],
        &["malformed_attestation", "invalid_request"],
    ),
    (&["malformed response"], &["invalid_request"]),
];

/// How a verdict compares with the vector's expectation, before exceptions apply.
fn classify(vector: &Vector<'_>, verdict: &Verdict, exceptions: &Exceptions) -> Outcome {
    // A format that is not implemented yet: pending, whatever the expected verdict (a
    // rejection for that reason says nothing about the vector).
    if let Verdict::Rejected(Error::Unsupported(Unsupported::AttestationFormat(fmt))) = verdict
        && let Some(reason) = exceptions.pending_reason(fmt)
    {
        return Outcome::Pending {
            reason: format!("{fmt}: {reason}"),
        };
    }
    let actual = match verdict {
        Verdict::Accepted(_) => "accept".to_owned(),
        Verdict::Rejected(e) => e.code().to_owned(),
    };
    let raw = match (verdict, vector.expect_accept) {
        (Verdict::Accepted(outputs), true) => match vector.check_asserted(outputs) {
            Ok(unchecked) if unchecked.is_empty() => Outcome::Pass {
                note: "accepted".into(),
            },
            Ok(unchecked) => Outcome::Pass {
                note: format!("accepted (not compared: {})", unchecked.join(", ")),
            },
            Err(mismatch) => Outcome::UnexpectedFailure { detail: mismatch },
        },
        (Verdict::Rejected(e), true) => Outcome::UnexpectedFailure {
            detail: format!("expected accept, rejected with {}: {e}", e.code()),
        },
        (Verdict::Accepted(_), false) => Outcome::UnexpectedSuccess {
            detail: format!("expected reject ({}), anshin accepted", vector.reason),
        },
        (Verdict::Rejected(e), false) => {
            let fitting = vector.expected_codes();
            if fitting.is_empty() || fitting.contains(&e.code()) {
                Outcome::Pass {
                    note: format!("rejected: {}", e.code()),
                }
            } else {
                Outcome::UnexpectedFailure {
                    detail: format!(
                        "expected a rejection for \"{}\" ({}), rejected for another reason: {}: {e}",
                        vector.reason,
                        fitting.join(" or "),
                        e.code()
                    ),
                }
            }
        }
    };
    match exceptions.divergence(vector.id) {
        None => raw,
        Some(d) => {
            let expected = if vector.expect_accept {
                "accept"
            } else {
                "reject"
            };
            if d.expected == expected && d.actual == actual && raw.is_failure() {
                Outcome::KnownDivergence {
                    reason: d.reason.clone(),
                }
            } else {
                Outcome::UnexpectedFailure {
                    detail: format!(
                        "exceptions.toml lists a divergence (expected {}, actual {}) but the outcome is now {actual}: {raw:?}; update the list",
                        d.expected, d.actual
                    ),
                }
            }
        }
    }
}

/// When a vector pins no time and has no certificates.
const DEFAULT_TIME: UnixTime = UnixTime::from_secs(1_735_689_600); // 2025-01-01T00:00:00Z

/// Every algorithm anshin verifies, RS1 included: the sources accept every algorithm they
/// implement unless a vector says otherwise.
const ALL_ALGORITHMS: [CoseAlgorithm; 19] = [
    CoseAlgorithm::ES256,
    CoseAlgorithm::ES384,
    CoseAlgorithm::ES512,
    CoseAlgorithm::ESP256,
    CoseAlgorithm::ESP384,
    CoseAlgorithm::ESP512,
    CoseAlgorithm::EDDSA,
    CoseAlgorithm::ED25519,
    CoseAlgorithm::ED448,
    CoseAlgorithm::RS256,
    CoseAlgorithm::RS384,
    CoseAlgorithm::RS512,
    CoseAlgorithm::PS256,
    CoseAlgorithm::PS384,
    CoseAlgorithm::PS512,
    CoseAlgorithm::ML_DSA_44,
    CoseAlgorithm::ML_DSA_65,
    CoseAlgorithm::ML_DSA_87,
    CoseAlgorithm::RS1,
];

const LENIENT_BASE64URL: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Challenges come from the vector; the runner never needs randomness.
struct NoRandom;

impl RandomSource for NoRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        dest.fill(0x5a);
        Ok(())
    }
}

/// Re-encodes non-canonical base64 in a response's binary fields; returns the fields changed.
fn normalize_base64(response: &mut Value) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut fix = |value: Option<&mut Value>, name: &'static str| {
        let Some(Value::String(text)) = value else {
            return;
        };
        if base64url::decode(text).is_ok() {
            return;
        }
        let urlsafe: String = text
            .chars()
            .filter(|c| *c != '=')
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        if let Ok(bytes) = LENIENT_BASE64URL.decode(urlsafe) {
            *text = base64url::encode(bytes);
            changed.push(name);
        }
    };
    fix(response.get_mut("id"), "id");
    fix(response.get_mut("rawId"), "rawId");
    if let Some(inner) = response.get_mut("response") {
        for name in [
            "clientDataJSON",
            "attestationObject",
            "authenticatorData",
            "signature",
            "userHandle",
        ] {
            fix(inner.get_mut(name), name);
        }
    }
    changed
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn algorithm(name: &str) -> Option<CoseAlgorithm> {
    // Sources spell names as "ES256", "EDDSA", "ML_DSA_44" or "ML-DSA-44".
    let wanted = name.replace('_', "-");
    ALL_ALGORITHMS
        .iter()
        .copied()
        .find(|a| a.name().is_some_and(|n| n.eq_ignore_ascii_case(&wanted)))
}

fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]` (UTC only).
fn parse_time(text: &str) -> Option<UnixTime> {
    let (date, time) = text.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let time = time
        .trim_end_matches('Z')
        .trim_end_matches("+00:00")
        .split('.')
        .next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (t.next()??, t.next()??, t.next()??);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + m * 60 + s)
        .ok()
        .map(UnixTime::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times() {
        assert_eq!(
            parse_time("1970-01-01T00:00:00Z"),
            Some(UnixTime::from_secs(0))
        );
        assert_eq!(
            parse_time("2025-01-30T23:59:59.000Z"),
            Some(UnixTime::from_secs(1_738_281_599))
        );
        assert_eq!(
            parse_time("2024-09-12T16:17:14+00:00"),
            Some(UnixTime::from_secs(1_726_157_834))
        );
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn algorithm_names() {
        assert_eq!(algorithm("ES256"), Some(CoseAlgorithm::ES256));
        assert_eq!(algorithm("EDDSA"), Some(CoseAlgorithm::EDDSA));
        assert_eq!(algorithm("RS1"), Some(CoseAlgorithm::RS1));
        assert_eq!(algorithm("ML_DSA_44"), Some(CoseAlgorithm::ML_DSA_44));
        assert_eq!(algorithm("ES256K"), None);
    }

    #[test]
    fn a_listed_divergence_must_still_happen() {
        let record: Value = serde_json::json!({
            "id": "x", "ceremony": "authentication",
            "inputs": {"rp_id": "example.org", "expected_origins": ["https://example.org"],
                       "expected_challenge": "AAAA", "response": {}, "credential": {}},
            "options": {},
            "expected": {"outcome": "reject", "reason": "garbage"}
        });
        let exceptions = Exceptions {
            pending: vec![],
            divergence: vec![Divergence {
                id: "x".into(),
                expected: "reject".into(),
                actual: "accept".into(),
                reason: "r".into(),
            }],
        };
        // The response is garbage, so anshin rejects: the listed divergence no longer holds.
        let result = run_vector(&record, &exceptions);
        assert!(result.outcome.is_failure(), "{result}");
        let result = run_vector(&record, &Exceptions::default());
        assert!(matches!(result.outcome, Outcome::Pass { .. }), "{result}");
    }
}
