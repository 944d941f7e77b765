//! `/v1/step-up/*`, `/v1/fallback/*`, `/v1/risk/*` and `/v1/stats`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::api::{
    CeremonyOptions, FallbackOptions, FallbackOptionsRequest, RiskEvaluateRequest,
    RiskFeedbackRequest, SmsSendRequest, SmsSent, SmsVerified, SmsVerifyRequest, Stats,
    StatsSeries, StepUpOptionsRequest, StepUpVerifyRequest, SteppedUp,
};
use crate::app::{AppState, now_secs};
use crate::auth::{Caller, ClientContext};
use crate::error::{ApiError, Problem};
use crate::http::{AppJson, AppQuery};
use crate::service::risk::RiskView;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/step-up/options", post(step_up_options))
        .route("/v1/step-up/verify", post(step_up_verify))
        .route("/v1/fallback/options", post(fallback_options))
        .route("/v1/fallback/sms/send", post(sms_send))
        .route("/v1/fallback/sms/verify", post(sms_verify))
        .route("/v1/risk/evaluate", post(risk_evaluate))
        .route("/v1/risk/feedback", post(risk_feedback))
        .route("/v1/stats", get(stats))
        .route("/v1/stats/series", get(stats_series))
}

/// Starts a step-up: a user-verifying assertion for the signed-in user.
#[utoipa::path(post, path = "/v1/step-up/options", tag = "step-up",
    request_body = StepUpOptionsRequest,
    responses((status = 200, body = CeremonyOptions), (status = "4XX", body = Problem)),
    security(("session" = [])))]
pub(crate) async fn step_up_options(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<StepUpOptionsRequest>,
) -> Result<AppJson<CeremonyOptions>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    Ok(AppJson(
        state.ceremonies.step_up_options(&caller, request).await?,
    ))
}

/// Finishes a step-up: the session reaches `phr` (or `phrh` with a device-bound passkey)
/// with a fresh `auth_time`, and gets a new token.
#[utoipa::path(post, path = "/v1/step-up/verify", tag = "step-up",
    request_body = StepUpVerifyRequest,
    responses((status = 200, body = SteppedUp), (status = "4XX", body = Problem)),
    security(("session" = [])))]
pub(crate) async fn step_up_verify(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<StepUpVerifyRequest>,
) -> Result<AppJson<SteppedUp>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    Ok(AppJson(
        state
            .ceremonies
            .step_up_verify(&caller, &context, request)
            .await?,
    ))
}

/// Which fallbacks to offer when the person has no passkey at hand: passkey on another
/// device first; SMS only when the risk engine allows it.
#[utoipa::path(post, path = "/v1/fallback/options", tag = "fallback",
    request_body = FallbackOptionsRequest,
    responses((status = 200, body = FallbackOptions), (status = "4XX", body = Problem)))]
pub(crate) async fn fallback_options(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<FallbackOptionsRequest>,
) -> Result<AppJson<FallbackOptions>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    let context = context.relayed(&caller, request.context.as_ref())?;
    Ok(AppJson(state.fallback.options(&context, request).await?))
}

/// Sends a one-time code to the account's phone, if the risk engine allows it.
#[utoipa::path(post, path = "/v1/fallback/sms/send", tag = "fallback",
    request_body = SmsSendRequest,
    responses((status = 200, body = SmsSent), (status = "4XX", body = Problem)))]
pub(crate) async fn sms_send(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<SmsSendRequest>,
) -> Result<AppJson<SmsSent>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    let context = context.relayed(&caller, request.context.as_ref())?;
    Ok(AppJson(state.fallback.send(&context, request).await?))
}

/// Signs in with a one-time code: a session at the SMS level that asks to enrol a passkey.
#[utoipa::path(post, path = "/v1/fallback/sms/verify", tag = "fallback",
    request_body = SmsVerifyRequest,
    responses((status = 200, body = SmsVerified), (status = "4XX", body = Problem)))]
pub(crate) async fn sms_verify(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<SmsVerifyRequest>,
) -> Result<AppJson<SmsVerified>, ApiError> {
    state.ceremonies.limit_ip(&context).await?;
    let context = context.relayed(&caller, request.context.as_ref())?;
    Ok(AppJson(state.fallback.verify(&context, request).await?))
}

/// A risk decision for an action a backend is about to allow.
#[utoipa::path(post, path = "/v1/risk/evaluate", tag = "risk",
    request_body = RiskEvaluateRequest,
    responses((status = 200, body = RiskView), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn risk_evaluate(
    State(state): State<AppState>,
    caller: Caller,
    context: ClientContext,
    AppJson(request): AppJson<RiskEvaluateRequest>,
) -> Result<AppJson<RiskView>, ApiError> {
    caller.require_backend()?;
    let context = context.relayed(&caller, request.context.as_ref())?;
    Ok(AppJson(
        state
            .risk
            .evaluate_action(request.user_id, &request.action, &context)
            .await?,
    ))
}

/// Marks a decision right, wrong, or a confirmed compromise.
#[utoipa::path(post, path = "/v1/risk/feedback", tag = "risk",
    request_body = RiskFeedbackRequest,
    responses((status = 204), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn risk_feedback(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(request): AppJson<RiskFeedbackRequest>,
) -> Result<StatusCode, ApiError> {
    caller.require_backend()?;
    if !matches!(
        request.label.as_str(),
        "right" | "wrong" | "confirmed_compromised"
    ) {
        return Err(ApiError::invalid(
            "label must be right, wrong or confirmed_compromised",
        ));
    }
    if request.decision_id.len() > 64 {
        return Err(ApiError::not_found("no decision has this id"));
    }
    state
        .risk
        .feedback(&request.decision_id, &request.label)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The window of `GET /v1/stats`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatsParams {
    /// Unix seconds; default: 30 days ago.
    since: Option<i64>,
}

/// Adoption and SMS figures: SMS per 1,000 sign-ins, fallback share, passkey coverage, nudge
/// conversion, SMS conversion per prefix, blocked sends and the cost they avoided.
#[utoipa::path(get, path = "/v1/stats", tag = "risk",
    params(("since" = Option<i64>, Query, description = "unix seconds; default 30 days ago")),
    responses((status = 200, body = Stats), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(params): AppQuery<StatsParams>,
) -> Result<AppJson<Stats>, ApiError> {
    caller.require_backend()?;
    let since = params
        .since
        .unwrap_or_else(|| now_secs().saturating_sub(30 * 24 * 3600));
    Ok(AppJson(state.fallback.stats(since).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeriesParams {
    /// Unix seconds; default: 30 days ago with `bucket=day`, 48 hours ago with `bucket=hour`.
    since: Option<i64>,
    /// `day` (default) or `hour`.
    bucket: Option<String>,
}

/// The adoption, sign-in, SMS and risk figures over time, one entry per hour or day: passkey
/// adoption, sign-in method mix and SMS share, SMS sent and blocked, risk decisions by action;
/// and the window's decisions by level and by reason.
#[utoipa::path(get, path = "/v1/stats/series", tag = "risk", params(SeriesParams),
    responses((status = 200, body = StatsSeries), (status = "4XX", body = Problem)),
    security(("api_key" = [])))]
pub(crate) async fn stats_series(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(params): AppQuery<SeriesParams>,
) -> Result<AppJson<StatsSeries>, ApiError> {
    caller.require_backend()?;
    let (bucket, default_span) = match params.bucket.as_deref() {
        None | Some("day") => (86_400, 30 * 86_400),
        Some("hour") => (3_600, 48 * 3_600),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "unknown bucket {other:?}: use `day` or `hour`"
            )));
        }
    };
    let now = now_secs();
    // Buckets are aligned to whole hours or days (UTC), so that charts read naturally.
    let until = (now / bucket + 1) * bucket;
    let since = params.since.unwrap_or(until - default_span);
    let since = since - since.rem_euclid(bucket);
    Ok(AppJson(state.fallback.series(since, until, bucket).await?))
}
