//! The writes of application files, each inside the caller's transaction: storing a file
//! chunk by chunk (replacing any earlier one of its requirement), removing people's files,
//! and the reviewer's verdicts.

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::{DocumentMeta, DocumentRow, NewFile};
use crate::db::schema::{application_document_chunks, application_documents};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::application::documents::DocumentStatus;
use crate::domain::application::requirements::DocumentSlot;
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, DocumentId};
use crate::domain::tenancy::Scope;
use crate::store::applications::Application;
use crate::store::{StoreError, ensure_in_scope};

/// Stores `file` for `slot` of `application`, replacing any earlier file (the requirement
/// becomes SUBMITTED again), inside the caller's transaction.
pub async fn put_file(
    tx: &mut Conn<'_>,
    scope: &Scope,
    application: &Application,
    slot: &DocumentSlot,
    file: &NewFile,
    now: Timestamp,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, application.client_id)?;
    let size_bytes = i64::try_from(file.size_bytes)
        .map_err(|_| StoreError::Corrupt("file size out of range".into()))?;
    let row = DocumentRow {
        id: slot.id,
        application_id: application.id,
        client_id: application.client_id,
        individual_id: slot.individual_id,
        document_type: slot.document,
        status: DocumentStatus::Submitted,
        review_note: None,
        file_name: &file.file_name,
        content_type: file.content_type,
        size_bytes,
        sha256: &file.sha256,
        uploaded_at: now,
        reviewed_at: None,
    };
    dispatch!(tx, c => {
        diesel::insert_into(application_documents::table)
            .values(&row)
            .on_conflict(application_documents::id)
            .do_update()
            .set((
                application_documents::status.eq(excluded(application_documents::status)),
                application_documents::review_note.eq(excluded(application_documents::review_note)),
                application_documents::file_name.eq(excluded(application_documents::file_name)),
                application_documents::content_type.eq(excluded(application_documents::content_type)),
                application_documents::size_bytes.eq(excluded(application_documents::size_bytes)),
                application_documents::sha256.eq(excluded(application_documents::sha256)),
                application_documents::uploaded_at.eq(excluded(application_documents::uploaded_at)),
                application_documents::reviewed_at.eq(excluded(application_documents::reviewed_at)),
            ))
            .execute(c)
            .await?;
        diesel::delete(
            application_document_chunks::table
                .filter(application_document_chunks::document_id.eq(row.id)),
        )
        .execute(c)
        .await?;
    });
    for seq in 0..file.chunks() {
        let bytes = file.chunk(seq).await?;
        let seq = i64::try_from(seq)
            .map_err(|_| StoreError::Corrupt("chunk index out of range".into()))?;
        dispatch!(tx, c => {
            diesel::insert_into(application_document_chunks::table)
                .values((
                    application_document_chunks::document_id.eq(row.id),
                    application_document_chunks::seq.eq(seq),
                    application_document_chunks::bytes.eq(&bytes),
                ))
                .execute(c)
                .await?;
        });
    }
    Ok(())
}

/// Records a verdict on one uploaded document of an application, inside the caller's
/// transaction; `None` when the application has no such file.
pub async fn review(
    tx: &mut Conn<'_>,
    scope: &Scope,
    application: &Application,
    id: DocumentId,
    status: DocumentStatus,
    note: Option<&str>,
    now: Timestamp,
) -> Result<Option<DocumentMeta>, StoreError> {
    ensure_in_scope(scope, application.client_id)?;
    let app = application.id;
    let reviewed = dispatch!(tx, c => {
        diesel::update(
            application_documents::table
                .filter(application_documents::id.eq(id))
                .filter(application_documents::application_id.eq(app)),
        )
        .set((
            application_documents::status.eq(status),
            application_documents::review_note.eq(note),
            application_documents::reviewed_at.eq(now),
        ))
        .returning(DocumentMeta::as_returning())
        .get_result(c)
        .await
        .optional()?
    });
    Ok(reviewed)
}

/// Deletes the files of these people of an application (a person's files go with them).
pub async fn remove_of_people(
    tx: &mut Conn<'_>,
    application: ApplicationId,
    people: &[ApplicationIndividualId],
) -> Result<(), StoreError> {
    dispatch!(tx, c => {
        diesel::delete(
            application_documents::table
                .filter(application_documents::application_id.eq(application))
                .filter(application_documents::individual_id.eq_any(people)),
        )
        .execute(c)
        .await?
    });
    Ok(())
}

/// Sends the approved files of the applicant (when `applicant` is set) and of these people
/// back to SUBMITTED: a verdict was given on them as they were.
pub async fn reopen_approved(
    tx: &mut Conn<'_>,
    application: ApplicationId,
    applicant: bool,
    people: &[ApplicationIndividualId],
) -> Result<(), StoreError> {
    dispatch!(tx, c => {
        let approved = application_documents::table
            .filter(application_documents::application_id.eq(application))
            .filter(application_documents::status.eq(DocumentStatus::Approved));
        let owners = application_documents::individual_id.eq_any(people);
        let query = if applicant {
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
    Ok(())
}

/// Marks one uploaded file of an application as to be changed, with the reviewer's note;
/// `false` when the application has no such file.
pub async fn mark_changes_requested(
    tx: &mut Conn<'_>,
    application: ApplicationId,
    document: DocumentId,
    note: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let marked = dispatch!(tx, c => {
        diesel::update(
            application_documents::table
                .filter(application_documents::id.eq(document))
                .filter(application_documents::application_id.eq(application)),
        )
        .set((
            application_documents::status.eq(DocumentStatus::ChangesRequested),
            application_documents::review_note.eq(note),
            application_documents::reviewed_at.eq(now),
        ))
        .execute(c)
        .await?
    });
    Ok(marked > 0)
}

/// Approves every file of an application still awaiting a verdict.
pub async fn approve_submitted(
    tx: &mut Conn<'_>,
    application: ApplicationId,
    now: Timestamp,
) -> Result<(), StoreError> {
    dispatch!(tx, c => {
        diesel::update(
            application_documents::table
                .filter(application_documents::application_id.eq(application))
                .filter(application_documents::status.eq(DocumentStatus::Submitted)),
        )
        .set((
            application_documents::status.eq(DocumentStatus::Approved),
            application_documents::reviewed_at.eq(now),
        ))
        .execute(c)
        .await?
    });
    Ok(())
}
