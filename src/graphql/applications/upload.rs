//! Reading an uploaded document: one per request, a bounded number at once across the server,
//! read once (hashed as it is read), bounded and checked by its bytes.

use std::io::Read;
use std::ops::Deref;
use std::sync::atomic::Ordering;

use async_graphql::{Context, Upload};
use sha2::{Digest, Sha256};
use tokio::sync::OwnedSemaphorePermit;

use crate::domain::application::documents::{safe_file_name, sniff_content_type};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::request;
use crate::store::applications::NewFile;

/// A checked file with its upload slot: the slot is given back when this is dropped, after
/// the file is stored.
pub(super) struct CheckedUpload {
    file: NewFile,
    _slot: OwnedSemaphorePermit,
}

impl Deref for CheckedUpload {
    type Target = NewFile;

    fn deref(&self) -> &NewFile {
        &self.file
    }
}

/// Reads an uploaded file up to `limit` bytes and checks it: the request's first upload
/// (`BAD_USER_INPUT` on `file` for another), a free upload slot (`UNAVAILABLE` at once when
/// `--max-concurrent-uploads` are in progress), not empty, not larger than the limit, and a
/// PDF, JPEG or PNG by its bytes. Its name is kept as data, made safe.
pub(super) async fn read_upload(
    ctx: &Context<'_>,
    file: &Upload,
    limit: usize,
) -> ApiResult<CheckedUpload> {
    let rc = request(ctx)?;
    // Aliased mutations, or one file mapped to two variables, would store a file each.
    if rc.upload_claimed.swap(true, Ordering::SeqCst) {
        return Err(ApiError::bad_input(
            "file",
            "send one file per request: this request has already uploaded one",
        ));
    }
    let Ok(slot) = rc.upload_slots.clone().try_acquire_owned() else {
        tracing::warn!("upload refused: every upload slot is in use (--max-concurrent-uploads)");
        return Err(ApiError::Unavailable);
    };
    let value = file
        .value(ctx)
        .map_err(|_| ApiError::bad_input("file", "the file part of the request is missing"))?;
    let file_name = safe_file_name(&value.filename);
    let content_file = value.content;
    let (content, sha256) = tokio::task::spawn_blocking(move || read_hashed(content_file, limit))
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
    Ok(CheckedUpload {
        file: NewFile {
            file_name,
            content_type,
            sha256,
            content,
        },
        _slot: slot,
    })
}

/// Up to `limit + 1` bytes of the spooled file in one buffer sized from the file (so it never
/// grows by copying), and their SHA-256 (lower-case hex), computed as they are read.
fn read_hashed(file: std::fs::File, limit: usize) -> std::io::Result<(Vec<u8>, String)> {
    let bound = limit.saturating_add(1);
    let spooled = file.metadata().map_or(0, |m| m.len());
    let mut content = Vec::with_capacity(usize::try_from(spooled).map_or(bound, |n| n.min(bound)));
    let mut reader = Hashing {
        inner: file.take(bound as u64),
        hash: Sha256::new(),
    };
    reader.read_to_end(&mut content)?;
    Ok((content, format!("{:x}", reader.hash.finalize())))
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, Write};

    fn spooled(bytes: &[u8]) -> std::fs::File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file.rewind().unwrap();
        file
    }

    #[test]
    fn the_file_is_read_once_into_a_buffer_of_its_size_and_hashed_on_the_way() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (content, sha256) = read_hashed(spooled(&bytes), 1_000_000).unwrap();
        assert_eq!(content, bytes);
        assert_eq!(content.capacity(), bytes.len(), "no growth, no spare copy");
        assert_eq!(sha256, format!("{:x}", Sha256::digest(&bytes)));
    }

    #[test]
    fn reading_stops_one_byte_past_the_limit() {
        let (content, _) = read_hashed(spooled(&[7u8; 5_000]), 1_024).unwrap();
        assert_eq!(content.len(), 1_025);
        assert_eq!(content.capacity(), 1_025);
        let (content, sha256) = read_hashed(spooled(b""), 1_024).unwrap();
        assert!(content.is_empty());
        assert_eq!(sha256, format!("{:x}", Sha256::digest(b"")));
    }
}
