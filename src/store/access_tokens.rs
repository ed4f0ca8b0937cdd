//! Access tokens: their rows (a hash of the secret, never the secret), the customers a token
//! is limited to, and the lookups authentication and the listing need.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::api_keys::KeyClient;
use super::{StoreError, ensure_in_scope};
use crate::db::schema::{access_token_customers, access_tokens, api_keys, clients};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::client::Environment;
use crate::domain::ids::{AccessTokenId, ApiKeyId, ClientId};
use crate::domain::tenancy::Scope;

/// An access token as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_tokens)]
pub struct AccessToken {
    pub id: AccessTokenId,
    pub client_id: ClientId,
    /// The API key that minted it.
    pub api_key_id: ApiKeyId,
    pub prefix: String,
    pub secret_hash: String,
    pub label: Option<String>,
    /// Comma-separated scope names (`domain::access::Scopes::to_text`).
    pub scopes: String,
    /// Limited to its customers (`access_token_customers`).
    pub restricted: bool,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// Inserts a token and the customerIds it is limited to, in the caller's transaction.
pub async fn insert(
    tx: &mut Conn<'_>,
    scope: &Scope,
    token: &AccessToken,
    customer_ids: &[String],
) -> Result<(), StoreError> {
    ensure_in_scope(scope, token.client_id)?;
    dispatch!(tx, c => {
        diesel::insert_into(access_tokens::table).values(token).execute(c).await?;
        // At most 100, one statement each (SQLite takes no multi-row insert of these).
        for id in customer_ids {
            diesel::insert_into(access_token_customers::table)
                .values((
                    access_token_customers::token_id.eq(token.id),
                    access_token_customers::client_id.eq(token.client_id),
                    access_token_customers::customer_external_id.eq(id.as_str()),
                ))
                .execute(c)
                .await?;
        }
    });
    Ok(())
}

/// The token whose secret hashes to `secret_hash`, revoked, expired or not, with its
/// client, in one statement.
pub async fn find_by_hash(
    conn: &mut Conn<'_>,
    secret_hash: &str,
) -> Result<Option<(AccessToken, KeyClient)>, StoreError> {
    let found: Option<(AccessToken, Environment, i64)> = dispatch!(conn, c => {
        access_tokens::table
            .inner_join(clients::table)
            .inner_join(api_keys::table)
            .filter(access_tokens::secret_hash.eq(secret_hash))
            // A token dies with the key that minted it.
            .filter(api_keys::revoked_at.is_null())
            .select((
                AccessToken::as_select(),
                clients::environment,
                clients::clock_offset_ms,
            ))
            .first(c)
            .await
            .optional()?
    });
    Ok(found.map(|(token, environment, clock_offset_ms)| {
        (
            token,
            KeyClient {
                environment,
                clock_offset_ms,
            },
        )
    }))
}

/// A client's tokens that are neither revoked nor expired at `now`, newest first.
pub async fn live(
    conn: &mut Conn<'_>,
    scope: &Scope,
    client: ClientId,
    now: Timestamp,
) -> Result<Vec<AccessToken>, StoreError> {
    if !scope.includes(client) {
        return Ok(Vec::new());
    }
    let found = dispatch!(conn, c => {
        access_tokens::table
            .filter(access_tokens::client_id.eq(client))
            .filter(access_tokens::revoked_at.is_null())
            .filter(access_tokens::expires_at.gt(now))
            .order((access_tokens::created_at.desc(), access_tokens::id.desc()))
            .select(AccessToken::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// How many of a client's tokens are live at `now`.
pub async fn count_live(
    conn: &mut Conn<'_>,
    client: ClientId,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        access_tokens::table
            .filter(access_tokens::client_id.eq(client))
            .filter(access_tokens::revoked_at.is_null())
            .filter(access_tokens::expires_at.gt(now))
            .count()
            .get_result(c)
            .await?
    });
    Ok(n)
}

/// The token with this id, if the scope reaches its client.
pub async fn find(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: AccessTokenId,
) -> Result<Option<AccessToken>, StoreError> {
    let found: Option<AccessToken> = dispatch!(conn, c => {
        access_tokens::table
            .find(id)
            .select(AccessToken::as_select())
            .first(c)
            .await
            .optional()?
    });
    Ok(found.filter(|token| scope.includes(token.client_id)))
}

/// Revokes a live token at `now`; false when it was already revoked.
pub async fn revoke(
    tx: &mut Conn<'_>,
    scope: &Scope,
    token: &AccessToken,
    now: Timestamp,
) -> Result<bool, StoreError> {
    ensure_in_scope(scope, token.client_id)?;
    let changed = dispatch!(tx, c => {
        diesel::update(
            access_tokens::table
                .filter(access_tokens::id.eq(token.id))
                .filter(access_tokens::revoked_at.is_null()),
        )
        .set(access_tokens::revoked_at.eq(Some(now)))
        .execute(c)
        .await?
    });
    Ok(changed == 1)
}

/// Revokes every live token the key with this prefix minted (with the key itself); how many.
pub async fn revoke_minted_by(
    tx: &mut Conn<'_>,
    key_prefix: &str,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let changed = dispatch!(tx, c => {
        diesel::update(
            access_tokens::table
                .filter(access_tokens::revoked_at.is_null())
                .filter(
                    access_tokens::api_key_id.eq_any(
                        api_keys::table
                            .filter(api_keys::prefix.eq(key_prefix))
                            .select(api_keys::id),
                    ),
                ),
        )
        .set(access_tokens::revoked_at.eq(Some(now)))
        .execute(c)
        .await?
    });
    Ok(changed)
}

/// The customerIds each of these tokens is limited to, in no particular order.
pub async fn customers_of(
    conn: &mut Conn<'_>,
    tokens: &[AccessTokenId],
) -> Result<Vec<(AccessTokenId, String)>, StoreError> {
    let found = dispatch!(conn, c => {
        access_token_customers::table
            .filter(access_token_customers::token_id.eq_any(tokens))
            .order(access_token_customers::customer_external_id)
            .select((
                access_token_customers::token_id,
                access_token_customers::customer_external_id,
            ))
            .load(c)
            .await?
    });
    Ok(found)
}

/// Whether a token is limited to (among others) the customer the client knows as
/// `customer_id`.
pub async fn covers(
    conn: &mut Conn<'_>,
    token: AccessTokenId,
    customer_id: &str,
) -> Result<bool, StoreError> {
    let n: i64 = dispatch!(conn, c => {
        access_token_customers::table
            .filter(access_token_customers::token_id.eq(token))
            .filter(access_token_customers::customer_external_id.eq(customer_id))
            .count()
            .get_result(c)
            .await?
    });
    Ok(n > 0)
}
