//! The last good BLOB, kept in memory (MDS3 §3.2: a BLOB that fails verification is ignored,
//! and the serial number `no` only increases).

use std::fmt;
use std::sync::Arc;

use super::{Freshness, MdsError, Metadata, StatusChange, status_changes};
use crate::time::UnixTime;

/// Holds the last BLOB that verified, and refuses any replacement that does not verify or is
/// not newer. Sans-IO: the server fetches the BLOB (and the CRLs of its signing path) from a
/// file or URL on its schedule, and hands them over.
///
/// ```text
/// load(jws, now) ── verify (root, CRLs, nextUpdate) ── no > current.no ? ── replace ── Loaded
///                        │ error                           │ no
///                        └──────────── keep the last good BLOB, return the error
/// ```
#[derive(Clone)]
pub struct MetadataStore {
    root: Vec<u8>,
    crls: Vec<Vec<u8>>,
    freshness: Freshness,
    current: Option<Arc<Metadata>>,
}

impl fmt::Debug for MetadataStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataStore")
            .field("root_len", &self.root.len())
            .field("crls", &self.crls.len())
            .field("freshness", &self.freshness)
            .field("current", &self.current)
            .finish()
    }
}

/// What a successful [`MetadataStore::load`] changed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Loaded {
    /// The new BLOB.
    pub metadata: Arc<Metadata>,
    /// The `no` of the BLOB it replaced; `None` on the first load.
    pub previous_no: Option<u64>,
    /// The models whose current status changed from the replaced BLOB (empty on the first
    /// load): the credentials registered with them should be checked again.
    pub status_changes: Vec<StatusChange>,
}

impl MetadataStore {
    /// A store that trusts BLOBs signed under `root` (DER), for example
    /// [`crate::roots::GLOBALSIGN_ROOT_CA_R3`] for the production Metadata Service.
    #[must_use]
    pub fn new(root: Vec<u8>) -> Self {
        Self {
            root,
            crls: Vec::new(),
            freshness: Freshness::Require,
            current: None,
        }
    }

    /// Checks the signing path against these CRLs (DER) on every load; see
    /// [`Metadata::verify`].
    #[must_use]
    pub fn with_crls(mut self, crls: Vec<Vec<u8>>) -> Self {
        self.crls = crls;
        self
    }

    /// Replaces the CRLs, typically fetched together with the next BLOB.
    pub fn set_crls(&mut self, crls: Vec<Vec<u8>>) {
        self.crls = crls;
    }

    /// Accepts BLOBs whose `nextUpdate` has passed (see
    /// [`Metadata::danger_verify_allowing_stale`]): for offline imports and recorded
    /// conformance BLOBs only. The store still refuses a BLOB that is not newer.
    #[must_use]
    pub fn danger_allow_stale(mut self) -> Self {
        self.freshness = Freshness::DangerAllowStale;
        self
    }

    /// The configured root (DER).
    #[must_use]
    pub fn root(&self) -> &[u8] {
        &self.root
    }

    /// The last good BLOB, if any has loaded.
    #[must_use]
    pub fn current(&self) -> Option<&Arc<Metadata>> {
        self.current.as_ref()
    }

    /// Verifies `jws` as of `now` and makes it the current BLOB if its `no` is greater than the
    /// current one's. On any error the current BLOB stays.
    ///
    /// # Errors
    ///
    /// Those of [`Metadata::verify`], and [`MdsError::NotNewer`] when `no` does not increase.
    pub fn load(&mut self, jws: &str, now: UnixTime) -> Result<Loaded, MdsError> {
        let metadata = Metadata::verify_with(jws, &self.root, &self.crls, now, self.freshness)?;
        // MDS3 §3.2: ignore a BLOB whose serial number is not greater than that of the last
        // BLOB processed successfully.
        if let Some(current) = &self.current
            && metadata.no() <= current.no()
        {
            return Err(MdsError::NotNewer {
                current: current.no(),
                received: metadata.no(),
            });
        }
        let metadata = Arc::new(metadata);
        let previous = self.current.replace(Arc::clone(&metadata));
        Ok(Loaded {
            status_changes: previous
                .as_deref()
                .map(|p| status_changes(p, &metadata, now))
                .unwrap_or_default(),
            previous_no: previous.map(|p| p.no()),
            metadata,
        })
    }
}
