//! The deliverer's side of the database: claiming due messages (a lease, so that no two
//! deliverers send one message at once; a deliverer that dies leaves it to be claimed again
//! when the lease ends) and recording each attempt: delivered, due again after the retry
//! schedule's next delay, or given up after the retry window, which disables the
//! subscription with a reason and a `WEBHOOK_SUBSCRIPTION_DISABLED` event.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::domain::client::Actor;
use crate::domain::event::{Change, EventType, Happened, SubjectKind};
use crate::domain::tenancy::Principal;
use crate::domain::webhook::{
    MAX_RECORDED_BODY, MessageStatus, WebhookAttemptId, WebhookDeliveryOutcome,
    WebhookSubscriptionId,
};
use crate::ops::{App, Cx, OpError, OpResult, events, uow};
use crate::store;
use crate::store::events::Event;
use crate::store::webhooks::{Attempt, Message, Subscription};

/// The most messages of one subscription one claim takes. One: its lease is then one
/// attempt long, so that a message whose deliverer died is sent again soon, and a
/// subscription's messages go out one at a time, in sequence order.
pub const PER_SUBSCRIPTION: usize = 1;

/// Messages claimed for one subscription, with what sending them needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub subscription: Subscription,
    /// In sequence order, each with its event.
    pub messages: Vec<(Message, Event)>,
}

/// What one attempt got.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    pub latency: Duration,
    /// The start of its answer's body.
    pub body: Option<String>,
    /// Why there was no 2xx answer, when there was none at all.
    pub error: Option<String>,
}

impl Outcome {
    /// Any 2xx answer delivers.
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Claims up to `limit` due messages, at most [`PER_SUBSCRIPTION`] of each subscription and
/// none of the subscriptions in `busy` (being sent by this deliverer), each group leased for
/// as long as sending it may take.
pub async fn claim(
    app: &App,
    limit: usize,
    busy: &HashSet<WebhookSubscriptionId>,
) -> OpResult<Vec<Claimed>> {
    let system = Principal::system();
    let cx = app.cx(&system);
    uow::unit!(&cx, None, tx => take(tx, &cx, limit, busy).await)?.done()
}

async fn take(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    limit: usize,
    busy: &HashSet<WebhookSubscriptionId>,
) -> OpResult<Vec<Claimed>> {
    let wanted = i64::try_from(limit.saturating_mul(4)).unwrap_or(i64::MAX);
    let due = store::webhooks::due(tx, cx.now, wanted).await?;
    let mut groups: Vec<(WebhookSubscriptionId, Vec<Message>)> = Vec::new();
    let mut taken = 0;
    for message in due {
        if taken >= limit || busy.contains(&message.subscription_id) {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(id, _)| *id == message.subscription_id)
        {
            Some((_, group)) if group.len() >= PER_SUBSCRIPTION => continue,
            Some((_, group)) => group.push(message),
            None => groups.push((message.subscription_id, vec![message])),
        }
        taken += 1;
    }
    let scope = cx.scope();
    let mut claimed = Vec::with_capacity(groups.len());
    for (subscription, group) in groups {
        let per_message = cx.settings.webhooks.lease();
        let hold = per_message.saturating_mul(u32::try_from(group.len()).unwrap_or(u32::MAX));
        let until = Timestamp(
            cx.now.0
                + chrono::Duration::from_std(hold)
                    .map_err(|e| OpError::internal(&e.to_string()))?,
        );
        let ids: Vec<_> = group.iter().map(|m| m.id).collect();
        let mut leased = store::webhooks::lease(tx, &ids, cx.now, until).await?;
        if leased.is_empty() {
            continue;
        }
        leased.sort_by_key(|m| (m.sequence, m.created_at));
        let Some(subscription) = store::webhooks::find(tx, &scope, subscription).await? else {
            continue;
        };
        let event_ids: Vec<_> = leased.iter().map(|m| m.event_id).collect();
        let mut found: HashMap<_, Event> = store::events::find_many(tx, &scope, &event_ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let messages = leased
            .into_iter()
            .filter_map(|m| found.remove(&m.event_id).map(|e| (m, e)))
            .collect();
        claimed.push(Claimed {
            subscription,
            messages,
        });
    }
    Ok(claimed)
}

/// Records an attempt at `message` and settles it.
pub async fn record(app: &App, message: &Message, outcome: &Outcome) -> OpResult<()> {
    let system = Principal::system();
    let cx = app.cx(&system);
    uow::unit!(&cx, None, tx => settle(tx, &cx, message, outcome).await)?.done()
}

async fn settle(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    message: &Message,
    outcome: &Outcome,
) -> OpResult<()> {
    let scope = cx.scope();
    // Deleted while the attempt ran: nothing to record.
    let Some(subscription) =
        store::webhooks::find_for_update(tx, &scope, message.subscription_id).await?
    else {
        return Ok(());
    };
    let first = message.first_attempt_at.unwrap_or(cx.now);
    let failing_for = (cx.now.0 - first.0).to_std().unwrap_or_default();
    let attempts = u32::try_from(message.attempts).unwrap_or(u32::MAX).max(1);
    let (status, next) = if outcome.delivered() {
        (MessageStatus::Delivered, None)
    } else {
        let schedule = &cx.settings.webhooks.retry;
        match schedule.next_delay(attempts, failing_for, rand::random::<f64>()) {
            Some(delay) => {
                let delay = chrono::Duration::from_std(delay)
                    .map_err(|e| OpError::internal(&e.to_string()))?;
                (MessageStatus::Pending, Some(Timestamp(cx.now.0 + delay)))
            }
            None => (MessageStatus::Failed, None),
        }
    };
    store::webhooks::insert_attempt(
        tx,
        &Attempt {
            id: WebhookAttemptId::new(),
            message_id: message.id,
            subscription_id: message.subscription_id,
            client_id: message.client_id,
            event_id: message.event_id,
            attempt: i64::from(attempts),
            attempted_at: cx.now,
            outcome: if outcome.delivered() {
                WebhookDeliveryOutcome::Succeeded
            } else {
                WebhookDeliveryOutcome::Failed
            },
            response_status: outcome.status.map(i64::from),
            latency_ms: i64::try_from(outcome.latency.as_millis()).unwrap_or(i64::MAX),
            response_body: outcome
                .body
                .as_deref()
                .map(|b| truncated(b, MAX_RECORDED_BODY)),
            error: outcome
                .error
                .as_deref()
                .map(|e| truncated(e, MAX_RECORDED_BODY)),
            next_attempt_at: next,
        },
    )
    .await?;
    store::webhooks::settle(tx, message.id, status, next.unwrap_or(cx.now), first).await?;
    if status == MessageStatus::Failed && subscription.enabled {
        disable(tx, cx, subscription, outcome).await?;
    }
    Ok(())
}

/// Disables a subscription whose message failed for the whole retry window, saying why.
async fn disable(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    mut subscription: Subscription,
    outcome: &Outcome,
) -> OpResult<()> {
    let window = humantime(cx.settings.webhooks.retry.give_up_after);
    let last = match (outcome.status, &outcome.error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(error)) => truncated(error, 200),
        (None, None) => "no answer".into(),
    };
    let reason = format!("deliveries failed for {window} (last: {last})");
    subscription.enabled = false;
    subscription.disabled_reason = Some(reason.clone());
    subscription.updated_at = cx.now;
    store::webhooks::update(tx, &cx.scope(), &subscription).await?;
    let happened = Happened::new(
        EventType::WebhookSubscriptionDisabled,
        SubjectKind::WebhookSubscription,
        subscription.id.0,
    )
    .changes(vec![Change::moved("enabled", Some("true"), "false")])
    .reason(&reason)
    .by(Actor::System);
    events::emit(tx, cx, subscription.client_id, happened).await
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// `3 days`, `5 hours`, `90 seconds`.
fn humantime(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{} days", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => format!("{} hours", s / 3_600),
        s if s >= 60 && s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}
