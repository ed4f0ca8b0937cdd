//! Queries, one file per aggregate: async functions that take a `Conn` and return domain
//! values. Every function on tenant data takes a `Scope`; no SQL lives outside this folder.

pub mod accounts;
pub mod api_keys;
pub mod clients;
pub mod customer_individuals;
pub mod customers;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Boxes `$query` and limits it to the scope's client through `$client_col`: the one place
/// where the tenant filter is written. An operator's scope adds no filter.
macro_rules! scoped {
    ($query:expr, $client_col:path, $scope:expr) => {{
        let query = $query.into_boxed();
        match $scope.client_id() {
            Some(client_id) => query.filter($client_col.eq(client_id)),
            None => query,
        }
    }};
}
pub(crate) use scoped;

/// Refuses a write of a row owned by `owner` from a scope that does not include it.
pub(crate) fn ensure_in_scope(
    scope: &crate::domain::tenancy::Scope,
    owner: crate::domain::ids::ClientId,
) -> Result<(), StoreError> {
    if scope.includes(owner) {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// What can go wrong in the store. Its `Display` never carries database text, so it cannot
/// leak SQL even if printed; the details are in `Debug` and the logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the constraint (or column list) is named.
    #[error("already exists")]
    AlreadyExists(String),
    /// A compare-and-set lost to a concurrent change.
    #[error("conflict")]
    Conflict,
    /// The pool could not hand out a connection in time, or the database is unreachable.
    #[error("database unavailable")]
    Unavailable(String),
    #[error("database error")]
    Database(#[source] DieselError),
    /// A stored value could not be decoded (e.g. an address that is not our JSON).
    #[error("stored data could not be read")]
    Corrupt(String),
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::AlreadyExists(
                    info.constraint_name()
                        .map(str::to_owned)
                        .unwrap_or_else(|| info.message().to_owned()),
                )
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Database(other),
        }
    }
}
