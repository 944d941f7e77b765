//! Policies: Rego modules plus a data document, compiled once and evaluated per request.
//!
//! A [`Policy`] is cheap to clone and share (`Send + Sync`). It holds a prepared `regorus`
//! engine as a template; each thread that evaluates keeps its own clone of it, keyed by the
//! policy's version, so concurrent evaluations never contend for a lock.

use std::cell::RefCell;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use regorus::{Engine, Value};
use serde::{Deserialize, Serialize};

use crate::decision::{Action, Decision, Level, Mode, Obligation, Reason};
use crate::facts::{DecisionPoint, Facts};
use crate::signals::Signals;

/// The shipped policy modules (not tests), in load order.
const BUILTIN_MODULES: &[(&str, &str)] = &[
    ("lib.rego", include_str!("../policies/lib.rego")),
    ("detect.rego", include_str!("../policies/detect.rego")),
    ("login.rego", include_str!("../policies/login.rego")),
    (
        "register_credential.rego",
        include_str!("../policies/register_credential.rego"),
    ),
    (
        "sensitive_action.rego",
        include_str!("../policies/sensitive_action.rego"),
    ),
    ("sms_send.rego", include_str!("../policies/sms_send.rego")),
    ("fallback.rego", include_str!("../policies/fallback.rego")),
    ("recovery.rego", include_str!("../policies/recovery.rego")),
];

/// The shipped policy tests.
pub(crate) const BUILTIN_TESTS: &[(&str, &str)] = &[
    (
        "fixtures_test.rego",
        include_str!("../policies/fixtures_test.rego"),
    ),
    ("lib_test.rego", include_str!("../policies/lib_test.rego")),
    (
        "login_test.rego",
        include_str!("../policies/login_test.rego"),
    ),
    (
        "register_credential_test.rego",
        include_str!("../policies/register_credential_test.rego"),
    ),
    (
        "sensitive_action_test.rego",
        include_str!("../policies/sensitive_action_test.rego"),
    ),
    (
        "sms_send_test.rego",
        include_str!("../policies/sms_send_test.rego"),
    ),
    (
        "fallback_test.rego",
        include_str!("../policies/fallback_test.rego"),
    ),
    (
        "recovery_test.rego",
        include_str!("../policies/recovery_test.rego"),
    ),
];

/// The shipped data document.
const BUILTIN_DATA: &str = include_str!("../policies/data.json");

/// How many policy versions each thread keeps a prepared engine for.
const ENGINES_PER_THREAD: usize = 4;

/// A policy could not be loaded or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A policy file or directory could not be read.
    #[error("reading {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A Rego module does not parse or compile.
    #[error("policy module {module}: {message}")]
    Module {
        /// The module's file name.
        module: String,
        /// The parser's message.
        message: String,
    },
    /// The data document is not a JSON object.
    #[error("policy data: {message}")]
    Data {
        /// What went wrong.
        message: String,
    },
    /// A decision point's package has no `decision` rule, or evaluating it failed.
    #[error("evaluating data.risk.{package}.decision: {message}")]
    Eval {
        /// The decision point's package.
        package: String,
        /// The engine's message.
        message: String,
    },
    /// A `decision` is not the document the engine expects.
    #[error("data.risk.{package}.decision is malformed: {message}")]
    Output {
        /// The decision point's package.
        package: String,
        /// What was wrong with it.
        message: String,
    },
}

impl PolicyError {
    /// A stable, machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "policy.io",
            Self::Module { .. } => "policy.module",
            Self::Data { .. } => "policy.data",
            Self::Eval { .. } => "policy.eval",
            Self::Output { .. } => "policy.output",
        }
    }
}

/// Rego sources of a policy: modules and tests, by file name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    pub(crate) modules: Vec<(String, String)>,
    pub(crate) tests: Vec<(String, String)>,
    pub(crate) data: serde_json::Value,
}

impl Sources {
    pub(crate) fn builtin() -> Result<Self, PolicyError> {
        let owned = |files: &[(&str, &str)]| {
            files
                .iter()
                .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
                .collect()
        };
        Ok(Self {
            modules: owned(BUILTIN_MODULES),
            tests: owned(BUILTIN_TESTS),
            data: parse_data(BUILTIN_DATA)?,
        })
    }

    /// Every `*.rego` in `dir` (tests are `*_test.rego`) and `dir/data.json`.
    pub(crate) fn from_dir(dir: &Path) -> Result<Self, PolicyError> {
        let io = |path: &Path, e: std::io::Error| PolicyError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let path = entry.map_err(|e| io(dir, e))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if path.is_file() && name.ends_with(".rego") {
                let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                files.push((name, text));
            }
        }
        files.sort();
        let (tests, modules) = files
            .into_iter()
            .partition(|(name, _)| name.ends_with("_test.rego"));
        let data_path = dir.join("data.json");
        let data = std::fs::read_to_string(&data_path).map_err(|e| io(&data_path, e))?;
        Ok(Self {
            modules,
            tests,
            data: parse_data(&data)?,
        })
    }

    /// An engine with the modules (and the tests, if asked) and the data loaded.
    pub(crate) fn engine(&self, with_tests: bool) -> Result<Engine, PolicyError> {
        let mut engine = Engine::new();
        let tests = if with_tests { &self.tests[..] } else { &[] };
        for (name, text) in self.modules.iter().chain(tests) {
            engine
                .add_policy(name.clone(), text.clone())
                .map_err(|e| PolicyError::Module {
                    module: name.clone(),
                    message: format!("{e:#}"),
                })?;
        }
        engine
            .add_data(Value::from(self.data.clone()))
            .map_err(|e| PolicyError::Data {
                message: format!("{e:#}"),
            })?;
        Ok(engine)
    }

    /// `sha256(name NUL source NUL … data)` over the modules sorted by name, hex, first 16
    /// digits: the same files give the same digest however they were loaded.
    fn digest(&self) -> String {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut modules: Vec<&(String, String)> = self.modules.iter().collect();
        modules.sort();
        for (name, text) in modules {
            ctx.update(name.as_bytes());
            ctx.update(&[0]);
            ctx.update(text.as_bytes());
            ctx.update(&[0]);
        }
        // serde_json's maps are sorted, so this is canonical.
        ctx.update(self.data.to_string().as_bytes());
        ctx.finish()
            .as_ref()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn parse_data(text: &str) -> Result<serde_json::Value, PolicyError> {
    let data: serde_json::Value = serde_json::from_str(text).map_err(|e| PolicyError::Data {
        message: e.to_string(),
    })?;
    if data.is_object() {
        Ok(data)
    } else {
        Err(PolicyError::Data {
            message: "expected a JSON object at the top level".to_owned(),
        })
    }
}

/// Compiled policies and their data. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

struct Inner {
    version: String,
    modules: Vec<String>,
    data: serde_json::Value,
    template: Engine,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("version", &self.inner.version)
            .field("modules", &self.inner.modules)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// The shipped policy (`risk/policies/`, compiled into the crate). Its version is
    /// `builtin-<16 hex digits of sha256>`.
    ///
    /// Parses and checks every module and evaluates each decision point once: about a
    /// millisecond or two. Build it once at start-up and clone it.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] only if the shipped policy is broken (the crate's tests catch that).
    pub fn builtin() -> Result<Self, PolicyError> {
        Self::from_sources(&Sources::builtin()?, "builtin")
    }

    /// An operator's policy: every `*.rego` in `dir` except `*_test.rego`, and
    /// `dir/data.json`. It must define `data.risk.<point>.decision` for every decision point;
    /// starting from a copy of `risk/policies/` is the easy way. Its version is
    /// `local-<16 hex digits of sha256>`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::Io`] when a file cannot be read, [`PolicyError::Module`] or
    /// [`PolicyError::Data`] when one does not parse, [`PolicyError::Eval`] or
    /// [`PolicyError::Output`] when a decision point is missing or answers something else than
    /// a decision.
    pub fn from_dir(dir: &Path) -> Result<Self, PolicyError> {
        Self::from_sources(&Sources::from_dir(dir)?, "local")
    }

    fn from_sources(sources: &Sources, origin: &str) -> Result<Self, PolicyError> {
        let template = sources.engine(false)?;
        let policy = Self {
            inner: Arc::new(Inner {
                version: format!("{origin}-{}", sources.digest()),
                modules: sources.modules.iter().map(|(n, _)| n.clone()).collect(),
                data: sources.data.clone(),
                template,
            }),
        };
        // Every decision point must answer a well-formed decision, even with no facts at all.
        let probe_ip = std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        let mut engine = policy.inner.template.clone();
        for point in DecisionPoint::all("probe") {
            let facts = Facts::new(point, probe_ip);
            evaluate_with(&mut engine, &policy.inner.version, &facts, 0)?;
        }
        Ok(policy)
    }

    /// The version stamped into every decision: origin and a digest of modules and data.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// The data document (thresholds, lists, rule modes).
    #[must_use]
    pub fn data(&self) -> &serde_json::Value {
        &self.inner.data
    }

    /// The policy modules' file names.
    #[must_use]
    pub fn modules(&self) -> &[String] {
        &self.inner.modules
    }

    /// The mode of rule `rule_id` in this policy's data (a rule without an entry is shadow).
    #[must_use]
    pub fn rule_mode(&self, rule_id: &str) -> Mode {
        let mode = self
            .inner
            .data
            .pointer("/config/rules")
            .and_then(|rules| rules.get(rule_id))
            .and_then(|rule| rule.get("mode"))
            .and_then(serde_json::Value::as_str);
        if mode == Some("enforce") {
            Mode::Enforce
        } else {
            Mode::Shadow
        }
    }
}

thread_local! {
    /// Prepared engines of this thread, by policy version, most recently added last.
    static ENGINES: RefCell<Vec<(String, Engine)>> = const { RefCell::new(Vec::new()) };
}

/// Decides `facts` at `now` (Unix seconds) under `policy`.
///
/// Pure: no I/O, no clock. Safe to call from many threads at once; each thread keeps its own
/// prepared engine per policy version (the first call on a thread clones the policy's
/// template).
///
/// # Errors
///
/// [`PolicyError::Eval`] when the policy fails at run time (an operator's policy with a
/// conflict, say) and [`PolicyError::Output`] when it answers something that is not a
/// decision. The shipped policy does neither; a server should treat an error as `step_up` at
/// sign-in and `deny` for SMS.
pub fn evaluate(policy: &Policy, facts: &Facts, now: i64) -> Result<Decision, PolicyError> {
    let version = policy.version();
    ENGINES.with_borrow_mut(|engines| {
        let index = match engines.iter().position(|(v, _)| v == version) {
            Some(i) => i,
            None => {
                if engines.len() >= ENGINES_PER_THREAD {
                    engines.remove(0);
                }
                engines.push((version.to_owned(), policy.inner.template.clone()));
                engines.len() - 1
            }
        };
        match engines.get_mut(index) {
            Some((_, engine)) => evaluate_with(engine, version, facts, now),
            // Unreachable: `index` was found or pushed just above.
            None => Err(PolicyError::Eval {
                package: facts.point.package().to_owned(),
                message: "no engine for this thread".to_owned(),
            }),
        }
    })
}

/// `input` of every decision.
#[derive(Serialize)]
struct Input<'a> {
    point: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_name: Option<&'a str>,
    now: i64,
    facts: &'a Facts,
    signals: Signals,
}

/// `data.risk.<point>.decision` as the policy writes it.
#[derive(Deserialize)]
struct RawDecision {
    action: Action,
    level: Level,
    score: u32,
    reasons: Vec<RawReason>,
    shadow_reasons: Vec<RawReason>,
    required_acr: Option<String>,
    max_age: Option<u64>,
    allowed_methods: Vec<String>,
    obligations: Vec<Obligation>,
}

#[derive(Deserialize)]
struct RawReason {
    code: String,
    rule_id: String,
    mode: Mode,
    values: serde_json::Value,
    #[serde(default)]
    rank: i64,
}

fn rule_path(point: &DecisionPoint) -> String {
    format!("data.risk.{}.decision", point.package())
}

pub(crate) fn evaluate_with(
    engine: &mut Engine,
    version: &str,
    facts: &Facts,
    now: i64,
) -> Result<Decision, PolicyError> {
    let package = facts.point.package();
    let eval_error = |message: String| PolicyError::Eval {
        package: package.to_owned(),
        message,
    };
    let output_error = |message: String| PolicyError::Output {
        package: package.to_owned(),
        message,
    };
    let input = Input {
        point: package,
        action_name: match &facts.point {
            DecisionPoint::SensitiveAction(name) => Some(name),
            _ => None,
        },
        now,
        facts,
        signals: Signals::derive(facts, now),
    };
    let input = serde_json::to_value(&input).map_err(|e| eval_error(e.to_string()))?;
    engine.set_input(Value::from(input));
    let out = engine
        .eval_rule(rule_path(&facts.point))
        .map_err(|e| eval_error(format!("{e:#}")))?;
    if out == Value::Undefined {
        return Err(output_error("undefined".to_owned()));
    }
    let json = serde_json::to_value(&out).map_err(|e| output_error(e.to_string()))?;
    let raw: RawDecision = serde_json::from_value(json).map_err(|e| output_error(e.to_string()))?;

    let reasons = |mut list: Vec<RawReason>| {
        list.sort_by(|a, b| (a.rank, &a.rule_id).cmp(&(b.rank, &b.rule_id)));
        list.into_iter()
            .map(|r| Reason {
                code: r.code,
                rule_id: r.rule_id,
                mode: r.mode,
                values: r.values,
            })
            .collect::<Vec<_>>()
    };
    Ok(Decision {
        action: raw.action,
        level: raw.level,
        score: raw.score,
        reasons: reasons(raw.reasons),
        shadow_reasons: reasons(raw.shadow_reasons),
        required_acr: raw.required_acr,
        max_age: raw.max_age,
        allowed_methods: raw.allowed_methods,
        obligations: raw.obligations,
        policy_version: version.to_owned(),
    })
}
