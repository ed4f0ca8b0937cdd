//! `updateWebhookSubscription`: a subscription's URL, event types, description or enabled
//! flag changed. Re-enabling resumes where delivery stopped: the messages it had not
//! delivered (those given up included) are due again, and the events of the time it was
//! off are fanned out to it (as long as the log still holds them).

use crate::db::Conn;
use crate::domain::event::EventType;
use crate::domain::patch::Patch;
use crate::domain::webhook::WebhookSubscriptionId;
use crate::ops::webhooks::{
    addresses, checked_description, event_types_json, find, lock, managed_client,
};
use crate::ops::{Cx, OpResult, uow};
use crate::store;
use crate::store::webhooks::Subscription;

/// What `updateWebhookSubscription` is given; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub id: WebhookSubscriptionId,
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub description: Patch<String>,
    pub enabled: Option<bool>,
}

/// Applies the changes; the subscription as it now is.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Subscription> {
    let url = match &input.url {
        Some(raw) => {
            let current = {
                let mut pooled = cx.db.read().await?;
                find(&mut pooled.conn(), cx, input.id).await?
            };
            let (_, environment) = managed_client(cx, Some(current.client_id)).await?;
            let allow = cx.settings.webhooks.allow_private_addresses;
            Some(
                addresses::check_destination(raw, environment, allow)
                    .await?
                    .to_string(),
            )
        }
        None => None,
    };
    let types = input
        .event_types
        .as_deref()
        .map(event_types_json)
        .transpose()?;
    let description = match input.description.clone() {
        Patch::Set(text) => Patch::Set(checked_description(Some(text))?),
        Patch::Clear => Patch::Clear,
        Patch::Keep => Patch::Keep,
    };
    uow::unit!(cx, None, tx => {
        update(tx, cx, &input, url.clone(), types.clone(), description.clone()).await
    })?
    .done()
}

async fn update(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    input: &Input,
    url: Option<String>,
    types: Option<String>,
    description: Patch<Option<String>>,
) -> OpResult<Subscription> {
    let mut row = lock(tx, cx, input.id).await?;
    let was_enabled = row.enabled;
    if let Some(url) = url {
        row.url = url;
    }
    if let Some(types) = types {
        row.event_types = types;
    }
    match description {
        Patch::Set(text) => row.description = text,
        Patch::Clear => row.description = None,
        Patch::Keep => {}
    }
    if let Some(enabled) = input.enabled {
        row.enabled = enabled;
        if enabled {
            row.disabled_reason = None;
        } else if was_enabled {
            row.disabled_reason = Some("disabled by the client".into());
        }
    }
    row.updated_at = cx.now;
    store::webhooks::update(tx, &cx.scope(), &row).await?;
    if row.enabled && !was_enabled {
        store::webhooks::resume(tx, row.id, cx.now).await?;
    }
    Ok(row)
}
