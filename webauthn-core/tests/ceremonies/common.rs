//! A minimal software authenticator and client for the ceremony tests: it builds authenticator
//! data, attestation objects and client data by hand (so each test can break exactly one
//! thing) and signs with `ring`.

use ring::rand::SystemRandom as RingRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};
use webauthn_core::base64url;
use webauthn_core::json::{RequestOptionsJson, UserVerificationRequirement};
use webauthn_core::{
    AuthenticationOptions, AuthenticationResponseJson, AuthenticationState, CreationOptionsJson,
    CredentialRecord, RegistrationOptions, RegistrationResponseJson, RegistrationState,
    RelyingParty, SystemRandom, UnixTime, UserEntity, UserHandle, VerifiedRegistration,
};

pub(crate) const RP_ID: &str = "example.org";
pub(crate) const ORIGIN: &str = "https://example.org";
pub(crate) const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);

pub(crate) const UP: u8 = 0x01;
pub(crate) const UV: u8 = 0x04;
pub(crate) const BE: u8 = 0x08;
pub(crate) const BS: u8 = 0x10;
pub(crate) const AT: u8 = 0x40;
pub(crate) const ED: u8 = 0x80;

pub(crate) fn rp() -> RelyingParty {
    RelyingParty::builder(RP_ID, "Example")
        .origin(ORIGIN)
        .origin("android:apk-key-hash:-sYXRdwJA3hvue3mKpYrOZ9zSPC7b4mbgzJmdZEDO5w")
        .build()
        .unwrap()
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    d.as_ref().try_into().unwrap()
}

// --- a tiny CBOR encoder -------------------------------------------------------------------

pub(crate) fn cbor_head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    if let Ok(small @ 0..=23) = u8::try_from(n) {
        return vec![m | small];
    }
    let (info, bytes) = match n {
        0..=0xff => (24, 1),
        0x100..=0xffff => (25, 2),
        0x1_0000..=0xffff_ffff => (26, 4),
        _ => (27, 8),
    };
    let mut v = vec![m | info];
    v.extend_from_slice(&n.to_be_bytes()[8 - bytes..]);
    v
}

fn len(n: usize) -> u64 {
    u64::try_from(n).unwrap()
}

pub(crate) fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut v = cbor_head(2, len(b.len()));
    v.extend_from_slice(b);
    v
}

pub(crate) fn cbor_text(s: &str) -> Vec<u8> {
    let mut v = cbor_head(3, len(s.len()));
    v.extend_from_slice(s.as_bytes());
    v
}

pub(crate) fn cbor_int(i: i64) -> Vec<u8> {
    match u64::try_from(i) {
        Ok(n) => cbor_head(0, n),
        Err(_) => cbor_head(1, u64::try_from(-1 - i).unwrap()),
    }
}

pub(crate) fn cbor_map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut v = cbor_head(5, len(entries.len()));
    for (k, val) in entries {
        v.extend_from_slice(k);
        v.extend_from_slice(val);
    }
    v
}

pub(crate) fn cbor_array(items: &[Vec<u8>]) -> Vec<u8> {
    let mut v = cbor_head(4, len(items.len()));
    for item in items {
        v.extend_from_slice(item);
    }
    v
}

// --- keys ----------------------------------------------------------------------------------

pub(crate) enum Key {
    Es256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Key {
    pub(crate) fn es256() -> Self {
        let rng = RingRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        Self::Es256(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap(),
        )
    }

    pub(crate) fn ed25519() -> Self {
        Self::Ed25519(Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).unwrap())
    }

    pub(crate) fn alg(&self) -> i64 {
        match self {
            Self::Es256(_) => -7,
            Self::Ed25519(_) => -8,
        }
    }

    pub(crate) fn cose(&self) -> Vec<u8> {
        match self {
            Self::Es256(k) => {
                let point = k.public_key().as_ref();
                cbor_map(&[
                    (cbor_int(1), cbor_int(2)),
                    (cbor_int(3), cbor_int(-7)),
                    (cbor_int(-1), cbor_int(1)),
                    (cbor_int(-2), cbor_bytes(&point[1..33])),
                    (cbor_int(-3), cbor_bytes(&point[33..65])),
                ])
            }
            Self::Ed25519(k) => cbor_map(&[
                (cbor_int(1), cbor_int(1)),
                (cbor_int(3), cbor_int(-8)),
                (cbor_int(-1), cbor_int(6)),
                (cbor_int(-2), cbor_bytes(k.public_key().as_ref())),
            ]),
        }
    }

    pub(crate) fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Es256(k) => k.sign(&RingRandom::new(), msg).unwrap().as_ref().to_vec(),
            Self::Ed25519(k) => k.sign(msg).as_ref().to_vec(),
        }
    }
}

// --- responses -----------------------------------------------------------------------------

pub(crate) fn client_data(
    type_: &str,
    challenge_b64: &str,
    origin: &str,
    extra: &[(&str, Value)],
) -> Vec<u8> {
    let mut c =
        json!({"type": type_, "challenge": challenge_b64, "origin": origin, "crossOrigin": false});
    for (k, v) in extra {
        c[*k] = v.clone();
    }
    serde_json::to_vec(&c).unwrap()
}

pub(crate) fn auth_data(
    rp_id_hash: [u8; 32],
    flags: u8,
    count: u32,
    attested: Option<(&[u8], &[u8])>,
) -> Vec<u8> {
    let mut v = rp_id_hash.to_vec();
    v.push(flags);
    v.extend_from_slice(&count.to_be_bytes());
    if let Some((id, cose)) = attested {
        v.extend_from_slice(&[0x11; 16]); // AAGUID
        v.extend_from_slice(&u16::try_from(id.len()).unwrap().to_be_bytes());
        v.extend_from_slice(id);
        v.extend_from_slice(cose);
    }
    v
}

/// What a registration test can change before the response is built.
pub(crate) struct Reg {
    pub(crate) key: Key,
    pub(crate) credential_id: Vec<u8>,
    pub(crate) response_id: Option<Vec<u8>>,
    pub(crate) type_: String,
    pub(crate) challenge: Option<String>,
    pub(crate) origin: String,
    pub(crate) client_extra: Vec<(&'static str, Value)>,
    pub(crate) client_data_override: Option<Vec<u8>>,
    pub(crate) rp_id_hash: [u8; 32],
    pub(crate) flags: u8,
    pub(crate) fmt: String,
    /// `None`: packed self attestation signed by the credential key; `Some`: this attStmt.
    pub(crate) att_stmt: Option<Vec<u8>>,
    pub(crate) attestation_object_override: Option<Vec<u8>>,
    pub(crate) corrupt_signature: bool,
    /// Wraps the packed self statement in a `compound` statement with these extra items.
    pub(crate) compound_with: Option<Vec<Vec<u8>>>,
}

impl Reg {
    pub(crate) fn new() -> Self {
        Self {
            key: Key::es256(),
            credential_id: vec![0xc1; 32],
            response_id: None,
            type_: "webauthn.create".into(),
            challenge: None,
            origin: ORIGIN.into(),
            client_extra: Vec::new(),
            client_data_override: None,
            rp_id_hash: sha256(RP_ID.as_bytes()),
            flags: UP | UV | AT,
            fmt: "none".into(),
            att_stmt: Some(cbor_map(&[])),
            attestation_object_override: None,
            corrupt_signature: false,
            compound_with: None,
        }
    }

    pub(crate) fn packed_self() -> Self {
        Self {
            fmt: "packed".into(),
            att_stmt: None,
            ..Self::new()
        }
    }

    pub(crate) fn response(&self, options: &CreationOptionsJson) -> RegistrationResponseJson {
        let challenge = self
            .challenge
            .clone()
            .unwrap_or_else(|| base64url::encode(&options.public_key.challenge.0));
        let cdj = self.client_data_override.clone().unwrap_or_else(|| {
            client_data(&self.type_, &challenge, &self.origin, &self.client_extra)
        });
        let cose = self.key.cose();
        let ad = auth_data(
            self.rp_id_hash,
            self.flags,
            0,
            Some((&self.credential_id, &cose)),
        );
        let att_stmt = match &self.att_stmt {
            Some(s) => s.clone(),
            None => {
                let mut msg = ad.clone();
                msg.extend_from_slice(&sha256(&cdj));
                let mut sig = self.key.sign(&msg);
                if self.corrupt_signature {
                    let last = sig.len() - 1;
                    sig[last] ^= 1;
                }
                cbor_map(&[
                    (cbor_text("alg"), cbor_int(self.key.alg())),
                    (cbor_text("sig"), cbor_bytes(&sig)),
                ])
            }
        };
        let (fmt, att_stmt) = match &self.compound_with {
            None => (self.fmt.clone(), att_stmt),
            Some(extra) => {
                let mut items = vec![cbor_map(&[
                    (cbor_text("fmt"), cbor_text(&self.fmt)),
                    (cbor_text("attStmt"), att_stmt),
                ])];
                items.extend(extra.iter().cloned());
                ("compound".to_owned(), cbor_array(&items))
            }
        };
        let att_obj = self.attestation_object_override.clone().unwrap_or_else(|| {
            cbor_map(&[
                (cbor_text("fmt"), cbor_text(&fmt)),
                (cbor_text("attStmt"), att_stmt),
                (cbor_text("authData"), cbor_bytes(&ad)),
            ])
        });
        let id = base64url::encode(self.response_id.as_ref().unwrap_or(&self.credential_id));
        RegistrationResponseJson::from_json(&json!({
            "id": id, "rawId": id, "type": "public-key",
            "response": {
                "clientDataJSON": base64url::encode(&cdj),
                "attestationObject": base64url::encode(&att_obj),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {"credProps": {"rk": true}},
            "authenticatorAttachment": "platform",
        }))
        .unwrap()
    }
}

pub(crate) fn user() -> UserEntity {
    UserEntity {
        id: UserHandle::new(b"user-1".to_vec()).unwrap(),
        name: "alice@example.org".into(),
        display_name: "Alice".into(),
    }
}

pub(crate) fn start_reg(
    rp: &RelyingParty,
    options: RegistrationOptions,
) -> (CreationOptionsJson, RegistrationState) {
    rp.start_registration(user(), options, NOW, &SystemRandom::new())
        .unwrap()
}

/// Registers `reg`'s credential with default options and returns the verified registration.
pub(crate) fn register(rp: &RelyingParty, reg: &Reg) -> VerifiedRegistration {
    let (options, state) = start_reg(rp, RegistrationOptions::default());
    rp.finish_registration(state, &reg.response(&options), &Default::default(), NOW)
        .unwrap()
}

/// What an authentication test can change before the assertion is built.
pub(crate) struct Assert {
    pub(crate) type_: String,
    pub(crate) challenge: Option<String>,
    pub(crate) origin: String,
    pub(crate) client_extra: Vec<(&'static str, Value)>,
    pub(crate) rp_id_hash: [u8; 32],
    pub(crate) flags: u8,
    pub(crate) count: u32,
    pub(crate) trailing: Vec<u8>,
    pub(crate) user_handle: Option<Vec<u8>>,
    pub(crate) response_id: Option<Vec<u8>>,
    pub(crate) corrupt_signature: bool,
    pub(crate) client_extension_results: Value,
}

impl Assert {
    pub(crate) fn new() -> Self {
        Self {
            type_: "webauthn.get".into(),
            challenge: None,
            origin: ORIGIN.into(),
            client_extra: Vec::new(),
            rp_id_hash: sha256(RP_ID.as_bytes()),
            flags: UP | UV,
            count: 0,
            trailing: Vec::new(),
            user_handle: Some(b"user-1".to_vec()),
            response_id: None,
            corrupt_signature: false,
            client_extension_results: json!({}),
        }
    }

    pub(crate) fn response(
        &self,
        key: &Key,
        credential_id: &[u8],
        options: &RequestOptionsJson,
    ) -> AuthenticationResponseJson {
        let challenge = self
            .challenge
            .clone()
            .unwrap_or_else(|| base64url::encode(&options.public_key.challenge.0));
        let cdj = client_data(&self.type_, &challenge, &self.origin, &self.client_extra);
        let mut ad = auth_data(self.rp_id_hash, self.flags, self.count, None);
        ad.extend_from_slice(&self.trailing);
        let mut msg = ad.clone();
        msg.extend_from_slice(&sha256(&cdj));
        let mut sig = key.sign(&msg);
        if self.corrupt_signature {
            sig[10] ^= 1;
        }
        let id = base64url::encode(self.response_id.as_deref().unwrap_or(credential_id));
        let mut response = json!({
            "clientDataJSON": base64url::encode(&cdj),
            "authenticatorData": base64url::encode(&ad),
            "signature": base64url::encode(&sig),
        });
        if let Some(h) = &self.user_handle {
            response["userHandle"] = base64url::encode(h).into();
        }
        AuthenticationResponseJson::from_json(&json!({
            "id": id, "rawId": id, "type": "public-key", "response": response,
            "clientExtensionResults": self.client_extension_results,
        }))
        .unwrap()
    }
}

/// A registered credential, ready for authentication tests.
pub(crate) struct Registered {
    pub(crate) rp: RelyingParty,
    pub(crate) key: Key,
    pub(crate) record: CredentialRecord,
}

pub(crate) fn registered() -> Registered {
    registered_with(rp(), Key::es256())
}

pub(crate) fn registered_with(rp: RelyingParty, key: Key) -> Registered {
    let reg = Reg { key, ..Reg::new() };
    let record = register(&rp, &reg).credential;
    Registered {
        rp,
        key: reg.key,
        record,
    }
}

impl Registered {
    pub(crate) fn start(
        &self,
        options: AuthenticationOptions,
    ) -> (RequestOptionsJson, AuthenticationState) {
        self.rp
            .start_authentication(options, NOW, &SystemRandom::new())
            .unwrap()
    }

    /// Runs an authentication with `assertion` under `options`.
    pub(crate) fn authenticate(
        &self,
        options: AuthenticationOptions,
        assertion: &Assert,
    ) -> Result<webauthn_core::VerifiedAuthentication, webauthn_core::Error> {
        let (req, state) = self.start(options);
        let response = assertion.response(&self.key, self.record.id.as_bytes(), &req);
        self.rp
            .finish_authentication(state, &response, &self.record, NOW)
    }
}

pub(crate) fn uv_required() -> AuthenticationOptions {
    AuthenticationOptions {
        user_verification: UserVerificationRequirement::Required,
        ..AuthenticationOptions::default()
    }
}

#[track_caller]
pub(crate) fn assert_code<T: std::fmt::Debug>(result: Result<T, webauthn_core::Error>, code: &str) {
    match result {
        Ok(v) => panic!("expected {code}, the ceremony succeeded: {v:?}"),
        Err(e) => assert_eq!(e.code(), code, "{e}"),
    }
}
