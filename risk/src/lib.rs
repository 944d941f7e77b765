#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    clippy::as_conversions,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::missing_errors_doc
)]

mod decision;
mod facts;
pub mod geo;
mod policy;
pub mod signals;
mod testing;

pub use decision::{Action, Decision, Level, Mode, Obligation, Reason};
pub use facts::{
    Counters, CredentialFacts, DecisionPoint, Facts, GeoFacts, LastLogin, RequestFacts, SmsFacts,
    UserFacts,
};
pub use geo::{GeoError, GeoIp};
pub use policy::{Policy, PolicyError, evaluate};
pub use testing::{TestReport, TestResult, run_policy_tests};
