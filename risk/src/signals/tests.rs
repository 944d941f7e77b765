use std::net::IpAddr;

use super::*;
use crate::facts::{CredentialFacts, DecisionPoint, GeoFacts, SmsFacts, UserFacts};

const LONDON: (f64, f64) = (51.5142, -0.0931);
const MILTON_WA: (f64, f64) = (47.2513, -122.3149);
const BOXFORD: (f64, f64) = (51.75, -1.25);

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn haversine_london_to_milton_is_about_7700_km() {
    let d = distance_km(LONDON.0, LONDON.1, MILTON_WA.0, MILTON_WA.1);
    assert!((7700.0..7770.0).contains(&d), "{d}");
    // Symmetric, and zero for the same point.
    let back = distance_km(MILTON_WA.0, MILTON_WA.1, LONDON.0, LONDON.1);
    assert!((d - back).abs() < 1e-6);
    assert!(distance_km(LONDON.0, LONDON.1, LONDON.0, LONDON.1).abs() < 1e-9);
}

#[test]
fn haversine_london_to_boxford_is_a_short_hop() {
    let d = distance_km(LONDON.0, LONDON.1, BOXFORD.0, BOXFORD.1);
    assert!((70.0..100.0).contains(&d), "{d}");
}

#[test]
fn haversine_antipodes_is_half_the_circumference() {
    let d = distance_km(0.0, 0.0, 0.0, 180.0);
    assert!(
        (d - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6,
        "{d}"
    );
}

#[test]
fn speed_over_an_hour_is_the_distance() {
    let from = LastLogin {
        at: 1_000_000,
        latitude: Some(LONDON.0),
        longitude: Some(LONDON.1),
        ..LastLogin::default()
    };
    let v = speed_kmh(&from, MILTON_WA, 1_000_000 + 3600).unwrap();
    assert!((7700.0..7770.0).contains(&v), "{v}");
    // Twelve hours later it is ordinary flight speed.
    let v = speed_kmh(&from, MILTON_WA, 1_000_000 + 12 * 3600).unwrap();
    assert!(v < 900.0, "{v}");
}

#[test]
fn speed_uses_a_minimum_interval_and_needs_a_location() {
    let from = LastLogin {
        at: 1_000_000,
        latitude: Some(LONDON.0),
        longitude: Some(LONDON.1),
        ..LastLogin::default()
    };
    // Same second, or a clock skew: computed over MIN_TRAVEL_INTERVAL_S, so finite.
    let same = speed_kmh(&from, MILTON_WA, 1_000_000).unwrap();
    let skew = speed_kmh(&from, MILTON_WA, 999_000).unwrap();
    assert!(same.is_finite() && (same - skew).abs() < 1e-9);
    let nowhere = LastLogin {
        at: 1_000_000,
        ..LastLogin::default()
    };
    assert_eq!(speed_kmh(&nowhere, MILTON_WA, 1_003_600), None);
}

#[test]
fn phone_prefix_drops_the_last_four_digits() {
    assert_eq!(phone_prefix("+447700900123").as_deref(), Some("+44770090"));
    assert_eq!(phone_prefix("+819012345678").as_deref(), Some("+81901234"));
    assert_eq!(phone_prefix("+12025550123").as_deref(), Some("+1202555"));
}

#[test]
fn phone_prefix_rejects_what_is_not_e164() {
    for bad in [
        "",
        "+",
        "447700900123",
        "+44 7700 900123",
        "+4477a0900123",
        "+1234567",
        "+1234567890123456",
        "+４４７７００９００１２３",
    ] {
        assert_eq!(phone_prefix(bad), None, "{bad:?}");
    }
}

#[test]
fn networks_are_slash_24_and_slash_48() {
    assert_eq!(network_of(ip("81.2.69.142")), "81.2.69.0/24");
    assert_eq!(network_of(ip("2001:db8:abcd:12::1")), "2001:db8:abcd::/48");
}

#[test]
fn conversion_is_verified_over_sent() {
    assert_eq!(conversion(0, 0), None);
    assert_eq!(conversion(10, 5), Some(0.5));
    assert_eq!(conversion(10, 12), Some(1.0));
}

#[test]
fn derive_fills_what_the_facts_allow_and_nothing_else() {
    let now = 2_000_000;
    let mut facts = Facts::new(DecisionPoint::Login, ip("216.160.83.56"));
    let empty = Signals::derive(&facts, now);
    assert_eq!(empty, Signals::default());
    assert_eq!(serde_json::to_value(&empty).unwrap(), serde_json::json!({}));

    facts.request.known_device = Some(false);
    facts.geo = Some(GeoFacts {
        country: Some("US".into()),
        latitude: Some(MILTON_WA.0),
        longitude: Some(MILTON_WA.1),
        anonymous: Some(false),
        ..GeoFacts::default()
    });
    facts.last_login = Some(LastLogin {
        at: now - 3600,
        latitude: Some(LONDON.0),
        longitude: Some(LONDON.1),
        country: Some("GB".into()),
        ip: Some(ip("81.2.69.142")),
    });
    facts.user = Some(UserFacts {
        exists: true,
        created_at: Some(now - 86_400 * 30),
        passkey_count: 1,
        newest_credential_at: Some(now - 600),
        ..UserFacts::default()
    });
    facts.credential = Some(CredentialFacts {
        user_verified: true,
        created_at: Some(now - 600),
        ..CredentialFacts::default()
    });
    facts.sms = Some(SmsFacts {
        phone: "+447700900123".into(),
        backoff_until: Some(now + 90),
        prefix_sent_24h: Some(40),
        prefix_verified_24h: Some(4),
        ..SmsFacts::default()
    });
    facts.counters.ip_failures_10m = Some(3);
    let s = Signals::derive(&facts, now);
    assert_eq!(s.known_device, Some(false));
    assert_eq!(s.new_country, Some(true));
    assert_eq!(s.elapsed_s, Some(3600));
    assert!(s.speed_kmh.unwrap() > 7000.0);
    assert!(s.distance_km.unwrap() > 7000.0);
    assert_eq!(s.passkey_holder, Some(true));
    assert_eq!(s.account_age_s, Some(86_400 * 30));
    assert_eq!(s.credential_age_s, Some(600));
    assert_eq!(s.sms_prefix.as_deref(), Some("+44770090"));
    assert_eq!(s.sms_backoff_remaining_s, Some(90));
    assert_eq!(s.sms_prefix_blocked_remaining_s, Some(0));
    assert_eq!(s.sms_prefix_conversion, Some(0.1));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["ip_failures_10m"], 3);
    assert!(json.get("user_failures_15m").is_none());
}
