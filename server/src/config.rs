//! Configuration: `anshin.toml` (optional) overridden by `ANSHIN_*` environment variables.
//!
//! With no file and no variables the defaults give a working server for local development:
//! `127.0.0.1:8080`, rp id `localhost`, origin `http://localhost:8080`, a SQLite file, the
//! ephemeral store in memory, open passkey sign-up and the FIDO2 profile at `/fido2`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An environment variable has an invalid value.
    #[error("{name}: {message}")]
    Env {
        /// The variable.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The values are inconsistent.
    #[error("{0}")]
    Invalid(String),
}

/// What to do when a signature counter goes backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterMode {
    /// Reject the sign-in with `counter_regression` (default).
    #[default]
    Reject,
    /// Accept it, record a `counter.regressed` event.
    Warn,
}

/// An Android app allowed to use the passkeys of this relying party.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AndroidApp {
    /// The package name (`com.example.app`).
    pub package_name: String,
    /// SHA-256 fingerprints of the app's signing certificates (`AB:CD:...`).
    pub sha256_cert_fingerprints: Vec<String>,
}

/// Mobile apps that share the relying party's passkeys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Apps {
    /// Android apps, published in `/.well-known/assetlinks.json`.
    #[serde(default)]
    pub android: Vec<AndroidApp>,
    /// Apple app ids (`TEAMID.com.example.app`), published in
    /// `/.well-known/apple-app-site-association`.
    #[serde(default)]
    pub apple: Vec<String>,
}

/// Rate limits, per fixed window of one minute unless said otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// Ceremony requests (options and verify) per client IP per minute.
    pub per_ip_per_minute: u64,
    /// Failed sign-ins per user per 15 minutes before further attempts are refused.
    pub failures_per_user: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 300,
            failures_per_user: 10,
        }
    }
}

/// How one-time codes are sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsSenderKind {
    /// Development: codes go to the log and the `sms_outbox` table; nothing leaves the server.
    #[default]
    Development,
    /// A real gateway behind a webhook: `POST {to, body}` signed with HMAC-SHA256.
    Webhook,
    /// SMS fallback switched off.
    Disabled,
}

/// The SMS fallback.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// Where codes go.
    pub sender: SmsSenderKind,
    /// The gateway webhook (for `sender = "webhook"`).
    pub webhook_url: Option<String>,
    /// The secret that signs webhook calls (`X-Anshin-Signature: sha256=<hex>`).
    pub webhook_secret: Option<String>,
    /// Price of one SMS per destination country (ISO code), in the account's currency; the
    /// figures use it for cost and cost avoided.
    pub prices: std::collections::BTreeMap<String, f64>,
    /// Price for countries missing from `prices`.
    pub default_price: f64,
    /// How long a code is valid, in seconds.
    pub code_ttl_seconds: u64,
    /// Wrong guesses allowed per code.
    pub max_attempts: u32,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            sender: SmsSenderKind::Development,
            webhook_url: None,
            webhook_secret: None,
            prices: std::collections::BTreeMap::new(),
            default_price: 0.05,
            code_ttl_seconds: 300,
            max_attempts: 5,
        }
    }
}

/// The form of the security events a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// OCSF 1.3 JSON (Authentication 3002, Account Change 3001, Detection Finding 2004), for
    /// a SIEM; signed with `X-Anshin-Signature` (HMAC-SHA256 with the webhook's secret).
    Ocsf,
    /// Security Event Tokens (RFC 8417) with OpenID CAEP/RISC event types, pushed as
    /// `application/secevent+jwt` (RFC 8935) and signed with the server's token key.
    Set,
}

/// A receiver of security events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// A stable name: the delivery cursor is kept under it.
    pub name: String,
    /// Where to POST.
    pub url: String,
    /// What to send.
    pub format: WebhookFormat,
    /// The HMAC secret of OCSF deliveries.
    pub secret: Option<String>,
}

/// Risk engine windows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// How long a failed sign-in counts against its IP address and network, in seconds (the
    /// window of the `ip_failures_10m` and `network_failures_10m` signals).
    pub ip_window_seconds: u64,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            ip_window_seconds: 600,
        }
    }
}

/// The server configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The relying party id (a registrable domain, or `localhost`).
    pub rp_id: String,
    /// The relying party's name shown by authenticators.
    pub rp_name: String,
    /// Origins allowed in client data (`https://example.com`, `android:apk-key-hash:...`).
    pub origins: Vec<String>,
    /// Origins of other sites allowed to use this rp id (WebAuthn related origins), published
    /// at `/.well-known/webauthn`.
    pub related_origins: Vec<String>,
    /// Origins whose browsers may call the API (CORS); defaults to the web `origins`.
    pub cors_origins: Option<Vec<String>>,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Redis for the ephemeral store; unset: in memory (one instance only).
    pub redis_url: Option<String>,
    /// API keys accepted for backend calls (in addition to keys kept in the store).
    pub api_keys: Vec<String>,
    /// Log filter (`info`, `anshin_server=debug`...).
    pub log: String,
    /// `text` or `json`.
    pub log_format: String,
    /// Proxies whose `X-Forwarded-For` is believed (addresses or CIDRs).
    #[serde(deserialize_with = "nets")]
    pub trusted_proxies: Vec<IpNet>,
    /// Anyone may register a new account with a passkey.
    pub open_signup: bool,
    /// Serve the FIDO2 server conformance profile at `/fido2`.
    pub fido2_profile: bool,
    /// Serve the demo page at `/` and the dashboard at `/admin`. On a development server
    /// (rp id `localhost` with the development SMS sender) the demo also gets its sandbox:
    /// see [`Config::demo_sandbox`].
    pub demo: bool,
    /// Path of an MDS3 BLOB to load at start.
    pub mds: Option<String>,
    /// The MDS3 root certificate (PEM or DER file); the FIDO Alliance's production root
    /// (GlobalSign Root CA - R3) when unset.
    pub mds_root: Option<PathBuf>,
    /// CRLs (PEM or DER files) of the MDS root and CA, applied to the BLOB's signing chain:
    /// a BLOB signed by a revoked certificate is refused (the metadata service publishes them
    /// beside the BLOB; they are not fetched).
    pub mds_crls: Vec<PathBuf>,
    /// Require attestation that chains to a trusted root (built-in, configured or MDS).
    pub require_trusted_attestation: bool,
    /// Counter regression handling.
    pub counter: CounterMode,
    /// Lifetime of a session and its token, in seconds.
    pub session_ttl_seconds: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// Mobile apps.
    pub apps: Apps,
    /// The SMS fallback.
    pub sms: SmsConfig,
    /// Risk engine windows.
    pub risk: RiskConfig,
    /// Security-event receivers.
    pub webhooks: Vec<Webhook>,
    /// Risk policies replacing the defaults.
    pub policy_dir: Option<PathBuf>,
    /// MaxMind GeoIP2/GeoLite2 City database.
    pub geoip_city: Option<PathBuf>,
    /// MaxMind ASN database.
    pub geoip_asn: Option<PathBuf>,
    /// MaxMind Anonymous IP database.
    pub geoip_anonymous: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            rp_id: "localhost".to_owned(),
            rp_name: "anshin".to_owned(),
            origins: vec!["http://localhost:8080".to_owned()],
            related_origins: Vec::new(),
            cors_origins: None,
            database_url: "sqlite://anshin.db".to_owned(),
            redis_url: None,
            api_keys: Vec::new(),
            log: "info".to_owned(),
            log_format: "text".to_owned(),
            trusted_proxies: Vec::new(),
            open_signup: true,
            fido2_profile: true,
            demo: true,
            mds: None,
            mds_root: None,
            mds_crls: Vec::new(),
            require_trusted_attestation: false,
            counter: CounterMode::Reject,
            session_ttl_seconds: 12 * 3600,
            max_body_bytes: 64 * 1024,
            rate_limits: RateLimits::default(),
            apps: Apps::default(),
            sms: SmsConfig::default(),
            risk: RiskConfig::default(),
            webhooks: Vec::new(),
            policy_dir: None,
            geoip_city: None,
            geoip_asn: None,
            geoip_anonymous: None,
        }
    }
}

impl Config {
    /// The demo's sandbox (`/demo/*`): a signed-in user may change their own phone number
    /// after a step-up, anyone may create a user with a phone number and no passkey, and the
    /// development SMS outbox can be read over HTTP. Only on a server that cannot be a
    /// production one: rp id `localhost` (passkeys that work on this machine only) and the
    /// development SMS sender (no SMS leaves the server).
    #[must_use]
    pub fn demo_sandbox(&self) -> bool {
        self.demo && self.rp_id == "localhost" && self.sms.sender == SmsSenderKind::Development
    }

    /// Loads the configuration: the file named by `file`, else `ANSHIN_CONFIG`, else
    /// `./anshin.toml` if it exists; then the `ANSHIN_*` variables of `env`.
    ///
    /// # Errors
    /// An unreadable or invalid file, an invalid variable, inconsistent values.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let path = file
            .map(Path::to_path_buf)
            .or_else(|| env("ANSHIN_CONFIG").map(PathBuf::from))
            .or_else(|| {
                let default = PathBuf::from("anshin.toml");
                default.exists().then_some(default)
            });
        let mut origins_given = env("ANSHIN_ORIGINS").is_some();
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                origins_given |= toml::from_str::<toml::Table>(&text)
                    .is_ok_and(|table| table.contains_key("origins"));
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path,
                    message: e.to_string(),
                })?
            }
            None => Self::default(),
        };
        config.apply_env(env)?;
        if !origins_given {
            config.follow_listen_port();
        }
        config.validate()?;
        Ok(config)
    }

    /// A development server (rp id `localhost`, no origins configured) listening on another
    /// port than 8080 accepts its own origin, `http://localhost:<port>`, so that
    /// `ANSHIN_LISTEN=127.0.0.1:3000 anshin` works in a browser as the default does.
    fn follow_listen_port(&mut self) {
        if self.rp_id == "localhost" && self.listen.port() != Self::default().listen.port() {
            self.origins = vec![format!("http://localhost:{}", self.listen.port())];
        }
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn list(value: &str) -> Vec<String> {
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }
        if let Some(v) = env("ANSHIN_LISTEN") {
            self.listen = v.parse().map_err(|_| ConfigError::Env {
                name: "ANSHIN_LISTEN",
                message: format!("expected host:port, got {v:?}"),
            })?;
        }
        if let Some(v) = env("ANSHIN_RP_ID") {
            self.rp_id = v;
        }
        if let Some(v) = env("ANSHIN_RP_NAME") {
            self.rp_name = v;
        }
        if let Some(v) = env("ANSHIN_ORIGINS") {
            self.origins = list(&v);
        }
        if let Some(v) = env("ANSHIN_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = env("ANSHIN_REDIS_URL") {
            self.redis_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = env("ANSHIN_API_KEYS") {
            self.api_keys = list(&v);
        }
        if let Some(v) = env("ANSHIN_LOG") {
            self.log = v;
        }
        if let Some(v) = env("ANSHIN_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = env("ANSHIN_TRUSTED_PROXIES") {
            self.trusted_proxies = list(&v)
                .iter()
                .map(|p| parse_net(p))
                .collect::<Option<_>>()
                .ok_or_else(|| ConfigError::Env {
                    name: "ANSHIN_TRUSTED_PROXIES",
                    message: format!("expected IP addresses or CIDRs, got {v:?}"),
                })?;
        }
        if let Some(v) = env("ANSHIN_MDS") {
            self.mds = Some(v);
        }
        if let Some(v) = env("ANSHIN_POLICY_DIR") {
            self.policy_dir = Some(v.into());
        }
        if let Some(v) = env("ANSHIN_GEOIP_CITY") {
            self.geoip_city = Some(v.into());
        }
        if let Some(v) = env("ANSHIN_GEOIP_ASN") {
            self.geoip_asn = Some(v.into());
        }
        if let Some(v) = env("ANSHIN_GEOIP_ANONYMOUS") {
            self.geoip_anonymous = Some(v.into());
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.origins.is_empty() {
            return Err(ConfigError::Invalid(
                "at least one origin is required".into(),
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(ConfigError::Invalid(format!(
                "log_format must be text or json, got {:?}",
                self.log_format
            )));
        }
        if self.session_ttl_seconds == 0 || self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "session_ttl_seconds must be positive and max_body_bytes at least 1024".into(),
            ));
        }
        if self.sms.sender == SmsSenderKind::Webhook
            && (self.sms.webhook_url.is_none() || self.sms.webhook_secret.is_none())
        {
            return Err(ConfigError::Invalid(
                "sms.sender = \"webhook\" needs sms.webhook_url and sms.webhook_secret".into(),
            ));
        }
        for hook in &self.webhooks {
            if hook.format == WebhookFormat::Ocsf
                && hook.secret.as_ref().is_none_or(|s| s.len() < 16)
            {
                return Err(ConfigError::Invalid(format!(
                    "webhook {:?}: OCSF deliveries need a secret of at least 16 characters",
                    hook.name
                )));
            }
        }
        if self.api_keys.iter().any(|k| k.len() < 16) {
            return Err(ConfigError::Invalid(
                "API keys must be at least 16 characters long".into(),
            ));
        }
        Ok(())
    }

    /// The origins browsers may call the API from.
    #[must_use]
    pub fn cors_origins(&self) -> Vec<String> {
        self.cors_origins.clone().unwrap_or_else(|| {
            self.origins
                .iter()
                .filter(|o| o.starts_with("https://") || o.starts_with("http://"))
                .cloned()
                .collect()
        })
    }
}

fn nets<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|t| {
            parse_net(t).ok_or_else(|| {
                serde::de::Error::custom(format!("not an IP address or CIDR: {t:?}"))
            })
        })
        .collect()
}

/// Parses `10.0.0.1` or `10.0.0.0/8`.
fn parse_net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_give_a_local_server() {
        let config = Config::load(None, &env_of(&[])).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.rp_id, "localhost");
        assert_eq!(config.origins, ["http://localhost:8080"]);
        assert_eq!(config.database_url, "sqlite://anshin.db");
        assert!(config.redis_url.is_none() && config.open_signup && config.fido2_profile);
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("anshin-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("anshin.toml");
        std::fs::write(
            &file,
            "rp_id = \"example.com\"\norigins = [\"https://example.com\"]\nopen_signup = false\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&file),
            &env_of(&[
                (
                    "ANSHIN_ORIGINS",
                    "https://a.example.com, https://b.example.com",
                ),
                ("ANSHIN_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1"),
                ("ANSHIN_REDIS_URL", "redis://127.0.0.1:6379"),
            ]),
        )
        .unwrap();
        assert_eq!(config.rp_id, "example.com");
        assert!(!config.open_signup);
        assert_eq!(
            config.origins,
            ["https://a.example.com", "https://b.example.com"]
        );
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_development_server_on_another_port_accepts_its_own_origin() {
        let moved = Config::load(None, &env_of(&[("ANSHIN_LISTEN", "127.0.0.1:3000")])).unwrap();
        assert_eq!(moved.origins, ["http://localhost:3000"]);
        let kept = Config::load(
            None,
            &env_of(&[
                ("ANSHIN_LISTEN", "127.0.0.1:3000"),
                ("ANSHIN_ORIGINS", "http://localhost:8080"),
            ]),
        )
        .unwrap();
        assert_eq!(
            kept.origins,
            ["http://localhost:8080"],
            "given origins are kept"
        );
        let other_rp = Config::load(
            None,
            &env_of(&[
                ("ANSHIN_LISTEN", "127.0.0.1:3000"),
                ("ANSHIN_RP_ID", "example.com"),
            ]),
        )
        .unwrap();
        assert_eq!(
            other_rp.origins,
            ["http://localhost:8080"],
            "only for rp id localhost"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::load(None, &env_of(&[("ANSHIN_LISTEN", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("ANSHIN_LISTEN"), "{err}");
        let err =
            Config::load(None, &env_of(&[("ANSHIN_TRUSTED_PROXIES", "not-an-ip")])).unwrap_err();
        assert!(err.to_string().contains("ANSHIN_TRUSTED_PROXIES"), "{err}");
        let err = Config::load(None, &env_of(&[("ANSHIN_API_KEYS", "short")])).unwrap_err();
        assert!(err.to_string().contains("16 characters"), "{err}");
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("anshin-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("anshin.toml");
        std::fs::write(&file, "rp_idd = \"typo.example\"\n").unwrap();
        let err = Config::load(Some(&file), &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("rp_idd"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
