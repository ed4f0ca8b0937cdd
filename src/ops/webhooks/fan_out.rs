//! The fan-out: each enabled subscription whose cursor is behind its client's log gets a
//! message for every new event of a type it names, and its cursor moves past them, in one
//! transaction (the cursor by compare-and-set, so that two replicas fanning out at once
//! queue each event once). A disabled subscription's cursor waits: re-enabled, it resumes.

use crate::db::Conn;
use crate::domain::tenancy::Principal;
use crate::domain::webhook::{MessageStatus, WebhookMessageId};
use crate::ops::{App, Cx, OpError, OpResult, uow};
use crate::store;
use crate::store::webhooks::{Message, Subscription};

/// The most subscriptions one pass looks at, and events it fans out to one of them.
const SUBSCRIPTIONS: i64 = 100;
const EVENTS: i64 = 500;

/// One pass; how many messages it queued.
pub async fn run(app: &App) -> OpResult<usize> {
    let system = Principal::system();
    let cx = app.cx(&system);
    let behind = {
        let mut pooled = cx.db.read().await?;
        store::webhooks::behind(&mut pooled.conn(), SUBSCRIPTIONS).await?
    };
    let mut queued = 0;
    for subscription in behind {
        match uow::unit!(&cx, None, tx => fan(tx, &cx, &subscription).await) {
            Ok(done) => queued += done.done()?,
            // Another deliverer moved this cursor first; it queued these events.
            Err(OpError::Conflict(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(queued)
}

async fn fan(tx: &mut Conn<'_>, cx: &Cx<'_>, subscription: &Subscription) -> OpResult<usize> {
    let types = subscription.types()?;
    let events = store::webhooks::events_after(
        tx,
        subscription.client_id,
        subscription.event_cursor,
        EVENTS,
    )
    .await?;
    let Some(last) = events.last().map(|(_, sequence, _)| *sequence) else {
        return Ok(0);
    };
    let messages: Vec<Message> = events
        .iter()
        .filter(|(_, _, event_type)| types.contains(event_type))
        .map(|(event, sequence, _)| Message {
            id: WebhookMessageId::new(),
            subscription_id: subscription.id,
            client_id: subscription.client_id,
            event_id: *event,
            sequence: *sequence,
            status: MessageStatus::Pending,
            attempts: 0,
            next_attempt_at: cx.now,
            lease_until: None,
            first_attempt_at: None,
            created_at: cx.now,
        })
        .collect();
    store::webhooks::insert_messages(tx, &messages).await?;
    if !store::webhooks::advance_cursor(tx, subscription.id, subscription.event_cursor, last)
        .await?
    {
        return Err(OpError::Conflict(
            "another deliverer fanned these events out".into(),
        ));
    }
    Ok(messages.len())
}
