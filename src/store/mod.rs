//! Queries, one file per aggregate: async functions that take a `Conn` and return domain
//! values. Every function on tenant data takes a `Scope`; no SQL lives outside this folder.

pub mod access_tokens;
pub mod accounts;
pub mod api_keys;
pub mod applications;
pub mod clients;
pub mod customer_individuals;
pub mod customers;
pub mod events;
pub mod idempotency;
pub mod ledger;
pub mod payment_addresses;
pub mod payors;
pub mod transfers;
pub mod webhooks;
pub mod windowed;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::domain::customer::Address;

/// Boxes `$query` and limits it to the scope's client through `$client_col`: the one place
/// where the tenant filter is written. An operator's scope adds no filter. With a link to the
/// row's customer (`external_id = col`, the client's customerId, `maybe_external_id = col`
/// where it may be null; `customer = col`, a
/// customer's key; `account = col`, an account's key; `accounts = (col, col)`, either of two
/// accounts; `application = col`, an application's key), a scope limited to an access
/// token's customers also keeps only their rows.
macro_rules! scoped {
    ($query:expr, $client_col:path, $scope:expr) => {{
        let query = $query.into_boxed();
        match $scope.client_id() {
            Some(client_id) => query.filter($client_col.eq(client_id)),
            None => query,
        }
    }};
    ($query:expr, $client_col:path, $scope:expr, accounts = ($first:path, $second:path)) => {{
        let query = $crate::store::scoped!($query, $client_col, $scope);
        match $scope.customers_of_token() {
            Some(token) => query.filter($crate::store::token_link!(
                accounts,
                ($first, $second),
                token
            )),
            None => query,
        }
    }};
    ($query:expr, $client_col:path, $scope:expr, $link:ident = $col:path) => {{
        let query = $crate::store::scoped!($query, $client_col, $scope);
        match $scope.customers_of_token() {
            Some(token) => query.filter($crate::store::token_link!($link, $col, token)),
            None => query,
        }
    }};
}
pub(crate) use scoped;

/// The condition that keeps a row of a restricted access token's customers (see [`scoped`]).
macro_rules! token_link {
    (external_id, $col:path, $token:expr) => {
        $col.eq_any($crate::store::token_external_ids!($token))
    };
    (maybe_external_id, $col:path, $token:expr) => {
        $col.eq_any(
            $crate::db::schema::access_token_customers::table
                .filter($crate::db::schema::access_token_customers::token_id.eq($token))
                .select(
                    $crate::db::schema::access_token_customers::customer_external_id.nullable(),
                ),
        )
    };
    (customer, $col:path, $token:expr) => {
        $col.eq_any($crate::store::token_customer_keys!($token))
    };
    (account, $col:path, $token:expr) => {
        $col.eq_any($crate::store::token_account_keys!($token))
    };
    (accounts, ($first:path, $second:path), $token:expr) => {
        $first
            .eq_any($crate::store::token_account_keys!($token))
            .or($second.eq_any($crate::store::token_account_keys!($token)))
    };
    (application, $col:path, $token:expr) => {
        $col.eq_any(
            $crate::db::schema::applications::table
                .filter(
                    $crate::db::schema::applications::customer_external_id
                        .eq_any($crate::store::token_external_ids!($token)),
                )
                .select($crate::db::schema::applications::id),
        )
    };
}
pub(crate) use token_link;

/// The customerIds an access token is limited to (a subselect).
macro_rules! token_external_ids {
    ($token:expr) => {
        $crate::db::schema::access_token_customers::table
            .filter($crate::db::schema::access_token_customers::token_id.eq($token))
            .select($crate::db::schema::access_token_customers::customer_external_id)
    };
}
pub(crate) use token_external_ids;

/// The keys of the customers an access token is limited to (a subselect; the outer query's
/// client filter keeps another client's customer of the same customerId out).
macro_rules! token_customer_keys {
    ($token:expr) => {
        $crate::db::schema::customers::table
            .filter(
                $crate::db::schema::customers::external_id
                    .eq_any($crate::store::token_external_ids!($token)),
            )
            .select($crate::db::schema::customers::id)
    };
}
pub(crate) use token_customer_keys;

/// The keys of the accounts of the customers an access token is limited to (a subselect).
macro_rules! token_account_keys {
    ($token:expr) => {
        $crate::db::schema::accounts::table
            .filter(
                $crate::db::schema::accounts::customer_id
                    .eq_any($crate::store::token_customer_keys!($token)),
            )
            .select($crate::db::schema::accounts::id)
    };
}
pub(crate) use token_account_keys;

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
/// leak SQL even if printed. Its `Debug` (what the logs get) names the database error's kind,
/// table and constraint but never its DETAIL, which can quote a failing row's values.
#[derive(thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the constraint (or column list) is named.
    #[error("already exists")]
    AlreadyExists(String),
    /// A compare-and-set lost to a concurrent change.
    #[error("conflict")]
    Conflict,
    /// PostgreSQL gave up on the transaction (a serialization failure or a deadlock): run it
    /// again (`ops::uow` does).
    #[error("contended")]
    Contended(String),
    /// The pool could not hand out a connection in time, or the database is unreachable.
    #[error("database unavailable")]
    Unavailable(String),
    #[error("database error")]
    Database(#[source] DieselError),
    /// A stored value could not be decoded (e.g. an address that is not our JSON).
    #[error("stored data could not be read")]
    Corrupt(String),
}

impl From<crate::db::Unavailable> for StoreError {
    fn from(error: crate::db::Unavailable) -> Self {
        Self::Unavailable(error.0)
    }
}

impl std::fmt::Debug for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound => f.write_str("NotFound"),
            Self::AlreadyExists(what) => write!(f, "AlreadyExists({what})"),
            Self::Conflict => f.write_str("Conflict"),
            Self::Contended(why) => write!(f, "Contended({why})"),
            Self::Unavailable(why) => write!(f, "Unavailable({why})"),
            Self::Corrupt(why) => write!(f, "Corrupt({why})"),
            Self::Database(DieselError::DatabaseError(kind, info)) => write!(
                f,
                "Database({kind:?}: {}; table {:?}; constraint {:?})",
                info.message(),
                info.table_name(),
                info.constraint_name()
            ),
            Self::Database(other) => write!(f, "Database({other})"),
        }
    }
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
            // PostgreSQL gave up on one of two conflicting transactions: retryable.
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                Self::Contended(info.message().to_owned())
            }
            // PostgreSQL broke a lock cycle by aborting this transaction: also retryable.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().starts_with("deadlock detected") =>
            {
                Self::Contended(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            // The database is stalled or busy, not broken: retrying later may succeed.
            DieselError::DatabaseError(_, info) if is_stall(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Database(other),
        }
    }
}

/// Whether a database error says the database is stalled or busy rather than that the
/// statement is wrong: PostgreSQL's statement and lock timeouts (SQLSTATE 57014, 55P03) and
/// SQLite's busy and locked errors once `busy_timeout` has passed.
fn is_stall(message: &str) -> bool {
    const STALLS: [&str; 6] = [
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "could not obtain lock",
        "database is locked",
        "database table is locked",
        "database schema is locked",
    ];
    STALLS.iter().any(|stall| message.starts_with(stall))
}

/// An address as the JSON text a column keeps (customers' and their people's).
pub(crate) fn address_to_text(address: &Option<Address>) -> Result<Option<String>, StoreError> {
    address
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("address encoding: {e}")))
}

/// An address from the JSON text a column keeps.
pub(crate) fn address_from_text(text: Option<String>) -> Result<Option<Address>, StoreError> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("stored address: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Info(&'static str);

    impl diesel::result::DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn mapped(message: &'static str) -> StoreError {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(Info(message))).into()
    }

    #[test]
    fn stalls_are_unavailable_and_other_errors_are_not() {
        for stall in [
            "canceling statement due to statement timeout",
            "canceling statement due to lock timeout",
            "database is locked",
            "database table is locked: customers",
        ] {
            assert!(
                matches!(mapped(stall), StoreError::Unavailable(_)),
                "{stall}"
            );
        }
        assert!(matches!(
            mapped("syntax error at or near \"x\""),
            StoreError::Database(_)
        ));
    }
}
