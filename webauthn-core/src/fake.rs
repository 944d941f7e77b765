//! Plausible credentials for user names that do not exist (§14.6.2 "Username Enumeration").
//!
//! When sign-in starts with a user name, answering "no such user" differently from a real
//! user's options tells an attacker which names exist. Instead, an unknown name gets
//! `allowCredentials` derived with HMAC-SHA-256 from a server secret and the name: the same
//! name always gets the same credentials (so repeated probes see a stable answer, as for a real
//! user), ids have the lengths real authenticators use, and nobody without the secret can tell
//! them from real ones.

use ring::hmac;

use crate::identifiers::CredentialId;
use crate::json::{AuthenticatorTransport, CredentialDescriptorJson};

/// Credential id lengths of common authenticators: platform passkeys (16, 20), Windows Hello
/// (32), security keys (48, 64).
const ID_LENGTHS: [usize; 5] = [16, 20, 32, 48, 64];

/// Transport sets of common authenticators.
const TRANSPORTS: [&[&str]; 4] = [
    &["hybrid", "internal"],
    &["internal"],
    &["usb", "nfc"],
    &["usb"],
];

/// The fake `allowCredentials` of `user_name` under `secret`, scoped to `rp_id`.
pub(crate) fn allow_credentials(
    secret: &[u8; 32],
    rp_id: &str,
    user_name: &str,
) -> Vec<CredentialDescriptorJson> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let derive = |label: &[u8], index: u8| -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(b"anshin fake credentials v1\0");
        ctx.update(label);
        ctx.update(&[0, index, 0]);
        ctx.update(rp_id.as_bytes());
        ctx.update(&[0]);
        ctx.update(user_name.to_lowercase().as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    };
    let [first, rest @ ..] = derive(b"shape", 0);
    // One credential most of the time, sometimes two, as real accounts have.
    let count: u8 = if first % 4 == 0 { 2 } else { 1 };
    let pick =
        |index: usize, choices: usize| rest.get(index).map_or(0, |b| usize::from(*b) % choices);
    (0..count)
        .map(|i| {
            let i_usize = usize::from(i);
            let len = ID_LENGTHS
                .get(pick(i_usize, ID_LENGTHS.len()))
                .copied()
                .unwrap_or(32);
            let mut id = Vec::with_capacity(len);
            let mut block = 0u8;
            while id.len() < len {
                let chunk = derive(b"id", i.wrapping_mul(16).wrapping_add(block));
                let take = (len - id.len()).min(chunk.len());
                id.extend(chunk.iter().take(take));
                block = block.wrapping_add(1);
            }
            let transports = TRANSPORTS
                .get(pick(8 + i_usize, TRANSPORTS.len()))
                .copied()
                .unwrap_or_default()
                .iter()
                .map(|t| AuthenticatorTransport((*t).to_owned()))
                .collect();
            CredentialDescriptorJson::new(CredentialId::new(id), transports)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_name_and_secret() {
        let a = allow_credentials(&[1; 32], "example.org", "alice");
        assert_eq!(a, allow_credentials(&[1; 32], "example.org", "alice"));
        assert_eq!(a, allow_credentials(&[1; 32], "example.org", "ALICE"));
        assert_ne!(a, allow_credentials(&[2; 32], "example.org", "alice"));
        assert_ne!(a, allow_credentials(&[1; 32], "example.org", "bob"));
        assert_ne!(a, allow_credentials(&[1; 32], "example.com", "alice"));
    }

    #[test]
    fn shapes_look_real() {
        let mut counts = [0usize; 3];
        for i in 0..200 {
            let creds = allow_credentials(&[9; 32], "example.org", &format!("user{i}"));
            counts[creds.len()] += 1;
            for c in &creds {
                assert!(ID_LENGTHS.contains(&c.id.as_bytes().len()));
                assert!(!c.transports.is_empty());
                assert_eq!(c.type_, "public-key");
            }
        }
        assert_eq!(counts[0], 0);
        assert!(counts[1] > counts[2] && counts[2] > 0, "{counts:?}");
    }
}
