//! Clients (tenants) and their API keys: the platform's own acts, entered by the CLI and the
//! sandbox seed with the operator's or the system's principal.

pub mod access_tokens;
pub mod create_client;
pub mod holdings;
pub mod keys;
pub mod sandbox;
pub mod sandbox_clock;

use crate::ops::{Cx, OpError, OpResult};

/// Clients and keys are the platform's to manage, never a client's.
pub fn platform_only(cx: &Cx<'_>) -> OpResult<()> {
    if cx.principal.client_id().is_none() {
        Ok(())
    } else {
        Err(OpError::Forbidden(
            "clients and keys are managed by the platform".into(),
        ))
    }
}

/// Every client, oldest first.
pub async fn list(cx: &Cx<'_>) -> OpResult<Vec<crate::store::clients::Client>> {
    platform_only(cx)?;
    let mut pooled = cx.db.conn().await?;
    Ok(crate::store::clients::list_all(&mut pooled.conn()).await?)
}
