//! The authentication levels (`acr`) a session can reach, lowest first, and what it takes to
//! satisfy a required one (RFC 9470).

use std::collections::BTreeMap;

/// A sign-in by SMS code: single factor, phishable.
pub const SMS: &str = "urn:anshin:acr:sms";
/// Several factors, not phishing-resistant (and a passkey sign-in that the risk engine asked
/// to step up).
pub const MFA: &str = "urn:anshin:acr:mfa";
/// Phishing-resistant: a passkey with user verification.
pub const PHR: &str = "phr";
/// Phishing-resistant, hardware-protected: a device-bound passkey with user verification.
pub const PHRH: &str = "phrh";

/// The position of a level on the ladder; 0 for a name that is not on it.
#[must_use]
pub fn rank(acr: &str) -> u8 {
    match acr {
        SMS => 1,
        MFA => 2,
        PHR => 3,
        PHRH => 4,
        _ => 0,
    }
}

/// Whether a session that reached `levels` satisfies `required`, reached at most `max_age`
/// seconds before `now` (a higher level satisfies a lower one).
#[must_use]
pub fn satisfies(
    levels: &BTreeMap<String, i64>,
    required: &str,
    max_age: Option<u64>,
    now: i64,
) -> bool {
    let needed = rank(required);
    if needed == 0 {
        return false;
    }
    let max_age = max_age.map(|m| i64::try_from(m).unwrap_or(i64::MAX));
    levels.iter().any(|(acr, &at)| {
        rank(acr) >= needed && max_age.is_none_or(|m| now.saturating_sub(at) <= m)
    })
}

/// The highest level in `levels`.
#[must_use]
pub fn highest(levels: &BTreeMap<String, i64>) -> Option<&str> {
    levels
        .keys()
        .max_by_key(|acr| rank(acr))
        .map(String::as_str)
}

/// The `WWW-Authenticate` value of an RFC 9470 step-up challenge.
#[must_use]
pub fn challenge(required: &str, max_age: Option<u64>) -> String {
    let mut value = format!(
        "Bearer error=\"insufficient_user_authentication\", \
         error_description=\"A stronger or more recent authentication is required\", \
         acr_values=\"{required}\""
    );
    if let Some(max_age) = max_age {
        value.push_str(&format!(", max_age=\"{max_age}\""));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_and_fresher_levels_satisfy() {
        let levels: BTreeMap<String, i64> = [(SMS.to_owned(), 100), (PHRH.to_owned(), 1_000)]
            .into_iter()
            .collect();
        assert!(satisfies(&levels, PHR, None, 1_100));
        assert!(satisfies(&levels, PHR, Some(300), 1_100));
        assert!(!satisfies(&levels, PHR, Some(60), 1_100), "too old");
        assert!(satisfies(&levels, SMS, Some(0), 1_000));
        assert!(!satisfies(&levels, "urn:example:unknown", None, 1_000));
        let sms_only: BTreeMap<String, i64> = [(SMS.to_owned(), 100)].into_iter().collect();
        assert!(!satisfies(&sms_only, MFA, None, 100));
        assert_eq!(highest(&levels), Some(PHRH));
    }

    #[test]
    fn challenges_follow_rfc_9470() {
        assert_eq!(
            challenge(PHR, Some(300)),
            "Bearer error=\"insufficient_user_authentication\", error_description=\"A stronger \
             or more recent authentication is required\", acr_values=\"phr\", max_age=\"300\""
        );
    }
}
