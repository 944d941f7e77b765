//! Who is calling: a backend with an API key, a signed-in user with a session token, or
//! anyone. And where from: the client IP, believing `X-Forwarded-For` only from trusted
//! proxies.
//!
//! Both travel in `Authorization: Bearer ...`: a JWT is a session token, anything else an API
//! key. API keys are kept as SHA-256 hashes and compared in constant time.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use crate::app::{AppState, now_secs};
use crate::error::ApiError;
use crate::store::{Store, StoreResult};
use crate::tokens::{TokenError, looks_like_jwt};

/// The API keys a backend may present: those of the configuration and those in the store
/// (created with `anshin api-keys create`, reloaded every minute).
#[derive(Debug, Default)]
pub struct ApiKeys {
    /// (key id, SHA-256 of the secret) from the configuration.
    configured: Vec<(String, [u8; 32])>,
    /// Configured and stored keys.
    hashes: std::sync::RwLock<Vec<(String, [u8; 32])>>,
}

/// A new API key: its record for the store, and the secret to hand over once.
///
/// # Errors
/// When the system random source fails.
pub fn new_api_key(name: &str, now: i64) -> Result<(crate::store::ApiKeyRecord, String), ApiError> {
    use base64::Engine as _;
    use ring::rand::SecureRandom as _;
    let rng = ring::rand::SystemRandom::new();
    let mut secret = [0u8; 32];
    let mut id = [0u8; 9];
    rng.fill(&mut secret)
        .and_then(|()| rng.fill(&mut id))
        .map_err(|_| ApiError::internal("random source failed"))?;
    let encode = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let secret = format!("anshin_{}", encode(&secret));
    let record = crate::store::ApiKeyRecord {
        id: format!("key_{}", encode(&id)),
        hash: hash_key(&secret),
        name: name.to_owned(),
        created_at: now,
    };
    Ok((record, secret))
}

/// SHA-256 of an API key.
#[must_use]
pub fn hash_key(secret: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

impl ApiKeys {
    /// The keys from the configuration and the store.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn load(configured: &[String], store: &dyn Store) -> StoreResult<Self> {
        let keys = Self {
            configured: configured
                .iter()
                .enumerate()
                .map(|(i, k)| (format!("config-{i}"), hash_key(k)))
                .collect(),
            hashes: std::sync::RwLock::default(),
        };
        keys.reload(store).await?;
        Ok(keys)
    }

    /// Reads the stored keys again (new keys, removed keys).
    ///
    /// # Errors
    /// When the store fails; the keys known before stay in force.
    pub async fn reload(&self, store: &dyn Store) -> StoreResult<()> {
        let mut hashes = self.configured.clone();
        hashes.extend(store.api_keys().await?.into_iter().map(|k| (k.id, k.hash)));
        *self
            .hashes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = hashes;
        Ok(())
    }

    /// The id of the key matching `secret`. Every stored hash is compared, in constant time,
    /// so the time taken says nothing about which key (if any) nearly matched.
    #[must_use]
    pub fn check(&self, secret: &str) -> Option<String> {
        let presented = hash_key(secret);
        let hashes = self
            .hashes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut found = None;
        for (id, hash) in hashes.iter() {
            if bool::from(hash.ct_eq(&presented)) {
                found = Some(id.clone());
            }
        }
        found
    }
}

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials presented.
    Anonymous,
    /// A backend with an API key.
    Backend {
        /// The key's id.
        key_id: String,
    },
    /// A signed-in user.
    User {
        /// The user.
        user_id: Uuid,
        /// The session.
        session_id: String,
    },
}

impl Caller {
    /// A stable label stored with a ceremony, so that only the caller who started it can
    /// finish it.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".to_owned(),
            Self::Backend { key_id } => format!("backend:{key_id}"),
            Self::User { user_id, .. } => format!("user:{user_id}"),
        }
    }

    /// Requires an API key.
    ///
    /// # Errors
    /// `unauthorized` for anyone else.
    pub fn require_backend(&self) -> Result<(), ApiError> {
        match self {
            Self::Backend { .. } => Ok(()),
            _ => Err(ApiError::unauthorized("this call needs an API key")),
        }
    }

    /// Requires an API key or the session of `user_id`.
    ///
    /// # Errors
    /// `unauthorized` without credentials, `forbidden` for another user's session.
    pub fn require_backend_or_user(&self, user_id: Uuid) -> Result<(), ApiError> {
        match self {
            Self::Backend { .. } => Ok(()),
            Self::User { user_id: own, .. } if *own == user_id => Ok(()),
            Self::User { .. } => Err(ApiError::forbidden("this is another user's account")),
            Self::Anonymous => Err(ApiError::unauthorized(
                "this call needs an API key or the user's session token",
            )),
        }
    }
}

fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not valid text"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("expected Authorization: Bearer <token>"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "expected Authorization: Bearer <token>",
        ));
    }
    Ok(Some(token.trim()))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = bearer(&parts.headers)? else {
            return Ok(Self::Anonymous);
        };
        if !looks_like_jwt(token) {
            return state
                .api_keys
                .check(token)
                .map(|key_id| Self::Backend { key_id })
                .ok_or_else(|| ApiError::unauthorized("the API key is not valid"));
        }
        let now = now_secs();
        let claims = state.tokens.verify(token, now).await.map_err(|e| match e {
            TokenError::Expired => ApiError::unauthorized("the session token has expired"),
            TokenError::Malformed | TokenError::BadSignature => {
                ApiError::unauthorized("the session token is not valid")
            }
        })?;
        let session = state
            .store
            .session(&claims.sid)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the session does not exist"))?;
        if session.revoked_at.is_some() {
            return Err(ApiError::unauthorized("the session has been revoked"));
        }
        if session.expires_at <= now {
            return Err(ApiError::unauthorized("the session has expired"));
        }
        Ok(Self::User {
            user_id: session.user_id,
            session_id: session.id,
        })
    }
}

/// Where a request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientContext {
    /// The client's IP address.
    pub ip: IpAddr,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The client's device id (`X-Anshin-Device`: a random id the client keeps), when sent.
    pub device_id: Option<String>,
}

impl ClientContext {
    /// The end user's context relayed by a backend, when one is given: only a caller with an
    /// API key may speak for the end user.
    ///
    /// # Errors
    /// `forbidden` when anyone else sends a context.
    pub fn relayed(
        &self,
        caller: &Caller,
        relayed: Option<&crate::api::ClientContextInput>,
    ) -> Result<Self, ApiError> {
        let mut context = self.clone();
        let Some(relayed) = relayed else {
            return Ok(context);
        };
        if !matches!(caller, Caller::Backend { .. }) {
            return Err(ApiError::forbidden(
                "only a backend with an API key may relay client context",
            ));
        }
        if let Some(ip) = relayed.ip {
            context.ip = ip;
        }
        if relayed.user_agent.is_some() {
            context.user_agent.clone_from(&relayed.user_agent);
        }
        if relayed.device_id.is_some() {
            context.device_id.clone_from(&relayed.device_id);
        }
        Ok(context)
    }
}

/// The client IP: the peer, or — when the peer is a trusted proxy — the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
#[must_use]
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // A garbled entry: stop at the last address we could believe.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

impl FromRequestParts<AppState> for ClientContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        let ip = client_ip(peer, &parts.headers, &state.config.trusted_proxies);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        let device_id = parts
            .headers
            .get("x-anshin-device")
            .and_then(|v| v.to_str().ok())
            .filter(|d| !d.is_empty() && d.len() <= 128)
            .map(str::to_owned);
        Ok(Self {
            ip,
            user_agent,
            device_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let ip = client_ip(
            peer,
            &headers("198.51.100.1"),
            &["10.0.0.0/8".parse().unwrap()],
        );
        assert_eq!(ip, peer);
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        // The client forged the first entry; the proxy chain appended the real one.
        let ip = client_ip(peer, &headers("1.2.3.4, 198.51.100.7, 10.0.0.5"), &trusted);
        assert_eq!(ip, "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn api_keys_match_only_their_secret() {
        let keys = ApiKeys {
            configured: Vec::new(),
            hashes: std::sync::RwLock::new(vec![("a".into(), hash_key("secret-one-0123456789"))]),
        };
        assert_eq!(keys.check("secret-one-0123456789").as_deref(), Some("a"));
        assert_eq!(keys.check("secret-one-012345678"), None);
    }
}
