//! The anshin conformance harness: a runner for WebAuthn test vectors, a virtual authenticator
//! that produces registrations and assertions in every attestation format it knows, test
//! certificate authorities and metadata, the FIDO2 server conformance suite, and differential
//! tests against peer libraries.
#![forbid(unsafe_code)]

pub mod authenticator;
pub mod pki;
pub mod suite;
pub mod vectors;
