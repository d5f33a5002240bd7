//! Part a: the broker ceiling. Raw produce and consume of records the size of our
//! events, with the pipeline's own clients (`dossierflow_runtime::kafka::producer` and
//! `consumer`: idempotent, `acks=all`, lz4, linger 5 ms; group consumer storing offsets
//! itself) on fresh topics with the pipeline's partition count.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dossierflow_runtime::kafka::{self, KafkaSecurity};
use rdkafka::Message;
use rdkafka::consumer::Consumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::progress::{Counter, Progress, counter};
use super::records::{Template, keys, templates};
use super::report::{Row, Section};

/// Settings of the broker part.
#[derive(Debug, Clone)]
pub struct BrokerPlan {
    /// Bootstrap servers.
    pub brokers: String,
    /// Client security settings (as the pipeline's).
    pub security: KafkaSecurity,
    /// Prefix of the bench topics and groups (unique per run).
    pub prefix: String,
    /// Partitions of each bench topic.
    pub partitions: i32,
    /// Records per measurement.
    pub records: u64,
    /// Upper bound of each measurement.
    pub time_limit: Duration,
}

/// Records in flight before the producer waits for the oldest acknowledgement.
const WINDOW: usize = 50_000;

/// Runs the three measurements (produce, consume, both at once) for each event kind.
pub async fn run(plan: &BrokerPlan) -> anyhow::Result<Section> {
    let mut section = Section::new("broker", "Broker ceiling: raw produce/consume");
    section.notes.push(format!(
        "brokers {}, {} partitions per topic, {} records per row, time limit {:?} per row",
        plan.brokers, plan.partitions, plan.records, plan.time_limit
    ));
    section.notes.push(
        "clients: runtime::kafka::producer (idempotent, acks=all, lz4, linger.ms=5) and \
         runtime::kafka::consumer (group, offsets stored per record, auto-commit 1 s)"
            .into(),
    );
    let keys = keys(4096);
    for t in templates()? {
        let short = t.ty.trim_start_matches("dossier.");
        let topic = format!("{}{}", plan.prefix, t.ty);
        let both = format!("{}{}.both", plan.prefix, t.ty);
        kafka::ensure_topics(
            &plan.brokers,
            &plan.security,
            &[topic.clone(), both.clone()],
            plan.partitions,
        )
        .await?;
        let size = t.record_bytes() as f64;
        let producer = kafka::producer(&plan.brokers, &plan.security)?;
        // One acknowledged record per topic first: the producer id, connections and topic
        // metadata are then in place and not counted. Consumers expect it (+1).
        for name in [&topic, &both] {
            warm_up(&producer, name, &t, &keys[0]).await?;
        }

        let acked = counter();
        let p = Progress::start(format!("produce {short}"), vec![("acked", acked.clone())]);
        let started = Instant::now();
        let n = produce(&producer, &topic, &t, &keys, plan, &acked).await?;
        let secs = started.elapsed().as_secs_f64();
        drop(p);
        section
            .rows
            .push(rate_row(format!("produce {short}"), n, n, secs, size, &t));

        let seen = counter();
        let p = Progress::start(format!("consume {short}"), vec![("consumed", seen.clone())]);
        let expected = counter();
        expected.store(n + 1, Ordering::Relaxed);
        let (got, secs) =
            consume(plan, &topic, &format!("c.{short}"), &expected, &seen, None).await?;
        drop(p);
        section
            .rows
            .push(rate_row(format!("consume {short}"), n, got, secs, size, &t));

        let (acked, seen) = (counter(), counter());
        let p = Progress::start(
            format!("produce+consume {short}"),
            vec![("acked", acked.clone()), ("consumed", seen.clone())],
        );
        let expected = counter();
        expected.store(plan.records + 1, Ordering::Relaxed);
        let (ready, joined) = tokio::sync::oneshot::channel();
        let reader = {
            let (plan, both, group) = (plan.clone(), both.clone(), format!("e2e.{short}"));
            let (expected, seen) = (expected.clone(), seen.clone());
            tokio::spawn(async move {
                consume(&plan, &both, &group, &expected, &seen, Some(ready)).await
            })
        };
        // The clock starts once the reader has joined and read the warm-up record.
        let _ = tokio::time::timeout(plan.time_limit, joined).await;
        let started = Instant::now();
        let n = produce(&producer, &both, &t, &keys, plan, &acked).await?;
        // Cut short by the time limit: the reader stops at what was produced.
        expected.store(n + 1, Ordering::Relaxed);
        let produce_secs = started.elapsed().as_secs_f64();
        let (got, _) = reader.await??;
        let secs = started.elapsed().as_secs_f64();
        drop(p);
        section.rows.push(
            rate_row(format!("produce+consume {short}"), n, got, secs, size, &t)
                .metric("produced/s", n as f64 / produce_secs.max(1e-9)),
        );
        delete_topics(&plan.brokers, &plan.security, &[topic, both]).await;
    }
    Ok(section)
}

/// A row: records sent, received, seconds, records/s (of the received), MB/s.
fn rate_row(label: String, sent: u64, got: u64, secs: f64, size: f64, t: &Template) -> Row {
    let rate = got as f64 / secs.max(1e-9);
    Row::new(label)
        .metric("record bytes", size)
        .metric("value bytes", t.value.len() as f64)
        .metric("produced", sent as f64)
        .metric("consumed", got as f64)
        .metric("seconds", secs)
        .metric("records/s", rate)
        .metric("MB/s", rate * size / 1e6)
}

/// Produces up to `plan.records` records (within the time limit); returns how many the
/// broker acknowledged. Any delivery error fails the part: a ceiling with losses is none.
async fn produce(
    producer: &FutureProducer,
    topic: &str,
    t: &Template,
    keys: &[String],
    plan: &BrokerPlan,
    acked: &Counter,
) -> anyhow::Result<u64> {
    let deadline = Instant::now() + plan.time_limit;
    let mut inflight = VecDeque::with_capacity(WINDOW);
    let mut i = 0u64;
    while i < plan.records && Instant::now() < deadline {
        if inflight.len() >= WINDOW {
            settle(inflight.pop_front(), acked).await?;
        }
        let key = &keys[(i as usize) % keys.len()];
        let headers = t.headers();
        let record = FutureRecord::to(topic)
            .key(key.as_str())
            .payload(&t.value)
            .headers(headers);
        match producer.send_result(record) {
            Ok(delivery) => {
                inflight.push_back(delivery);
                i += 1;
            }
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                if inflight.is_empty() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                } else {
                    settle(inflight.pop_front(), acked).await?;
                }
            }
            Err((e, _)) => anyhow::bail!("cannot produce to {topic}: {e}"),
        }
    }
    while let Some(d) = inflight.pop_front() {
        settle(Some(d), acked).await?;
    }
    Ok(acked.load(Ordering::Relaxed))
}

/// Sends one record and waits for its acknowledgement.
async fn warm_up(
    producer: &FutureProducer,
    topic: &str,
    t: &Template,
    key: &str,
) -> anyhow::Result<()> {
    let record = FutureRecord::to(topic)
        .key(key)
        .payload(&t.value)
        .headers(t.headers());
    producer
        .send(record, Duration::from_secs(30))
        .await
        .map_err(|(e, _)| anyhow::anyhow!("warm-up record to {topic} not acknowledged: {e}"))?;
    Ok(())
}

async fn settle(
    delivery: Option<rdkafka::producer::DeliveryFuture>,
    acked: &Counter,
) -> anyhow::Result<()> {
    let Some(delivery) = delivery else {
        return Ok(());
    };
    match delivery.await {
        Ok(Ok(_)) => {
            acked.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        Ok(Err((e, _))) => anyhow::bail!("record not acknowledged: {e}"),
        Err(_) => anyhow::bail!("producer dropped a delivery report"),
    }
}

/// Consumes `topic` with a fresh group until `expected` records arrived (it may be
/// lowered meanwhile, when the producer is cut short) or the time limit passed. Returns the count and the seconds from the first record to the last
/// (the group join before the first record is not the broker's throughput); `ready`
/// is told when the first record arrives.
async fn consume(
    plan: &BrokerPlan,
    topic: &str,
    group: &str,
    expected: &Counter,
    seen: &Counter,
    mut ready: Option<tokio::sync::oneshot::Sender<()>>,
) -> anyhow::Result<(u64, f64)> {
    let group = format!("{}{group}", plan.prefix);
    let consumer = kafka::consumer(&plan.brokers, &plan.security, &group)?;
    consumer
        .subscribe(&[topic])
        .map_err(|e| anyhow::anyhow!("cannot subscribe to {topic}: {e}"))?;
    let deadline = tokio::time::Instant::now() + plan.time_limit + Duration::from_secs(10);
    let mut first: Option<Instant> = None;
    let mut n = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while n < expected.load(Ordering::Relaxed) {
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        let msg = tokio::select! {
            m = consumer.recv() => m,
            // Wake up now and then to see a lowered target or the deadline.
            _ = tick.tick() => continue,
        };
        match msg {
            Ok(m) => {
                first.get_or_insert_with(Instant::now);
                if let Some(ready) = ready.take() {
                    let _ = ready.send(());
                }
                if m.payload().is_some() {
                    n += 1;
                    seen.fetch_add(1, Ordering::Relaxed);
                }
                if let Err(e) = consumer.store_offset_from_message(&m) {
                    tracing::debug!(error = %e, "cannot store offset");
                }
            }
            Err(e) => tracing::warn!(error = %e, "consumer error; continuing"),
        }
    }
    let secs = first.map_or(0.0, |f| f.elapsed().as_secs_f64());
    // Not counted: the warm-up record.
    Ok((n.saturating_sub(1), secs))
}

/// Deletes the bench topics (best effort: the broker keeps them in memory otherwise).
pub(super) async fn delete_topics(brokers: &str, security: &KafkaSecurity, topics: &[String]) {
    use rdkafka::admin::{AdminClient, AdminOptions};
    use rdkafka::client::DefaultClientContext;
    if topics.is_empty() {
        return;
    }
    let admin: Option<AdminClient<DefaultClientContext>> = kafka::client_config(brokers, security)
        .ok()
        .and_then(|c| c.create().ok());
    let Some(admin) = admin else { return };
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    match admin.delete_topics(&names, &opts).await {
        Ok(results) => {
            for r in results {
                if let Err((topic, code)) = r {
                    eprintln!("bench: could not delete topic {topic}: {code}");
                }
            }
        }
        Err(e) => eprintln!("bench: could not delete topics: {e}"),
    }
}
