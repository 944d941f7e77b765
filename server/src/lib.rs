//! anshin-server: the anshin passkey service.
//!
//! Routes → handlers (`http/`) → services (`service/`) → stores ([`store`], [`ephemeral`]).
//! The WebAuthn verification itself is `webauthn-core`; this crate owns I/O, policy, tokens
//! and the HTTP surface.
#![forbid(unsafe_code)]

pub mod ephemeral;
pub mod store;
