//! `createAccessToken`, `revokeAccessToken`, `accessTokens`: short-lived credentials a
//! client's backend mints with its API key for a browser or app, with the scopes they allow
//! and optionally the customers they are limited to. A token's secret is shown once; only its
//! hash is stored. Tokens are checked and cached like keys (`auth`).

use crate::auth::Credential;
use crate::db::types::Timestamp;
use crate::domain::access::{AccessScope, MAX_LIVE_TOKENS, Scopes, account_id_within, check_token};
use crate::domain::application::AccountToOpen;
use crate::domain::ids::{AccessTokenId, ClientId};
use crate::domain::validation::{Problems, check_external_id};
use crate::ops::{Cx, OpError, OpResult, target_client, uow};
use crate::store;
use crate::store::access_tokens::AccessToken;

/// What `createAccessToken` is given.
#[derive(Debug, Clone)]
pub struct Input {
    pub scopes: Vec<AccessScope>,
    /// The client's own customerIds the token is limited to; `None` for all its customers.
    pub customer_ids: Option<Vec<String>>,
    pub ttl_seconds: Option<i64>,
    pub label: Option<String>,
    /// The client, for the operator.
    pub client: Option<ClientId>,
}

/// A token as listed: its row and the customers it is limited to.
#[derive(Debug, Clone)]
pub struct Token {
    pub row: AccessToken,
    pub customer_ids: Option<Vec<String>>,
}

impl Token {
    pub fn scopes(&self) -> Scopes {
        Scopes::from_text(&self.row.scopes)
    }
}

/// Only an API key mints, revokes and lists tokens (never another token).
fn with_api_key(cx: &Cx<'_>) -> OpResult<()> {
    match cx.principal.grant() {
        Some(_) => Err(OpError::ScopeRequired(AccessScope::ManageIntegration)),
        None => Ok(()),
    }
}

/// Mints a token; its secret (shown once) and what it allows.
pub async fn create(cx: &Cx<'_>, input: Input) -> OpResult<(Credential, Token)> {
    with_api_key(cx)?;
    let client = target_client(cx.principal, input.client)?
        .ok_or_else(|| OpError::NotFound("no such client".into()))?;
    let ttl = check_token(
        &input.scopes,
        input.customer_ids.as_deref(),
        input.ttl_seconds,
    )
    .map_err(|(field, message)| OpError::bad_input(field, message))?;
    let mut problems = Problems::new();
    problems.optional_text("label", input.label.as_deref(), 200);
    for (n, id) in input.customer_ids.iter().flatten().enumerate() {
        check_external_id(&mut problems, &format!("customerIds.{n}"), id);
    }
    OpError::check(problems.into_errors())?;
    let mut customer_ids = input.customer_ids.clone();
    if let Some(ids) = &mut customer_ids {
        ids.sort();
        ids.dedup();
    }
    let secret = Credential::generate_token();
    let template = AccessToken {
        id: AccessTokenId::new(),
        client_id: client,
        api_key_id: cx.principal.key_id(),
        prefix: secret.prefix().to_owned(),
        secret_hash: secret.hash(),
        label: input.label.clone(),
        scopes: Scopes::of(input.scopes.iter().copied()).to_text(),
        restricted: customer_ids.is_some(),
        created_at: cx.now,
        expires_at: Timestamp(cx.now.0 + ttl),
        revoked_at: None,
    };
    let row = uow::unit!(cx, None, tx => {
        let Some(offset_ms) = store::clients::clock_offset(tx, &cx.scope(), client).await? else {
            return Err(OpError::NotFound("no such client".into()));
        };
        // On the client's clock (its sandbox clock may run ahead), also when the operator
        // mints for it: expiry is checked on that clock.
        let real_now = cx.now.0 - cx.principal.clock_ahead();
        let client_now = real_now + chrono::Duration::milliseconds(offset_ms);
        if store::access_tokens::count_live(tx, client, Timestamp(client_now)).await?
            >= MAX_LIVE_TOKENS
        {
            return Err(OpError::Rule {
                code: "ACCESS_TOKEN_LIMIT_REACHED",
                message: format!(
                    "a client may hold at most {MAX_LIVE_TOKENS} live access tokens; revoke some \
                     or let them expire"
                ),
            });
        }
        let row = AccessToken {
            created_at: Timestamp(client_now),
            expires_at: Timestamp(client_now + ttl),
            ..template.clone()
        };
        let customers = customer_ids.as_deref().unwrap_or_default();
        store::access_tokens::insert(tx, &cx.scope(), &row, customers).await?;
        OpResult::Ok(row)
    })?
    .done()?;
    Ok((secret, Token { row, customer_ids }))
}

/// Revokes a token of the caller's client (any client's for the operator).
pub async fn revoke(cx: &Cx<'_>, id: AccessTokenId) -> OpResult<Token> {
    with_api_key(cx)?;
    let not_found = || OpError::NotFound("no such access token".into());
    let row = uow::unit!(cx, None, tx => {
        let mut row = store::access_tokens::find(tx, &cx.scope(), id)
            .await?
            .ok_or_else(not_found)?;
        if store::access_tokens::revoke(tx, &cx.scope(), &row, cx.now).await? {
            row.revoked_at = Some(cx.now);
        }
        OpResult::Ok(row)
    })?
    .done()?;
    let mut listed = with_customers(cx, vec![row]).await?;
    listed.pop().ok_or_else(not_found)
}

/// A client's live tokens, newest first (without secrets).
pub async fn live(cx: &Cx<'_>, client: Option<ClientId>) -> OpResult<Vec<Token>> {
    with_api_key(cx)?;
    let Some(client) = target_client(cx.principal, client)? else {
        return Ok(Vec::new());
    };
    let rows = {
        let mut pooled = cx.db.read().await?;
        store::access_tokens::live(&mut pooled.conn(), &cx.scope(), client, cx.now).await?
    };
    with_customers(cx, rows).await
}

/// The rows with the customers each restricted one is limited to.
async fn with_customers(cx: &Cx<'_>, rows: Vec<AccessToken>) -> OpResult<Vec<Token>> {
    let restricted: Vec<AccessTokenId> = rows
        .iter()
        .filter(|row| row.restricted)
        .map(|row| row.id)
        .collect();
    let customers = if restricted.is_empty() {
        Vec::new()
    } else {
        let mut pooled = cx.db.read().await?;
        store::access_tokens::customers_of(&mut pooled.conn(), &restricted).await?
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let customer_ids = row.restricted.then(|| {
                customers
                    .iter()
                    .filter(|(token, _)| *token == row.id)
                    .map(|(_, id)| id.clone())
                    .collect()
            });
            Token { row, customer_ids }
        })
        .collect())
}

/// The customerIds the caller's own token is limited to (`None` for an API key or an
/// unrestricted token), for `viewer`.
pub async fn own_customers(cx: &Cx<'_>) -> OpResult<Option<Vec<String>>> {
    let Some(grant) = cx.principal.grant().filter(|grant| grant.restricted) else {
        return Ok(None);
    };
    let mut pooled = cx.db.read().await?;
    let customers = store::access_tokens::customers_of(&mut pooled.conn(), &[grant.token]).await?;
    Ok(Some(customers.into_iter().map(|(_, id)| id).collect()))
}

/// For a restricted token: whether it is limited to (among others) the customer its client
/// knows as `customer_id` (`NOT_FOUND` otherwise: the others do not exist for it), and
/// whether the account an application of that customer would open is named under its
/// customerId (`account_id_within`). Anyone else passes.
pub async fn check_customer(
    cx: &Cx<'_>,
    customer_id: &str,
    account_to_open: Option<&AccountToOpen>,
) -> OpResult<()> {
    let Some(grant) = cx.principal.grant().filter(|grant| grant.restricted) else {
        return Ok(());
    };
    let covered = {
        let mut pooled = cx.db.read().await?;
        store::access_tokens::covers(&mut pooled.conn(), grant.token, customer_id).await?
    };
    if !covered {
        return Err(crate::ops::customers::not_found(customer_id));
    }
    match account_to_open {
        Some(account) if !account_id_within(customer_id, &account.account_id) => {
            Err(OpError::bad_input(
                "accountToOpen.accountId",
                format!(
                    "with an access token, must be the customerId followed by a hyphen and \
                     more (e.g. {customer_id}-usd)"
                ),
            ))
        }
        _ => Ok(()),
    }
}
