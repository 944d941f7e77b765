//! The FIDO Metadata Service v3 (MDS3): verifying the metadata BLOB, and looking up the status
//! and trust anchors of authenticator models.
//!
//! The FIDO Alliance publishes one BLOB, a compact JWS (RFC 7515) signed under GlobalSign Root
//! CA – R3 ([`crate::roots::GLOBALSIGN_ROOT_CA_R3`]):
//!
//! ```text
//! BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)
//! header  = {"alg": "RS256" | "ES256" | ..., "typ": "JWT", "x5c": [signer, intermediates...]}
//! payload = MetadataBLOBPayload {
//!     "legalHeader": "Retrieval and use of this BLOB indicates acceptance of ...",
//!     "no": 9,                       // serial number, increases with every BLOB
//!     "nextUpdate": "2021-12-01",    // a newer BLOB is published by then
//!     "entries": [MetadataBLOBPayloadEntry, ...]
//! }
//! ```
//!
//! This module is sans-IO: bytes and the time in, verdicts out. The server downloads the BLOB
//! and the CRLs of its signing path on a schedule and hands them to a [`MetadataStore`], which
//! keeps the last good BLOB. At registration, the entry of the authenticator (by AAGUID, or by
//! the [`KeyIdentifier`] of a U2F attestation certificate) gives its trust anchors
//! ([`MetadataEntry::attestation_root_certificates`]) and its status, judged by
//! [`RejectedStatuses`].
//!
//! Verification ([`Metadata::verify`]) follows MDS3 §3.2 (Metadata BLOB object processing
//! rules):
//!
//! 1. The JWS decodes; `alg` is one of RS256/384/512, PS256/384/512, ES256/384/512; `x5u` is
//!    refused (it needs a download).
//! 2. `x5c` (leaf first) leads to the configured root at the given time (rustls-webpki), and,
//!    when CRLs are given, no certificate of the path is revoked and each is covered by an
//!    unexpired CRL of its issuer. Without `x5c`, the root is the signer.
//! 3. The signature verifies with the key of `x5c[0]`.
//! 4. The payload parses: `legalHeader`, `no` (an unsigned integer), `nextUpdate`, `entries`.
//! 5. `nextUpdate` is not before the day of the given time.
//! 6. No two entries claim the same AAGUID or attestation certificate key identifier.
//!
//! The store adds MDS3 §3.2's last rule: a BLOB whose `no` is not greater than the current
//! one's is ignored.

mod date;
mod entry;
mod error;
mod key_id;
mod signer;
mod status;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

pub use date::Date;
pub use entry::{
    MetadataAttestationType, MetadataEntry, MetadataStatement, VerificationMethodDescriptor,
};
pub use error::MdsError;
pub use key_id::KeyIdentifier;
pub use status::{
    AuthenticatorStatus, EntryKey, RejectedStatuses, StatusAcceptable, StatusChange, StatusReport,
};
pub use store::{Loaded, MetadataStore};

use crate::identifiers::Aaguid;
use crate::jws::Jws;
use crate::time::UnixTime;

/// A metadata BLOB whose signature, signing path and freshness have been verified: only
/// [`Metadata::verify`] (and the store) build one.
///
/// Entries are indexed by AAGUID and by attestation certificate key identifier.
#[derive(Clone)]
pub struct Metadata {
    legal_header: String,
    no: u64,
    next_update: Date,
    entries: Vec<MetadataEntry>,
    by_aaguid: HashMap<Aaguid, usize>,
    by_key_identifier: HashMap<KeyIdentifier, usize>,
}

/// Whether a BLOB past its `nextUpdate` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    Require,
    DangerAllowStale,
}

impl Metadata {
    /// Verifies a metadata BLOB (the compact JWS as downloaded) against `root` (a DER
    /// certificate) at `now`, with `crls` (DER CRLs, possibly none), and indexes its entries.
    /// The steps are listed in the [module documentation](self).
    ///
    /// With CRLs, revocation is checked for the signing certificate and every intermediate, and
    /// fails closed: give the CRL of every issuer on the path (for the production BLOB, those
    /// of GlobalSign Root CA – R3 and of the GlobalSign EV CA), fetched with the BLOB.
    ///
    /// The caller still has to check that `no` increased ([`MetadataStore::load`] does).
    ///
    /// # Errors
    ///
    /// [`MdsError::Malformed`], [`MdsError::Unsupported`], [`MdsError::InvalidRoot`],
    /// [`MdsError::InvalidCrl`], [`MdsError::UntrustedSigner`], [`MdsError::CertificateRevoked`],
    /// [`MdsError::RevocationUnknown`], [`MdsError::SignatureInvalid`] and [`MdsError::Stale`].
    pub fn verify(
        jws: &str,
        root: &[u8],
        crls: &[Vec<u8>],
        now: UnixTime,
    ) -> Result<Self, MdsError> {
        Self::verify_with(jws, root, crls, now, Freshness::Require)
    }

    /// [`Self::verify`] without the `nextUpdate` check: a stale BLOB may lack revocations and
    /// compromise reports published since. Only for offline imports that knowingly use an old
    /// BLOB, and for recorded test BLOBs (the MDS3 specification's example BLOB is stale for
    /// the whole validity of its signing certificate).
    ///
    /// # Errors
    ///
    /// Those of [`Self::verify`] except [`MdsError::Stale`].
    pub fn danger_verify_allowing_stale(
        jws: &str,
        root: &[u8],
        crls: &[Vec<u8>],
        now: UnixTime,
    ) -> Result<Self, MdsError> {
        Self::verify_with(jws, root, crls, now, Freshness::DangerAllowStale)
    }

    fn verify_with(
        jws: &str,
        root: &[u8],
        crls: &[Vec<u8>],
        now: UnixTime,
        freshness: Freshness,
    ) -> Result<Self, MdsError> {
        let jws = Jws::parse(jws).map_err(|problem| jws_error(jws, problem))?;
        let _trusted = signer::verify_signer(&jws, root, crls, now)?;
        let metadata = parse_payload(&jws.payload)?;
        // MDS3 §3.1.6: nextUpdate is the date "when the next update will be provided at
        // latest"; a BLOB past it is stale. The date counts as a whole UTC day.
        let today = Date::of(now);
        if freshness == Freshness::Require && metadata.next_update < today {
            return Err(MdsError::Stale {
                next_update: metadata.next_update,
                today,
            });
        }
        Ok(metadata)
    }

    /// `legalHeader`: the terms that retrieving the BLOB accepts.
    #[must_use]
    pub fn legal_header(&self) -> &str {
        &self.legal_header
    }

    /// `no`: the serial number of this BLOB.
    #[must_use]
    pub fn no(&self) -> u64 {
        self.no
    }

    /// `nextUpdate`: the day by which a newer BLOB is published.
    #[must_use]
    pub fn next_update(&self) -> Date {
        self.next_update
    }

    /// Whether a newer BLOB should exist as of `now` (the day of `now` is after `nextUpdate`);
    /// a BLOB kept in a store becomes stale as time passes.
    #[must_use]
    pub fn is_stale(&self, now: UnixTime) -> bool {
        self.next_update < Date::of(now)
    }

    /// Every entry, in BLOB order.
    #[must_use]
    pub fn entries(&self) -> &[MetadataEntry] {
        &self.entries
    }

    /// The entry of a FIDO2 authenticator model.
    #[must_use]
    pub fn by_aaguid(&self, aaguid: &Aaguid) -> Option<&MetadataEntry> {
        self.by_aaguid
            .get(aaguid)
            .and_then(|&i| self.entries.get(i))
    }

    /// The entry listing an attestation certificate key identifier (U2F and UAF models).
    #[must_use]
    pub fn by_key_identifier(&self, id: &KeyIdentifier) -> Option<&MetadataEntry> {
        self.by_key_identifier
            .get(id)
            .and_then(|&i| self.entries.get(i))
    }

    /// The entry of an attestation certificate (DER), by its key identifier: for `fido-u2f`
    /// attestations, whose AAGUID is zero.
    ///
    /// # Errors
    ///
    /// [`MdsError::InvalidCertificate`] when `certificate` is not a DER X.509 certificate.
    pub fn by_certificate(&self, certificate: &[u8]) -> Result<Option<&MetadataEntry>, MdsError> {
        KeyIdentifier::of_certificate(certificate).map(|id| self.by_key_identifier(&id))
    }

    /// The entry found by `key`.
    #[must_use]
    pub fn get(&self, key: &EntryKey) -> Option<&MetadataEntry> {
        match key {
            EntryKey::Aaguid(aaguid) => self.by_aaguid(aaguid),
            EntryKey::KeyIdentifier(id) => self.by_key_identifier(id),
        }
    }

    /// Every AAGUID and key identifier with its entry, in key order.
    fn keyed_entries(&self) -> BTreeMap<EntryKey, &MetadataEntry> {
        let aaguids = self
            .by_aaguid
            .iter()
            .map(|(a, &i)| (EntryKey::Aaguid(*a), i));
        let key_ids = self
            .by_key_identifier
            .iter()
            .map(|(k, &i)| (EntryKey::KeyIdentifier(*k), i));
        aaguids
            .chain(key_ids)
            .filter_map(|(key, i)| self.entries.get(i).map(|e| (key, e)))
            .collect()
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata")
            .field("no", &self.no)
            .field("next_update", &self.next_update)
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// The models whose current status as of `now` differs between two BLOBs, by AAGUID and key
/// identifier, in key order. A model that appears or disappears counts as a change from or to
/// `None`, as does one whose entry has no report in effect.
///
/// A server calls this (or reads [`Loaded::status_changes`]) after loading a new BLOB, and
/// checks again the stored credentials of the models listed.
#[must_use]
pub fn status_changes(previous: &Metadata, current: &Metadata, now: UnixTime) -> Vec<StatusChange> {
    let before = previous.keyed_entries();
    let after = current.keyed_entries();
    let mut keys: Vec<&EntryKey> = before.keys().chain(after.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let old = before.get(key).and_then(|e| e.current_status(now));
            let new = after.get(key).and_then(|e| e.current_status(now));
            (old != new).then(|| StatusChange {
                key: *key,
                previous: old.cloned(),
                current: new.cloned(),
            })
        })
        .collect()
}

/// `MetadataBLOBPayload` (MDS3 §3.1.6), before its entries are read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePayload {
    legal_header: String,
    no: u64,
    next_update: String,
    entries: Vec<Value>,
}

/// Parses and indexes a BLOB payload (the JWS payload bytes).
pub(crate) fn parse_payload(bytes: &[u8]) -> Result<Metadata, MdsError> {
    let wire: WirePayload = serde_json::from_slice(bytes).map_err(|e| {
        MdsError::malformed("payload", format!("is not a metadata BLOB payload ({e})"))
    })?;
    let next_update = entry::parse_date(&wire.next_update, "payload.nextUpdate")?;
    let entries: Vec<MetadataEntry> = wire
        .entries
        .iter()
        .enumerate()
        .map(|(i, value)| entry::parse_entry(value, &format!("payload.entries[{i}]")))
        .collect::<Result<_, _>>()?;
    let mut by_aaguid = HashMap::new();
    let mut by_key_identifier = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if let Some(aaguid) = entry.aaguid
            && by_aaguid.insert(aaguid, i).is_some()
        {
            return Err(MdsError::malformed(
                format!("payload.entries[{i}].aaguid"),
                format!("repeats {aaguid}, already claimed by another entry"),
            ));
        }
        for id in &entry.attestation_certificate_key_identifiers {
            if by_key_identifier.insert(*id, i).is_some() {
                return Err(MdsError::malformed(
                    format!("payload.entries[{i}].attestationCertificateKeyIdentifiers"),
                    format!("repeats {id}, already claimed by another entry"),
                ));
            }
        }
    }
    Ok(Metadata {
        legal_header: wire.legal_header,
        no: wire.no,
        next_update,
        entries,
        by_aaguid,
        by_key_identifier,
    })
}

/// Classifies a JWS that does not decode: an `alg` outside the supported set is unsupported,
/// anything else malformed.
fn jws_error(text: &str, problem: String) -> MdsError {
    let alg = text
        .trim()
        .split('.')
        .next()
        .and_then(|header| crate::base64url::decode(header).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes).ok())
        .and_then(|header| header.get("alg").and_then(Value::as_str).map(str::to_owned));
    match alg {
        Some(alg) if !SUPPORTED_ALGS.contains(&alg.as_str()) => {
            MdsError::Unsupported(format!("the JWS algorithm {alg:?} is not supported").into())
        }
        _ => MdsError::malformed("jws", problem),
    }
}

/// The JWS algorithms the BLOB may use.
const SUPPORTED_ALGS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
];

#[cfg(test)]
mod tests;
