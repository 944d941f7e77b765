//! anshin beside webauthn-rs-core 0.5 (OpenSSL), webauthn-rs-core 0.6 (the latest, pure Rust)
//! and the raw `ring` signature check, on identical inputs in one run.
//!
//! Run: `cargo bench -p anshin-benches --bench peers`. Results: `BENCHMARKS.md`.
//!
//! The virtual authenticator of `anshin-conformance` registers a credential with `none`
//! attestation and makes one assertion (`side_by_side::VirtualCeremonies`); the same JSON
//! bytes go to each library, each given the same challenge, and the signed message and
//! signature inside them go to `ring` alone. Every measured routine starts from the JSON bytes
//! the client sent, as a server does: parsing is part of each library's figure.
//!
//! - `auth_<alg>/anshin`: `AuthenticationResponseJson::from_slice` + `finish_authentication`
//!   (anshin's state is consumed, so it is cloned in the setup, outside the measured time).
//! - `auth_<alg>/webauthn_rs_0_5`, `.../webauthn_rs_0_6`: `serde_json::from_slice::
//!   <PublicKeyCredential>` + `authenticate_credential(&response, &state)`.
//! - `auth_<alg>/ring_raw`: the signature check alone on the precomputed message.
//! - `reg_none_<alg>/*`, `reg_packed_self_<alg>/*`: the same for registrations;
//!   `reg_packed_self_<alg>/ring_raw` is the one signature check that packed self attestation
//!   needs (the credential key over `authData ‖ SHA-256(clientDataJSON)`).

use std::hint::black_box;

use anshin_benches::side_by_side::{VirtualCeremonies, VirtualRegistration};
use anshin_benches::{Algorithm, NOW};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use webauthn_core::{AuthenticationResponseJson, RegistrationResponseJson};

#[path = "common/webauthn_rs.rs"]
mod webauthn_rs;
use webauthn_rs::{wrs05, wrs06};

fn checked(alg: Algorithm) -> VirtualCeremonies {
    VirtualCeremonies::new(alg)
        .unwrap_or_else(|e| panic!("building the {} ceremonies: {e}", alg.id()))
}

/// `reg_<kind>_<alg>`: anshin, both webauthn-rs versions and, for packed self, the signature
/// check. Returns the credentials webauthn-rs stored.
fn registration(
    c: &mut Criterion,
    kind: &str,
    alg: Algorithm,
    r: &VirtualRegistration,
) -> (Option<wrs05::Credential>, Option<wrs06::Credential>) {
    let mut group = c.benchmark_group(format!("reg_{kind}_{}", alg.id()));
    group.throughput(Throughput::Elements(1));
    group.bench_function("anshin", |b| {
        b.iter_batched(
            || r.state.clone(),
            |state| {
                let response = RegistrationResponseJson::from_slice(black_box(&r.response_json))?;
                r.rp.finish_registration(state, &response, &r.policy, NOW)
            },
            BatchSize::SmallInput,
        );
    });
    let c05 = wrs05::bench_registration(&mut group, "webauthn_rs_0_5", r);
    let c06 = wrs06::bench_registration(&mut group, "webauthn_rs_0_6", r);
    if let Some((message, signature, key)) = &r.self_signature {
        group.bench_function("ring_raw", |b| {
            b.iter(|| key.verify(black_box(message), black_box(signature)));
        });
    }
    group.finish();
    (c05, c06)
}

/// `auth_<alg>`: anshin, both webauthn-rs versions and the raw signature check.
fn authentication(
    c: &mut Criterion,
    ceremonies: &VirtualCeremonies,
    credentials: (Option<wrs05::Credential>, Option<wrs06::Credential>),
) {
    let a = &ceremonies.authentication;
    let mut group = c.benchmark_group(format!("auth_{}", ceremonies.algorithm.id()));
    group.throughput(Throughput::Elements(1));
    group.bench_function("anshin", |b| {
        b.iter_batched(
            || a.state.clone(),
            |state| {
                let response = AuthenticationResponseJson::from_slice(black_box(&a.response_json))?;
                a.rp.finish_authentication(state, &response, &a.credential, NOW)
            },
            BatchSize::SmallInput,
        );
    });
    wrs05::bench_authentication(&mut group, "webauthn_rs_0_5", credentials.0, ceremonies);
    wrs06::bench_authentication(&mut group, "webauthn_rs_0_6", credentials.1, ceremonies);
    group.bench_function("ring_raw", |b| {
        b.iter(|| {
            a.raw_public_key.verify(
                black_box(&a.signed_message),
                black_box(&a.response.signature),
            )
        });
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    for alg in Algorithm::ALL {
        let ceremonies = checked(alg);
        let credentials = registration(c, "none", alg, &ceremonies.registration_none);
        registration(c, "packed_self", alg, &ceremonies.registration_packed_self);
        authentication(c, &ceremonies, credentials);
    }
}

criterion_group!(peers, benches);
criterion_main!(peers);
