//! Idempotency keys, per client and per issuer (a client's own, or the operator's for that
//! client): the first request with a key records a hash of itself and the object it
//! produced, in the same transaction as its effect (`ops::uow`). Keys past their retention
//! are swept.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use super::StoreError;
use crate::db::schema::idempotency_keys;
use crate::db::types::Timestamp;
use crate::db::types::uuid_id;
use crate::db::{Conn, dispatch};
use crate::domain::client::Actor;
use crate::domain::ids::ClientId;

uuid_id!(
    /// The object an idempotent request produced (a transfer, a transaction).
    ResultId
);

/// The longest key a client may send.
pub const MAX_KEY_LENGTH: usize = 200;

/// A key as stored: the request it was first used for and what that produced.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Saved {
    pub operation: String,
    pub request_hash: String,
    pub result_id: uuid::Uuid,
}

/// A key to claim.
#[derive(Debug)]
pub struct NewKey<'a> {
    pub client: ClientId,
    /// Whose key it is: a client's keys and the operator's keys for that client's data are
    /// apart.
    pub issuer: Actor,
    pub key: &'a str,
    pub operation: &'a str,
    pub request_hash: &'a str,
    pub result: uuid::Uuid,
    pub at: Timestamp,
}

/// A hash of an operation and its arguments (each length-prefixed, so that no two
/// different argument lists hash alike).
pub fn request_hash(operation: &str, arguments: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in std::iter::once(operation).chain(arguments.iter().copied()) {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The stored key `key` of `issuer` for `client`'s data, if any.
pub async fn find(
    conn: &mut Conn<'_>,
    client: ClientId,
    issuer: Actor,
    key: &str,
) -> Result<Option<Saved>, StoreError> {
    let found: Option<(String, String, ResultId)> = dispatch!(conn, c => {
        idempotency_keys::table
            .filter(idempotency_keys::client_id.eq(client))
            .filter(idempotency_keys::issuer.eq(issuer))
            .filter(idempotency_keys::idempotency_key.eq(key))
            .select((
                idempotency_keys::operation,
                idempotency_keys::request_hash,
                idempotency_keys::result_id,
            ))
            .first(c)
            .await
            .optional()?
    });
    Ok(found.map(|(operation, request_hash, result)| Saved {
        operation,
        request_hash,
        result_id: result.0,
    }))
}

/// Inserts the key unless it is there: `true` when this call claimed it. A concurrent
/// duplicate's insert waits on the first one's row and, once that commits, inserts nothing
/// (no error, no text to match); once it rolls back, it inserts.
pub async fn insert(tx: &mut Conn<'_>, new: &NewKey<'_>) -> Result<bool, StoreError> {
    let inserted = dispatch!(tx, c => {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::client_id.eq(new.client),
                idempotency_keys::issuer.eq(new.issuer),
                idempotency_keys::idempotency_key.eq(new.key),
                idempotency_keys::operation.eq(new.operation),
                idempotency_keys::request_hash.eq(new.request_hash),
                idempotency_keys::result_id.eq(ResultId(new.result)),
                idempotency_keys::created_at.eq(new.at),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?
    });
    Ok(inserted == 1)
}

/// Deletes up to `limit` keys created before `before` (past their retention), oldest first:
/// how many went.
pub async fn sweep(
    conn: &mut Conn<'_>,
    before: Timestamp,
    limit: i64,
) -> Result<usize, StoreError> {
    let deleted = dispatch!(conn, c => {
        let oldest = idempotency_keys::table
            .filter(idempotency_keys::created_at.lt(before))
            .order(idempotency_keys::created_at.asc())
            .select((
                idempotency_keys::client_id,
                idempotency_keys::issuer,
                idempotency_keys::idempotency_key,
            ))
            .limit(limit)
            .load::<(ClientId, Actor, String)>(c)
            .await?;
        let mut deleted = 0;
        for (client, issuer, key) in oldest {
            deleted += diesel::delete(
                idempotency_keys::table
                    .filter(idempotency_keys::client_id.eq(client))
                    .filter(idempotency_keys::issuer.eq(issuer))
                    .filter(idempotency_keys::idempotency_key.eq(key))
                    .filter(idempotency_keys::created_at.lt(before)),
            )
            .execute(c)
            .await?;
        }
        deleted
    });
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_tell_argument_lists_apart() {
        assert_eq!(
            request_hash("op", &["a", "b"]),
            request_hash("op", &["a", "b"])
        );
        assert_ne!(
            request_hash("op", &["ab", ""]),
            request_hash("op", &["a", "b"])
        );
        assert_ne!(request_hash("op", &["a"]), request_hash("other", &["a"]));
        assert_eq!(request_hash("op", &[]).len(), 64);
    }
}
