//! `anshin_risk::evaluate` per decision point, under the shipped policy.
//!
//! Run: `cargo bench -p anshin-benches --bench risk`. Each point is evaluated with the facts a
//! server would gather for an ordinary request plus one anomaly, so the rules, the signals and
//! the decision document are all exercised. The engine is the calling thread's cached clone
//! of the policy, as in the server; `policy_builtin` is what loading the policy costs once.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use anshin_risk::{
    Counters, CredentialFacts, DecisionPoint, Facts, GeoFacts, LastLogin, Policy, SmsFacts,
    UserFacts, evaluate,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const NOW: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

fn facts(point: DecisionPoint) -> Facts {
    let mut facts = Facts::new(point, IpAddr::V4(Ipv4Addr::new(216, 160, 83, 56)));
    facts.request.known_device = Some(true);
    facts.geo = Some(GeoFacts {
        country: Some("US".into()),
        city: Some("Milton".into()),
        latitude: Some(47.2513),
        longitude: Some(-122.3149),
        accuracy_km: Some(22),
        asn: Some(209),
        anonymous: Some(false),
        anonymous_vpn: Some(false),
        hosting: Some(false),
        tor: Some(false),
        ..GeoFacts::default()
    });
    // London an hour ago: impossible travel and a new country.
    facts.last_login = Some(LastLogin {
        at: NOW - 3600,
        latitude: Some(51.5142),
        longitude: Some(-0.0931),
        country: Some("GB".into()),
        ip: Some(IpAddr::V4(Ipv4Addr::new(81, 2, 69, 142))),
    });
    facts.user = Some(UserFacts {
        exists: true,
        created_at: Some(NOW - 400 * DAY),
        passkey_count: 0,
        newest_credential_at: None,
        has_phone: true,
        recovery_by_sms_allowed: false,
    });
    facts.credential = Some(CredentialFacts {
        backup_eligible: true,
        backup_state: true,
        user_verified: true,
        created_at: Some(NOW - 200 * DAY),
        ..CredentialFacts::default()
    });
    facts.counters = Counters {
        user_failures_15m: Some(1),
        ip_failures_10m: Some(2),
        network_failures_10m: Some(2),
        ip_distinct_users_10m: Some(1),
        sms_phone_1h: Some(0),
        sms_phone_24h: Some(1),
        sms_prefix_1h: Some(4),
        sms_ip_1h: Some(0),
        sms_user_24h: Some(1),
    };
    facts.sms = Some(SmsFacts {
        phone: "+12065550123".into(),
        country: Some("US".into()),
        prefix: Some("+1206555".into()),
        number_type: Some("mobile".into()),
        backoff_until: None,
        prefix_sent_24h: Some(200),
        prefix_verified_24h: Some(170),
        prefix_blocked_until: None,
    });
    facts
}

fn bench_evaluate(c: &mut Criterion) {
    let policy = match Policy::builtin() {
        Ok(p) => p,
        Err(e) => panic!("the shipped policy does not load: {e}"),
    };
    let mut group = c.benchmark_group("risk_evaluate");
    group.throughput(Throughput::Elements(1));
    for point in DecisionPoint::all("change_email") {
        let facts = facts(point);
        if let Err(e) = evaluate(&policy, &facts, NOW) {
            panic!("evaluating {}: {e}", facts.point.package());
        }
        group.bench_function(facts.point.package(), |b| {
            b.iter(|| evaluate(&policy, black_box(&facts), black_box(NOW)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("risk_policy");
    group.sample_size(20);
    group.bench_function("policy_builtin", |b| b.iter(Policy::builtin));
    group.finish();
}

criterion_group!(benches, bench_evaluate);
criterion_main!(benches);
