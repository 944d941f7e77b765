//! Published documents and operations endpoints: JWKS, related origins, app associations,
//! health, readiness and metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::error::{ApiError, Problem};
use crate::http::AppJson;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/.well-known/webauthn", get(related_origins))
        .route("/.well-known/assetlinks.json", get(assetlinks))
        .route(
            "/.well-known/apple-app-site-association",
            get(apple_app_site_association),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

fn cacheable(body: Value, seconds: u32) -> Response {
    let mut response = AppJson(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={seconds}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// The keys that sign session tokens (RFC 7517).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "well-known",
    responses((status = 200, description = "JWK Set", body = Object)))]
pub(crate) async fn jwks(State(state): State<AppState>) -> Response {
    cacheable(state.tokens.jwks(), 300)
}

/// WebAuthn related origins: other origins allowed to use this rp id.
#[utoipa::path(get, path = "/.well-known/webauthn", tag = "well-known",
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub(crate) async fn related_origins(State(state): State<AppState>) -> Result<Response, ApiError> {
    if state.config.related_origins.is_empty() {
        return Err(ApiError::not_found("no related origins are configured"));
    }
    Ok(cacheable(
        json!({ "origins": state.config.related_origins }),
        3600,
    ))
}

/// Digital Asset Links for Android apps that share this relying party's passkeys.
#[utoipa::path(get, path = "/.well-known/assetlinks.json", tag = "well-known",
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub(crate) async fn assetlinks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let apps = &state.config.apps.android;
    if apps.is_empty() {
        return Err(ApiError::not_found("no Android apps are configured"));
    }
    let statements: Vec<Value> = apps
        .iter()
        .map(|app| {
            json!({
                "relation": [
                    "delegate_permission/common.handle_all_urls",
                    "delegate_permission/common.get_login_creds"
                ],
                "target": {
                    "namespace": "android_app",
                    "package_name": app.package_name,
                    "sha256_cert_fingerprints": app.sha256_cert_fingerprints,
                }
            })
        })
        .collect();
    Ok(cacheable(Value::Array(statements), 3600))
}

/// Apple associated domains (`webcredentials`) for iOS and macOS apps.
#[utoipa::path(get, path = "/.well-known/apple-app-site-association", tag = "well-known",
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub(crate) async fn apple_app_site_association(
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let apps = &state.config.apps.apple;
    if apps.is_empty() {
        return Err(ApiError::not_found("no Apple apps are configured"));
    }
    Ok(cacheable(
        json!({ "webcredentials": { "apps": apps } }),
        3600,
    ))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Object)))]
pub(crate) async fn healthz() -> AppJson<Value> {
    AppJson(json!({"status": "ok"}))
}

/// Readiness: the database and the ephemeral store answer.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Object), (status = 503, body = Problem)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<AppJson<Value>, ApiError> {
    let (store, ephemeral) = tokio::join!(state.store.ping(), state.ephemeral.ping());
    match (store, ephemeral) {
        (Ok(()), Ok(())) => Ok(AppJson(json!({"status": "ready"}))),
        (Err(e), _) => {
            tracing::warn!(error = %e, "not ready: database");
            Err(ApiError::unavailable("the database is not reachable"))
        }
        (_, Err(e)) => {
            tracing::warn!(error = %e, "not ready: ephemeral store");
            Err(ApiError::unavailable(
                "the ephemeral store is not reachable",
            ))
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
