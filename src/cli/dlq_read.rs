//! Reading the dead-letter topic without side effects: a consumer with no group that
//! assigns the partitions itself, reads each from its low to its high watermark as seen
//! at the start, and never commits. Runs on a blocking thread (librdkafka's polling API).

use std::time::{Duration, Instant};

use dossierflow_runtime::kafka::KafkaSecurity;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Message, Offset, TopicPartitionList};

use super::dlq_filter::{DlqRecord, RecordId};

/// Broker round-trip limit for metadata and watermarks.
const META_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a read may go without any record before it gives up.
const STALL_LIMIT: Duration = Duration::from_secs(30);

/// librdkafka needs a `group.id` even for assigned partitions; this one is never joined
/// (no subscribe) and never committed to.
const GROUP: &str = "dossierflow-dlq-tools-assign-only";

fn reader(brokers: &str, security: &KafkaSecurity) -> anyhow::Result<BaseConsumer> {
    dossierflow_runtime::kafka::client_config(brokers, security)?
        .set("group.id", GROUP)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .create()
        .map_err(|e| anyhow::anyhow!("cannot create a Kafka reader for {brokers}: {e}"))
}

/// `(partition, low, high)` for every partition of `topic`.
fn watermarks(c: &BaseConsumer, topic: &str) -> anyhow::Result<Vec<(i32, i64, i64)>> {
    let meta = c
        .fetch_metadata(Some(topic), META_TIMEOUT)
        .map_err(|e| anyhow::anyhow!("cannot read the metadata of topic {topic}: {e}"))?;
    let Some(t) = meta.topics().iter().find(|t| t.name() == topic) else {
        anyhow::bail!("topic {topic} not found");
    };
    if let Some(e) = t.error() {
        anyhow::bail!(
            "topic {topic} cannot be read ({:?}): is --topic-prefix (DOSSIER__KAFKA__TOPIC_PREFIX) right?",
            RDKafkaErrorCode::from(e)
        );
    }
    let mut out = Vec::new();
    for p in t.partitions() {
        let (low, high) = c
            .fetch_watermarks(topic, p.id(), META_TIMEOUT)
            .map_err(|e| anyhow::anyhow!("cannot read the offsets of {topic}[{}]: {e}", p.id()))?;
        out.push((p.id(), low, high));
    }
    out.sort_unstable();
    Ok(out)
}

fn to_record(m: &BorrowedMessage<'_>) -> DlqRecord {
    let headers = m
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default();
    DlqRecord {
        id: RecordId {
            partition: m.partition(),
            offset: m.offset(),
        },
        key: m.key().map(<[u8]>::to_vec),
        headers,
        payload: m.payload().map(<[u8]>::to_vec),
    }
}

/// Every record of `topic` up to the high watermarks seen at the start, in partition
/// and offset order, passed through `keep`. Progress goes to stderr on long reads.
pub fn read_all(
    brokers: &str,
    security: &KafkaSecurity,
    topic: &str,
    keep: impl Fn(&DlqRecord) -> bool,
) -> anyhow::Result<Vec<DlqRecord>> {
    let c = reader(brokers, security)?;
    let marks = watermarks(&c, topic)?;
    let total: i64 = marks.iter().map(|(_, low, high)| high - low).sum();
    let mut remaining: std::collections::HashMap<i32, i64> = marks
        .iter()
        .filter(|(_, low, high)| high > low)
        .map(|(p, _, high)| (*p, *high))
        .collect();
    let mut out = Vec::new();
    if remaining.is_empty() {
        return Ok(out);
    }
    let mut tpl = TopicPartitionList::new();
    for (p, low, high) in &marks {
        if high > low {
            tpl.add_partition_offset(topic, *p, Offset::Offset(*low))?;
        }
    }
    c.assign(&tpl)
        .map_err(|e| anyhow::anyhow!("cannot assign the partitions of {topic}: {e}"))?;
    let (started, mut last_progress, mut last_record) =
        (Instant::now(), Instant::now(), Instant::now());
    let mut read: i64 = 0;
    while !remaining.is_empty() {
        match c.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                last_record = Instant::now();
                let Some(&high) = remaining.get(&m.partition()) else {
                    continue;
                };
                if m.offset() < high {
                    read += 1;
                    let r = to_record(&m);
                    if keep(&r) {
                        out.push(r);
                    }
                }
                if m.offset() + 1 >= high {
                    remaining.remove(&m.partition());
                }
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                remaining.remove(&p);
            }
            Some(Err(e)) => anyhow::bail!("reading {topic} failed: {e}"),
            None => {}
        }
        if last_record.elapsed() > STALL_LIMIT {
            anyhow::bail!(
                "reading {topic} stalled: no record for {}s with {} partition(s) unfinished",
                STALL_LIMIT.as_secs(),
                remaining.len()
            );
        }
        if last_progress.elapsed() > Duration::from_secs(2) {
            last_progress = Instant::now();
            eprintln!(
                "read {read}/{total} records of {topic} ({}s)",
                started.elapsed().as_secs()
            );
        }
    }
    out.sort_by_key(|r| r.id);
    Ok(out)
}

/// The record at `id`, with a clear error when that offset holds none.
pub fn read_one(
    brokers: &str,
    security: &KafkaSecurity,
    topic: &str,
    id: RecordId,
) -> anyhow::Result<DlqRecord> {
    let c = reader(brokers, security)?;
    let marks = watermarks(&c, topic)?;
    let Some(&(_, low, high)) = marks.iter().find(|(p, _, _)| *p == id.partition) else {
        anyhow::bail!(
            "record {id}: topic {topic} has no partition {} ({} partitions)",
            id.partition,
            marks.len()
        );
    };
    if id.offset < low || id.offset >= high {
        anyhow::bail!(
            "record {id}: partition {} of {topic} holds offsets {low}..{} only",
            id.partition,
            high - 1
        );
    }
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, id.partition, Offset::Offset(id.offset))?;
    c.assign(&tpl)
        .map_err(|e| anyhow::anyhow!("cannot assign {topic}[{}]: {e}", id.partition))?;
    let started = Instant::now();
    while started.elapsed() < STALL_LIMIT {
        match c.poll(Duration::from_millis(200)) {
            Some(Ok(m)) if m.offset() == id.offset => return Ok(to_record(&m)),
            Some(Ok(m)) if m.offset() > id.offset => break,
            Some(Err(KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) => anyhow::bail!("reading record {id} of {topic} failed: {e}"),
            _ => {}
        }
    }
    anyhow::bail!("record {id}: no record at that offset of {topic}")
}
