//! The credential JSON a server receives (`RegistrationResponseJSON`,
//! `AuthenticationResponseJSON`, WebAuthn §5.1.8 and §5.1.10): decoding never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webauthn_core::{AuthenticationResponseJson, RegistrationResponseJson};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = RegistrationResponseJson::from_json(&value);
        let _ = AuthenticationResponseJson::from_json(&value);
    }
});
