//! `keys create` and `keys revoke`: API keys, a client's or the operator's. A key's secret is
//! shown once; only its hash is stored.

use crate::auth::Credential;
use crate::db::Conn;
use crate::domain::ids::ClientId;
use crate::ops::clients::platform_only;
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::api_keys::ApiKey;

/// Mints a key for `client` (the operator's when `None`); its secret, shown once.
pub async fn mint(
    cx: &Cx<'_>,
    client: Option<ClientId>,
    label: Option<String>,
) -> OpResult<Credential> {
    platform_only(cx)?;
    let key = Credential::generate();
    uow::unit!(cx, None, tx => write(tx, cx, client, label.clone(), &key).await)?.done()?;
    Ok(key)
}

/// The body, for operations that mint a key with more in one transaction (the seed).
pub async fn write(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    client: Option<ClientId>,
    label: Option<String>,
    key: &Credential,
) -> OpResult<()> {
    if let Some(id) = client
        && store::clients::find(tx, &cx.scope(), id).await?.is_none()
    {
        return Err(OpError::NotFound(format!("no client with id {id}")));
    }
    Ok(store::api_keys::insert(tx, &key.to_record(client, label)).await?)
}

/// Revokes the active key with this prefix, and the access tokens it minted; `false` when
/// there is none.
pub async fn revoke(cx: &Cx<'_>, prefix: &str) -> OpResult<bool> {
    platform_only(cx)?;
    uow::unit!(cx, None, tx => {
        let revoked = store::api_keys::revoke(tx, prefix).await?;
        if revoked {
            store::access_tokens::revoke_minted_by(tx, prefix, cx.now).await?;
        }
        OpResult::Ok(revoked)
    })?
    .done()
}

/// Every key (without secrets).
pub async fn list(cx: &Cx<'_>) -> OpResult<Vec<ApiKey>> {
    platform_only(cx)?;
    let mut pooled = cx.db.conn().await?;
    Ok(store::api_keys::list_all(&mut pooled.conn()).await?)
}
