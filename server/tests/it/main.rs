//! The integration tests of anshin-server, in one binary so that they share one build.
//!
//! Tests that need PostgreSQL or Redis use the real services (`DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; `REDIS_URL`, default `redis://127.0.0.1:6379`).
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub, dead_code)]

mod harness;
mod support;

mod api;
mod cli;
mod distributed;
mod ephemeral_contract;
mod fido2;
mod pages;
mod risk_stories;
mod store_contract;
mod webhooks;
