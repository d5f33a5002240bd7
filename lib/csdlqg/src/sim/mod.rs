//! A CSDLQG simulator: the same SOAP shape over a deterministic synthetic population.
//!
//! Used by integration tests, load tests and the demo. It answers
//! `TraCuuThongTinCongDan` by ID only (matching name and date is the client's
//! job, as with the real service) and can inject latency, 503s and vendor
//! error `004` at runtime through `POST /admin/config`.
//!
//! Endpoints: `POST /` and `POST /TraCuuThongTinCongDan` (SOAP), `GET /health`,
//! `POST|GET /admin/config` (JSON [`SimConfig`]), `GET /admin/stats`
//! (`{"requests": n}`, SOAP requests received).

mod names;
mod population;
mod server;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

pub use names::builtin_communes;
pub use population::{Person, Population};
pub use server::{router, serve};

/// Fault injection settings, changeable at runtime.
///
/// JSON form (admin endpoint): `{"latency_ms": 0, "failure_rate": 0.0,
/// "unauthorised_procedures": []}`; missing fields take their defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "SimConfigJson", into = "SimConfigJson")]
pub struct SimConfig {
    /// Median added latency; each answer waits between half and twice this.
    pub latency: Duration,
    /// Fraction of SOAP requests answered `503` with `Retry-After: 1` (0.0–1.0).
    pub failure_rate: f64,
    /// `MaDVC` values answered with vendor error `004` (procedure not licensed).
    pub unauthorised_procedures: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SimConfigJson {
    latency_ms: u64,
    failure_rate: f64,
    unauthorised_procedures: Vec<String>,
}

impl Default for SimConfigJson {
    fn default() -> Self {
        SimConfig::default().into()
    }
}

impl From<SimConfigJson> for SimConfig {
    fn from(j: SimConfigJson) -> Self {
        Self {
            latency: Duration::from_millis(j.latency_ms),
            failure_rate: j.failure_rate,
            unauthorised_procedures: j.unauthorised_procedures,
        }
    }
}

impl From<SimConfig> for SimConfigJson {
    fn from(c: SimConfig) -> Self {
        Self {
            latency_ms: u64::try_from(c.latency.as_millis()).unwrap_or(u64::MAX),
            failure_rate: c.failure_rate,
            unauthorised_procedures: c.unauthorised_procedures,
        }
    }
}

/// Shared simulator state: population, live config and request counter. Cheap to clone.
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

struct Inner {
    population: Population,
    config: RwLock<SimConfig>,
    requests: AtomicU64,
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

impl SimState {
    /// State serving `population` with the given initial config.
    pub fn new(population: Population, config: SimConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                population,
                config: RwLock::new(config),
                requests: AtomicU64::new(0),
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

    /// SOAP requests received so far (including failed and refused ones).
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    fn count_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Draws this request's delay and whether it fails.
    fn draw_faults(&self, config: &SimConfig) -> (Duration, bool) {
        use rand::Rng;
        let mut rng = self
            .inner
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // 2^u for u uniform in [-1, 1): median factor 1, range [0.5, 2).
        let factor = 2f64.powf(rng.random_range(-1.0..1.0));
        let delay = config.latency.mul_f64(factor);
        let fail = config.failure_rate > 0.0 && rng.random::<f64>() < config.failure_rate;
        (delay, fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_json_uses_milliseconds_and_defaults() {
        let c: SimConfig =
            serde_json::from_str(r#"{"latency_ms":250,"unauthorised_procedures":["X"]}"#).unwrap();
        assert_eq!(c.latency, Duration::from_millis(250));
        assert_eq!(c.failure_rate, 0.0);
        assert_eq!(c.unauthorised_procedures, vec!["X".to_owned()]);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["latency_ms"], 250);
        assert!(serde_json::from_str::<SimConfig>(r#"{"latency":1}"#).is_err());
    }

    #[test]
    fn faults_follow_the_config() {
        let state = SimState::new(
            Population::synthetic(1, 1, Vec::new()),
            SimConfig::default(),
        );
        let always = SimConfig {
            latency: Duration::from_millis(100),
            failure_rate: 1.0,
            unauthorised_procedures: Vec::new(),
        };
        for _ in 0..50 {
            let (delay, fail) = state.draw_faults(&always);
            assert!(fail);
            assert!(delay >= Duration::from_millis(50) && delay < Duration::from_millis(200));
            assert_eq!(
                state.draw_faults(&SimConfig::default()),
                (Duration::ZERO, false)
            );
        }
    }
}
