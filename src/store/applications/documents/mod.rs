//! Files of applications, stored in the database (so a backup holds everything) in chunks of
//! [`CHUNK_BYTES`], so that an upload holds one chunk in memory at a time, never the whole
//! file: uploads that replace any earlier file of a requirement, metadata reads that never
//! load the bytes, the bytes for the operator, and the reviewer's verdicts.

mod writes;

pub use writes::{
    approve_submitted, mark_changes_requested, put_file, remove_of_people, reopen_approved, review,
};

use std::sync::Arc;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::{application_document_chunks, application_documents, applications};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::application::ApplicationType;
use crate::domain::application::documents::{
    DocumentStatus, DocumentType, could_be_requirement_of,
};
use crate::domain::application::requirements::{DocumentSlot, DocumentState, document_slots};
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, ClientId, DocumentId};
use crate::domain::tenancy::Scope;
use crate::store::{StoreError, scoped};

/// What is known about an uploaded file, without its bytes.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = application_documents)]
pub struct DocumentMeta {
    pub id: DocumentId,
    pub application_id: ApplicationId,
    pub client_id: ClientId,
    pub individual_id: Option<ApplicationIndividualId>,
    pub document_type: DocumentType,
    pub status: DocumentStatus,
    pub review_note: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: Timestamp,
    pub reviewed_at: Option<Timestamp>,
}

#[derive(Insertable)]
#[diesel(table_name = application_documents)]
struct DocumentRow<'a> {
    id: DocumentId,
    application_id: ApplicationId,
    client_id: ClientId,
    individual_id: Option<ApplicationIndividualId>,
    document_type: DocumentType,
    status: DocumentStatus,
    review_note: Option<&'a str>,
    file_name: &'a str,
    content_type: &'a str,
    size_bytes: i64,
    sha256: &'a str,
    uploaded_at: Timestamp,
    reviewed_at: Option<Timestamp>,
}

/// How many bytes of a file one stored chunk holds.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// A checked file to store: its bytes stay in the file the upload was spooled to and are
/// read from it one chunk at a time as they are stored. Not `Clone`.
pub struct NewFile {
    pub file_name: String,
    /// Judged from the bytes.
    pub content_type: &'static str,
    /// Lower-case hex.
    pub sha256: String,
    /// At least one byte.
    pub size_bytes: u64,
    /// The spooled upload, not changed while this lives.
    pub content: Arc<std::fs::File>,
}

impl NewFile {
    /// The bytes of chunk `index` (the last may be short), read off the async workers.
    async fn chunk(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        use std::os::unix::fs::FileExt;
        let offset = index * CHUNK_BYTES as u64;
        let len = usize::try_from(self.size_bytes.saturating_sub(offset))
            .map_or(CHUNK_BYTES, |n| n.min(CHUNK_BYTES));
        let file = Arc::clone(&self.content);
        tokio::task::spawn_blocking(move || {
            let mut bytes = vec![0; len];
            file.read_exact_at(&mut bytes, offset).map(|()| bytes)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("upload reader failed: {e}")))?
        .map_err(|e| StoreError::Corrupt(format!("the spooled upload could not be read: {e}")))
    }

    fn chunks(&self) -> u64 {
        self.size_bytes.div_ceil(CHUNK_BYTES as u64)
    }
}

impl std::fmt::Debug for NewFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "NewFile({}, {} bytes)",
            self.content_type, self.size_bytes
        )
    }
}

/// The documents of an application, as far as its requirements care.
pub async fn states(
    conn: &mut Conn<'_>,
    application: ApplicationId,
) -> Result<Vec<DocumentState>, StoreError> {
    let rows: Vec<(DocumentId, DocumentStatus, Option<String>)> = dispatch!(conn, c => {
        application_documents::table
            .filter(application_documents::application_id.eq(application))
            .select((
                application_documents::id,
                application_documents::status,
                application_documents::review_note,
            ))
            .load(c)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, status, review_note)| DocumentState {
            id,
            status,
            review_note,
        })
        .collect())
}

/// The uploaded documents of these applications (metadata only).
pub async fn documents_of(
    conn: &mut Conn<'_>,
    scope: &Scope,
    applications: &[ApplicationId],
) -> Result<Vec<DocumentMeta>, StoreError> {
    let rows = dispatch!(conn, c => {
        scoped!(
            application_documents::table,
            application_documents::client_id,
            scope,
            application = application_documents::application_id
        )
            .filter(application_documents::application_id.eq_any(applications))
            .order((application_documents::uploaded_at.asc(), application_documents::id.asc()))
            .select(DocumentMeta::as_select())
            .load(c)
            .await?
    });
    Ok(rows)
}

/// One uploaded document's metadata, if the scope reaches it.
pub async fn find_document(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: DocumentId,
) -> Result<Option<DocumentMeta>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            application_documents::table,
            application_documents::client_id,
            scope,
            application = application_documents::application_id
        )
            .filter(application_documents::id.eq(id))
            .select(DocumentMeta::as_select())
            .first(c)
            .await
            .optional()?
    });
    Ok(found)
}

/// The requirement `id` names, of an application the scope reaches, whether or not a file is
/// uploaded for it. Its id is a hash of what it requires (`requirement_id`), so this reads the
/// scope's applications in pages of their keys and people's ids only, and hashes the ids each
/// could ask for: linear in the scope's applications; it serves `node` lookups only.
pub async fn find_requirement(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: DocumentId,
) -> Result<Option<DocumentSlot>, StoreError> {
    const PAGE: i64 = 500;
    let mut after: Option<ApplicationId> = None;
    loop {
        let page: Vec<(ApplicationId, ApplicationType, String)> = dispatch!(conn, c => {
            let query = scoped!(
                applications::table,
                applications::client_id,
                scope,
                external_id = applications::customer_external_id
            )
                .select((applications::id, applications::application_type, applications::individuals))
                .order(applications::id.asc())
                .limit(PAGE);
            match after {
                Some(after) => query.filter(applications::id.gt(after)).load(c).await?,
                None => query.load(c).await?,
            }
        });
        for (application, kind, individuals) in &page {
            if may_ask_for(*application, *kind, individuals, id)? {
                // Hashes do not collide: this is the only application that can ask for it.
                let Some(found) = super::find(conn, scope, *application).await? else {
                    return Ok(None);
                };
                return Ok(document_slots(found.id, &found.draft)
                    .into_iter()
                    .find(|slot| slot.id == id));
            }
        }
        match page.last() {
            Some((last, _, _)) if page.len() as i64 == PAGE => after = Some(*last),
            _ => return Ok(None),
        }
    }
}

/// Whether `id` is one of the requirement ids the application could ask for, read from its
/// stored people (only a corporation's people have documents of their own).
fn may_ask_for(
    application: ApplicationId,
    kind: ApplicationType,
    individuals: &str,
    id: DocumentId,
) -> Result<bool, StoreError> {
    #[derive(serde::Deserialize)]
    struct PersonKey {
        id: ApplicationIndividualId,
    }
    let people: Vec<PersonKey> = match kind {
        ApplicationType::Corporation => serde_json::from_str(individuals)
            .map_err(|e| StoreError::Corrupt(format!("individuals: {e}")))?,
        ApplicationType::Individual => Vec::new(),
    };
    Ok(could_be_requirement_of(
        id,
        application,
        people.iter().map(|p| p.id),
    ))
}

/// The bytes of one uploaded document, if the scope reaches it: its chunks, joined.
pub async fn document_content(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: DocumentId,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(file) = find_document(conn, scope, id).await? else {
        return Ok(None);
    };
    let chunks: Vec<Vec<u8>> = dispatch!(conn, c => {
        application_document_chunks::table
            .filter(application_document_chunks::document_id.eq(file.id))
            .order(application_document_chunks::seq.asc())
            .select(application_document_chunks::bytes)
            .load(c)
            .await?
    });
    let bytes = chunks.concat();
    if i64::try_from(bytes.len()).ok() != Some(file.size_bytes) {
        return Err(StoreError::Corrupt(format!(
            "document {} has {} of its {} bytes",
            file.id.0,
            bytes.len(),
            file.size_bytes
        )));
    }
    Ok(Some(bytes))
}
