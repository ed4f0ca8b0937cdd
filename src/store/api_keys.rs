//! API keys: only a SHA-256 hash of each secret is stored, with a short prefix that names
//! the key in listings and logs. Key format and hashing live in `auth.rs`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::StoreError;
use crate::db::schema::{api_keys, clients};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::client::{Environment, KeyRole};
use crate::domain::ids::{ApiKeyId, ClientId};

/// A stored API key (never its secret).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub client_id: Option<ClientId>,
    pub role: KeyRole,
    pub prefix: String,
    pub secret_hash: String,
    pub label: Option<String>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

pub async fn insert(conn: &mut Conn<'_>, key: &ApiKey) -> Result<(), StoreError> {
    dispatch!(conn, c => {
        diesel::insert_into(api_keys::table).values(key).execute(c).await?;
    });
    Ok(())
}

/// A key's client as authentication needs it: its environment and how far its sandbox
/// clock runs ahead of real time.
#[derive(Debug, Clone, Copy)]
pub struct KeyClient {
    pub environment: Environment,
    pub clock_offset_ms: i64,
}

/// The key whose secret hashes to `secret_hash`, revoked or not, with its client (none for
/// an operator key), in one statement.
pub async fn find_by_hash(
    conn: &mut Conn<'_>,
    secret_hash: &str,
) -> Result<Option<(ApiKey, Option<KeyClient>)>, StoreError> {
    let found: Option<(ApiKey, Option<Environment>, Option<i64>)> = dispatch!(conn, c => {
        api_keys::table
            .left_join(clients::table)
            .filter(api_keys::secret_hash.eq(secret_hash))
            .select((
                ApiKey::as_select(),
                clients::environment.nullable(),
                clients::clock_offset_ms.nullable(),
            ))
            .first(c)
            .await
            .optional()?
    });
    Ok(found.map(|(key, environment, offset)| {
        let client = environment.map(|environment| KeyClient {
            environment,
            clock_offset_ms: offset.unwrap_or(0),
        });
        (key, client)
    }))
}

/// Revokes the key with this prefix; false when there is no such live key.
pub async fn revoke(conn: &mut Conn<'_>, prefix: &str) -> Result<bool, StoreError> {
    let now = Timestamp::now();
    let changed = dispatch!(conn, c => {
        diesel::update(
            api_keys::table
                .filter(api_keys::prefix.eq(prefix))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(Some(now)))
        .execute(c)
        .await?
    });
    Ok(changed == 1)
}

/// Every key, oldest first (the platform's view, for the CLI).
pub async fn list_all(conn: &mut Conn<'_>) -> Result<Vec<ApiKey>, StoreError> {
    let all = dispatch!(conn, c => {
        api_keys::table
            .order((api_keys::created_at, api_keys::id))
            .select(ApiKey::as_select())
            .load(c)
            .await?
    });
    Ok(all)
}
