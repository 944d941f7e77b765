//! Each attestation statement format (WebAuthn §8): the first byte picks the `fmt`, the rest
//! is the `attStmt` CBOR, inside an otherwise valid registration. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const FORMATS: [&str; 8] = [
    "none",
    "packed",
    "fido-u2f",
    "tpm",
    "android-key",
    "android-safetynet",
    "apple",
    "compound",
];

fuzz_target!(|data: &[u8]| {
    let Some((selector, att_stmt)) = data.split_first() else {
        return;
    };
    let fmt = FORMATS[usize::from(*selector) % FORMATS.len()];
    common::register(&common::attestation_object(fmt, att_stmt));
});
