//! Idempotency keys past their retention are deleted: a retry after that is a new request.

use crate::domain::tenancy::Principal;
use crate::ops::{App, OpError, OpResult, uow};
use crate::store;

/// Deletes up to `limit` keys older than the retention; how many went.
pub async fn sweep(app: &App, limit: i64) -> OpResult<usize> {
    let system = Principal::system();
    let cx = app.cx(&system);
    let retention = chrono::Duration::from_std(cx.settings.idempotency_retention)
        .map_err(|e| OpError::internal(&e.to_string()))?;
    let before = crate::db::types::Timestamp(cx.now.0 - retention);
    uow::unit!(&cx, None, tx => {
        Ok::<_, OpError>(store::idempotency::sweep(tx, before, limit).await?)
    })?
    .done()
}
