//! Runs every test vector shipped in `conformance/vectors/` through webauthn-core, and checks the
//! `anshin-conformance vectors` command line on a vector that must fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use anshin_conformance::vectors::{self, Exceptions, Summary};

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_vectors_have_no_unexpected_outcome() {
    let exceptions = Exceptions::load(&crate_dir().join("exceptions.toml")).unwrap();
    let files = vectors::vector_files(&[crate_dir().join("vectors")]).unwrap();
    let names: Vec<_> = files
        .iter()
        .filter_map(|f| f.file_name()?.to_str())
        .collect();
    assert_eq!(
        names,
        [
            "chromium.json",
            "py_webauthn.json",
            "simplewebauthn.json",
            "w3c.json",
            "webauthn-rs.json"
        ]
    );
    let mut results = Vec::new();
    for file in &files {
        println!("testing vectors in {}", file.display());
        results.extend(vectors::run_file(file, &exceptions).unwrap());
    }
    for r in &results {
        println!("{r}");
    }
    let summary = Summary::of(&results);
    println!("{} passed, {} failed", summary.passed, summary.failed);
    assert_eq!(summary.failed, 0, "unexpected outcomes above");
    // Every vector of the none, packed and fido-u2f formats either passes or is a divergence
    // listed with its reason; nothing else is pending.
    assert!(summary.passed >= 80, "{summary:?}");
}

#[test]
fn every_exception_is_used() {
    let exceptions = Exceptions::load(&crate_dir().join("exceptions.toml")).unwrap();
    let files = vectors::vector_files(&[crate_dir().join("vectors")]).unwrap();
    let results: Vec<_> = files
        .iter()
        .flat_map(|f| vectors::run_file(f, &exceptions).unwrap())
        .collect();
    for d in &exceptions.divergence {
        let r = results.iter().find(|r| r.id == d.id);
        assert!(
            matches!(
                r.map(|r| &r.outcome),
                Some(vectors::Outcome::KnownDivergence { .. })
            ),
            "exceptions.toml lists {} but it is not a known divergence: {r:?}",
            d.id
        );
    }
}

fn write_temp(name: &str, text: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("anshin-vectors-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("vectors.json");
    std::fs::write(&path, text)?;
    Ok(path)
}

#[test]
fn the_command_exits_1_when_a_vector_has_an_unexpected_outcome() {
    // The W3C "none ES256" registration with its expected outcome flipped to reject.
    let w3c: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(crate_dir().join("vectors/w3c.json")).unwrap(),
    )
    .unwrap();
    let mut flipped = w3c[0].clone();
    assert_eq!(flipped["id"], "w3c-none-es256-reg");
    flipped["id"] = "flipped".into();
    flipped["expected"]["outcome"] = "reject".into();
    let path = write_temp(
        "flipped",
        &serde_json::to_string(&[flipped, w3c[1].clone()]).unwrap(),
    )
    .unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_anshin-conformance"))
        .arg("vectors")
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("flipped") && stdout.contains("FAIL: unexpected success"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().last(),
        Some("1 passed, 1 failed"),
        "{stdout}"
    );

    let output = Command::new(env!("CARGO_BIN_EXE_anshin-conformance"))
        .args(["vectors"])
        .arg(crate_dir().join("vectors/w3c.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.lines().count(),
        32,
        "one line per vector and two summary lines:\n{stdout}"
    );
}

#[test]
fn the_command_explains_its_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_anshin-conformance"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("anshin-conformance vectors"));
    let output = Command::new(env!("CARGO_BIN_EXE_anshin-conformance"))
        .arg("vectors")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
