//! The loop every stage runs: consume → decode → handle → store the offset.
//!
//! Guarantees:
//! - an offset is stored only when the record and every earlier record of its partition
//!   were handled (their transactions committed) or durably forwarded to a retry or
//!   dead-letter topic, so a crash re-delivers and never skips; with `concurrency > 1`
//!   many records are in flight and the stored offset never passes the lowest unfinished;
//! - records with the same Kafka key (one dossier) are handled one after another in
//!   offset order ([`keys`]), whatever the concurrency;
//! - a transient failure (database down) is retried in process with exponential back-off
//!   and jitter, holding the record;
//! - while a dependency is unavailable ([`Stage::paused_for`], e.g. an open circuit) the
//!   stage **pauses its partitions** and keeps polling; records in flight wait — no valid
//!   record is dead-lettered because a dependency is down;
//! - a record whose dependency still fails after its own retries ([`StageError::Deferred`])
//!   goes to the stage's retry topics (`<topic>.<stage>-retry-<n>`, one per configured
//!   delay, each read by a delayed consumer that waits until the record is due) and to
//!   the dead-letter topic after the last one;
//! - an undecodable, wrong-version or invalid record goes to the dead-letter topic with
//!   headers saying why, and the stage moves on.

mod consume;
mod forward;
mod guard;
pub mod keys;
pub mod offsets;
mod process;

use std::sync::Arc;
use std::time::Duration;

use dossierflow_schemas::{Envelope, Event};
use rdkafka::producer::FutureProducer;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use guard::{DeadLetterGuard, DeadLetterLimit};

use crate::config::KafkaArgs;
use crate::telemetry::Metrics;

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
    /// Try again in process (database or broker unavailable).
    #[error("transient failure: {0:#}")]
    Transient(#[from] anyhow::Error),
    /// A dependency kept failing after its own retries: hand the record to the next
    /// retry topic (dead-letter after the last).
    #[error("deferred ({reason}): {message}")]
    Deferred {
        /// Error class.
        reason: &'static str,
        /// Explanation without personal data.
        message: String,
    },
    /// A dependency is unavailable for a while (circuit open): wait, then try the same
    /// record again without counting an attempt.
    #[error("dependency unavailable; retry in {retry_in:?}")]
    Unavailable {
        /// When to try again.
        retry_in: Duration,
    },
}

impl From<crate::commit_group::CommitError> for StageError {
    fn from(e: crate::commit_group::CommitError) -> Self {
        Self::Transient(e.into())
    }
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
    async fn handle(
        &self,
        event: &Envelope<Self::Input>,
        delivery: Delivery,
    ) -> Result<(), StageError>;
    /// Records handled concurrently from the main topic; `None` takes the process's
    /// `--stage-concurrency`. Records with the same Kafka key are always handled one
    /// after another, in offset order.
    fn concurrency(&self) -> Option<usize> {
        None
    }
    /// `Some(d)` while a dependency is known to be down: consumption pauses for about `d`.
    fn paused_for(&self) -> Option<Duration> {
        None
    }
    /// Whether [`StageError::Deferred`] records go through retry topics (else straight
    /// to the dead-letter topic).
    fn uses_retry_topics(&self) -> bool {
        false
    }
}

/// How a record reached the stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Stage-level attempt, 1-based: 1 from the main topic, n + 1 from retry topic n.
    pub attempt: u32,
}

/// What the loops need besides the stage.
#[derive(Clone)]
pub struct StageContext {
    /// Bootstrap servers.
    pub brokers: String,
    /// Topic names and groups.
    pub kafka: KafkaArgs,
    /// Producer for retry and dead-letter records.
    pub producer: FutureProducer,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
    /// Delay of each retry topic, in order (`Deferred` records walk through them).
    pub retry_delays: Vec<Duration>,
    /// Bad-deploy protection: when a stage stops instead of dead-lettering.
    pub dead_letter_limit: DeadLetterLimit,
    /// The running stage's guard (set by [`run`] for each stage).
    pub guard: Arc<DeadLetterGuard>,
    /// Records handled at once when the stage does not set its own
    /// ([`Stage::concurrency`]).
    pub concurrency: usize,
}

/// The retry topic of a stage at `level` (1-based).
pub fn retry_topic(kafka: &KafkaArgs, input_type: &str, stage: &str, level: usize) -> String {
    kafka.topic(&format!("{input_type}.{stage}-retry-{level}"))
}

/// Runs a stage — its main consumer and, if it uses them, one delayed consumer per retry
/// topic — until shutdown, then commits the stored offsets.
pub async fn run<S: Stage>(stage: Arc<S>, ctx: StageContext) -> anyhow::Result<()> {
    let mut ctx = ctx;
    ctx.guard = Arc::new(DeadLetterGuard::new(ctx.dead_letter_limit));
    let mut loops = JoinSet::new();
    loops.spawn(consume::run(stage.clone(), ctx.clone(), 0));
    if stage.uses_retry_topics() {
        for level in 1..=ctx.retry_delays.len() {
            loops.spawn(consume::run(stage.clone(), ctx.clone(), level));
        }
    }
    let mut result = Ok(());
    while let Some(r) = loops.join_next().await {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(e) => result = Err(e.into()),
        }
        if result.is_err() {
            ctx.shutdown.cancel();
        }
    }
    if ctx.guard.tripped() {
        let l = ctx.dead_letter_limit;
        anyhow::bail!(
            "stage {} stopped: a dead letter would have made more than {:.0} % of its last {} records \
             (bad-deploy protection; the records stay in Kafka, see --dead-letter-max-ratio)",
            S::NAME,
            l.max_ratio * 100.0,
            l.window
        );
    }
    result
}
