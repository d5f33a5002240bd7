//! Handling one record: decode, wait until due (retry topics), handle, and dispose of
//! the outcome. Returns `false` only when shutdown interrupted it.

use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use dossierflow_schemas::{DecodeError, Envelope};
use rdkafka::Message;
use rdkafka::message::{Headers, OwnedMessage};

use super::forward::{Failure, header, to_retry};
use super::{Delivery, Stage, StageContext, StageError};
use crate::telemetry::{StageLabel, StageOutcome};

pub(super) async fn process<S: Stage>(
    stage: &S,
    ctx: &StageContext,
    msg: &OwnedMessage,
    level: usize,
) -> bool {
    let started = Instant::now();
    if level > 0 && !wait_until_due(ctx, msg).await {
        return false;
    }
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
            return guarded_dead_letter::<S>(
                ctx,
                msg,
                Failure {
                    reason,
                    message: &e.to_string(),
                    attempts: level as u32 + 1,
                },
            )
            .await;
        }
    };
    let mut delays = ExponentialBuilder::default()
        .with_jitter()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(10))
        .without_max_times()
        .build();
    let outcome = loop {
        let delivery = Delivery {
            attempt: level as u32 + 1,
        };
        let wait = match stage.handle(&event, delivery).await {
            Ok(()) => break "processed",
            Err(StageError::Invalid { reason, message }) => {
                let f = Failure {
                    reason,
                    message: &message,
                    attempts: level as u32 + 1,
                };
                return guarded_dead_letter::<S>(ctx, msg, f).await;
            }
            Err(StageError::Deferred { reason, message }) => {
                let f = Failure {
                    reason,
                    message: &message,
                    attempts: level as u32 + 1,
                };
                let next = level + 1;
                return if stage.uses_retry_topics() && next <= ctx.retry_delays.len() {
                    to_retry::<S>(ctx, msg, f, next).await
                } else {
                    guarded_dead_letter::<S>(ctx, msg, f).await
                };
            }
            Err(StageError::Unavailable { retry_in }) => retry_in,
            Err(StageError::Transient(e)) => {
                let delay = delays.next().unwrap_or(Duration::from_secs(10));
                tracing::warn!(error = %format!("{e:#}"), ?delay, "transient failure; retrying");
                delay
            }
        };
        ctx.metrics
            .stage_messages
            .get_or_create(&StageOutcome {
                stage: S::NAME,
                outcome: "retried",
            })
            .inc();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.shutdown.cancelled() => return false,
        }
    };
    ctx.guard.ok();
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

/// Dead-letters the record unless the bad-deploy guard says the stage must stop: then
/// the record is left unfinished (its offset is never stored) and the stage's loops end.
async fn guarded_dead_letter<S: Stage>(
    ctx: &StageContext,
    msg: &OwnedMessage,
    f: Failure<'_>,
) -> bool {
    if ctx.guard.allow_dead_letter() {
        return super::forward::dead_letter::<S>(ctx, msg, f).await;
    }
    tracing::error!(
        stage = S::NAME,
        reason = f.reason,
        "STOPPING: most recent records would be dead-lettered (bad-deploy protection); nothing more is dead-lettered and the records stay in Kafka"
    );
    false
}

/// Sleeps until the record's `retry_due_at` (epoch ms). Records of one retry topic are
/// appended in due order, so holding the partition while waiting keeps it FIFO.
async fn wait_until_due(ctx: &StageContext, msg: &OwnedMessage) -> bool {
    let due_ms: i64 = header(msg, "retry_due_at")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let now_ms = chrono::Utc::now().timestamp_millis();
    if due_ms <= now_ms {
        return true;
    }
    let wait = Duration::from_millis((due_ms - now_ms) as u64);
    tokio::select! {
        _ = tokio::time::sleep(wait) => true,
        _ = ctx.shutdown.cancelled() => false,
    }
}
