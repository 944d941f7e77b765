//! The demo page (`/`), the dashboard (`/admin`), their static assets (`/assets/*`, the
//! `@anshin/browser` SDK among them) and the demo's sandbox (`/demo/*`).
//!
//! The pages are static files compiled into the binary; everything they show comes from the
//! API. They run under a content security policy that allows scripts, styles and requests to
//! this origin only, and they put data into the page as text, never as markup.
//!
//! The sandbox endpoints exist only where [`Config::demo_sandbox`](crate::config::Config::demo_sandbox)
//! holds (rp id `localhost` and the development SMS sender): elsewhere they answer 404 and the
//! demo page leaves out what needs them.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::acr;
use crate::api::{CreateUserRequest, UpdateUserRequest, UserView};
use crate::app::{AppState, now_secs};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::{AppJson, AppPath, AppQuery};

/// The content security policy of the pages: nothing from another origin, no inline script
/// or style, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// How recent the step-up for the demo's sensitive action (changing the phone number) must be.
pub const DEMO_STEP_UP_MAX_AGE: u64 = 120;

macro_rules! assets {
    ($($path:literal => $mime:literal),* $(,)?) => {
        /// `(path under /assets/, content type, content)`.
        const ASSETS: &[(&str, &str, &str)] = &[
            $(($path, $mime, include_str!(concat!("../../assets/", $path)))),*
        ];
    };
}

assets! {
    "demo.js" => "text/javascript; charset=utf-8",
    "admin.js" => "text/javascript; charset=utf-8",
    "charts.js" => "text/javascript; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "icon.svg" => "image/svg+xml",
    "sdk/index.js" => "text/javascript; charset=utf-8",
    "sdk/client.js" => "text/javascript; charset=utf-8",
    "sdk/errors.js" => "text/javascript; charset=utf-8",
    "sdk/json.js" => "text/javascript; charset=utf-8",
    "sdk/base64url.js" => "text/javascript; charset=utf-8",
    "sdk/rfc9470.js" => "text/javascript; charset=utf-8",
    "sdk/types.js" => "text/javascript; charset=utf-8",
}

const DEMO_HTML: &str = include_str!("../../assets/index.html");
const ADMIN_HTML: &str = include_str!("../../assets/admin.html");

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(demo_page))
        .route("/admin", get(admin_page))
        .route("/assets/{*path}", get(asset))
        .route("/demo/config", get(demo_config))
        .route("/demo/phone", post(demo_phone))
        .route("/demo/users", post(demo_user))
        .route("/demo/inbox", get(demo_inbox))
}

fn page(html: &'static str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    secure(&mut response);
    response
}

/// Headers every page and asset gets.
fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Assets change with the binary; the pages check every time (a cheap revalidation).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

async fn demo_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.config.demo {
        return Err(ApiError::not_found(
            "the demo page is turned off (demo = false)",
        ));
    }
    Ok(page(DEMO_HTML))
}

async fn admin_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.config.demo {
        return Err(ApiError::not_found(
            "the dashboard is turned off (demo = false)",
        ));
    }
    Ok(page(ADMIN_HTML))
}

async fn asset(
    State(state): State<AppState>,
    AppPath(path): AppPath<String>,
) -> Result<Response, ApiError> {
    if !state.config.demo {
        return Err(ApiError::not_found("no such asset"));
    }
    let (_, mime, body) = ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .ok_or_else(|| ApiError::not_found("no such asset"))?;
    let mut response = ([(header::CONTENT_TYPE, *mime)], *body).into_response();
    secure(&mut response);
    Ok(response)
}

/// What the demo page may offer.
#[derive(Debug, Serialize)]
struct DemoConfig {
    rp_id: String,
    rp_name: String,
    /// The sandbox endpoints are there.
    sandbox: bool,
    /// How recent a step-up the sensitive action needs, in seconds.
    step_up_max_age: u64,
}

async fn demo_config(State(state): State<AppState>) -> Result<AppJson<DemoConfig>, ApiError> {
    if !state.config.demo {
        return Err(ApiError::not_found("the demo is turned off (demo = false)"));
    }
    Ok(AppJson(DemoConfig {
        rp_id: state.config.rp_id.clone(),
        rp_name: state.config.rp_name.clone(),
        sandbox: state.config.demo_sandbox(),
        step_up_max_age: DEMO_STEP_UP_MAX_AGE,
    }))
}

fn sandbox(state: &AppState) -> Result<(), ApiError> {
    if state.config.demo_sandbox() {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "the demo sandbox exists only on a development server (rp id localhost, development SMS sender)",
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPhone {
    /// E.164; `null` removes it.
    phone: Option<String>,
}

/// The demo's sensitive action: the signed-in user changes their own phone number. It needs a
/// phishing-resistant authentication (`phr`) at most [`DEMO_STEP_UP_MAX_AGE`] seconds old;
/// otherwise it answers 403 `step_up_required` with an RFC 9470 challenge, which the SDK's
/// `anshin.fetch` turns into a step-up and a retry.
async fn demo_phone(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(request): AppJson<DemoPhone>,
) -> Result<Response, ApiError> {
    sandbox(&state)?;
    let Caller::User {
        user_id,
        session_id,
    } = caller
    else {
        return Err(ApiError::unauthorized(
            "sign in first: this needs the user's session token",
        ));
    };
    let session = state
        .store
        .session(&session_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the session does not exist"))?;
    if !acr::satisfies(
        &session.levels,
        acr::PHR,
        Some(DEMO_STEP_UP_MAX_AGE),
        now_secs(),
    ) {
        let mut response = ApiError::coded(
            "step_up_required",
            "changing the phone number needs a recent passkey verification: step up and retry",
        )
        .into_response();
        if let Ok(value) =
            HeaderValue::from_str(&acr::challenge(acr::PHR, Some(DEMO_STEP_UP_MAX_AGE)))
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        return Ok(response);
    }
    let user = state
        .accounts
        .update_user(
            user_id,
            UpdateUserRequest {
                display_name: None,
                phone: Some(request.phone),
            },
        )
        .await?;
    Ok(AppJson(user).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUser {
    name: String,
    phone: String,
}

/// Creates a user with a phone number and no passkey: someone who signed up before passkeys,
/// for trying the SMS fallback and the passkey nudge.
async fn demo_user(
    State(state): State<AppState>,
    AppJson(request): AppJson<DemoUser>,
) -> Result<(StatusCode, AppJson<UserView>), ApiError> {
    sandbox(&state)?;
    let user = state
        .accounts
        .create_user(CreateUserRequest {
            name: request.name,
            display_name: None,
            phone: Some(request.phone),
        })
        .await?;
    Ok((StatusCode::CREATED, AppJson(user)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InboxQuery {
    phone: String,
}

#[derive(Debug, Serialize)]
struct Inbox {
    /// What the development sender sent to the number, newest first (at most 5).
    messages: Vec<String>,
}

/// The development SMS outbox of one number: the demo's stand-in for the phone.
async fn demo_inbox(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<InboxQuery>,
) -> Result<AppJson<Inbox>, ApiError> {
    sandbox(&state)?;
    let mut messages = state.store.dev_sms(&query.phone).await?;
    messages.reverse();
    messages.truncate(5);
    Ok(AppJson(Inbox { messages }))
}
