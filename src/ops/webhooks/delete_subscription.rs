//! `deleteWebhookSubscription`: the subscription, its undelivered messages and its
//! attempts are gone; nothing more is sent to it.

use crate::domain::webhook::WebhookSubscriptionId;
use crate::ops::webhooks::not_found;
use crate::ops::{Cx, OpResult, uow};
use crate::store;

/// Deletes the subscription; `NOT_FOUND` when the caller has none by that id.
pub async fn run(cx: &Cx<'_>, id: WebhookSubscriptionId) -> OpResult<()> {
    let deleted = uow::unit!(cx, None, tx => {
        Ok::<_, crate::ops::OpError>(store::webhooks::delete(tx, &cx.scope(), id).await?)
    })?
    .done()?;
    if deleted { Ok(()) } else { Err(not_found(id)) }
}
