//! `uploadApplicationDocument`: the file for one of the application's document requirements,
//! replacing any earlier file (the requirement becomes SUBMITTED again); the application
//! settles like any edit.

use crate::domain::application::requirements::document_slots;
use crate::domain::event::{EventType, Happened, SubjectKind};
use crate::domain::ids::{ApplicationId, DocumentId};
use crate::ops::applications::{editable, write_edit};
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::applications::{Application, NewFile};

/// What `uploadApplicationDocument` is given.
pub struct Input {
    pub application: ApplicationId,
    pub document: DocumentId,
    pub expected_version: Option<i64>,
}

/// Checks the upload before its bytes are read: the application, editable and at the
/// version, and asking for this document.
pub async fn prepare(cx: &Cx<'_>, input: &Input) -> OpResult<Application> {
    let before = editable(cx, input.application, input.expected_version).await?;
    if !document_slots(before.id, &before.draft)
        .iter()
        .any(|s| s.id == input.document)
    {
        return Err(OpError::NotFound(
            "the application asks for no document with this id (see Application.documents)".into(),
        ));
    }
    Ok(before)
}

/// Stores the file (read by the transport, see [`prepare`]) for the application read at
/// `before`.
pub async fn run(
    cx: &Cx<'_>,
    before: &Application,
    input: &Input,
    file: &NewFile,
) -> OpResult<Application> {
    let slot = document_slots(before.id, &before.draft)
        .into_iter()
        .find(|s| s.id == input.document)
        .ok_or_else(|| OpError::internal(&"the document's requirement vanished"))?;
    let written = uow::unit!(cx, None, tx => {
        store::applications::put_file(tx, &cx.scope(), before, &slot, file, cx.now).await?;
        let happened = Happened::new(
            EventType::DocumentUploaded,
            SubjectKind::ApplicationDocument,
            input.document.0,
        )
        .customer(&before.customer_external_id);
        crate::ops::events::emit(tx, cx, before.client_id, happened).await?;
        write_edit(
            tx,
            cx,
            before,
            &before.customer_external_id,
            before.draft.clone(),
            "uploadApplicationDocument",
        )
        .await
    })?;
    written.done()
}
