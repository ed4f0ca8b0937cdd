//! Clients (tenants). Creating one is the platform's act (CLI, seeding); reading one is
//! limited by the caller's scope.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::StoreError;
use crate::db::schema::clients;
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::client::Environment;
use crate::domain::ids::ClientId;
use crate::domain::tenancy::Scope;

/// A client (tenant) of the platform.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub environment: Environment,
    pub regulated: bool,
    pub created_at: Timestamp,
}

/// Inserts a client. Not tenant data: only the platform's operations (CLI, seeding) call this.
pub async fn insert(conn: &mut Conn<'_>, client: &Client) -> Result<(), StoreError> {
    dispatch!(conn, c => {
        diesel::insert_into(clients::table).values(client).execute(c).await?;
    });
    Ok(())
}

/// The client with this id, if the scope reaches it.
pub async fn find(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: ClientId,
) -> Result<Option<Client>, StoreError> {
    if !scope.includes(id) {
        return Ok(None);
    }
    let found = dispatch!(conn, c => {
        clients::table
            .find(id)
            .select(Client::as_select())
            .first(c)
            .await
            .optional()?
    });
    Ok(found)
}

/// Every client, oldest first (the platform's view, for the CLI).
pub async fn list_all(conn: &mut Conn<'_>) -> Result<Vec<Client>, StoreError> {
    let all = dispatch!(conn, c => {
        clients::table
            .order((clients::created_at, clients::id))
            .select(Client::as_select())
            .load(c)
            .await?
    });
    Ok(all)
}

/// How many clients exist: zero on a new database.
pub async fn count(conn: &mut Conn<'_>) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => clients::table.count().get_result(c).await?);
    Ok(n)
}

/// Makes concurrent seeders (several replicas starting on one new database) take turns until
/// the end of the current transaction. SQLite's `BEGIN IMMEDIATE` already serialises writers.
pub async fn serialize_seeding(conn: &mut Conn<'_>) -> Result<(), StoreError> {
    if let Conn::Pg(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7263541001)")
            .execute(&mut **c)
            .await?;
    }
    Ok(())
}

/// Makes the transactions that claim a client's `customerId`s (creating a customer or an
/// application, changing an application's customerId) take turns per client, so that the
/// check across the customers and applications tables cannot race. SQLite's `BEGIN
/// IMMEDIATE` already serialises writers.
pub async fn lock_customer_ids(conn: &mut Conn<'_>, client_id: ClientId) -> Result<(), StoreError> {
    lock(conn, client_id).await
}

/// Makes the transactions that count a client's webhook subscriptions against their limit
/// take turns per client (as [`lock_customer_ids`]).
pub async fn lock_subscriptions(
    conn: &mut Conn<'_>,
    client_id: ClientId,
) -> Result<(), StoreError> {
    lock(conn, client_id).await
}

/// Locks the client's row until the transaction ends (PostgreSQL; SQLite's writers already
/// take turns).
async fn lock(conn: &mut Conn<'_>, client_id: ClientId) -> Result<(), StoreError> {
    if let Conn::Pg(c) = conn {
        clients::table
            .filter(clients::id.eq(client_id))
            .select(clients::id)
            // NO KEY UPDATE: the foreign-key checks of inserts that refer to the client
            // (FOR KEY SHARE) need not wait for it.
            .for_no_key_update()
            .load::<ClientId>(&mut **c)
            .await?;
    }
    Ok(())
}

/// How far a client's sandbox clock runs ahead of real time, in milliseconds; `None` when
/// the client is outside the scope or does not exist.
pub async fn clock_offset(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: ClientId,
) -> Result<Option<i64>, StoreError> {
    if !scope.includes(id) {
        return Ok(None);
    }
    let found = dispatch!(conn, c => {
        clients::table
            .find(id)
            .select(clients::clock_offset_ms)
            .first(c)
            .await
            .optional()?
    });
    Ok(found)
}

/// Moves a SANDBOX client's clock forward by `by_ms` (concurrent moves add up; it never goes
/// back); the new offset, or `None` when the client is not a SANDBOX client in the scope.
pub async fn advance_clock(
    tx: &mut Conn<'_>,
    scope: &Scope,
    id: ClientId,
    by_ms: i64,
) -> Result<Option<i64>, StoreError> {
    if !scope.includes(id) || by_ms <= 0 {
        return Ok(None);
    }
    let moved = dispatch!(tx, c => {
        diesel::update(
            clients::table
                .filter(clients::id.eq(id))
                .filter(clients::environment.eq(Environment::Sandbox)),
        )
        .set(clients::clock_offset_ms.eq(clients::clock_offset_ms + by_ms))
        .returning(clients::clock_offset_ms)
        .get_result(c)
        .await
        .optional()?
    });
    Ok(moved)
}

/// The clients whose sandbox clocks run ahead of real time, with their offsets (the jobs
/// run their due work on those clocks too).
pub async fn clocks_ahead(conn: &mut Conn<'_>) -> Result<Vec<(ClientId, i64)>, StoreError> {
    let ahead = dispatch!(conn, c => {
        clients::table
            .filter(clients::clock_offset_ms.gt(0))
            .order(clients::id)
            .select((clients::id, clients::clock_offset_ms))
            .load(c)
            .await?
    });
    Ok(ahead)
}
