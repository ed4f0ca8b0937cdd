//! Applications: the stored draft (details, people and change requests as JSON), reads and
//! lists, and the writes of an application (insert, compare-and-set, history) inside the
//! caller's transaction. The status history is in `lifecycle`, files in `documents`.

mod documents;
mod lifecycle;
mod row;

pub use documents::{
    CHUNK_BYTES, DocumentMeta, NewFile, approve_submitted, document_content, documents_of,
    find_document, find_requirement, mark_changes_requested, put_file, remove_of_people,
    reopen_approved, review, states,
};
pub use lifecycle::{StatusChange, status_history};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use self::row::ApplicationRow;
use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{application_status_history, applications};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::application::{ApplicationStatus, ApplicationType, Draft};
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, ClientId, CustomerKey};
use crate::domain::tenancy::Scope;

/// An application as the rest of the code sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: ApplicationId,
    pub client_id: ClientId,
    /// The future customer's `customerId`.
    pub customer_external_id: String,
    pub status: ApplicationStatus,
    pub draft: Draft,
    /// The customer created on approval.
    pub customer_id: Option<CustomerKey>,
    pub decision_reason: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
}

impl Application {
    pub fn application_type(&self) -> ApplicationType {
        self.draft.customer.application_type()
    }
}

/// The application with this id, if the scope reaches it.
pub async fn find(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: ApplicationId,
) -> Result<Option<Application>, StoreError> {
    let row: Option<ApplicationRow> = dispatch!(conn, c => {
        scoped!(
            applications::table,
            applications::client_id,
            scope,
            external_id = applications::customer_external_id
        )
            .filter(applications::id.eq(id))
            .select(ApplicationRow::as_select())
            .first(c)
            .await
            .optional()?
    });
    row.map(ApplicationRow::into_application).transpose()
}

/// The application a person belongs to, if the scope reaches it. People live inside their
/// application's JSON, so this matches the id's text there; it serves `node` lookups only.
pub async fn find_by_person(
    conn: &mut Conn<'_>,
    scope: &Scope,
    person: ApplicationIndividualId,
) -> Result<Option<Application>, StoreError> {
    let pattern = format!("%\"id\":\"{}\"%", person.0);
    let row: Option<ApplicationRow> = dispatch!(conn, c => {
        scoped!(
            applications::table,
            applications::client_id,
            scope,
            external_id = applications::customer_external_id
        )
            .filter(applications::individuals.like(&pattern))
            .select(ApplicationRow::as_select())
            .first(c)
            .await
            .optional()?
    });
    let application = row.map(ApplicationRow::into_application).transpose()?;
    Ok(application.filter(|a| a.draft.person(person).is_some()))
}

/// The applications that created these customers (one each at most).
pub async fn find_for_customers(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customers: &[CustomerKey],
) -> Result<Vec<Application>, StoreError> {
    let rows: Vec<ApplicationRow> = dispatch!(conn, c => {
        scoped!(
            applications::table,
            applications::client_id,
            scope,
            external_id = applications::customer_external_id
        )
            .filter(applications::customer_id.eq_any(customers))
            .select(ApplicationRow::as_select())
            .load(c)
            .await?
    });
    rows.into_iter()
        .map(ApplicationRow::into_application)
        .collect()
}

/// Which applications to list; the fields combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    pub client_id: Option<ClientId>,
    pub status: Option<Vec<ApplicationStatus>>,
    pub application_type: Option<ApplicationType>,
    pub customer_external_id: Option<String>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
}

/// The applications of `scope` that pass `filter`, as a boxed query.
macro_rules! filtered {
    ($scope:expr, $filter:expr) => {{
        let filter: &ApplicationFilter = $filter;
        let mut q = scoped!(
            applications::table,
            applications::client_id,
            $scope,
            external_id = applications::customer_external_id
        );
        if let Some(client) = filter.client_id {
            q = q.filter(applications::client_id.eq(client));
        }
        if let Some(statuses) = &filter.status {
            q = q.filter(applications::status.eq_any(statuses.clone()));
        }
        if let Some(t) = filter.application_type {
            q = q.filter(applications::application_type.eq(t));
        }
        if let Some(id) = &filter.customer_external_id {
            q = q.filter(applications::customer_external_id.eq(id.clone()));
        }
        if let Some(at) = filter.created_after {
            q = q.filter(applications::created_at.ge(at));
        }
        if let Some(at) = filter.created_before {
            q = q.filter(applications::created_at.lt(at));
        }
        q
    }};
}

/// A page of applications in creation order, after the `(created_at, id)` cursor.
pub async fn list(
    conn: &mut Conn<'_>,
    scope: &Scope,
    filter: &ApplicationFilter,
    after: Option<(Timestamp, ApplicationId)>,
    limit: i64,
) -> Result<Vec<Application>, StoreError> {
    let rows: Vec<ApplicationRow> = dispatch!(conn, c => {
        let mut q = filtered!(scope, filter);
        if let Some((at, id)) = after {
            // The leading range bound lets the (client, created_at, id) index seek.
            q = q.filter(
                applications::created_at
                    .ge(at)
                    .and(applications::created_at.gt(at).or(applications::id.gt(id))),
            );
        }
        q.order((applications::created_at.asc(), applications::id.asc()))
            .limit(limit)
            .select(ApplicationRow::as_select())
            .load(c)
            .await?
    });
    rows.into_iter()
        .map(ApplicationRow::into_application)
        .collect()
}

/// How many applications match `filter`.
pub async fn count(
    conn: &mut Conn<'_>,
    scope: &Scope,
    filter: &ApplicationFilter,
) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => filtered!(scope, filter).count().get_result::<i64>(c).await?);
    Ok(n)
}

/// Whether an open application of the client holds `external_id` as its customerId. Call
/// inside the transaction, after `clients::lock_customer_ids`.
pub async fn open_application_holds(
    tx: &mut Conn<'_>,
    scope: &Scope,
    client_id: ClientId,
    external_id: &str,
) -> Result<bool, StoreError> {
    ensure_in_scope(scope, client_id)?;
    let held: i64 = dispatch!(tx, c => {
        applications::table
            .filter(applications::client_id.eq(client_id))
            .filter(applications::customer_external_id.eq(external_id))
            .filter(applications::status.ne(ApplicationStatus::Rejected))
            .count()
            .get_result(c)
            .await?
    });
    Ok(held > 0)
}

/// Inserts a new application and the first entry of its history, inside the caller's
/// transaction.
pub async fn insert(
    tx: &mut Conn<'_>,
    scope: &Scope,
    application: &Application,
    entry: &StatusChange,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, application.client_id)?;
    let row = ApplicationRow::from_application(application)?;
    dispatch!(tx, c => {
        diesel::insert_into(applications::table).values(&row).execute(c).await?;
    });
    record(tx, entry).await
}

/// Writes `after` over the application read at `before`, inside the caller's transaction, if
/// the row still has the version and status it was read in: a compare-and-set, `false` when
/// someone changed it first.
pub async fn compare_and_set(
    tx: &mut Conn<'_>,
    scope: &Scope,
    before: &Application,
    after: &Application,
) -> Result<bool, StoreError> {
    ensure_in_scope(scope, before.client_id)?;
    let row = ApplicationRow::from_application(after)?;
    let (id, version, status) = (before.id, before.version, before.status);
    let written = dispatch!(tx, c => {
        diesel::update(
            applications::table
                .filter(applications::id.eq(id))
                .filter(applications::client_id.eq(before.client_id))
                .filter(applications::version.eq(version))
                .filter(applications::status.eq(status)),
        )
        .set(&row)
        .execute(c)
        .await?
    });
    Ok(written > 0)
}

/// Appends an entry to an application's status history, inside the caller's transaction.
pub async fn record(tx: &mut Conn<'_>, entry: &StatusChange) -> Result<(), StoreError> {
    dispatch!(tx, c => {
        diesel::insert_into(application_status_history::table).values(entry).execute(c).await?;
    });
    Ok(())
}
