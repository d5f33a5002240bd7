//! When each dossier was routed: the Kafka timestamp (CreateTime, set by the route
//! stage's outbox relay when it publishes) of its `dossier.routed.v1` record, read from the
//! beginning of the stack's routed topic up to the high watermark of every partition.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dossierflow_runtime::kafka::{self, KafkaSecurity};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use uuid::Uuid;

/// Dossier id → publish time of its routed record (UTC epoch ms). Reads what the topic
/// holds now; gives up after `limit`.
pub async fn routed_times(
    brokers: &str,
    security: &KafkaSecurity,
    topic: &str,
    limit: Duration,
) -> anyhow::Result<HashMap<Uuid, f64>> {
    let consumer: StreamConsumer = kafka::client_config(brokers, security)?
        .set("group.id", format!("{topic}.bench-reader"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .map_err(|e| anyhow::anyhow!("cannot create a reader of {topic}: {e}"))?;
    let timeout = Duration::from_secs(10);
    let metadata = consumer
        .fetch_metadata(Some(topic), timeout)
        .map_err(|e| anyhow::anyhow!("no metadata for {topic}: {e}"))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    let mut tpl = TopicPartitionList::new();
    // Partition → offset still to reach (the high watermark).
    let mut ends: HashMap<i32, i64> = HashMap::new();
    for p in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, timeout)
            .map_err(|e| anyhow::anyhow!("no watermarks for {topic}/{p}: {e}"))?;
        if high > low {
            tpl.add_partition_offset(topic, p, Offset::Offset(low))?;
            ends.insert(p, high);
        }
    }
    let mut times = HashMap::new();
    if ends.is_empty() {
        return Ok(times);
    }
    consumer.assign(&tpl)?;
    let deadline = Instant::now() + limit;
    while !ends.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            anyhow::bail!("could not read {topic} to its end within {limit:?}");
        }
        let m = match tokio::time::timeout(left, consumer.recv()).await {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "reading the routed topic; continuing");
                continue;
            }
            Err(_) => continue,
        };
        let id = m
            .key()
            .and_then(|k| std::str::from_utf8(k).ok())
            .and_then(|k| k.parse::<Uuid>().ok());
        if let (Some(id), Some(ms)) = (id, m.timestamp().to_millis()) {
            // A record published twice (a relay crash) counts from its first publication.
            let ms = ms as f64;
            times
                .entry(id)
                .and_modify(|t: &mut f64| *t = t.min(ms))
                .or_insert(ms);
        }
        if ends
            .get(&m.partition())
            .is_some_and(|end| m.offset() + 1 >= *end)
        {
            ends.remove(&m.partition());
        }
    }
    Ok(times)
}
