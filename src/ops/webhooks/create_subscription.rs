//! `createWebhookSubscription`: a URL to send a client's events of some types to, with a
//! new signing secret (returned once). At most 20 per client; it receives the events that
//! happen after it is created.

use crate::db::Conn;
use crate::domain::event::EventType;
use crate::domain::ids::ClientId;
use crate::domain::webhook::{MAX_SUBSCRIPTIONS, WebhookSubscriptionId, new_secret};
use crate::ops::webhooks::{addresses, checked_description, event_types_json, managed_client};
use crate::ops::{Cx, OpError, OpResult, uow};
use crate::store;
use crate::store::webhooks::Subscription;

/// What `createWebhookSubscription` is given.
#[derive(Debug, Clone)]
pub struct Input {
    pub url: String,
    pub event_types: Vec<EventType>,
    pub description: Option<String>,
    pub client: Option<ClientId>,
}

/// Creates the subscription, enabled; its row carries the secret, for the caller to show
/// once.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Subscription> {
    let (client, environment) = managed_client(cx, input.client).await?;
    let url = addresses::check_destination(
        &input.url,
        environment,
        cx.settings.webhooks.allow_private_addresses,
    )
    .await?;
    let row = Subscription {
        id: WebhookSubscriptionId::new(),
        client_id: client,
        url: url.to_string(),
        event_types: event_types_json(&input.event_types)?,
        description: checked_description(input.description)?,
        enabled: true,
        disabled_reason: None,
        secret: new_secret(rand::random()),
        previous_secret: None,
        previous_secret_until: None,
        event_cursor: 0,
        created_at: cx.now,
        updated_at: cx.now,
    };
    uow::unit!(cx, None, tx => create(tx, cx, row.clone()).await)?.done()
}

async fn create(tx: &mut Conn<'_>, cx: &Cx<'_>, mut row: Subscription) -> OpResult<Subscription> {
    store::clients::lock_subscriptions(tx, row.client_id).await?;
    if store::webhooks::count(tx, row.client_id).await? >= MAX_SUBSCRIPTIONS {
        return Err(OpError::Rule {
            code: "WEBHOOK_SUBSCRIPTION_LIMIT_REACHED",
            message: format!(
                "a client may have at most {MAX_SUBSCRIPTIONS} webhook subscriptions; delete one first"
            ),
        });
    }
    // From the log's end now: events that committed before this one are not sent.
    row.event_cursor = store::webhooks::last_sequence(tx, row.client_id).await?;
    store::webhooks::insert(tx, &cx.scope(), &row).await?;
    Ok(row)
}
