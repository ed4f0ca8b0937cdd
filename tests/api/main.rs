//! Integration tests: the real server over HTTP, each on SQLite and on PostgreSQL.

mod harness;

mod auth;
mod graphiql;
mod health;
mod node;
mod schema;
mod startup;
