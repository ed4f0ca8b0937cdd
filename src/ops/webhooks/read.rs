//! Reading webhook subscriptions and their delivery attempts (tenant-scoped).

use crate::domain::ids::ClientId;
use crate::domain::webhook::{WebhookAttemptId, WebhookDeliveryOutcome, WebhookSubscriptionId};
use crate::ops::webhooks::{find, managed_client};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::events::Event;
use crate::store::webhooks::{Attempt, Subscription};

/// The most attempts one page holds.
pub const MAX_PAGE: i64 = 100;

/// The client's subscriptions (the operator names the client), oldest first.
pub async fn list(cx: &Cx<'_>, client: Option<ClientId>) -> OpResult<Vec<Subscription>> {
    let (client, _) = managed_client(cx, client).await?;
    let mut pooled = cx.db.read().await?;
    Ok(store::webhooks::for_client(&mut pooled.conn(), &cx.scope(), client).await?)
}

/// One subscription the caller reaches.
pub async fn one(cx: &Cx<'_>, id: WebhookSubscriptionId) -> OpResult<Subscription> {
    let mut pooled = cx.db.read().await?;
    find(&mut pooled.conn(), cx, id).await
}

/// Up to `first` attempts at a subscription's messages, newest first, before the attempt
/// `before`, with `outcome` if given, each with its event (gone once swept); and whether
/// more follow.
pub async fn deliveries(
    cx: &Cx<'_>,
    id: WebhookSubscriptionId,
    before: Option<WebhookAttemptId>,
    outcome: Option<WebhookDeliveryOutcome>,
    first: i64,
) -> OpResult<(Vec<(Attempt, Option<Event>)>, bool)> {
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(OpError::bad_input(
            "first",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let mut pooled = cx.db.read().await?;
    let conn = &mut pooled.conn();
    let scope = cx.scope();
    let mut attempts =
        store::webhooks::attempts(conn, &scope, id, before, outcome, first + 1).await?;
    let more = attempts.len() > usize::try_from(first).unwrap_or(usize::MAX);
    attempts.truncate(usize::try_from(first).unwrap_or(0));
    let ids: Vec<_> = attempts.iter().map(|a| a.event_id).collect();
    let events = store::events::find_many(conn, &scope, &ids).await?;
    let paired = attempts
        .into_iter()
        .map(|a| {
            let event = events.iter().find(|e| e.id == a.event_id).cloned();
            (a, event)
        })
        .collect();
    Ok((paired, more))
}
