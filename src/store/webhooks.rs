//! Webhook subscriptions, the messages owed to them (one per subscription and event, fanned
//! out from the event log past each subscription's cursor, which moves by compare-and-set),
//! the lease a deliverer takes on a due message (PostgreSQL `FOR UPDATE SKIP LOCKED`, then a
//! conditional UPDATE on both backends), and the record of every attempt.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{
    event_sequences, events, webhook_attempts, webhook_messages, webhook_subscriptions,
};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::event::{EventId, EventType};
use crate::domain::ids::ClientId;
use crate::domain::tenancy::Scope;
use crate::domain::webhook::{
    MessageStatus, WebhookAttemptId, WebhookDeliveryOutcome, WebhookMessageId,
    WebhookSubscriptionId,
};

/// A subscription row. `event_types` is a JSON array of type names.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct Subscription {
    pub id: WebhookSubscriptionId,
    pub client_id: ClientId,
    pub url: String,
    pub event_types: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<Timestamp>,
    pub event_cursor: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Subscription {
    /// The event types it names.
    pub fn types(&self) -> Result<Vec<EventType>, StoreError> {
        serde_json::from_str(&self.event_types)
            .map_err(|e| StoreError::Corrupt(format!("a subscription's event types: {e}")))
    }
}

/// A message row: one event owed to one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_messages)]
pub struct Message {
    pub id: WebhookMessageId,
    pub subscription_id: WebhookSubscriptionId,
    pub client_id: ClientId,
    pub event_id: EventId,
    pub sequence: i64,
    pub status: MessageStatus,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub lease_until: Option<Timestamp>,
    pub first_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// An attempt row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct Attempt {
    pub id: WebhookAttemptId,
    pub message_id: WebhookMessageId,
    pub subscription_id: WebhookSubscriptionId,
    pub client_id: ClientId,
    pub event_id: EventId,
    pub attempt: i64,
    pub attempted_at: Timestamp,
    pub outcome: WebhookDeliveryOutcome,
    pub response_status: Option<i64>,
    pub latency_ms: i64,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub next_attempt_at: Option<Timestamp>,
}

/// Inserts a subscription.
pub async fn insert(
    conn: &mut Conn<'_>,
    scope: &Scope,
    row: &Subscription,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, row.client_id)?;
    dispatch!(conn, c => {
        diesel::insert_into(webhook_subscriptions::table).values(row).execute(c).await?;
    });
    Ok(())
}

/// Writes what a client or the deliverer changes of a subscription the scope reaches (not
/// its cursor, which only the fan-out moves); false when it is gone. Read it with
/// [`find_for_update`] first.
pub async fn update(
    conn: &mut Conn<'_>,
    scope: &Scope,
    row: &Subscription,
) -> Result<bool, StoreError> {
    ensure_in_scope(scope, row.client_id)?;
    let updated = dispatch!(conn, c => {
        diesel::update(webhook_subscriptions::table.filter(webhook_subscriptions::id.eq(row.id)))
            .set((
                webhook_subscriptions::url.eq(&row.url),
                webhook_subscriptions::event_types.eq(&row.event_types),
                webhook_subscriptions::description.eq(&row.description),
                webhook_subscriptions::enabled.eq(row.enabled),
                webhook_subscriptions::disabled_reason.eq(&row.disabled_reason),
                webhook_subscriptions::secret.eq(&row.secret),
                webhook_subscriptions::previous_secret.eq(&row.previous_secret),
                webhook_subscriptions::previous_secret_until.eq(row.previous_secret_until),
                webhook_subscriptions::updated_at.eq(row.updated_at),
            ))
            .execute(c)
            .await?
    });
    Ok(updated == 1)
}

/// Deletes a subscription the scope reaches (its messages and attempts go with it).
pub async fn delete(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: WebhookSubscriptionId,
) -> Result<bool, StoreError> {
    let deleted = dispatch!(conn, c => {
        let mine: Vec<WebhookSubscriptionId> =
            scoped!(webhook_subscriptions::table, webhook_subscriptions::client_id, scope)
                .filter(webhook_subscriptions::id.eq(id))
                .select(webhook_subscriptions::id)
                .load(c)
                .await?;
        diesel::delete(webhook_subscriptions::table.filter(webhook_subscriptions::id.eq_any(mine)))
            .execute(c)
            .await?
    });
    Ok(deleted == 1)
}

/// A subscription the scope reaches.
pub async fn find(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: WebhookSubscriptionId,
) -> Result<Option<Subscription>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(webhook_subscriptions::table, webhook_subscriptions::client_id, scope)
            .filter(webhook_subscriptions::id.eq(id))
            .select(Subscription::as_select())
            .first(c)
            .await
            .optional()?
    });
    Ok(found)
}

/// A subscription the scope reaches, locked until the transaction ends (PostgreSQL;
/// SQLite's writers take turns), so that concurrent changes to it do not overwrite each
/// other.
pub async fn find_for_update(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: WebhookSubscriptionId,
) -> Result<Option<Subscription>, StoreError> {
    match conn {
        Conn::Pg(c) => {
            let row: Option<Subscription> = webhook_subscriptions::table
                .filter(webhook_subscriptions::id.eq(id))
                .select(Subscription::as_select())
                .for_no_key_update()
                .first(&mut **c)
                .await
                .optional()?;
            Ok(row.filter(|r| scope.includes(r.client_id)))
        }
        Conn::Sqlite(_) => find(conn, scope, id).await,
    }
}

/// A client's subscriptions, oldest first.
pub async fn for_client(
    conn: &mut Conn<'_>,
    scope: &Scope,
    client: ClientId,
) -> Result<Vec<Subscription>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(webhook_subscriptions::table, webhook_subscriptions::client_id, scope)
            .filter(webhook_subscriptions::client_id.eq(client))
            .order((webhook_subscriptions::created_at.asc(), webhook_subscriptions::id.asc()))
            .select(Subscription::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// How many subscriptions a client has.
pub async fn count(conn: &mut Conn<'_>, client: ClientId) -> Result<i64, StoreError> {
    let counted = dispatch!(conn, c => {
        webhook_subscriptions::table
            .filter(webhook_subscriptions::client_id.eq(client))
            .count()
            .get_result(c)
            .await?
    });
    Ok(counted)
}

/// The last sequence a client's log has handed out (0 before its first event).
pub async fn last_sequence(conn: &mut Conn<'_>, client: ClientId) -> Result<i64, StoreError> {
    let last = dispatch!(conn, c => {
        event_sequences::table
            .filter(event_sequences::client_id.eq(client))
            .select(event_sequences::last_sequence)
            .first::<i64>(c)
            .await
            .optional()?
    });
    Ok(last.unwrap_or(0))
}

/// Up to `limit` enabled subscriptions whose cursor is behind their client's log.
pub async fn behind(conn: &mut Conn<'_>, limit: i64) -> Result<Vec<Subscription>, StoreError> {
    let found = dispatch!(conn, c => {
        webhook_subscriptions::table
            .inner_join(
                event_sequences::table
                    .on(event_sequences::client_id.eq(webhook_subscriptions::client_id)),
            )
            .filter(webhook_subscriptions::enabled.eq(true))
            .filter(event_sequences::last_sequence.gt(webhook_subscriptions::event_cursor))
            .order(webhook_subscriptions::updated_at.asc())
            .limit(limit)
            .select(Subscription::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// Up to `limit` sealed events of `client` after the sequence `after`: (id, sequence, type).
pub async fn events_after(
    conn: &mut Conn<'_>,
    client: ClientId,
    after: i64,
    limit: i64,
) -> Result<Vec<(EventId, i64, EventType)>, StoreError> {
    let found: Vec<(EventId, Option<i64>, EventType)> = dispatch!(conn, c => {
        events::table
            .filter(events::client_id.eq(client))
            .filter(events::sequence.gt(after))
            .order(events::sequence.asc())
            .limit(limit)
            .select((events::id, events::sequence, events::event_type))
            .load(c)
            .await?
    });
    Ok(found
        .into_iter()
        .filter_map(|(id, sequence, kind)| Some((id, sequence?, kind)))
        .collect())
}

/// Moves a subscription's cursor from `from` to `to`; false when another fan-out moved it
/// first (or the subscription is gone).
pub async fn advance_cursor(
    conn: &mut Conn<'_>,
    id: WebhookSubscriptionId,
    from: i64,
    to: i64,
) -> Result<bool, StoreError> {
    let moved = dispatch!(conn, c => {
        diesel::update(
            webhook_subscriptions::table
                .filter(webhook_subscriptions::id.eq(id))
                .filter(webhook_subscriptions::event_cursor.eq(from)),
        )
        .set(webhook_subscriptions::event_cursor.eq(to))
        .execute(c)
        .await?
    });
    Ok(moved == 1)
}

/// Inserts messages.
pub async fn insert_messages(conn: &mut Conn<'_>, rows: &[Message]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Pg(c) => {
            diesel::insert_into(webhook_messages::table)
                .values(rows)
                .execute(&mut **c)
                .await?;
        }
        // SQLite takes no multi-row insert of rows with NULLs; one statement each (in the
        // caller's transaction).
        Conn::Sqlite(c) => {
            for row in rows {
                diesel::insert_into(webhook_messages::table)
                    .values(row)
                    .execute(&mut **c)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Up to `limit` due messages of enabled subscriptions, not leased by anyone now, oldest
/// first. On PostgreSQL the rows are locked (`FOR UPDATE SKIP LOCKED`: another replica
/// claiming at once skips them rather than waiting); [`lease`] then takes them.
pub async fn due(
    conn: &mut Conn<'_>,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    macro_rules! query {
        () => {
            webhook_messages::table
                .filter(webhook_messages::status.eq(MessageStatus::Pending))
                .filter(webhook_messages::next_attempt_at.le(now))
                .filter(
                    webhook_messages::lease_until
                        .is_null()
                        .or(webhook_messages::lease_until.lt(now)),
                )
                .filter(
                    webhook_messages::subscription_id.eq_any(
                        webhook_subscriptions::table
                            .filter(webhook_subscriptions::enabled.eq(true))
                            .select(webhook_subscriptions::id),
                    ),
                )
                .order((
                    webhook_messages::next_attempt_at.asc(),
                    webhook_messages::sequence.asc(),
                ))
                .limit(limit)
                .select(Message::as_select())
        };
    }
    let found = match conn {
        Conn::Pg(c) => query!().for_update().skip_locked().load(&mut **c).await?,
        Conn::Sqlite(c) => query!().load(&mut **c).await?,
    };
    Ok(found)
}

/// Leases messages until `until` (counting the attempt about to be made), each only if it
/// is still pending and unleased at `now` (a compare-and-set); the ones taken.
pub async fn lease(
    conn: &mut Conn<'_>,
    ids: &[WebhookMessageId],
    now: Timestamp,
    until: Timestamp,
) -> Result<Vec<Message>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let taken = dispatch!(conn, c => {
        diesel::update(
            webhook_messages::table
                .filter(webhook_messages::id.eq_any(ids))
                .filter(webhook_messages::status.eq(MessageStatus::Pending))
                .filter(
                    webhook_messages::lease_until
                        .is_null()
                        .or(webhook_messages::lease_until.lt(now)),
                ),
        )
        .set((
            webhook_messages::lease_until.eq(until),
            webhook_messages::attempts.eq(webhook_messages::attempts + 1),
        ))
        .returning(Message::as_returning())
        .get_results(c)
        .await?
    });
    Ok(taken)
}

/// Settles a message after an attempt: its new status, when it is next due, and when its
/// first attempt was; the lease is released.
pub async fn settle(
    conn: &mut Conn<'_>,
    id: WebhookMessageId,
    status: MessageStatus,
    next_attempt_at: Timestamp,
    first_attempt_at: Timestamp,
) -> Result<(), StoreError> {
    dispatch!(conn, c => {
        diesel::update(webhook_messages::table.filter(webhook_messages::id.eq(id)))
            .set((
                webhook_messages::status.eq(status),
                webhook_messages::next_attempt_at.eq(next_attempt_at),
                webhook_messages::lease_until.eq(None::<Timestamp>),
                webhook_messages::first_attempt_at.eq(Some(first_attempt_at)),
            ))
            .execute(c)
            .await?;
    });
    Ok(())
}

/// Makes a re-enabled subscription's undelivered messages due at `now` with a fresh retry
/// window (those given up included).
pub async fn resume(
    conn: &mut Conn<'_>,
    subscription: WebhookSubscriptionId,
    now: Timestamp,
) -> Result<(), StoreError> {
    dispatch!(conn, c => {
        diesel::update(
            webhook_messages::table
                .filter(webhook_messages::subscription_id.eq(subscription))
                .filter(webhook_messages::status.ne(MessageStatus::Delivered)),
        )
        .set((
            webhook_messages::status.eq(MessageStatus::Pending),
            webhook_messages::next_attempt_at.eq(now),
            webhook_messages::first_attempt_at.eq(None::<Timestamp>),
        ))
        .execute(c)
        .await?;
    });
    Ok(())
}

/// Records an attempt.
pub async fn insert_attempt(conn: &mut Conn<'_>, row: &Attempt) -> Result<(), StoreError> {
    dispatch!(conn, c => {
        diesel::insert_into(webhook_attempts::table).values(row).execute(c).await?;
    });
    Ok(())
}

/// Up to `limit` attempts of a subscription the scope reaches, newest first, before the
/// attempt `before` (a cursor), with `outcome` if given.
pub async fn attempts(
    conn: &mut Conn<'_>,
    scope: &Scope,
    subscription: WebhookSubscriptionId,
    before: Option<WebhookAttemptId>,
    outcome: Option<WebhookDeliveryOutcome>,
    limit: i64,
) -> Result<Vec<Attempt>, StoreError> {
    let found = dispatch!(conn, c => {
        let mut query = scoped!(webhook_attempts::table, webhook_attempts::client_id, scope)
            .filter(webhook_attempts::subscription_id.eq(subscription));
        if let Some(before) = before {
            query = query.filter(webhook_attempts::id.lt(before));
        }
        if let Some(outcome) = outcome {
            query = query.filter(webhook_attempts::outcome.eq(outcome));
        }
        query
            .order(webhook_attempts::id.desc())
            .limit(limit)
            .select(Attempt::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}
