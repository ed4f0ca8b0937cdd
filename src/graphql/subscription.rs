//! `Subscription.events`: the client's event log replayed from a cursor and then followed as
//! it grows. The log is the only source: a follower re-reads it (`ops::events::page`) when
//! this process commits, and every poll interval for commits made by other replicas.

use std::collections::VecDeque;
use std::time::Duration;

use async_graphql::{Context, ID, Subscription};
use futures_util::Stream;

use super::customers::target_client_id;
use super::error::{ApiError, ApiResult};
use super::events::{Event, EventEdge};
use super::pagination::{decode_sequence, encode_cursor};
use super::{RequestContext, request};
use crate::domain::event::EventType;
use crate::domain::ids::ClientId;
use crate::ops;
use crate::store::events::{Event as EventRow, Filter};

/// Every stream the API offers.
#[derive(Default)]
pub struct Subscription;

/// How often a follower re-reads the log when nothing woke it: how long an event committed
/// by another replica may take to arrive. Put in the request data by the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollInterval(pub Duration);

impl Default for PollInterval {
    fn default() -> Self {
        Self(Duration::from_secs(1))
    }
}

/// Every stream the API offers.
#[Subscription]
impl Subscription {
    /// The caller's events in sequence order: first those after `after` already in the log,
    /// then each new one as it commits, on any replica. Each item is an edge: the `Event`
    /// (as `Query.events` returns it) and its `cursor`; to resume after a disconnect,
    /// subscribe again with the last cursor received, and no event is missed or repeated.
    /// Without `after`, the replay starts at the oldest event kept. A failure to read the
    /// log ends the stream with the error (resume from the last cursor).
    // The return type is spelt `Result`: that is how the derive knows the stream can fail.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Events after this cursor (an edge's `cursor`, or `Query.events`' `endCursor`)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only these types (all if omitted).")] types: Option<Vec<EventType>>,
        #[graphql(desc = "The client whose log to follow (required for the operator).")]
        client_id: Option<ID>,
    ) -> Result<impl Stream<Item = ApiResult<EventEdge>>, ApiError> {
        let rc = request(ctx)?.clone();
        let after = match &after {
            None => 0,
            Some(cursor) => decode_sequence(cursor)
                .ok_or_else(|| ApiError::bad_input("after", "not a valid cursor for this list"))?,
        };
        let named = target_client_id(client_id.as_ref())?;
        // A client naming another client follows nothing, as `Query.events` reads nothing.
        let client = ops::target_client(&rc.principal, named)?;
        let poll_interval = ctx.data_opt::<PollInterval>().copied().unwrap_or_default();
        let follower = Follower {
            commits: rc.db.commits(),
            rc,
            client,
            after,
            filter: Filter {
                types: types.unwrap_or_default(),
                ..Filter::default()
            },
            poll_interval: poll_interval.0,
            ready: VecDeque::new(),
            finished: false,
        };
        Ok(futures_util::stream::unfold(
            follower,
            |mut follower| async move {
                let item = follower.next().await?;
                Some((item, follower))
            },
        ))
    }
}

/// One subscriber's place in its client's log.
struct Follower {
    rc: RequestContext,
    /// `None` when the caller named a client it cannot see: nothing to follow.
    client: Option<ClientId>,
    /// The sequence of the last event handed out (or the cursor's).
    after: i64,
    filter: Filter,
    /// Changes after every commit of this process.
    commits: tokio::sync::watch::Receiver<u64>,
    poll_interval: Duration,
    /// Events read but not yet handed out.
    ready: VecDeque<EventRow>,
    /// Set once an error was handed out: the stream ends after it.
    finished: bool,
}

impl Follower {
    /// The next event after the last one handed out, waiting for it to commit.
    async fn next(&mut self) -> Option<ApiResult<EventEdge>> {
        if self.finished {
            return None;
        }
        let Some(client) = self.client else {
            return std::future::pending().await;
        };
        loop {
            if let Some(row) = self.ready.pop_front() {
                let sequence = row.sequence.unwrap_or_default();
                self.after = sequence;
                return Some(Ok(EventEdge {
                    cursor: encode_cursor(&sequence),
                    node: Event(row),
                }));
            }
            // Marked seen before reading, so a commit during the read wakes the next wait.
            self.commits.borrow_and_update();
            let cx = self.rc.cx();
            let read = ops::events::page(
                &cx,
                Some(client),
                self.after,
                ops::events::MAX_PAGE,
                &self.filter,
            )
            .await;
            match read {
                Ok((rows, _)) if !rows.is_empty() => self.ready.extend(rows),
                Ok(_) => self.wait().await,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            }
        }
    }

    /// Until this process commits again, or the poll interval passes (another replica may
    /// have committed).
    async fn wait(&mut self) {
        tokio::select! {
            changed = self.commits.changed() => {
                if changed.is_err() {
                    // The database is closing: only the interval is left to wait on.
                    tokio::time::sleep(self.poll_interval).await;
                }
            }
            () = tokio::time::sleep(self.poll_interval) => {}
        }
    }
}
