//! Customers and their status history. Every read and write is limited to the caller's scope.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{customer_status_history, customers};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::client::Actor;
use crate::domain::customer::CustomerType;
use crate::domain::ids::{ClientId, CustomerKey, StatusHistoryId};
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Scope;

/// A customer row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: CustomerKey,
    pub client_id: ClientId,
    /// The client's own reference for this customer (`customerId` on the API).
    pub external_id: String,
    pub customer_type: CustomerType,
    pub status: CustomerStatus,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub registered_name: Option<String>,
    pub trading_name: Option<String>,
    pub email_address: Option<String>,
    pub telephone_number: Option<String>,
    pub accredited_investor: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
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

/// Why and by whom a customer was created or changed.
#[derive(Debug, Clone)]
pub struct ChangeNote<'a> {
    pub reason: &'a str,
    pub updated_by: &'a str,
    pub actor: Actor,
}

/// Inserts a customer and the first entry of its status history. Call inside a transaction.
pub async fn insert(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: &Customer,
    note: &ChangeNote<'_>,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, customer.client_id)?;
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
        diesel::insert_into(customers::table).values(customer).execute(c).await?;
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
    let found = dispatch!(conn, c => {
        scoped!(customers::table.filter(customers::id.eq(key)), customers::client_id, scope)
            .select(Customer::as_select())
            .first(c)
            .await
            .optional()?
    });
    Ok(found)
}

/// How many customers the scope reaches.
pub async fn count(conn: &mut Conn<'_>, scope: &Scope) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        scoped!(customers::table, customers::client_id, scope).count().get_result(c).await?
    });
    Ok(n)
}
