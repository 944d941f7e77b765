//! webauthn-core ceremonies, beside the raw `ring` signature check they contain.
//!
//! Run: `cargo bench -p anshin-benches --bench core`. Results and how to read them:
//! `BENCHMARKS.md` at the repository root.
//!
//! `finish_*` consumes its state, so every ceremony bench clones the state in the setup of
//! `iter_batched`, outside the measured time; the measured routine is exactly the named call.
//! Every fixture is finished once before measuring, so that no bench times an error path.

use std::hint::black_box;

use anshin_benches::{
    Algorithm, AuthenticationFixture, NOW, RawPublicKey, RecordedRegistration, RegistrationFixture,
    allowed,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ring::signature::{self as rs, UnparsedPublicKey};
use webauthn_core::authenticator_data::AuthenticatorData;
use webauthn_core::client_data::CollectedClientData;
use webauthn_core::{
    AuthenticationOptions, AuthenticationResponseJson, CredentialPublicKey, CredentialRecord,
    RegistrationOptions, RegistrationResponseJson, SystemRandom, UnixTime,
};

/// Builds and checks a fixture, or stops the run: a bench of a broken fixture would time an
/// error path. Panicking is how a criterion setup reports failure.
fn checked_authentication(alg: Algorithm) -> AuthenticationFixture {
    let fixture = AuthenticationFixture::new(alg)
        .unwrap_or_else(|e| panic!("building the {} authentication fixture: {e}", alg.id()));
    if let Err(e) = fixture.verify_once() {
        panic!(
            "the {} authentication fixture does not verify: {e}",
            alg.id()
        );
    }
    fixture
}

/// As [`checked_authentication`], for registration.
fn checked_registration(alg: Algorithm) -> RegistrationFixture {
    let fixture = RegistrationFixture::new(alg)
        .unwrap_or_else(|e| panic!("building the {} registration fixture: {e}", alg.id()));
    if let Err(e) = fixture.verify_once() {
        panic!("the {} registration fixture does not verify: {e}", alg.id());
    }
    fixture
}

/// `authentication/<alg>`: parsing the client's JSON, `finish_authentication` on the parsed
/// response, and both together.
fn authentication(c: &mut Criterion, f: &AuthenticationFixture, alg: Algorithm) {
    let mut group = c.benchmark_group(format!("authentication/{}", alg.id()));
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_response_json", |b| {
        b.iter(|| AuthenticationResponseJson::from_slice(black_box(&f.response_json)));
    });
    group.bench_function("finish_authentication", |b| {
        b.iter_batched(
            || f.state.clone(),
            |state| {
                f.rp.finish_authentication(state, black_box(&f.response), &f.credential, NOW)
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("parse_and_finish", |b| {
        b.iter_batched(
            || f.state.clone(),
            |state| {
                let response = AuthenticationResponseJson::from_slice(black_box(&f.response_json))?;
                f.rp.finish_authentication(state, &response, &f.credential, NOW)
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// `ring_raw/*`: the signature check alone, with the exact message and signature of the
/// authentication fixture, called the way `webauthn-core` calls `ring`.
fn ring_raw(c: &mut Criterion, fixtures: &[(Algorithm, AuthenticationFixture)]) {
    let mut group = c.benchmark_group("ring_raw");
    group.throughput(Throughput::Elements(1));
    for (_, f) in fixtures {
        let (msg, sig) = (&f.signed_message, &f.signature);
        match &f.raw_public_key {
            RawPublicKey::EcdsaP256(point) => {
                group.bench_function("ecdsa_p256_sha256_verify", |b| {
                    b.iter(|| {
                        UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_ASN1, black_box(point))
                            .verify(black_box(msg), black_box(sig))
                    });
                });
            }
            RawPublicKey::Ed25519(key) => {
                group.bench_function("ed25519_verify", |b| {
                    b.iter(|| {
                        UnparsedPublicKey::new(&rs::ED25519, black_box(key))
                            .verify(black_box(msg), black_box(sig))
                    });
                });
            }
            RawPublicKey::Rsa { n, e } => {
                group.bench_function("rsa_pkcs1_2048_sha256_verify", |b| {
                    b.iter(|| {
                        rs::RsaPublicKeyComponents {
                            n: black_box(n),
                            e: black_box(e),
                        }
                        .verify(
                            &rs::RSA_PKCS1_2048_8192_SHA256,
                            black_box(msg),
                            black_box(sig),
                        )
                    });
                });
            }
        }
    }
    group.finish();
}

/// `registration/none_<alg>`: as [`authentication`], for a registration with `none`
/// attestation (no signature to check: the cost is parsing and the key's validation).
fn registration(c: &mut Criterion, f: &RegistrationFixture, alg: Algorithm) {
    let mut group = c.benchmark_group(format!("registration/none_{}", alg.id()));
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_response_json", |b| {
        b.iter(|| RegistrationResponseJson::from_slice(black_box(&f.response_json)));
    });
    group.bench_function("finish_registration", |b| {
        b.iter_batched(
            || f.state.clone(),
            |state| {
                f.rp.finish_registration(state, black_box(&f.response), &f.policy, NOW)
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("parse_and_finish", |b| {
        b.iter_batched(
            || f.state.clone(),
            |state| {
                let response = RegistrationResponseJson::from_slice(black_box(&f.response_json))?;
                f.rp.finish_registration(state, &response, &f.policy, NOW)
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// Recorded registrations with attestation certificates, from `conformance/vectors/`:
/// `(bench id, vector file, vector id, time)`.
const RECORDED: [(&str, &str, &str, UnixTime); 3] = [
    // W3C "packed" with an x5c chain to the W3C test root: signature, §8.2.1 certificate
    // requirements and the certificate path to the anchor.
    (
        "packed_x5c_es256",
        "w3c.json",
        "w3c-packed-es256-reg",
        UnixTime::from_secs(1_800_000_000),
    ),
    // W3C "tpm" (ECC AIK) with a chain to the same root.
    (
        "tpm_es256",
        "w3c.json",
        "w3c-tpm-es256-reg",
        UnixTime::from_secs(1_800_000_000),
    ),
    // A real Windows Hello TPM (RSA AIK, RS1 attestation signature, RS256 credential) whose
    // path is validated to the built-in Microsoft TPM root, at a time its certificates were valid.
    (
        "tpm_rs256_windows_hello",
        "simplewebauthn.json",
        "swa-reg-tpm-san-compliant",
        UnixTime::from_secs(1_742_428_842),
    ),
];

/// `registration/<recorded id>/finish_registration`: a recorded registration with an
/// attestation certificate path, parsed once; the state is cloned in the setup.
fn recorded_registrations(c: &mut Criterion) {
    for (bench, file, id, now) in RECORDED {
        let f = RecordedRegistration::load(file, id, now)
            .and_then(|f| f.verify_once().map(|_| f))
            .unwrap_or_else(|e| panic!("recorded registration {id}: {e}"));
        let mut group = c.benchmark_group(format!("registration/{bench}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("finish_registration", |b| {
            b.iter_batched(
                || f.state.clone(),
                |state| {
                    f.rp.finish_registration(state, black_box(&f.response), &f.policy, f.now)
                },
                BatchSize::SmallInput,
            );
        });
        group.finish();
    }
}

/// Options for an authentication by a user identified beforehand, with `credential` allowed.
fn options_for(credential: &CredentialRecord) -> AuthenticationOptions {
    AuthenticationOptions {
        user: Some(credential.user_handle.clone()),
        allow_credentials: vec![allowed(credential)],
        ..AuthenticationOptions::default()
    }
}

/// `start/*`: the options and state a ceremony starts with, with a fresh random challenge
/// from the system RNG (the fixtures' fixed challenge is not used here).
fn start(c: &mut Criterion, auth: &AuthenticationFixture, reg: &RegistrationFixture) {
    let rng = SystemRandom::new();
    let mut group = c.benchmark_group("start");
    group.throughput(Throughput::Elements(1));
    group.bench_function("start_authentication", |b| {
        b.iter_batched(
            || options_for(&auth.credential),
            |options| auth.rp.start_authentication(options, NOW, &rng),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("start_registration", |b| {
        b.iter_batched(
            || (reg.state.user().clone(), RegistrationOptions::default()),
            |(user, options)| reg.rp.start_registration(user, options, NOW, &rng),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// `parts/es256`: the steps of `finish_authentication` that are public on their own, to see
/// where the time above the signature check goes.
fn parts(c: &mut Criterion, f: &AuthenticationFixture) {
    let r = &f.response.response;
    let cose = f.credential.public_key.as_cose();
    let record_json = serde_json::to_vec(&f.credential)
        .unwrap_or_else(|e| panic!("serializing the credential record: {e}"));
    let mut group = c.benchmark_group("parts/es256");
    group.throughput(Throughput::Elements(1));
    group.bench_function("client_data_parse", |b| {
        b.iter(|| CollectedClientData::parse(black_box(&r.client_data_json)));
    });
    group.bench_function("authenticator_data_parse", |b| {
        b.iter(|| AuthenticatorData::parse(black_box(&r.authenticator_data)).map(|d| d.flags));
    });
    group.bench_function("state_clone", |b| b.iter(|| black_box(&f.state).clone()));
    group.bench_function("cose_key_from_cose", |b| {
        b.iter(|| CredentialPublicKey::from_cose(black_box(cose)));
    });
    group.bench_function("credential_record_from_json", |b| {
        b.iter(|| serde_json::from_slice::<CredentialRecord>(black_box(&record_json)));
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let auth: Vec<(Algorithm, AuthenticationFixture)> = Algorithm::ALL
        .into_iter()
        .map(|alg| (alg, checked_authentication(alg)))
        .collect();
    for (alg, f) in &auth {
        authentication(c, f, *alg);
    }
    ring_raw(c, &auth);
    let reg: Vec<(Algorithm, RegistrationFixture)> = Algorithm::ALL
        .into_iter()
        .map(|alg| (alg, checked_registration(alg)))
        .collect();
    for (alg, f) in &reg {
        registration(c, f, *alg);
    }
    let es256_auth = auth.iter().find(|(alg, _)| *alg == Algorithm::Es256);
    let es256_reg = reg.iter().find(|(alg, _)| *alg == Algorithm::Es256);
    if let (Some((_, es256_auth)), Some((_, es256_reg))) = (es256_auth, es256_reg) {
        start(c, es256_auth, es256_reg);
        parts(c, es256_auth);
    }
    recorded_registrations(c);
}

criterion_group!(core, benches);
criterion_main!(core);
