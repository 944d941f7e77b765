//! `evaluate` stories: the facts a server would gather, the decision it gets back.

// Helpers outside #[test] functions unwrap too: a failed fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::path::PathBuf;

use anshin_risk::geo::GeoIp;
use anshin_risk::{
    Action, Counters, CredentialFacts, Decision, DecisionPoint, Facts, LastLogin, Level, Mode,
    Obligation, Policy, SmsFacts, UserFacts, evaluate, signals,
};

const NOW: i64 = 1_767_225_600;
const DAY: i64 = 86_400;
const LONDON: &str = "81.2.69.142";
const MILTON_WA: &str = "216.160.83.56";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn mmdb(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/mmdb")
        .join(name)
}

fn geoip() -> GeoIp {
    GeoIp::open(
        Some(&mmdb("GeoIP2-City-Test.mmdb")),
        Some(&mmdb("GeoLite2-ASN-Test.mmdb")),
        Some(&mmdb("GeoIP2-Anonymous-IP-Test.mmdb")),
    )
    .unwrap()
}

fn quiet_counters() -> Counters {
    Counters {
        user_failures_15m: Some(0),
        ip_failures_10m: Some(0),
        network_failures_10m: Some(0),
        ip_distinct_users_10m: Some(1),
        sms_phone_1h: Some(0),
        sms_phone_24h: Some(0),
        sms_prefix_1h: Some(0),
        sms_ip_1h: Some(0),
        sms_user_24h: Some(0),
    }
}

fn passkey_user() -> UserFacts {
    UserFacts {
        exists: true,
        created_at: Some(NOW - 400 * DAY),
        passkey_count: 2,
        newest_credential_at: Some(NOW - 200 * DAY),
        has_phone: true,
        recovery_by_sms_allowed: false,
    }
}

fn sms_user() -> UserFacts {
    UserFacts {
        passkey_count: 0,
        newest_credential_at: None,
        ..passkey_user()
    }
}

/// A sign-in from `from` by a known device of a passkey user, with a good credential.
fn login(geo: &GeoIp, from: &str) -> Facts {
    let mut facts = Facts::new(DecisionPoint::Login, ip(from));
    facts.request.known_device = Some(true);
    facts.request.user_agent = Some("Mozilla/5.0".into());
    facts.geo = geo.lookup(ip(from));
    facts.user = Some(passkey_user());
    facts.credential = Some(CredentialFacts {
        backup_eligible: true,
        backup_state: true,
        user_verified: true,
        created_at: Some(NOW - 200 * DAY),
        ..CredentialFacts::default()
    });
    facts.counters = quiet_counters();
    facts
}

fn last_login_from(geo: &GeoIp, at: &str, when: i64) -> LastLogin {
    let g = geo.lookup(ip(at)).unwrap();
    LastLogin {
        at: when,
        latitude: g.latitude,
        longitude: g.longitude,
        country: g.country,
        ip: Some(ip(at)),
    }
}

fn sms_send(phone: &str, user: UserFacts) -> Facts {
    let mut facts = Facts::new(DecisionPoint::SmsSend, ip(MILTON_WA));
    facts.user = Some(user);
    facts.counters = quiet_counters();
    facts.sms = Some(SmsFacts {
        phone: phone.into(),
        country: Some("US".into()),
        prefix: signals::phone_prefix(phone),
        number_type: Some("mobile".into()),
        backoff_until: None,
        prefix_sent_24h: Some(200),
        prefix_verified_24h: Some(170),
        prefix_blocked_until: None,
    });
    facts
}

fn codes(d: &Decision) -> Vec<&str> {
    d.reasons.iter().map(|r| r.code.as_str()).collect()
}

#[test]
fn london_then_milton_wa_an_hour_later_steps_up_with_impossible_travel() {
    let policy = Policy::builtin().unwrap();
    let geo = geoip();
    let mut facts = login(&geo, MILTON_WA);
    facts.last_login = Some(last_login_from(&geo, LONDON, NOW - 3600));

    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!(d.action, Action::StepUp, "{d:#?}");
    assert_eq!(d.level, Level::Medium);
    assert_eq!(codes(&d), ["new_country", "impossible_travel"]);
    let travel = d
        .reasons
        .iter()
        .find(|r| r.code == "impossible_travel")
        .unwrap();
    assert_eq!(travel.rule_id, "login.impossible_travel");
    assert_eq!(travel.mode, Mode::Enforce);
    let speed = travel.values["speed_kmh"].as_f64().unwrap();
    assert!((7700.0..7770.0).contains(&speed), "{speed}");
    assert_eq!(travel.values["from"], "GB");
    assert_eq!(travel.values["to"], "US");
    assert_eq!(d.required_acr.as_deref(), Some("phr"));
    assert_eq!(d.max_age, Some(0));
    assert!(d.obligations.contains(&Obligation::NotifyUser));
    assert_eq!(d.policy_version, policy.version());

    // Twelve hours later the same trip is an ordinary flight: only the new country remains.
    facts.last_login = Some(last_login_from(&geo, LONDON, NOW - 12 * 3600));
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!(codes(&d), ["new_country"]);

    // And a sign-in from where the user was last time is allowed.
    facts.last_login = Some(last_login_from(&geo, MILTON_WA, NOW - 3600));
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!((d.action, d.level, d.score), (Action::Allow, Level::Low, 0));
    assert!(
        d.reasons.is_empty() && d.shadow_reasons.is_empty(),
        "{d:#?}"
    );
}

#[test]
fn a_burst_of_failures_from_one_ip_denies_then_recovers() {
    let policy = Policy::builtin().unwrap();
    let geo = geoip();
    let mut facts = login(&geo, MILTON_WA);
    facts.counters.ip_failures_10m = Some(45);
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!((d.action, d.level), (Action::Deny, Level::High));
    assert_eq!(codes(&d), ["ip_failure_burst"]);
    assert_eq!(d.reasons[0].values["failures_10m"], 45);
    assert_eq!(d.required_acr, None);

    // The window slides on; the counter falls below the threshold.
    facts.counters.ip_failures_10m = Some(2);
    let d = evaluate(&policy, &facts, NOW + 600).unwrap();
    assert_eq!(d.action, Action::Allow);
}

#[test]
fn spraying_many_names_from_one_ip_denies() {
    let policy = Policy::builtin().unwrap();
    let mut facts = login(&geoip(), MILTON_WA);
    facts.counters.ip_distinct_users_10m = Some(40);
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!(d.action, Action::Deny);
    assert_eq!(codes(&d), ["password_spray"]);
}

#[test]
fn a_shadow_rule_is_reported_but_does_not_change_the_action() {
    // The shipped policy runs hosting_network in shadow.
    let policy = Policy::builtin().unwrap();
    assert_eq!(policy.rule_mode("login.hosting_network"), Mode::Shadow);
    let mut facts = login(&geoip(), MILTON_WA);
    if let Some(g) = facts.geo.as_mut() {
        g.hosting = Some(true);
    }
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!((d.action, d.level, d.score), (Action::Allow, Level::Low, 0));
    assert!(d.reasons.is_empty());
    assert!(d.has_shadow_reason("hosting_network"));
    assert_eq!(d.shadow_reasons[0].mode, Mode::Shadow);

    // An operator who puts the IP burst rule in shadow sees it fire without denying.
    let dir = std::env::temp_dir().join(format!("anshin-risk-shadow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let mut data = policy.data().clone();
    data["config"]["rules"]["login.ip_failure_burst"]["mode"] = "shadow".into();
    std::fs::write(dir.join("data.json"), data.to_string()).unwrap();
    let shadowed = Policy::from_dir(&dir).unwrap();
    assert_ne!(shadowed.version(), policy.version());
    let mut facts = login(&geoip(), MILTON_WA);
    facts.counters.ip_failures_10m = Some(500);
    let d = evaluate(&shadowed, &facts, NOW).unwrap();
    assert_eq!(d.action, Action::Allow);
    assert!(d.has_shadow_reason("ip_failure_burst"));
    assert_eq!(evaluate(&policy, &facts, NOW).unwrap().action, Action::Deny);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_signal_steps_up_at_login() {
    let policy = Policy::builtin().unwrap();
    let mut facts = login(&geoip(), MILTON_WA);
    facts.counters = Counters::default(); // the ephemeral store is down
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!(d.action, Action::StepUp);
    assert_eq!(codes(&d), ["signal_unavailable"]);
    // Without GeoIP configured nothing is missing that the policy requires.
    let mut facts = login(&geoip(), MILTON_WA);
    facts.geo = None;
    assert_eq!(
        evaluate(&policy, &facts, NOW).unwrap().action,
        Action::Allow
    );
}

#[test]
fn a_passkey_holder_gets_no_sms_but_a_passkey_on_another_device() {
    let policy = Policy::builtin().unwrap();
    let d = evaluate(&policy, &sms_send("+12065550123", passkey_user()), NOW).unwrap();
    assert_eq!(d.action, Action::Deny);
    assert_eq!(codes(&d), ["sms_passkey_holder"]);

    let mut fallback = Facts::new(DecisionPoint::Fallback, ip(MILTON_WA));
    fallback.user = Some(passkey_user());
    fallback.counters = quiet_counters();
    let d = evaluate(&policy, &fallback, NOW).unwrap();
    assert_eq!(d.action, Action::Allow);
    assert_eq!(
        d.allowed_methods,
        ["passkey", "passkey_other_device", "recovery"]
    );

    // An account without a passkey is offered SMS, and asked to enrol one.
    fallback.user = Some(sms_user());
    let d = evaluate(&policy, &fallback, NOW).unwrap();
    assert_eq!(d.allowed_methods, ["sms", "recovery"]);
    assert!(d.obligations.contains(&Obligation::OfferPasskeyEnrollment));
    let d = evaluate(&policy, &sms_send("+12065550123", sms_user()), NOW).unwrap();
    assert_eq!(d.action, Action::Allow, "{d:#?}");
    assert!(d.obligations.contains(&Obligation::BackOff { seconds: 60 }));
}

#[test]
fn a_prefix_with_low_conversion_is_blocked_while_another_still_gets_codes() {
    let policy = Policy::builtin().unwrap();
    // A pumping wave on +1206555…: many sends, almost none verified.
    let mut pumped = sms_send("+12065550123", sms_user());
    if let Some(sms) = pumped.sms.as_mut() {
        sms.prefix_sent_24h = Some(120);
        sms.prefix_verified_24h = Some(3);
    }
    let d = evaluate(&policy, &pumped, NOW).unwrap();
    assert_eq!(d.action, Action::Deny);
    assert_eq!(codes(&d), ["sms_prefix_blocked"]);
    assert!(d.obligations.contains(&Obligation::BlockPrefix {
        prefix: "+1206555".into(),
        seconds: 43_200,
    }));

    // Once blocked, the prefix stays blocked for the 12 hours, whatever its conversion.
    if let Some(sms) = pumped.sms.as_mut() {
        sms.prefix_blocked_until = Some(NOW + 43_200);
        sms.prefix_sent_24h = Some(0);
        sms.prefix_verified_24h = Some(0);
    }
    let d = evaluate(&policy, &pumped, NOW + 3600).unwrap();
    assert_eq!(d.action, Action::Deny);
    assert_eq!(d.reasons[0].rule_id, "sms_send.prefix_blocked");
    assert_eq!(d.reasons[0].values["remaining_s"], 43_200 - 3600);

    // Another prefix converts well and still gets its code.
    let d = evaluate(&policy, &sms_send("+13125550199", sms_user()), NOW).unwrap();
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.level, Level::Low);
}

#[test]
fn the_sms_gate_backs_off_per_number() {
    let policy = Policy::builtin().unwrap();
    let mut facts = sms_send("+13125550199", sms_user());
    facts.counters.sms_phone_24h = Some(2);
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!(d.action, Action::Allow);
    assert!(
        d.obligations
            .contains(&Obligation::BackOff { seconds: 240 })
    );
    // The server stored backoff_until = NOW + 240; a retry 100 s later waits 140 s more.
    if let Some(sms) = facts.sms.as_mut() {
        sms.backoff_until = Some(NOW + 240);
    }
    let d = evaluate(&policy, &facts, NOW + 100).unwrap();
    assert_eq!(d.action, Action::Deny);
    assert_eq!(codes(&d), ["sms_backoff"]);
    assert_eq!(d.obligations, [Obligation::BackOff { seconds: 140 }]);
}

#[test]
fn sms_counters_down_caps_instead_of_blocking() {
    let policy = Policy::builtin().unwrap();
    let mut facts = sms_send("+13125550199", sms_user());
    facts.counters = Counters::default();
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!((d.action, d.level), (Action::Allow, Level::Medium));
    assert_eq!(codes(&d), ["signal_unavailable"]);
    assert!(
        d.obligations
            .contains(&Obligation::LimitSends { per_hour: 2 })
    );
}

#[test]
fn sensitive_action_and_registration_ask_for_a_fresh_passkey() {
    let policy = Policy::builtin().unwrap();
    let geo = geoip();
    let mut facts = login(&geo, MILTON_WA);
    facts.point = DecisionPoint::SensitiveAction("change_email".into());
    facts.request.known_device = Some(false);
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!(d.action, Action::StepUp);
    assert_eq!(d.required_acr.as_deref(), Some("phr"));
    assert_eq!(d.max_age, Some(300));
    assert!(d.obligations.contains(&Obligation::NotifyUser));

    facts.point = DecisionPoint::RegisterCredential;
    facts.user = Some(UserFacts {
        newest_credential_at: Some(NOW - 600),
        ..passkey_user()
    });
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!(d.action, Action::StepUp);
    assert_eq!(codes(&d), ["new_device", "credential_recently_added"]);
    assert!(d.max_age.unwrap() <= 300);
}

#[test]
fn compromise_denies() {
    let policy = Policy::builtin().unwrap();
    let mut facts = login(&geoip(), MILTON_WA);
    if let Some(c) = facts.credential.as_mut() {
        c.counter_regressed = true;
        c.authenticator_status = Some("REVOKED".into());
    }
    let d = evaluate(&policy, &facts, NOW).unwrap();
    assert_eq!((d.action, d.level), (Action::Deny, Level::High));
    assert_eq!(codes(&d), ["counter_regression", "authenticator_status"]);
    assert!(d.obligations.contains(&Obligation::NotifyUser));
}

#[test]
fn decisions_serialise_as_the_api_names_them() {
    let policy = Policy::builtin().unwrap();
    let mut facts = login(&geoip(), MILTON_WA);
    facts.request.known_device = Some(false);
    if let Some(c) = facts.credential.as_mut() {
        c.user_verified = false;
    }
    let d = evaluate(&policy, &facts, NOW).unwrap();
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["action"], "step_up");
    assert_eq!(json["level"], "MEDIUM");
    assert_eq!(json["reasons"][0]["mode"], "enforce");
    assert_eq!(json["reasons"][0]["rule_id"], "login.uv_absent");
    // A new device alone is recorded in shadow mode (synced passkeys move between devices).
    assert_eq!(json["shadow_reasons"][0]["rule_id"], "login.new_device");
    assert_eq!(json["shadow_reasons"][0]["mode"], "shadow");
    let back: Decision = serde_json::from_value(json).unwrap();
    assert_eq!(back, d);

    let obligations =
        serde_json::to_value([Obligation::NotifyUser, Obligation::BackOff { seconds: 60 }])
            .unwrap();
    assert_eq!(
        obligations,
        serde_json::json!([{"type": "notify_user"}, {"type": "back_off", "seconds": 60}])
    );
    let point = serde_json::to_value(DecisionPoint::SensitiveAction("x".into())).unwrap();
    assert_eq!(point, serde_json::json!({"sensitive_action": "x"}));
    assert_eq!(
        serde_json::to_value(DecisionPoint::SmsSend).unwrap(),
        "sms_send"
    );

    // Facts round-trip too (the server stores them with the decision).
    let back: Facts = serde_json::from_value(serde_json::to_value(&facts).unwrap()).unwrap();
    assert_eq!(back, facts);
}

#[test]
fn evaluation_is_safe_from_many_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Policy>();
    let policy = Policy::builtin().unwrap();
    let geo = geoip();
    let mut travel = login(&geo, MILTON_WA);
    travel.last_login = Some(last_login_from(&geo, LONDON, NOW - 3600));
    let expected = evaluate(&policy, &travel, NOW).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..20 {
                    assert_eq!(evaluate(&policy, &travel, NOW).unwrap(), expected);
                }
            });
        }
    });
}
