//! Layer2 onboarding: a GraphQL API over customers, applications, accounts and payors for a
//! banking platform's clients, on SQLite (embedded default) or PostgreSQL (production).

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod graphql;
pub mod jobs;
pub mod ops;
pub mod seed;
pub mod server;
pub mod store;
