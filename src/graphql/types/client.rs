//! `Client`: a tenant of the platform, as `viewer` and through `node`.

use async_graphql::{Context, ID, Object};

use crate::domain::access::AccessScope;
use crate::domain::client::Environment;
use crate::graphql::error::ApiResult;
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::request;
use crate::store;

/// A client of the platform (a fintech or financial institution) that onboards and manages
/// its own customers.
pub struct Client(pub store::clients::Client);

/// A client of the platform (a fintech or financial institution) that onboards and manages
/// its own customers.
#[Object]
impl Client {
    /// The client's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Client, self.0.id.0)
    }

    /// The client's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// SANDBOX (test data, self-service decisions) or PRODUCTION (real customers).
    async fn environment(&self) -> Environment {
        self.0.environment
    }

    /// Whether the client is a regulated institution. Only regulated clients in PRODUCTION
    /// may create customers directly; everyone else onboards them through applications.
    async fn regulated(&self) -> bool {
        self.0.regulated
    }

    /// When the client was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at.0
    }

    /// What the credential of this request allows, when this client is the `viewer`: every
    /// scope for an API key, its own for an access token. Null for any other client.
    async fn scopes(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<AccessScope>>> {
        let rc = request(ctx)?;
        Ok(self.is_viewer(rc).then(|| rc.principal.scopes().list()))
    }

    /// The customerIds the access token of this request is limited to, when this client is
    /// the `viewer`; null for an API key, a token that reaches every customer, or any other
    /// client.
    async fn customer_ids(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<String>>> {
        let rc = request(ctx)?;
        if !self.is_viewer(rc) {
            return Ok(None);
        }
        Ok(crate::ops::clients::access_tokens::own_customers(&rc.cx()).await?)
    }

    /// When the access token of this request stops working, when this client is the
    /// `viewer`; null for an API key (keys work until revoked) or any other client.
    async fn expires_at(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
        let rc = request(ctx)?;
        Ok(rc
            .principal
            .grant()
            .filter(|_| self.is_viewer(rc))
            .map(|grant| grant.expires_at))
    }
}

impl Client {
    /// Whether this is the client whose credential made the request.
    fn is_viewer(&self, rc: &crate::graphql::RequestContext) -> bool {
        rc.principal.client_id() == Some(self.0.id)
    }
}
