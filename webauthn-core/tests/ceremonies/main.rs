//! The registration and authentication ceremonies through the public API: one test per
//! verification step's rejection, asserting its exact error code.
//!
//! The modules are `cfg(test)` so that clippy treats their helper functions as test code.

#[cfg(test)]
mod authentication;
#[cfg(test)]
mod common;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod recorded;
#[cfg(test)]
mod registration;
