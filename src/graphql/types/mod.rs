//! GraphQL object types, one file per domain object; each wraps a store row.

pub mod account;
pub mod address;
pub mod application;
pub mod application_document;
pub mod client;
pub mod customer;
pub mod money;
pub mod payor;
