//! Resilience for population-database lookups: [`Resilient`] wraps any
//! [`PopulationRegistry`](crate::PopulationRegistry) and is one itself.
//!
//! What it adds, all configured by [`ResilienceConfig`] and reported to a
//! [`LookupObserver`]:
//!
//! - **Retries** of transient failures only, up to `attempts`, with capped
//!   exponential backoff and full jitter; a server `Retry-After` is a floor.
//!   Attempt *n* is sent with `MaYeuCau = {request_id}-{n}`, so ids are
//!   deterministic per dossier and attempt (the base id is at most 36 chars).
//! - A **retry budget** (Finagle/tower style): retries ≤ `ratio` × first
//!   attempts + `min_per_sec` × window, so a failure storm does not multiply load.
//! - A **rate limit** (GCRA, shared by every task) and **bounded concurrency**.
//! - A **circuit breaker**: while open, lookups fail fast with
//!   [`LookupError::CircuitOpen`](crate::LookupError::CircuitOpen) without
//!   calling the service.
//! - A short **cache** with coalescing of identical concurrent lookups.
//!
//! # Layout
//!
//! - `layer`: [`Resilient`], the per-lookup and per-attempt flow.
//! - `breaker`: [`BreakerState`] and the breaker.
//! - `budget`, `limiter`, `backoff`, `cache`: one mechanism each.
//! - `rolling`: the bucketed sliding window the breaker and budget count in.
//! - `observer`: [`LookupObserver`], [`AttemptEvent`], [`NoopObserver`].

mod backoff;
mod breaker;
mod budget;
mod cache;
mod layer;
mod limiter;
mod observer;
mod rolling;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use breaker::BreakerState;
pub use layer::{MAX_BASE_REQUEST_ID, Resilient};
pub use observer::{AttemptEvent, LookupObserver, NoopObserver};

/// Circuit-breaker settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    /// Open when at least this fraction of the calls in the window failed transiently (0.5).
    pub failure_ratio: f64,
    /// … and at least this many calls are in the window (10).
    pub min_calls: u32,
    /// The rolling window outcomes are counted over (10 s).
    pub window: Duration,
    /// How long to refuse calls once open, before probing (5 s).
    pub open_for: Duration,
    /// Calls let through while half-open (1).
    pub half_open_probes: u32,
    /// Also open after this many transient failures in a row, however many successes
    /// the window holds (20; 0 = off): a sudden outage after a busy healthy period
    /// trips at once instead of after the ratio catches up.
    pub consecutive_failures: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_ratio: 0.5,
            min_calls: 10,
            window: Duration::from_secs(10),
            open_for: Duration::from_secs(5),
            half_open_probes: 1,
            consecutive_failures: 20,
        }
    }
}

/// Everything [`Resilient`] does, tunable.
#[derive(Debug, Clone, PartialEq)]
pub struct ResilienceConfig {
    /// In-process attempts per lookup, the first included (4).
    pub attempts: u32,
    /// First backoff step (100 ms); steps double up to `max_backoff`, full jitter.
    pub min_backoff: Duration,
    /// Largest backoff step (5 s). A `Retry-After` up to this is waited out
    /// (at least that long); a longer one ends the lookup with its error.
    pub max_backoff: Duration,
    /// Retries may not exceed this fraction of first attempts over the window (0.2) …
    pub retry_budget_ratio: f64,
    /// … plus this many per second of window (10); past that, no retry.
    pub retry_budget_min_per_sec: u32,
    /// The retry budget's sliding window (10 s).
    pub retry_budget_window: Duration,
    /// Contracted calls per second to the registry, all tasks together; 0 = unlimited (0).
    pub rate_limit_per_second: u32,
    /// Calls allowed back to back before the rate applies (at least 1) (10).
    pub rate_limit_burst: u32,
    /// Calls inside the inner registry at once; 0 = unbounded (16).
    pub max_in_flight: usize,
    /// Circuit-breaker settings.
    pub breaker: BreakerConfig,
    /// How long a successful answer is reused for an identical lookup; also
    /// enables coalescing of identical concurrent lookups; 0 = off (0).
    pub cache_ttl: Duration,
}

impl Default for ResilienceConfig {
    fn default() -> Self {
        Self {
            attempts: 4,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            retry_budget_ratio: 0.2,
            retry_budget_min_per_sec: 10,
            retry_budget_window: Duration::from_secs(10),
            rate_limit_per_second: 0,
            rate_limit_burst: 10,
            max_in_flight: 16,
            breaker: BreakerConfig::default(),
            cache_ttl: Duration::ZERO,
        }
    }
}
