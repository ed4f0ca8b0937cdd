//! Who is calling, and which tenant's data that caller may reach. A `Scope` is required by
//! every store function on tenant data; only authentication (and seeding) can make one.

use super::ids::{ApiKeyId, ClientId};

/// The authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A client of the platform: sees and changes only its own data.
    Client {
        client_id: ClientId,
        key_id: ApiKeyId,
    },
    /// The platform itself: acts across clients.
    Operator { key_id: ApiKeyId },
}

impl Principal {
    /// The data this principal may reach.
    pub fn scope(&self) -> Scope {
        match self {
            Self::Client { client_id, .. } => Scope {
                client: Some(*client_id),
            },
            Self::Operator { .. } => Scope { client: None },
        }
    }

    pub fn is_operator(&self) -> bool {
        matches!(self, Self::Operator { .. })
    }

    pub fn client_id(&self) -> Option<ClientId> {
        match self {
            Self::Client { client_id, .. } => Some(*client_id),
            Self::Operator { .. } => None,
        }
    }
}

/// The tenant boundary of a query: one client's rows, or (for the operator) every client's.
/// Its field is private: a scope comes from a `Principal`, or from `for_client` in code that
/// has just created that client (seeding, the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    client: Option<ClientId>,
}

impl Scope {
    /// The scope of one client, for code acting on behalf of a client it has just created.
    pub(crate) fn for_client(client_id: ClientId) -> Self {
        Self {
            client: Some(client_id),
        }
    }

    /// The client whose rows this scope is limited to; `None` for the operator (all clients).
    pub fn client_id(&self) -> Option<ClientId> {
        self.client
    }

    /// Whether a row owned by `owner` is inside this scope.
    pub fn includes(&self, owner: ClientId) -> bool {
        self.client.is_none_or(|own| own == owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_scope_includes_only_its_own_rows() {
        let own = ClientId::new();
        let scope = Principal::Client {
            client_id: own,
            key_id: ApiKeyId::new(),
        }
        .scope();
        assert!(scope.includes(own));
        assert!(!scope.includes(ClientId::new()));
        assert_eq!(scope.client_id(), Some(own));
    }

    #[test]
    fn operator_scope_includes_every_client() {
        let scope = Principal::Operator {
            key_id: ApiKeyId::new(),
        }
        .scope();
        assert!(scope.includes(ClientId::new()));
        assert_eq!(scope.client_id(), None);
    }
}
