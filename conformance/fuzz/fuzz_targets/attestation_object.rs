//! The attestation object (WebAuthn §6.5.4), through the registration ceremony: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::register(data);
});
