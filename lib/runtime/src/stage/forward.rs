//! Forwarding a record to a retry topic or the dead-letter topic, with headers that say
//! where it came from, how often it was tried and why it failed.

use std::time::Duration;

use dossierflow_schemas::{Event, topics};
use rdkafka::Message;
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};
use rdkafka::producer::FutureRecord;
use rdkafka::util::Timeout;

use super::{Stage, StageContext, retry_topic};
use crate::telemetry::{DeadLetterLabels, RetryLabels, StageOutcome};

/// Why a record leaves the normal path.
pub(super) struct Failure<'a> {
    pub reason: &'static str,
    pub message: &'a str,
    /// Stage-level attempts so far (main topic + retry topics).
    pub attempts: u32,
}

/// A header's value as text.
pub(super) fn header(msg: &OwnedMessage, name: &str) -> Option<String> {
    msg.headers()?
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Where the record originally came from: the retry headers if it went round already.
fn origin(msg: &OwnedMessage) -> (String, String, String, String) {
    let now = chrono::Utc::now().to_rfc3339();
    (
        header(msg, "retry_original_topic").unwrap_or_else(|| msg.topic().to_owned()),
        header(msg, "retry_original_partition").unwrap_or_else(|| msg.partition().to_string()),
        header(msg, "retry_original_offset").unwrap_or_else(|| msg.offset().to_string()),
        header(msg, "retry_first_failed_at").unwrap_or(now),
    )
}

/// The original headers without our own bookkeeping ones, plus `extra`.
fn headers_with(msg: &OwnedMessage, extra: &[(&str, &str)]) -> OwnedHeaders {
    let mut headers = OwnedHeaders::new();
    if let Some(original) = msg.headers() {
        for h in original
            .iter()
            .filter(|h| !h.key.starts_with("retry_") && !h.key.starts_with("dlq_"))
        {
            headers = headers.insert(Header {
                key: h.key,
                value: h.value,
            });
        }
    }
    for (key, value) in extra {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_bytes()),
        });
    }
    headers
}

/// Produces until acknowledged or shutdown.
async fn send(ctx: &StageContext, topic: &str, msg: &OwnedMessage, headers: OwnedHeaders) -> bool {
    loop {
        let mut record = FutureRecord::to(topic)
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
            Ok(_) => return true,
            Err((e, _)) => {
                tracing::warn!(%topic, error = %e, "produce failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = ctx.shutdown.cancelled() => return false,
                }
            }
        }
    }
}

/// Sends the record to retry topic `level`, due after that level's delay.
pub(super) async fn to_retry<S: Stage>(
    ctx: &StageContext,
    msg: &OwnedMessage,
    f: Failure<'_>,
    level: usize,
) -> bool {
    let delay = ctx.retry_delays[level - 1];
    let due = chrono::Utc::now().timestamp_millis() + delay.as_millis() as i64;
    let (topic0, partition0, offset0, first) = origin(msg);
    let (due, attempts) = (due.to_string(), f.attempts.to_string());
    let headers = headers_with(
        msg,
        &[
            ("retry_original_topic", &topic0),
            ("retry_original_partition", &partition0),
            ("retry_original_offset", &offset0),
            ("retry_first_failed_at", &first),
            ("retry_attempts", &attempts),
            ("retry_due_at", &due),
            ("retry_error_class", f.reason),
            ("retry_error_message", f.message),
        ],
    );
    tracing::info!(
        reason = f.reason,
        level,
        ?delay,
        "deferring record to a retry topic"
    );
    let topic = retry_topic(&ctx.kafka, S::Input::TYPE, S::NAME, level);
    if !send(ctx, &topic, msg, headers).await {
        return false;
    }
    ctx.metrics
        .retry_published
        .get_or_create(&RetryLabels {
            stage: S::NAME,
            level: level as u32,
        })
        .inc();
    ctx.metrics
        .stage_messages
        .get_or_create(&StageOutcome {
            stage: S::NAME,
            outcome: "deferred",
        })
        .inc();
    true
}

/// Sends the record to the dead-letter topic with headers saying why.
pub(super) async fn dead_letter<S: Stage>(
    ctx: &StageContext,
    msg: &OwnedMessage,
    f: Failure<'_>,
) -> bool {
    tracing::warn!(
        reason = f.reason,
        message = f.message,
        "dead-lettering record"
    );
    let (topic0, partition0, offset0, first) = origin(msg);
    let group = ctx.kafka.group(S::NAME);
    let (failed_at, attempts) = (chrono::Utc::now().to_rfc3339(), f.attempts.to_string());
    let headers = headers_with(
        msg,
        &[
            ("dlq_original_topic", &topic0),
            ("dlq_original_partition", &partition0),
            ("dlq_original_offset", &offset0),
            ("dlq_consumer_group", &group),
            ("dlq_stage", S::NAME),
            ("dlq_attempts", &attempts),
            ("dlq_error_class", f.reason),
            ("dlq_error_message", f.message),
            ("dlq_first_failed_at", &first),
            ("dlq_failed_at", &failed_at),
        ],
    );
    if !send(ctx, &ctx.kafka.topic(topics::DEAD_LETTER), msg, headers).await {
        return false;
    }
    ctx.metrics
        .dead_letters
        .get_or_create(&DeadLetterLabels {
            stage: S::NAME,
            reason: f.reason,
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
