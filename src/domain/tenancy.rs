//! Who is calling, and which tenant's data that caller may reach. A `Scope` is required by
//! every store function on tenant data; only authentication (and seeding) can make one.

use chrono::{DateTime, Utc};

use super::access::{AccessScope, Scopes};
use super::client::Environment;
use super::ids::{AccessTokenId, ApiKeyId, ClientId};

/// The authenticated caller. Its fields are private and its constructors crate-private:
/// outside this crate a principal (and so a [`Scope`]) only comes from authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    caller: Caller,
    key_id: ApiKeyId,
    /// The client's environment; the operator counts as PRODUCTION.
    environment: Environment,
    /// How far a SANDBOX client's own clock runs ahead of real time, in milliseconds (zero
    /// for everyone else): the time every operation of this caller happens at.
    clock_ahead_ms: i64,
    /// What the access token allows, when the caller holds one rather than an API key.
    grant: Option<Grant>,
}

/// What an access token allows its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub token: AccessTokenId,
    pub scopes: Scopes,
    /// Limited to the customers named when it was minted (and to nothing else).
    pub restricted: bool,
    /// When it stops working, on real time.
    pub expires_at: DateTime<Utc>,
}

/// Who a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A client of the platform: sees and changes only its own data.
    Client(ClientId),
    /// The platform itself: acts across clients.
    Operator,
    /// The server's own jobs (expiry, sweeping): across clients, recorded as SYSTEM.
    System,
}

impl Principal {
    pub(crate) fn client(client_id: ClientId, key_id: ApiKeyId, environment: Environment) -> Self {
        Self {
            caller: Caller::Client(client_id),
            key_id,
            environment,
            clock_ahead_ms: 0,
            grant: None,
        }
    }

    /// A client's access token, minted with the API key `key_id`.
    pub(crate) fn token(
        client_id: ClientId,
        key_id: ApiKeyId,
        environment: Environment,
        grant: Grant,
    ) -> Self {
        Self {
            grant: Some(grant),
            ..Self::client(client_id, key_id, environment)
        }
    }

    /// What the caller's access token allows; `None` for an API key.
    pub fn grant(&self) -> Option<Grant> {
        self.grant
    }

    /// The scopes the caller holds: every scope for an API key (and the operator).
    pub fn scopes(&self) -> Scopes {
        self.grant.map_or_else(Scopes::all, |grant| grant.scopes)
    }

    /// Whether the caller holds `scope`; the scope it lacks otherwise.
    pub fn require(&self, scope: AccessScope) -> Result<(), AccessScope> {
        if self.scopes().contains(scope) {
            Ok(())
        } else {
            Err(scope)
        }
    }

    /// The same principal on its client's sandbox clock, `ms` ahead of real time (PRODUCTION
    /// clients always run on real time).
    pub(crate) fn on_sandbox_clock(self, ms: i64) -> Self {
        match (self.caller, self.environment) {
            (Caller::Client(_), Environment::Sandbox) => Self {
                clock_ahead_ms: ms.max(0),
                ..self
            },
            _ => self,
        }
    }

    /// How far this caller's clock runs ahead of real time (a SANDBOX client's own clock).
    pub fn clock_ahead(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.clock_ahead_ms)
    }

    pub(crate) fn operator(key_id: ApiKeyId) -> Self {
        Self {
            caller: Caller::Operator,
            key_id,
            environment: Environment::Production,
            clock_ahead_ms: 0,
            grant: None,
        }
    }

    /// The server's own jobs, across every client.
    pub fn system() -> Self {
        Self {
            caller: Caller::System,
            key_id: ApiKeyId(uuid::Uuid::nil()),
            environment: Environment::Production,
            clock_ahead_ms: 0,
            grant: None,
        }
    }

    /// SANDBOX or PRODUCTION: which limits and conveniences apply (the operator's are
    /// PRODUCTION's).
    pub fn environment(&self) -> Environment {
        self.environment
    }

    pub fn caller(&self) -> Caller {
        self.caller
    }

    /// The API key the request was made with.
    pub fn key_id(&self) -> ApiKeyId {
        self.key_id
    }

    /// The data this principal may reach.
    pub fn scope(&self) -> Scope {
        match self.caller {
            Caller::Client(client_id) => Scope {
                client: Some(client_id),
                token: self
                    .grant
                    .filter(|grant| grant.restricted)
                    .map(|grant| grant.token),
            },
            Caller::Operator | Caller::System => Scope {
                client: None,
                token: None,
            },
        }
    }

    /// Whether this is the operator (or the server itself, which acts as the platform).
    pub fn is_operator(&self) -> bool {
        matches!(self.caller, Caller::Operator | Caller::System)
    }

    pub fn client_id(&self) -> Option<ClientId> {
        match self.caller {
            Caller::Client(client_id) => Some(client_id),
            Caller::Operator | Caller::System => None,
        }
    }

    /// The role the status rules know this principal by.
    pub fn role(&self) -> super::status::Role {
        match self.caller {
            Caller::Client(_) => super::status::Role::Client,
            Caller::Operator | Caller::System => super::status::Role::Operator,
        }
    }

    /// How history records this principal.
    pub fn actor(&self) -> super::client::Actor {
        match self.caller {
            Caller::Client(_) => super::client::Actor::Client,
            Caller::Operator => super::client::Actor::Operator,
            Caller::System => super::client::Actor::System,
        }
    }
}

/// The tenant boundary of a query: one client's rows, or (for the operator) every client's;
/// and for an access token limited to some customers, only theirs. Its fields are private: a
/// scope comes from a `Principal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    client: Option<ClientId>,
    token: Option<AccessTokenId>,
}

impl Scope {
    /// The access token whose customers alone this scope reaches (the store reads them
    /// from the token's rows); `None` when every customer of the client is in scope.
    pub fn customers_of_token(&self) -> Option<AccessTokenId> {
        self.token
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
        let scope = Principal::client(own, ApiKeyId::new(), Environment::Sandbox).scope();
        assert!(scope.includes(own));
        assert!(!scope.includes(ClientId::new()));
        assert_eq!(scope.client_id(), Some(own));
    }

    #[test]
    fn operator_scope_includes_every_client() {
        let scope = Principal::operator(ApiKeyId::new()).scope();
        assert!(scope.includes(ClientId::new()));
        assert_eq!(scope.client_id(), None);
    }
}
