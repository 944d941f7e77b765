//! Heap allocations per verification, and the size of serialized ceremony states.
//!
//! Run: `cargo bench -p anshin-benches --bench allocations` (prints Markdown tables; results
//! in `BENCHMARKS.md`). Not a criterion bench: the global allocator here counts every
//! allocation, which would also slow the timed benches down, so the counting lives in its
//! own binary. `stats_alloc` wraps the system allocator; this file has no `unsafe` of its own.
//!
//! Each routine runs once to warm up, then [`RUNS`] times inside one counting region, with its
//! inputs (cloned states) prepared before the region opens; the figures are per run. Only this
//! thread allocates while a region is open.

use std::alloc::System;
use std::hint::black_box;

use anshin_benches::side_by_side::{VirtualCeremonies, VirtualRegistration};
use anshin_benches::{Algorithm, NOW};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use webauthn_core::{AuthenticationResponseJson, RegistrationResponseJson};

#[path = "common/webauthn_rs.rs"]
#[allow(
    dead_code,
    reason = "the criterion helpers of the driver are for the peers bench"
)]
mod webauthn_rs;
use webauthn_rs::{wrs05, wrs06};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Runs per measurement.
const RUNS: usize = 100;

/// Allocations per run, bytes allocated per run.
struct PerRun {
    allocations: f64,
    bytes: f64,
}

/// Counts what `routine` allocates over [`RUNS`] calls, each given one of `inputs`, after
/// checking that it succeeds (an error path would be counted otherwise).
fn count<I, O, E: std::fmt::Debug>(
    mut inputs: impl FnMut() -> I,
    mut routine: impl FnMut(I) -> Result<O, E>,
) -> PerRun {
    if let Err(e) = routine(inputs()) {
        panic!("the routine fails, so its allocations would be an error path's: {e:?}");
    }
    let prepared: Vec<I> = (0..RUNS).map(|_| inputs()).collect();
    let mut outputs = Vec::with_capacity(RUNS);
    let region = Region::new(GLOBAL);
    for input in prepared {
        outputs.push(routine(black_box(input)));
    }
    let change = region.change();
    drop(black_box(outputs));
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let per = |n: usize| n as f64 / RUNS as f64;
    PerRun {
        allocations: per(change.allocations + change.reallocations),
        bytes: per(change.bytes_allocated + change.bytes_reallocated.max(0).unsigned_abs()),
    }
}

fn row(name: &str, alg: Algorithm, p: &PerRun) {
    println!(
        "| `{name}` | {} | {:.1} | {:.0} |",
        alg.id(),
        p.allocations,
        p.bytes
    );
}

fn registrations(alg: Algorithm, kind: &str, r: &VirtualRegistration) {
    let anshin = count(
        || r.state.clone(),
        |state| {
            let response = RegistrationResponseJson::from_slice(&r.response_json)?;
            r.rp.finish_registration(state, &response, &r.policy, NOW)
        },
    );
    row(&format!("reg_{kind}/anshin"), alg, &anshin);
    let core = wrs05::core();
    let state = wrs05::registration_state(&core, r);
    let p = count(|| (), |()| wrs05::register(&core, &state, &r.response_json));
    row(&format!("reg_{kind}/webauthn_rs_0_5"), alg, &p);
    let core = wrs06::core();
    let state = wrs06::registration_state(&core, r);
    if wrs06::register(&core, &state, &r.response_json).is_ok() {
        let p = count(|| (), |()| wrs06::register(&core, &state, &r.response_json));
        row(&format!("reg_{kind}/webauthn_rs_0_6"), alg, &p);
    }
}

fn authentications(alg: Algorithm, c: &VirtualCeremonies) {
    let a = &c.authentication;
    let p = count(
        || a.state.clone(),
        |state| {
            let response = AuthenticationResponseJson::from_slice(&a.response_json)?;
            a.rp.finish_authentication(state, &response, &a.credential, NOW)
        },
    );
    row("auth/anshin (parse + finish)", alg, &p);
    let p = count(
        || (),
        |()| AuthenticationResponseJson::from_slice(&a.response_json),
    );
    row("auth/anshin parse only", alg, &p);
    let parsed = AuthenticationResponseJson::from_slice(&a.response_json)
        .unwrap_or_else(|e| panic!("parsing the assertion: {e}"));
    let p = count(
        || a.state.clone(),
        |state| {
            a.rp.finish_authentication(state, &parsed, &a.credential, NOW)
        },
    );
    row("auth/anshin finish only", alg, &p);

    let r = &c.registration_none;
    let core05 = wrs05::core();
    let credential05 = wrs05::register(
        &core05,
        &wrs05::registration_state(&core05, r),
        &r.response_json,
    )
    .unwrap_or_else(|e| panic!("webauthn-rs 0.5 registration: {e}"));
    let state = wrs05::authentication_state(&core05, credential05, &a.challenge);
    let p = count(
        || (),
        |()| wrs05::authenticate(&core05, &state, &a.response_json),
    );
    row("auth/webauthn_rs_0_5", alg, &p);
    let core06 = wrs06::core();
    // webauthn-rs 0.6 refuses Ed25519 credentials at registration.
    if let Ok(credential06) = wrs06::register(
        &core06,
        &wrs06::registration_state(&core06, r),
        &r.response_json,
    ) {
        let state = wrs06::authentication_state(&core06, credential06, &a.challenge);
        let p = count(
            || (),
            |()| wrs06::authenticate(&core06, &state, &a.response_json),
        );
        row("auth/webauthn_rs_0_6", alg, &p);
    }
    let p = count(
        || (),
        |()| {
            a.raw_public_key
                .verify(&a.signed_message, &a.response.signature)
        },
    );
    row("auth/ring_raw", alg, &p);
}

fn json_len<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_vec(value)
        .unwrap_or_else(|e| panic!("serializing a state: {e}"))
        .len()
}

/// Serialized sizes of the ceremony states, in bytes.
fn state_sizes(c: &VirtualCeremonies) {
    let r = &c.registration_none;
    let a = &c.authentication;
    println!("| state | JSON bytes |");
    println!("|---|---:|");
    println!("| anshin `RegistrationState` | {} |", json_len(&r.state));
    println!(
        "| anshin `AuthenticationState` (one allowed credential) | {} |",
        json_len(&a.state)
    );
    let core05 = wrs05::core();
    let credential05 = wrs05::register(
        &core05,
        &wrs05::registration_state(&core05, r),
        &r.response_json,
    )
    .unwrap_or_else(|e| panic!("webauthn-rs 0.5 registration: {e}"));
    println!(
        "| webauthn-rs 0.5 `RegistrationState` | {} |",
        json_len(&wrs05::registration_state(&core05, r))
    );
    println!(
        "| webauthn-rs 0.5 `AuthenticationState` (one credential) | {} |",
        json_len(&wrs05::authentication_state(
            &core05,
            credential05,
            &a.challenge
        ))
    );
    let core06 = wrs06::core();
    let credential06 = wrs06::register(
        &core06,
        &wrs06::registration_state(&core06, r),
        &r.response_json,
    )
    .unwrap_or_else(|e| panic!("webauthn-rs 0.6 registration: {e}"));
    println!(
        "| webauthn-rs 0.6 `RegistrationState` | {} |",
        json_len(&wrs06::registration_state(&core06, r))
    );
    println!(
        "| webauthn-rs 0.6 `AuthenticationState` (one credential) | {} |",
        json_len(&wrs06::authentication_state(
            &core06,
            credential06,
            &a.challenge
        ))
    );
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent; only measure on
    // `cargo bench`, which passes `--bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let all: Vec<VirtualCeremonies> = Algorithm::ALL
        .into_iter()
        .map(|alg| {
            VirtualCeremonies::new(alg)
                .unwrap_or_else(|e| panic!("building the {} ceremonies: {e}", alg.id()))
        })
        .collect();
    println!("| routine | alg | allocations per run | bytes allocated per run |");
    println!("|---|---|---:|---:|");
    for c in &all {
        authentications(c.algorithm, c);
    }
    for c in &all {
        registrations(c.algorithm, "none", &c.registration_none);
        registrations(c.algorithm, "packed_self", &c.registration_packed_self);
    }
    println!();
    if let Some(c) = all.first() {
        state_sizes(c);
    }
}
