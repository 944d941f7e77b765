//! The same driver for both webauthn-rs-core versions (0.5 with OpenSSL, and the latest),
//! whose APIs agree on everything used here; shared by the `peers` and `allocations` benches.

use std::hint::black_box;
use std::time::Duration;

use anshin_benches::side_by_side::{RP_NAME, USER_NAME, VirtualCeremonies, VirtualRegistration};
use anshin_benches::{ORIGIN, RP_ID};
use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;

macro_rules! webauthn_rs {
    ($vis:vis $module:ident, $krate:ident) => {
        $vis mod $module {
            use super::*;
            use $krate::WebauthnCore;
            pub(crate) use $krate::proto::Credential;
            use $krate::proto::{
                AttestationConveyancePreference, AuthenticationState, COSEAlgorithm,
                PublicKeyCredential, RegisterPublicKeyCredential, RegistrationState,
                UserVerificationPolicy,
            };

            /// A relying party configured as anshin's: RP ID, origin, the three algorithms,
            /// user verification preferred.
            pub(crate) fn core() -> WebauthnCore {
                let origin = url::Url::parse(ORIGIN)
                    .unwrap_or_else(|e| panic!("parsing the origin: {e}"));
                WebauthnCore::new_unsafe_experts_only(
                    RP_NAME,
                    RP_ID,
                    vec![origin],
                    Duration::from_secs(300),
                    None,
                    None,
                )
            }

            /// Replaces the random challenge of a state with the fixture's, through its serde
            /// form.
            fn with_challenge<T: serde::Serialize + serde::de::DeserializeOwned>(
                state: &T,
                challenge: &[u8],
            ) -> T {
                let mut value = serde_json::to_value(state)
                    .unwrap_or_else(|e| panic!("serializing a webauthn-rs state: {e}"));
                value["challenge"] =
                    serde_json::Value::String(webauthn_core::base64url::encode(challenge));
                serde_json::from_value(value)
                    .unwrap_or_else(|e| panic!("restoring a webauthn-rs state: {e}"))
            }

            /// The registration state for `registration`'s user and challenge.
            pub(crate) fn registration_state(
                core: &WebauthnCore,
                registration: &VirtualRegistration,
            ) -> RegistrationState {
                let builder = core
                    .new_challenge_register_builder(&registration.user_handle, USER_NAME, "Alice")
                    .map(|b| {
                        b.attestation(AttestationConveyancePreference::Direct)
                            .user_verification_policy(UserVerificationPolicy::Preferred)
                            .credential_algorithms(vec![
                                COSEAlgorithm::ES256,
                                COSEAlgorithm::EDDSA,
                                COSEAlgorithm::RS256,
                            ])
                    })
                    .unwrap_or_else(|e| panic!("webauthn-rs register builder: {e:?}"));
                let (_, state) = core
                    .generate_challenge_register(builder)
                    .unwrap_or_else(|e| panic!("webauthn-rs registration start: {e:?}"));
                with_challenge(&state, &registration.challenge)
            }

            /// What a server does with the body: parse, then verify.
            pub(crate) fn register(
                core: &WebauthnCore,
                state: &RegistrationState,
                json: &[u8],
            ) -> Result<Credential, String> {
                let response: RegisterPublicKeyCredential =
                    serde_json::from_slice(json).map_err(|e| e.to_string())?;
                core.register_credential(&response, state, None)
                    .map_err(|e| format!("{e:?}"))
            }

            /// The authentication state for `credential` and `challenge`.
            pub(crate) fn authentication_state(
                core: &WebauthnCore,
                credential: Credential,
                challenge: &[u8],
            ) -> AuthenticationState {
                let builder = core
                    .new_challenge_authenticate_builder(
                        vec![credential],
                        Some(UserVerificationPolicy::Preferred),
                    )
                    .unwrap_or_else(|e| panic!("webauthn-rs authenticate builder: {e:?}"));
                let (_, state) = core
                    .generate_challenge_authenticate(builder)
                    .unwrap_or_else(|e| panic!("webauthn-rs authentication start: {e:?}"));
                with_challenge(&state, challenge)
            }

            /// Parse, then verify.
            pub(crate) fn authenticate(
                core: &WebauthnCore,
                state: &AuthenticationState,
                json: &[u8],
            ) -> Result<$krate::proto::AuthenticationResult, String> {
                let response: PublicKeyCredential =
                    serde_json::from_slice(json).map_err(|e| e.to_string())?;
                core.authenticate_credential(&response, state)
                    .map_err(|e| format!("{e:?}"))
            }

            /// Adds `<library>` benches for a registration to `group` when webauthn-rs
            /// accepts it, and returns the credential it stored; `None` (and a note on stderr)
            /// when it refuses, as webauthn-rs 0.6 does Ed25519 keys.
            pub(crate) fn bench_registration(
                group: &mut BenchmarkGroup<'_, WallTime>,
                name: &str,
                registration: &VirtualRegistration,
            ) -> Option<Credential> {
                let core = core();
                let state = registration_state(&core, registration);
                let json = &registration.response_json;
                let credential = match register(&core, &state, json) {
                    Ok(credential) => credential,
                    Err(e) => {
                        eprintln!("{name} refuses this registration ({e}): not measured");
                        return None;
                    }
                };
                group.bench_function(name, |b| {
                    b.iter(|| register(&core, &state, black_box(json)));
                });
                Some(credential)
            }

            /// Adds `<library>` benches for the assertion to `group`, after checking that
            /// webauthn-rs accepts it.
            pub(crate) fn bench_authentication(
                group: &mut BenchmarkGroup<'_, WallTime>,
                name: &str,
                credential: Option<Credential>,
                c: &VirtualCeremonies,
            ) {
                let Some(credential) = credential else {
                    return;
                };
                let core = core();
                let state = authentication_state(&core, credential, &c.authentication.challenge);
                let json = &c.authentication.response_json;
                authenticate(&core, &state, json)
                    .unwrap_or_else(|e| panic!("{name} refused the assertion: {e}"));
                group.bench_function(name, |b| {
                    b.iter(|| authenticate(&core, &state, black_box(json)));
                });
            }
        }
    };
}

webauthn_rs!(pub(crate) wrs05, webauthn_rs_core);
webauthn_rs!(pub(crate) wrs06, webauthn_rs_core_latest);
