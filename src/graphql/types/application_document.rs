//! A document an application asks for or carries: the requirement, the uploaded file's
//! metadata for everyone who may see the application, and its bytes for reviewers only.

use async_graphql::{Context, ID, Object, SimpleObject};
use base64::Engine;
use chrono::{DateTime, Utc};

use crate::domain::application::documents::{DocumentStatus, DocumentType};
use crate::domain::application::requirements::DocumentSlot;
use crate::domain::ids::{ApplicationIndividualId, DocumentId};
use crate::domain::tenancy::Principal;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::request;
use crate::store;
use crate::store::applications::DocumentMeta;

/// A document an application asks for or carries, and the file uploaded for it.
pub struct ApplicationDocument {
    pub(super) id: DocumentId,
    pub(super) individual_id: Option<ApplicationIndividualId>,
    pub(super) document: DocumentType,
    pub(super) status: DocumentStatus,
    pub(super) description: Option<String>,
    pub(super) file: Option<DocumentMeta>,
    pub(super) principal: Principal,
}

impl ApplicationDocument {
    /// An uploaded document, described by its stored row.
    pub fn uploaded(file: DocumentMeta, principal: Principal) -> Self {
        Self {
            id: file.id,
            individual_id: file.individual_id,
            document: file.document_type,
            status: file.status,
            description: file.review_note.clone(),
            file: Some(file),
            principal,
        }
    }

    /// A requirement no file is uploaded for yet.
    pub fn missing(slot: &DocumentSlot, principal: Principal) -> Self {
        Self {
            id: slot.id,
            individual_id: slot.individual_id,
            document: slot.document,
            status: DocumentStatus::Missing,
            description: Some(slot.description()),
            file: None,
            principal,
        }
    }
}

/// A document an application asks for or carries: pass its `id` to
/// `uploadApplicationDocument`. The file's bytes are for the platform's reviewers only.
#[Object]
impl ApplicationDocument {
    /// The requirement's opaque global id (stable before and after uploads).
    pub async fn id(&self) -> ID {
        encode(NodeKind::ApplicationDocument, self.id.0)
    }

    /// The kind of document.
    async fn document(&self) -> DocumentType {
        self.document
    }

    /// Where it stands: MISSING until a file is uploaded, SUBMITTED after, then the
    /// reviewer's verdict.
    async fn status(&self) -> DocumentStatus {
        self.status
    }

    /// The person the document is for; null for the application's own (the applicant of an
    /// INDIVIDUAL application, or the corporation).
    async fn individual_id(&self) -> Option<ID> {
        self.individual_id
            .map(|id| encode(NodeKind::ApplicationIndividual, id.0))
    }

    /// Why it is asked for, or the reviewer's note.
    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The uploaded file; null while MISSING.
    async fn file(&self) -> Option<DocumentFile> {
        self.file.as_ref().map(|f| DocumentFile {
            file_name: f.file_name.clone(),
            content_type: f.content_type.clone(),
            size_bytes: f.size_bytes,
            sha256: f.sha256.clone(),
            uploaded_at: f.uploaded_at.0,
            reviewed_at: f.reviewed_at.map(|t| t.0),
        })
    }

    /// The file's bytes, base64-encoded: for the platform operator only (clients get
    /// FORBIDDEN), one document per request; null while MISSING.
    async fn content_base64(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        if !self.principal.is_operator() {
            return Err(ApiError::Forbidden(
                "only the platform's reviewers may download documents".into(),
            ));
        }
        if self.file.is_none() {
            return Ok(None);
        }
        let rc = request(ctx)?;
        if rc
            .content_downloaded
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(ApiError::bad_input(
                "contentBase64",
                "download one document's content per request",
            ));
        }
        let mut pooled = rc.db.read().await?;
        let bytes = store::applications::document_content(
            &mut pooled.conn(),
            &rc.principal.scope(),
            self.id,
        )
        .await?;
        Ok(bytes.map(|b| base64::engine::general_purpose::STANDARD.encode(b)))
    }
}

/// An uploaded file, as checked and stored.
#[derive(SimpleObject)]
pub struct DocumentFile {
    /// The name it was uploaded with.
    file_name: String,
    /// Its type, judged from its bytes: application/pdf, image/jpeg or image/png.
    content_type: String,
    /// Its size in bytes.
    size_bytes: i64,
    /// SHA-256 of its bytes, lower-case hex.
    sha256: String,
    /// When it was uploaded.
    uploaded_at: DateTime<Utc>,
    /// When the reviewer last gave a verdict on it.
    reviewed_at: Option<DateTime<Utc>>,
}
