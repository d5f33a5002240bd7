//! The simulator's fault-injection settings and their JSON admin form.
//!
//! JSON (all fields optional; durations in milliseconds):
//!
//! ```json
//! { "latency_ms": 40, "latency_p99_ms": 120, "failure_rate": 0.0,
//!   "error_rates": { "timeout": 0.0, "server_error": 0.0, "too_many_requests": 0.0 },
//!   "timeout_hold_ms": 30000, "outage": false,
//!   "outage_windows": [{ "start_ms": 10000, "end_ms": 20000 }],
//!   "rate_limit_per_second": null, "unauthorised_procedures": [], "bearer_token": null }
//! ```
//!
//! A full document ([`SimConfig`]'s `Deserialize`) gives missing fields their
//! defaults. `POST /admin/config` instead applies the body as a JSON merge
//! patch (RFC 7386) to the current config: missing fields keep their current
//! values, nested objects merge, and `null` resets a field to its default.
//! Unknown fields are refused either way.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Fault injection settings, changeable at runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "SimConfigJson", into = "SimConfigJson")]
pub struct SimConfig {
    /// Median added latency (log-normal; zero = none).
    pub latency: Duration,
    /// 99th percentile of the added latency; `None` = 3 × [`latency`](Self::latency).
    pub latency_p99: Option<Duration>,
    /// Legacy knob: fraction of requests answered `503` with `Retry-After: 1`.
    pub failure_rate: f64,
    /// Fractions of requests failing with each injected error class.
    pub error_rates: ErrorRates,
    /// How long an injected timeout holds the request before answering 504.
    pub timeout_hold: Duration,
    /// While true, every lookup is answered 503 at once (a full outage).
    pub outage: bool,
    /// Outages scheduled relative to the simulator's start.
    pub outage_windows: Vec<OutageWindow>,
    /// Lookups admitted per one-second window; the rest get 429 + `Retry-After`.
    pub rate_limit_per_second: Option<u32>,
    /// `MaDVC` values answered with vendor error `004` (procedure not licensed).
    pub unauthorised_procedures: Vec<String>,
    /// The only bearer token the JSON API accepts; `None` accepts any non-empty one.
    pub bearer_token: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            latency_p99: None,
            failure_rate: 0.0,
            error_rates: ErrorRates::default(),
            timeout_hold: Duration::from_secs(30),
            outage: false,
            outage_windows: Vec::new(),
            rate_limit_per_second: None,
            unauthorised_procedures: Vec::new(),
            bearer_token: None,
        }
    }
}

/// Per-class error rates (each 0.0–1.0). One uniform draw per request picks
/// at most one class, in field order, so rates summing past 1 crowd out the
/// later classes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErrorRates {
    /// Held for `timeout_hold`, then answered 504.
    pub timeout: f64,
    /// Answered 500 or 503 (half each).
    pub server_error: f64,
    /// Answered 429 with `Retry-After: 1`.
    pub too_many_requests: f64,
}

/// A scheduled outage, `[start, end)` since the simulator started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "WindowJson", into = "WindowJson")]
pub struct OutageWindow {
    /// When the outage begins.
    pub start: Duration,
    /// When it ends (exclusive).
    pub end: Duration,
}

impl OutageWindow {
    /// Whether `uptime` falls inside the window.
    pub fn contains(&self, uptime: Duration) -> bool {
        self.start <= uptime && uptime < self.end
    }
}

/// Why a config was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not a JSON object of the expected fields.
    #[error("invalid simulator config: {0}")]
    Invalid(String),
    /// A value is out of range.
    #[error("simulator config out of range: {0}")]
    OutOfRange(&'static str),
}

impl SimConfig {
    /// The median and p99 of the added latency.
    pub fn latency_percentiles(&self) -> (Duration, Duration) {
        let p99 = self.latency_p99.unwrap_or(self.latency * 3);
        (self.latency, p99.max(self.latency))
    }

    /// Whether an outage is active `uptime` after the simulator started.
    pub fn outage_at(&self, uptime: Duration) -> bool {
        self.outage || self.outage_windows.iter().any(|w| w.contains(uptime))
    }

    /// Checks ranges: rates in 0–1, p99 ≥ median, windows non-empty, rate limit > 0.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let r = &self.error_rates;
        let rates = [
            (self.failure_rate, "failure_rate must be between 0 and 1"),
            (r.timeout, "error_rates.timeout must be between 0 and 1"),
            (
                r.server_error,
                "error_rates.server_error must be between 0 and 1",
            ),
            (
                r.too_many_requests,
                "error_rates.too_many_requests must be between 0 and 1",
            ),
        ];
        for (rate, message) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ConfigError::OutOfRange(message));
            }
        }
        if self.latency_p99.is_some_and(|p99| p99 < self.latency) {
            return Err(ConfigError::OutOfRange(
                "latency_p99_ms must be >= latency_ms",
            ));
        }
        if self.outage_windows.iter().any(|w| w.start >= w.end) {
            return Err(ConfigError::OutOfRange(
                "each outage window must end after it starts",
            ));
        }
        if self.rate_limit_per_second == Some(0) {
            return Err(ConfigError::OutOfRange(
                "rate_limit_per_second must be positive",
            ));
        }
        Ok(())
    }

    /// This config with `patch` applied as a JSON merge patch, validated.
    pub fn merged(&self, patch: &serde_json::Value) -> Result<SimConfig, ConfigError> {
        if !patch.is_object() {
            return Err(ConfigError::Invalid("expected a JSON object".into()));
        }
        let mut doc =
            serde_json::to_value(self).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        merge_patch(&mut doc, patch);
        let config: SimConfig =
            serde_json::from_value(doc).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }
}

/// RFC 7386: objects merge recursively, `null` removes, anything else replaces.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(
                    map.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SimConfigJson {
    latency_ms: u64,
    latency_p99_ms: Option<u64>,
    failure_rate: f64,
    error_rates: ErrorRates,
    timeout_hold_ms: u64,
    outage: bool,
    outage_windows: Vec<OutageWindow>,
    rate_limit_per_second: Option<u32>,
    unauthorised_procedures: Vec<String>,
    bearer_token: Option<String>,
}

impl Default for SimConfigJson {
    fn default() -> Self {
        SimConfig::default().into()
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl From<SimConfigJson> for SimConfig {
    fn from(j: SimConfigJson) -> Self {
        Self {
            latency: Duration::from_millis(j.latency_ms),
            latency_p99: j.latency_p99_ms.map(Duration::from_millis),
            failure_rate: j.failure_rate,
            error_rates: j.error_rates,
            timeout_hold: Duration::from_millis(j.timeout_hold_ms),
            outage: j.outage,
            outage_windows: j.outage_windows,
            rate_limit_per_second: j.rate_limit_per_second,
            unauthorised_procedures: j.unauthorised_procedures,
            bearer_token: j.bearer_token,
        }
    }
}

impl From<SimConfig> for SimConfigJson {
    fn from(c: SimConfig) -> Self {
        Self {
            latency_ms: millis(c.latency),
            latency_p99_ms: c.latency_p99.map(millis),
            failure_rate: c.failure_rate,
            error_rates: c.error_rates,
            timeout_hold_ms: millis(c.timeout_hold),
            outage: c.outage,
            outage_windows: c.outage_windows,
            rate_limit_per_second: c.rate_limit_per_second,
            unauthorised_procedures: c.unauthorised_procedures,
            bearer_token: c.bearer_token,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowJson {
    start_ms: u64,
    end_ms: u64,
}

impl From<WindowJson> for OutageWindow {
    fn from(w: WindowJson) -> Self {
        Self {
            start: Duration::from_millis(w.start_ms),
            end: Duration::from_millis(w.end_ms),
        }
    }
}

impl From<OutageWindow> for WindowJson {
    fn from(w: OutageWindow) -> Self {
        Self {
            start_ms: millis(w.start),
            end_ms: millis(w.end),
        }
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
