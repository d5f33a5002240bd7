//! The loop every stage runs: consume → decode → handle → store the offset.
//!
//! Guarantees:
//! - an offset is stored only after `handle` returned (its transaction committed) or
//!   the record was durably dead-lettered, so a crash re-delivers, never skips;
//! - a transient failure (database or dependency down) is retried with exponential
//!   back-off and jitter, holding the partition rather than dead-lettering valid work;
//! - an undecodable, wrong-version or invalid record goes to the dead-letter topic with
//!   headers saying why, and the stage moves on.
//!
//! Records are handled one at a time per process; the stages are idempotent (inbox), so
//! running several processes of a stage in one group scales them out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use dossierflow_schemas::{DecodeError, Envelope, Event, topics};
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::KafkaArgs;
use crate::telemetry::{DeadLetterLabels, Metrics, StageLabel, StageOutcome};

/// How a stage failed to handle a record.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The record can never be handled: dead-letter it and move on.
    #[error("{reason}: {message}")]
    Invalid {
        /// Error class for the `dlq_error_class` header and metric label.
        reason: &'static str,
        /// Operator-readable explanation without personal data.
        message: String,
    },
    /// Try again later (database, broker or dependency unavailable).
    #[error("transient failure: {0:#}")]
    Transient(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StageError {
    fn from(e: sqlx::Error) -> Self {
        Self::Transient(e.into())
    }
}

/// A pipeline stage: the business logic behind one consumer group.
#[async_trait::async_trait]
pub trait Stage: Send + Sync + 'static {
    /// The event type it consumes.
    type Input: Event + Send + Sync;
    /// Stage name: consumer group suffix, inbox consumer name, metric label.
    const NAME: &'static str;
    /// Applies one event durably. Must be idempotent on `event.id`.
    async fn handle(&self, event: &Envelope<Self::Input>) -> Result<(), StageError>;
}

/// What the loop needs besides the stage.
#[derive(Clone)]
pub struct StageContext {
    /// Bootstrap servers.
    pub brokers: String,
    /// Topic names and groups.
    pub kafka: KafkaArgs,
    /// Producer for dead-letter records.
    pub producer: FutureProducer,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
}

/// Runs a stage until shutdown, then commits the stored offsets.
pub async fn run<S: Stage>(stage: Arc<S>, ctx: StageContext) -> anyhow::Result<()> {
    let topic = ctx.kafka.topic(S::Input::TYPE);
    let group = ctx.kafka.group(S::NAME);
    let consumer = crate::kafka::consumer(&ctx.brokers, &group)?;
    consumer
        .subscribe(&[&topic])
        .map_err(|e| anyhow::anyhow!("cannot subscribe to {topic}: {e}"))?;
    tracing::info!(stage = S::NAME, %topic, %group, "stage started");
    loop {
        let msg = tokio::select! {
            _ = ctx.shutdown.cancelled() => break,
            m = consumer.recv() => m,
        };
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(stage = S::NAME, error = %e, "consumer error; continuing");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let span = tracing::info_span!(
            "message",
            stage = S::NAME,
            topic = msg.topic(),
            partition = msg.partition(),
            offset = msg.offset()
        );
        if !process(&*stage, &ctx, &group, &msg).instrument(span).await {
            break; // shutdown while retrying: the offset stays unstored
        }
        consumer
            .store_offset_from_message(&msg)
            .map_err(|e| anyhow::anyhow!("cannot store offset: {e}"))?;
    }
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        // Nothing stored since the last auto-commit is not an error worth reporting.
        tracing::debug!(stage = S::NAME, error = %e, "final commit");
    }
    tracing::info!(stage = S::NAME, "stage stopped");
    Ok(())
}

/// Handles one record. Returns `false` when shutdown interrupted the retries.
async fn process<S: Stage>(
    stage: &S,
    ctx: &StageContext,
    group: &str,
    msg: &BorrowedMessage<'_>,
) -> bool {
    let started = Instant::now();
    let headers: Vec<(&str, &[u8])> = msg
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| (h.key, h.value.unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let event = match Envelope::<S::Input>::decode(headers, msg.payload().unwrap_or_default()) {
        Ok(ev) => ev,
        Err(e) => {
            let reason = match e {
                DecodeError::WrongType { .. } => "wrong_type",
                _ => "undecodable",
            };
            return dead_letter::<S>(ctx, group, msg, reason, &e.to_string()).await;
        }
    };
    let mut delays = ExponentialBuilder::default()
        .with_jitter()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(10))
        .without_max_times()
        .build();
    let outcome = loop {
        match stage.handle(&event).await {
            Ok(()) => break "processed",
            Err(StageError::Invalid { reason, message }) => {
                return dead_letter::<S>(ctx, group, msg, reason, &message).await;
            }
            Err(StageError::Transient(e)) => {
                let delay = delays.next().unwrap_or(Duration::from_secs(10));
                ctx.metrics
                    .stage_messages
                    .get_or_create(&StageOutcome {
                        stage: S::NAME,
                        outcome: "retried",
                    })
                    .inc();
                tracing::warn!(error = %format!("{e:#}"), ?delay, "transient failure; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = ctx.shutdown.cancelled() => return false,
                }
            }
        }
    };
    ctx.metrics
        .stage_messages
        .get_or_create(&StageOutcome {
            stage: S::NAME,
            outcome,
        })
        .inc();
    ctx.metrics
        .stage_duration
        .get_or_create(&StageLabel { stage: S::NAME })
        .observe(started.elapsed().as_secs_f64());
    true
}

/// Sends the original record to the dead-letter topic with headers saying why, waiting
/// for the acknowledgement. Retries until it is durable or shutdown.
async fn dead_letter<S: Stage>(
    ctx: &StageContext,
    group: &str,
    msg: &BorrowedMessage<'_>,
    reason: &'static str,
    message: &str,
) -> bool {
    tracing::warn!(reason, message, "dead-lettering record");
    let topic = ctx.kafka.topic(topics::DEAD_LETTER);
    let failed_at = chrono::Utc::now().to_rfc3339();
    let (partition, offset) = (msg.partition().to_string(), msg.offset().to_string());
    let mut headers = OwnedHeaders::new();
    if let Some(original) = msg.headers() {
        for h in original.iter() {
            headers = headers.insert(Header {
                key: h.key,
                value: h.value,
            });
        }
    }
    for (key, value) in [
        ("dlq_original_topic", msg.topic()),
        ("dlq_original_partition", partition.as_str()),
        ("dlq_original_offset", offset.as_str()),
        ("dlq_consumer_group", group),
        ("dlq_stage", S::NAME),
        ("dlq_error_class", reason),
        ("dlq_error_message", message),
        ("dlq_failed_at", failed_at.as_str()),
    ] {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_bytes()),
        });
    }
    loop {
        let mut record = FutureRecord::to(&topic)
            .payload(msg.payload().unwrap_or_default())
            .headers(headers.clone());
        if let Some(key) = msg.key() {
            record = record.key(key);
        }
        match ctx
            .producer
            .send(record, Timeout::After(Duration::from_secs(30)))
            .await
        {
            Ok(_) => break,
            Err((e, _)) => {
                tracing::warn!(error = %e, "dead-letter produce failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = ctx.shutdown.cancelled() => return false,
                }
            }
        }
    }
    ctx.metrics
        .dead_letters
        .get_or_create(&DeadLetterLabels {
            stage: S::NAME,
            reason,
        })
        .inc();
    ctx.metrics
        .stage_messages
        .get_or_create(&StageOutcome {
            stage: S::NAME,
            outcome: "dead_lettered",
        })
        .inc();
    true
}
