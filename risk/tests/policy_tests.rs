//! The shipped policy's own tests (`risk/policies/*_test.rego`), the rules' test coverage, the
//! shipped defaults' principles, and the runner on an operator's directory.

// Helpers outside #[test] functions unwrap too: a failed fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anshin_risk::{Policy, run_policy_tests};
use serde_json::Value;

fn policies_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies")
}

fn data() -> Value {
    Policy::builtin().unwrap().data().clone()
}

fn rules() -> serde_json::Map<String, Value> {
    data()["config"]["rules"].as_object().unwrap().clone()
}

#[test]
fn every_shipped_policy_test_passes() {
    let report = run_policy_tests(None).unwrap();
    for t in &report.tests {
        println!(
            "{} {}.{}",
            if t.passed { "ok  " } else { "FAIL" },
            t.package,
            t.name
        );
    }
    let failures: Vec<String> = report
        .failures()
        .map(|t| {
            format!(
                "{}.{}: {}",
                t.package,
                t.name,
                t.detail.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "failing policy tests:\n{}",
        failures.join("\n")
    );
    assert!(report.success());
    assert!(report.passed() > 100, "only {} tests", report.passed());
}

/// For rule `login.new_device` the package `risk.login_test` must have
/// `test_new_device_fires` and `test_new_device_quiet`.
#[test]
fn every_rule_has_a_positive_and_a_negative_test() {
    let report = run_policy_tests(None).unwrap();
    let names: BTreeSet<(String, String)> = report
        .tests
        .iter()
        .map(|t| (t.package.clone(), t.name.clone()))
        .collect();
    let mut missing = Vec::new();
    for id in rules().keys() {
        let (point, rest) = id.split_once('.').unwrap();
        let package = format!("risk.{point}_test");
        let stem = rest.replace('.', "_");
        for case in ["fires", "quiet"] {
            let name = format!("test_{stem}_{case}");
            if !names.contains(&(package.clone(), name.clone())) {
                missing.push(format!("{package}.{name}"));
            }
        }
    }
    assert!(missing.is_empty(), "rules without tests: {missing:?}");
}

/// Every rule id a module names has an entry in data.json, and the other way round.
#[test]
fn rule_ids_in_modules_and_data_match() {
    let mut named = BTreeSet::new();
    for entry in std::fs::read_dir(policies_dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !file.ends_with(".rego") || file.ends_with("_test.rego") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in text.split("lib.finding(\"").skip(1) {
            let id = piece.split('"').next().unwrap();
            if !id.contains("%s") {
                named.insert(id.to_owned());
            }
        }
    }
    // The velocity rules are named after the counters in thresholds.sms_velocity.
    for counter in data()["config"]["thresholds"]["sms_velocity"]
        .as_object()
        .unwrap()
        .keys()
    {
        named.insert(format!("sms_send.velocity.{counter}"));
    }
    let configured: BTreeSet<String> = rules().keys().cloned().collect();
    assert_eq!(named, configured);
}

/// DESIGN §5 lists the reason codes; they are stable (add, never rename). Every code a module
/// reports is one of them.
#[test]
fn reason_codes_are_the_stable_ones() {
    const STABLE: &[&str] = &[
        "new_device",
        "new_country",
        "impossible_travel",
        "anonymous_network",
        "hosting_network",
        "user_failure_burst",
        "ip_failure_burst",
        "password_spray",
        "credential_recently_added",
        "counter_regression",
        "backup_state_changed",
        "authenticator_status",
        "uv_absent",
        "signal_unavailable",
        "sms_passkey_holder",
        "sms_country_blocked",
        "sms_number_type",
        "sms_velocity",
        "sms_backoff",
        "sms_prefix_blocked",
    ];
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(policies_dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !file.ends_with(".rego") || file.ends_with("_test.rego") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in text.split("lib.finding(").skip(1) {
            // lib.finding(ID, "code", values)
            let code = piece
                .split(", \"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert!(
                STABLE.contains(&code),
                "{file}: unknown reason code {code:?}"
            );
            seen.insert(code.to_owned());
        }
    }
    let unused: Vec<_> = STABLE.iter().filter(|c| !seen.contains(**c)).collect();
    assert!(unused.is_empty(), "codes no rule reports: {unused:?}");
}

/// DESIGN §5: behaviour-only anomalies step up, never deny; the codes are the stable ones.
#[test]
fn shipped_defaults_follow_the_principles() {
    const BEHAVIOUR_ONLY: &[&str] = &[
        "new_device",
        "new_country",
        "impossible_travel",
        "anonymous_network",
        "hosting_network",
        "credential_recently_added",
        "backup_state_changed",
        "uv_absent",
    ];
    for (id, rule) in rules() {
        let mode = rule["mode"].as_str().unwrap();
        assert!(mode == "enforce" || mode == "shadow", "{id}: mode {mode}");
        let effect = rule["effect"].as_str().unwrap();
        assert!(
            ["step_up", "deny", "cap"].contains(&effect),
            "{id}: effect {effect}"
        );
        let stem = id.split('.').nth(1).unwrap();
        if BEHAVIOUR_ONLY.contains(&stem) || stem == "backup_eligibility_changed" {
            assert_eq!(
                effect, "step_up",
                "{id} is behaviour-only: it must not deny"
            );
        }
        if stem == "signal_unavailable" {
            let want = if id.starts_with("sms_send.") {
                "cap"
            } else {
                "step_up"
            };
            assert_eq!(effect, want, "{id}");
        }
    }
}

fn copy_policies(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(policies_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anshin-risk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn an_operators_directory_is_tested_and_failures_are_named() {
    let dir = scratch_dir("operator");
    copy_policies(&dir);
    std::fs::write(
        dir.join("extra_test.rego"),
        "package risk.extra_test\n\nimport rego.v1\n\nimport data.risk.login\n\n\
         test_benign_login_denies if {\n\tlogin.decision.action == \"deny\"\n}\n\n\
         test_one_is_one if 1 == 1\n",
    )
    .unwrap();
    let report = run_policy_tests(Some(&dir)).unwrap();
    let failed: Vec<_> = report
        .failures()
        .map(|t| (t.package.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(failed, [("risk.extra_test", "test_benign_login_denies")]);
    assert!(
        report
            .tests
            .iter()
            .any(|t| t.name == "test_one_is_one" && t.passed)
    );
    assert!(!report.success());

    // The same directory loads as a policy with a local version.
    let local = Policy::from_dir(&dir).unwrap();
    assert!(local.version().starts_with("local-"), "{}", local.version());
    let builtin = Policy::builtin().unwrap();
    assert!(builtin.version().starts_with("builtin-"));
    assert_eq!(
        local.version()["local-".len()..],
        builtin.version()["builtin-".len()..]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn broken_operator_policies_are_errors() {
    let dir = scratch_dir("broken");
    copy_policies(&dir);
    std::fs::write(
        dir.join("login.rego"),
        "package risk.login\n\nimport rego.v1\n\ndecision := {\n",
    )
    .unwrap();
    assert_eq!(Policy::from_dir(&dir).unwrap_err().code(), "policy.module");

    copy_policies(&dir);
    std::fs::remove_file(dir.join("recovery.rego")).unwrap();
    std::fs::remove_file(dir.join("recovery_test.rego")).unwrap();
    assert_eq!(Policy::from_dir(&dir).unwrap_err().code(), "policy.eval");

    copy_policies(&dir);
    std::fs::write(
        dir.join("fallback.rego"),
        "package risk.fallback\n\nimport rego.v1\n\ndecision := {\"action\": \"maybe\"}\n",
    )
    .unwrap();
    assert_eq!(Policy::from_dir(&dir).unwrap_err().code(), "policy.output");

    copy_policies(&dir);
    std::fs::write(dir.join("data.json"), "[1, 2]").unwrap();
    assert_eq!(Policy::from_dir(&dir).unwrap_err().code(), "policy.data");

    assert_eq!(
        Policy::from_dir(&dir.join("nowhere")).unwrap_err().code(),
        "policy.io"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
