//! The registration and authentication ceremonies through the public API: one test per
//! verification step's rejection, asserting its exact error code.

mod authentication;
#[cfg(test)]
mod common;
mod registration;
