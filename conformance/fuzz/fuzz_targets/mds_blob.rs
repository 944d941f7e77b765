//! An MDS3 metadata BLOB (compact JWS): verification never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webauthn_core::UnixTime;
use webauthn_core::mds::Metadata;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Metadata::verify(
        &text,
        webauthn_core::roots::GLOBALSIGN_ROOT_CA_R3,
        &[],
        UnixTime::from_secs(1_750_000_000),
    );
});
