//! Accounts: opening, reading, and per-customer pages. Every read and write is limited to
//! the caller's scope; balances are integer minor units and move only through `ledger`.

mod status;

pub use status::{
    AccountStatusChange, lock, move_status, open_keys_of_customer, set_cascaded, status_history,
};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::windowed::{Bind, Condition, Link, TopPerParent};
use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{accounts, customers};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::account::ProductId;
use crate::domain::ids::{AccountKey, ClientId, CustomerKey};
use crate::domain::status::{AccountStatus, CustomerStatus};
use crate::domain::tenancy::Scope;

/// An account row.
#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: AccountKey,
    pub client_id: ClientId,
    pub customer_id: CustomerKey,
    /// The client's own reference for this account (`accountId` on the API).
    pub external_id: String,
    pub product_id: ProductId,
    pub asset_type_id: String,
    pub status: AccountStatus,
    pub current_balance: i64,
    pub available_balance: i64,
    pub is_default: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// The status before the customer's freeze froze it; `None` unless frozen by the cascade.
    pub frozen_from: Option<AccountStatus>,
}

/// The columns of [`Account`], for hand-written statements.
const ACCOUNT_COLUMNS: &str = "id, client_id, customer_id, external_id, product_id, \
    asset_type_id, status, current_balance, available_balance, is_default, version, \
    created_at, updated_at, closed_at, frozen_from";

/// An account by the client's `accountId`, if the scope reaches it.
pub async fn find_by_external_id(
    conn: &mut Conn<'_>,
    scope: &Scope,
    client_id: ClientId,
    external_id: &str,
) -> Result<Option<Account>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            accounts::table,
            accounts::client_id,
            scope,
            customer = accounts::customer_id
        )
            .filter(accounts::client_id.eq(client_id))
            .filter(accounts::external_id.eq(external_id))
            .select(Account::as_select())
            .first(c)
            .await
            .optional()?
    });
    Ok(found)
}

/// Accounts by internal key, those the scope reaches.
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[AccountKey],
) -> Result<Vec<Account>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            accounts::table,
            accounts::client_id,
            scope,
            customer = accounts::customer_id
        )
            .filter(accounts::id.eq_any(keys))
            .select(Account::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// What the transact and balance rules weigh for one account, as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct Standing {
    /// The status of the account's customer.
    pub customer_status: CustomerStatus,
    /// The account's own status.
    pub account_status: AccountStatus,
    pub current_balance: i64,
    pub available_balance: i64,
}

/// An account's [`Standing`] (its customer's status, its own, its balances), if the scope
/// reaches it: inside a movement's transaction, what explains a refused balance change.
pub async fn standing(
    conn: &mut Conn<'_>,
    scope: &Scope,
    account: AccountKey,
) -> Result<Option<Standing>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            accounts::table.inner_join(customers::table),
            accounts::client_id,
            scope,
            external_id = customers::external_id
        )
        .filter(accounts::id.eq(account))
        .select((
            customers::status,
            accounts::status,
            accounts::current_balance,
            accounts::available_balance,
        ))
        .first::<Standing>(c)
        .await
        .optional()?
    });
    Ok(found)
}

/// One page of accounts per customer, in one statement: the first `limit` of each customer
/// (oldest first), after `after` (an account's creation time and key) when given.
pub async fn page_for_customers(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customers: &[CustomerKey],
    status: Option<AccountStatus>,
    after: Option<(Timestamp, AccountKey)>,
    limit: i64,
) -> Result<Vec<Account>, StoreError> {
    let parents: Vec<uuid::Uuid> = customers.iter().map(|k| k.0).collect();
    let mut conditions: Vec<Condition> = Condition::scope(scope, Link::Customer);
    if let Some(status) = status {
        conditions.push(Condition::new(
            "status = ?",
            vec![Bind::Text(status.as_str().into())],
        ));
    }
    conditions.extend(Condition::after_created(after.map(|(at, key)| (at, key.0))));
    TopPerParent {
        table: "accounts",
        columns: ACCOUNT_COLUMNS,
        parent_column: "customer_id",
        parents: &parents,
        order: "created_at, id",
        conditions,
        limit,
    }
    .fetch(conn)
    .await
}

/// Inserts an account (`AlreadyExists` when the client has one with its `accountId`). Call
/// inside the transaction that creates its customer or weighs it on its locked row.
pub async fn insert(
    conn: &mut Conn<'_>,
    scope: &Scope,
    account: &Account,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, account.client_id)?;
    dispatch!(conn, c => {
        diesel::insert_into(accounts::table).values(account).execute(c).await?;
    });
    Ok(())
}

/// A customer's accounts, oldest first, if the scope reaches them.
pub async fn list_for_customer(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: CustomerKey,
) -> Result<Vec<Account>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            accounts::table.filter(accounts::customer_id.eq(customer)),
            accounts::client_id,
            scope,
            customer = accounts::customer_id
        )
        .order((accounts::created_at, accounts::id))
        .select(Account::as_select())
        .load(c)
        .await?
    });
    Ok(found)
}

/// The number of decimal places of a supported asset type; `None` when it is not supported.
pub async fn asset_type_decimals(
    conn: &mut Conn<'_>,
    asset_type_id: &str,
) -> Result<Option<i32>, StoreError> {
    use crate::db::schema::asset_types;
    let decimals = dispatch!(conn, c => {
        asset_types::table
            .find(asset_type_id)
            .select(asset_types::decimals)
            .first::<i32>(c)
            .await
            .optional()?
    });
    Ok(decimals)
}

/// Which of these (client, `accountId`) pairs are accounts already, in one statement.
pub async fn external_ids_taken(
    conn: &mut Conn<'_>,
    pairs: &[(ClientId, String)],
) -> Result<Vec<(ClientId, String)>, StoreError> {
    let clients: Vec<ClientId> = pairs.iter().map(|(c, _)| *c).collect();
    let ids: Vec<&str> = pairs.iter().map(|(_, id)| id.as_str()).collect();
    let found: Vec<(ClientId, String)> = dispatch!(conn, c => {
        accounts::table
            .filter(accounts::client_id.eq_any(&clients))
            .filter(accounts::external_id.eq_any(&ids))
            .select((accounts::client_id, accounts::external_id))
            .load(c)
            .await?
    });
    Ok(found
        .into_iter()
        .filter(|pair| pairs.contains(pair))
        .collect())
}

/// Whether the client already has an account with this `accountId`.
pub async fn external_id_taken(
    conn: &mut Conn<'_>,
    client_id: ClientId,
    external_id: &str,
) -> Result<bool, StoreError> {
    let n: i64 = dispatch!(conn, c => {
        accounts::table
            .filter(accounts::client_id.eq(client_id))
            .filter(accounts::external_id.eq(external_id))
            .count()
            .get_result(c)
            .await?
    });
    Ok(n > 0)
}
