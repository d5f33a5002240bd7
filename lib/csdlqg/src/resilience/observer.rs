//! What the resilience layer reports: one event per call that reached the
//! registry (for the lawful-lookup audit and latency metrics) and a hook per
//! decision (retry, rate-limit wait, exhausted budget, cache hit, breaker change).
//!
//! Hooks are called on the lookup's own task; keep them quick (count, log) —
//! only [`LookupObserver::attempt`] is async, for an audit write.

use std::time::Duration;

use super::BreakerState;
use crate::{CitizenRecord, LookupError, LookupRequest};

/// One call to the inner registry, after it finished.
#[derive(Debug)]
pub struct AttemptEvent<'a> {
    /// The request as sent, with this attempt's `request_id` (`{base}-{attempt}`).
    pub request: &'a LookupRequest,
    /// 1-based attempt number within the lookup.
    pub attempt: u32,
    /// What the registry answered.
    pub result: &'a Result<Option<CitizenRecord>, LookupError>,
    /// Time spent in the inner registry (excludes queueing and rate-limit waits).
    pub latency: Duration,
}

/// Receives the resilience layer's events. Every method but `attempt` has a no-op default.
#[async_trait::async_trait]
pub trait LookupObserver: Send + Sync {
    /// Called once per attempt that reached the inner registry, after it
    /// finished (for the lawful lookup audit and metrics).
    async fn attempt(&self, event: &AttemptEvent<'_>);

    /// The circuit breaker moved from `_from` to `_to`.
    fn breaker_changed(&self, _from: BreakerState, _to: BreakerState) {}

    /// A transient failure is about to be retried (called before the backoff wait).
    fn retried(&self) {}

    /// A call waited `_waited` for the contracted rate.
    fn rate_limited(&self, _waited: Duration) {}

    /// A retry was refused by the retry budget; the lookup failed with its last error.
    fn budget_exhausted(&self) {}

    /// A lookup was answered from the cache without calling the registry.
    fn cache_hit(&self) {}

    /// A lookup joined an identical one already in flight instead of calling the registry.
    fn coalesced(&self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

#[async_trait::async_trait]
impl LookupObserver for NoopObserver {
    async fn attempt(&self, _event: &AttemptEvent<'_>) {}
}
