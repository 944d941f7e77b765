//! What the server gathers before asking for a decision.
//!
//! Every `Option` means "this signal is unavailable" (a store was down, no GeoIP database is
//! configured, the user is unknown…), never "false". The policy decides what a missing signal
//! means: at login it steps up (`signal_unavailable`), at an SMS send it caps.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

/// Where in a flow the decision is asked for. Each point has its own Rego package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionPoint {
    /// A sign-in, after the ceremony (package `risk.login`).
    Login,
    /// Adding a credential to an existing account (package `risk.register_credential`).
    RegisterCredential,
    /// A sensitive action, named by the server (`change_email`, `delete_account`…)
    /// (package `risk.sensitive_action`).
    SensitiveAction(String),
    /// Before an SMS code is sent: the SMS gate (package `risk.sms_send`).
    SmsSend,
    /// Which fallback methods to offer a user who cannot use a passkey here (package
    /// `risk.fallback`).
    Fallback,
    /// Account recovery (package `risk.recovery`).
    Recovery,
}

impl DecisionPoint {
    /// The Rego package under `data.risk` that decides this point.
    #[must_use]
    pub fn package(&self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::RegisterCredential => "register_credential",
            Self::SensitiveAction(_) => "sensitive_action",
            Self::SmsSend => "sms_send",
            Self::Fallback => "fallback",
            Self::Recovery => "recovery",
        }
    }

    /// Every decision point, with `SensitiveAction` named `name`.
    #[must_use]
    pub fn all(name: &str) -> [Self; 6] {
        [
            Self::Login,
            Self::RegisterCredential,
            Self::SensitiveAction(name.to_owned()),
            Self::SmsSend,
            Self::Fallback,
            Self::Recovery,
        ]
    }
}

/// Everything the server knows about one request. Build it with [`Facts::new`] and fill in
/// what is available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// The decision point.
    pub point: DecisionPoint,
    /// The request itself.
    pub request: RequestFacts,
    /// GeoIP of `request.ip` (from [`crate::geo::GeoIp::lookup`]); `None` when no database is
    /// configured or the address is not in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<GeoFacts>,
    /// The user's last successful sign-in; `None` for a first sign-in or when history is
    /// unavailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<LastLogin>,
    /// The account; `None` when the user is not (yet) known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserFacts>,
    /// The credential the ceremony used (login, step-up) or created (registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<CredentialFacts>,
    /// Velocity counters from the ephemeral store. Each is `None` when unavailable.
    #[serde(default)]
    pub counters: Counters,
    /// The SMS about to be sent (`sms_send`) or the phone on file (`fallback`, `recovery`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsFacts>,
}

impl Facts {
    /// Facts for `point` from `ip`, with every other signal unavailable.
    #[must_use]
    pub fn new(point: DecisionPoint, ip: IpAddr) -> Self {
        Self {
            point,
            request: RequestFacts {
                ip,
                ..RequestFacts::default()
            },
            geo: None,
            last_login: None,
            user: None,
            credential: None,
            counters: Counters::default(),
            sms: None,
        }
    }
}

/// The request: who is asking, from where, with what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFacts {
    /// The client address (after the trusted-proxy rules).
    pub ip: IpAddr,
    /// The `User-Agent` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The signed device cookie's identifier, if the client sent a valid one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Whether this device (cookie, credential) has signed in to this account before. `None`:
    /// the device history was unavailable. A client without a device cookie is `Some(false)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_device: Option<bool>,
}

impl Default for RequestFacts {
    fn default() -> Self {
        Self {
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            user_agent: None,
            device_id: None,
            known_device: None,
        }
    }
}

/// What GeoIP databases say about an address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeoFacts {
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// City name (English).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Latitude in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// The database's accuracy radius, in kilometres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_km: Option<u32>,
    /// Autonomous system number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// Autonomous system organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn_org: Option<String>,
    /// Any anonymiser (VPN, proxy, Tor…). `None` without an anonymous-IP database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<bool>,
    /// A commercial VPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_vpn: Option<bool>,
    /// A hosting or cloud provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosting: Option<bool>,
    /// A Tor exit node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tor: Option<bool>,
}

/// The user's last successful sign-in, from history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastLogin {
    /// When (Unix seconds).
    pub at: i64,
    /// Latitude of its GeoIP location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude of its GeoIP location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Its country (ISO code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Its address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
}

/// The account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFacts {
    /// Whether the account exists (the server may evaluate unknown names too, e.g. spraying).
    pub exists: bool,
    /// When the account was created (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// How many passkeys the account holds.
    pub passkey_count: u32,
    /// When the newest credential was added (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_credential_at: Option<i64>,
    /// Whether a phone number is on file.
    pub has_phone: bool,
    /// Whether this account may recover by SMS even though it holds a passkey (an operator
    /// or user choice; the policy's `sms.allow_recovery_by_sms` must allow it too).
    pub recovery_by_sms_allowed: bool,
}

/// The credential used or created by the ceremony.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialFacts {
    /// The authenticator's AAGUID (hyphenated hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aaguid: Option<String>,
    /// The BE flag of this ceremony.
    pub backup_eligible: bool,
    /// The BS flag of this ceremony.
    pub backup_state: bool,
    /// BS differs from the stored value.
    pub backup_state_changed: bool,
    /// BE differs from the stored value (never legitimate: BE is fixed at creation).
    pub backup_eligibility_changed: bool,
    /// The signature counter went backwards (a possible clone).
    pub counter_regressed: bool,
    /// The UV flag of this ceremony.
    pub user_verified: bool,
    /// The attestation chained to a trusted root (registration; remembered afterwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_trusted: Option<bool>,
    /// The FIDO MDS status of the authenticator model (`FIDO_CERTIFIED`, `REVOKED`,
    /// `USER_KEY_REMOTE_COMPROMISE`…), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_status: Option<String>,
    /// When this credential was registered (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
}

/// Velocity counters from the ephemeral store; each `None` when unavailable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Failed sign-ins for this user in the last 15 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_failures_15m: Option<u64>,
    /// Failed sign-ins from this IP in the last 10 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_failures_10m: Option<u64>,
    /// Failed sign-ins from this network (/24 for IPv4, /48 for IPv6) in the last 10 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_failures_10m: Option<u64>,
    /// Distinct user names tried from this IP in the last 10 minutes (spraying).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_distinct_users_10m: Option<u64>,
    /// SMS sent to this phone number in the last hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_phone_1h: Option<u64>,
    /// SMS sent to this phone number in the last 24 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_phone_24h: Option<u64>,
    /// SMS sent to this number prefix in the last hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_prefix_1h: Option<u64>,
    /// SMS requested from this IP in the last hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_ip_1h: Option<u64>,
    /// SMS sent for this user in the last 24 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_user_24h: Option<u64>,
}

/// The SMS about to be sent, and what is known about its destination.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmsFacts {
    /// The number, E.164.
    pub phone: String,
    /// Its country (ISO code), from the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The number minus its last four digits ([`crate::signals::phone_prefix`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `mobile`, `fixed`, `premium`, `toll_free` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_type: Option<String>,
    /// No send to this number before this time (Unix seconds), from the last decision's
    /// `BackOff` obligation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_until: Option<i64>,
    /// Codes sent to this prefix in the last 24 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_sent_24h: Option<u64>,
    /// Codes to this prefix verified in the last 24 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_verified_24h: Option<u64>,
    /// The prefix is blocked until this time (Unix seconds), from a `BlockPrefix` obligation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_blocked_until: Option<i64>,
}
