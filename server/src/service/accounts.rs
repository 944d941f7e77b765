//! Users, their passkeys, sessions and security events.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;
use webauthn_core::{CredentialId, SystemRandom, UserHandle};

use crate::acr;
use crate::api::{
    CreateUserRequest, CredentialList, CredentialView, EventPage, IntrospectRequest, Introspection,
    Revoked, UpdateUserRequest, UserView,
};
use crate::app::now_secs;
use crate::error::ApiError;
use crate::service::ceremonies::{MAX_NAME_CHARS, MAX_NICKNAME_CHARS, check_name};
use crate::store::{EventQuery, NewEvent, Store, User, UserPatch};
use crate::tokens::{TokenError, TokenService};

/// Users, credentials, sessions and events.
#[derive(Debug)]
pub struct AccountService {
    store: Arc<dyn Store>,
    rng: SystemRandom,
}

fn check_phone(phone: &str) -> Result<(), ApiError> {
    let digits = phone.strip_prefix('+').unwrap_or_default();
    if digits.len() < 6 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "phone must be an E.164 number: + and 6 to 15 digits",
        ));
    }
    Ok(())
}

/// Parses a credential id from a path segment.
///
/// # Errors
/// `invalid_request` when it is not base64url.
pub fn credential_id(text: &str) -> Result<CredentialId, ApiError> {
    webauthn_core::base64url::decode(text)
        .ok()
        .filter(|b| !b.is_empty() && b.len() <= 1023)
        .map(CredentialId::new)
        .ok_or_else(|| ApiError::invalid("the credential id must be base64url without padding"))
}

impl AccountService {
    /// A service over the store.
    #[must_use]
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            rng: SystemRandom::new(),
        }
    }

    /// `POST /v1/users`.
    ///
    /// # Errors
    /// Invalid input, a taken name.
    pub async fn create_user(&self, request: CreateUserRequest) -> Result<UserView, ApiError> {
        check_name("name", &request.name, MAX_NAME_CHARS)?;
        if let Some(display) = &request.display_name {
            check_name("display_name", display, MAX_NAME_CHARS)?;
        }
        if let Some(phone) = &request.phone {
            check_phone(phone)?;
        }
        let now = now_secs();
        let user = User {
            id: Uuid::new_v4(),
            handle: UserHandle::random(&self.rng)?,
            display_name: request.display_name.unwrap_or_else(|| request.name.clone()),
            name: request.name,
            phone: request.phone,
            created_at: now,
        };
        let events = [NewEvent {
            kind: "user.created".to_owned(),
            user_id: Some(user.id),
            credential_id: None,
            data: json!({}),
            created_at: now,
        }];
        self.store.create_user(&user, &events).await?;
        Ok(UserView::from(&user))
    }

    /// `GET /v1/users/{id}`.
    ///
    /// # Errors
    /// `not_found`.
    pub async fn user(&self, id: Uuid) -> Result<UserView, ApiError> {
        self.store
            .user(id)
            .await?
            .map(|u| UserView::from(&u))
            .ok_or_else(|| ApiError::not_found("no user has this id"))
    }

    /// `PATCH /v1/users/{id}`.
    ///
    /// # Errors
    /// Invalid input, `not_found`.
    pub async fn update_user(
        &self,
        id: Uuid,
        request: UpdateUserRequest,
    ) -> Result<UserView, ApiError> {
        if let Some(display) = &request.display_name {
            check_name("display_name", display, MAX_NAME_CHARS)?;
        }
        if let Some(Some(phone)) = &request.phone {
            check_phone(phone)?;
        }
        let patch = UserPatch {
            display_name: request.display_name,
            phone: request.phone,
        };
        self.store
            .update_user(id, &patch)
            .await?
            .map(|u| UserView::from(&u))
            .ok_or_else(|| ApiError::not_found("no user has this id"))
    }

    /// `DELETE /v1/users/{id}`.
    ///
    /// # Errors
    /// `not_found`.
    pub async fn delete_user(&self, id: Uuid) -> Result<(), ApiError> {
        let events = [NewEvent {
            kind: "user.deleted".to_owned(),
            user_id: Some(id),
            credential_id: None,
            data: json!({}),
            created_at: now_secs(),
        }];
        if self.store.delete_user(id, &events).await? {
            Ok(())
        } else {
            Err(ApiError::not_found("no user has this id"))
        }
    }

    /// `GET /v1/users/{id}/credentials`.
    ///
    /// # Errors
    /// `not_found`.
    pub async fn credentials(&self, user_id: Uuid) -> Result<CredentialList, ApiError> {
        if self.store.user(user_id).await?.is_none() {
            return Err(ApiError::not_found("no user has this id"));
        }
        let credentials = self.store.credentials_of(user_id).await?;
        Ok(CredentialList {
            credentials: credentials.iter().map(CredentialView::from).collect(),
        })
    }

    /// `GET /v1/users/{id}/credentials/{cred}`.
    ///
    /// # Errors
    /// `not_found`.
    pub async fn credential(
        &self,
        user_id: Uuid,
        id: &CredentialId,
    ) -> Result<CredentialView, ApiError> {
        self.store
            .credential(id)
            .await?
            .filter(|c| c.user_id == user_id)
            .map(|c| CredentialView::from(&c))
            .ok_or_else(|| ApiError::not_found("the user has no such passkey"))
    }

    /// `PATCH /v1/users/{id}/credentials/{cred}`.
    ///
    /// # Errors
    /// Invalid input, `not_found`.
    pub async fn rename_credential(
        &self,
        user_id: Uuid,
        id: &CredentialId,
        nickname: Option<String>,
    ) -> Result<CredentialView, ApiError> {
        if let Some(nickname) = &nickname {
            check_name("nickname", nickname, MAX_NICKNAME_CHARS)?;
        }
        if !self
            .store
            .rename_credential(user_id, id, nickname.as_deref())
            .await?
        {
            return Err(ApiError::not_found("the user has no such passkey"));
        }
        self.credential(user_id, id).await
    }

    /// `DELETE /v1/users/{id}/credentials/{cred}`.
    ///
    /// # Errors
    /// `not_found`.
    pub async fn delete_credential(
        &self,
        user_id: Uuid,
        id: &CredentialId,
    ) -> Result<(), ApiError> {
        let events = [NewEvent {
            kind: "credential.removed".to_owned(),
            user_id: Some(user_id),
            credential_id: Some(id.clone()),
            data: json!({}),
            created_at: now_secs(),
        }];
        if self.store.delete_credential(user_id, id, &events).await? {
            Ok(())
        } else {
            Err(ApiError::not_found("the user has no such passkey"))
        }
    }

    /// `POST /v1/sessions/introspect`.
    ///
    /// # Errors
    /// Invalid input, store failures.
    pub async fn introspect(
        &self,
        tokens: &TokenService,
        request: &IntrospectRequest,
    ) -> Result<Introspection, ApiError> {
        let now = now_secs();
        if let Some(required) = &request.required_acr
            && acr::rank(required) == 0
        {
            return Err(ApiError::invalid(format!(
                "unknown required_acr {required:?}: use one of {}, {}, {}, {}",
                acr::SMS,
                acr::MFA,
                acr::PHR,
                acr::PHRH
            )));
        }
        let (token, session_id) = (request.token.as_deref(), request.session_id.as_deref());
        let sid = match (token, session_id) {
            (Some(token), None) => match tokens.verify(token, now).await {
                Ok(claims) => claims.sid,
                Err(TokenError::Expired) => return Ok(Introspection::inactive("expired")),
                Err(TokenError::Malformed | TokenError::BadSignature) => {
                    return Ok(Introspection::inactive("invalid_token"));
                }
            },
            (None, Some(id)) => id.to_owned(),
            _ => return Err(ApiError::invalid("give either token or session_id")),
        };
        let Some(session) = self.store.session(&sid).await? else {
            return Ok(Introspection::inactive("unknown"));
        };
        if session.revoked_at.is_some() {
            return Ok(Introspection::inactive("revoked"));
        }
        if session.expires_at <= now {
            return Ok(Introspection::inactive("expired"));
        }
        let mut answer = Introspection::active(&session);
        if let Some(required) = &request.required_acr {
            let satisfied = acr::satisfies(&session.levels, required, request.max_age, now);
            answer.satisfied = Some(satisfied);
            if !satisfied {
                answer.www_authenticate = Some(acr::challenge(required, request.max_age));
            }
        }
        Ok(answer)
    }

    /// `POST /v1/sessions/{id}/revoke`.
    ///
    /// # Errors
    /// `not_found` for an unknown session.
    pub async fn revoke(&self, id: &str) -> Result<Revoked, ApiError> {
        let Some(session) = self.store.session(id).await? else {
            return Err(ApiError::not_found("no session has this id"));
        };
        let now = now_secs();
        let events = [NewEvent {
            kind: "session.revoked".to_owned(),
            user_id: Some(session.user_id),
            credential_id: session.credential_id.clone(),
            data: json!({"session_id": session.id}),
            created_at: now,
        }];
        let revoked = self.store.revoke_session(id, now, &events).await?;
        Ok(Revoked { revoked })
    }

    /// `GET /v1/events`.
    ///
    /// # Errors
    /// Store failures.
    pub async fn events(
        &self,
        after: Option<i64>,
        user_id: Option<Uuid>,
        limit: Option<u32>,
        latest: bool,
    ) -> Result<EventPage, ApiError> {
        let limit = limit.unwrap_or(100).clamp(1, 1000);
        let events = self
            .store
            .events(&EventQuery {
                after,
                user_id,
                limit,
                latest,
            })
            .await?;
        // The newest page has nothing after it yet.
        let full = !latest && events.len() == usize::try_from(limit).unwrap_or(usize::MAX);
        let next = if full {
            events.last().map(|e| e.id)
        } else {
            None
        };
        Ok(EventPage { events, next })
    }
}
