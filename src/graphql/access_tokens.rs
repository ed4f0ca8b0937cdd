//! `createAccessToken`, `revokeAccessToken` and `accessTokens`: short-lived, narrowly scoped
//! credentials a client's backend mints for a browser or app (argument mapping and one call
//! into `ops::clients::access_tokens`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::access::AccessScope;
use crate::domain::ids::AccessTokenId;
use crate::graphql::error::ApiResult;
use crate::graphql::money::client_of;
use crate::graphql::node::{self, NodeKind, encode};
use crate::graphql::request;
use crate::ops::clients::access_tokens::{self, Input, Token};

/// An access token as listed (its secret is shown once, when it is minted).
pub struct AccessToken(pub Token);

/// A short-lived credential a client's backend mints with its API key for a browser or app:
/// it allows only its scopes and, when it names customers, sees only them (everything else is
/// NOT_FOUND). Send it as `Authorization: Bearer l2at_…`.
#[Object]
impl AccessToken {
    /// The token's opaque global id (for `revokeAccessToken`).
    async fn id(&self) -> ID {
        encode(NodeKind::AccessToken, self.0.row.id.0)
    }

    /// The first characters of the token (`l2at_` and 8 more), to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.row.prefix
    }

    /// What the client called it.
    async fn label(&self) -> Option<&str> {
        self.0.row.label.as_deref()
    }

    /// What it allows.
    async fn scopes(&self) -> Vec<AccessScope> {
        self.0.scopes().list()
    }

    /// The client's customerIds it is limited to; null when it reaches every customer.
    async fn customer_ids(&self) -> Option<&[String]> {
        self.0.customer_ids.as_deref()
    }

    /// When it was minted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.row.created_at.0
    }

    /// When it stops working (401 UNAUTHENTICATED from then on).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.row.expires_at.0
    }

    /// When it was revoked, if it was.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.row.revoked_at.map(|at| at.0)
    }
}

/// What a new access token allows.
#[derive(InputObject)]
pub struct CreateAccessTokenInput {
    /// What it allows (at least one; MANAGE_CUSTOMERS and MANAGE_INTEGRATION belong to API
    /// keys and cannot be granted).
    pub scopes: Vec<AccessScope>,
    /// Limit it to these of the client's customerIds (1 to 100): it then sees only those
    /// customers and what is theirs, everywhere. A customerId that no customer has yet allows
    /// onboarding it: an application for that customerId.
    pub customer_ids: Option<Vec<String>>,
    /// How long it lives, in seconds (default 900, at most 86,400).
    pub ttl_seconds: Option<i32>,
    /// The client's own name for it (1 to 200 characters).
    pub label: Option<String>,
}

/// The result of `createAccessToken`.
#[derive(SimpleObject)]
pub struct CreateAccessTokenPayload {
    /// The token itself, shown this once: only its hash is kept.
    pub token: String,
    /// What it allows and until when.
    pub access_token: AccessToken,
}

/// The result of `revokeAccessToken`.
#[derive(SimpleObject)]
pub struct RevokeAccessTokenPayload {
    /// The token, revoked.
    pub access_token: AccessToken,
}

/// Listing a client's access tokens.
#[derive(Default)]
pub struct AccessTokenQuery;

/// Listing a client's access tokens.
#[Object]
impl AccessTokenQuery {
    /// The client's live access tokens (neither expired nor revoked), newest first, without
    /// their secrets. API keys only; the operator names the client.
    async fn access_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<Vec<AccessToken>> {
        let rc = request(ctx)?;
        let client = client_of(client_id.as_ref())?;
        let tokens = access_tokens::live(&rc.cx(), client).await?;
        Ok(tokens.into_iter().map(AccessToken).collect())
    }
}

/// Minting and revoking access tokens.
#[derive(Default)]
pub struct AccessTokenMutation;

/// Minting and revoking access tokens.
#[Object]
impl AccessTokenMutation {
    /// Mints an access token with the calling API key (never with another token): the token
    /// is returned once. It lives 15 minutes unless `ttlSeconds` says otherwise (at most 24
    /// hours), allows only its scopes, and when it names customers sees only them. The
    /// operator names the client.
    async fn create_access_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the token allows and for how long.")] input: CreateAccessTokenInput,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<CreateAccessTokenPayload> {
        let rc = request(ctx)?;
        let input = Input {
            scopes: input.scopes,
            customer_ids: input.customer_ids,
            ttl_seconds: input.ttl_seconds.map(i64::from),
            label: input.label,
            client: client_of(client_id.as_ref())?,
        };
        let (secret, token) = access_tokens::create(&rc.cx(), input).await?;
        Ok(CreateAccessTokenPayload {
            token: secret.expose().to_owned(),
            access_token: AccessToken(token),
        })
    }

    /// Revokes an access token: it stops working at once on this server and within the
    /// credential cache's lifetime (5 s by default) on the others.
    async fn revoke_access_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's global id.")] id: ID,
    ) -> ApiResult<RevokeAccessTokenPayload> {
        let rc = request(ctx)?;
        let id = AccessTokenId(node::decode_as(&id, NodeKind::AccessToken)?);
        let revoked = access_tokens::revoke(&rc.cx(), id).await;
        // Verified credentials are cached: forget them so the token stops here at once.
        rc.keys.clear();
        Ok(RevokeAccessTokenPayload {
            access_token: AccessToken(revoked?),
        })
    }
}
