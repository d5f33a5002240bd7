//! The portal's side of parts c and d: generated dossiers (`producers::generate`, applicants
//! from the simulator's population) posted to the intake API with the portal token
//! (`producers::submit::send_one`), open loop: each submission has a scheduled time
//! (`i ÷ rate` after the start) and is sent then, with at most `concurrency` in flight.
//! The submit time recorded is the scheduled one, so a sender that falls behind (the
//! intake slows down, every slot is busy) shows as latency instead of hiding it
//! (coordinated omission). At `max` the schedule is "now": as fast as the slots allow.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dossierflow_csdlqg::sim::Population;
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate};
use dossierflow_producers::submit::{LOCAL_PORTAL_TOKEN, Outgoing, Sent, send_one};
use reqwest::Url;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::progress::Counter;

/// A monotonic instant's wall-clock time, as UTC epoch milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    at: Instant,
    ms: f64,
}

impl Clock {
    /// Pairs the monotonic clock with the wall clock now.
    pub fn now() -> Self {
        Self {
            at: Instant::now(),
            ms: chrono::Utc::now().timestamp_micros() as f64 / 1000.0,
        }
    }

    /// UTC epoch milliseconds of `i`.
    pub fn ms(&self, i: Instant) -> f64 {
        let ahead = i.saturating_duration_since(self.at).as_secs_f64();
        let behind = self.at.saturating_duration_since(i).as_secs_f64();
        self.ms + (ahead - behind) * 1000.0
    }
}

/// A step's submission rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// As fast as the bounded concurrency allows.
    Max,
    /// Dossiers per second, open loop.
    PerSecond(f64),
}

/// `max` or a positive number of dossiers per second.
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    if s.trim().eq_ignore_ascii_case("max") {
        return Ok(Rate::Max);
    }
    match s.trim().parse::<f64>() {
        Ok(r) if r > 0.0 && r.is_finite() => Ok(Rate::PerSecond(r)),
        _ => Err(format!(
            "{s:?} is neither `max` nor a positive rate per second"
        )),
    }
}

impl Rate {
    /// Per second, or `None` at `max`.
    pub fn per_second(self) -> Option<f64> {
        match self {
            Rate::Max => None,
            Rate::PerSecond(r) => Some(r),
        }
    }

    /// `max rate` or `<r>/s`.
    pub fn label(self) -> String {
        match self {
            Rate::Max => "max rate".into(),
            Rate::PerSecond(r) => format!("{r}/s"),
        }
    }
}

/// How to submit.
#[derive(Debug, Clone)]
pub struct Load {
    /// Submissions per second; `None`: as fast as `concurrency` allows.
    pub rate: Option<f64>,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// No submission starts after this.
    pub deadline: Instant,
}

/// What was submitted.
#[derive(Debug, Clone, Default)]
pub struct Submitted {
    /// Accepted dossier id → submit time (UTC epoch ms; the scheduled time).
    pub accepted: HashMap<Uuid, f64>,
    /// Answered 4xx (a generated dossier is valid: this is a fault).
    pub rejected: u64,
    /// Not accepted after `send_one`'s retries.
    pub failed: u64,
    /// Not sent: the time limit came first.
    pub unsent: u64,
    /// The first submission's time (UTC epoch ms).
    pub first_ms: f64,
    /// When the last answer arrived (UTC epoch ms).
    pub last_answer_ms: f64,
    /// The largest delay of a send behind its schedule, ms.
    pub max_lag_ms: f64,
}

impl Submitted {
    /// Accepted submissions per second, from the first scheduled send to the last answer.
    pub fn rate(&self) -> f64 {
        let secs = (self.last_answer_ms - self.first_ms) / 1000.0;
        self.accepted.len() as f64 / secs.max(1e-9)
    }
}

/// `n` generated submissions whose applicants live in `pop` (the simulator's population),
/// with unique idempotency keys for `seed`.
pub fn dossiers(
    pop: &Population,
    catalog: &Catalog,
    n: usize,
    seed: u64,
    mix: Mix,
) -> Vec<Outgoing> {
    generate(pop, catalog, n, seed, mix)
        .into_iter()
        .map(|g| Outgoing {
            body: g.body,
            idempotency_key: g.idempotency_key,
        })
        .collect()
}

/// Sends `items` to `{api}/v1/dossiers` as `load` says; counts acceptances in `sent`.
pub async fn submit(
    api: &Url,
    items: Vec<Outgoing>,
    load: &Load,
    sent: &Counter,
) -> anyhow::Result<Submitted> {
    let url = api.join("v1/dossiers")?;
    let slots = load.concurrency.max(1);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(slots)
        .build()?;
    let permits = Arc::new(Semaphore::new(slots));
    let clock = Clock::now();
    let mut out = Submitted {
        first_ms: f64::MAX,
        ..Submitted::default()
    };
    let total = items.len();
    let mut tasks = JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let planned = load
            .rate
            .map(|r| clock.at + Duration::from_secs_f64(i as f64 / r.max(1e-3)));
        if let Some(at) = planned {
            if at >= load.deadline {
                out.unsent = (total - i) as u64;
                break;
            }
            tokio::time::sleep_until(at.into()).await;
        }
        let permit = permits.clone().acquire_owned().await?;
        let now = Instant::now();
        if now >= load.deadline {
            out.unsent = (total - i) as u64;
            break;
        }
        let scheduled = planned.unwrap_or(now);
        let lag = now.saturating_duration_since(scheduled).as_secs_f64() * 1000.0;
        out.max_lag_ms = out.max_lag_ms.max(lag);
        let at = clock.ms(scheduled);
        out.first_ms = out.first_ms.min(at);
        let (client, url, sent) = (client.clone(), url.clone(), sent.clone());
        tasks.spawn(async move {
            let r = send_one(&client, &url, LOCAL_PORTAL_TOKEN, &item).await;
            drop(permit);
            if matches!(r, Sent::Accepted(_)) {
                sent.fetch_add(1, Ordering::Relaxed);
            }
            (r, at, Instant::now())
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (r, at, answered) = done?;
        out.last_answer_ms = out.last_answer_ms.max(clock.ms(answered));
        match r {
            Sent::Accepted(id) => {
                out.accepted.insert(id, at);
            }
            Sent::Rejected(status, _) => {
                out.rejected += 1;
                tracing::warn!(status, "a generated dossier was rejected by the intake");
            }
            Sent::Failed(_) => out.failed += 1,
        }
    }
    if out.first_ms == f64::MAX {
        out.first_ms = clock.ms(clock.at);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{Rate, parse_rate};

    #[test]
    fn rates_parse_as_max_or_positive_numbers() {
        assert_eq!(parse_rate("max"), Ok(Rate::Max));
        assert_eq!(parse_rate(" MAX "), Ok(Rate::Max));
        assert_eq!(parse_rate("200"), Ok(Rate::PerSecond(200.0)));
        assert_eq!(Rate::PerSecond(2.5).label(), "2.5/s");
        assert_eq!(Rate::Max.per_second(), None);
        for bad in ["0", "-5", "fast", "inf", ""] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }
}
