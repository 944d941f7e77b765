//! `anshin-conformance`: conformance tools for anshin.
//!
//! ```text
//! anshin-conformance vectors [--exceptions FILE] PATH...
//! anshin-conformance server --url URL [--junit FILE] [--seed N]
//! anshin-conformance mds --out DIR [--seed N]
//! ```
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use anshin_conformance::suite::{self, Suite, Totals};
use anshin_conformance::vectors::{self, Exceptions, Summary};

const USAGE: &str = "usage: anshin-conformance vectors [--exceptions FILE] PATH...
       anshin-conformance server --url URL [--junit FILE] [--seed N]
       anshin-conformance mds --out DIR [--seed N]

Commands:
  vectors   Run WebAuthn test vectors (JSON files in the schema of conformance/vectors/README.md)
            through webauthn-core. PATH is a vector file or a directory of them. Prints one line
            per vector and `N passed, M failed` last; exits 1 on any unexpected outcome.
  server    Run the FIDO2 server conformance test cases over HTTP against the conformance
            profile at URL (e.g. http://localhost:8080/fido2). The server must have loaded the
            metadata BLOB that `mds` writes for the same seed. Prints each test id and its
            sub-tests (pass, FAIL, skip with the reason) and `N passed, M failed` last; exits 1
            on any failure.
  mds       Write the run's metadata BLOB (DIR/blob.jwt) and its root (DIR/root.pem), for the
            server's `mds` and `mds_root` settings.

Options:
  --exceptions FILE   Known divergences and pending formats (default: the exceptions.toml of
                      the conformance crate)
  --junit FILE        Also write the results as JUnit XML
  --seed N            The seed of the keys, certificates and credentials (default 1)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((command, rest)) if command == "vectors" => run_vectors(rest),
        Some((command, rest)) if command == "server" => run_server(rest),
        Some((command, rest)) if command == "mds" => write_mds(rest),
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

/// The value of `--name VALUE` options; positional arguments are refused.
fn options(args: &[String], names: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if !names.contains(&arg.as_str()) {
            return Err(format!("unexpected argument {arg}"));
        }
        let value = iter.next().ok_or_else(|| format!("{arg} needs a value"))?;
        out.push((arg.clone(), value.clone()));
    }
    Ok(out)
}

fn option<'a>(options: &'a [(String, String)], name: &str) -> Option<&'a str> {
    options
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn seed(options: &[(String, String)]) -> Result<u64, String> {
    option(options, "--seed").map_or(Ok(1), |s| {
        s.parse().map_err(|_| format!("--seed {s} is not a number"))
    })
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("{message}\n\n{USAGE}");
    ExitCode::from(2)
}

fn run_server(args: &[String]) -> ExitCode {
    let options = match options(args, &["--url", "--junit", "--seed"]) {
        Ok(o) => o,
        Err(e) => return usage_error(&e),
    };
    let Some(url) = option(&options, "--url") else {
        return usage_error("--url is required");
    };
    let seed = match seed(&options) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let mut suite = match Suite::new(url, seed) {
        Ok(s) => s,
        Err(e) => return usage_error(&e.to_string()),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "anshin FIDO2 server conformance against {url}, seed {seed} (replay with --seed {seed})"
    );
    let results = runtime.block_on(suite.run());
    print!("{}", suite::report(&results));
    if let Some(path) = option(&options, "--junit")
        && let Err(e) = std::fs::write(path, suite::junit(&results))
    {
        eprintln!("cannot write {path}: {e}");
        return ExitCode::from(2);
    }
    if Totals::of(&results).failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn write_mds(args: &[String]) -> ExitCode {
    let options = match options(args, &["--out", "--seed"]) {
        Ok(o) => o,
        Err(e) => return usage_error(&e),
    };
    let Some(out) = option(&options, "--out") else {
        return usage_error("--out is required");
    };
    let seed = match seed(&options) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let written = suite::Material::generate(seed)
        .map_err(|e| e.to_string())
        .and_then(|material| {
            let dir = PathBuf::from(out);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{out}: {e}"))?;
            let blob = material.blob().map_err(|e| e.to_string())?;
            std::fs::write(dir.join("blob.jwt"), blob).map_err(|e| format!("{out}: {e}"))?;
            std::fs::write(dir.join("root.pem"), material.mds_root_pem())
                .map_err(|e| format!("{out}: {e}"))?;
            Ok(dir)
        });
    match written {
        Ok(dir) => {
            println!(
                "wrote {0}/blob.jwt and {0}/root.pem (seed {seed}); start anshin with \
                 ANSHIN_MDS={0}/blob.jwt and mds_root = \"{0}/root.pem\"",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
