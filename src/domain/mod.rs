//! The platform's rules as pure Rust: identifiers, tenancy, enums and (in later capabilities)
//! status tables and validation. Nothing here performs I/O, so every rule is unit-tested whole.

pub mod access;
pub mod account;
pub mod application;
pub mod client;
pub mod customer;
pub mod dormancy;
pub mod event;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod patch;
pub mod payment_address;
pub mod payor;
pub mod sandbox_clock;
pub mod status;
pub mod tenancy;
pub mod time;
pub mod transfer;
pub mod validation;
pub(crate) mod value_enum;
pub mod webhook;
