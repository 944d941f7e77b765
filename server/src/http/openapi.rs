//! The OpenAPI document, generated from the handlers (`/openapi.json`).

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::AppState;
use crate::http::{AppJson, accounts, ceremonies, risk, wellknown};

#[derive(Debug)]
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A backend API key: Authorization: Bearer <key>"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A user's session token from a sign-in"))
                    .build(),
            ),
        );
    }
}

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "anshin", description = "Passkey (WebAuthn) authentication server. Errors are application/problem+json with a stable `code`."),
    paths(
        ceremonies::registration_options, ceremonies::registration_verify,
        ceremonies::authentication_options, ceremonies::authentication_verify,
        accounts::create_user, accounts::get_user, accounts::update_user, accounts::delete_user,
        accounts::list_credentials, accounts::get_credential, accounts::rename_credential,
        accounts::delete_credential, accounts::introspect, accounts::revoke, accounts::events,
        wellknown::jwks, wellknown::related_origins, wellknown::assetlinks,
        wellknown::apple_app_site_association, wellknown::healthz, wellknown::readyz,
        wellknown::metrics,
        risk::step_up_options, risk::step_up_verify, risk::fallback_options, risk::sms_send,
        risk::sms_verify, risk::risk_evaluate, risk::risk_feedback, risk::stats, risk::stats_series,
    ),
    modifiers(&Security),
)]
pub struct ApiDoc;

/// The document as JSON.
#[must_use]
pub fn document() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { AppJson(document()) }))
}
