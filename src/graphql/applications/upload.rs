//! Reading an uploaded document: bounded, checked by its bytes, hashed.

use std::io::Read;

use async_graphql::{Context, Upload};
use sha2::{Digest, Sha256};

use crate::domain::application::documents::sniff_content_type;
use crate::graphql::error::{ApiError, ApiResult};
use crate::store::applications::NewFile;

/// Reads an uploaded file up to `limit` bytes and checks it: not empty, not larger than
/// the limit, and a PDF, JPEG or PNG by its bytes.
pub(super) async fn read_upload(
    ctx: &Context<'_>,
    file: &Upload,
    limit: usize,
) -> ApiResult<NewFile> {
    let value = file
        .value(ctx)
        .map_err(|_| ApiError::bad_input("file", "the file part of the request is missing"))?;
    let file_name = value
        .filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(255)
        .collect::<String>();
    let file_name = if file_name.trim().is_empty() {
        "document".to_owned()
    } else {
        file_name
    };
    let mut content_file = value.content;
    let content = tokio::task::spawn_blocking(move || {
        let mut bytes = Vec::new();
        (&mut content_file)
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map(|_| bytes)
    })
    .await
    .map_err(|e| ApiError::internal(&format!("upload reader failed: {e}")))?
    .map_err(|e| ApiError::internal(&format!("upload could not be read: {e}")))?;
    if content.len() > limit {
        return Err(ApiError::Rule {
            code: "DOCUMENT_TOO_LARGE",
            message: format!("a document may be at most {limit} bytes"),
        });
    }
    if content.is_empty() {
        return Err(ApiError::bad_input("file", "the file is empty"));
    }
    let Some(content_type) = sniff_content_type(&content) else {
        return Err(ApiError::Rule {
            code: "UNSUPPORTED_DOCUMENT_TYPE",
            message: "only PDF, JPEG and PNG files are accepted (judged by their content, not \
                      their name)"
                .into(),
        });
    };
    let sha256 = format!("{:x}", Sha256::digest(&content));
    Ok(NewFile {
        file_name,
        content_type,
        sha256,
        content,
    })
}
