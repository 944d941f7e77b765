//! `anshin`: the passkey server.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anshin_server::app::{AppState, load_metadata, now_secs, now_unix};
use anshin_server::config::Config;
use anshin_server::{auth, http, store, tokens};
use clap::{Parser, Subcommand};

/// anshin: a passkey (WebAuthn / FIDO2) authentication server.
///
/// Configuration comes from anshin.toml (or the file named by --config or ANSHIN_CONFIG) and
/// the ANSHIN_* environment variables. With none, the server listens on 127.0.0.1:8080 for
/// rp id `localhost`, keeps data in ./anshin.db and ceremony state in memory.
#[derive(Debug, Parser)]
#[command(name = "anshin", version)]
struct Cli {
    /// Configuration file (default: ./anshin.toml when it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (the default): migrates the database, then serves the API, the
    /// FIDO2 conformance profile at /fido2 and the operations endpoints.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage token signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Risk policies (Rego).
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Backend API keys kept in the database (in addition to ANSHIN_API_KEYS).
    ApiKeys {
        #[command(subcommand)]
        command: ApiKeysCommand,
    },
    /// FIDO Metadata Service (MDS3) BLOBs.
    Mds {
        #[command(subcommand)]
        command: MdsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a new ES256 signing key and retire the current one. The retired key keeps being
    /// published in /.well-known/jwks.json for one session lifetime, so tokens it signed stay
    /// valid; running servers pick the new key up within a minute.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Run the `test_*` rules of a policy directory (default: the built-in policies), print
    /// one line per test and exit non-zero if any fails. Use it in CI for your own policies
    /// before pointing ANSHIN_POLICY_DIR at them.
    Test {
        /// The directory holding the `.rego` files and `data.json`.
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ApiKeysCommand {
    /// Create an API key and print its secret, once: only a hash is stored. Running servers
    /// accept it within a minute.
    Create {
        /// What the key is for (shown in listings).
        name: String,
    },
    /// List the stored keys (ids and names, never secrets).
    List,
}

#[derive(Debug, Subcommand)]
enum MdsCommand {
    /// Verify an MDS3 BLOB (signature, certificate chain to the MDS root, freshness) and list
    /// what it holds. Point `mds` in anshin.toml (or ANSHIN_MDS) at a BLOB that passes to have
    /// the server use it.
    Load {
        /// The BLOB (a compact JWS, as downloaded from the metadata service).
        file: String,
        /// The MDS root certificate (PEM or DER); default: the configured `mds_root`, else
        /// the FIDO Alliance production root.
        #[arg(long)]
        root: Option<PathBuf>,
        /// A CRL (PEM or DER) of the MDS root or CA; repeat for several; default: the
        /// configured `mds_crls`.
        #[arg(long = "crl")]
        crls: Vec<PathBuf>,
    },
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn serve(config: Config) -> Result<(), String> {
    let listen = config.listen;
    let state = AppState::open(config)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    let (tokens, api_keys, store) = (
        state.tokens.clone(),
        state.api_keys.clone(),
        state.store.clone(),
    );
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(e) = tokens.reload(now_secs()).await {
                tracing::warn!(error = %e, "could not reload signing keys");
            }
            if let Err(e) = api_keys.reload(store.as_ref()).await {
                tracing::warn!(error = %e, "could not reload API keys");
            }
        }
    });
    let exporters = anshin_server::export::spawn(&state)
        .map_err(|e| format!("cannot start the security-event webhooks: {e}"))?;
    if !exporters.is_empty() {
        tracing::info!(webhooks = exporters.len(), "delivering security events");
    }
    let origins = state.config.origins.join(", ");
    let rp_id = state.config.rp_id.clone();
    let app = http::router(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!(%listen, %rp_id, %origins, "anshin is listening on http://{listen}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("server error: {e}"))
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::load(cli.config.as_deref(), &|name| std::env::var(name).ok())
        .map_err(|e| format!("configuration: {e}"))?;
    init_tracing(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let store = store::open(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            println!("migrations applied to {}", redact(&config.database_url));
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let store = store::open(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            let now = now_secs();
            let key = tokens::generate_key(now).map_err(|e| e.to_string())?;
            store
                .rotate_signing_key(&key, now)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "new signing key {} is active; earlier keys are retired",
                key.kid
            );
            Ok(())
        }
        Command::Policy {
            command: PolicyCommand::Test { dir },
        } => {
            let report =
                anshin_risk::run_policy_tests(dir.as_deref()).map_err(|e| e.to_string())?;
            for test in &report.tests {
                let verdict = if test.passed { "ok  " } else { "FAIL" };
                println!("{verdict} {}.{}", test.package, test.name);
                if let Some(detail) = &test.detail {
                    println!("     {detail}");
                }
            }
            println!("{} passed, {} failed", report.passed(), report.failed());
            if report.success() {
                Ok(())
            } else {
                Err(format!("{} policy tests failed", report.failed()))
            }
        }
        Command::ApiKeys { command } => {
            let store = store::open(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            match command {
                ApiKeysCommand::Create { name } => {
                    let (record, secret) =
                        auth::new_api_key(&name, now_secs()).map_err(|e| e.to_string())?;
                    store
                        .insert_api_key(&record)
                        .await
                        .map_err(|e| e.to_string())?;
                    eprintln!(
                        "created API key {} ({name}); the secret is shown once:",
                        record.id
                    );
                    println!("{secret}");
                }
                ApiKeysCommand::List => {
                    for key in store.api_keys().await.map_err(|e| e.to_string())? {
                        println!("{}\t{}\tcreated {}", key.id, key.name, key.created_at);
                    }
                }
            }
            Ok(())
        }
        Command::Mds {
            command: MdsCommand::Load { file, root, crls },
        } => {
            let root = root.or_else(|| config.mds_root.clone());
            let crls = if crls.is_empty() {
                config.mds_crls.clone()
            } else {
                crls
            };
            let metadata = load_metadata(&file, root.as_deref(), &crls, now_unix())
                .map_err(|e| e.to_string())?;
            println!(
                "{file}: valid MDS3 BLOB no {} with {} entries, next update {}",
                metadata.no(),
                metadata.entries().len(),
                metadata.next_update()
            );
            Ok(())
        }
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("anshin: {message}");
            ExitCode::FAILURE
        }
    }
}
