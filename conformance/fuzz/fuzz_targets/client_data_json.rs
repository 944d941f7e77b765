//! `clientDataJSON` (WebAuthn §5.8.1): parsing never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webauthn_core::client_data::CollectedClientData;

fuzz_target!(|data: &[u8]| {
    let _ = CollectedClientData::parse(data);
});
