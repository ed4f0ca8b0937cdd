//! Payors of a customer: create, update by compare-and-set, read one, and per-customer and
//! per-account pages for the loaders. Every read and write is limited to the caller's scope.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::windowed::{Condition, Link, TopPerParent};
use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{account_payors, payors};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::ids::{AccountKey, ClientId, CustomerKey, PayorKey};
use crate::domain::payor::PayorDetails;
use crate::domain::tenancy::Scope;

/// A payor row.
#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = payors)]
pub struct Payor {
    pub id: PayorKey,
    pub client_id: ClientId,
    pub customer_id: CustomerKey,
    /// The client's own reference (`payorId`), unique per customer.
    pub external_id: String,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
    pub state: Option<String>,
    pub country_code: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

const PAYOR_COLUMNS: &str = "id, client_id, customer_id, external_id, first_name, middle_name, \
    last_name, company_name, email_address, phone_number, state, country_code, created_at, \
    updated_at, version";

impl Payor {
    /// The payor's details.
    pub fn details(&self) -> PayorDetails {
        PayorDetails {
            first_name: self.first_name.clone(),
            middle_name: self.middle_name.clone(),
            last_name: self.last_name.clone(),
            company_name: self.company_name.clone(),
            email_address: self.email_address.clone(),
            phone_number: self.phone_number.clone(),
            state: self.state.clone(),
            country_code: self.country_code.clone(),
        }
    }
}

/// Inserts a payor (`AlreadyExists` when the customer has one with that `payorId`); the
/// customer's update rule is the caller's to weigh, on its locked row, in the same
/// transaction.
pub async fn insert(tx: &mut Conn<'_>, scope: &Scope, payor: &Payor) -> Result<(), StoreError> {
    ensure_in_scope(scope, payor.client_id)?;
    dispatch!(tx, c => {
        diesel::insert_into(payors::table).values(payor).execute(c).await?;
    });
    Ok(())
}

/// Replaces a payor's details by compare-and-set on its version (`Conflict` when it
/// changed).
pub async fn update(
    tx: &mut Conn<'_>,
    scope: &Scope,
    payor: &Payor,
    details: PayorDetails,
    now: Timestamp,
) -> Result<Payor, StoreError> {
    ensure_in_scope(scope, payor.client_id)?;
    let updated = dispatch!(tx, c => {
        diesel::update(
            payors::table
                .filter(payors::id.eq(payor.id))
                .filter(payors::client_id.eq(payor.client_id))
                .filter(payors::version.eq(payor.version)),
        )
        .set((
            payors::first_name.eq(&details.first_name),
            payors::middle_name.eq(&details.middle_name),
            payors::last_name.eq(&details.last_name),
            payors::company_name.eq(&details.company_name),
            payors::email_address.eq(&details.email_address),
            payors::phone_number.eq(&details.phone_number),
            payors::state.eq(&details.state),
            payors::country_code.eq(&details.country_code),
            payors::updated_at.eq(now),
            payors::version.eq(payors::version + 1),
        ))
        .returning(Payor::as_returning())
        .get_result(c)
        .await
        .optional()?
    });
    updated.ok_or(StoreError::Conflict)
}

/// A customer's payor by its `payorId`, if the scope reaches it.
pub async fn find_by_external_id(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: CustomerKey,
    external_id: &str,
) -> Result<Option<Payor>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(payors::table, payors::client_id, scope, customer = payors::customer_id)
            .filter(payors::customer_id.eq(customer))
            .filter(payors::external_id.eq(external_id))
            .select(Payor::as_select())
            .first(c)
            .await
            .optional()?
    });
    Ok(found)
}

/// Payors by internal key, those the scope reaches.
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[PayorKey],
) -> Result<Vec<Payor>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(payors::table, payors::client_id, scope, customer = payors::customer_id)
            .filter(payors::id.eq_any(keys))
            .select(Payor::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// One page of payors per customer (oldest first), in one statement.
pub async fn page_for_customers(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customers: &[CustomerKey],
    after: Option<(Timestamp, PayorKey)>,
    limit: i64,
) -> Result<Vec<Payor>, StoreError> {
    let parents: Vec<uuid::Uuid> = customers.iter().map(|k| k.0).collect();
    let conditions: Vec<Condition> = Condition::scope(scope, Link::Customer)
        .into_iter()
        .chain(Condition::after_created(after.map(|(at, key)| (at, key.0))))
        .collect();
    TopPerParent {
        table: "payors",
        columns: PAYOR_COLUMNS,
        parent_column: "customer_id",
        parents: &parents,
        order: "created_at, id",
        conditions,
        limit,
    }
    .fetch(conn)
    .await
}

/// Records that a payor pays (or may pay) into an account; a second time changes nothing.
pub async fn link_to_account(
    conn: &mut Conn<'_>,
    scope: &Scope,
    (account, payor): (AccountKey, PayorKey),
    client_id: ClientId,
    now: Timestamp,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, client_id)?;
    dispatch!(conn, c => {
        diesel::insert_into(account_payors::table)
            .values((
                account_payors::account_id.eq(account),
                account_payors::payor_id.eq(payor),
                account_payors::client_id.eq(client_id),
                account_payors::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
    });
    Ok(())
}

/// The payors with an address or a payment on each of these accounts, oldest link first.
pub async fn for_accounts(
    conn: &mut Conn<'_>,
    scope: &Scope,
    accounts: &[AccountKey],
) -> Result<Vec<(AccountKey, Payor)>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            account_payors::table
                .inner_join(payors::table)
                .filter(account_payors::account_id.eq_any(accounts)),
            account_payors::client_id,
            scope,
            customer = payors::customer_id
        )
        .order((account_payors::created_at, account_payors::payor_id))
        .select((account_payors::account_id, Payor::as_select()))
        .load(c)
        .await?
    });
    Ok(found)
}
