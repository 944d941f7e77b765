//! The FIDO2 server conformance test cases, run over HTTP against a server's conformance
//! profile (`/attestation/options|result`, `/assertion/options|result`).
//!
//! The cases are those of the FIDO conformance tool's server catalogue (test ids such as
//! `Server-ServerAuthenticatorAttestationResponse-Resp-1`, sub-tests `P-n` that must succeed
//! and `F-n` that must fail), written here from their descriptions: requests are shaped as the
//! tool shapes them (cookies carry the ceremony, options members are echoed, credentials carry
//! `getClientExtensionResults`), and every answer must be a `ServerResponse`:
//!
//! ```text
//! success: HTTP 200, {"status": "ok", "errorMessage": "", ...options}
//! failure: {"status": "failed", "errorMessage": "<non-empty>"}   (any HTTP status, JSON body)
//! ```
//!
//! The responses come from the [`VirtualAuthenticator`]; the attestation certificates and the
//! metadata BLOB the server must load come from [`Material`], generated from the same seed.
//! Cases the virtual authenticator cannot produce yet are reported as skipped, with the reason.

use std::fmt::{self, Write as _};

use base64::Engine as _;
use serde_json::{Map, Value, json};
use webauthn_core::json::{
    PublicKeyCredentialCreationOptionsJson, PublicKeyCredentialRequestOptionsJson,
};
use webauthn_core::{CreationOptionsJson, RequestOptionsJson, base64url};

use crate::authenticator::{
    Algorithm, Attestation, CredentialOptions, Mutation, SignCounter, VirtualAuthenticator,
};
use crate::pki::{
    AttestationCa, AttestationCertificate, BlobDefect, MetadataService, ModelEntry, PkiError,
    Validity, key_identifier,
};

/// The model with full (basic) packed attestation, certified.
pub const AAGUID_PACKED_FULL: [u8; 16] = *b"anshin-conf-full";
/// The model that declares only self (surrogate) attestation.
pub const AAGUID_PACKED_SELF: [u8; 16] = *b"anshin-conf-self";
/// A model whose metadata trust anchor is its batch (attestation) certificate itself.
pub const AAGUID_SELF_REFERENCE: [u8; 16] = *b"anshin-conf-sref";
/// The model with tpm attestation (AttCA).
pub const AAGUID_TPM: [u8; 16] = *b"anshin-conf-tpm!";
/// The model with android-key attestation.
pub const AAGUID_ANDROID_KEY: [u8; 16] = *b"anshin-conf-andk";
/// A model whose attestation key is compromised (status `ATTESTATION_KEY_COMPROMISE`).
pub const AAGUID_COMPROMISED: [u8; 16] = *b"anshin-conf-bad!";

/// The attestation certificates and metadata service a run uses, all derived from a seed.
#[derive(Debug, Clone)]
pub struct Material {
    ca: AttestationCa,
    mds: MetadataService,
    packed_full: AttestationCertificate,
    packed_expired: AttestationCertificate,
    packed_not_yet_valid: AttestationCertificate,
    packed_other_ca: AttestationCertificate,
    packed_other_key: AttestationCertificate,
    packed_p384: AttestationCertificate,
    self_reference: AttestationCertificate,
    self_model_full: AttestationCertificate,
    compromised: AttestationCertificate,
    u2f: AttestationCertificate,
    tpm: AttestationCertificate,
    safetynet: AttestationCertificate,
}

impl Material {
    /// The material for `seed`.
    ///
    /// # Errors
    /// When a certificate cannot be generated.
    pub fn generate(seed: u64) -> Result<Self, PkiError> {
        let mut ca = AttestationCa::generate(seed)?;
        let mut other_ca = AttestationCa::generate(seed ^ 0xFFFF)?;
        let full = Some(AAGUID_PACKED_FULL);
        let packed_full = ca.issue("anshin conformance packed", full, Validity::Current)?;
        let mut packed_other_key = packed_full.clone();
        packed_other_key.leaf.der = ca
            .issue("anshin conformance packed", full, Validity::Current)?
            .leaf
            .der;
        Ok(Self {
            packed_expired: ca.issue("anshin conformance expired", full, Validity::Expired)?,
            packed_not_yet_valid: ca.issue(
                "anshin conformance future",
                full,
                Validity::NotYetValid,
            )?,
            packed_other_ca: other_ca.issue("anshin stray", full, Validity::Current)?,
            packed_p384: ca.issue_with_p384_key("anshin conformance P-384", full)?,
            self_reference: ca.issue(
                "anshin conformance batch anchor",
                Some(AAGUID_SELF_REFERENCE),
                Validity::Current,
            )?,
            self_model_full: ca.issue(
                "anshin conformance self",
                Some(AAGUID_PACKED_SELF),
                Validity::Current,
            )?,
            compromised: ca.issue(
                "anshin conformance compromised",
                Some(AAGUID_COMPROMISED),
                Validity::Current,
            )?,
            u2f: ca.issue("anshin conformance u2f", None, Validity::Current)?,
            tpm: ca.issue_aik(Some(AAGUID_TPM))?,
            safetynet: ca.issue_safetynet()?,
            packed_full,
            packed_other_key,
            mds: MetadataService::generate(seed)?,
            ca,
        })
    }

    /// The metadata entries: the three FIDO2 models and the U2F model.
    #[must_use]
    pub fn entries(&self) -> Vec<ModelEntry> {
        let model = |description: &str, aaguid, types: &[&str], status: &str| ModelEntry {
            description: description.to_owned(),
            aaguid: Some(aaguid),
            key_identifiers: Vec::new(),
            attestation_types: types.iter().map(|t| (*t).to_owned()).collect(),
            roots: vec![self.ca.root().to_vec()],
            status: status.to_owned(),
            authenticator_get_info: None,
        };
        let mut packed = model(
            "anshin conformance packed authenticator",
            AAGUID_PACKED_FULL,
            &["basic_full"],
            "FIDO_CERTIFIED_L1",
        );
        // Resp-5 P-5: 64-bit integers that a float would round.
        packed.authenticator_get_info = Some(json!({
            "versions": ["FIDO_2_0"],
            "aaguid": AAGUID_PACKED_FULL.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "vendorPrototypeConfigCommands": [u64::MAX, 9_007_199_254_740_993_u64],
        }));
        let mut self_reference = model(
            "anshin conformance batch-anchored authenticator",
            AAGUID_SELF_REFERENCE,
            &["basic_full"],
            "FIDO_CERTIFIED_L1",
        );
        self_reference.roots = vec![self.self_reference.leaf.der.clone()];
        vec![
            packed,
            self_reference,
            model(
                "anshin conformance self-attesting authenticator",
                AAGUID_PACKED_SELF,
                &["basic_surrogate"],
                "FIDO_CERTIFIED_L1",
            ),
            model(
                "anshin conformance TPM authenticator",
                AAGUID_TPM,
                &["attca"],
                "FIDO_CERTIFIED_L1",
            ),
            model(
                "anshin conformance Android Keystore authenticator",
                AAGUID_ANDROID_KEY,
                &["basic_full"],
                "FIDO_CERTIFIED_L1",
            ),
            model(
                "anshin conformance compromised authenticator",
                AAGUID_COMPROMISED,
                &["basic_full"],
                "ATTESTATION_KEY_COMPROMISE",
            ),
            ModelEntry {
                description: "anshin conformance U2F authenticator".to_owned(),
                aaguid: None,
                key_identifiers: vec![key_identifier(&self.u2f.leaf.key.public_point())],
                attestation_types: vec!["basic_full".to_owned()],
                // U2F sends the attestation certificate alone: its issuer is the anchor.
                roots: vec![self.ca.intermediate().to_vec()],
                status: "FIDO_CERTIFIED".to_owned(),
                authenticator_get_info: None,
            },
        ]
    }

    /// The metadata BLOB a server must load for the run (`no` 1).
    ///
    /// # Errors
    /// When signing fails.
    pub fn blob(&self) -> Result<String, PkiError> {
        self.mds.blob(1, &self.entries(), BlobDefect::None)
    }

    /// The same BLOB, broken as `defect` says (for the load-time metadata cases).
    ///
    /// # Errors
    /// When signing fails.
    pub fn broken_blob(&self, defect: BlobDefect) -> Result<String, PkiError> {
        self.mds.blob(1, &self.entries(), defect)
    }

    /// The root the BLOB chains to, as PEM.
    #[must_use]
    pub fn mds_root_pem(&self) -> String {
        self.mds.root_pem()
    }
}

/// What happened to one sub-test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server did what the case requires.
    Pass,
    /// It did not; why.
    Fail(String),
    /// The case was not run; why.
    Skip(&'static str),
}

/// One sub-test's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// The test id, e.g. `Server-ServerAuthenticatorAttestationResponse-Resp-1`.
    pub test: &'static str,
    /// The sub-test, e.g. `F-3`.
    pub case: &'static str,
    /// What it checks.
    pub description: &'static str,
    /// The outcome.
    pub outcome: Outcome,
}

impl CaseResult {
    /// `test case`, e.g. `Server-MDS3 F-1`.
    #[must_use]
    pub fn name(&self) -> String {
        format!("{} {}", self.test, self.case)
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Sub-tests that passed.
    pub passed: usize,
    /// Sub-tests that failed.
    pub failed: usize,
    /// Sub-tests skipped.
    pub skipped: usize,
}

impl Totals {
    /// The counts of `results`.
    #[must_use]
    pub fn of(results: &[CaseResult]) -> Self {
        let mut totals = Self::default();
        for r in results {
            match r.outcome {
                Outcome::Pass => totals.passed += 1,
                Outcome::Fail(_) => totals.failed += 1,
                Outcome::Skip(_) => totals.skipped += 1,
            }
        }
        totals
    }
}

/// The text report: each test id, then its sub-tests, then `N passed, M failed`.
#[must_use]
pub fn report(results: &[CaseResult]) -> String {
    let mut out = String::new();
    let mut current = "";
    for r in results {
        if r.test != current {
            current = r.test;
            let of_test: Vec<_> = results.iter().filter(|x| x.test == current).collect();
            let failed = of_test
                .iter()
                .any(|x| matches!(x.outcome, Outcome::Fail(_)));
            let verdict = if failed { "FAIL" } else { "pass" };
            let _ = writeln!(out, "{verdict} {current}");
        }
        let _ = match &r.outcome {
            Outcome::Pass => writeln!(out, "  pass {} {}", r.case, r.description),
            Outcome::Fail(why) => writeln!(out, "  FAIL {} {}: {why}", r.case, r.description),
            Outcome::Skip(why) => writeln!(out, "  skip {} {}: {why}", r.case, r.description),
        };
    }
    let totals = Totals::of(results);
    let _ = writeln!(out, "{} skipped", totals.skipped);
    let _ = writeln!(out, "{} passed, {} failed", totals.passed, totals.failed);
    out
}

/// JUnit XML: one `testsuite` per test id, one `testcase` per sub-test.
#[must_use]
pub fn junit(results: &[CaseResult]) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let totals = Totals::of(results);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"anshin FIDO2 server conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        results.len(),
        totals.failed,
        totals.skipped
    );
    let mut tests: Vec<&str> = results.iter().map(|r| r.test).collect();
    tests.dedup();
    for test in tests {
        let cases: Vec<_> = results.iter().filter(|r| r.test == test).collect();
        let owned: Vec<CaseResult> = cases.iter().map(|c| (*c).clone()).collect();
        let t = Totals::of(&owned);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            escape(test),
            cases.len(),
            t.failed,
            t.skipped
        );
        for c in cases {
            let name = escape(&format!("{} {}", c.case, c.description));
            match &c.outcome {
                Outcome::Pass => {
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"{}\" name=\"{name}\"/>",
                        escape(test)
                    );
                }
                Outcome::Fail(why) => {
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"{}\" name=\"{name}\"><failure message=\"{}\"/></testcase>",
                        escape(test),
                        escape(why)
                    );
                }
                Outcome::Skip(why) => {
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"{}\" name=\"{name}\"><skipped message=\"{}\"/></testcase>",
                        escape(test),
                        escape(why)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Why the suite could not run at all.
#[derive(Debug)]
pub struct SuiteError(String);

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SuiteError {}

// ---------------------------------------------------------------------------------------------
// Talking to the server
// ---------------------------------------------------------------------------------------------

/// A server's answer: the HTTP status and the body, if it was JSON.
#[derive(Debug)]
struct Answer {
    http: u16,
    body: Option<Value>,
}

impl Answer {
    /// `Ok(body)` for a successful `ServerResponse`, the reason otherwise.
    fn ok(self) -> Result<Value, String> {
        let Some(body) = self.body else {
            return Err(format!("HTTP {}: the body is not JSON", self.http));
        };
        if body["status"] != "ok" {
            return Err(format!("HTTP {}: {body}", self.http));
        }
        if body["errorMessage"] != "" {
            return Err(format!(
                "status ok with errorMessage {}",
                body["errorMessage"]
            ));
        }
        if self.http != 200 {
            return Err(format!("status ok but HTTP {}", self.http));
        }
        Ok(body)
    }

    /// `Ok(())` for a failed `ServerResponse` (JSON, `status: "failed"`, non-empty
    /// `errorMessage`).
    fn failed(self) -> Result<(), String> {
        let Some(body) = self.body else {
            return Err(format!(
                "HTTP {}: the body is not a JSON ServerResponse",
                self.http
            ));
        };
        match (&body["status"], &body["errorMessage"]) {
            (Value::String(s), Value::String(m)) if s == "failed" && !m.is_empty() => Ok(()),
            (Value::String(s), _) if s == "ok" => Err("the server accepted it".to_owned()),
            _ => Err(format!("not a failed ServerResponse: {body}")),
        }
    }
}

/// A run against one server.
#[derive(Debug)]
pub struct Suite {
    base: String,
    origin: String,
    client: reqwest::Client,
    material: Material,
    seed: u64,
    counter: u64,
}

/// What a registration case changes.
#[derive(Debug, Clone, Default)]
struct Registration {
    attestation: Option<Attestation>,
    /// The `attestation` member of the options request.
    conveyance: Option<&'static str>,
    user_verification: Option<&'static str>,
    algorithm: Option<Algorithm>,
    aaguid: Option<[u8; 16]>,
    certificate: Option<AttestationCertificate>,
    mutations: Vec<Mutation>,
    extension_data: bool,
    user_verifying: Option<bool>,
}

type Tweak = Box<dyn FnOnce(&mut Map<String, Value>)>;

impl Suite {
    /// A suite against the profile at `url` (e.g. `http://localhost:8080/fido2`), with the
    /// material derived from `seed`.
    ///
    /// # Errors
    /// An URL without a scheme and host, or material that cannot be generated.
    pub fn new(url: &str, seed: u64) -> Result<Self, SuiteError> {
        let base = url.trim_end_matches('/').to_owned();
        let (scheme, rest) = base
            .split_once("://")
            .ok_or_else(|| SuiteError(format!("{url} is not an http(s) URL")))?;
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            return Err(SuiteError(format!("{url} names no host")));
        }
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .map_err(|e| SuiteError(format!("HTTP client: {e}")))?;
        let material =
            Material::generate(seed).map_err(|e| SuiteError(format!("test material: {e}")))?;
        Ok(Self {
            origin: format!("{scheme}://{authority}"),
            base,
            client,
            material,
            seed,
            counter: 0,
        })
    }

    /// The material (its BLOB is what the server must load).
    #[must_use]
    pub fn material(&self) -> &Material {
        &self.material
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Answer, String> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let http = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        Ok(Answer {
            http,
            body: serde_json::from_slice(&bytes).ok(),
        })
    }

    /// A fresh user name and authenticator for one case.
    fn fresh(&mut self, test: &str) -> (String, VirtualAuthenticator) {
        self.counter += 1;
        let username = format!("{test}-{}-{}@anshin.test", self.seed, self.counter);
        // The server checks android-safetynet's timestamp against its own clock, as it checks
        // the tool's: the authenticator keeps the real time (nothing else depends on it).
        let authenticator = VirtualAuthenticator::new(self.seed.wrapping_add(self.counter))
            .with_origin(&self.origin)
            .with_time(wall_clock_secs());
        (username, authenticator)
    }

    async fn creation_options(
        &self,
        username: &str,
        conveyance: &str,
        user_verification: &str,
    ) -> Result<Value, String> {
        self.post(
            "/attestation/options",
            &json!({
                "username": username,
                "displayName": "Conformance User",
                "authenticatorSelection": {
                    "requireResidentKey": false,
                    "userVerification": user_verification,
                },
                "attestation": conveyance,
                "extensions": {"example.extension": true},
            }),
        )
        .await?
        .ok()
    }

    /// Runs options → authenticator → (tweak) → result for a registration, and returns the
    /// result's answer.
    async fn register_with(
        &self,
        username: &str,
        authenticator: &mut VirtualAuthenticator,
        case: Registration,
        tweak: Option<Tweak>,
    ) -> Result<Answer, String> {
        let attestation = case.attestation.unwrap_or(Attestation::None);
        let conveyance = case.conveyance.unwrap_or(attestation.conveyance());
        let options = self
            .creation_options(
                username,
                conveyance,
                case.user_verification.unwrap_or("preferred"),
            )
            .await?;
        let creation = creation_options(&options)?;
        let mut taken = std::mem::replace(authenticator, VirtualAuthenticator::new(0))
            .with_attestation_ca(self.material.ca.clone());
        if let Some(certificate) = case.certificate.clone().or_else(|| {
            attestation
                .needs_certificate()
                .then(|| self.material.packed_full.clone())
        }) {
            taken = taken.with_attestation_certificate(certificate);
        }
        *authenticator = taken;
        let default_aaguid = match attestation {
            Attestation::None | Attestation::FidoU2f => [0; 16],
            Attestation::PackedSelf => AAGUID_PACKED_SELF,
            Attestation::PackedFull | Attestation::Apple | Attestation::Compound => {
                AAGUID_PACKED_FULL
            }
            Attestation::TpmSha256 | Attestation::TpmSha1 => AAGUID_TPM,
            Attestation::AndroidKey => AAGUID_ANDROID_KEY,
            Attestation::AndroidSafetyNet => AAGUID_PACKED_FULL,
        };
        let credential = CredentialOptions {
            algorithm: case.algorithm.unwrap_or(Algorithm::Es256),
            attestation,
            aaguid: case.aaguid.unwrap_or(default_aaguid),
            extension_data: case.extension_data,
            user_verifying: case.user_verifying.unwrap_or(true),
            sign_counter: SignCounter::Increment { start: 1 },
            transports: vec!["usb".to_owned()],
            authenticator_attachment: Some("cross-platform".to_owned()),
            ..CredentialOptions::default()
        };
        let response = authenticator
            .create(&creation, &credential, &case.mutations)
            .map_err(|e| format!("virtual authenticator: {e}"))?;
        let mut body = as_tool_sends_it(response.json)?;
        if let Some(tweak) = tweak {
            tweak(&mut body);
        }
        self.post("/attestation/result", &Value::Object(body)).await
    }

    /// A registration that must succeed.
    async fn registered(
        &self,
        username: &str,
        authenticator: &mut VirtualAuthenticator,
        case: Registration,
    ) -> Result<(), String> {
        self.register_with(username, authenticator, case, None)
            .await?
            .ok()
            .map(|_| ())
            .map_err(|e| format!("registration refused: {e}"))
    }

    async fn get_options(&self, username: &str, user_verification: &str) -> Result<Value, String> {
        self.post(
            "/assertion/options",
            &json!({
                "username": username,
                "userVerification": user_verification,
                "extensions": {"example.extension": true},
            }),
        )
        .await?
        .ok()
    }

    async fn assert_with(
        &self,
        username: &str,
        authenticator: &mut VirtualAuthenticator,
        user_verification: &str,
        mutations: &[Mutation],
        tweak: Option<Tweak>,
    ) -> Result<Answer, String> {
        let options = self.get_options(username, user_verification).await?;
        let request = request_options(&options)?;
        let response = authenticator
            .get(&request, mutations)
            .map_err(|e| format!("virtual authenticator: {e}"))?;
        let mut body = as_tool_sends_it(response.json)?;
        if let Some(tweak) = tweak {
            tweak(&mut body);
        }
        self.post("/assertion/result", &Value::Object(body)).await
    }

    // -----------------------------------------------------------------------------------------
    // The cases
    // -----------------------------------------------------------------------------------------

    /// Runs every case of the catalogue, in the tool's order.
    pub async fn run(&mut self) -> Vec<CaseResult> {
        let mut results = Vec::new();
        self.creation_options_req_1(&mut results).await;
        self.attestation_resp_1(&mut results).await;
        self.attestation_resp_2(&mut results).await;
        self.attestation_resp_3(&mut results).await;
        self.attestation_resp_4(&mut results).await;
        Box::pin(self.attestation_resp_5(&mut results)).await;
        self.attestation_resp_6(&mut results).await;
        self.attestation_resp_7(&mut results).await;
        self.attestation_resp_8(&mut results).await;
        self.attestation_resp_9(&mut results).await;
        self.attestation_resp_a(&mut results).await;
        self.attestation_resp_b(&mut results).await;
        self.get_options_req_1(&mut results).await;
        self.assertion_resp_1(&mut results).await;
        self.assertion_resp_2(&mut results).await;
        self.assertion_resp_3(&mut results).await;
        self.mds3(&mut results).await;
        results
    }

    async fn creation_options_req_1(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerPublicKeyCredentialCreationOptions-Req-1";
        let (username, _) = self.fresh("req1");
        let request = json!({
            "username": username,
            "displayName": "Conformance User",
            "authenticatorSelection": {"requireResidentKey": false, "userVerification": "preferred"},
            "attestation": "direct",
            "extensions": {"example.extension": true},
        });
        let p1 = async {
            let body = self.post("/attestation/options", &request).await?.ok()?;
            check_creation_options(&body, &request)
        }
        .await;
        push(
            results,
            T,
            "P-1",
            "creation options carry every required member",
            p1,
        );

        let p2 = async {
            let username = format!("{username}-p2");
            let body = self
                .creation_options(&username, "none", "preferred")
                .await?;
            expect_eq(&body["attestation"], &json!("none"), "attestation")
        }
        .await;
        push(results, T, "P-2", "attestation \"none\" is echoed", p2);

        let p3 = async {
            let a = self
                .creation_options(&username, "direct", "preferred")
                .await?;
            let b = self
                .creation_options(&username, "direct", "preferred")
                .await?;
            if a["challenge"] == b["challenge"] {
                return Err("two calls returned the same challenge".to_owned());
            }
            Ok(())
        }
        .await;
        push(results, T, "P-3", "every call has a fresh challenge", p3);

        let p4 = async {
            let body = self
                .creation_options(&username, "direct", "required")
                .await?;
            expect_eq(
                &body["authenticatorSelection"],
                &json!({"requireResidentKey": false, "userVerification": "required"}),
                "authenticatorSelection",
            )
        }
        .await;
        push(
            results,
            T,
            "P-4",
            "userVerification \"required\" is echoed",
            p4,
        );
    }

    async fn attestation_resp_1(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-1";
        let packed = || Registration {
            attestation: Some(Attestation::PackedFull),
            ..Registration::default()
        };
        let (username, mut authenticator) = self.fresh("aresp1");
        let p1 = async {
            self.registered(&username, &mut authenticator, packed())
                .await?;
            let again = self
                .creation_options(&username, "direct", "preferred")
                .await?;
            let listed = again["excludeCredentials"].as_array().map_or(0, Vec::len);
            let id = authenticator
                .credentials()
                .first()
                .map(|c| base64url::encode(c.id()))
                .unwrap_or_default();
            let names_it = again["excludeCredentials"]
                .as_array()
                .is_some_and(|a| a.iter().any(|d| d["id"] == id.as_str()));
            if listed != 1 || !names_it {
                return Err(format!(
                    "excludeCredentials does not list the registered credential: {}",
                    again["excludeCredentials"]
                ));
            }
            Ok(())
        }
        .await;
        push(
            results,
            T,
            "P-1",
            "a valid packed registration; then excludeCredentials lists it",
            p1,
        );

        let cases: Vec<(&'static str, &'static str, Tweak)> = vec![
            ("F-1", "id is missing", Box::new(|b| drop(b.remove("id")))),
            (
                "F-2",
                "id is not a string",
                Box::new(|b| drop(b.insert("id".into(), json!(1469)))),
            ),
            (
                "F-3",
                "id is base64, not base64url",
                Box::new(|b| padded(b, "id")),
            ),
            (
                "F-4",
                "type is missing",
                Box::new(|b| drop(b.remove("type"))),
            ),
            (
                "F-5",
                "type is not a string",
                Box::new(|b| drop(b.insert("type".into(), json!({})))),
            ),
            (
                "F-6",
                "type is not \"public-key\"",
                Box::new(|b| drop(b.insert("type".into(), json!("private-key")))),
            ),
            (
                "F-7",
                "response is missing",
                Box::new(|b| drop(b.remove("response"))),
            ),
            (
                "F-8",
                "response is not an object",
                Box::new(|b| drop(b.insert("response".into(), json!("response")))),
            ),
            (
                "F-9",
                "clientDataJSON is missing",
                Box::new(|b| in_response(b, "clientDataJSON", None)),
            ),
            (
                "F-10",
                "clientDataJSON is not a string",
                Box::new(|b| in_response(b, "clientDataJSON", Some(json!(true)))),
            ),
            (
                "F-11",
                "clientDataJSON is empty",
                Box::new(|b| in_response(b, "clientDataJSON", Some(json!("")))),
            ),
            (
                "F-12",
                "attestationObject is missing",
                Box::new(|b| in_response(b, "attestationObject", None)),
            ),
            (
                "F-13",
                "attestationObject is not a string",
                Box::new(|b| in_response(b, "attestationObject", Some(json!([1])))),
            ),
            (
                "F-14",
                "attestationObject is empty",
                Box::new(|b| in_response(b, "attestationObject", Some(json!("")))),
            ),
        ];
        for (case, description, tweak) in cases {
            let (username, mut authenticator) = self.fresh("aresp1f");
            let outcome = async {
                self.register_with(&username, &mut authenticator, packed(), Some(tweak))
                    .await?
                    .failed()
            }
            .await;
            push(results, T, case, description, outcome);
        }
        let (username, mut authenticator) = self.fresh("aresp1f15");
        let f15 = async {
            let case = Registration {
                user_verification: Some("required"),
                mutations: vec![Mutation::ClearUserVerified],
                ..packed()
            };
            self.register_with(&username, &mut authenticator, case, None)
                .await?
                .failed()
        }
        .await;
        push(
            results,
            T,
            "F-15",
            "UV is clear while user verification was required",
            f15,
        );
    }

    async fn registration_mutations(
        &mut self,
        results: &mut Vec<CaseResult>,
        test: &'static str,
        base: &Registration,
        cases: &[(&'static str, &'static str, Mutation)],
    ) {
        for (case, description, mutation) in cases {
            let (username, mut authenticator) = self.fresh("mut");
            let registration = Registration {
                mutations: vec![*mutation],
                ..base.clone()
            };
            let outcome = async {
                self.register_with(&username, &mut authenticator, registration, None)
                    .await?
                    .failed()
            }
            .await;
            push(results, test, case, description, outcome);
        }
    }

    async fn attestation_resp_2(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-2";
        let base = Registration {
            attestation: Some(Attestation::PackedFull),
            ..Registration::default()
        };
        self.registration_mutations(results, T, &base, &client_data_cases(false))
            .await;
    }

    async fn attestation_resp_3(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-3";
        let base = Registration {
            attestation: Some(Attestation::PackedFull),
            ..Registration::default()
        };
        let (username, mut authenticator) = self.fresh("aresp3p1");
        let p1 = self
            .registered(
                &username,
                &mut authenticator,
                Registration {
                    extension_data: true,
                    ..base.clone()
                },
            )
            .await;
        push(
            results,
            T,
            "P-1",
            "ED is set and extension data follows",
            p1,
        );
        use Mutation as M;
        let cases = [
            (
                "F-1",
                "the attestation object is not a CBOR map",
                M::AttestationObjectNotMap,
            ),
            ("F-2", "fmt is missing", M::FmtMissing),
            ("F-3", "fmt is not a string", M::FmtNotString),
            ("F-4", "attStmt is missing", M::AttStmtMissing),
            ("F-5", "attStmt is not a map", M::AttStmtNotMap),
            ("F-6", "authData is missing", M::AuthDataMissing),
            ("F-7", "authData is not a byte string", M::AuthDataNotBytes),
            ("F-8", "authData is empty", M::AuthDataEmpty),
            (
                "F-9",
                "AT is clear but attested credential data follows",
                M::ClearAttestedCredentialFlag,
            ),
            (
                "F-10",
                "AT is clear and there is no attested credential data",
                M::OmitAttestedCredentialData,
            ),
            (
                "F-11",
                "AT is set but there is no attested credential data",
                M::AttestedCredentialDataMissing,
            ),
            (
                "F-12",
                "bytes follow the attested credential data",
                M::TrailingAuthDataByte,
            ),
            (
                "F-13",
                "the packed attStmt is an empty map",
                M::AttStmtEmpty,
            ),
            ("F-14", "alg is missing", M::AlgMissing),
            ("F-15", "alg is not a number", M::AlgNotNumber),
            (
                "F-16",
                "alg differs from the attestation key's algorithm",
                M::AttestationAlgMismatch,
            ),
            ("F-17", "sig is missing", M::SigMissing),
            ("F-18", "sig is not a byte string", M::SigNotBytes),
            ("F-19", "sig is empty", M::SigEmpty),
        ];
        self.registration_mutations(results, T, &base, &cases).await;
    }

    async fn attestation_resp_4(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-4";
        const NO_ALG: &str = "secp256k1 (ES256K) awaits IANA registration in the tool; the virtual authenticator does not create such keys";
        let cases: [(&'static str, &'static str, Option<Algorithm>); 12] = [
            (
                "P-1",
                "ECDSA secp256k1 SHA-256 (optional; the tool sends nothing)",
                None,
            ),
            ("P-2", "RSASSA-PSS SHA-256", Some(Algorithm::Ps256)),
            ("P-3", "RSASSA-PSS SHA-384", Some(Algorithm::Ps384)),
            ("P-4", "RSASSA-PSS SHA-512", Some(Algorithm::Ps512)),
            ("P-5", "RSASSA-PKCS1-v1_5 SHA-256", Some(Algorithm::Rs256)),
            ("P-6", "RSASSA-PKCS1-v1_5 SHA-384", Some(Algorithm::Rs384)),
            ("P-7", "RSASSA-PKCS1-v1_5 SHA-512", Some(Algorithm::Rs512)),
            (
                "P-8",
                "\"RS1\" (the tool sends ES256)",
                Some(Algorithm::Es256),
            ),
            ("P-9", "ECDSA P-256 SHA-256", Some(Algorithm::Es256)),
            ("P-10", "ECDSA P-384 SHA-384", Some(Algorithm::Es384)),
            ("P-11", "ECDSA P-521 SHA-512", Some(Algorithm::Es512)),
            ("P-12", "EdDSA Ed25519", Some(Algorithm::EdDsa)),
        ];
        for (case, description, algorithm) in cases {
            let Some(algorithm) = algorithm else {
                results.push(CaseResult {
                    test: T,
                    case,
                    description,
                    outcome: Outcome::Skip(NO_ALG),
                });
                continue;
            };
            let (username, mut authenticator) = self.fresh("aresp4");
            let outcome = self
                .registered(
                    &username,
                    &mut authenticator,
                    Registration {
                        attestation: Some(Attestation::PackedSelf),
                        algorithm: Some(algorithm),
                        ..Registration::default()
                    },
                )
                .await;
            push(results, T, case, description, outcome);
        }
    }

    async fn attestation_resp_5(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-5";
        let start = results.len();
        let full = |certificate: &AttestationCertificate| Registration {
            attestation: Some(Attestation::PackedFull),
            certificate: Some(certificate.clone()),
            ..Registration::default()
        };
        let m = self.material.clone();
        for (case, description) in [
            ("P-1", "a valid packed full attestation"),
            ("P-2", "x5c leads to the metadata statement's root"),
            (
                "P-4",
                "the root carries a critical Basic Constraints extension",
            ),
            (
                "P-5",
                "the metadata statement carries 64-bit vendorPrototypeConfigCommands",
            ),
        ] {
            let (username, mut authenticator) = self.fresh("aresp5p");
            let outcome = self
                .registered(&username, &mut authenticator, full(&m.packed_full))
                .await;
            push(results, T, case, description, outcome);
        }
        let (username, mut authenticator) = self.fresh("aresp5p3");
        let p3 = self
            .registered(
                &username,
                &mut authenticator,
                Registration {
                    aaguid: Some(AAGUID_SELF_REFERENCE),
                    ..full(&m.self_reference)
                },
            )
            .await;
        push(
            results,
            T,
            "P-3",
            "the batch certificate is itself the metadata trust anchor",
            p3,
        );
        use Mutation as M;
        let mutations = [
            ("F-1", "fmt is unknown", M::FmtUnknown),
            ("F-2", "sig does not verify", M::FlipSignatureByte),
            ("F-3", "x5c is missing", M::X5cMissing),
            ("F-4", "x5c is not an array", M::X5cNotArray),
            ("F-5", "x5c is empty", M::X5cEmpty),
            (
                "F-10",
                "x5c carries the full chain, root included",
                M::X5cWithRoot,
            ),
            ("F-11", "x5c is out of order", M::X5cWrongOrder),
            (
                "F-14",
                "signed with the credential key, not the attestation key",
                M::SignedWithCredentialKey,
            ),
        ];
        self.registration_mutations(results, T, &full(&m.packed_full), &mutations)
            .await;
        let mut expired_intermediate = m.packed_full.clone();
        expired_intermediate.intermediate = m.ca.expired_intermediate().to_vec();
        let certificates = [
            (
                "F-6",
                "the attestation certificate has expired",
                &m.packed_expired,
            ),
            (
                "F-7",
                "the attestation certificate is not yet valid",
                &m.packed_not_yet_valid,
            ),
            (
                "F-9",
                "the chain does not lead to the metadata root",
                &m.packed_other_ca,
            ),
            (
                "F-12",
                "the intermediate certificate has expired",
                &expired_intermediate,
            ),
            (
                "F-13",
                "sig does not verify with the attestation certificate's key",
                &m.packed_other_key,
            ),
        ];
        for (case, description, certificate) in certificates {
            let (username, mut authenticator) = self.fresh("aresp5f");
            let outcome = async {
                self.register_with(&username, &mut authenticator, full(certificate), None)
                    .await?
                    .failed()
            }
            .await;
            push(results, T, case, description, outcome);
        }
        let (username, mut authenticator) = self.fresh("aresp5f8");
        let f8 = async {
            self.register_with(&username, &mut authenticator, full(&m.packed_p384), None)
                .await?
                .failed()
        }
        .await;
        push(
            results,
            T,
            "F-8",
            "the attestation certificate's key (P-384) is not the metadata's algorithm",
            f8,
        );
        if let Some(mine) = results.get_mut(start..) {
            mine.sort_by_key(|r| case_order(r.case));
        }
    }

    async fn attestation_resp_6(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-6";
        let self_attested = Registration {
            attestation: Some(Attestation::PackedSelf),
            ..Registration::default()
        };
        let (username, mut authenticator) = self.fresh("aresp6");
        let p1 = self
            .registered(&username, &mut authenticator, self_attested.clone())
            .await;
        push(results, T, "P-1", "a valid packed self attestation", p1);
        self.registration_mutations(
            results,
            T,
            &self_attested,
            &[("F-1", "sig does not verify", Mutation::FlipSignatureByte)],
        )
        .await;
        let (username, mut authenticator) = self.fresh("aresp6f2");
        let f2 = async {
            let case = Registration {
                attestation: Some(Attestation::PackedFull),
                aaguid: Some(AAGUID_PACKED_SELF),
                certificate: Some(self.material.self_model_full.clone()),
                ..Registration::default()
            };
            self.register_with(&username, &mut authenticator, case, None)
                .await?
                .failed()
        }
        .await;
        push(
            results,
            T,
            "F-2",
            "full attestation from a model whose metadata allows only self attestation",
            f2,
        );
        self.registration_mutations(
            results,
            T,
            &self_attested,
            &[("F-3", "fmt is unknown", Mutation::FmtUnknown)],
        )
        .await;
    }

    async fn attestation_resp_7(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-7";
        let (username, mut authenticator) = self.fresh("aresp7");
        let p1 = self
            .registered(&username, &mut authenticator, Registration::default())
            .await;
        push(results, T, "P-1", "a valid none attestation", p1);
        let (username, mut authenticator) = self.fresh("aresp7p2");
        let p2 = self
            .registered(
                &username,
                &mut authenticator,
                Registration {
                    attestation: Some(Attestation::PackedSelf),
                    conveyance: Some("none"),
                    ..Registration::default()
                },
            )
            .await;
        push(
            results,
            T,
            "P-2",
            "packed self attestation although none was asked for",
            p2,
        );
        self.registration_mutations(
            results,
            T,
            &Registration::default(),
            &[(
                "F-1",
                "fmt none with a non-empty attStmt",
                Mutation::NoneAttestationWithStatement,
            )],
        )
        .await;
    }

    async fn attestation_resp_8(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-8";
        let u2f = Registration {
            attestation: Some(Attestation::FidoU2f),
            certificate: Some(self.material.u2f.clone()),
            ..Registration::default()
        };
        let (username, mut authenticator) = self.fresh("aresp8");
        let p1 = self
            .registered(&username, &mut authenticator, u2f.clone())
            .await;
        push(results, T, "P-1", "a valid fido-u2f attestation", p1);
        let (username, mut authenticator) = self.fresh("aresp8f1");
        let f1 = async {
            let case = Registration {
                aaguid: Some(AAGUID_PACKED_FULL),
                ..u2f.clone()
            };
            self.register_with(&username, &mut authenticator, case, None)
                .await?
                .failed()
        }
        .await;
        push(results, T, "F-1", "the AAGUID is not zero", f1);
        self.registration_mutations(
            results,
            T,
            &u2f,
            &[("F-2", "sig does not verify", Mutation::FlipSignatureByte)],
        )
        .await;
    }

    async fn attestation_resp_9(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-9";
        let aik = self.material.tpm.clone();
        let tpm = move |attestation| Registration {
            attestation: Some(attestation),
            certificate: Some(aik.clone()),
            ..Registration::default()
        };
        for (case, description, attestation) in [
            (
                "P-1",
                "tpm with SHA-256 (an ES256 credential and AIK)",
                Attestation::TpmSha256,
            ),
            ("P-2", "tpm with a SHA-1 nameAlg", Attestation::TpmSha1),
        ] {
            let (username, mut authenticator) = self.fresh("aresp9p");
            let outcome = self
                .registered(&username, &mut authenticator, tpm(attestation))
                .await;
            push(results, T, case, description, outcome);
        }
        results.push(CaseResult {
            test: T,
            case: "P-3",
            description: "tpm whose nameAlg differs from the name's algorithm",
            outcome: Outcome::Skip(
                "disabled in the tool since 1.9; the virtual TPM names pubArea with its nameAlg",
            ),
        });
        let (username, mut authenticator) = self.fresh("aresp9p4");
        let p4 = self
            .registered(&username, &mut authenticator, tpm(Attestation::TpmSha256))
            .await;
        push(
            results,
            T,
            "P-4",
            "tpm with an ES256 key (experimental)",
            p4,
        );
        use Mutation as M;
        self.registration_mutations(
            results,
            T,
            &tpm(Attestation::TpmSha256),
            &[
                ("F-1", "the certificates are out of order", M::X5cWrongOrder),
                (
                    "F-2",
                    "certInfo.extraData is not the hash of attToBeSigned",
                    M::TpmExtraDataWrong,
                ),
                (
                    "F-3",
                    "certInfo.magic is not TPM_GENERATED_VALUE",
                    M::TpmMagicWrong,
                ),
                (
                    "F-4",
                    "pubArea.unique is not the credential key",
                    M::TpmUniqueWrong,
                ),
            ],
        )
        .await;
    }

    async fn attestation_resp_a(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-A";
        let android = Registration {
            attestation: Some(Attestation::AndroidKey),
            ..Registration::default()
        };
        let (username, mut authenticator) = self.fresh("arespa");
        let p1 = self
            .registered(&username, &mut authenticator, android.clone())
            .await;
        push(results, T, "P-1", "a valid android-key attestation", p1);
        use Mutation as M;
        self.registration_mutations(
            results,
            T,
            &android,
            &[
                (
                    "F-1",
                    "attestationChallenge is not the clientDataHash",
                    M::AndroidKeyChallengeWrong,
                ),
                (
                    "F-2",
                    "the certificate certifies another public key",
                    M::AndroidKeyCertificateKeyWrong,
                ),
                ("F-3", "the certificates are out of order", M::X5cWrongOrder),
            ],
        )
        .await;
    }

    async fn attestation_resp_b(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAttestationResponse-Resp-B";
        let safetynet = Registration {
            attestation: Some(Attestation::AndroidSafetyNet),
            certificate: Some(self.material.safetynet.clone()),
            ..Registration::default()
        };
        let (username, mut authenticator) = self.fresh("arespb");
        let p1 = self
            .registered(&username, &mut authenticator, safetynet.clone())
            .await;
        push(
            results,
            T,
            "P-1",
            "a valid android-safetynet attestation",
            p1,
        );
        use Mutation as M;
        self.registration_mutations(
            results,
            T,
            &safetynet,
            &[
                ("F-1", "ver is empty", M::SafetyNetVerEmpty),
                ("F-2", "response is empty", M::SafetyNetResponseEmpty),
                (
                    "F-3",
                    "nonce is not the hash of attToBeSigned",
                    M::SafetyNetNonceWrong,
                ),
                ("F-4", "x5c is empty", M::SafetyNetX5cEmpty),
                (
                    "F-5",
                    "ctsProfileMatch is false",
                    M::SafetyNetCtsProfileMismatch,
                ),
                (
                    "F-6",
                    "timestampMs is in the future",
                    M::SafetyNetTimestampFuture,
                ),
                (
                    "F-7",
                    "timestampMs is older than a minute",
                    M::SafetyNetTimestampOld,
                ),
            ],
        )
        .await;
    }

    async fn get_options_req_1(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerPublicKeyCredentialGetOptionsResponse-Req-1";
        let (username, mut authenticator) = self.fresh("greq1");
        let setup = self
            .registered(&username, &mut authenticator, Registration::default())
            .await;
        let p1 = async {
            setup.clone()?;
            let body = self.get_options(&username, "required").await?;
            check_request_options(&body, &authenticator)
        }
        .await;
        push(
            results,
            T,
            "P-1",
            "request options carry every required member",
            p1,
        );
        let p2 = async {
            setup.clone()?;
            let a = self.get_options(&username, "required").await?;
            let b = self.get_options(&username, "required").await?;
            if a["challenge"] == b["challenge"] {
                return Err("two calls returned the same challenge".to_owned());
            }
            Ok(())
        }
        .await;
        push(results, T, "P-2", "every call has a fresh challenge", p2);
    }

    /// A user with one registered credential, for the assertion tests.
    async fn enrolled(
        &mut self,
        test: &str,
        case: Registration,
    ) -> Result<(String, VirtualAuthenticator), String> {
        let (username, mut authenticator) = self.fresh(test);
        self.registered(&username, &mut authenticator, case).await?;
        Ok((username, authenticator))
    }

    async fn assertion_resp_1(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAssertionResponse-Resp-1";
        let p1 = async {
            let (username, mut authenticator) =
                self.enrolled("sresp1", Registration::default()).await?;
            self.assert_with(&username, &mut authenticator, "preferred", &[], None)
                .await?
                .ok()
                .map(|_| ())
        }
        .await;
        push(results, T, "P-1", "a valid assertion", p1);
        let cases: Vec<(&'static str, &'static str, Tweak)> = vec![
            ("F-1", "id is missing", Box::new(|b| drop(b.remove("id")))),
            (
                "F-2",
                "id is not a string",
                Box::new(|b| drop(b.insert("id".into(), json!(1469)))),
            ),
            (
                "F-3",
                "id is base64, not base64url",
                Box::new(|b| padded(b, "id")),
            ),
            (
                "F-4",
                "type is missing",
                Box::new(|b| drop(b.remove("type"))),
            ),
            (
                "F-5",
                "type is not a string",
                Box::new(|b| drop(b.insert("type".into(), json!([])))),
            ),
            (
                "F-6",
                "type is not \"public-key\"",
                Box::new(|b| drop(b.insert("type".into(), json!("private-key")))),
            ),
            (
                "F-7",
                "response is missing",
                Box::new(|b| drop(b.remove("response"))),
            ),
            (
                "F-8",
                "response is not an object",
                Box::new(|b| drop(b.insert("response".into(), json!(true)))),
            ),
            (
                "F-9",
                "clientDataJSON is missing",
                Box::new(|b| in_response(b, "clientDataJSON", None)),
            ),
            (
                "F-10",
                "clientDataJSON is not a string",
                Box::new(|b| in_response(b, "clientDataJSON", Some(json!({})))),
            ),
            (
                "F-11",
                "clientDataJSON is empty",
                Box::new(|b| in_response(b, "clientDataJSON", Some(json!("")))),
            ),
            (
                "F-12",
                "authenticatorData is missing",
                Box::new(|b| in_response(b, "authenticatorData", None)),
            ),
            (
                "F-13",
                "authenticatorData is not a string",
                Box::new(|b| in_response(b, "authenticatorData", Some(json!(false)))),
            ),
            (
                "F-14",
                "authenticatorData is base64, not base64url",
                Box::new(|b| padded_in_response(b, "authenticatorData")),
            ),
            (
                "F-15",
                "authenticatorData is empty",
                Box::new(|b| in_response(b, "authenticatorData", Some(json!("")))),
            ),
            (
                "F-16",
                "signature is missing",
                Box::new(|b| in_response(b, "signature", None)),
            ),
            (
                "F-17",
                "signature is not a string",
                Box::new(|b| in_response(b, "signature", Some(json!([])))),
            ),
            (
                "F-18",
                "signature is base64, not base64url",
                Box::new(|b| padded_in_response(b, "signature")),
            ),
            (
                "F-19",
                "signature is empty",
                Box::new(|b| in_response(b, "signature", Some(json!("")))),
            ),
            (
                "F-20",
                "signature does not verify (one byte changed)",
                Box::new(bump_signature),
            ),
            (
                "F-21",
                "userHandle is not a string",
                Box::new(|b| in_response(b, "userHandle", Some(json!({})))),
            ),
        ];
        for (case, description, tweak) in cases {
            let outcome = async {
                let (username, mut authenticator) =
                    self.enrolled("sresp1f", Registration::default()).await?;
                self.assert_with(&username, &mut authenticator, "preferred", &[], Some(tweak))
                    .await?
                    .failed()
            }
            .await;
            push(results, T, case, description, outcome);
        }
    }

    async fn assertion_mutations(
        &mut self,
        results: &mut Vec<CaseResult>,
        test: &'static str,
        cases: &[(&'static str, &'static str, Mutation)],
    ) {
        for (case, description, mutation) in cases {
            let outcome = async {
                let (username, mut authenticator) =
                    self.enrolled("smut", Registration::default()).await?;
                let uv = if *mutation == Mutation::ClearUserVerified {
                    "required"
                } else {
                    "preferred"
                };
                self.assert_with(&username, &mut authenticator, uv, &[*mutation], None)
                    .await?
                    .failed()
            }
            .await;
            push(results, test, case, description, outcome);
        }
    }

    async fn assertion_resp_2(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAssertionResponse-Resp-2";
        self.assertion_mutations(results, T, &client_data_cases(true))
            .await;
    }

    async fn assertion_resp_3(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-ServerAuthenticatorAssertionResponse-Resp-3";
        let p1 = async {
            let (username, mut authenticator) = self.fresh("sresp3p1");
            let options = self
                .creation_options(&username, "none", "preferred")
                .await?;
            let credential = CredentialOptions {
                sign_counter: SignCounter::AlwaysZero,
                ..CredentialOptions::default()
            };
            let response = authenticator
                .create(&creation_options(&options)?, &credential, &[])
                .map_err(|e| format!("virtual authenticator: {e}"))?;
            self.post(
                "/attestation/result",
                &Value::Object(as_tool_sends_it(response.json)?),
            )
            .await?
            .ok()?;
            for _ in 0..2 {
                self.assert_with(&username, &mut authenticator, "preferred", &[], None)
                    .await?
                    .ok()?;
            }
            Ok(())
        }
        .await;
        push(
            results,
            T,
            "P-1",
            "an authenticator without a counter (always 0)",
            p1,
        );
        let uv_cases = [
            ("P-2", "UV set, userVerification required", "required", true),
            (
                "P-3",
                "UV clear, userVerification preferred",
                "preferred",
                false,
            ),
            (
                "P-4",
                "UV set, userVerification preferred",
                "preferred",
                true,
            ),
            (
                "P-5",
                "UV clear, userVerification discouraged",
                "discouraged",
                false,
            ),
            (
                "P-6",
                "UV set, userVerification discouraged",
                "discouraged",
                true,
            ),
        ];
        for (case, description, requirement, uv) in uv_cases {
            let outcome = async {
                let (username, mut authenticator) =
                    self.enrolled("sresp3uv", Registration::default()).await?;
                let mutations = if uv {
                    vec![]
                } else {
                    vec![Mutation::ClearUserVerified]
                };
                // "discouraged" makes the virtual authenticator skip UV; P-6 sets it anyway.
                if requirement == "discouraged" && uv {
                    return self
                        .assert_discouraged_with_uv(&username, &mut authenticator)
                        .await;
                }
                self.assert_with(&username, &mut authenticator, requirement, &mutations, None)
                    .await?
                    .ok()
                    .map(|_| ())
            }
            .await;
            push(results, T, case, description, outcome);
        }
        let p7 = async {
            let (username, mut authenticator) = self
                .enrolled(
                    "sresp3p7",
                    Registration {
                        extension_data: true,
                        ..Registration::default()
                    },
                )
                .await?;
            self.assert_with(&username, &mut authenticator, "preferred", &[], None)
                .await?
                .ok()
                .map(|_| ())
        }
        .await;
        push(
            results,
            T,
            "P-7",
            "ED is set and extension data follows",
            p7,
        );
        self.assertion_mutations(
            results,
            T,
            &[
                (
                    "F-1",
                    "bytes follow the authenticator data",
                    Mutation::TrailingAuthDataByte,
                ),
                (
                    "F-2",
                    "rpIdHash is another RP ID's",
                    Mutation::WrongRpIdHash,
                ),
            ],
        )
        .await;
        let f3 = async {
            let (username, mut authenticator) =
                self.enrolled("sresp3f3", Registration::default()).await?;
            self.assert_with(
                &username,
                &mut authenticator,
                "preferred",
                &[],
                Some(Box::new(other_client_data)),
            )
            .await?
            .failed()
        }
        .await;
        push(
            results,
            T,
            "F-3",
            "the signature covers another clientDataHash",
            f3,
        );
        self.assertion_mutations(
            results,
            T,
            &[
                (
                    "F-4",
                    "the counter did not increase",
                    Mutation::CounterNotIncreased,
                ),
                (
                    "F-5",
                    "only UP is set while user verification is required",
                    Mutation::ClearUserVerified,
                ),
            ],
        )
        .await;
    }

    /// Resp-3 P-6: the authenticator verifies the user although the relying party discouraged
    /// it (the UV flag set with `discouraged`).
    async fn assert_discouraged_with_uv(
        &self,
        username: &str,
        authenticator: &mut VirtualAuthenticator,
    ) -> Result<(), String> {
        // Ask the authenticator for "preferred" (so it sets UV) and the server for
        // "discouraged".
        let options = self.get_options(username, "discouraged").await?;
        let mut request = request_options(&options)?;
        request.public_key.user_verification =
            Some(webauthn_core::UserVerificationRequirement::Preferred);
        let response = authenticator
            .get(&request, &[])
            .map_err(|e| format!("virtual authenticator: {e}"))?;
        self.post(
            "/assertion/result",
            &Value::Object(as_tool_sends_it(response.json)?),
        )
        .await?
        .ok()
        .map(|_| ())
    }

    async fn mds3(&mut self, results: &mut Vec<CaseResult>) {
        const T: &str = "Server-MDS3";
        let (username, mut authenticator) = self.fresh("mds3p1");
        let p1 = self
            .registered(
                &username,
                &mut authenticator,
                Registration {
                    attestation: Some(Attestation::PackedFull),
                    ..Registration::default()
                },
            )
            .await;
        push(
            results,
            T,
            "P-1",
            "an authenticator listed in the valid BLOB",
            p1,
        );
        let (username, mut authenticator) = self.fresh("mds3f1");
        let f1 = async {
            let case = Registration {
                attestation: Some(Attestation::PackedFull),
                aaguid: Some(AAGUID_COMPROMISED),
                certificate: Some(self.material.compromised.clone()),
                ..Registration::default()
            };
            self.register_with(&username, &mut authenticator, case, None)
                .await?
                .failed()
        }
        .await;
        push(
            results,
            T,
            "F-1",
            "an authenticator whose attestation key is compromised",
            f1,
        );
        const LOAD_TIME: &str = "a running server loads one BLOB at start; refusing BLOBs with a bad signature, a bad chain or a revoked certificate is checked where they are loaded (the server refuses to start with such a BLOB: anshin-conformance's server_suite test for signatures and chains, the server's `anshin mds load` test with CRLs revoking the signer or the intermediate; webauthn-core's mds tests)";
        for (case, description) in [
            ("F-2", "an authenticator from a BLOB whose signature fails"),
            ("F-3", "an authenticator from a BLOB whose chain fails"),
            (
                "F-4",
                "an authenticator from a BLOB whose intermediate is revoked",
            ),
            (
                "F-5",
                "an authenticator from a BLOB whose signer is revoked",
            ),
        ] {
            results.push(CaseResult {
                test: T,
                case,
                description,
                outcome: Outcome::Skip(LOAD_TIME),
            });
        }
    }
}

/// Seconds since the Unix epoch: the suite runs against a live server and its clock.
#[allow(clippy::disallowed_methods)]
fn wall_clock_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The client data cases of Resp-2, for a registration (`get` false) or an assertion.
fn client_data_cases(get: bool) -> Vec<(&'static str, &'static str, Mutation)> {
    use Mutation as M;
    vec![
        ("F-1", "type is missing", M::ClientDataTypeMissing),
        ("F-2", "type is not a string", M::ClientDataTypeNotString),
        ("F-3", "type is empty", M::ClientDataTypeEmpty),
        (
            "F-4",
            "type is neither ceremony's",
            M::ClientDataTypeUnknown,
        ),
        (
            "F-5",
            if get {
                "type is \"webauthn.create\""
            } else {
                "type is \"webauthn.get\""
            },
            M::WrongType,
        ),
        ("F-6", "challenge is missing", M::ChallengeMissing),
        ("F-7", "challenge is not a string", M::ChallengeNotString),
        ("F-8", "challenge is empty", M::ChallengeEmpty),
        (
            "F-9",
            "challenge is base64, not base64url",
            M::ChallengeNotBase64url,
        ),
        ("F-10", "challenge is not the one issued", M::WrongChallenge),
        ("F-11", "origin is missing", M::OriginMissing),
        ("F-12", "origin is not a string", M::OriginNotString),
        ("F-13", "origin is empty", M::OriginEmpty),
        ("F-14", "origin is not the relying party's", M::WrongOrigin),
        (
            "F-15",
            "tokenBinding is not an object",
            M::TokenBindingNotObject,
        ),
        (
            "F-16",
            "tokenBinding.status is missing",
            M::TokenBindingStatusMissing,
        ),
        (
            "F-17",
            "tokenBinding.status is not a known value",
            M::TokenBindingStatusInvalid,
        ),
    ]
}

/// `P-2` before `P-10`, `P-*` before `F-*`.
fn case_order(case: &str) -> (u8, u32) {
    let (kind, number) = case.split_once('-').unwrap_or((case, "0"));
    let kind = u8::from(kind != "P");
    (kind, number.parse().unwrap_or(0))
}

fn push(
    results: &mut Vec<CaseResult>,
    test: &'static str,
    case: &'static str,
    description: &'static str,
    outcome: Result<(), String>,
) {
    results.push(CaseResult {
        test,
        case,
        description,
        outcome: match outcome {
            Ok(()) => Outcome::Pass,
            Err(why) => Outcome::Fail(why),
        },
    });
}

fn expect_eq(got: &Value, want: &Value, what: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what} is {got}, expected {want}"))
    }
}

fn is_base64url(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The checks of Req-1 P-1 on a creation options answer.
fn check_creation_options(body: &Value, request: &Value) -> Result<(), String> {
    expect_eq(&body["user"]["name"], &request["username"], "user.name")?;
    expect_eq(
        &body["user"]["displayName"],
        &request["displayName"],
        "user.displayName",
    )?;
    if !is_base64url(&body["user"]["id"]) {
        return Err(format!("user.id {} is not base64url", body["user"]["id"]));
    }
    if body["rp"]["name"].as_str().is_none_or(str::is_empty) {
        return Err("rp.name is missing or empty".to_owned());
    }
    if let Some(id) = body["rp"].get("id")
        && id.as_str().is_none_or(str::is_empty)
    {
        return Err("rp.id is present but not a non-empty string".to_owned());
    }
    if !is_base64url(&body["challenge"]) || body["challenge"].as_str().map_or(0, str::len) < 22 {
        return Err(format!(
            "challenge {} is not base64url of 16+ bytes",
            body["challenge"]
        ));
    }
    if body["pubKeyCredParams"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        return Err("pubKeyCredParams is missing or empty".to_owned());
    }
    if let Some(timeout) = body.get("timeout")
        && timeout.as_f64().is_none_or(|t| t <= 0.0)
    {
        return Err(format!("timeout {timeout} is not positive"));
    }
    expect_eq(&body["attestation"], &request["attestation"], "attestation")?;
    expect_eq(
        &body["authenticatorSelection"],
        &request["authenticatorSelection"],
        "authenticatorSelection",
    )?;
    expect_eq(&body["extensions"], &request["extensions"], "extensions")
}

/// The checks of GetOptions Req-1 P-1.
fn check_request_options(body: &Value, authenticator: &VirtualAuthenticator) -> Result<(), String> {
    if !is_base64url(&body["challenge"]) || body["challenge"].as_str().map_or(0, str::len) < 22 {
        return Err(format!(
            "challenge {} is not base64url of 16+ bytes",
            body["challenge"]
        ));
    }
    expect_eq(
        &body["extensions"]["example.extension"],
        &json!(true),
        "extensions[\"example.extension\"]",
    )?;
    expect_eq(
        &body["userVerification"],
        &json!("required"),
        "userVerification",
    )?;
    let allowed = body["allowCredentials"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let id = authenticator
        .credentials()
        .first()
        .map(|c| base64url::encode(c.id()))
        .unwrap_or_default();
    match allowed.as_slice() {
        [only] if only["type"] == "public-key" && only["id"] == id.as_str() => Ok(()),
        _ => Err(format!(
            "allowCredentials is not exactly the user's credential: {}",
            body["allowCredentials"]
        )),
    }
}

/// The options inside a `ServerResponse`, as a browser takes them.
fn creation_options(answer: &Value) -> Result<CreationOptionsJson, String> {
    let mut options = answer.clone();
    if let Some(object) = options.as_object_mut() {
        object.remove("status");
        object.remove("errorMessage");
    }
    let public_key: PublicKeyCredentialCreationOptionsJson = serde_json::from_value(options)
        .map_err(|e| format!("the creation options do not parse: {e}"))?;
    Ok(CreationOptionsJson {
        public_key,
        mediation: None,
    })
}

fn request_options(answer: &Value) -> Result<RequestOptionsJson, String> {
    let mut options = answer.clone();
    if let Some(object) = options.as_object_mut() {
        object.remove("status");
        object.remove("errorMessage");
    }
    let public_key: PublicKeyCredentialRequestOptionsJson = serde_json::from_value(options)
        .map_err(|e| format!("the request options do not parse: {e}"))?;
    Ok(RequestOptionsJson {
        public_key,
        mediation: None,
    })
}

/// The credential as the tool sends it: client extension outputs under
/// `getClientExtensionResults`.
fn as_tool_sends_it(credential: Value) -> Result<Map<String, Value>, String> {
    let Value::Object(mut object) = credential else {
        return Err("the virtual authenticator's credential is not an object".to_owned());
    };
    let outputs = object
        .remove("clientExtensionResults")
        .unwrap_or_else(|| json!({}));
    object.insert("getClientExtensionResults".to_owned(), outputs);
    Ok(object)
}

/// Sets (or with `None`, removes) a member of `response`.
fn in_response(body: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    if let Some(Value::Object(response)) = body.get_mut("response") {
        match value {
            Some(v) => response.insert(name.to_owned(), v),
            None => response.remove(name),
        };
    }
}

/// Re-encodes a base64url member as standard base64 with padding (and with the standard
/// alphabet's characters, so it cannot read as base64url).
fn to_padded(value: Option<&Value>) -> Value {
    let bytes = value
        .and_then(Value::as_str)
        .and_then(|s| base64url::decode(s).ok())
        .unwrap_or_default();
    let mut text = base64::engine::general_purpose::STANDARD.encode(bytes);
    if !text.ends_with('=') {
        text.push_str("+/==");
    }
    Value::String(text)
}

fn padded(body: &mut Map<String, Value>, name: &str) {
    let value = to_padded(body.get(name));
    body.insert(name.to_owned(), value);
}

fn padded_in_response(body: &mut Map<String, Value>, name: &str) {
    if let Some(Value::Object(response)) = body.get_mut("response") {
        let value = to_padded(response.get(name));
        response.insert(name.to_owned(), value);
    }
}

/// Adds one to the signature's last byte.
fn bump_signature(body: &mut Map<String, Value>) {
    if let Some(Value::Object(response)) = body.get_mut("response") {
        let mut signature = response
            .get("signature")
            .and_then(Value::as_str)
            .and_then(|s| base64url::decode(s).ok())
            .unwrap_or_default();
        if let Some(last) = signature.last_mut() {
            *last = last.wrapping_add(1);
        }
        response.insert(
            "signature".to_owned(),
            Value::String(base64url::encode(&signature)),
        );
    }
}

/// Replaces the signed client data with other valid client data (one more member), so that
/// only the signature shows the difference.
fn other_client_data(body: &mut Map<String, Value>) {
    if let Some(Value::Object(response)) = body.get_mut("response") {
        let client_data = response
            .get("clientDataJSON")
            .and_then(Value::as_str)
            .and_then(|s| base64url::decode(s).ok())
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        if let Some(Value::Object(mut members)) = client_data {
            members.insert("other_keys_can_be_added_here".to_owned(), json!("anshin"));
            let bytes = Value::Object(members).to_string().into_bytes();
            response.insert(
                "clientDataJSON".to_owned(),
                Value::String(base64url::encode(&bytes)),
            );
        }
    }
}
