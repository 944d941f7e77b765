//! anshin-server: the anshin passkey service.
//!
//! Routes → handlers ([`http`]) → services ([`service`]) → stores ([`store`], [`ephemeral`]).
//! The WebAuthn verification itself is `webauthn-core`; this crate owns I/O, policy, tokens
//! and the HTTP surface.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod ephemeral;
pub mod error;
pub mod http;
pub mod metrics;
pub mod service;
pub mod store;
pub mod tokens;
