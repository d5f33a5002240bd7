//! [`Resilient`]: the registry wrapper that retries, limits, breaks and caches.
//!
//! Per lookup: cache or coalesce (if on) → then per attempt: fail fast if the
//! breaker is open → take a concurrency permit → wait for the contracted rate
//! → breaker admission → call the inner registry with `MaYeuCau =
//! {base}-{attempt}` → count the outcome → report the attempt. Between
//! attempts: stop if the breaker opened, the budget is spent or the server
//! asks for a longer pause than `max_backoff`; otherwise back off.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::backoff::{Jitter, Schedule};
use super::breaker::{Admission, Breaker, Transition};
use super::budget::RetryBudget;
use super::cache::{Answer, Begin, Cache, Key};
use super::limiter::Limiter;
use super::{AttemptEvent, BreakerState, LookupObserver, ResilienceConfig};
use crate::{LookupError, LookupRequest, PopulationRegistry};

/// Longest caller request id: `-{attempt}` must still fit `MaYeuCau`'s 40 characters.
pub const MAX_BASE_REQUEST_ID: usize = 36;

/// A [`PopulationRegistry`] that adds retries, a retry budget, a rate limit,
/// bounded concurrency, a circuit breaker and a short cache to another one.
/// Cheap to clone: clones share all state.
pub struct Resilient<R> {
    core: Arc<Core<R>>,
}

impl<R> Clone for Resilient<R> {
    fn clone(&self) -> Self {
        Self {
            core: Arc::clone(&self.core),
        }
    }
}

impl<R> std::fmt::Debug for Resilient<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resilient")
            .field("config", &self.core.config)
            .field("breaker", &self.core.breaker.state())
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

struct Core<R> {
    registry: R,
    config: ResilienceConfig,
    observer: Arc<dyn LookupObserver>,
    breaker: Breaker,
    budget: RetryBudget,
    limiter: Limiter,
    permits: Semaphore,
    in_flight: AtomicUsize,
    jitter: Jitter,
    cache: Cache,
}

impl<R: PopulationRegistry + 'static> Resilient<R> {
    /// Wraps `inner`; `observer` receives every attempt and decision.
    pub fn new(inner: R, config: ResilienceConfig, observer: Arc<dyn LookupObserver>) -> Self {
        let permits = match config.max_in_flight {
            0 => Semaphore::MAX_PERMITS,
            n => n.min(Semaphore::MAX_PERMITS),
        };
        let busy_retry_in = config.min_backoff.max(Duration::from_millis(1));
        let core = Core {
            breaker: Breaker::new(config.breaker.clone(), busy_retry_in),
            budget: RetryBudget::new(
                config.retry_budget_ratio,
                config.retry_budget_min_per_sec,
                config.retry_budget_window,
            ),
            limiter: Limiter::new(config.rate_limit_per_second, config.rate_limit_burst),
            permits: Semaphore::new(permits),
            in_flight: AtomicUsize::new(0),
            jitter: Jitter::new(),
            cache: Cache::new(config.cache_ttl),
            registry: inner,
            config,
            observer,
        };
        Self {
            core: Arc::new(core),
        }
    }

    /// The breaker's state now (an elapsed open period reads as half-open).
    pub fn breaker_state(&self) -> BreakerState {
        self.core.breaker.state()
    }

    /// While open: time until a probe is allowed.
    pub fn open_remaining(&self) -> Option<Duration> {
        self.core.breaker.open_remaining()
    }

    /// The settings in force.
    pub fn config(&self) -> &ResilienceConfig {
        &self.core.config
    }
}

impl<R> Resilient<R> {
    /// Calls currently inside the inner registry.
    pub fn in_flight(&self) -> usize {
        self.core.in_flight.load(Ordering::Relaxed)
    }
}

#[async_trait::async_trait]
impl<R: PopulationRegistry + 'static> PopulationRegistry for Resilient<R> {
    async fn lookup(&self, req: &LookupRequest) -> Answer {
        if req.request_id.is_empty() || req.request_id.chars().count() > MAX_BASE_REQUEST_ID {
            return Err(LookupError::permanent(
                "request id must be 1-36 characters (attempt suffix added)",
            ));
        }
        if !self.core.cache.enabled() {
            return self.core.run(req).await;
        }
        let key = Key::of(req);
        let begin = self.core.cache.begin(&key, || {
            let (core, req, key) = (Arc::clone(&self.core), req.clone(), key.clone());
            async move {
                let answer = core.run(&req).await;
                core.cache.settle(&key, &answer);
                answer
            }
            .boxed()
        });
        match begin {
            Begin::Hit(value) => {
                self.core.observer.cache_hit();
                Ok(*value)
            }
            Begin::Joined(flight) => {
                self.core.observer.coalesced();
                flight.await
            }
            Begin::Led(flight) => flight.await,
        }
    }
}

impl<R: PopulationRegistry> Core<R> {
    /// One lookup: attempts, backoff, budget.
    async fn run(&self, req: &LookupRequest) -> Answer {
        self.budget.deposit();
        let mut schedule = Schedule::new(self.config.min_backoff, self.config.max_backoff);
        let attempts = self.config.attempts.max(1);
        let mut attempt = 1;
        loop {
            let error = match self.attempt(req, attempt).await {
                Err(e @ LookupError::Transient { .. }) => e,
                other => return other,
            };
            if attempt >= attempts {
                return Err(error);
            }
            if let Some(retry_in) = self.breaker.refuses() {
                return Err(LookupError::CircuitOpen { retry_in });
            }
            let retry_after = error.retry_after();
            if retry_after.is_some_and(|wait| wait > self.config.max_backoff) {
                // A long server-requested pause is the caller's to take (retry
                // topic, paused partition), not a task parked here.
                return Err(error);
            }
            if !self.budget.withdraw() {
                tracing::warn!(
                    request_id = %req.request_id,
                    attempt,
                    "Retry budget exhausted: population database lookup not retried."
                );
                self.observer.budget_exhausted();
                return Err(error);
            }
            self.observer.retried();
            let delay = schedule.next_delay(&self.jitter, retry_after);
            tracing::debug!(
                request_id = %req.request_id,
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "Population database lookup will be retried."
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One call to the inner registry, with every guard around it.
    async fn attempt(&self, req: &LookupRequest, attempt: u32) -> Answer {
        if let Some(retry_in) = self.breaker.refuses() {
            return Err(LookupError::CircuitOpen { retry_in });
        }
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| LookupError::transient("lookup concurrency limiter closed"))?;
        let waited = self.limiter.acquire().await;
        if !waited.is_zero() {
            self.observer.rate_limited(waited);
        }
        let (admission, transition) = self.breaker.admit();
        self.notify(transition);
        let mut admitted = Admitted {
            breaker: &self.breaker,
            admission: Some(admission.map_err(|retry_in| LookupError::CircuitOpen { retry_in })?),
        };
        let sent = LookupRequest {
            request_id: format!("{}-{attempt}", req.request_id),
            ..req.clone()
        };
        let started = Instant::now();
        let result = {
            let _counted = InFlight::enter(&self.in_flight);
            self.registry.lookup(&sent).await
        };
        let latency = started.elapsed();
        drop(permit);
        let failed = result.as_ref().is_err_and(LookupError::is_transient);
        if let Some(admission) = admitted.admission.take() {
            self.notify(self.breaker.record(admission, failed));
        }
        let event = AttemptEvent {
            request: &sent,
            attempt,
            result: &result,
            latency,
        };
        self.observer.attempt(&event).await;
        result
    }

    fn notify(&self, transition: Transition) {
        if let Some((from, to)) = transition {
            tracing::warn!(
                from = from.as_str(),
                to = to.as_str(),
                "Population database circuit breaker changed state."
            );
            self.observer.breaker_changed(from, to);
        }
    }
}

/// A breaker admission that is abandoned (probe slot freed) if the call is cancelled.
struct Admitted<'a> {
    breaker: &'a Breaker,
    admission: Option<Admission>,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        if let Some(admission) = self.admission.take() {
            self.breaker.abandon(admission);
        }
    }
}

/// Counts one call inside the inner registry for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
