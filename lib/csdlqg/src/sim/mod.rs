//! A CSDLQG simulator: the same SOAP and gateway-JSON shapes over a
//! deterministic synthetic population.
//!
//! Used by integration tests, load tests and the demo. It answers
//! `TraCuuThongTinCongDan` by ID only (matching name and date is the client's
//! job, as with the real service) and injects faults from a [`SimConfig`]
//! changeable at runtime: log-normal latency, timeouts, 5xx, 429, outages
//! (switched on/off or scheduled) and a rate limit.
//!
//! Endpoints: `POST /` and `POST /TraCuuThongTinCongDan` (SOAP),
//! `POST /v1/tra-cuu-cong-dan` (JSON, `Authorization: Bearer` required),
//! `GET /health`, `GET|POST|PUT /admin/config` (POST merges a partial JSON
//! config, PUT replaces it), `GET|DELETE /admin/stats` ([`SimStats`]; DELETE
//! resets them).

mod config;
mod draw;
mod family;
mod faults;
mod json_api;
mod names;
mod population;
mod server;

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

pub use config::{ConfigError, ErrorRates, OutageWindow, SimConfig};
pub use faults::SimStats;
pub use names::builtin_communes;
pub use population::{Person, Population};
pub use server::{router, serve};

use faults::{Counters, Injected, Outcome, RateWindow};

/// Shared simulator state: population, live config and counters. Cheap to clone.
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

struct Inner {
    population: Population,
    config: RwLock<SimConfig>,
    started: Instant,
    counters: Counters,
    window: Mutex<RateWindow>,
    // Seeded: fault injection is reproducible for a given request order.
    rng: Mutex<StdRng>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("population", &self.inner.population)
            .field("requests", &self.requests())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SimState {
    /// State serving `population` with the given initial config. Outage
    /// windows count from this call.
    pub fn new(population: Population, config: SimConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                population,
                config: RwLock::new(config),
                started: Instant::now(),
                counters: Counters::default(),
                window: Mutex::new(RateWindow::new()),
                rng: Mutex::new(StdRng::seed_from_u64(0x0C06)),
            }),
        }
    }

    /// The simulated citizens.
    pub fn population(&self) -> &Population {
        &self.inner.population
    }

    /// A snapshot of the current config.
    pub fn config(&self) -> SimConfig {
        self.inner
            .config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Replaces the config; applies to requests arriving afterwards.
    pub fn set_config(&self, config: SimConfig) {
        *self
            .inner
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = config;
    }

    /// Time since [`SimState::new`], the clock of [`OutageWindow`]s.
    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Lookups received so far, SOAP and JSON (including failed and refused ones).
    pub fn requests(&self) -> u64 {
        self.stats().requests
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SimStats {
        self.inner.counters.snapshot()
    }

    /// Sets every counter back to zero.
    pub fn reset_stats(&self) {
        self.inner.counters.reset();
    }

    fn answered(&self, outcome: Outcome) {
        self.inner.counters.answered(outcome);
    }

    /// Counts a lookup and applies outage, rate limit, latency and injected
    /// errors; `Ok` carries the config the rest of the request uses.
    async fn gate(&self, json: bool) -> Result<SimConfig, Injected> {
        let counters = &self.inner.counters;
        counters.arrived(json);
        let config = self.config();
        let injected = self.pre_checks(&config).await;
        if let Err(i) = injected {
            if i == Injected::Outage {
                counters.during_outage();
            }
            if matches!(i, Injected::RateLimited(_)) {
                counters.rate_limited();
            }
            counters.answered(i.into());
        }
        injected.map(|()| config)
    }

    async fn pre_checks(&self, config: &SimConfig) -> Result<(), Injected> {
        if config.outage_at(self.uptime()) {
            return Err(Injected::Outage);
        }
        if let Some(limit) = config.rate_limit_per_second {
            lock(&self.inner.window)
                .admit(limit, Instant::now())
                .map_err(Injected::RateLimited)?;
        }
        let (delay, error) = {
            let mut rng = lock(&self.inner.rng);
            let delay = faults::draw_latency(&mut rng, config);
            (delay, faults::draw_error(&mut rng, config))
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if error == Some(Injected::Timeout) {
            tokio::time::sleep(config.timeout_hold).await;
        }
        error.map_or(Ok(()), Err)
    }
}
