//! Clients (tenants) and their API keys: environments, roles and who may create customers
//! directly. The key format and hashing live in `auth.rs`.

use crate::domain::value_enum::value_enum;

value_enum! {
    /// Whether a client works with test data (SANDBOX) or real customers (PRODUCTION).
    Environment {
        /// Test data only; applications can be decided by the client itself.
        Sandbox = "SANDBOX",
        /// Real customers and money.
        Production = "PRODUCTION",
    }
}

value_enum! {
    /// What an API key acts as.
    KeyRole {
        Client = "CLIENT",
        Operator = "OPERATOR",
    }
}

value_enum! {
    /// Who made a change recorded in a history.
    Actor {
        /// A client of the platform, through its API key.
        Client = "CLIENT",
        /// The platform's operator.
        Operator = "OPERATOR",
        /// The server itself (seeding, cascades, expiry).
        System = "SYSTEM",
    }
}

/// Why and by whom something was created or changed (kept in its history).
#[derive(Debug, Clone)]
pub struct ChangeNote<'a> {
    pub reason: &'a str,
    pub updated_by: &'a str,
    pub actor: Actor,
}
