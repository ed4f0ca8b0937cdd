//! `Query.events`: the client's event log, read in sequence order from a cursor, so that a
//! partner catches up after an outage by paging from the last event it handled.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::customers::target_client_id;
use super::error::{ApiError, ApiResult};
use super::node::{self, Node, NodeKind};
use super::pagination::{DEFAULT_PAGE, MAX_PAGE, PageInfo, encode_cursor};
use super::query::find_node;
use super::request;
use crate::domain::client::Actor;
use crate::domain::event::{Change, EventType, SubjectKind};
use crate::domain::time::Timestamp;
use crate::ops;
use crate::store::events::{Event as EventRow, Filter, SubjectId};

fn node_kind(kind: SubjectKind) -> NodeKind {
    match kind {
        SubjectKind::Customer => NodeKind::Customer,
        SubjectKind::Application => NodeKind::Application,
        SubjectKind::ApplicationDocument => NodeKind::ApplicationDocument,
        SubjectKind::Account => NodeKind::Account,
        SubjectKind::Payor => NodeKind::Payor,
        SubjectKind::PaymentAddress => NodeKind::PaymentAddress,
        SubjectKind::Transaction => NodeKind::Transaction,
        SubjectKind::Transfer => NodeKind::Transfer,
        SubjectKind::WebhookSubscription => NodeKind::WebhookSubscription,
    }
}

/// Something that happened to one of the client's objects, recorded in the same
/// transaction as the change itself.
#[derive(Clone)]
pub struct Event(pub EventRow);

/// Something that happened to one of the client's objects, recorded in the same
/// transaction as the change itself.
#[Object]
impl Event {
    /// The event's global id (the same in every webhook delivery of it).
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }

    /// Its place in the client's log: increasing, without gaps a reader could skip.
    async fn sequence(&self) -> i64 {
        self.0.sequence.unwrap_or_default()
    }

    /// What happened.
    #[graphql(name = "type")]
    async fn event_type(&self) -> EventType {
        self.0.event_type
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at.0
    }

    /// The global id of the object it happened to.
    async fn subject_id(&self) -> ID {
        node::encode(node_kind(self.0.subject_kind), self.0.subject_id.0)
    }

    /// The object it happened to, as it is now (null if the caller can no longer see it).
    async fn subject(&self, ctx: &Context<'_>) -> ApiResult<Option<Node>> {
        find_node(
            request(ctx)?,
            node_kind(self.0.subject_kind),
            self.0.subject_id.0,
        )
        .await
    }

    /// The client's own id of the customer it concerns, if any.
    async fn customer_id(&self) -> Option<&str> {
        self.0.customer_ref.as_deref()
    }

    /// The client's own id of the account it concerns, if any.
    async fn account_id(&self) -> Option<&str> {
        self.0.account_ref.as_deref()
    }

    /// What changed: for a status, the values it moved between; for details, only the
    /// names of the fields (their values stay on the object, masked as the API masks them).
    async fn changes(&self) -> ApiResult<Vec<EventChange>> {
        let changes: Vec<Change> = serde_json::from_str(&self.0.changes)
            .map_err(|e| ApiError::internal(&format!("an event's changes: {e}")))?;
        Ok(changes
            .into_iter()
            .map(|c| EventChange {
                field: c.field,
                from: c.from,
                to: c.to,
            })
            .collect())
    }

    /// Who made the change: the client, the operator, or the platform itself (expiry).
    async fn actor(&self) -> Actor {
        self.0.actor
    }

    /// Why, where the change had a reason.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// The request that caused it (its `X-Request-Id`, also in that response's
    /// `extensions.requestId`); null for the platform's own changes.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

/// The event as a webhook's `data` carries it: every field of [`Event`] as `events` shows
/// it, but for `subject` (the live object; fetch it with `node(id: subjectId)`).
pub fn webhook_data(row: &EventRow) -> Result<serde_json::Value, ApiError> {
    let changes: Vec<Change> = serde_json::from_str(&row.changes)
        .map_err(|e| ApiError::internal(&format!("an event's changes: {e}")))?;
    Ok(serde_json::json!({
        "id": row.id.0.to_string(),
        "sequence": row.sequence.unwrap_or_default(),
        "type": row.event_type.as_str(),
        "occurredAt": async_graphql::ScalarType::to_value(&row.occurred_at.0),
        "subjectId": node::encode(node_kind(row.subject_kind), row.subject_id.0).0,
        "customerId": row.customer_ref,
        "accountId": row.account_ref,
        "changes": changes,
        "actor": row.actor.as_str(),
        "reason": row.reason,
        "requestId": row.request_id,
    }))
}

/// One changed field of an event.
#[derive(Clone, SimpleObject)]
pub struct EventChange {
    /// The field, as the API names it (`status`, `firstName`, `individuals.<id>`…).
    pub field: String,
    /// The value before, for statuses (null for details, and for a new object).
    pub from: Option<String>,
    /// The value after, for statuses (null for details).
    pub to: Option<String>,
}

/// One event of a page and its cursor.
#[derive(Clone, SimpleObject)]
pub struct EventEdge {
    /// Where this event sits, for `after`.
    pub cursor: String,
    /// The event.
    pub node: Event,
}

/// A page of the event log, in sequence order.
#[derive(SimpleObject)]
pub struct EventConnection {
    /// The events with their cursors.
    pub edges: Vec<EventEdge>,
    /// The events alone.
    pub nodes: Vec<Event>,
    /// Where this page sits; `endCursor` is where to read on from (also when the page is
    /// empty: the same cursor again).
    pub page_info: PageInfo,
}

/// Which events to read.
#[derive(Debug, Clone, Default, InputObject)]
pub struct EventFilter {
    /// Only events of these types.
    pub types: Option<Vec<EventType>>,
    /// Only events about this object (a global id).
    pub subject_id: Option<ID>,
    /// Only events concerning this customer (the client's own id).
    pub customer_id: Option<String>,
    /// Only events that occurred at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events that occurred before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// The event log.
#[derive(Default)]
pub struct EventQuery;

/// The event log.
#[Object]
impl EventQuery {
    /// The caller's events in sequence order, from a cursor: how a partner catches up.
    /// Events are kept 30 days by default (`--event-retention-days`).
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Events after this cursor (an `endCursor` or an edge's `cursor`).")]
        after: Option<String>,
        #[graphql(desc = "At most this many events (1 to 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "Which events to read.")] filter: Option<EventFilter>,
        #[graphql(desc = "The client whose log to read (required for the operator).")]
        client_id: Option<ID>,
    ) -> ApiResult<EventConnection> {
        let rc = request(ctx)?;
        let first = first.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(ApiError::bad_input(
                "first",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let start = match &after {
            None => 0,
            Some(cursor) => super::pagination::decode_sequence(cursor)
                .ok_or_else(|| ApiError::bad_input("after", "not a valid cursor for this list"))?,
        };
        let filter = filter.unwrap_or_default();
        let subject_id = filter
            .subject_id
            .as_ref()
            .map(|id| node::decode(id).map(|(_, key)| SubjectId(key)))
            .transpose()?;
        let filter = Filter {
            types: filter.types.unwrap_or_default(),
            subject_id,
            customer_ref: filter.customer_id,
            from: filter.from.map(Timestamp),
            to: filter.to.map(Timestamp),
        };
        let client = target_client_id(client_id.as_ref())?;
        let (rows, more) =
            ops::events::page(&rc.cx(), client, start, i64::from(first), &filter).await?;
        let edges: Vec<EventEdge> = rows
            .into_iter()
            .map(|row| EventEdge {
                cursor: encode_cursor(&row.sequence.unwrap_or_default()),
                node: Event(row),
            })
            .collect();
        let end_cursor = edges
            .last()
            .map(|e| e.cursor.clone())
            .or_else(|| after.clone());
        Ok(EventConnection {
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            page_info: PageInfo {
                has_next_page: more,
                has_previous_page: start > 0,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor,
            },
            edges,
        })
    }
}
