//! OPA-style policy tests: every rule named `test_*` in a `*_test.rego` module must evaluate
//! to `true`.

use std::path::Path;

use regorus::Value;
use serde::{Deserialize, Serialize};

use crate::policy::{PolicyError, Sources};

/// The outcome of one `test_*` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test's package (`risk.login_test`).
    pub package: String,
    /// The rule's name (`test_new_device_fires`).
    pub name: String,
    /// Whether it evaluated to `true`.
    pub passed: bool,
    /// Why not: what it evaluated to, or the engine's error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The outcome of a policy test run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    /// Every test, in file and source order.
    pub tests: Vec<TestResult>,
}

impl TestReport {
    /// How many passed.
    #[must_use]
    pub fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.passed).count()
    }

    /// How many failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.tests.len() - self.passed()
    }

    /// The failed tests.
    pub fn failures(&self) -> impl Iterator<Item = &TestResult> {
        self.tests.iter().filter(|t| !t.passed)
    }

    /// Whether there were tests and all passed.
    #[must_use]
    pub fn success(&self) -> bool {
        !self.tests.is_empty() && self.failed() == 0
    }
}

/// Runs the `test_*` rules of the shipped policy (`None`) or of the policy in `dir` (its
/// `*.rego`, `*_test.rego` and `data.json`, as [`crate::Policy::from_dir`] reads them).
///
/// A test passes when its rule evaluates to `true`; undefined, `false` or an error fails it.
///
/// # Errors
///
/// A [`PolicyError`] when the files cannot be read or do not parse; failing tests are in the
/// report, not errors.
pub fn run_policy_tests(dir: Option<&Path>) -> Result<TestReport, PolicyError> {
    let sources = match dir {
        Some(dir) => Sources::from_dir(dir)?,
        None => Sources::builtin()?,
    };
    let mut engine = sources.engine(true)?;
    let mut report = TestReport::default();
    for (_, text) in &sources.tests {
        let Some(package) = package_of(text) else {
            continue;
        };
        for name in test_rules(text) {
            engine.set_input(Value::new_object());
            let outcome = engine.eval_rule(format!("data.{package}.{name}"));
            let (passed, detail) = match outcome {
                Ok(Value::Bool(true)) => (true, None),
                Ok(Value::Undefined) => (false, Some("undefined".to_owned())),
                Ok(other) => (false, Some(format!("evaluated to {other}"))),
                Err(e) => (false, Some(format!("{e:#}"))),
            };
            report.tests.push(TestResult {
                package: package.to_owned(),
                name,
                passed,
                detail,
            });
        }
    }
    Ok(report)
}

/// The module's `package` path.
fn package_of(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|line| line.trim().strip_prefix("package "))
        .map(str::trim)
}

/// Names of top-level rules starting `test_`, each once, in source order.
fn test_rules(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with("test_") {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_packages_and_test_rules() {
        let text = "# x\npackage risk.demo_test\n\nimport rego.v1\n\ntest_a if true\n\
                    test_b if {\n\tnot false\n}\ntest_a if 1 == 1\nhelper := 1\n  test_nested := 2\n";
        assert_eq!(package_of(text), Some("risk.demo_test"));
        assert_eq!(test_rules(text), ["test_a", "test_b"]);
    }
}
