//! Services: orchestrate stores and the core. No HTTP types beyond the API bodies.

pub mod accounts;
pub mod ceremonies;
pub mod fallback;
pub mod risk;
