//! Session tokens: ES256 JWTs (RFC 7519) signed with keys kept in the store, published as a
//! JWK Set at `/.well-known/jwks.json`, rotated by `anshin keys rotate`.
//!
//! A key that was rotated out stops signing at once but stays published for one session
//! lifetime, so tokens it signed verify until they expire. Instances reload the key set from
//! the store every minute, and at once when they meet an unknown `kid`.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SecureRandom as _;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};

use crate::store::{Session, SigningKey, Store, StoreError, StoreResult};

/// The claims of a session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Claims {
    /// Issuer: the relying party's first origin.
    pub iss: String,
    /// Audience: the rp id.
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// Unix seconds of the authentication.
    pub auth_time: i64,
    /// Authentication context class (`phr`: phishing-resistant; `phrh`: phishing-resistant
    /// hardware-protected).
    pub acr: String,
    /// Authentication methods (RFC 8176).
    pub amr: Vec<String>,
    /// Issued at.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a well-formed ES256 JWT.
    #[error("the token is malformed")]
    Malformed,
    /// Signed by a key this server does not publish, or the signature is wrong.
    #[error("the token signature is not valid")]
    BadSignature,
    /// Past its `exp`.
    #[error("the token has expired")]
    Expired,
}

struct ActiveKey {
    kid: String,
    pair: EcdsaKeyPair,
}

struct PublicKey {
    kid: String,
    /// Uncompressed SEC1 point.
    point: Vec<u8>,
}

#[derive(Default)]
struct KeySet {
    active: Option<ActiveKey>,
    published: Vec<PublicKey>,
    unknown_user_secret: [u8; 32],
}

/// Issues and verifies session tokens.
pub struct TokenService {
    store: Arc<dyn Store>,
    issuer: String,
    audience: String,
    ttl: Duration,
    keys: RwLock<KeySet>,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// Generates a new ES256 signing key.
///
/// # Errors
/// When the system random source fails.
pub fn generate_key(now: i64) -> StoreResult<SigningKey> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| StoreError::Unavailable("random source failed".into()))?;
    let mut kid = [0u8; 12];
    rng.fill(&mut kid)
        .map_err(|_| StoreError::Unavailable("random source failed".into()))?;
    Ok(SigningKey {
        kid: URL_SAFE_NO_PAD.encode(kid),
        pkcs8: pkcs8.as_ref().to_vec(),
        created_at: now,
        retired_at: None,
    })
}

impl TokenService {
    /// Loads the keys from the store, creating the first one if there is none.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn load(
        store: Arc<dyn Store>,
        issuer: String,
        audience: String,
        ttl: Duration,
        now: i64,
    ) -> StoreResult<Self> {
        let service = Self {
            store,
            issuer,
            audience,
            ttl,
            keys: RwLock::new(KeySet::default()),
        };
        let keys = service.store.signing_keys().await?;
        if keys.iter().all(|k| k.retired_at.is_some()) {
            service
                .store
                .rotate_signing_key(&generate_key(now)?, now)
                .await?;
        }
        service.reload(now).await?;
        Ok(service)
    }

    /// Reloads the key set from the store.
    ///
    /// # Errors
    /// When the store fails or holds an unreadable key.
    pub async fn reload(&self, now: i64) -> StoreResult<()> {
        let keys = self.store.signing_keys().await?;
        let rng = ring::rand::SystemRandom::new();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let mut set = KeySet::default();
        for key in &keys {
            let pair = EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &key.pkcs8,
                &rng,
            )
            .map_err(|_| StoreError::Corrupt(format!("signing key {} is unreadable", key.kid)))?;
            let published = key
                .retired_at
                .is_none_or(|retired| retired.saturating_add(ttl) > now);
            if published {
                set.published.push(PublicKey {
                    kid: key.kid.clone(),
                    point: pair.public_key().as_ref().to_vec(),
                });
            }
            // Keys come newest first: the newest unretired key signs.
            if key.retired_at.is_none() && set.active.is_none() {
                set.active = Some(ActiveKey {
                    kid: key.kid.clone(),
                    pair,
                });
            }
        }
        // The unknown-user secret must be the same on every instance and stable over time:
        // derive it from the oldest key, which is never deleted.
        if let Some(oldest) = keys.last() {
            let hmac = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &oldest.pkcs8);
            let tag = ring::hmac::sign(&hmac, b"anshin unknown-user secret v1");
            set.unknown_user_secret.copy_from_slice(tag.as_ref());
        }
        if set.active.is_none() {
            return Err(StoreError::Corrupt("no active signing key".into()));
        }
        *self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = set;
        Ok(())
    }

    /// The secret from which plausible credentials for unknown user names are derived.
    #[must_use]
    pub fn unknown_user_secret(&self) -> [u8; 32] {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unknown_user_secret
    }

    /// A secret for another purpose (`label`), derived from the oldest signing key like the
    /// unknown-user secret: the same on every instance.
    #[must_use]
    pub fn derived_secret(&self, label: &str) -> [u8; 32] {
        let base = self.unknown_user_secret();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &base);
        let tag = ring::hmac::sign(&key, label.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// The session lifetime.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The claims of a token for a session, issued now.
    #[must_use]
    pub fn claims(&self, session: &Session, now: i64) -> Claims {
        Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: session.user_id.to_string(),
            sid: session.id.clone(),
            auth_time: session.auth_time,
            acr: session.acr.clone(),
            amr: session.amr.clone(),
            iat: now,
            exp: session.expires_at,
        }
    }

    /// Signs claims into a compact JWS.
    ///
    /// # Errors
    /// When there is no active key or signing fails.
    pub fn sign(&self, claims: &Claims) -> Result<String, StoreError> {
        let payload =
            serde_json::to_value(claims).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.sign_json("JWT", &payload)
    }

    /// Signs any JSON payload into a compact JWS with the active key and the given `typ`
    /// (`JWT`, `secevent+jwt`...).
    ///
    /// # Errors
    /// When there is no active key or signing fails.
    pub fn sign_json(&self, typ: &str, payload: &serde_json::Value) -> Result<String, StoreError> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let active = keys
            .active
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("no active signing key".into()))?;
        let header = serde_json::json!({"alg": "ES256", "typ": typ, "kid": active.kid});
        let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(payload.to_string()));
        let signature = active
            .pair
            .sign(&ring::rand::SystemRandom::new(), token.as_bytes())
            .map_err(|_| StoreError::Unavailable("signing failed".into()))?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature.as_ref()));
        Ok(token)
    }

    /// The issuer named in tokens.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Verifies a token's signature and expiry (not whether its session was revoked: ask the
    /// store for that).
    ///
    /// # Errors
    /// A malformed, wrongly signed or expired token.
    pub async fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let (kid, signed, signature, claims) = parse(token)?;
        let known = self.point_of(&kid).is_some();
        if !known {
            // Another instance may have rotated the keys since we last looked.
            let _ = self.reload(now).await;
        }
        let point = self.point_of(&kid).ok_or(TokenError::BadSignature)?;
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| TokenError::BadSignature)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        if claims.aud != self.audience || claims.iss != self.issuer {
            return Err(TokenError::BadSignature);
        }
        Ok(claims)
    }

    fn point_of(&self, kid: &str) -> Option<Vec<u8>> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.published
            .iter()
            .find(|k| k.kid == kid)
            .map(|k| k.point.clone())
    }

    /// The published keys as a JWK Set (RFC 7517).
    #[must_use]
    pub fn jwks(&self) -> serde_json::Value {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let keys: Vec<_> = keys
            .published
            .iter()
            .filter_map(|k| {
                let x = k.point.get(1..33)?;
                let y = k.point.get(33..65)?;
                Some(serde_json::json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": URL_SAFE_NO_PAD.encode(x),
                    "y": URL_SAFE_NO_PAD.encode(y),
                    "kid": k.kid,
                    "use": "sig",
                    "alg": "ES256",
                }))
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

/// Splits and decodes a compact JWS: `(kid, signing input, signature, claims)`.
fn parse(token: &str) -> Result<(String, &str, Vec<u8>, Claims), TokenError> {
    if token.len() > 8192 {
        return Err(TokenError::Malformed);
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed)
    };
    #[derive(Deserialize)]
    struct Header {
        alg: String,
        kid: String,
    }
    let header: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
    if header.alg != "ES256" {
        return Err(TokenError::Malformed);
    }
    let claims: Claims =
        serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Malformed)?;
    Ok((header.kid, signed, decode(signature)?, claims))
}

/// Looks like a JWT (three dot-separated parts) rather than an API key.
#[must_use]
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}
