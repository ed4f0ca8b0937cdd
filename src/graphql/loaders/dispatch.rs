//! When a request's batches run: once its execution has nothing left to do but wait.
//!
//! async-graphql resolves the items of a list together, 32 per turn (its join yields
//! between turns), and each item's fields ask the request's `DataLoader` for their rows. A
//! batch that started on a timer could start between two turns and leave the rest of the
//! page's keys for a second statement, more often on a busy machine. Here a batch never
//! starts on time: the loader hands it to [`Batches`], and [`drive`] starts the queued
//! batches only when the execution is *quiescent*, that is, when a poll of it returned
//! `Pending` without waking itself (every key of the level has been asked for) and no
//! batch of the request is still running (every row of the level above has been handed
//! out). A request therefore runs one statement per loader and level of its query, the same
//! statements on a loaded machine as on an idle one.
//!
//! A request that is not driven (a subscription's events) starts its batches at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::BoxFuture;

/// The batches of one request, queued until its execution is quiescent.
pub struct Batches {
    state: Mutex<State>,
    /// False: batches start as soon as they are handed over.
    driven: bool,
}

#[derive(Default)]
struct State {
    queued: Vec<BoxFuture<'static, ()>>,
    running: usize,
    /// Woken when the last running batch ends, so the request is looked at again.
    driver: Option<Waker>,
}

impl Batches {
    /// Batches that wait for [`drive`] to start them.
    pub fn driven() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::default(),
            driven: true,
        })
    }

    /// Batches that start at once (for work that is not run through [`drive`]).
    pub fn immediate() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::default(),
            driven: false,
        })
    }

    pub fn is_driven(&self) -> bool {
        self.driven
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves a consistent queue: carry on with it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a batch from the request's loader.
    pub fn submit(self: &Arc<Self>, batch: BoxFuture<'static, ()>) {
        if !self.driven {
            self.start(batch);
            return;
        }
        let waker = {
            let mut state = self.state();
            state.queued.push(batch);
            state.driver.clone()
        };
        // Submitted from outside the request's own polls (none of our resolvers do): make
        // sure the driver looks at the queue.
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Starts `batch` on the runtime, counted as running until it has handed out its rows;
    /// its statements count for the request.
    fn start(self: &Arc<Self>, batch: BoxFuture<'static, ()>) {
        self.state().running += 1;
        let batches = Arc::clone(self);
        let work = async move {
            batch.await;
            batches.finished();
        };
        match crate::db::statements::current() {
            Some(counter) => tokio::spawn(crate::db::statements::counted(counter, work)),
            None => tokio::spawn(work),
        };
    }

    fn finished(&self) {
        let waker = {
            let mut state = self.state();
            state.running = state.running.saturating_sub(1);
            (state.running == 0).then(|| state.driver.clone()).flatten()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The batches to start now that the execution is quiescent: all that are queued, if
    /// none is running; else none (the last to end wakes `driver`).
    fn take_when_quiet(&self, driver: &Waker) -> Vec<BoxFuture<'static, ()>> {
        let mut state = self.state();
        match &state.driver {
            Some(known) if known.will_wake(driver) => {}
            _ => state.driver = Some(driver.clone()),
        }
        if state.running > 0 {
            return Vec::new();
        }
        std::mem::take(&mut state.queued)
    }
}

/// Notes whether the execution woke itself during a poll (and passes every wake on).
struct WakeNote {
    woken: AtomicBool,
    outer: Waker,
}

impl Wake for WakeNote {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.outer.wake_by_ref();
    }
}

/// Polls in a row before giving the worker back to other tasks, when the execution keeps
/// waking itself (a long list resolves 32 items per poll).
const POLLS_PER_TURN: usize = 256;

/// Runs `work` (a request's execution) and starts its queued batches whenever it is
/// quiescent. The execution runs without tokio's cooperative budget, so that a budget
/// running out cannot look like quiescence; it still yields every [`POLLS_PER_TURN`] polls.
pub fn drive<F: Future>(batches: Arc<Batches>, work: F) -> impl Future<Output = F::Output> {
    Driven {
        batches,
        work: Box::pin(tokio::task::unconstrained(work)),
    }
}

struct Driven<F: Future> {
    batches: Arc<Batches>,
    work: Pin<Box<tokio::task::Unconstrained<F>>>,
}

impl<F: Future> Future for Driven<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        for _ in 0..POLLS_PER_TURN {
            let note = Arc::new(WakeNote {
                woken: AtomicBool::new(false),
                outer: cx.waker().clone(),
            });
            let waker = Waker::from(Arc::clone(&note));
            if let Poll::Ready(output) = self.work.as_mut().poll(&mut Context::from_waker(&waker)) {
                return Poll::Ready(output);
            }
            if note.woken.load(Ordering::Acquire) {
                continue;
            }
            for batch in self.batches.take_when_quiet(cx.waker()) {
                self.batches.start(batch);
            }
            return Poll::Pending;
        }
        // Still busy: the execution's own wake has rescheduled this task.
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Keys asked for by `items` futures that each yield `yields` times first, the way a
    /// join over a long list yields between turns: with timing-based batching, a batch
    /// could start after the first turns. Driven, every key lands in one batch.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_batch_gathers_every_key_asked_for_before_the_work_goes_quiet() {
        for _ in 0..20 {
            let batches = Batches::driven();
            let keys = Arc::new(Mutex::new(Vec::<usize>::new()));
            let batch_sizes = Arc::new(Mutex::new(Vec::<usize>::new()));
            let started = Arc::new(AtomicUsize::new(0));
            let work = {
                let batches = batches.clone();
                let keys = keys.clone();
                let batch_sizes = batch_sizes.clone();
                let started = started.clone();
                async move {
                    let items = (0..100).map(|n| {
                        let batches = batches.clone();
                        let keys = keys.clone();
                        let batch_sizes = batch_sizes.clone();
                        let started = started.clone();
                        async move {
                            for _ in 0..(n % 7) {
                                let mut yielded = false;
                                std::future::poll_fn(|cx| {
                                    if yielded {
                                        Poll::Ready(())
                                    } else {
                                        yielded = true;
                                        cx.waker().wake_by_ref();
                                        Poll::Pending
                                    }
                                })
                                .await;
                            }
                            let first = {
                                let mut keys = keys.lock().unwrap_or_else(PoisonError::into_inner);
                                keys.push(n);
                                keys.len() == 1
                            };
                            if first {
                                let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                                batches.submit(Box::pin(async move {
                                    let taken = std::mem::take(
                                        &mut *keys.lock().unwrap_or_else(PoisonError::into_inner),
                                    );
                                    batch_sizes
                                        .lock()
                                        .unwrap_or_else(PoisonError::into_inner)
                                        .push(taken.len());
                                    started.fetch_add(1, Ordering::SeqCst);
                                    let _ = tx.send(());
                                }));
                                let _ = rx.await;
                            }
                        }
                    });
                    futures_util::future::join_all(items).await;
                }
            };
            drive(batches, work).await;
            let sizes = batch_sizes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            assert_eq!(sizes, vec![100], "one batch of every key");
        }
    }

    #[tokio::test]
    async fn immediate_batches_start_without_a_driver() {
        let batches = Batches::immediate();
        let (tx, rx) = tokio::sync::oneshot::channel();
        batches.submit(Box::pin(async move {
            let _ = tx.send(7);
        }));
        assert_eq!(rx.await.ok(), Some(7));
    }
}
