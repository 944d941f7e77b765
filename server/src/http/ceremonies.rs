//! `/v1/registration/*` and `/v1/authentication/*`.

use axum::Router;
use axum::extract::State;
use axum::routing::post;

use crate::api::{
    AuthenticationOptionsRequest, AuthenticationVerified, AuthenticationVerifyRequest,
    CeremonyOptions, RegistrationOptionsRequest, RegistrationVerified, RegistrationVerifyRequest,
};
use crate::app::AppState;
use crate::auth::{Caller, ClientContext};
use crate::error::{ApiError, Problem};
use crate::http::AppJson;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/registration/options", post(registration_options))
        .route("/v1/registration/verify", post(registration_verify))
        .route("/v1/authentication/options", post(authentication_options))
        .route("/v1/authentication/verify", post(authentication_verify))
}

/// Starts registering a passkey: options for `navigator.credentials.create()`.
#[utoipa::path(post, path = "/v1/registration/options", tag = "ceremonies",
    request_body = RegistrationOptionsRequest,
    responses((status = 200, body = CeremonyOptions), (status = "4XX", body = Problem)),
    security((), ("api_key" = []), ("session" = [])))]
pub(crate) async fn registration_options(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<RegistrationOptionsRequest>,
) -> Result<AppJson<CeremonyOptions>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    let options = state
        .ceremonies
        .registration_options(&caller, &context, request)
        .await?;
    Ok(AppJson(options))
}

/// Finishes registering a passkey: verifies the new credential and stores it.
#[utoipa::path(post, path = "/v1/registration/verify", tag = "ceremonies",
    request_body = RegistrationVerifyRequest,
    responses((status = 200, body = RegistrationVerified), (status = "4XX", body = Problem)),
    security((), ("api_key" = []), ("session" = [])))]
pub(crate) async fn registration_verify(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<RegistrationVerifyRequest>,
) -> Result<AppJson<RegistrationVerified>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    let verified = state
        .ceremonies
        .registration_verify(&caller, &context, request)
        .await?;
    Ok(AppJson(verified))
}

/// Starts signing in: options for `navigator.credentials.get()`. Unknown user names get the
/// same shape of answer as known ones.
#[utoipa::path(post, path = "/v1/authentication/options", tag = "ceremonies",
    request_body = AuthenticationOptionsRequest,
    responses((status = 200, body = CeremonyOptions), (status = "4XX", body = Problem)))]
pub(crate) async fn authentication_options(
    State(state): State<AppState>,
    context: ClientContext,
    AppJson(request): AppJson<AuthenticationOptionsRequest>,
) -> Result<AppJson<CeremonyOptions>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    let options = state
        .ceremonies
        .authentication_options(&context, request)
        .await?;
    Ok(AppJson(options))
}

/// Finishes signing in: verifies the assertion and opens a session.
#[utoipa::path(post, path = "/v1/authentication/verify", tag = "ceremonies",
    request_body = AuthenticationVerifyRequest,
    responses((status = 200, body = AuthenticationVerified), (status = "4XX", body = Problem)))]
pub(crate) async fn authentication_verify(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<AuthenticationVerifyRequest>,
) -> Result<AppJson<AuthenticationVerified>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    let verified = state
        .ceremonies
        .authentication_verify(&caller, &context, request)
        .await?;
    Ok(AppJson(verified))
}
