//! The API's errors: `application/problem+json` (RFC 9457) with a stable `code` (DESIGN §8).
//!
//! Every failure a client can cause maps to a 4xx with a code; store or Redis outages map to
//! 503 `unavailable`. Internal errors are logged once (with their detail) and answered with a
//! generic 500 body that carries no detail.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::ephemeral::EphemeralError;
use crate::store::StoreError;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub detail: Cow<'static, str>,
}

/// The body of an error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: &'static str,
    /// HTTP status.
    pub status: u16,
    /// What went wrong in this case.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: &'static str,
}

impl ApiError {
    /// An error with an explicit status.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
        }
    }

    /// An error with a DESIGN §8 code; the status is the one the code carries ([`status_of`]).
    pub fn coded(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(status_of(code), code, detail)
    }

    /// 400 `invalid_request`.
    pub fn invalid(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403 `forbidden`.
    pub fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404 `not_found`.
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 503 `unavailable`.
    pub fn unavailable(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// 500 `internal_error`; the detail is logged, not sent.
    pub fn internal(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", detail)
    }

    /// 400 `ceremony_unknown_or_expired`.
    pub fn ceremony_unknown() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "ceremony_unknown_or_expired",
            "the ceremony is unknown, expired or already finished; start a new one",
        )
    }

    /// The problem body.
    #[must_use]
    pub fn problem(&self) -> Problem {
        let internal = self.status.is_server_error() && self.code == "internal_error";
        Problem {
            type_: format!("https://anshin.dev/errors/{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: if internal {
                "an internal error occurred; it has been logged".to_owned()
            } else {
                self.detail.clone().into_owned()
            },
            code: self.code,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, detail = %self.detail, "request failed");
        } else {
            tracing::info!(code = self.code, detail = %self.detail, "request rejected");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

/// The error code of a response, kept as a response extension for metrics.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// The HTTP status of a core error code (DESIGN §8).
#[must_use]
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "credential_already_registered" | "user_exists" => StatusCode::CONFLICT,
        "unauthorized" => StatusCode::UNAUTHORIZED,
        "not_found" => StatusCode::NOT_FOUND,
        "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
        "unsupported_media_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "forbidden" | "step_up_required" | "risk_denied" | "sms_not_allowed" => {
            StatusCode::FORBIDDEN
        }
        "rate_limited" => StatusCode::TOO_MANY_REQUESTS,
        "payload_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "unavailable" => StatusCode::SERVICE_UNAVAILABLE,
        "internal_error" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl From<webauthn_core::Error> for ApiError {
    fn from(error: webauthn_core::Error) -> Self {
        let code = error.code();
        Self::new(status_of(code), code, error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict("credential") => Self::new(
                StatusCode::CONFLICT,
                "credential_already_registered",
                "this credential is already registered",
            ),
            StoreError::Conflict(what) => Self::new(
                StatusCode::CONFLICT,
                "user_exists",
                format!("a {what} with this name already exists"),
            ),
            StoreError::NotFound("credential") => Self::new(
                StatusCode::BAD_REQUEST,
                "credential_unknown",
                "this passkey was removed while the ceremony ran",
            ),
            StoreError::NotFound(what) => {
                Self::not_found(format!("the {what} was removed while the request ran"))
            }
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                Self::unavailable("the database is unavailable; try again shortly")
            }
            StoreError::Corrupt(detail) => Self::internal(detail),
        }
    }
}

impl From<EphemeralError> for ApiError {
    fn from(error: EphemeralError) -> Self {
        let EphemeralError::Unavailable(detail) = error;
        tracing::warn!(%detail, "ephemeral store unavailable");
        Self::unavailable("the ceremony store is unavailable; try again shortly")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_detail() {
        let problem = ApiError::internal("row 7 of credentials: bad key bytes").problem();
        assert_eq!(problem.code, "internal_error");
        assert!(!problem.detail.contains("row 7"));
    }

    #[test]
    fn core_codes_map_to_design_statuses() {
        assert_eq!(
            status_of("credential_already_registered"),
            StatusCode::CONFLICT
        );
        assert_eq!(status_of("signature_invalid"), StatusCode::BAD_REQUEST);
        assert_eq!(status_of("rate_limited"), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(status_of("unavailable"), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn store_conflicts_name_what_conflicted() {
        let credential = ApiError::from(StoreError::Conflict("credential"));
        assert_eq!(credential.code, "credential_already_registered");
        let user = ApiError::from(StoreError::Conflict("user"));
        assert_eq!(user.code, "user_exists");
        assert_eq!(user.status, StatusCode::CONFLICT);
    }
}
