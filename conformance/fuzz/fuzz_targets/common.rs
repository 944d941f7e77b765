//! A fixed relying party and a registration that is valid up to its attestation statement, so
//! that fuzzed attestation objects and statements reach the format's verification.
// Each target uses part of this module.
#![allow(dead_code)]

use std::sync::OnceLock;

use webauthn_core::{
    AttestationPolicy, Challenge, RegistrationOptions, RegistrationResponseJson, RelyingParty,
    SystemRandom, UnixTime, UserEntity, UserHandle, base64url,
};

pub const RP_ID: &str = "example.org";
pub const ORIGIN: &str = "https://example.org";
pub const NOW: UnixTime = UnixTime::from_secs(1_750_000_000);
const CHALLENGE: [u8; 32] = [7; 32];
const CREDENTIAL_ID: [u8; 16] = [0xC1; 16];

/// The P-256 generator as an ES256 COSE_Key (a valid point).
const COSE_KEY: [u8; 77] = [
    0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c,
    0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb,
    0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x22, 0x58, 0x20, 0x4f, 0xe3, 0x42,
    0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33,
    0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
];

pub fn rp() -> &'static RelyingParty {
    static RP: OnceLock<RelyingParty> = OnceLock::new();
    RP.get_or_init(|| {
        RelyingParty::builder(RP_ID, "Example")
            .origin(ORIGIN)
            .build()
            .expect("the fixed relying party is valid")
    })
}

/// Authenticator data with attested credential data (UP, AT) for the fixed credential.
pub fn authenticator_data() -> Vec<u8> {
    let mut data = ring::digest::digest(&ring::digest::SHA256, RP_ID.as_bytes())
        .as_ref()
        .to_vec();
    data.push(0x41);
    data.extend_from_slice(&[0, 0, 0, 0]);
    data.extend_from_slice(&[0; 16]);
    data.extend_from_slice(&[0, 16]);
    data.extend_from_slice(&CREDENTIAL_ID);
    data.extend_from_slice(&COSE_KEY);
    data
}

/// CBOR text string head + bytes (short strings only).
fn text(s: &str) -> Vec<u8> {
    let mut out = vec![0x60 | u8::try_from(s.len()).expect("short")];
    out.extend_from_slice(s.as_bytes());
    out
}

fn bytes(b: &[u8]) -> Vec<u8> {
    let len = u16::try_from(b.len()).expect("short");
    let mut out = vec![0x59];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b);
    out
}

/// `{"fmt": fmt, "attStmt": <att_stmt as is>, "authData": <valid authData>}`.
pub fn attestation_object(fmt: &str, att_stmt: &[u8]) -> Vec<u8> {
    let mut out = vec![0xa3];
    out.extend(text("fmt"));
    out.extend(text(fmt));
    out.extend(text("attStmt"));
    out.extend_from_slice(att_stmt);
    out.extend(text("authData"));
    out.extend(bytes(&authenticator_data()));
    out
}

/// Runs the registration ceremony over `attestation_object`; the result does not matter, only
/// that nothing panics.
pub fn register(attestation_object: &[u8]) {
    let user = UserEntity {
        id: UserHandle::new(b"user".to_vec()).expect("valid handle"),
        name: "alice".into(),
        display_name: "Alice".into(),
    };
    let options = RegistrationOptions::default()
        .danger_with_challenge(Challenge::danger_from_bytes(CHALLENGE.to_vec()));
    let Ok((_, state)) = rp().start_registration(user, options, NOW, &SystemRandom::new()) else {
        return;
    };
    let client_data = format!(
        "{{\"type\":\"webauthn.create\",\"challenge\":\"{}\",\"origin\":\"{ORIGIN}\",\"crossOrigin\":false}}",
        base64url::encode(CHALLENGE)
    );
    let json = serde_json::json!({
        "id": base64url::encode(CREDENTIAL_ID),
        "rawId": base64url::encode(CREDENTIAL_ID),
        "type": "public-key",
        "response": {
            "clientDataJSON": base64url::encode(client_data.as_bytes()),
            "attestationObject": base64url::encode(attestation_object),
        },
        "clientExtensionResults": {},
    });
    if let Ok(response) = RegistrationResponseJson::from_json(&json) {
        let policy = AttestationPolicy::default();
        let _ = rp().finish_registration(state, &response, &policy, NOW);
    }
}
