//! The `anshin` binary: the README's run command with no configuration, and the subcommands.

use std::process::{Command, Stdio};
use std::time::Duration;

use anshin_server::store;

const ANSHIN: &str = env!("CARGO_BIN_EXE_anshin");

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("anshin-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A command with none of the caller's `ANSHIN_*` variables.
fn anshin(dir: &std::path::Path) -> Command {
    let mut command = Command::new(ANSHIN);
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("ANSHIN_") {
            command.env_remove(name);
        }
    }
    command
}

#[tokio::test]
async fn with_no_configuration_the_server_starts_on_sqlite_and_answers() {
    let dir = temp_dir();
    // The default port may be taken on a shared machine: only the port is overridden.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = anshin(&dir)
        .env("ANSHIN_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = {
        anshin_server::install_crypto_provider();
        reqwest::Client::new()
    };
    let mut ready = None;
    for _ in 0..100 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            ready = Some(response.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let options: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/v1/authentication/options"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(ready, Some(200));
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert!(dir.join("anshin.db").exists(), "the SQLite file is created");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn keys_rotate_retires_the_signing_key() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("keys.db").display());
    for _ in 0..2 {
        let status = anshin(&dir)
            .args(["keys", "rotate"])
            .env("ANSHIN_DATABASE_URL", &url)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let store = store::open(&url).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys.iter().filter(|k| k.retired_at.is_none()).count(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn help_explains_each_subcommand_and_bad_configuration_is_named() {
    let dir = temp_dir();
    let help = anshin(&dir).arg("--help").output().unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    for subcommand in ["serve", "migrate", "keys", "mds"] {
        assert!(text.contains(subcommand), "{text}");
    }
    let bad = anshin(&dir)
        .arg("migrate")
        .env("ANSHIN_LISTEN", "not an address")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ANSHIN_LISTEN"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn mds_load_refuses_a_stale_blob_with_a_reason() {
    let dir = temp_dir();
    let blob = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../webauthn-core/testdata/mds/production-blob-2021.jwt"
    );
    let output = anshin(&dir).args(["mds", "load", blob]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("production-blob-2021.jwt"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_api_key_created_by_the_cli_is_accepted_and_stored_only_as_a_hash() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("keys.db").display());
    let output = anshin(&dir)
        .args(["api-keys", "create", "billing backend"])
        .env("ANSHIN_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(output.status.success());
    let secret = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(secret.len() >= 32, "{secret}");
    let store = store::open(&url).await.unwrap();
    let keys = store.api_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name, "billing backend");
    assert_eq!(keys[0].hash, anshin_server::auth::hash_key(&secret));
    let raw = std::fs::read(dir.join("keys.db")).unwrap();
    assert!(
        !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret itself is not in the database file"
    );
    let ephemeral = anshin_server::ephemeral::open(None).await.unwrap();
    let server = crate::harness::start_with(|c| c.api_keys.clear(), store, ephemeral).await;
    let created = server
        .post(
            "/v1/users",
            Some(&secret),
            &serde_json::json!({"name": "via-cli-key"}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    server
        .post(
            "/v1/users",
            Some(crate::harness::API_KEY),
            &serde_json::json!({"name": "x"}),
        )
        .await
        .assert_problem(401, "unauthorized");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn policy_test_runs_the_builtin_policy_tests_and_fails_on_a_broken_policy() {
    let dir = temp_dir();
    let ok = anshin(&dir).args(["policy", "test"]).output().unwrap();
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    // A copy of the built-in policies with one threshold changed under its tests.
    let policies = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../risk/policies");
    let copy = dir.join("policies");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&policies).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let data = std::fs::read_to_string(copy.join("data.json")).unwrap();
    let broken = data.replace("\"travel_kmh\": 900", "\"travel_kmh\": 90000");
    assert_ne!(data, broken, "the threshold is in data.json");
    std::fs::write(copy.join("data.json"), broken).unwrap();
    let failed = anshin(&dir)
        .args(["policy", "test"])
        .arg(&copy)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&failed.stdout);
    assert!(!failed.status.success(), "{text}");
    assert!(text.contains("FAIL"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn mds_load_applies_crls_to_the_blob_signer() {
    use anshin_conformance::pki::{BlobDefect, MetadataService};
    let dir = temp_dir();
    let mds = MetadataService::generate(7).unwrap();
    let blob = dir.join("blob.jwt");
    std::fs::write(&blob, mds.blob(1, &[], BlobDefect::None).unwrap()).unwrap();
    let root = dir.join("root.pem");
    std::fs::write(&root, mds.root_pem()).unwrap();
    let clean = dir.join("clean.crl");
    std::fs::write(&clean, mds.ca_crl(&[]).unwrap()).unwrap();
    // Every certificate of the path needs its issuer's CRL once CRLs are given (fail closed).
    let root_crl = dir.join("root.crl");
    std::fs::write(&root_crl, mds.root_crl(&[]).unwrap()).unwrap();
    let revoked = dir.join("revoked.crl");
    std::fs::write(
        &revoked,
        mds.ca_crl(&[MetadataService::signer_serial()]).unwrap(),
    )
    .unwrap();
    // The MDS CA (serial 2 under the root) revoked by the root's CRL.
    let ca_revoked = dir.join("ca-revoked.crl");
    std::fs::write(&ca_revoked, mds.root_crl(&[2]).unwrap()).unwrap();
    let load = |root_crl: &std::path::Path, ca_crl: &std::path::Path| {
        anshin(&dir)
            .args(["mds", "load"])
            .arg(&blob)
            .arg("--root")
            .arg(&root)
            .arg("--crl")
            .arg(root_crl)
            .arg("--crl")
            .arg(ca_crl)
            .output()
            .unwrap()
    };
    let ok = load(&root_crl, &clean);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for (root_crl, ca_crl, what) in [
        (&root_crl, &revoked, "the BLOB signer"),
        (&ca_revoked, &clean, "the intermediate"),
    ] {
        let refused = load(root_crl, ca_crl);
        assert!(
            !refused.status.success(),
            "a BLOB loads though {what} is revoked"
        );
        let stderr = String::from_utf8_lossy(&refused.stderr).to_lowercase();
        assert!(stderr.contains("revoked"), "{what}: {stderr}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
