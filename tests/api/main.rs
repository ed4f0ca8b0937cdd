//! Integration tests: the real server over HTTP, each on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod harness;

mod access_tokens;
mod applications;
mod auth;
mod bench;
mod browser;
mod customers;
mod files_and_logs;
mod graphiql;
mod hardening;
mod health;
mod http_audit;
#[cfg(target_os = "linux")]
mod memory;
mod migrations;
mod money;
mod node;
mod schema;
mod stalls;
mod startup;
mod subscriptions;
