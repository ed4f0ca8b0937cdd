//! GraphQL object types, one file per domain object; each wraps a store row.

pub mod client;
pub mod customer;
