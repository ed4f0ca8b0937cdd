//! Reading an uploaded document: one per request, a bounded number at once across the server,
//! checked in one pass over the spooled file (hashed as it is read, bounded, typed by its
//! first bytes) without loading it whole.

use std::io::Read;
use std::ops::Deref;
use std::sync::Arc;
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
    let content = Arc::new(value.content);
    let spooled = Arc::clone(&content);
    let checked = tokio::task::spawn_blocking(move || check_spooled(&spooled, limit))
        .await
        .map_err(|e| ApiError::internal(&format!("upload reader failed: {e}")))?
        .map_err(|e| ApiError::internal(&format!("upload could not be read: {e}")))?;
    if checked.size > limit as u64 {
        return Err(ApiError::Rule {
            code: "DOCUMENT_TOO_LARGE",
            message: format!("a document may be at most {limit} bytes"),
        });
    }
    if checked.size == 0 {
        return Err(ApiError::bad_input("file", "the file is empty"));
    }
    let Some(content_type) = sniff_content_type(&checked.head) else {
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
            sha256: checked.sha256,
            size_bytes: checked.size,
            content,
        },
        _slot: slot,
    })
}

/// How many leading bytes the type is judged from.
const HEAD_BYTES: usize = 8 * 1024;

/// What one pass over a spooled upload finds.
#[derive(Debug)]
struct Spooled {
    /// Its size, counted up to one byte past the limit.
    size: u64,
    /// SHA-256 of those bytes, lower-case hex.
    sha256: String,
    /// Its first [`HEAD_BYTES`].
    head: Vec<u8>,
}

/// Reads the spooled file once, up to `limit + 1` bytes, through a small buffer (the file is
/// never in memory whole; the store reads it again, a chunk at a time).
fn check_spooled(file: &std::fs::File, limit: usize) -> std::io::Result<Spooled> {
    let mut reader = Hashing {
        inner: file.take(limit.saturating_add(1) as u64),
        hash: Sha256::new(),
    };
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut reader)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    let rest = std::io::copy(&mut reader, &mut std::io::sink())?;
    Ok(Spooled {
        size: head.len() as u64 + rest,
        sha256: format!("{:x}", reader.hash.finalize()),
        head,
    })
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
    fn one_pass_hashes_counts_and_keeps_only_the_head() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let checked = check_spooled(&spooled(&bytes), 1_000_000).unwrap();
        assert_eq!(checked.size, 200_000);
        assert_eq!(checked.head, bytes[..HEAD_BYTES]);
        assert_eq!(checked.sha256, format!("{:x}", Sha256::digest(&bytes)));
    }

    #[test]
    fn reading_stops_one_byte_past_the_limit() {
        let checked = check_spooled(&spooled(&[7u8; 50_000]), 10_240).unwrap();
        assert_eq!(checked.size, 10_241);
        let checked = check_spooled(&spooled(&[7u8; 100]), 10_240).unwrap();
        assert_eq!((checked.size, checked.head.len()), (100, 100));
        let checked = check_spooled(&spooled(b""), 1_024).unwrap();
        assert_eq!(checked.size, 0);
        assert_eq!(checked.sha256, format!("{:x}", Sha256::digest(b"")));
    }
}
