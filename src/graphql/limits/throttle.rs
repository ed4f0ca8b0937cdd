//! Per-key allowances: how many requests a key may have running at once, how many it may send
//! a second, and how much query cost it may spend a second (token buckets, by `governor`).
//! Each environment has its own allowance; one key's spending never touches another's.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::client::Environment;
use crate::domain::ids::ApiKeyId;
use crate::domain::tenancy::Principal;

/// What one key of an environment may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// Requests running at the same time.
    pub concurrent_requests: u32,
    /// Requests a second, sustained.
    pub requests_per_sec: u32,
    /// Requests that may arrive at once after a quiet period.
    pub request_burst: u32,
    /// Query cost restored each second.
    pub cost_per_sec: u32,
    /// Query cost a full bucket holds (at least the largest cost one query may have).
    pub cost_burst: u32,
}

impl Allowance {
    /// What one access token may use of its key's allowance: a quarter of each (at least one
    /// request at a time), so that no single token spends its client's whole allowance.
    pub fn for_token(self) -> Self {
        let quarter = |n: u32| (n / 4).max(1);
        Self {
            concurrent_requests: quarter(self.concurrent_requests),
            requests_per_sec: quarter(self.requests_per_sec),
            request_burst: quarter(self.request_burst),
            cost_per_sec: quarter(self.cost_per_sec),
            // A token's bucket still holds the costliest query a key's could run (the cost
            // limit is at most 1,000,000), so a quarter only where that is more.
            cost_burst: quarter(self.cost_burst).max(self.cost_burst.min(1_000_000)),
        }
    }

    /// An allowance no test or local run meets (tests about allowances set their own).
    pub fn generous() -> Self {
        Self {
            concurrent_requests: 1_000,
            requests_per_sec: 100_000,
            request_burst: 100_000,
            cost_per_sec: 100_000_000,
            cost_burst: 1_000_000_000,
        }
    }
}

/// The allowances of both environments (the operator uses PRODUCTION's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowances {
    pub sandbox: Allowance,
    pub production: Allowance,
}

impl Default for Allowances {
    /// Far above what an honest integration sends, far below what hurts other tenants.
    fn default() -> Self {
        Self {
            sandbox: Allowance {
                concurrent_requests: 4,
                requests_per_sec: 50,
                request_burst: 300,
                cost_per_sec: 250_000,
                cost_burst: 5_000_000,
            },
            production: Allowance {
                concurrent_requests: 8,
                requests_per_sec: 200,
                request_burst: 1_000,
                cost_per_sec: 1_000_000,
                cost_burst: 20_000_000,
            },
        }
    }
}

/// Where a key's cost bucket stands after a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketStatus {
    /// What a full bucket holds.
    pub limit: u32,
    /// What is left now.
    pub remaining: u32,
    /// How long until the bucket is full again.
    pub full_in: Duration,
}

/// Why a request may not run now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// The key already has its allowance of requests running.
    TooManyConcurrent { limit: u32 },
    /// The key sent more requests than its rate allows.
    TooManyRequests { retry_after: Duration },
    /// The key spent its cost bucket; the status says how it stands.
    CostExhausted {
        retry_after: Duration,
        status: BucketStatus,
    },
}

impl Throttled {
    /// How long the client should wait before retrying (at least a second, as
    /// `Retry-After` counts in whole seconds).
    pub fn retry_after_secs(&self) -> u64 {
        match self {
            Self::TooManyConcurrent { .. } => 1,
            Self::TooManyRequests { retry_after } | Self::CostExhausted { retry_after, .. } => {
                retry_after.as_secs_f64().ceil().max(1.0) as u64
            }
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::TooManyConcurrent { limit } => format!(
                "this API key already has {limit} requests running; retry when one finishes"
            ),
            Self::TooManyRequests { .. } => {
                "too many requests for this API key; retry after the Retry-After seconds".into()
            }
            Self::CostExhausted { status, .. } => format!(
                "this API key has spent its query cost allowance ({} points, restored over \
                 time); retry after the Retry-After seconds or ask for smaller pages",
                status.limit
            ),
        }
    }
}

type Bucket = DefaultKeyedRateLimiter<ApiKeyId, StateInformationMiddleware>;

struct Buckets {
    allowance: Allowance,
    requests: Bucket,
    cost: Bucket,
}

impl Buckets {
    fn new(allowance: Allowance) -> Self {
        let quota = |per_sec: u32, burst: u32| {
            let per_sec = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            Quota::per_second(per_sec).allow_burst(burst)
        };
        Self {
            allowance,
            requests: RateLimiter::keyed(quota(
                allowance.requests_per_sec,
                allowance.request_burst,
            ))
            .with_middleware::<StateInformationMiddleware>(),
            cost: RateLimiter::keyed(quota(allowance.cost_per_sec, allowance.cost_burst))
                .with_middleware::<StateInformationMiddleware>(),
        }
    }
}

/// The server's per-key allowances and what each key has used of them; an access token
/// has allowances of its own (a quarter of its key's) and spends its key's too.
pub struct Throttle {
    sandbox: Buckets,
    production: Buckets,
    sandbox_tokens: Buckets,
    production_tokens: Buckets,
    running: Mutex<HashMap<ApiKeyId, Arc<Semaphore>>>,
    /// Requests admitted, to forget idle holders every [`FORGET_EVERY`] of them.
    admitted: AtomicU64,
    clock: DefaultClock,
}

/// How many admissions pass between two sweeps of idle holders (keys and tokens with no
/// request running and full buckets), so that tokens come and go without the throttle
/// growing.
const FORGET_EVERY: u64 = 4_096;

/// A request's places among its key's (and its token's) concurrent requests, given back
/// when dropped.
pub struct Running {
    _places: Vec<OwnedSemaphorePermit>,
}

impl Throttle {
    pub fn new(allowances: Allowances) -> Self {
        Self {
            sandbox: Buckets::new(allowances.sandbox),
            production: Buckets::new(allowances.production),
            sandbox_tokens: Buckets::new(allowances.sandbox.for_token()),
            production_tokens: Buckets::new(allowances.production.for_token()),
            running: Mutex::default(),
            admitted: AtomicU64::new(0),
            clock: DefaultClock::default(),
        }
    }

    /// Whose allowances a request of `principal` spends, tightest first: an access token's
    /// own, then its key's; a key's alone.
    fn holders(&self, principal: &Principal) -> Vec<(&Buckets, ApiKeyId)> {
        let (keys, tokens) = match principal.environment() {
            Environment::Sandbox => (&self.sandbox, &self.sandbox_tokens),
            Environment::Production => (&self.production, &self.production_tokens),
        };
        let key = (keys, principal.key_id());
        match principal.grant() {
            Some(grant) => vec![(tokens, ApiKeyId(grant.token.0)), key],
            None => vec![key],
        }
    }

    /// Admits a request of `principal`: a free place among its concurrent requests and a
    /// token of its request rate (its access token's and its key's), or why not.
    pub fn admit(&self, principal: &Principal) -> Result<Running, Throttled> {
        if self.admitted.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.forget_idle();
        }
        let mut places = Vec::new();
        for (buckets, holder) in self.holders(principal) {
            let limit = buckets.allowance.concurrent_requests;
            let semaphore = {
                let mut running = self
                    .running
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                running
                    .entry(holder)
                    .or_insert_with(|| Arc::new(Semaphore::new(limit as usize)))
                    .clone()
            };
            let permit = semaphore
                .try_acquire_owned()
                .map_err(|_| Throttled::TooManyConcurrent { limit })?;
            if let Err(not_until) = buckets.requests.check_key(&holder) {
                return Err(Throttled::TooManyRequests {
                    retry_after: not_until.wait_time_from(self.clock.now()),
                });
            }
            places.push(permit);
        }
        Ok(Running { _places: places })
    }

    /// Forgets the holders with no request running (their semaphores are held by no
    /// permit) and the buckets that are full again: what a new request of theirs would find.
    fn forget_idle(&self) {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, semaphore| Arc::strong_count(semaphore) > 1);
        for buckets in [
            &self.sandbox,
            &self.production,
            &self.sandbox_tokens,
            &self.production_tokens,
        ] {
            buckets.requests.retain_recent();
            buckets.cost.retain_recent();
        }
    }

    /// How many holders have a concurrency place kept.
    #[cfg(test)]
    fn places_kept(&self) -> usize {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Spends `cost` of `principal`'s cost buckets (its access token's and its key's; at
    /// least one point, at most what a full bucket holds), or says when it can be afforded.
    /// The status is the tightest bucket's.
    pub fn charge(&self, principal: &Principal, cost: u64) -> Result<BucketStatus, Throttled> {
        let mut tightest: Option<BucketStatus> = None;
        for (buckets, holder) in self.holders(principal) {
            let status = self.charge_one(buckets, holder, cost)?;
            tightest = Some(match tightest {
                Some(seen) if seen.remaining <= status.remaining => seen,
                _ => status,
            });
        }
        // `holders` always names the key, so a status was seen.
        tightest.ok_or(Throttled::TooManyConcurrent { limit: 0 })
    }

    fn charge_one(
        &self,
        buckets: &Buckets,
        holder: ApiKeyId,
        cost: u64,
    ) -> Result<BucketStatus, Throttled> {
        let allowance = buckets.allowance;
        let points = u32::try_from(cost)
            .unwrap_or(u32::MAX)
            .clamp(1, allowance.cost_burst.max(1));
        let points = NonZeroU32::new(points).unwrap_or(NonZeroU32::MIN);
        let status_with = |remaining: u32| BucketStatus {
            limit: allowance.cost_burst,
            remaining,
            full_in: Duration::from_secs_f64(
                f64::from(allowance.cost_burst.saturating_sub(remaining))
                    / f64::from(allowance.cost_per_sec.max(1)),
            ),
        };
        match buckets.cost.check_key_n(&holder, points) {
            Ok(Ok(snapshot)) => Ok(status_with(snapshot.remaining_burst_capacity())),
            Ok(Err(not_until)) => Err(Throttled::CostExhausted {
                retry_after: not_until.wait_time_from(self.clock.now()),
                status: status_with(0),
            }),
            // Cannot happen: points never exceed the burst.
            Err(_) => Err(Throttled::CostExhausted {
                retry_after: Duration::from_secs(1),
                status: status_with(0),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ClientId;

    fn tight() -> Allowances {
        let allowance = Allowance {
            concurrent_requests: 2,
            requests_per_sec: 1,
            request_burst: 3,
            cost_per_sec: 1,
            cost_burst: 100,
        };
        Allowances {
            sandbox: allowance,
            production: allowance,
        }
    }

    fn sandbox_key() -> Principal {
        Principal::client(ClientId::new(), ApiKeyId::new(), Environment::Sandbox)
    }

    #[test]
    fn concurrent_requests_are_capped_per_key_and_given_back() {
        let throttle = Throttle::new(tight());
        let key = sandbox_key();
        let first = throttle.admit(&key).expect("first");
        let _second = throttle.admit(&key).expect("second");
        assert_eq!(
            throttle.admit(&key).err(),
            Some(Throttled::TooManyConcurrent { limit: 2 })
        );
        assert!(
            throttle.admit(&sandbox_key()).is_ok(),
            "another key is unaffected"
        );
        drop(first);
        assert!(
            throttle.admit(&key).is_ok(),
            "a finished request gives its place back"
        );
    }

    #[test]
    fn the_request_rate_runs_out_per_key() {
        let throttle = Throttle::new(tight());
        let key = sandbox_key();
        for _ in 0..3 {
            drop(throttle.admit(&key).expect("within the burst"));
        }
        let refused = throttle.admit(&key).err();
        assert!(
            matches!(refused, Some(Throttled::TooManyRequests { .. })),
            "{refused:?}"
        );
        assert!(throttle.admit(&sandbox_key()).is_ok());
    }

    #[test]
    fn cost_is_charged_and_reported() {
        let throttle = Throttle::new(tight());
        let key = sandbox_key();
        let status = throttle.charge(&key, 60).expect("affordable");
        assert_eq!((status.limit, status.remaining), (100, 40));
        let refused = throttle.charge(&key, 60).expect_err("not affordable");
        assert!(refused.retry_after_secs() >= 1);
        assert!(matches!(refused, Throttled::CostExhausted { .. }));
        // A cost beyond the bucket is charged as a full bucket, never refused forever.
        assert!(throttle.charge(&sandbox_key(), 1_000_000).is_ok());
    }

    #[test]
    fn tokens_that_come_and_go_leave_nothing_behind() {
        let throttle = Throttle::new(Allowances {
            sandbox: Allowance::generous(),
            production: Allowance::generous(),
        });
        let key = sandbox_key();
        let held = throttle.admit(&key).expect("the key's request");
        for _ in 0..FORGET_EVERY * 2 {
            let grant = crate::domain::tenancy::Grant {
                token: crate::domain::ids::AccessTokenId::new(),
                scopes: crate::domain::access::Scopes::of([]),
                restricted: false,
                expires_at: chrono::Utc::now(),
            };
            let token =
                Principal::token(ClientId::new(), key.key_id(), Environment::Sandbox, grant);
            drop(throttle.admit(&token).expect("a token's request"));
        }
        assert!(
            throttle.places_kept() < FORGET_EVERY as usize,
            "{} places kept",
            throttle.places_kept()
        );
        drop(held);
    }
}
