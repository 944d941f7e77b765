//! `anshin-conformance`: conformance tools for anshin.
//!
//! ```text
//! anshin-conformance vectors [--exceptions FILE] PATH...
//! ```
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use anshin_conformance::vectors::{self, Exceptions, Summary};

const USAGE: &str = "usage: anshin-conformance vectors [--exceptions FILE] PATH...

Commands:
  vectors   Run WebAuthn test vectors (JSON files in the schema of conformance/vectors/README.md)
            through webauthn-core. PATH is a vector file or a directory of them. Prints one line
            per vector and `N passed, M failed` last; exits 1 on any unexpected outcome.

Options:
  --exceptions FILE   Known divergences and pending formats (default: the exceptions.toml of
                      the conformance crate)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((command, rest)) if command == "vectors" => run_vectors(rest),
        Some((flag, _)) if flag == "--help" || flag == "-h" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run_vectors(args: &[String]) -> ExitCode {
    let mut exceptions_path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/exceptions.toml"));
    let mut paths = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--exceptions" => match iter.next() {
                Some(p) => exceptions_path = PathBuf::from(p),
                None => {
                    eprintln!("--exceptions needs a file\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => paths.push(PathBuf::from(other)),
        }
    }
    if paths.is_empty() {
        eprintln!("no vector file or directory given\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let exceptions = match Exceptions::load(&exceptions_path) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot read the exceptions: {e}");
            return ExitCode::from(2);
        }
    };
    let files = match vectors::vector_files(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut results = Vec::new();
    for file in &files {
        match vectors::run_file(file, &exceptions) {
            Ok(r) => {
                for line in &r {
                    println!("{line}");
                }
                results.extend(r);
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    let summary = Summary::of(&results);
    println!(
        "{} vectors in {} files: {} pending (not yet supported), {} known divergences",
        results.len(),
        files.len(),
        summary.pending,
        summary.known
    );
    println!("{} passed, {} failed", summary.passed, summary.failed);
    if summary.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
