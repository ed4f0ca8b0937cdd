//! `pingWebhookSubscription`: a `PING` event, in the log like any other, sent to this
//! subscription only (no subscription names PING among its types), at once.

use crate::db::Conn;
use crate::domain::event::{EventType, Happened, SubjectKind};
use crate::domain::webhook::{MessageStatus, WebhookMessageId, WebhookSubscriptionId};
use crate::ops::webhooks::lock;
use crate::ops::{Cx, OpResult, events, uow};
use crate::store;

use crate::store::webhooks::{Message, Subscription};

/// Records the ping and queues it; the subscription and the event's id.
pub async fn run(
    cx: &Cx<'_>,
    id: WebhookSubscriptionId,
) -> OpResult<(Subscription, crate::domain::event::EventId)> {
    uow::unit!(cx, None, tx => ping(tx, cx, id).await)?.done()
}

async fn ping(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    id: WebhookSubscriptionId,
) -> OpResult<(Subscription, crate::domain::event::EventId)> {
    let subscription = lock(tx, cx, id).await?;
    let happened = Happened::new(EventType::Ping, SubjectKind::WebhookSubscription, id.0);
    let event = events::record(tx, cx, subscription.client_id, happened).await?;
    // Its sequence is not known until the unit of work seals it; a ping is sent at once,
    // outside the order of the subscription's other messages (sequence 0).
    queue(tx, cx, &subscription, event, 0).await?;
    Ok((subscription, event))
}

/// Queues `event` (of the sequence given) for `subscription`, due now.
pub async fn queue(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    subscription: &Subscription,
    event: crate::domain::event::EventId,
    sequence: i64,
) -> OpResult<()> {
    let message = Message {
        id: WebhookMessageId::new(),
        subscription_id: subscription.id,
        client_id: subscription.client_id,
        event_id: event,
        sequence,
        status: MessageStatus::Pending,
        attempts: 0,
        next_attempt_at: cx.now,
        lease_until: None,
        first_attempt_at: None,
        created_at: cx.now,
    };
    Ok(store::webhooks::insert_messages(tx, &[message]).await?)
}
