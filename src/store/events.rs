//! The event log: events are inserted unsealed (without a sequence) by the operations, in
//! the transaction of their change; [`seal`], the last statement of every unit of work,
//! numbers them from the client's counter row, whose lock it then holds until commit. So
//! numbers of one client commit in order: a reader paging by sequence never sees a number
//! commit after a larger one it has passed. Events past their retention are swept.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::raw::{Bind, RawQuery};
use crate::db::schema::{event_sequences, events};
use crate::db::types::{Timestamp, uuid_id};
use crate::db::{Conn, dispatch};
use crate::domain::client::Actor;
use crate::domain::event::{EventId, EventType, SubjectKind};
use crate::domain::ids::ClientId;
use crate::domain::tenancy::Scope;

uuid_id!(
    /// The object an event is about (a customer, an account, a transfer…).
    SubjectId
);

/// An event row. `changes` is JSON: `[{ "field", "from", "to" }]`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: EventId,
    pub client_id: ClientId,
    /// `None` until its transaction seals it (never seen so by a reader).
    pub sequence: Option<i64>,
    pub event_type: EventType,
    pub occurred_at: Timestamp,
    pub subject_kind: SubjectKind,
    pub subject_id: SubjectId,
    pub customer_ref: Option<String>,
    pub account_ref: Option<String>,
    pub changes: String,
    pub actor: Actor,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

/// Which events a page holds (besides its client and position).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these types (all when empty).
    pub types: Vec<EventType>,
    pub subject_id: Option<SubjectId>,
    /// The client's own id of the customer.
    pub customer_ref: Option<String>,
    /// Occurred at or after.
    pub from: Option<Timestamp>,
    /// Occurred before.
    pub to: Option<Timestamp>,
}

/// Inserts an unsealed event in the change's transaction.
pub async fn insert(tx: &mut Conn<'_>, scope: &Scope, event: &Event) -> Result<(), StoreError> {
    ensure_in_scope(scope, event.client_id)?;
    dispatch!(tx, c => {
        diesel::insert_into(events::table).values(event).execute(c).await?;
    });
    Ok(())
}

/// Numbers one client's unsealed events after the sequence bound first, by their ids.
const SEAL_CLIENT: &str = "UPDATE events SET sequence = ? + numbered.n \
    FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM events \
          WHERE sequence IS NULL AND client_id = ?) AS numbered \
    WHERE events.id = numbered.id";

/// Numbers the transaction's unsealed events (the only unsealed rows it can see: others'
/// are uncommitted, and every transaction seals its own before commit), in the order they
/// were made, from each client's counter. Call last, just before commit: the counter row
/// stays locked until then. How many it numbered.
pub async fn seal(tx: &mut Conn<'_>) -> Result<usize, StoreError> {
    let sealed = dispatch!(tx, c => {
        let pending: Vec<(ClientId, i64)> = events::table
            .filter(events::sequence.is_null())
            .group_by(events::client_id)
            .select((events::client_id, diesel::dsl::count_star()))
            .order(events::client_id)
            .load(c)
            .await?;
        let mut sealed = 0;
        // Clients in key order, so that two transactions lock their counters alike.
        for (client, count) in pending {
            let last: i64 = diesel::insert_into(event_sequences::table)
                .values((
                    event_sequences::client_id.eq(client),
                    event_sequences::last_sequence.eq(count),
                ))
                .on_conflict(event_sequences::client_id)
                .do_update()
                .set(event_sequences::last_sequence.eq(event_sequences::last_sequence + count))
                .returning(event_sequences::last_sequence)
                .get_result(c)
                .await?;
            // One statement numbers them all, in the order they were made.
            let numbered = RawQuery::reusable(
                SEAL_CLIENT,
                vec![Bind::BigInt(last - count), Bind::uuid(client.0)],
            )
            .execute(c)
            .await?;
            if i64::try_from(numbered).ok() != Some(count) {
                return Err(StoreError::Corrupt(format!(
                    "sealed {numbered} of {count} events"
                )));
            }
            sealed += numbered;
        }
        sealed
    });
    Ok(sealed)
}

/// Up to `limit` sealed events of `client` after `after` (a sequence), in sequence order,
/// those `filter` selects and the scope reaches.
pub async fn page(
    conn: &mut Conn<'_>,
    scope: &Scope,
    client: ClientId,
    after: i64,
    limit: i64,
    filter: &Filter,
) -> Result<Vec<Event>, StoreError> {
    let found = dispatch!(conn, c => {
        let mut query = scoped!(
            events::table,
            events::client_id,
            scope,
            maybe_external_id = events::customer_ref
        )
            .filter(events::client_id.eq(client))
            .filter(events::sequence.gt(after));
        if !filter.types.is_empty() {
            query = query.filter(events::event_type.eq_any(filter.types.clone()));
        }
        if let Some(subject) = filter.subject_id {
            query = query.filter(events::subject_id.eq(subject));
        }
        if let Some(customer) = &filter.customer_ref {
            query = query.filter(events::customer_ref.eq(customer.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter(events::occurred_at.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(events::occurred_at.lt(to));
        }
        query
            .order(events::sequence.asc())
            .limit(limit)
            .select(Event::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// Events by id, those the scope reaches.
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    ids: &[EventId],
) -> Result<Vec<Event>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            events::table,
            events::client_id,
            scope,
            maybe_external_id = events::customer_ref
        )
            .filter(events::id.eq_any(ids))
            .select(Event::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// Deletes up to `limit` events that occurred before `before`; how many.
pub async fn sweep(
    conn: &mut Conn<'_>,
    before: Timestamp,
    limit: i64,
) -> Result<usize, StoreError> {
    let deleted = dispatch!(conn, c => {
        let oldest: Vec<EventId> = events::table
            .filter(events::occurred_at.lt(before))
            .order(events::occurred_at.asc())
            .select(events::id)
            .limit(limit)
            .load(c)
            .await?;
        diesel::delete(events::table.filter(events::id.eq_any(oldest)))
            .execute(c)
            .await?
    });
    Ok(deleted)
}
