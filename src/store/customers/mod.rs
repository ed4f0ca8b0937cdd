//! Customers: the model the rest of the code sees, inserts and reads under a scope, and the
//! compare-and-set writes of details. Row mapping, listing and status changes have files of
//! their own.

mod activity;
mod list;
mod row;
mod status;

pub use activity::{idle_since, note_activity};
pub use list::{
    Counted, CustomerCursor, CustomerFilter, CustomerOrder, CustomerPage, count_filtered, list,
};
pub use row::CustomerRow;
pub use status::{move_status, status_history, status_history_count};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{customer_change_log, customer_status_history, customers};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::client::Actor;
use crate::domain::customer::{CorporationDetails, CustomerType, IndividualDetails};
use crate::domain::ids::{ClientId, CustomerKey, StatusHistoryId};
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Scope;

/// A customer's type-specific details.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    Individual(IndividualDetails),
    Corporation(CorporationDetails),
}

impl Details {
    pub fn customer_type(&self) -> CustomerType {
        match self {
            Self::Individual(_) => CustomerType::Individual,
            Self::Corporation(_) => CustomerType::Corporation,
        }
    }
}

/// A customer as the rest of the code sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: CustomerKey,
    pub client_id: ClientId,
    /// The client's own reference (`customerId` on the API).
    pub external_id: String,
    pub status: CustomerStatus,
    pub details: Details,
    pub accredited_investor: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the customer last did something of its own (dormancy's measure): its creation
    /// until it acts.
    pub last_activity_at: Timestamp,
}

impl Customer {
    pub fn customer_type(&self) -> CustomerType {
        self.details.customer_type()
    }

    /// What `search` matches: the names and customerId, lower-cased, one per line.
    pub fn search_text(&self) -> String {
        let names: Vec<&str> = match &self.details {
            Details::Individual(p) => [
                Some(p.first_name.as_str()),
                p.middle_name.as_deref(),
                Some(p.last_name.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Details::Corporation(c) => {
                [Some(c.registered_name.as_str()), c.trading_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect()
            }
        };
        let mut text = names.join("\n");
        text.push('\n');
        text.push_str(&self.external_id);
        text.to_lowercase()
    }

    pub fn display_name(&self) -> String {
        match &self.details {
            Details::Individual(person) => person.display_name(),
            Details::Corporation(company) => company.registered_name.clone(),
        }
    }
}

/// One entry of a customer's append-only status history.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_status_history)]
pub struct StatusHistoryEntry {
    pub id: StatusHistoryId,
    pub customer_id: CustomerKey,
    pub client_id: ClientId,
    pub from_status: Option<CustomerStatus>,
    pub to_status: CustomerStatus,
    pub reason: String,
    pub updated_by: String,
    pub actor: Actor,
    pub created_at: Timestamp,
}

pub use crate::domain::client::ChangeNote;

/// Inserts a customer and the first entry of its status history. Call inside a transaction.
pub async fn insert(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: &Customer,
    note: &ChangeNote<'_>,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, customer.client_id)?;
    let row = CustomerRow::from_customer(customer)?;
    let entry = StatusHistoryEntry {
        id: StatusHistoryId::new(),
        customer_id: customer.id,
        client_id: customer.client_id,
        from_status: None,
        to_status: customer.status,
        reason: note.reason.to_owned(),
        updated_by: note.updated_by.to_owned(),
        actor: note.actor,
        created_at: customer.created_at,
    };
    dispatch!(conn, c => {
        diesel::insert_into(customers::table).values(&row).execute(c).await?;
        diesel::insert_into(customer_status_history::table).values(&entry).execute(c).await?;
    });
    Ok(())
}

/// The customer with this key, if the scope reaches it.
pub async fn find(
    conn: &mut Conn<'_>,
    scope: &Scope,
    key: CustomerKey,
) -> Result<Option<Customer>, StoreError> {
    let row = dispatch!(conn, c => {
        scoped!(
            customers::table.filter(customers::id.eq(key)),
            customers::client_id,
            scope,
            external_id = customers::external_id
        )
            .select(CustomerRow::as_select())
            .first(c)
            .await
            .optional()?
    });
    row.map(CustomerRow::into_customer).transpose()
}

/// The customer a client knows as `external_id`, if the scope reaches that client.
pub async fn find_by_external_id(
    conn: &mut Conn<'_>,
    scope: &Scope,
    client_id: ClientId,
    external_id: &str,
) -> Result<Option<Customer>, StoreError> {
    if !scope.includes(client_id) {
        return Ok(None);
    }
    let row = dispatch!(conn, c => {
        scoped!(
            customers::table
                .filter(customers::client_id.eq(client_id))
                .filter(customers::external_id.eq(external_id)),
            customers::client_id,
            scope,
            external_id = customers::external_id
        )
        .select(CustomerRow::as_select())
        .first(c)
        .await
        .optional()?
    });
    row.map(CustomerRow::into_customer).transpose()
}

/// The customers with these keys that the scope reaches, in no particular order.
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[CustomerKey],
) -> Result<Vec<Customer>, StoreError> {
    let rows = dispatch!(conn, c => {
        scoped!(
            customers::table.filter(customers::id.eq_any(keys)),
            customers::client_id,
            scope,
            external_id = customers::external_id
        )
            .select(CustomerRow::as_select())
            .load(c)
            .await?
    });
    rows.into_iter().map(CustomerRow::into_customer).collect()
}

/// How many customers the scope reaches.
pub async fn count(conn: &mut Conn<'_>, scope: &Scope) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        scoped!(customers::table, customers::client_id, scope, external_id = customers::external_id).count().get_result(c).await?
    });
    Ok(n)
}

/// Writes new details (and flag) over a customer, with its change log entry, inside the
/// caller's transaction, if the row still has version `observed_version` and the status it
/// was read in: a compare-and-set, `None` when someone changed it first (or it is gone).
pub async fn update_details(
    tx: &mut Conn<'_>,
    scope: &Scope,
    updated: &Customer,
    observed_version: i64,
    log: &ChangeLogEntry,
) -> Result<Option<Customer>, StoreError> {
    ensure_in_scope(scope, updated.client_id)?;
    let mut row = CustomerRow::from_customer(updated)?;
    row.version = observed_version + 1;
    row.updated_at = log.created_at;
    let changed = dispatch!(tx, c => {
        diesel::update(
            customers::table
                .filter(customers::id.eq(updated.id))
                .filter(customers::client_id.eq(updated.client_id))
                .filter(customers::version.eq(observed_version))
                .filter(customers::status.eq(updated.status)),
        )
        .set(&row)
        .execute(c)
        .await?
    });
    if changed == 0 {
        return Ok(None);
    }
    dispatch!(tx, c => {
        diesel::insert_into(customer_change_log::table).values(log).execute(c).await?;
    });
    row.into_customer().map(Some)
}

/// Bumps a customer's version from `observed_version` (a change to something it holds, such
/// as a person of a corporation) and writes the change log entry, inside the caller's
/// transaction; `false` when the row no longer has that version and `status`.
pub async fn bump_version(
    tx: &mut Conn<'_>,
    scope: &Scope,
    customer: &Customer,
    log: &ChangeLogEntry,
) -> Result<bool, StoreError> {
    ensure_in_scope(scope, customer.client_id)?;
    let (key, client_id, version, status) = (
        customer.id,
        customer.client_id,
        customer.version,
        customer.status,
    );
    let bumped = dispatch!(tx, c => {
        diesel::update(
            customers::table
                .filter(customers::id.eq(key))
                .filter(customers::client_id.eq(client_id))
                .filter(customers::version.eq(version))
                .filter(customers::status.eq(status)),
        )
        .set((customers::version.eq(version + 1), customers::updated_at.eq(log.created_at)))
        .execute(c)
        .await?
    });
    if bumped == 0 {
        return Ok(false);
    }
    dispatch!(tx, c => {
        diesel::insert_into(customer_change_log::table).values(log).execute(c).await?;
    });
    Ok(true)
}

/// An entry of the customer's change log (who changed which fields, when, why).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_change_log)]
pub struct ChangeLogEntry {
    pub id: StatusHistoryId,
    pub customer_id: CustomerKey,
    pub client_id: ClientId,
    pub version: i64,
    pub changed_fields: String,
    pub reason: String,
    pub updated_by: String,
    pub actor: Actor,
    pub created_at: Timestamp,
}

/// Locks a customer's row for the rest of the caller's transaction and returns its status:
/// a write that depends on the customer's status (its update or transact rule) holds the
/// lock while it writes, so a concurrent status change (and its cascade) waits for it or
/// is seen by it. A no-op UPDATE: SQLite has no `SELECT … FOR UPDATE`, and on SQLite the
/// write transaction already excludes every other writer.
pub async fn lock_status(
    tx: &mut Conn<'_>,
    scope: &Scope,
    key: CustomerKey,
    client_id: ClientId,
) -> Result<CustomerStatus, StoreError> {
    ensure_in_scope(scope, client_id)?;
    let status = dispatch!(tx, c => {
        diesel::update(
            customers::table
                .filter(customers::id.eq(key))
                .filter(customers::client_id.eq(client_id)),
        )
        .set(customers::status.eq(customers::status))
        .returning(customers::status)
        .get_result::<CustomerStatus>(c)
        .await
        .optional()?
    });
    status.ok_or(StoreError::NotFound)
}
