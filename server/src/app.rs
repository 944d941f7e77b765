//! Assembling the service: configuration → stores → relying party → services → router.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use webauthn_core::mds::Metadata;
use webauthn_core::{AttestationPolicy, CounterPolicy, RelyingParty, UnixTime};

use crate::auth::ApiKeys;
use crate::config::SmsSenderKind;
use crate::config::{Config, CounterMode};
use crate::ephemeral::{self, Ephemeral};
use crate::metrics::Metrics;
use crate::service::accounts::AccountService;
use crate::service::ceremonies::CeremonyService;
use crate::service::fallback::FallbackService;
use crate::service::risk::RiskService;
use crate::sms::{DevelopmentSender, SmsSender, WebhookSender};
use crate::store::{self, Store};
use crate::tokens::TokenService;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    /// The ephemeral store could not be opened.
    #[error("ephemeral store: {0}")]
    Ephemeral(#[from] ephemeral::EphemeralError),
    /// The relying party configuration is invalid.
    #[error("relying party: {0}")]
    RelyingParty(#[from] webauthn_core::Error),
    /// The metadata BLOB could not be loaded.
    #[error("metadata: {0}")]
    Metadata(String),
    /// The risk policies or GeoIP databases could not be loaded.
    #[error("risk engine: {0}")]
    Risk(String),
    /// The SMS sender could not be set up.
    #[error("sms: {0}")]
    Sms(String),
}

/// Seconds since the Unix epoch. The service's one reading of the wall clock: everything
/// below it (the core, the stores) takes the time as an argument.
#[must_use]
#[allow(clippy::disallowed_methods)]
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The current time for the core.
#[must_use]
pub fn now_unix() -> UnixTime {
    UnixTime::from_secs(u64::try_from(now_secs()).unwrap_or(0))
}

/// Everything the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// Registration and authentication.
    pub ceremonies: Arc<CeremonyService>,
    /// Users, credentials, sessions, events.
    pub accounts: Arc<AccountService>,
    /// Risk facts and decisions.
    pub risk: Arc<RiskService>,
    /// Fallback methods and SMS codes.
    pub fallback: Arc<FallbackService>,
    /// Tokens and JWKS.
    pub tokens: Arc<TokenService>,
    /// Backend API keys.
    pub api_keys: Arc<ApiKeys>,
    /// Durable store (readiness, the FIDO2 profile).
    pub store: Arc<dyn Store>,
    /// Ephemeral store (readiness, rate limits, the FIDO2 profile).
    pub ephemeral: Arc<dyn Ephemeral>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The FIDO2 conformance profile.
    pub fido2: Option<Arc<crate::http::fido2::Fido2Profile>>,
}

/// Loads an MDS3 BLOB from a file (verified against the MDS root) into a metadata set.
///
/// # Errors
/// An unreadable file or a BLOB that does not verify.
pub fn load_metadata(
    path: &str,
    root: Option<&std::path::Path>,
    crls: &[std::path::PathBuf],
    now: UnixTime,
) -> Result<Arc<Metadata>, StartError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| StartError::Metadata(format!("cannot read {path}: {e}")))?;
    let root = match root {
        Some(root) => read_der(root, "CERTIFICATE")?,
        None => webauthn_core::roots::GLOBALSIGN_ROOT_CA_R3.to_vec(),
    };
    let crls = crls
        .iter()
        .map(|crl| read_der(crl, "X509 CRL"))
        .collect::<Result<Vec<_>, _>>()?;
    let metadata = Metadata::verify(text.trim(), &root, &crls, now)
        .map_err(|e| StartError::Metadata(format!("{path}: {e}")))?;
    Ok(Arc::new(metadata))
}

/// Reads a certificate or CRL from a PEM or DER file (`label`: what the PEM block holds).
fn read_der(path: &std::path::Path, label: &str) -> Result<Vec<u8>, StartError> {
    use base64::Engine as _;
    let bytes = std::fs::read(path)
        .map_err(|e| StartError::Metadata(format!("cannot read {}: {e}", path.display())))?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(bytes);
    };
    if !text.contains("-----BEGIN") {
        return Ok(bytes);
    }
    let begin = format!("-----BEGIN {label}");
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with(&begin))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|_| StartError::Metadata(format!("{}: invalid PEM", path.display())))
}

impl AppState {
    /// Opens the stores named by the configuration, migrates, and builds the services.
    ///
    /// # Errors
    /// When a store cannot be opened or the configuration is inconsistent.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        let store = store::open(&config.database_url).await?;
        store.migrate().await?;
        let ephemeral = ephemeral::open(config.redis_url.as_deref()).await?;
        Self::with_stores(config, store, ephemeral).await
    }

    /// Builds the services on stores that are already open and migrated.
    ///
    /// # Errors
    /// When the configuration is inconsistent or the store fails.
    pub async fn with_stores(
        config: Config,
        store: Arc<dyn Store>,
        ephemeral: Arc<dyn Ephemeral>,
    ) -> Result<Self, StartError> {
        crate::install_crypto_provider();
        let now = now_secs();
        let issuer = config.origins.first().cloned().unwrap_or_default();
        let tokens = Arc::new(
            TokenService::load(
                store.clone(),
                issuer,
                config.rp_id.clone(),
                Duration::from_secs(config.session_ttl_seconds),
                now,
            )
            .await?,
        );
        let rp = RelyingParty::builder(&config.rp_id, &config.rp_name)
            .origins(&config.origins)
            .counter_policy(match config.counter {
                CounterMode::Reject => CounterPolicy::Reject,
                CounterMode::Warn => CounterPolicy::Report,
            })
            .unknown_user_secret(tokens.unknown_user_secret())
            .build()?;
        let metadata = match &config.mds {
            Some(path) => Some(load_metadata(
                path,
                config.mds_root.as_deref(),
                &config.mds_crls,
                now_unix(),
            )?),
            None => None,
        };
        let mut policy = if config.require_trusted_attestation {
            AttestationPolicy::require_trusted()
        } else {
            AttestationPolicy::default()
        };
        if let Some(metadata) = &metadata {
            policy = policy.with_metadata(metadata.clone());
        }
        let metrics = Arc::new(Metrics::default());
        let risk_policy = match &config.policy_dir {
            Some(dir) => anshin_risk::Policy::from_dir(dir),
            None => anshin_risk::Policy::builtin(),
        }
        .map_err(|e| StartError::Risk(e.to_string()))?;
        let geo = if config.geoip_city.is_some()
            || config.geoip_asn.is_some()
            || config.geoip_anonymous.is_some()
        {
            Some(
                anshin_risk::geo::GeoIp::open(
                    config.geoip_city.as_deref(),
                    config.geoip_asn.as_deref(),
                    config.geoip_anonymous.as_deref(),
                )
                .map_err(|e| StartError::Risk(e.to_string()))?,
            )
        } else {
            None
        };
        let risk = Arc::new(RiskService::new(
            Arc::new(risk_policy),
            geo,
            store.clone(),
            ephemeral.clone(),
            metrics.clone(),
            Duration::from_secs(config.risk.ip_window_seconds),
        ));
        let sender: Arc<dyn SmsSender> = match config.sms.sender {
            SmsSenderKind::Development | SmsSenderKind::Disabled => {
                Arc::new(DevelopmentSender::new(store.clone()))
            }
            SmsSenderKind::Webhook => Arc::new(
                WebhookSender::new(
                    config.sms.webhook_url.as_deref().unwrap_or_default(),
                    config.sms.webhook_secret.as_deref().unwrap_or_default(),
                )
                .map_err(StartError::Sms)?,
            ),
        };
        let fallback = Arc::new(FallbackService::new(
            store.clone(),
            ephemeral.clone(),
            risk.clone(),
            tokens.clone(),
            sender,
            config.sms.clone(),
            metrics.clone(),
            tokens.derived_secret("sms"),
        ));
        let accounts = Arc::new(AccountService::new(store.clone()));
        let ceremonies = Arc::new(
            CeremonyService::new(
                Arc::new(rp),
                Arc::new(policy),
                store.clone(),
                ephemeral.clone(),
                tokens.clone(),
                config.clone(),
                metrics.clone(),
                risk.clone(),
            )
            .with_metadata(metadata.clone()),
        );
        let api_keys = Arc::new(ApiKeys::load(&config.api_keys, store.as_ref()).await?);
        let fido2 = if config.fido2_profile {
            Some(Arc::new(crate::http::fido2::Fido2Profile::new(
                &config,
                ephemeral.clone(),
                metadata,
            )?))
        } else {
            None
        };
        Ok(Self {
            config: Arc::new(config),
            ceremonies,
            accounts,
            risk,
            fallback,
            tokens,
            api_keys,
            store,
            ephemeral,
            metrics,
            fido2,
        })
    }
}
