//! COSE_Key (RFC 9052 §7, WebAuthn §5.8.5): parsing never panics, and an accepted key
//! re-parses from its own encoding to the same algorithm.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webauthn_core::CredentialPublicKey;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = CredentialPublicKey::from_cose(data) {
        let again = CredentialPublicKey::from_cose(key.as_cose()).expect("accepted once");
        assert_eq!(again.algorithm(), key.algorithm());
        assert_eq!(again.as_cose(), key.as_cose());
    }
});
