//! Signals: what the facts mean, computed in Rust and handed to the policy as `input.signals`.
//!
//! Signals are measurements (a speed, an age, a conversion rate), not verdicts: thresholds
//! live in the policy's data, so an operator tunes them without a release. A signal whose
//! facts are missing is absent from `input.signals` (undefined in Rego), which is how the
//! policy's `signal_unavailable` rules see it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::facts::{Counters, Facts, LastLogin};

/// Mean Earth radius (IUGG), kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The shortest interval a travel speed is computed over, seconds. Two sign-ins in the same
/// minute (or a clock skew between nodes) would otherwise give an infinite speed.
pub const MIN_TRAVEL_INTERVAL_S: i64 = 60;

/// Great-circle distance in kilometres between two points given in degrees (haversine).
#[must_use]
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    // `a` is within [0, 1] up to rounding; clamp so that sqrt(1 - a) stays real.
    let a = a.clamp(0.0, 1.0);
    2.0 * EARTH_RADIUS_KM * a.sqrt().atan2((1.0 - a).sqrt())
}

/// Speed in km/h needed to travel from the last sign-in to `to` (latitude, longitude) by
/// `now` (Unix seconds). `None` when the last sign-in has no location. The interval is at
/// least [`MIN_TRAVEL_INTERVAL_S`].
#[must_use]
pub fn speed_kmh(from: &LastLogin, to: (f64, f64), now: i64) -> Option<f64> {
    let (lat, lon) = (from.latitude?, from.longitude?);
    let km = distance_km(lat, lon, to.0, to.1);
    let seconds = now.saturating_sub(from.at).max(MIN_TRAVEL_INTERVAL_S);
    Some(km / (seconds_as_f64(seconds) / 3600.0))
}

/// The prefix of an E.164 number: the number minus its last four digits (`+447700900123` →
/// `+4477009`). `None` unless `e164` is `+` followed by 8 to 15 digits.
#[must_use]
pub fn phone_prefix(e164: &str) -> Option<String> {
    let digits = e164.strip_prefix('+')?;
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let keep = digits.len().checked_sub(4)?;
    digits.get(..keep).map(|p| format!("+{p}"))
}

/// The network an address's failures are counted under: its /24 for IPv4, /48 for IPv6
/// (`81.2.69.142` → `81.2.69.0/24`).
#[must_use]
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let (s0, s1, s2) = (
                s.first().copied().unwrap_or(0),
                s.get(1).copied().unwrap_or(0),
                s.get(2).copied().unwrap_or(0),
            );
            format!("{s0:x}:{s1:x}:{s2:x}::/48")
        }
    }
}

/// SMS conversion of a prefix: verified ÷ sent. `None` when nothing was sent.
#[must_use]
pub fn conversion(sent: u64, verified: u64) -> Option<f64> {
    (sent > 0).then(|| u64_as_f64(verified.min(sent)) / u64_as_f64(sent))
}

/// The signals derived from one request's facts: `input.signals` in the policies. Absent
/// (`None`) means unavailable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// The device has signed in to this account before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_device: Option<bool>,
    /// Country of the request (GeoIP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Country of the last sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_country: Option<String>,
    /// The request comes from a country the last sign-in did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_country: Option<bool>,
    /// Kilometres from the last sign-in's location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Seconds since the last sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_s: Option<i64>,
    /// Travel speed needed since the last sign-in, km/h ([`speed_kmh`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_kmh: Option<f64>,
    /// Any anonymiser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<bool>,
    /// A commercial VPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_vpn: Option<bool>,
    /// A Tor exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tor: Option<bool>,
    /// A hosting provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosting: Option<bool>,
    /// Autonomous system number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// The account exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_exists: Option<bool>,
    /// The account holds at least one passkey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_holder: Option<bool>,
    /// The account has a phone on file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_phone: Option<bool>,
    /// The account may recover by SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_by_sms_allowed: Option<bool>,
    /// Seconds since the account was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_age_s: Option<i64>,
    /// Seconds since the ceremony's credential was registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_age_s: Option<i64>,
    /// Seconds since the account's newest credential was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_credential_age_s: Option<i64>,
    /// The ceremony had UV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_verified: Option<bool>,
    /// BS changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_state_changed: Option<bool>,
    /// BE changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_eligibility_changed: Option<bool>,
    /// The signature counter went backwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_regressed: Option<bool>,
    /// The attestation is trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_trusted: Option<bool>,
    /// The MDS status of the authenticator model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_status: Option<String>,
    /// The velocity counters, as given.
    #[serde(flatten)]
    pub counters: Counters,
    /// Country of the SMS destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_country: Option<String>,
    /// Type of the SMS destination number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_number_type: Option<String>,
    /// Prefix of the SMS destination (given, or computed from the number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_prefix: Option<String>,
    /// Seconds left of the number's backoff (0 when none is in force).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_backoff_remaining_s: Option<i64>,
    /// Seconds left of the prefix's block (0 when none is in force).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_prefix_blocked_remaining_s: Option<i64>,
    /// Codes sent to the prefix in 24 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_prefix_sent_24h: Option<u64>,
    /// Verified ÷ sent for the prefix over 24 hours ([`conversion`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_prefix_conversion: Option<f64>,
}

impl Signals {
    /// Derives the signals from `facts` at `now` (Unix seconds).
    #[must_use]
    pub fn derive(facts: &Facts, now: i64) -> Self {
        let mut s = Self {
            known_device: facts.request.known_device,
            counters: facts.counters.clone(),
            ..Self::default()
        };
        let age = |t: Option<i64>| t.map(|t| now.saturating_sub(t).max(0));

        if let Some(geo) = &facts.geo {
            s.country.clone_from(&geo.country);
            s.anonymous = geo.anonymous;
            s.anonymous_vpn = geo.anonymous_vpn;
            s.tor = geo.tor;
            s.hosting = geo.hosting;
            s.asn = geo.asn;
        }
        if let Some(last) = &facts.last_login {
            s.previous_country.clone_from(&last.country);
            s.elapsed_s = age(Some(last.at));
            if let (Some(now_c), Some(then_c)) = (&s.country, &last.country) {
                s.new_country = Some(!now_c.eq_ignore_ascii_case(then_c));
            }
            if let Some((lat, lon)) = facts
                .geo
                .as_ref()
                .and_then(|g| Some((g.latitude?, g.longitude?)))
            {
                if let (Some(plat), Some(plon)) = (last.latitude, last.longitude) {
                    s.distance_km = Some(distance_km(plat, plon, lat, lon));
                }
                s.speed_kmh = speed_kmh(last, (lat, lon), now);
            }
        }
        if let Some(user) = &facts.user {
            s.user_exists = Some(user.exists);
            s.passkey_holder = Some(user.passkey_count > 0);
            s.has_phone = Some(user.has_phone);
            s.recovery_by_sms_allowed = Some(user.recovery_by_sms_allowed);
            s.account_age_s = age(user.created_at);
            s.newest_credential_age_s = age(user.newest_credential_at);
        }
        if let Some(cred) = &facts.credential {
            s.user_verified = Some(cred.user_verified);
            s.backup_state_changed = Some(cred.backup_state_changed);
            s.backup_eligibility_changed = Some(cred.backup_eligibility_changed);
            s.counter_regressed = Some(cred.counter_regressed);
            s.attestation_trusted = cred.attestation_trusted;
            s.authenticator_status
                .clone_from(&cred.authenticator_status);
            s.credential_age_s = age(cred.created_at);
        }
        if let Some(sms) = &facts.sms {
            s.sms_country.clone_from(&sms.country);
            s.sms_number_type.clone_from(&sms.number_type);
            s.sms_prefix = sms.prefix.clone().or_else(|| phone_prefix(&sms.phone));
            // No backoff or block recorded means none is in force.
            let remaining = |until: Option<i64>| until.map_or(0, |u| u.saturating_sub(now).max(0));
            s.sms_backoff_remaining_s = Some(remaining(sms.backoff_until));
            s.sms_prefix_blocked_remaining_s = Some(remaining(sms.prefix_blocked_until));
            s.sms_prefix_sent_24h = sms.prefix_sent_24h;
            if let (Some(sent), Some(verified)) = (sms.prefix_sent_24h, sms.prefix_verified_24h) {
                s.sms_prefix_conversion = conversion(sent, verified);
            }
        }
        s
    }
}

/// Seconds (bounded by any realistic clock) as `f64`; the conversion is exact below 2^53.
fn seconds_as_f64(s: i64) -> f64 {
    i32::try_from(s).map_or_else(|_| f64::from(i32::MAX), f64::from)
}

/// A counter as `f64`, saturating at `u32::MAX` (counters never get near it).
fn u64_as_f64(n: u64) -> f64 {
    u32::try_from(n).map_or_else(|_| f64::from(u32::MAX), f64::from)
}

#[cfg(test)]
mod tests;
