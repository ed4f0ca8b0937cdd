//! Memory goes back to the system after a large response.
//!
//! mimalloc (3.x, the binary's global allocator) gives freed memory back lazily: a thread's pages that empty stay in its own heap
//! until that thread allocates again, and the arena pages they return to are purged (given
//! back with `madvise`) only once their delay has passed *and* some thread calls into the
//! allocator again. A server that goes idle after a heavy request therefore keeps its peak:
//! an actix worker that built a ten-megabyte answer sleeps on its socket with the pages of
//! that answer in its heap. So once a large answer has been sent, the worker that built it
//! collects its own heap and purges the arenas at once (`mi_collect(true)`).
//!
//! A large answer is handed to actix in slices, so that actix copies at most one slice at a
//! time into its write buffer (a larger buffer would be freed only after the collection):
//! the whole answer is freed when the body is dropped, which collects. A small answer is
//! handed over whole and collects nothing, as before.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
// Links mimalloc's C library into every binary of this crate (the tests' too, whose global
// allocator is the system's: there `mi_collect` finds nothing to collect).
use mimalloc as _;

/// Answers at least this large collect when they have been sent.
const LARGE: usize = 1024 * 1024;

/// The slice handed to actix at a time (below its 128 KiB write-buffer retention limit).
const SLICE: usize = 64 * 1024;

#[allow(
    unsafe_code,
    reason = "mimalloc's C API (linked by the mimalloc crate): no preconditions, any thread"
)]
unsafe extern "C" {
    /// Frees the calling thread's empty pages; with `force`, first takes in the blocks other
    /// threads freed into its pages, and purges every arena's free memory now rather than
    /// after its delay.
    safe fn mi_collect(force: bool);
    /// Sets one of mimalloc's options (`mi_option_t` by its number in the bundled 3.x).
    safe fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    safe fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// `mi_option_purge_delay` in the bundled mimalloc 3.x (`libmimalloc-sys` =0.1.49): how long
/// freed memory waits before it goes back to the system, in milliseconds (default 1000).
const PURGE_DELAY: std::ffi::c_int = 15;

/// Gives freed memory back to the system as soon as it is freed, rather than a second later:
/// under steady load the pages freed by one request are otherwise still held when the next
/// ones allocate, and with one heap per thread (the HTTP workers and the threads SQLite's
/// calls run on) that kept the server above 100 MB. The cost is a few more `madvise` calls.
pub fn purge_at_once() {
    mi_option_set(PURGE_DELAY, 0);
}

/// A response body that, when it was large, has its thread collect its heap once it has been
/// sent (or dropped unsent).
pub struct Released {
    rest: Bytes,
    size: u64,
    large: bool,
}

/// `body` as a response body that gives its memory back to the system once sent.
pub fn released_after_sending(body: Vec<u8>) -> Released {
    Released {
        size: body.len() as u64,
        large: body.len() >= LARGE,
        rest: Bytes::from(body),
    }
}

impl MessageBody for Released {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.size)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if this.rest.is_empty() {
            return Poll::Ready(None);
        }
        let slice = this.rest.split_to(this.rest.len().min(SLICE));
        Poll::Ready(Some(Ok(slice)))
    }

    /// A small answer is handed over whole, as a `Vec<u8>` body would be.
    fn try_into_bytes(mut self) -> Result<Bytes, Self> {
        if self.large {
            Err(self)
        } else {
            Ok(std::mem::take(&mut self.rest))
        }
    }
}

impl Drop for Released {
    fn drop(&mut self) {
        if self.large {
            // The answer first, so that its own pages are among those collected.
            self.rest = Bytes::new();
            mi_collect(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // purge_delay's default in this mimalloc (options.c), which no other option has:
        // this number is that option.
        assert_eq!(mi_option_get(PURGE_DELAY), 1000);
        purge_at_once();
        assert_eq!(mi_option_get(PURGE_DELAY), 0);
    }
}
