//! An application's append-only status history.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::application_status_history;
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::application::ApplicationStatus;
use crate::domain::client::Actor;
use crate::domain::ids::{ApplicationId, ClientId, StatusHistoryId};
use crate::domain::tenancy::Scope;
use crate::store::{StoreError, scoped};

/// One entry of an application's append-only status history.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_status_history)]
pub struct StatusChange {
    pub id: StatusHistoryId,
    pub application_id: ApplicationId,
    pub client_id: ClientId,
    pub from_status: Option<ApplicationStatus>,
    pub to_status: ApplicationStatus,
    pub actor: Actor,
    pub reason: String,
    pub created_at: Timestamp,
}

/// The status histories of these applications, each oldest first.
pub async fn status_history(
    conn: &mut Conn<'_>,
    scope: &Scope,
    ids: &[ApplicationId],
) -> Result<Vec<StatusChange>, StoreError> {
    let rows = dispatch!(conn, c => {
        scoped!(
            application_status_history::table,
            application_status_history::client_id,
            scope,
            application = application_status_history::application_id
        )
            .filter(application_status_history::application_id.eq_any(ids))
            .order((
                application_status_history::created_at.asc(),
                application_status_history::id.asc(),
            ))
            .select(StatusChange::as_select())
            .load(c)
            .await?
    });
    Ok(rows)
}
