//! Kafka clients with the project's delivery settings, and topic creation.
//!
//! Producers are idempotent with `acks=all`. Consumers never store an offset on their
//! own (`enable.auto.offset.store=false`): the stage loop stores it only after the work
//! for that record is durable, and the background auto-commit then commits what was
//! stored. Nothing here depends on a broker quirk: it runs on Apache Kafka, on nisshi
//! and on librdkafka's in-process mock cluster. Stage consumers also emit librdkafka
//! statistics for the consumer-lag metrics ([`crate::lag`]). Every client starts from
//! [`client_config`], which applies the security settings ([`KafkaSecurity`]: TLS,
//! SASL/SCRAM) or refuses settings this build cannot speak.

mod security;

pub use security::{
    KafkaSecurity, SaslMechanism, SecurityError, SecurityProtocol, builtin_features,
};

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::StreamConsumer;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::FutureProducer;

use crate::lag::LagContext;

/// The base of every client: bootstrap servers and the security settings.
pub fn client_config(brokers: &str, security: &KafkaSecurity) -> anyhow::Result<ClientConfig> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    security
        .apply(&mut config)
        .map_err(|e| anyhow::anyhow!("Kafka security settings: {e}"))?;
    Ok(config)
}

/// An idempotent producer (`acks=all`, lz4, small linger for batching).
pub fn producer(brokers: &str, security: &KafkaSecurity) -> anyhow::Result<FutureProducer> {
    client_config(brokers, security)?
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("compression.type", "lz4")
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000")
        .create()
        .map_err(|e| anyhow::anyhow!("cannot create Kafka producer for {brokers}: {e}"))
}

/// A group consumer that leaves offset storing to the caller.
pub fn consumer(
    brokers: &str,
    security: &KafkaSecurity,
    group: &str,
) -> anyhow::Result<StreamConsumer> {
    consumer_config(brokers, security, group)?
        .create()
        .map_err(|e| anyhow::anyhow!("cannot create Kafka consumer for {brokers}: {e}"))
}

/// A stage consumer: like [`consumer`], with librdkafka statistics every
/// `stats_interval` (none when zero) feeding the lag metrics of `context`.
pub fn stage_consumer(
    brokers: &str,
    security: &KafkaSecurity,
    group: &str,
    stats_interval: Duration,
    context: LagContext,
) -> anyhow::Result<StreamConsumer<LagContext>> {
    let mut config = consumer_config(brokers, security, group)?;
    if !stats_interval.is_zero() {
        let ms = stats_interval.as_millis().max(1).to_string();
        config.set("statistics.interval.ms", ms);
    }
    config
        .create_with_context(context)
        .map_err(|e| anyhow::anyhow!("cannot create Kafka consumer for {brokers}: {e}"))
}

fn consumer_config(
    brokers: &str,
    security: &KafkaSecurity,
    group: &str,
) -> anyhow::Result<ClientConfig> {
    let mut config = client_config(brokers, security)?;
    config
        .set("group.id", group)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "1000")
        .set("fetch.wait.max.ms", "50")
        // Bounded prefetch: librdkafka's defaults (100,000 records, 64 MiB) would let one
        // idle stage hold tens of MiB of records it cannot handle yet. The stage loop takes
        // a record only when it has room for it, so a full local queue stops fetching:
        // back-pressure reaches the broker instead of memory.
        .set("queued.min.messages", "2000")
        .set("queued.max.messages.kbytes", "8192");
    Ok(config)
}

/// Creates the topics that do not exist yet (replication 1 locally; production topics
/// are provisioned by operators with their own replication factor).
pub async fn ensure_topics(
    brokers: &str,
    security: &KafkaSecurity,
    names: &[String],
    partitions: i32,
) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = client_config(brokers, security)?
        .create()
        .map_err(|e| anyhow::anyhow!("cannot create Kafka admin client for {brokers}: {e}"))?;
    let topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1)))
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(15)));
    let results = admin
        .create_topics(&topics, &opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create topics on {brokers}: {e}"))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => anyhow::bail!("cannot create topic {topic}: {code}"),
        }
    }
    Ok(())
}
