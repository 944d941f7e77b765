//! anshin-server: the anshin passkey service.
//!
//! Routes → handlers ([`http`]) → services ([`service`]) → stores ([`store`], [`ephemeral`]).
//! The WebAuthn verification itself is `webauthn-core`; this crate owns I/O, policy, tokens
//! and the HTTP surface.
#![forbid(unsafe_code)]

pub mod acr;
pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod ephemeral;
pub mod error;
pub mod export;
pub mod http;
pub mod metrics;
pub mod providers;
pub mod service;
pub mod sms;
pub mod store;
pub mod tokens;

/// Installs `ring` as the process's TLS crypto provider (for the HTTP clients that send
/// webhooks). Idempotent; the server calls it at start.
pub fn install_crypto_provider() {
    // Err means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
