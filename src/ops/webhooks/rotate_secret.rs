//! `rotateWebhookSecret`: a new signing secret (returned once); for 24 hours deliveries
//! carry two signatures, one by the old secret and one by the new, so that a receiver can
//! switch without losing a message.

use crate::domain::time::Timestamp;
use crate::domain::webhook::{ROTATION_OVERLAP, WebhookSubscriptionId, new_secret};
use crate::ops::webhooks::lock;
use crate::ops::{Cx, OpError, OpResult, uow};
use crate::store;
use crate::store::webhooks::Subscription;

/// Rotates the secret; the row carries the new one, for the caller to show once.
pub async fn run(cx: &Cx<'_>, id: WebhookSubscriptionId) -> OpResult<Subscription> {
    let overlap = chrono::Duration::from_std(ROTATION_OVERLAP)
        .map_err(|e| OpError::internal(&e.to_string()))?;
    let secret = new_secret(rand::random());
    uow::unit!(cx, None, tx => {
        let mut row = lock(tx, cx, id).await?;
        row.previous_secret = Some(std::mem::replace(&mut row.secret, secret.clone()));
        row.previous_secret_until = Some(Timestamp(cx.now.0 + overlap));
        row.updated_at = cx.now;
        store::webhooks::update(tx, &cx.scope(), &row).await?;
        Ok::<_, OpError>(row)
    })?
    .done()
}
