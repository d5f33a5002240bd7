//! Registration of every metric of [`Metrics`], through the [`Catalogue`] so that each
//! one is documented as it is registered: area, name as exposed, unit and help are the
//! constants below; field order in [`Metrics::new`] is registration order.

use std::sync::Arc;

use prometheus_client::metrics::{
    counter::Counter, family::Family, gauge::Gauge, histogram::Histogram,
};

use crate::catalogue::{Area::*, Catalogue, Spec};
use crate::labels::BuildLabels;
use crate::notify_metrics::NotifyMetrics;
use crate::telemetry::Metrics;

const STAGE_MESSAGES: Spec = (
    Stages,
    "dossier_stage_messages_total",
    "messages",
    "Messages handled per stage and outcome",
);
const STAGE_DURATION: Spec = (
    Stages,
    "dossier_stage_duration_seconds",
    "seconds",
    "Time to handle one message, decode to commit",
);
const STAGE_COMMIT_GROUP: Spec = (
    Stages,
    "dossier_stage_commit_group_size",
    "records",
    "Records that shared one database commit (group commit), per stage",
);
const DEAD_LETTERS: Spec = (
    Stages,
    "dossier_dead_letters_total",
    "records",
    "Records sent to the dead-letter topic",
);
const RETRY_PUBLISHED: Spec = (
    Stages,
    "dossier_retry_published_total",
    "records",
    "Records forwarded to a retry topic",
);
const STAGE_PAUSED: Spec = (
    Stages,
    "dossier_stage_paused",
    "1",
    "1 while a stage has paused consumption because a dependency is down",
);
const CONSUMER_LAG_MESSAGES: Spec = (
    Consumers,
    "dossier_consumer_lag_messages",
    "messages",
    "Messages not yet consumed on the consumer's assigned partitions (librdkafka stats)",
);
const CONSUMER_LAG_SECONDS: Spec = (
    Consumers,
    "dossier_consumer_lag_seconds",
    "seconds",
    "Now minus the timestamp of the record the stage took last; 0 once caught up",
);
const OUTBOX_PUBLISHED: Spec = (
    Outbox,
    "dossier_outbox_published_total",
    "rows",
    "Outbox rows published to Kafka",
);
const OUTBOX_ERRORS: Spec = (
    Outbox,
    "dossier_outbox_relay_errors_total",
    "rounds",
    "Outbox relay rounds that failed",
);
const OUTBOX_BACKLOG: Spec = (
    Outbox,
    "dossier_outbox_backlog",
    "rows",
    "Outbox rows waiting to be published",
);
const OUTBOX_OLDEST_AGE: Spec = (
    Outbox,
    "dossier_outbox_oldest_age_seconds",
    "seconds",
    "Age of the oldest outbox row (0 when empty)",
);
const OUTBOX_RELAY_LEADING: Spec = (
    Outbox,
    "dossier_outbox_relay_leading",
    "1",
    "1 while this process's outbox relay leads (publishes every row); 0 on standby or with no relay",
);
const CSDLQG_REQUESTS: Spec = (
    Csdlqg,
    "dossier_csdlqg_requests_total",
    "requests",
    "CSDLQG lookups by outcome",
);
const CSDLQG_DURATION: Spec = (
    Csdlqg,
    "dossier_csdlqg_request_duration_seconds",
    "seconds",
    "CSDLQG lookup latency per attempt",
);
const CSDLQG_IN_FLIGHT: Spec = (
    Csdlqg,
    "dossier_csdlqg_in_flight",
    "requests",
    "CSDLQG calls in flight",
);
const CSDLQG_CONCURRENCY_LIMIT: Spec = (
    Csdlqg,
    "dossier_csdlqg_concurrency_limit",
    "requests",
    "Configured limit of CSDLQG calls in flight",
);
const CSDLQG_CIRCUIT_STATE: Spec = (
    Csdlqg,
    "dossier_csdlqg_circuit_state",
    "1",
    "CSDLQG circuit breaker state: 0 closed, 1 open, 2 half-open",
);
const CSDLQG_CIRCUIT_TRANSITIONS: Spec = (
    Csdlqg,
    "dossier_csdlqg_circuit_transitions_total",
    "transitions",
    "CSDLQG circuit breaker transitions, by new state",
);
const CSDLQG_RETRIES: Spec = (
    Csdlqg,
    "dossier_csdlqg_retries_total",
    "requests",
    "In-process CSDLQG retries",
);
const CSDLQG_RATE_LIMITED: Spec = (
    Csdlqg,
    "dossier_csdlqg_rate_limited_total",
    "requests",
    "CSDLQG lookups that waited for the contracted rate",
);
const CSDLQG_BUDGET_EXHAUSTED: Spec = (
    Csdlqg,
    "dossier_csdlqg_retry_budget_exhausted_total",
    "requests",
    "CSDLQG retries refused by the retry budget",
);
const CSDLQG_CACHE_HITS: Spec = (
    Csdlqg,
    "dossier_csdlqg_cache_hits_total",
    "requests",
    "CSDLQG lookups served from cache or coalesced",
);
const AUDIT_FAILURES: Spec = (
    Audit,
    "dossier_audit_failures_total",
    "rows",
    "Lookup audit rows that could not be written",
);
const RETENTION_DELETED: Spec = (
    Audit,
    "dossier_retention_deleted_rows_total",
    "rows",
    "CSDLQG-derived rows deleted by retention (citizen data, staged records, sealed IDs)",
);
const OVERDUE: Spec = (
    Agencies,
    "dossier_overdue_dossiers",
    "dossiers",
    "Dossiers past their due date, per agency",
);
const WEBHOOK_DELIVERIES: Spec = (
    Agencies,
    "dossier_webhook_deliveries_total",
    "deliveries",
    "Webhook deliveries per agency and outcome",
);
const WEBHOOK_QUEUE_AGE: Spec = (
    Agencies,
    "dossier_webhook_queue_age_seconds",
    "seconds",
    "Age of the oldest undelivered webhook per agency",
);
const AGENCY_STATUS_UPDATES: Spec = (
    Agencies,
    "dossier_agency_status_updates_total",
    "updates",
    "Status updates reported by agencies, by outcome",
);
const INTAKE_REQUESTS: Spec = (
    Intake,
    "dossier_intake_requests_total",
    "requests",
    "Intake API submissions by outcome",
);
const NOTIFICATIONS: Spec = (
    Notifications,
    "dossier_notifications_queued_total",
    "notifications",
    "Notifications queued per channel",
);
const BUILD_INFO: Spec = (
    Build,
    "dossier_build_info",
    "1",
    "Build information: always 1, labelled with the version",
);

fn latency_buckets() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

fn group_buckets() -> Histogram {
    Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0])
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Arc<Self> {
        let mut c = Catalogue::default();
        let m = Self {
            stage_messages: c.add(STAGE_MESSAGES, Family::default()),
            stage_duration: c.add(
                STAGE_DURATION,
                Family::new_with_constructor(latency_buckets),
            ),
            stage_commit_group: c.add(
                STAGE_COMMIT_GROUP,
                Family::new_with_constructor(group_buckets),
            ),
            dead_letters: c.add(DEAD_LETTERS, Family::default()),
            retry_published: c.add(RETRY_PUBLISHED, Family::default()),
            stage_paused: c.add(STAGE_PAUSED, Family::default()),
            consumer_lag_messages: c.add(CONSUMER_LAG_MESSAGES, Family::default()),
            consumer_lag_seconds: c.add(CONSUMER_LAG_SECONDS, Family::default()),
            outbox_published: c.add(OUTBOX_PUBLISHED, Counter::default()),
            outbox_errors: c.add(OUTBOX_ERRORS, Counter::default()),
            outbox_backlog: c.add(OUTBOX_BACKLOG, Gauge::default()),
            outbox_oldest_age: c.add(OUTBOX_OLDEST_AGE, Gauge::default()),
            outbox_relay_leading: c.add(OUTBOX_RELAY_LEADING, Gauge::default()),
            csdlqg_requests: c.add(CSDLQG_REQUESTS, Family::default()),
            csdlqg_duration: c.add(CSDLQG_DURATION, latency_buckets()),
            csdlqg_in_flight: c.add(CSDLQG_IN_FLIGHT, Gauge::default()),
            csdlqg_concurrency_limit: c.add(CSDLQG_CONCURRENCY_LIMIT, Gauge::default()),
            csdlqg_circuit_state: c.add(CSDLQG_CIRCUIT_STATE, Gauge::default()),
            csdlqg_circuit_transitions: c.add(CSDLQG_CIRCUIT_TRANSITIONS, Family::default()),
            csdlqg_retries: c.add(CSDLQG_RETRIES, Counter::default()),
            csdlqg_rate_limited: c.add(CSDLQG_RATE_LIMITED, Counter::default()),
            csdlqg_budget_exhausted: c.add(CSDLQG_BUDGET_EXHAUSTED, Counter::default()),
            csdlqg_cache_hits: c.add(CSDLQG_CACHE_HITS, Counter::default()),
            audit_failures: c.add(AUDIT_FAILURES, Counter::default()),
            retention_deleted: c.add(RETENTION_DELETED, Counter::default()),
            overdue: c.add(OVERDUE, Family::default()),
            webhook_deliveries: c.add(WEBHOOK_DELIVERIES, Family::default()),
            webhook_queue_age: c.add(WEBHOOK_QUEUE_AGE, Family::default()),
            agency_status_updates: c.add(AGENCY_STATUS_UPDATES, Family::default()),
            intake_requests: c.add(INTAKE_REQUESTS, Family::default()),
            notifications: c.add(NOTIFICATIONS, Family::default()),
            notify: NotifyMetrics::register(&mut c),
            build_info: c.add(BUILD_INFO, Family::default()),
            catalogue: c,
        };
        m.build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        Arc::new(m)
    }
}
