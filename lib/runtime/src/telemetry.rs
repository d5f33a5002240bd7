//! Logs, metrics and the admin HTTP server (`/metrics`, `/health`).
//!
//! Metric names follow `dossier_<noun>_<unit>`; labels come from small closed sets
//! (stage, outcome, reason, channel), never a dossier id or personal data. Every metric
//! is registered through the [`catalogue`](crate::catalogue) (see `registration.rs`),
//! so `dossierflow metrics` and `ops/METRICS.md` list exactly what `/metrics` exposes.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::{
    counter::Counter, family::Family, gauge::Gauge, histogram::Histogram,
};
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global tracing subscriber. `RUST_LOG` overrides the default `info`.
pub fn init_logging(format: LogFormat) {
    init_logging_with(format, "info,rdkafka=warn,sqlx=warn");
}

/// Installs the global tracing subscriber with another default filter.
pub fn init_logging_with(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: keep the first subscriber.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

pub use crate::catalogue::{MetricDoc, MetricKind};
pub use crate::labels::*;
pub use crate::notify_metrics::{ChannelOutcome, EncodingLabel, NotifyMetrics};

/// A gauge holding a float (seconds).
pub type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric of a dossierflow process, registered once and shared by reference.
pub struct Metrics {
    pub(crate) catalogue: crate::catalogue::Catalogue,
    /// Messages handled per stage and outcome.
    pub stage_messages: Family<StageOutcome, Counter>,
    /// Handling time per message, decode to commit.
    pub stage_duration: Family<StageLabel, Histogram, fn() -> Histogram>,
    /// Records per group commit.
    pub stage_commit_group: Family<StageLabel, Histogram, fn() -> Histogram>,
    /// Records sent to the dead-letter topic.
    pub dead_letters: Family<DeadLetterLabels, Counter>,
    /// Records forwarded to a retry topic, per stage and level.
    pub retry_published: Family<RetryLabels, Counter>,
    /// 1 while a stage has paused consumption because a dependency is down.
    pub stage_paused: Family<StageLabel, Gauge>,
    /// Messages not yet consumed, per stage and topic, over the consumer's assigned
    /// partitions (librdkafka statistics).
    pub consumer_lag_messages: Family<StageTopic, Gauge>,
    /// Now minus the timestamp of the record a stage took last; 0 once it caught up.
    pub consumer_lag_seconds: Family<StageLabel, FloatGauge>,
    /// Outbox rows published to Kafka.
    pub outbox_published: Counter,
    /// Failed relay rounds (broker or database unavailable).
    pub outbox_errors: Counter,
    /// Outbox rows waiting to be published.
    pub outbox_backlog: Gauge,
    /// Age of the oldest outbox row, in seconds (0 when empty).
    pub outbox_oldest_age: FloatGauge,
    /// 1 while this process's relay publishes every row (it leads, or leadership is
    /// off), 0 while it stands by.
    pub outbox_relay_leading: Gauge,
    /// CSDLQG lookups by outcome.
    pub csdlqg_requests: Family<OutcomeLabel, Counter>,
    /// CSDLQG lookup latency, per attempt.
    pub csdlqg_duration: Histogram,
    /// CSDLQG calls in flight now.
    pub csdlqg_in_flight: Gauge,
    /// The configured limit of CSDLQG calls in flight.
    pub csdlqg_concurrency_limit: Gauge,
    /// Circuit breaker state: 0 closed, 1 open, 2 half-open.
    pub csdlqg_circuit_state: Gauge,
    /// Circuit breaker transitions into each state.
    pub csdlqg_circuit_transitions: Family<OutcomeLabel, Counter>,
    /// In-process CSDLQG retries.
    pub csdlqg_retries: Counter,
    /// Lookups that waited for the contracted rate limit.
    pub csdlqg_rate_limited: Counter,
    /// Retries refused because the retry budget was spent.
    pub csdlqg_budget_exhausted: Counter,
    /// Lookups answered from the short-lived cache or coalesced with an identical one.
    pub csdlqg_cache_hits: Counter,
    /// Lookup audit rows that could not be written.
    pub audit_failures: Counter,
    /// Rows of CSDLQG-derived personal data deleted by the retention job.
    pub retention_deleted: Counter,
    /// Dossiers past their due date and not finished, per agency.
    pub overdue: Family<AgencyLabel, Gauge>,
    /// Webhook deliveries per agency and outcome (`delivered`, `failed`, `dead_lettered`).
    pub webhook_deliveries: Family<AgencyOutcome, Counter>,
    /// Oldest undelivered webhook delivery age per agency, in seconds.
    pub webhook_queue_age: Family<AgencyLabel, Gauge>,
    /// Status updates reported by agencies, per outcome (`accepted`, `rejected`, `duplicate`).
    pub agency_status_updates: Family<OutcomeLabel, Counter>,
    /// Intake requests by outcome (`accepted`, `replayed`, `rejected`).
    pub intake_requests: Family<OutcomeLabel, Counter>,
    /// Notifications queued per channel.
    pub notifications: Family<ChannelLabel, Counter>,
    /// Notification sending: attempts, outcomes, queues, caps.
    pub notify: crate::notify_metrics::NotifyMetrics,
    /// Always 1, labelled with the crate version.
    pub build_info: Family<BuildLabels, Gauge>,
}

impl Metrics {
    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, self.catalogue.registry());
        out
    }

    /// Every registered metric, in registration order.
    pub fn catalogue(&self) -> &[MetricDoc] {
        self.catalogue.docs()
    }
}

pub use crate::admin::{Health, serve_admin};
