//! Status changes of a customer: the rule checked again here, the compare-and-set, and the
//! append-only history written in the same transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{customer_status_history, customers};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch, write_tx};
use crate::domain::ids::{CustomerKey, StatusHistoryId};
use crate::domain::status::{CustomerStatus, Role, TransitionError, check_transition};
use crate::domain::tenancy::Scope;

use super::{ChangeNote, Customer, CustomerRow, StatusHistoryEntry, missing_or_conflict};

/// Refusal of a status change by the store's own check of the rule.
#[derive(Debug)]
pub enum StatusChangeError {
    Rule(TransitionError),
    Store(StoreError),
}

impl From<StoreError> for StatusChangeError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Moves a customer from `from` to `to` and appends the history entry, in one transaction,
/// with the cascade onto its accounts (see `accounts::cascade_customer_status`).
/// The rule is checked here as well as in the API's guard, and the write is a
/// compare-and-set on the current status (and on `expected_version` when given), so two
/// concurrent changes cannot both win and no path around the guard can break the table.
pub async fn change_status(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: &Customer,
    to: CustomerStatus,
    role: Role,
    expected_version: Option<i64>,
    note: &ChangeNote<'_>,
) -> Result<Customer, StatusChangeError> {
    ensure_in_scope(scope, customer.client_id)?;
    let from = customer.status;
    check_transition(from, to, role).map_err(StatusChangeError::Rule)?;
    let now = Timestamp::now();
    let entry = StatusHistoryEntry {
        id: StatusHistoryId::new(),
        customer_id: customer.id,
        client_id: customer.client_id,
        from_status: Some(from),
        to_status: to,
        reason: note.reason.to_owned(),
        updated_by: note.updated_by.to_owned(),
        actor: note.actor,
        created_at: now,
    };
    if expected_version.is_some_and(|expected| expected != customer.version) {
        return Err(StoreError::Conflict.into());
    }
    let key = customer.id;
    let client_id = customer.client_id;
    let observed_version = customer.version;
    let written = write_tx!(conn, tx => {
        // The compare-and-set: the row must still have the status and version the rule was
        // checked against; anything else means someone changed it first.
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
            return Err(StoreError::Conflict);
        };
        dispatch!(tx, c => {
            diesel::insert_into(customer_status_history::table).values(&entry).execute(c).await?;
        });
        // Freezing, unfreezing and closing reach the accounts in this same transaction.
        crate::store::accounts::cascade_customer_status(tx, key, client_id, from, to, note)
            .await?;
        Ok(row)
    });
    match written {
        Ok(row) => Ok(row.into_customer()?),
        Err(StoreError::Conflict) => Err(missing_or_conflict(conn, scope, key).await.into()),
        Err(other) => Err(other.into()),
    }
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
            scope
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
            scope
        )
        .count()
        .get_result(c)
        .await?
    });
    Ok(n)
}
