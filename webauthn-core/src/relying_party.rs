//! The relying party's configuration, the entry point of every ceremony.

use std::fmt;
use std::time::Duration;

use crate::cose::CoseAlgorithm;
use crate::error::{ApiMisuse, Error};
use crate::origin::{Origin, RpId};

/// How a credential may be used inside cross-origin iframes (§7.1 steps 10–11, §7.2 steps
/// 13–14).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrossOriginPolicy {
    /// Refuse `crossOrigin: true` and any `topOrigin`: the default.
    #[default]
    Deny,
    /// Accept ceremonies in cross-origin iframes. A `topOrigin`, when the client reports one,
    /// must be one of these; with an empty list, a `topOrigin` is refused.
    Allow {
        /// The top-level origins the relying party expects to be framed by.
        top_origins: Vec<Origin>,
    },
}

/// What to do when the signature counter does not increase (§7.2 step 22).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CounterPolicy {
    /// Fail the ceremony with `counter_regression`: the default.
    #[default]
    Reject,
    /// Let the ceremony succeed and report [`crate::CounterVerdict::Regressed`] (for relying
    /// parties that feed it to a risk engine instead).
    Report,
}

/// The default algorithms offered at registration, most preferred first: the ones every
/// mainstream authenticator uses (ES256, Ed25519, RS256 for Windows Hello) and the stronger
/// ECDSA and RSA-PSS variants.
pub const DEFAULT_ALGORITHMS: [CoseAlgorithm; 6] = [
    CoseAlgorithm::ES256,
    CoseAlgorithm::EDDSA,
    CoseAlgorithm::ES384,
    CoseAlgorithm::ES512,
    CoseAlgorithm::PS256,
    CoseAlgorithm::RS256,
];

/// How long a ceremony lasts by default: five minutes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// A relying party: RP ID, name, allowed origins and the policies every ceremony applies.
///
/// Build one with [`RelyingParty::builder`]; it is immutable and cheap to share.
#[derive(Clone)]
pub struct RelyingParty {
    pub(crate) rp_id: RpId,
    pub(crate) rp_id_hash: [u8; 32],
    pub(crate) rp_name: String,
    pub(crate) origins: Vec<Origin>,
    pub(crate) cross_origin: CrossOriginPolicy,
    pub(crate) algorithms: Vec<CoseAlgorithm>,
    pub(crate) registration_timeout: Duration,
    pub(crate) authentication_timeout: Duration,
    pub(crate) counter_policy: CounterPolicy,
    pub(crate) legacy_algorithms: bool,
    pub(crate) unknown_user_secret: Option<[u8; 32]>,
}

impl fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingParty")
            .field("rp_id", &self.rp_id)
            .field("rp_name", &self.rp_name)
            .field("origins", &self.origins)
            .field("cross_origin", &self.cross_origin)
            .field("algorithms", &self.algorithms)
            .field("counter_policy", &self.counter_policy)
            .field("legacy_algorithms", &self.legacy_algorithms)
            .field(
                "unknown_user_secret",
                &self.unknown_user_secret.map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// Starts a configuration for `rp_id` (a domain such as `example.org`) with a display name.
    #[must_use]
    pub fn builder(rp_id: &str, rp_name: &str) -> RelyingPartyBuilder {
        RelyingPartyBuilder {
            rp_id: rp_id.to_owned(),
            rp_name: rp_name.to_owned(),
            origins: Vec::new(),
            top_origins: None,
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            registration_timeout: DEFAULT_TIMEOUT,
            authentication_timeout: DEFAULT_TIMEOUT,
            counter_policy: CounterPolicy::default(),
            legacy_algorithms: false,
            unknown_user_secret: None,
        }
    }

    /// The RP ID.
    #[must_use]
    pub fn rp_id(&self) -> &RpId {
        &self.rp_id
    }

    /// The relying party's display name.
    #[must_use]
    pub fn rp_name(&self) -> &str {
        &self.rp_name
    }

    /// The allowed origins.
    #[must_use]
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }

    /// Web origins outside the RP ID's domain: what `/.well-known/webauthn` must list for
    /// browsers to allow them (WebAuthn §5.11, related origin requests).
    #[must_use]
    pub fn related_origins(&self) -> Vec<&Origin> {
        self.origins
            .iter()
            .filter(|o| o.host().is_some_and(|h| !self.rp_id.covers_host(h)))
            .collect()
    }

    /// The algorithms offered at registration.
    #[must_use]
    pub fn algorithms(&self) -> &[CoseAlgorithm] {
        &self.algorithms
    }
}

/// Builds a [`RelyingParty`]; every value is validated by [`RelyingPartyBuilder::build`].
#[derive(Debug, Clone)]
pub struct RelyingPartyBuilder {
    rp_id: String,
    rp_name: String,
    origins: Vec<String>,
    top_origins: Option<Vec<String>>,
    algorithms: Vec<CoseAlgorithm>,
    registration_timeout: Duration,
    authentication_timeout: Duration,
    counter_policy: CounterPolicy,
    legacy_algorithms: bool,
    unknown_user_secret: Option<[u8; 32]>,
}

impl RelyingPartyBuilder {
    /// Adds an allowed origin: `https://example.org`, `http://localhost:8080`, or
    /// `android:apk-key-hash:<base64url SHA-256 of the app's signing certificate>`. Without any,
    /// the only origin is `https://<rp id>`.
    #[must_use]
    pub fn origin(mut self, origin: &str) -> Self {
        self.origins.push(origin.to_owned());
        self
    }

    /// Adds allowed origins.
    #[must_use]
    pub fn origins<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, origins: I) -> Self {
        self.origins
            .extend(origins.into_iter().map(|o| o.as_ref().to_owned()));
        self
    }

    /// Accepts ceremonies in cross-origin iframes embedded by these top-level origins (an empty
    /// list accepts `crossOrigin: true` but no `topOrigin`).
    #[must_use]
    pub fn allow_cross_origin<I: IntoIterator<Item = S>, S: AsRef<str>>(
        mut self,
        top_origins: I,
    ) -> Self {
        self.top_origins = Some(
            top_origins
                .into_iter()
                .map(|o| o.as_ref().to_owned())
                .collect(),
        );
        self
    }

    /// The algorithms offered at registration, most preferred first.
    #[must_use]
    pub fn algorithms(mut self, algorithms: Vec<CoseAlgorithm>) -> Self {
        self.algorithms = algorithms;
        self
    }

    /// How long a registration ceremony lasts.
    #[must_use]
    pub fn registration_timeout(mut self, timeout: Duration) -> Self {
        self.registration_timeout = timeout;
        self
    }

    /// How long an authentication ceremony lasts.
    #[must_use]
    pub fn authentication_timeout(mut self, timeout: Duration) -> Self {
        self.authentication_timeout = timeout;
        self
    }

    /// What a counter regression does.
    #[must_use]
    pub fn counter_policy(mut self, policy: CounterPolicy) -> Self {
        self.counter_policy = policy;
        self
    }

    /// Accepts RS1 (RSASSA-PKCS1-v1_5 with SHA-1) where the TPM format and old Windows Hello
    /// need it. Off by default: SHA-1 signatures are forgeable with enough money.
    #[must_use]
    pub fn legacy_algorithms(mut self, enabled: bool) -> Self {
        self.legacy_algorithms = enabled;
        self
    }

    /// The server secret from which plausible credentials are derived for user names that do
    /// not exist (see [`RelyingParty::start_authentication_for_unknown_user`]).
    #[must_use]
    pub fn unknown_user_secret(mut self, secret: [u8; 32]) -> Self {
        self.unknown_user_secret = Some(secret);
        self
    }

    /// Validates the configuration.
    ///
    /// # Errors
    /// When the RP ID or an origin is invalid, no algorithm is supported, RS1 is offered
    /// without enabling legacy algorithms, or a timeout is zero or over a day.
    pub fn build(self) -> Result<RelyingParty, Error> {
        let misuse = |why: String| Error::ApiMisuse(ApiMisuse::InvalidConfiguration(why.into()));
        let rp_id = RpId::new(&self.rp_id)?;
        if self.rp_name.trim().is_empty() {
            return Err(misuse("the RP name is empty".into()));
        }
        let mut origins = self
            .origins
            .iter()
            .map(|o| Origin::parse(o))
            .collect::<Result<Vec<_>, _>>()?;
        if origins.is_empty() {
            origins.push(Origin::parse(&format!("https://{}", rp_id.as_str()))?);
        }
        origins.dedup();
        let cross_origin = match self.top_origins {
            None => CrossOriginPolicy::Deny,
            Some(list) => CrossOriginPolicy::Allow {
                top_origins: list
                    .iter()
                    .map(|o| Origin::parse(o))
                    .collect::<Result<_, _>>()?,
            },
        };
        if self.algorithms.is_empty() {
            return Err(misuse("no algorithm is offered".into()));
        }
        for alg in &self.algorithms {
            match alg.scheme() {
                None => return Err(misuse(format!("algorithm {alg} is not supported"))),
                Some(s) if s.is_legacy() && !self.legacy_algorithms => {
                    return Err(misuse(format!(
                        "algorithm {alg} is legacy: enable legacy algorithms to offer it"
                    )));
                }
                Some(_) => {}
            }
        }
        for (name, t) in [
            ("registration", self.registration_timeout),
            ("authentication", self.authentication_timeout),
        ] {
            if t.is_zero() || t > Duration::from_secs(86_400) {
                return Err(misuse(format!(
                    "the {name} timeout must be between 1 second and 1 day"
                )));
            }
        }
        Ok(RelyingParty {
            rp_id_hash: crate::crypto::sha256(rp_id.as_str().as_bytes()),
            rp_id,
            rp_name: self.rp_name,
            origins,
            cross_origin,
            algorithms: self.algorithms,
            registration_timeout: self.registration_timeout,
            authentication_timeout: self.authentication_timeout,
            counter_policy: self.counter_policy,
            legacy_algorithms: self.legacy_algorithms,
            unknown_user_secret: self.unknown_user_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let rp = RelyingParty::builder("example.org", "Example")
            .build()
            .unwrap();
        assert_eq!(rp.origins()[0].as_str(), "https://example.org");
        assert_eq!(rp.algorithms()[0], CoseAlgorithm::ES256);
        assert!(rp.related_origins().is_empty());
    }

    #[test]
    fn related_origins_are_those_outside_the_rp_id() {
        let rp = RelyingParty::builder("example.org", "Example")
            .origins([
                "https://example.org",
                "https://login.example.org",
                "https://example.co.uk",
            ])
            .origin("android:apk-key-hash:abc")
            .build()
            .unwrap();
        let related: Vec<&str> = rp.related_origins().iter().map(|o| o.as_str()).collect();
        assert_eq!(related, ["https://example.co.uk"]);
    }

    #[test]
    fn invalid_configurations_are_refused() {
        let cases = [
            RelyingParty::builder("https://example.org", "x"),
            RelyingParty::builder("example.org", " "),
            RelyingParty::builder("example.org", "x").origin("example.org"),
            RelyingParty::builder("example.org", "x").algorithms(vec![]),
            RelyingParty::builder("example.org", "x").algorithms(vec![CoseAlgorithm(-1000)]),
            RelyingParty::builder("example.org", "x").algorithms(vec![CoseAlgorithm::RS1]),
            RelyingParty::builder("example.org", "x").registration_timeout(Duration::ZERO),
        ];
        for builder in cases {
            let err = builder.clone().build().unwrap_err();
            assert_eq!(err.code(), "internal_error", "{builder:?}");
        }
        assert!(
            RelyingParty::builder("example.org", "x")
                .legacy_algorithms(true)
                .algorithms(vec![CoseAlgorithm::RS1])
                .build()
                .is_ok()
        );
    }

    #[test]
    fn debug_redacts_the_secret() {
        let rp = RelyingParty::builder("example.org", "x")
            .unknown_user_secret([7; 32])
            .build()
            .unwrap();
        let text = format!("{rp:?}");
        assert!(text.contains("<redacted>"));
        assert!(!text.contains("[7, 7"));
    }
}
