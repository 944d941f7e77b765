//! GeoIP lookups over MaxMind DB files (GeoLite2/GeoIP2 City, ASN, Anonymous IP).
//!
//! Opening reads the files into memory; [`GeoIp::lookup`] is then pure and can be shared by
//! every task (`GeoIp` is `Send + Sync`). Any of the three databases may be left out: the
//! facts it would give are then `None`, which the policy treats as unavailable.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use maxminddb::{Reader, geoip2};

use crate::facts::GeoFacts;

/// A database could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// The file could not be read or is not a MaxMind DB.
    #[error("GeoIP database {path}: {message}")]
    Open {
        /// The path given.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The file is a MaxMind DB of another kind than the slot it was given for.
    #[error("GeoIP database {path}: expected a {expected} database, found {found:?}")]
    WrongKind {
        /// The path given.
        path: String,
        /// What the slot needs (`City`, `ASN`, `Anonymous-IP`).
        expected: &'static str,
        /// The file's `database_type`.
        found: String,
    },
}

impl GeoError {
    /// A stable, machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Open { .. } => "geo.open",
            Self::WrongKind { .. } => "geo.wrong_kind",
        }
    }
}

/// GeoIP databases, opened once and shared.
pub struct GeoIp {
    city: Option<Reader<Vec<u8>>>,
    asn: Option<Reader<Vec<u8>>>,
    anonymous: Option<Reader<Vec<u8>>>,
}

impl fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = |r: &Option<Reader<Vec<u8>>>| {
            r.as_ref()
                .map(|r| r.metadata().database_type.clone())
                .unwrap_or_default()
        };
        f.debug_struct("GeoIp")
            .field("city", &kind(&self.city))
            .field("asn", &kind(&self.asn))
            .field("anonymous", &kind(&self.anonymous))
            .finish()
    }
}

impl GeoIp {
    /// Opens whichever databases are given: a City database (GeoLite2-City, GeoIP2-City), an
    /// ASN database (GeoLite2-ASN) and an Anonymous-IP database (GeoIP2-Anonymous-IP).
    ///
    /// # Errors
    ///
    /// [`GeoError::Open`] when a file cannot be read or parsed, [`GeoError::WrongKind`] when
    /// its `database_type` does not fit the slot.
    pub fn open(
        city: Option<&Path>,
        asn: Option<&Path>,
        anonymous: Option<&Path>,
    ) -> Result<Self, GeoError> {
        Ok(Self {
            city: city.map(|p| open_kind(p, "City", &["City"])).transpose()?,
            asn: asn
                .map(|p| open_kind(p, "ASN", &["ASN", "ISP"]))
                .transpose()?,
            anonymous: anonymous
                .map(|p| open_kind(p, "Anonymous-IP", &["Anonymous-IP"]))
                .transpose()?,
        })
    }

    /// Whether no database is open (every lookup is `None`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.city.is_none() && self.asn.is_none() && self.anonymous.is_none()
    }

    /// What the databases say about `ip`; `None` when no database is open or none has a
    /// record for it (an open Anonymous-IP database always answers: an address it does not
    /// list is `Some(false)` for each flag).
    ///
    /// Without an Anonymous-IP database the anonymiser flags are `None` (unknown).
    #[must_use]
    pub fn lookup(&self, ip: IpAddr) -> Option<GeoFacts> {
        let mut facts = GeoFacts::default();
        let mut found = false;

        if let Some(city) = self
            .city
            .as_ref()
            .and_then(|r| r.lookup(ip).ok()?.decode::<geoip2::City<'_>>().ok()?)
        {
            found = true;
            facts.country = city.country.iso_code.map(str::to_owned);
            facts.city = city.city.names.english.map(str::to_owned);
            facts.latitude = city.location.latitude;
            facts.longitude = city.location.longitude;
            facts.accuracy_km = city.location.accuracy_radius.map(u32::from);
        }
        if let Some(asn) = self
            .asn
            .as_ref()
            .and_then(|r| r.lookup(ip).ok()?.decode::<geoip2::Asn<'_>>().ok()?)
        {
            found = true;
            facts.asn = asn.autonomous_system_number;
            facts.asn_org = asn.autonomous_system_organization.map(str::to_owned);
        }
        if let Some(reader) = &self.anonymous {
            let record = reader
                .lookup(ip)
                .ok()
                .and_then(|r| r.decode::<geoip2::AnonymousIp>().ok().flatten());
            let flag = |f: Option<bool>| Some(f.unwrap_or(false));
            match record {
                Some(a) => {
                    found = true;
                    facts.anonymous = flag(a.is_anonymous);
                    facts.anonymous_vpn = flag(a.is_anonymous_vpn);
                    facts.hosting = flag(a.is_hosting_provider);
                    facts.tor = flag(a.is_tor_exit_node);
                }
                None => {
                    found = true;
                    facts.anonymous = Some(false);
                    facts.anonymous_vpn = Some(false);
                    facts.hosting = Some(false);
                    facts.tor = Some(false);
                }
            }
        }
        found.then_some(facts)
    }
}

fn open_kind(
    path: &Path,
    expected: &'static str,
    accepted: &[&str],
) -> Result<Reader<Vec<u8>>, GeoError> {
    let shown = path.display().to_string();
    let reader = Reader::open_readfile(path).map_err(|e| GeoError::Open {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let kind = &reader.metadata().database_type;
    if accepted.iter().any(|a| kind.contains(a)) {
        Ok(reader)
    } else {
        Err(GeoError::WrongKind {
            path: shown,
            expected,
            found: kind.clone(),
        })
    }
}
