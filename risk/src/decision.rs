//! What the engine answers.

use serde::{Deserialize, Serialize};

/// What the server must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Go ahead.
    Allow,
    /// Go ahead only after a fresh authentication at `required_acr` within `max_age`.
    StepUp,
    /// Refuse.
    Deny,
}

/// The risk level, as CAEP `risk-level-change` and the IdPs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Nothing enforced fired: allow.
    Low,
    /// Step up (or a capped SMS send).
    Medium,
    /// Deny, or a high-risk step-up.
    High,
}

/// Whether a rule changes decisions or is only recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Recorded in `shadow_reasons`; never changes the action.
    Shadow,
    /// Changes the decision.
    Enforce,
}

/// Why: one rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The stable reason code (`impossible_travel`, `sms_velocity`…; DESIGN §5).
    pub code: String,
    /// The rule that fired (`login.impossible_travel`), the key of its entry in `data.json`.
    pub rule_id: String,
    /// The rule's mode.
    pub mode: Mode,
    /// The values that made it fire, and the thresholds they were compared with.
    pub values: serde_json::Value,
}

/// Something the server must do besides the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Obligation {
    /// Tell the user (e-mail, push) what happened.
    NotifyUser,
    /// Ask the client to enrol a passkey (after an SMS sign-in, in a fallback).
    OfferPasskeyEnrollment,
    /// No SMS to this number for `seconds`: on a denied send, the time left; on an allowed
    /// send, the next step of the exponential backoff to store as the number's `backoff_until`.
    BackOff {
        /// Seconds to wait.
        seconds: u64,
    },
    /// Block SMS to this prefix for `seconds` (the conversion breaker tripped): store it as the
    /// prefix's `prefix_blocked_until`.
    BlockPrefix {
        /// The prefix (number minus its last four digits).
        prefix: String,
        /// Seconds to block (12 hours in the shipped policy).
        seconds: u64,
    },
    /// Velocity counters are unavailable: hold sends with the server's own in-process limiter
    /// to at most this many per hour.
    LimitSends {
        /// Sends per hour.
        per_hour: u64,
    },
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// What to do.
    pub action: Action,
    /// How risky.
    pub level: Level,
    /// Sum of the enforced reasons' weights, 0–100 (for dashboards; decisions never use it).
    pub score: u32,
    /// The enforced reasons, in the policy's order (the SMS gate's order for `sms_send`).
    pub reasons: Vec<Reason>,
    /// Reasons of shadow rules: recorded, never acted on.
    pub shadow_reasons: Vec<Reason>,
    /// For a step-up: the `acr` the fresh authentication must reach (`phr`, `phrh`,
    /// `urn:anshin:acr:mfa`, `urn:anshin:acr:sms`).
    pub required_acr: Option<String>,
    /// For a step-up: how old (seconds) that authentication may be; 0 = now.
    pub max_age: Option<u64>,
    /// For fallback and recovery: the methods to offer, passkey first (`passkey`,
    /// `passkey_other_device`, `sms`, `recovery`).
    pub allowed_methods: Vec<String>,
    /// What the server must do besides the action.
    pub obligations: Vec<Obligation>,
    /// The policy that decided ([`crate::Policy::version`]).
    pub policy_version: String,
}

impl Decision {
    /// Whether any enforced reason has this code.
    #[must_use]
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }

    /// Whether any shadow reason has this code.
    #[must_use]
    pub fn has_shadow_reason(&self, code: &str) -> bool {
        self.shadow_reasons.iter().any(|r| r.code == code)
    }
}
