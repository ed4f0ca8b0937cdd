//! Applications: the stored draft (details, people and change requests as JSON), reads and
//! lists, and edits that settle the status from the requirements in the same transaction.
//! Lifecycle moves and approval are in `lifecycle`, files in `documents`.

mod documents;
mod lifecycle;
mod row;

pub use documents::{
    CHUNK_BYTES, DocumentMeta, NewFile, document_content, documents_of, find_document,
    find_requirement, review_document, upload,
};
pub use lifecycle::{
    ChangesRequested, Move, Onboarded, StatusChange, approve, status_history, transition,
};

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use self::row::ApplicationRow;
use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{
    application_documents, application_status_history, applications, customers,
};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch, write_tx};
use crate::domain::application::change_requests;
use crate::domain::application::documents::DocumentStatus;
use crate::domain::application::requirements::{self, Requirements};
use crate::domain::application::{ApplicationStatus, ApplicationType, Draft, settle};
use crate::domain::client::Actor;
use crate::domain::ids::{
    ApplicationId, ApplicationIndividualId, ClientId, CustomerKey, StatusHistoryId,
};
use crate::domain::tenancy::Scope;

/// The most people one application may hold (officers, owners…): far above what real
/// corporations need, low enough to keep every edit's requirements cheap.
pub const MAX_INDIVIDUALS: usize = 50;

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

/// Who made a change, and why (recorded in the status history when the status moves).
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub actor: Actor,
    pub reason: &'a str,
}

/// The application with this id, if the scope reaches it.
pub async fn find(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: ApplicationId,
) -> Result<Option<Application>, StoreError> {
    let row: Option<ApplicationRow> = dispatch!(conn, c => {
        scoped!(applications::table, applications::client_id, scope)
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
        scoped!(applications::table, applications::client_id, scope)
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
        scoped!(applications::table, applications::client_id, scope)
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
        let mut q = scoped!(applications::table, applications::client_id, $scope);
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

/// Refuses a `customerId` that a customer of the client already has. Open applications are
/// refused by their partial unique index. Call inside the transaction, after
/// `clients::lock_customer_ids`.
async fn ensure_customer_id_free(
    conn: &mut Conn<'_>,
    client_id: ClientId,
    external_id: &str,
) -> Result<(), StoreError> {
    let taken: i64 = dispatch!(conn, c => {
        customers::table
            .filter(customers::client_id.eq(client_id))
            .filter(customers::external_id.eq(external_id))
            .count()
            .get_result(c)
            .await?
    });
    if taken > 0 {
        return Err(StoreError::AlreadyExists(
            "customers_client_id_external_id_key".into(),
        ));
    }
    Ok(())
}

/// Refuses a `customerId` that an open application of the client holds (for customers
/// created directly). Call inside the transaction, after `clients::lock_customer_ids`.
pub(crate) async fn ensure_no_open_application(
    conn: &mut Conn<'_>,
    client_id: ClientId,
    external_id: &str,
) -> Result<(), StoreError> {
    let held: i64 = dispatch!(conn, c => {
        applications::table
            .filter(applications::client_id.eq(client_id))
            .filter(applications::customer_external_id.eq(external_id))
            .filter(applications::status.ne(ApplicationStatus::Rejected))
            .count()
            .get_result(c)
            .await?
    });
    if held > 0 {
        return Err(StoreError::AlreadyExists(
            "applications_open_customer_id_idx".into(),
        ));
    }
    Ok(())
}

/// The requirements of `draft` as stored now (documents and accounts read in `conn`).
pub async fn requirements_of(
    conn: &mut Conn<'_>,
    application: &Application,
    draft: &Draft,
    today: NaiveDate,
) -> Result<Requirements, StoreError> {
    let documents = documents::states(conn, application.id).await?;
    let account_id_taken = match &draft.account_to_open {
        Some(account) => {
            super::accounts::external_id_taken(conn, application.client_id, &account.account_id)
                .await?
        }
        None => false,
    };
    Ok(requirements::requirements(
        draft,
        &requirements::Context {
            application: application.id,
            documents: &documents,
            account_id_taken,
            today,
        },
    ))
}

/// Creates an application, settled from its requirements, with its first history entry.
pub async fn create(
    conn: &mut Conn<'_>,
    scope: &Scope,
    new: &Application,
    change: Change<'_>,
    today: NaiveDate,
) -> Result<Application, StoreError> {
    ensure_in_scope(scope, new.client_id)?;
    write_tx!(conn, tx => {
        super::clients::lock_customer_ids(tx, new.client_id).await?;
        ensure_customer_id_free(tx, new.client_id, &new.customer_external_id).await?;
        let met = requirements_of(tx, new, &new.draft, today).await?.met();
        let mut created = new.clone();
        created.status = settle(new.status, met);
        let row = ApplicationRow::from_application(&created)?;
        dispatch!(tx, c => {
            diesel::insert_into(applications::table).values(&row).execute(c).await?;
        });
        record(tx, &created, None, change).await?;
        Ok(created)
    })
}

/// Writes an edit of an editable application: the new draft (and customerId), the status
/// settled from the requirements, a compare-and-set on the version it was read at, and a
/// history entry when the status moved. Call inside a transaction.
async fn write_edit(
    tx: &mut Conn<'_>,
    before: &Application,
    customer_external_id: &str,
    mut draft: Draft,
    change: Change<'_>,
    today: NaiveDate,
) -> Result<Application, StoreError> {
    if !before.status.editable() {
        return Err(not_editable(before.status));
    }
    if draft.individuals.len() > MAX_INDIVIDUALS {
        return Err(StoreError::NotAllowed {
            code: "TOO_MANY_INDIVIDUALS",
            message: format!("an application holds at most {MAX_INDIVIDUALS} people"),
        });
    }
    if customer_external_id != before.customer_external_id {
        super::clients::lock_customer_ids(tx, before.client_id).await?;
        ensure_customer_id_free(tx, before.client_id, customer_external_id).await?;
    }
    change_requests::clear_answered(&before.draft, &mut draft);
    let removed: Vec<ApplicationIndividualId> = before
        .draft
        .individuals
        .iter()
        .map(|p| p.id)
        .filter(|id| draft.person(*id).is_none())
        .collect();
    if !removed.is_empty() {
        // A person's files go with them.
        let app = before.id;
        dispatch!(tx, c => {
            diesel::delete(
                application_documents::table
                    .filter(application_documents::application_id.eq(app))
                    .filter(application_documents::individual_id.eq_any(&removed)),
            )
            .execute(c)
            .await?
        });
    }
    // A verdict was given on the person as they were: when their details change, their
    // approved documents await the reviewer again.
    let applicant_changed = draft.customer != before.draft.customer;
    let people_changed: Vec<ApplicationIndividualId> = draft
        .individuals
        .iter()
        .filter(|p| {
            before
                .draft
                .person(p.id)
                .is_some_and(|old| old.details != p.details)
        })
        .map(|p| p.id)
        .collect();
    if applicant_changed || !people_changed.is_empty() {
        let app = before.id;
        dispatch!(tx, c => {
            let approved = application_documents::table
                .filter(application_documents::application_id.eq(app))
                .filter(application_documents::status.eq(DocumentStatus::Approved));
            let owners = application_documents::individual_id.eq_any(&people_changed);
            let query = if applicant_changed {
                diesel::update(approved.filter(application_documents::individual_id.is_null().or(owners)))
                    .into_boxed()
            } else {
                diesel::update(approved.filter(owners)).into_boxed()
            };
            query
                .set((
                    application_documents::status.eq(DocumentStatus::Submitted),
                    application_documents::reviewed_at.eq(None::<Timestamp>),
                ))
                .execute(c)
                .await?
        });
    }
    let met = requirements_of(tx, before, &draft, today).await?.met();
    let after = Application {
        customer_external_id: customer_external_id.to_owned(),
        status: settle(before.status, met),
        draft,
        version: before.version + 1,
        updated_at: Timestamp::now(),
        ..before.clone()
    };
    let row = ApplicationRow::from_application(&after)?;
    let (id, version, status) = (before.id, before.version, before.status);
    let written = dispatch!(tx, c => {
        diesel::update(
            applications::table
                .filter(applications::id.eq(id))
                .filter(applications::version.eq(version))
                .filter(applications::status.eq(status)),
        )
        .set(&row)
        .execute(c)
        .await?
    });
    if written == 0 {
        return Err(StoreError::Conflict);
    }
    if after.status != before.status {
        let why = if met {
            "every requirement is met"
        } else {
            "a requirement is no longer met"
        };
        let reason = format!("{}: {why}", change.reason);
        let change = Change {
            reason: &reason,
            ..change
        };
        record(tx, &after, Some(before.status), change).await?;
    }
    Ok(after)
}

/// Saves an edit of an application read at `before` (see [`write_edit`]).
pub async fn save(
    conn: &mut Conn<'_>,
    scope: &Scope,
    before: &Application,
    customer_external_id: &str,
    draft: Draft,
    change: Change<'_>,
    today: NaiveDate,
) -> Result<Application, StoreError> {
    ensure_in_scope(scope, before.client_id)?;
    write_tx!(conn, tx => {
        write_edit(tx, before, customer_external_id, draft.clone(), change, today).await
    })
}

pub(crate) fn not_editable(status: ApplicationStatus) -> StoreError {
    StoreError::NotAllowed {
        code: "APPLICATION_NOT_EDITABLE",
        message: format!(
            "an application in {status} cannot be edited; edits are allowed in INCOMPLETE, \
             READY_FOR_SUBMISSION and CHANGES_REQUESTED"
        ),
    }
}

/// Appends a status history entry for the move to `application.status`.
async fn record(
    tx: &mut Conn<'_>,
    application: &Application,
    from: Option<ApplicationStatus>,
    change: Change<'_>,
) -> Result<(), StoreError> {
    let entry = StatusChange {
        id: StatusHistoryId::new(),
        application_id: application.id,
        client_id: application.client_id,
        from_status: from,
        to_status: application.status,
        actor: change.actor,
        reason: change.reason.to_owned(),
        created_at: Timestamp::now(),
    };
    dispatch!(tx, c => {
        diesel::insert_into(application_status_history::table).values(&entry).execute(c).await?;
    });
    Ok(())
}
