//! Status changes of a customer: the compare-and-set and the append-only history, written in
//! the caller's transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{customer_status_history, customers};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::ids::{CustomerKey, StatusHistoryId};
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Scope;

use super::{Customer, CustomerRow, StatusHistoryEntry};

/// Moves a customer to `to` and appends `entry` to its history, inside the caller's
/// transaction, if the row still has the status and version it was read in: a
/// compare-and-set, `None` when someone changed it first (or it is gone). The rules and the
/// cascade onto the accounts are the caller's.
pub async fn move_status(
    tx: &mut Conn<'_>,
    scope: &Scope,
    customer: &Customer,
    to: CustomerStatus,
    entry: &StatusHistoryEntry,
) -> Result<Option<Customer>, StoreError> {
    ensure_in_scope(scope, customer.client_id)?;
    let (key, client_id, from, observed_version) = (
        customer.id,
        customer.client_id,
        customer.status,
        customer.version,
    );
    let now = entry.created_at;
    let row = dispatch!(tx, c => {
        diesel::update(
            customers::table
                .filter(customers::id.eq(key))
                .filter(customers::client_id.eq(client_id))
                .filter(customers::status.eq(from))
                .filter(customers::version.eq(observed_version)),
        )
        .set((
            customers::status.eq(to),
            customers::version.eq(customers::version + 1),
            customers::updated_at.eq(now),
        ))
        .returning(CustomerRow::as_returning())
        .get_result(c)
        .await
        .optional()?
    });
    let Some(row) = row else {
        return Ok(None);
    };
    dispatch!(tx, c => {
        diesel::insert_into(customer_status_history::table).values(entry).execute(c).await?;
    });
    row.into_customer().map(Some)
}

/// A page of a customer's status history, oldest first, after `after` (an entry's time and id).
pub async fn status_history(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: CustomerKey,
    after: Option<(Timestamp, StatusHistoryId)>,
    limit: i64,
) -> Result<Vec<StatusHistoryEntry>, StoreError> {
    let entries = dispatch!(conn, c => {
        let mut query = scoped!(
            customer_status_history::table.filter(customer_status_history::customer_id.eq(customer)),
            customer_status_history::client_id,
            scope,
            customer = customer_status_history::customer_id
        );
        if let Some(after) = after {
            query = query
                .filter(customer_status_history::created_at.ge(after.0))
                .filter(
                    customer_status_history::created_at
                        .gt(after.0)
                        .or(customer_status_history::id.gt(after.1)),
                );
        }
        query
            .order((customer_status_history::created_at.asc(), customer_status_history::id.asc()))
            .limit(limit)
            .select(StatusHistoryEntry::as_select())
            .load(c)
            .await?
    });
    Ok(entries)
}

/// How many status history entries a customer has.
pub async fn status_history_count(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: CustomerKey,
) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        scoped!(
            customer_status_history::table.filter(customer_status_history::customer_id.eq(customer)),
            customer_status_history::client_id,
            scope,
            customer = customer_status_history::customer_id
        )
        .count()
        .get_result(c)
        .await?
    });
    Ok(n)
}
