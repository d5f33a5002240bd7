//! The contracted request rate towards CSDLQG: one GCRA limiter shared by all tasks.
//!
//! `governor` does the arithmetic; the clock is tokio's, so waits are tokio
//! sleeps (cancellable, and virtual under `tokio::time::pause()` in tests).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

/// Governor clock reading tokio's (pausable) time as an offset from an origin.
#[derive(Debug, Clone)]
pub(crate) struct TokioClock {
    origin: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }
}

type Gcra = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

/// A rate limit, or none.
#[derive(Debug)]
pub(crate) struct Limiter {
    gcra: Option<Gcra>,
    clock: TokioClock,
}

impl Limiter {
    /// `per_second` calls per second with bursts of `burst` (at least 1); 0 = unlimited.
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        let clock = TokioClock {
            origin: Instant::now(),
        };
        let gcra = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            let quota = Quota::per_second(rate).allow_burst(burst);
            RateLimiter::direct_with_clock(quota, clock.clone())
        });
        Self { gcra, clock }
    }

    /// Waits until a call is allowed; returns how long it waited.
    pub(crate) async fn acquire(&self) -> Duration {
        let Some(gcra) = &self.gcra else {
            return Duration::ZERO;
        };
        let started = Instant::now();
        while let Err(not_until) = gcra.check() {
            tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
        }
        started.elapsed()
    }
}
