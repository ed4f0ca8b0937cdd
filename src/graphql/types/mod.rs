//! GraphQL object types, one file per domain object; each wraps a store row.

pub mod application;
pub mod client;
pub mod customer;
