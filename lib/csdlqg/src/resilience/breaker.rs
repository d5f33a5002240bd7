//! A small circuit breaker over a rolling window of call outcomes.
//!
//! Closed: every call goes through and its outcome is counted. When at least
//! `min_calls` outcomes are in the window and the failure ratio reaches
//! `failure_ratio`, the breaker opens: calls are refused for `open_for`. Then
//! it is half-open: `half_open_probes` calls go through; the first success
//! closes it, the first failure opens it again. Only transient failures count
//! as failures — a not-found, a refusal or a bad request means the service
//! answered.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::BreakerConfig;
use super::rolling::Rolling;

/// Where the breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls go through; outcomes are counted.
    Closed,
    /// Calls are refused without reaching the service.
    Open,
    /// A limited number of probe calls go through to test the service.
    HalfOpen,
}

impl BreakerState {
    /// Label for logs and metrics: `"closed"`, `"open"`, `"half_open"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }

    /// Gauge value: 0 closed, 1 open, 2 half-open.
    pub fn as_number(self) -> u8 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }
}

impl std::fmt::Display for BreakerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state change, to be reported once the lock is released.
pub(crate) type Transition = Option<(BreakerState, BreakerState)>;

/// Permission for one call; hand it back with [`Breaker::record`].
#[derive(Debug)]
pub(crate) struct Admission {
    /// Breaker generation when admitted: outcomes from an older state are ignored.
    generation: u64,
    probe: bool,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    opened_at: Instant,
    window: Rolling,
    probes_in_flight: u32,
    generation: u64,
    /// Transient failures since the last success.
    consecutive: u32,
}

/// The breaker; share it behind the layer's `Arc`.
#[derive(Debug)]
pub(crate) struct Breaker {
    cfg: BreakerConfig,
    /// What to suggest to callers refused while the probes are busy.
    busy_retry_in: Duration,
    inner: Mutex<Inner>,
}

impl Breaker {
    pub(crate) fn new(cfg: BreakerConfig, busy_retry_in: Duration) -> Self {
        let inner = Inner {
            state: BreakerState::Closed,
            opened_at: Instant::now(),
            window: Rolling::new(cfg.window),
            probes_in_flight: 0,
            consecutive: 0,
            generation: 0,
        };
        Self {
            cfg,
            busy_retry_in,
            inner: Mutex::new(inner),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Counters only: a panic elsewhere cannot leave them dangerously inconsistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The state as callers would find it now (an expired open period reads as half-open).
    pub(crate) fn state(&self) -> BreakerState {
        let inner = self.lock();
        match inner.state {
            BreakerState::Open if self.open_remaining_of(&inner).is_none() => {
                BreakerState::HalfOpen
            }
            state => state,
        }
    }

    /// While open: the time until a probe is allowed.
    pub(crate) fn open_remaining(&self) -> Option<Duration> {
        let inner = self.lock();
        match inner.state {
            BreakerState::Open => self.open_remaining_of(&inner),
            _ => None,
        }
    }

    fn open_remaining_of(&self, inner: &Inner) -> Option<Duration> {
        let until = inner.opened_at + self.cfg.open_for;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    /// Cheap pre-check before queueing for a permit: `Err(retry_in)` while open.
    pub(crate) fn refuses(&self) -> Option<Duration> {
        self.open_remaining()
    }

    /// Asks to make one call. `Err(retry_in)` when refused.
    pub(crate) fn admit(&self) -> (Result<Admission, Duration>, Transition) {
        let mut inner = self.lock();
        let mut transition = None;
        if inner.state == BreakerState::Open {
            if let Some(left) = self.open_remaining_of(&inner) {
                return (Err(left), None);
            }
            inner.state = BreakerState::HalfOpen;
            inner.probes_in_flight = 0;
            inner.generation += 1;
            transition = Some((BreakerState::Open, BreakerState::HalfOpen));
        }
        let generation = inner.generation;
        let admission = match inner.state {
            BreakerState::HalfOpen if inner.probes_in_flight >= self.cfg.half_open_probes => {
                Err(self.busy_retry_in)
            }
            BreakerState::HalfOpen => {
                inner.probes_in_flight += 1;
                Ok(Admission {
                    generation,
                    probe: true,
                })
            }
            _ => Ok(Admission {
                generation,
                probe: false,
            }),
        };
        (admission, transition)
    }

    /// Counts the outcome of an admitted call: `failed` = transient failure.
    pub(crate) fn record(&self, admission: Admission, failed: bool) -> Transition {
        let mut inner = self.lock();
        if admission.generation != inner.generation {
            return None; // admitted under an earlier state: stale evidence
        }
        let now = Instant::now();
        match inner.state {
            BreakerState::Closed => {
                inner.window.add(now, u64::from(!failed), u64::from(failed));
                inner.consecutive = if failed {
                    inner.consecutive.saturating_add(1)
                } else {
                    0
                };
                let (ok, bad) = inner.window.totals(now);
                let calls = ok + bad;
                let by_ratio = calls >= u64::from(self.cfg.min_calls.max(1))
                    && bad as f64 >= self.cfg.failure_ratio * calls as f64;
                let in_a_row = self.cfg.consecutive_failures > 0
                    && inner.consecutive >= self.cfg.consecutive_failures;
                let tripped = by_ratio || in_a_row;
                tripped.then(|| Self::open(&mut inner, now, BreakerState::Closed))
            }
            BreakerState::HalfOpen if admission.probe => {
                inner.probes_in_flight = inner.probes_in_flight.saturating_sub(1);
                if failed {
                    Some(Self::open(&mut inner, now, BreakerState::HalfOpen))
                } else {
                    inner.state = BreakerState::Closed;
                    inner.window.clear();
                    inner.generation += 1;
                    Some((BreakerState::HalfOpen, BreakerState::Closed))
                }
            }
            _ => None,
        }
    }

    /// An admitted call ended without an outcome (cancelled): free its probe slot.
    pub(crate) fn abandon(&self, admission: Admission) {
        let mut inner = self.lock();
        if admission.probe && admission.generation == inner.generation {
            inner.probes_in_flight = inner.probes_in_flight.saturating_sub(1);
        }
    }

    fn open(inner: &mut Inner, now: Instant, from: BreakerState) -> (BreakerState, BreakerState) {
        inner.state = BreakerState::Open;
        inner.opened_at = now;
        inner.window.clear();
        inner.consecutive = 0;
        inner.generation += 1;
        (from, BreakerState::Open)
    }
}
