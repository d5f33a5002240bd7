//! What happens to a lookup before the simulator looks at it: outage, rate
//! limit, latency and injected errors, and the counters of every outcome.
//!
//! Order for each SOAP or JSON lookup: count it; during an outage answer 503
//! at once; over the rate limit answer 429 at once; wait the drawn latency;
//! then maybe fail with an injected error (a timeout first holds the request
//! for `timeout_hold`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::SimConfig;

/// A failure injected before the lookup itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    /// Outage: 503 at once, no `Retry-After`.
    Outage,
    /// Over the rate limit: 429 with `Retry-After` seconds.
    RateLimited(u64),
    /// Held, then 504.
    Timeout,
    /// 500 or 503 (the status), `Retry-After: 1` on 503.
    ServerError(u16),
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
}

/// How a lookup was answered, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    NotFound,
    Error5xx,
    Error429,
    Timeout,
    Outage,
    Unauthorised,
    BadRequest,
}

impl From<Injected> for Outcome {
    fn from(i: Injected) -> Self {
        match i {
            Injected::Outage => Outcome::Outage,
            Injected::RateLimited(_) | Injected::TooManyRequests => Outcome::Error429,
            Injected::Timeout => Outcome::Timeout,
            Injected::ServerError(_) => Outcome::Error5xx,
        }
    }
}

/// Counters served at `GET /admin/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Lookups received (SOAP and JSON), whatever their outcome.
    pub requests: u64,
    /// Of which SOAP.
    pub soap: u64,
    /// Of which JSON.
    pub json: u64,
    /// Answered with a citizen.
    pub ok: u64,
    /// Answered with an empty collection.
    pub not_found: u64,
    /// Injected 500/503 (`error_rates.server_error` and `failure_rate`).
    pub error_5xx: u64,
    /// 429s, injected or from the rate limit.
    pub error_429: u64,
    /// Of the 429s, those from the rate limit.
    pub rate_limited: u64,
    /// Injected timeouts (held, then 504).
    pub timeout: u64,
    /// Answered 503 because of an outage.
    pub outage: u64,
    /// Received while an outage was active.
    pub during_outage: u64,
    /// Refused credentials (401) or unlicensed procedure (`004`).
    pub unauthorised: u64,
    /// Malformed requests (400).
    pub bad_request: u64,
}

/// Atomic form of [`SimStats`].
#[derive(Default)]
pub(crate) struct Counters {
    cells: [AtomicU64; 13],
}

const REQUESTS: usize = 0;
const SOAP: usize = 1;
const JSON: usize = 2;
const RATE_LIMITED: usize = 10;
const DURING_OUTAGE: usize = 12;

impl Counters {
    fn bump(&self, i: usize) {
        self.cells[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an arriving lookup.
    pub(crate) fn arrived(&self, json: bool) {
        self.bump(REQUESTS);
        self.bump(if json { JSON } else { SOAP });
    }

    /// Counts how a lookup was answered.
    pub(crate) fn answered(&self, outcome: Outcome) {
        self.bump(match outcome {
            Outcome::Ok => 3,
            Outcome::NotFound => 4,
            Outcome::Error5xx => 5,
            Outcome::Error429 => 6,
            Outcome::Timeout => 7,
            Outcome::Outage => 8,
            Outcome::Unauthorised => 9,
            Outcome::BadRequest => 11,
        });
    }

    pub(crate) fn rate_limited(&self) {
        self.bump(RATE_LIMITED);
    }

    pub(crate) fn during_outage(&self) {
        self.bump(DURING_OUTAGE);
    }

    /// Sets every counter back to zero.
    pub(crate) fn reset(&self) {
        for cell in &self.cells {
            cell.store(0, Ordering::Relaxed);
        }
    }

    /// A snapshot.
    pub(crate) fn snapshot(&self) -> SimStats {
        let v = |i: usize| self.cells[i].load(Ordering::Relaxed);
        SimStats {
            requests: v(REQUESTS),
            soap: v(SOAP),
            json: v(JSON),
            ok: v(3),
            not_found: v(4),
            error_5xx: v(5),
            error_429: v(6),
            timeout: v(7),
            outage: v(8),
            unauthorised: v(9),
            rate_limited: v(RATE_LIMITED),
            bad_request: v(11),
            during_outage: v(DURING_OUTAGE),
        }
    }
}

/// A fixed one-second admission window.
pub(crate) struct RateWindow {
    started: Instant,
    admitted: u32,
}

impl RateWindow {
    pub(crate) fn new() -> Self {
        Self {
            started: Instant::now(),
            admitted: 0,
        }
    }

    /// `Ok` when admitted, else the whole seconds until the window reopens (≥ 1).
    pub(crate) fn admit(&mut self, limit: u32, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed >= Duration::from_secs(1) {
            self.started = now;
            self.admitted = 0;
        }
        if self.admitted < limit {
            self.admitted += 1;
            return Ok(());
        }
        Err(1)
    }
}

/// z-score of the 99th percentile of a standard normal.
const Z99: f64 = 2.326_347_874;

/// Log-normal latency with the config's median and p99 (capped at 4 σ).
pub(crate) fn draw_latency(rng: &mut StdRng, config: &SimConfig) -> Duration {
    let (median, p99) = config.latency_percentiles();
    if median.is_zero() {
        return Duration::ZERO;
    }
    let sigma = (p99.as_secs_f64() / median.as_secs_f64()).ln().max(0.0) / Z99;
    // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    median.mul_f64((sigma * z.clamp(-4.0, 4.0)).exp())
}

/// At most one injected error class, by one uniform draw.
pub(crate) fn draw_error(rng: &mut StdRng, config: &SimConfig) -> Option<Injected> {
    let r = &config.error_rates;
    if r.timeout + r.server_error + r.too_many_requests + config.failure_rate <= 0.0 {
        return None;
    }
    let roll: f64 = rng.random();
    let mut edge = r.timeout;
    if roll < edge {
        return Some(Injected::Timeout);
    }
    edge += r.server_error;
    if roll < edge {
        let status = if rng.random_bool(0.5) { 500 } else { 503 };
        return Some(Injected::ServerError(status));
    }
    edge += r.too_many_requests;
    if roll < edge {
        return Some(Injected::TooManyRequests);
    }
    edge += config.failure_rate;
    (roll < edge).then_some(Injected::ServerError(503))
}

#[cfg(test)]
#[path = "faults_tests.rs"]
mod tests;
