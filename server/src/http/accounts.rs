//! `/v1/users/*`, `/v1/sessions/*`, `/v1/events`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::{
    CreateUserRequest, CredentialList, CredentialView, EventPage, IntrospectRequest, Introspection,
    RenameCredentialRequest, Revoked, UpdateUserRequest, UserView,
};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::http::{AppJson, AppPath, AppQuery};
use crate::service::accounts::credential_id;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/users", post(create_user))
        .route(
            "/v1/users/{id}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/v1/users/{id}/credentials", get(list_credentials))
        .route(
            "/v1/users/{id}/credentials/{cred}",
            get(get_credential)
                .patch(rename_credential)
                .delete(delete_credential),
        )
        .route("/v1/sessions/introspect", post(introspect))
        .route("/v1/sessions/{id}/revoke", post(revoke))
        .route("/v1/events", get(events))
}

/// Creates a user (for example before an SMS fallback, or to attach passkeys later).
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = UserView), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(request): AppJson<CreateUserRequest>,
) -> Result<(StatusCode, AppJson<UserView>), ApiError> {
    caller.require_backend()?;
    let user = state.accounts.create_user(request).await?;
    Ok((StatusCode::CREATED, AppJson(user)))
}

/// A user.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = "4XX", body = Problem)),
    security(("api_key" = []), ("session" = [])))]
pub(crate) async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<UserView>, ApiError> {
    caller.require_backend_or_user(id)?;
    Ok(AppJson(state.accounts.user(id).await?))
}

/// Changes a user's display name or phone number.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserView), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
    AppJson(request): AppJson<UpdateUserRequest>,
) -> Result<AppJson<UserView>, ApiError> {
    caller.require_backend()?;
    Ok(AppJson(state.accounts.update_user(id, request).await?))
}

/// Deletes a user with their passkeys and sessions.
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    caller.require_backend()?;
    state.accounts.delete_user(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's passkeys.
#[utoipa::path(get, path = "/v1/users/{id}/credentials", tag = "credentials",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CredentialList), (status = "4XX", body = Problem)),
    security(("api_key" = []), ("session" = [])))]
pub(crate) async fn list_credentials(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<CredentialList>, ApiError> {
    caller.require_backend_or_user(id)?;
    Ok(AppJson(state.accounts.credentials(id).await?))
}

/// One passkey.
#[utoipa::path(get, path = "/v1/users/{id}/credentials/{cred}", tag = "credentials",
    params(("id" = Uuid, Path), ("cred" = String, Path, description = "credential id, base64url")),
    responses((status = 200, body = CredentialView), (status = "4XX", body = Problem)),
    security(("api_key" = []), ("session" = [])))]
pub(crate) async fn get_credential(
    State(state): State<AppState>,
    caller: Caller,
    AppPath((id, cred)): AppPath<(Uuid, String)>,
) -> Result<AppJson<CredentialView>, ApiError> {
    caller.require_backend_or_user(id)?;
    let cred = credential_id(&cred)?;
    Ok(AppJson(state.accounts.credential(id, &cred).await?))
}

/// Renames a passkey.
#[utoipa::path(patch, path = "/v1/users/{id}/credentials/{cred}", tag = "credentials",
    params(("id" = Uuid, Path), ("cred" = String, Path, description = "credential id, base64url")),
    request_body = RenameCredentialRequest,
    responses((status = 200, body = CredentialView), (status = "4XX", body = Problem)),
    security(("api_key" = []), ("session" = [])))]
pub(crate) async fn rename_credential(
    State(state): State<AppState>,
    caller: Caller,
    AppPath((id, cred)): AppPath<(Uuid, String)>,
    AppJson(request): AppJson<RenameCredentialRequest>,
) -> Result<AppJson<CredentialView>, ApiError> {
    caller.require_backend_or_user(id)?;
    let cred = credential_id(&cred)?;
    Ok(AppJson(
        state
            .accounts
            .rename_credential(id, &cred, request.nickname)
            .await?,
    ))
}

/// Deletes a passkey.
#[utoipa::path(delete, path = "/v1/users/{id}/credentials/{cred}", tag = "credentials",
    params(("id" = Uuid, Path), ("cred" = String, Path, description = "credential id, base64url")),
    responses((status = 204), (status = "4XX", body = Problem)),
    security(("api_key" = []), ("session" = [])))]
pub(crate) async fn delete_credential(
    State(state): State<AppState>,
    caller: Caller,
    AppPath((id, cred)): AppPath<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_backend_or_user(id)?;
    let cred = credential_id(&cred)?;
    state.accounts.delete_credential(id, &cred).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a session (by token or id) is active, with its `acr`, `amr` and `auth_time`.
#[utoipa::path(post, path = "/v1/sessions/introspect", tag = "sessions",
    request_body = IntrospectRequest,
    responses((status = 200, body = Introspection), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn introspect(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(request): AppJson<IntrospectRequest>,
) -> Result<AppJson<Introspection>, ApiError> {
    caller.require_backend()?;
    Ok(AppJson(
        state.accounts.introspect(&state.tokens, &request).await?,
    ))
}

/// Revokes a session: its token stops being accepted at once.
#[utoipa::path(post, path = "/v1/sessions/{id}/revoke", tag = "sessions",
    params(("id" = String, Path)),
    responses((status = 200, body = Revoked), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<Revoked>, ApiError> {
    caller.require_backend()?;
    if id.len() > 128 {
        return Err(ApiError::invalid("a session id is at most 128 characters"));
    }
    Ok(AppJson(state.accounts.revoke(&id).await?))
}

/// Filters for `GET /v1/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventParams {
    /// Only events after this id (the `next` of the previous page).
    after: Option<i64>,
    /// Only this user's events.
    user_id: Option<Uuid>,
    /// At most this many (1 to 1000, default 100).
    limit: Option<u32>,
    /// `true`: the newest `limit` events (still oldest first), for a view of recent activity.
    latest: Option<bool>,
}

/// Security events (the outbox), oldest first.
#[utoipa::path(get, path = "/v1/events", tag = "events",
    params(
        ("after" = Option<i64>, Query, description = "only events after this id (the `next` of the previous page)"),
        ("user_id" = Option<Uuid>, Query, description = "only this user's events"),
        ("limit" = Option<u32>, Query, description = "at most this many (1 to 1000, default 100)"),
        ("latest" = Option<bool>, Query, description = "true: the newest `limit` events (still oldest first; `next` is null)"),
    ),
    responses((status = 200, body = EventPage), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn events(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(params): AppQuery<EventParams>,
) -> Result<AppJson<EventPage>, ApiError> {
    caller.require_backend()?;
    Ok(AppJson(
        state
            .accounts
            .events(
                params.after,
                params.user_id,
                params.limit,
                params.latest.unwrap_or(false),
            )
            .await?,
    ))
}
