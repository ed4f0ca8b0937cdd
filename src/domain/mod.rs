//! The platform's rules as pure Rust: identifiers, tenancy, enums and (in later capabilities)
//! status tables and validation. Nothing here performs I/O, so every rule is unit-tested whole.

pub mod account;
pub mod client;
pub mod customer;
pub mod ids;
pub mod status;
pub mod tenancy;
