//! `GeoIp` against MaxMind's test databases (risk/testdata/mmdb/).

// Helpers outside #[test] functions unwrap too: a failed fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::path::PathBuf;

use anshin_risk::geo::{GeoError, GeoIp};

fn mmdb(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/mmdb")
        .join(name)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn all() -> GeoIp {
    GeoIp::open(
        Some(&mmdb("GeoIP2-City-Test.mmdb")),
        Some(&mmdb("GeoLite2-ASN-Test.mmdb")),
        Some(&mmdb("GeoIP2-Anonymous-IP-Test.mmdb")),
    )
    .unwrap()
}

#[test]
fn london_is_in_gb_with_its_coordinates() {
    let geo = GeoIp::open(Some(&mmdb("GeoIP2-City-Test.mmdb")), None, None).unwrap();
    let f = geo.lookup(ip("81.2.69.142")).unwrap();
    assert_eq!(f.country.as_deref(), Some("GB"));
    assert_eq!(f.city.as_deref(), Some("London"));
    assert_eq!(f.latitude, Some(51.5142));
    assert_eq!(f.longitude, Some(-0.0931));
    assert_eq!(f.accuracy_km, Some(10));
    // No anonymous-IP database: the flags are unknown, not false.
    assert_eq!(f.anonymous, None);
    assert_eq!(f.asn, None);
}

#[test]
fn milton_wa_is_in_the_us_with_its_asn() {
    let f = all().lookup(ip("216.160.83.56")).unwrap();
    assert_eq!(f.country.as_deref(), Some("US"));
    assert_eq!(f.city.as_deref(), Some("Milton"));
    assert_eq!(f.latitude, Some(47.2513));
    assert_eq!(f.longitude, Some(-122.3149));
    assert_eq!(f.asn, Some(209));
    // Listed nowhere in the anonymous-IP database: known not to be anonymous.
    assert_eq!(f.anonymous, Some(false));
    assert_eq!(f.hosting, Some(false));
}

#[test]
fn asn_database_gives_number_and_organisation() {
    let geo = GeoIp::open(None, Some(&mmdb("GeoLite2-ASN-Test.mmdb")), None).unwrap();
    let f = geo.lookup(ip("1.128.0.1")).unwrap();
    assert_eq!(f.asn, Some(1221));
    assert_eq!(f.asn_org.as_deref(), Some("Telstra Pty Ltd"));
    assert_eq!(f.country, None);
}

#[test]
fn anonymous_ip_flags() {
    let geo = all();
    // 81.2.69.0/24 is flagged anonymous, VPN, hosting and Tor in the test database.
    let f = geo.lookup(ip("81.2.69.142")).unwrap();
    assert_eq!(f.anonymous, Some(true));
    assert_eq!(f.anonymous_vpn, Some(true));
    assert_eq!(f.hosting, Some(true));
    assert_eq!(f.tor, Some(true));
    // 71.160.223.0/24: anonymous hosting, not a VPN or Tor.
    let f = geo.lookup(ip("71.160.223.7")).unwrap();
    assert_eq!(
        (f.anonymous, f.anonymous_vpn, f.hosting, f.tor),
        (Some(true), Some(false), Some(true), Some(false))
    );
}

#[test]
fn an_address_in_no_database_is_none() {
    let geo = GeoIp::open(
        Some(&mmdb("GeoIP2-City-Test.mmdb")),
        Some(&mmdb("GeoLite2-ASN-Test.mmdb")),
        None,
    )
    .unwrap();
    assert_eq!(geo.lookup(ip("10.0.0.1")), None);
    assert_eq!(geo.lookup(ip("::1")), None);
    let none = GeoIp::open(None, None, None).unwrap();
    assert!(none.is_empty());
    assert_eq!(none.lookup(ip("81.2.69.142")), None);
}

#[test]
fn open_rejects_missing_files_and_wrong_kinds() {
    let err = GeoIp::open(Some(&mmdb("no-such.mmdb")), None, None).unwrap_err();
    assert_eq!(err.code(), "geo.open");
    let err = GeoIp::open(Some(&mmdb("GeoLite2-ASN-Test.mmdb")), None, None).unwrap_err();
    assert_eq!(err.code(), "geo.wrong_kind");
    assert!(
        matches!(
            err,
            GeoError::WrongKind {
                expected: "City",
                ..
            }
        ),
        "{err}"
    );
    let err = GeoIp::open(None, None, Some(&mmdb("LICENSE-MIT"))).unwrap_err();
    assert_eq!(err.code(), "geo.open");
}

#[test]
fn geoip_is_shareable() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<GeoIp>();
}
