//! The FIDO2 server conformance suite against anshin, started in this process on a real
//! socket with the suite's metadata BLOB loaded: every sub-test that runs passes. Then against
//! an anshin whose relying party is deliberately weakened (it also accepts the origin the
//! suite uses as "another site"): exactly the origin sub-tests fail, so the suite can fail.
//! Last, anshin refuses to start with a BLOB whose signature or chain is broken (Server-MDS3
//! F-2 and F-3 at load time).
// The helpers below set up the test and may panic like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anshin_conformance::pki::BlobDefect;
use anshin_conformance::suite::{self, Outcome, Suite, Totals};
use anshin_server::app::AppState;
use anshin_server::config::Config;
use anshin_server::ephemeral::Ephemeral;
use anshin_server::ephemeral::memory::MemoryEphemeral;

const SEED: u64 = 7;

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts anshin with the suite's metadata; `extra_origins` weakens the origin check.
async fn start(scratch: &Scratch, extra_origins: &[&str]) -> (String, tokio::task::JoinHandle<()>) {
    let material = suite::Material::generate(SEED).unwrap();
    let blob = scratch.0.join("blob.jwt");
    let root = scratch.0.join("root.pem");
    std::fs::write(&blob, material.blob().unwrap()).unwrap();
    std::fs::write(&root, material.mds_root_pem()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut origins = vec![format!("http://localhost:{port}")];
    origins.extend(extra_origins.iter().map(|o| (*o).to_owned()));
    let config = Config {
        origins,
        mds: Some(blob.display().to_string()),
        mds_root: Some(root),
        ..Config::default()
    };
    let database = scratch.0.join(format!("anshin-{port}.db"));
    let store = anshin_server::store::open(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ephemeral: Arc<dyn Ephemeral> = Arc::new(MemoryEphemeral::default());
    let state = AppState::with_stores(config, store, ephemeral)
        .await
        .unwrap();
    let app = anshin_server::http::router(state);
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (format!("http://localhost:{port}/fido2"), task)
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("anshin-suite-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anshin_passes_every_sub_test_that_runs() {
    let scratch = scratch("pass");
    let (url, server) = start(&scratch, &[]).await;
    let results = Suite::new(&url, SEED).unwrap().run().await;
    server.abort();
    let report = suite::report(&results);
    println!("{report}");
    let totals = Totals::of(&results);
    assert_eq!(totals.failed, 0, "{report}");
    // The catalogue of §2.2: 177 sub-tests in 17 test ids (tool 1.9 runs 168 of them; Resp-B
    // and Resp-9 P-3 come from the 2021 list).
    assert_eq!(results.len(), 177, "{report}");
    let mut ids: Vec<_> = results.iter().map(|r| r.test).collect();
    ids.dedup();
    assert_eq!(ids.len(), 17, "{ids:?}");
    // Every skip says why.
    assert!(results.iter().all(|r| match r.outcome {
        Outcome::Skip(why) => !why.is_empty(),
        _ => true,
    }));
    let junit = suite::junit(&results);
    assert!(junit.contains("<testsuite name=\"Server-MDS3\""), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_accepts_another_origin_fails_the_origin_sub_tests() {
    let scratch = scratch("weak");
    let (url, server) = start(&scratch, &["https://attacker.example"]).await;
    let results = Suite::new(&url, SEED).unwrap().run().await;
    server.abort();
    let failed: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
        .map(suite::CaseResult::name)
        .collect();
    assert_eq!(
        failed,
        [
            "Server-ServerAuthenticatorAttestationResponse-Resp-2 F-14",
            "Server-ServerAuthenticatorAssertionResponse-Resp-2 F-14",
        ],
        "{}",
        suite::report(&results)
    );
}

#[tokio::test]
async fn anshin_refuses_to_start_with_a_broken_blob() {
    let scratch = scratch("broken");
    let material = suite::Material::generate(SEED).unwrap();
    let root = scratch.0.join("root.pem");
    std::fs::write(&root, material.mds_root_pem()).unwrap();
    for defect in [BlobDefect::BadSignature, BlobDefect::BadChain] {
        let blob = scratch.0.join(format!("{defect:?}.jwt"));
        std::fs::write(&blob, material.broken_blob(defect).unwrap()).unwrap();
        let config = Config {
            mds: Some(blob.display().to_string()),
            mds_root: Some(root.clone()),
            ..Config::default()
        };
        let database = scratch.0.join(format!("{defect:?}.db"));
        let store = anshin_server::store::open(&format!("sqlite://{}", database.display()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let ephemeral: Arc<dyn Ephemeral> = Arc::new(MemoryEphemeral::default());
        let started = AppState::with_stores(config, store, ephemeral).await;
        let error = started.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("metadata:"), "{defect:?}: {error:?}");
    }
}
