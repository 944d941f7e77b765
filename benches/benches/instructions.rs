//! Runs one routine of the `peers` bench a given number of times, for instruction counts
//! that do not depend on the machine's load.
//!
//! ```sh
//! cargo bench -p anshin-benches --bench instructions --no-run   # prints the binary's path
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/instructions-<hash> --bench auth_es256/anshin 0
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/instructions-<hash> --bench auth_es256/anshin 200
//! ```
//!
//! The difference of the two totals ("Collected"), divided by the second count, is the
//! routine's instructions per call: the setup (keys, ceremonies, the libraries' states) is the
//! same in both runs and cancels out. `benches/instructions.sh` does this for every routine.
//! Without arguments (as under `cargo test --benches`) it does nothing.

use std::hint::black_box;

use anshin_benches::side_by_side::{SignatureCheck, VirtualCeremonies, VirtualRegistration};
use anshin_benches::{Algorithm, NOW, RecordedRegistration};
use webauthn_core::{AuthenticationResponseJson, RegistrationResponseJson, UnixTime};

#[path = "common/webauthn_rs.rs"]
#[allow(
    dead_code,
    reason = "the criterion helpers of the driver are for the peers bench"
)]
mod webauthn_rs;
use webauthn_rs::{wrs05, wrs06};

/// Runs `routine` `n` times on inputs prepared beforehand; stops at the first failure, which
/// would make the count an error path's.
fn repeat<I, O, E: std::fmt::Debug>(
    n: usize,
    mut input: impl FnMut() -> I,
    mut routine: impl FnMut(I) -> Result<O, E>,
) {
    let inputs: Vec<I> = (0..n).map(|_| input()).collect();
    for i in inputs {
        if let Err(e) = black_box(routine(black_box(i))) {
            panic!("the routine fails: {e:?}");
        }
    }
}

fn registration(library: &str, r: &VirtualRegistration, n: usize) {
    match library {
        "anshin" => repeat(
            n,
            || r.state.clone(),
            |state| {
                let response = RegistrationResponseJson::from_slice(&r.response_json)?;
                r.rp.finish_registration(state, &response, &r.policy, NOW)
            },
        ),
        "webauthn_rs_0_5" => {
            let core = wrs05::core();
            let state = wrs05::registration_state(&core, r);
            repeat(
                n,
                || (),
                |()| wrs05::register(&core, &state, &r.response_json),
            );
        }
        "webauthn_rs_0_6" => {
            let core = wrs06::core();
            let state = wrs06::registration_state(&core, r);
            repeat(
                n,
                || (),
                |()| wrs06::register(&core, &state, &r.response_json),
            );
        }
        "ring_raw" => {
            let Some((message, signature, key)) = &r.self_signature else {
                panic!("no signature in this registration");
            };
            repeat(n, || (), |()| key.verify(message, signature));
        }
        other => panic!("unknown routine {other}"),
    }
}

fn authentication(library: &str, c: &VirtualCeremonies, n: usize) {
    let a = &c.authentication;
    let r = &c.registration_none;
    match library {
        "anshin" => repeat(
            n,
            || a.state.clone(),
            |state| {
                let response = AuthenticationResponseJson::from_slice(&a.response_json)?;
                a.rp.finish_authentication(state, &response, &a.credential, NOW)
            },
        ),
        "anshin_finish_only" => {
            let parsed = AuthenticationResponseJson::from_slice(&a.response_json)
                .unwrap_or_else(|e| panic!("parsing: {e}"));
            repeat(
                n,
                || a.state.clone(),
                |state| {
                    a.rp.finish_authentication(state, &parsed, &a.credential, NOW)
                },
            );
        }
        "webauthn_rs_0_5" => {
            let core = wrs05::core();
            let credential = wrs05::register(
                &core,
                &wrs05::registration_state(&core, r),
                &r.response_json,
            )
            .unwrap_or_else(|e| panic!("registration: {e}"));
            let state = wrs05::authentication_state(&core, credential, &a.challenge);
            repeat(
                n,
                || (),
                |()| wrs05::authenticate(&core, &state, &a.response_json),
            );
        }
        "webauthn_rs_0_6" => {
            let core = wrs06::core();
            let credential = wrs06::register(
                &core,
                &wrs06::registration_state(&core, r),
                &r.response_json,
            )
            .unwrap_or_else(|e| panic!("registration: {e}"));
            let state = wrs06::authentication_state(&core, credential, &a.challenge);
            repeat(
                n,
                || (),
                |()| wrs06::authenticate(&core, &state, &a.response_json),
            );
        }
        "ring_raw" => repeat(
            n,
            || (),
            |()| {
                a.raw_public_key
                    .verify(&a.signed_message, &a.response.signature)
            },
        ),
        other => panic!("unknown routine {other}"),
    }
}

/// `reg_packed_x5c_es256`: the W3C packed vector with an x5c path to the W3C test root
/// (`anshin`: JSON to verdict, the path validated at the vector's time), against the sum of
/// its signature checks (`ring_raw`: the attestation signature and the leaf certificate's).
fn packed_x5c(library: &str, n: usize) {
    let r = RecordedRegistration::load(
        "w3c.json",
        "w3c-packed-es256-reg",
        UnixTime::from_secs(1_800_000_000),
    )
    .unwrap_or_else(|e| panic!("loading the vector: {e}"));
    match library {
        "anshin" => repeat(
            n,
            || r.state.clone(),
            |state| {
                let response = RegistrationResponseJson::from_slice(&r.response_json)?;
                r.rp.finish_registration(state, &response, &r.policy, r.now)
            },
        ),
        "ring_raw" => {
            let checks = r
                .signature_checks()
                .unwrap_or_else(|e| panic!("the vector's signatures: {e}"));
            repeat(
                n,
                || (),
                |()| checks.iter().try_for_each(SignatureCheck::verify),
            );
        }
        other => panic!("unknown routine {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    let (Some(routine), Some(n)) = (args.get(1), args.get(2)) else {
        return;
    };
    let n: usize = n.parse().unwrap_or_else(|e| panic!("the count {n:?}: {e}"));
    let Some((group, library)) = routine.split_once('/') else {
        panic!("a routine is GROUP/LIBRARY, as in the peers bench: auth_es256/anshin");
    };
    let Some((kind, alg)) = group.rsplit_once('_') else {
        panic!("unknown group {group}");
    };
    let Some(alg) = Algorithm::ALL.into_iter().find(|a| a.id() == alg) else {
        panic!("unknown algorithm {alg}");
    };
    if kind == "reg_packed_x5c" {
        packed_x5c(library, n);
        return;
    }
    let c = VirtualCeremonies::new(alg).unwrap_or_else(|e| panic!("building the ceremonies: {e}"));
    match kind {
        "auth" => authentication(library, &c, n),
        "reg_none" => registration(library, &c.registration_none, n),
        "reg_packed_self" => registration(library, &c.registration_packed_self, n),
        other => panic!("unknown group {other}"),
    }
}
