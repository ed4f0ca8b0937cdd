//! `redeliverEvent`: one event sent to one subscription again (a new message, due now;
//! the same `webhook-id`, so a receiver that handled it already can tell).

use crate::domain::event::EventId;
use crate::domain::webhook::WebhookSubscriptionId;
use crate::ops::webhooks::lock;
use crate::ops::webhooks::ping_subscription::queue;
use crate::ops::{Cx, OpError, OpResult, uow};
use crate::store;
use crate::store::events::Event;
use crate::store::webhooks::Subscription;

/// Queues the event for the subscription; `NOT_FOUND` unless the caller reaches both and
/// they are of one client.
pub async fn run(
    cx: &Cx<'_>,
    event_id: EventId,
    subscription_id: WebhookSubscriptionId,
) -> OpResult<(Subscription, Event)> {
    uow::unit!(cx, None, tx => {
        let subscription = lock(tx, cx, subscription_id).await?;
        let event = store::events::find_many(tx, &cx.scope(), &[event_id])
            .await?
            .into_iter()
            .find(|e| e.client_id == subscription.client_id && e.sequence.is_some())
            .ok_or_else(|| OpError::NotFound(format!("event {event_id}")))?;
        queue(tx, cx, &subscription, event.id, event.sequence.unwrap_or(0)).await?;
        Ok::<_, OpError>((subscription, event))
    })?
    .done()
}
