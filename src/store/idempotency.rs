//! Idempotency keys, scoped per client: the first request with a key records a hash of itself
//! and the object it produced, in the same transaction as its effect. A replay gets that
//! object back; a different request with the same key is refused.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use super::StoreError;
use crate::db::schema::idempotency_keys;
use crate::db::types::Timestamp;
use crate::db::types::uuid_id;
use crate::db::{Conn, dispatch};
use crate::domain::ids::ClientId;

uuid_id!(
    /// The object an idempotent request produced (a transfer, a transaction).
    ResultId
);

/// The longest key a client may send.
pub const MAX_KEY_LENGTH: usize = 200;

/// What a key means for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First use: the effect is to run, and the key now names `result`.
    New,
    /// Seen before with the same request: this is what it produced.
    Replay(uuid::Uuid),
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

/// What an earlier request with `key` produced, when it was this same request (`None`
/// when the key is new); `IDEMPOTENCY_KEY_REUSED` when it was another request. A replay is
/// answered from this before any other check, so it returns the original result even if,
/// say, an account has been frozen since.
pub async fn saved(
    conn: &mut Conn<'_>,
    client: ClientId,
    key: &str,
    operation: &str,
    hash: &str,
) -> Result<Option<uuid::Uuid>, StoreError> {
    let existing: Option<(String, String, ResultId)> = dispatch!(conn, c => {
        idempotency_keys::table
            .filter(idempotency_keys::client_id.eq(client))
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
    match existing {
        None => Ok(None),
        Some((saved_operation, saved_hash, saved_result)) => {
            if saved_operation == operation && saved_hash == hash {
                Ok(Some(saved_result.0))
            } else {
                Err(StoreError::NotAllowed {
                    code: "IDEMPOTENCY_KEY_REUSED",
                    message: format!(
                        "this idempotency key was used for a different request \
                         ({saved_operation}); use a new key for a new request"
                    ),
                })
            }
        }
    }
}

/// Claims `key` for a request inside its transaction. A concurrent duplicate's insert waits
/// on this row and then fails on the primary key (`AlreadyExists`): retry the whole
/// transaction, and the retry finds the saved result.
pub async fn claim(
    tx: &mut Conn<'_>,
    client: ClientId,
    key: &str,
    operation: &str,
    hash: &str,
    result: uuid::Uuid,
) -> Result<Claim, StoreError> {
    if let Some(saved) = saved(tx, client, key, operation, hash).await? {
        return Ok(Claim::Replay(saved));
    }
    let now = Timestamp::now();
    dispatch!(tx, c => {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::client_id.eq(client),
                idempotency_keys::idempotency_key.eq(key),
                idempotency_keys::operation.eq(operation),
                idempotency_keys::request_hash.eq(hash),
                idempotency_keys::result_id.eq(ResultId(result)),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(c)
            .await?;
    });
    Ok(Claim::New)
}

/// Whether an error is a concurrent duplicate's key clash (retry to find the saved result).
pub fn is_duplicate_claim(error: &StoreError) -> bool {
    matches!(error, StoreError::AlreadyExists(what) if what.contains("idempotency"))
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
