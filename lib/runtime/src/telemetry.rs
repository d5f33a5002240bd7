//! Logs, metrics and the admin HTTP server (`/metrics`, `/health`).
//!
//! Metric names follow `dossier_<noun>_<unit>`; labels come from small closed sets
//! (stage, outcome, reason, channel), never a dossier id or personal data.

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::{
    counter::Counter, family::Family, gauge::Gauge, histogram::Histogram,
};
use prometheus_client::registry::Registry;
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

pub use crate::labels::*;
pub use crate::notify_metrics::{ChannelOutcome, EncodingLabel, NotifyMetrics};

fn latency_buckets() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

/// Every metric of a dossierflow process, registered once and shared by reference.
pub struct Metrics {
    registry: Registry,
    /// Messages handled per stage and outcome.
    pub stage_messages: Family<StageOutcome, Counter>,
    /// Handling time per message, decode to commit.
    pub stage_duration: Family<StageLabel, Histogram, fn() -> Histogram>,
    /// Records sent to the dead-letter topic.
    pub dead_letters: Family<DeadLetterLabels, Counter>,
    /// Records forwarded to a retry topic, per stage and level.
    pub retry_published: Family<RetryLabels, Counter>,
    /// 1 while a stage has paused consumption because a dependency is down.
    pub stage_paused: Family<StageLabel, Gauge>,
    /// Outbox rows published to Kafka.
    pub outbox_published: Counter,
    /// Failed relay rounds (broker or database unavailable).
    pub outbox_errors: Counter,
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
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::default();
        let m = Self {
            stage_messages: Family::default(),
            stage_duration: Family::new_with_constructor(latency_buckets),
            dead_letters: Family::default(),
            retry_published: Family::default(),
            stage_paused: Family::default(),
            outbox_published: Counter::default(),
            outbox_errors: Counter::default(),
            csdlqg_requests: Family::default(),
            csdlqg_duration: latency_buckets(),
            csdlqg_in_flight: Gauge::default(),
            csdlqg_concurrency_limit: Gauge::default(),
            csdlqg_circuit_state: Gauge::default(),
            csdlqg_circuit_transitions: Family::default(),
            csdlqg_retries: Counter::default(),
            csdlqg_rate_limited: Counter::default(),
            csdlqg_budget_exhausted: Counter::default(),
            csdlqg_cache_hits: Counter::default(),
            audit_failures: Counter::default(),
            overdue: Family::default(),
            webhook_deliveries: Family::default(),
            webhook_queue_age: Family::default(),
            agency_status_updates: Family::default(),
            intake_requests: Family::default(),
            notifications: Family::default(),
            notify: crate::notify_metrics::NotifyMetrics::register(&mut registry),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "dossier_stage_messages",
            "Messages handled per stage and outcome",
            m.stage_messages.clone(),
        );
        r.register(
            "dossier_stage_duration_seconds",
            "Time to handle one message, decode to commit",
            m.stage_duration.clone(),
        );
        r.register(
            "dossier_dead_letters",
            "Records sent to the dead-letter topic",
            m.dead_letters.clone(),
        );
        r.register(
            "dossier_retry_published",
            "Records forwarded to a retry topic",
            m.retry_published.clone(),
        );
        r.register(
            "dossier_stage_paused",
            "1 while a stage has paused consumption because a dependency is down",
            m.stage_paused.clone(),
        );
        r.register(
            "dossier_outbox_published",
            "Outbox rows published to Kafka",
            m.outbox_published.clone(),
        );
        r.register(
            "dossier_outbox_relay_errors",
            "Outbox relay rounds that failed",
            m.outbox_errors.clone(),
        );
        r.register(
            "dossier_csdlqg_requests",
            "CSDLQG lookups by outcome",
            m.csdlqg_requests.clone(),
        );
        r.register(
            "dossier_csdlqg_request_duration_seconds",
            "CSDLQG lookup latency per attempt",
            m.csdlqg_duration.clone(),
        );
        r.register(
            "dossier_csdlqg_in_flight",
            "CSDLQG calls in flight",
            m.csdlqg_in_flight.clone(),
        );
        r.register(
            "dossier_csdlqg_concurrency_limit",
            "Configured limit of CSDLQG calls in flight",
            m.csdlqg_concurrency_limit.clone(),
        );
        r.register(
            "dossier_csdlqg_circuit_state",
            "CSDLQG circuit breaker state: 0 closed, 1 open, 2 half-open",
            m.csdlqg_circuit_state.clone(),
        );
        r.register(
            "dossier_csdlqg_circuit_transitions",
            "CSDLQG circuit breaker transitions, by new state",
            m.csdlqg_circuit_transitions.clone(),
        );
        r.register(
            "dossier_csdlqg_retries",
            "In-process CSDLQG retries",
            m.csdlqg_retries.clone(),
        );
        r.register(
            "dossier_csdlqg_rate_limited",
            "CSDLQG lookups that waited for the contracted rate",
            m.csdlqg_rate_limited.clone(),
        );
        r.register(
            "dossier_csdlqg_retry_budget_exhausted",
            "CSDLQG retries refused by the retry budget",
            m.csdlqg_budget_exhausted.clone(),
        );
        r.register(
            "dossier_csdlqg_cache_hits",
            "CSDLQG lookups served from cache or coalesced",
            m.csdlqg_cache_hits.clone(),
        );
        r.register(
            "dossier_audit_failures",
            "Lookup audit rows that could not be written",
            m.audit_failures.clone(),
        );
        r.register(
            "dossier_overdue_dossiers",
            "Dossiers past their due date, per agency",
            m.overdue.clone(),
        );
        r.register(
            "dossier_webhook_deliveries",
            "Webhook deliveries per agency and outcome",
            m.webhook_deliveries.clone(),
        );
        r.register(
            "dossier_webhook_queue_age_seconds",
            "Age of the oldest undelivered webhook per agency",
            m.webhook_queue_age.clone(),
        );
        r.register(
            "dossier_agency_status_updates",
            "Status updates reported by agencies, by outcome",
            m.agency_status_updates.clone(),
        );
        r.register(
            "dossier_intake_requests",
            "Intake API submissions by outcome",
            m.intake_requests.clone(),
        );
        r.register(
            "dossier_notifications_queued",
            "Notifications queued per channel",
            m.notifications.clone(),
        );
        let build: Family<BuildLabels, Gauge> = Family::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        r.register("dossier_build_info", "Build information", build);
        Arc::new(Self { registry, ..m })
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

pub use crate::admin::{Health, serve_admin};
