//! Authenticator data (WebAuthn §6.1): parsing never panics, and what parses is exactly the
//! input (no trailing bytes are skipped).
#![no_main]

use libfuzzer_sys::fuzz_target;
use webauthn_core::authenticator_data::AuthenticatorData;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = AuthenticatorData::parse(data) {
        assert_eq!(parsed.as_bytes(), data);
        // Re-parsing what was accepted gives the same verdict and fields.
        let again = AuthenticatorData::parse(parsed.as_bytes()).expect("accepted once");
        assert_eq!(again.sign_count, parsed.sign_count);
    }
});
