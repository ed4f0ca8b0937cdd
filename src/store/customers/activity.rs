//! A customer's own activity (dormancy's measure): noting it, and finding the ACTIVE
//! customers idle for long enough to go DORMANT. The rule is `domain::dormancy`'s.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{Customer, CustomerRow, StoreError, ensure_in_scope};
use crate::db::Conn;
use crate::db::dispatch;
use crate::db::schema::customers;
use crate::db::types::Timestamp;
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Scope;

/// Notes activity at `now` when the last noted is before `since` (so that a busy customer's
/// writes do not all queue on its row) or the customer is DORMANT; the customer as it is now
/// when its row was written, `None` when the last activity was recent enough to leave it.
pub async fn note_activity(
    tx: &mut Conn<'_>,
    scope: &Scope,
    (key, client_id): (CustomerKey, ClientId),
    now: Timestamp,
    since: Timestamp,
) -> Result<Option<Customer>, StoreError> {
    ensure_in_scope(scope, client_id)?;
    let row = dispatch!(tx, c => {
        diesel::update(
            customers::table
                .filter(customers::id.eq(key))
                .filter(customers::client_id.eq(client_id))
                .filter(
                    customers::last_activity_at
                        .lt(since)
                        .or(customers::status.eq(CustomerStatus::Dormant)),
                ),
        )
        .set(customers::last_activity_at.eq(now))
        .returning(CustomerRow::as_returning())
        .get_result(c)
        .await
        .optional()?
    });
    row.map(CustomerRow::into_customer).transpose()
}

/// Up to `limit` ACTIVE customers (of one client, or of all) whose last activity is at or
/// before `cutoff`, oldest activity first. On PostgreSQL the rows are locked for the
/// caller's transaction and rows another transaction holds are skipped, so that replicas
/// running the job at once take different customers.
pub async fn idle_since(
    tx: &mut Conn<'_>,
    scope: &Scope,
    client: Option<ClientId>,
    cutoff: Timestamp,
    limit: i64,
) -> Result<Vec<Customer>, StoreError> {
    let client = match (scope.client_id(), client) {
        (Some(own), Some(named)) if own != named => return Ok(Vec::new()),
        (own, named) => named.or(own),
    };
    macro_rules! query {
        () => {
            customers::table
                .filter(customers::status.eq(CustomerStatus::Active))
                .filter(customers::last_activity_at.le(cutoff))
                .order((customers::last_activity_at.asc(), customers::id.asc()))
                .limit(limit)
                .select(CustomerRow::as_select())
        };
    }
    let rows: Vec<CustomerRow> = match (tx, client) {
        (Conn::Pg(c), Some(client)) => {
            query!()
                .filter(customers::client_id.eq(client))
                .for_update()
                .skip_locked()
                .load(&mut **c)
                .await?
        }
        (Conn::Pg(c), None) => query!().for_update().skip_locked().load(&mut **c).await?,
        (Conn::Sqlite(c), Some(client)) => {
            query!()
                .filter(customers::client_id.eq(client))
                .load(&mut **c)
                .await?
        }
        (Conn::Sqlite(c), None) => query!().load(&mut **c).await?,
    };
    rows.into_iter().map(CustomerRow::into_customer).collect()
}
