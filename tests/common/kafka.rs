//! Raw Kafka access for system tests that play the portal or a broken producer: records
//! with CloudEvents binary-mode headers, produced straight to a topic, and a lone verify
//! stage to receive them.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::{Proc, TestDb, brokers, free_port, pipeline_env};

/// CloudEvents binary-mode headers: spec version `spec`, event id `id`, type `ty`.
pub fn ce_headers_with(spec: &str, id: uuid::Uuid, ty: &str) -> OwnedHeaders {
    let id = id.to_string();
    [
        ("ce_specversion", spec),
        ("ce_id", id.as_str()),
        ("ce_source", "/test"),
        ("ce_type", ty),
        ("ce_time", "2026-11-27T07:00:00Z"),
        ("content-type", "application/json"),
    ]
    .into_iter()
    .fold(OwnedHeaders::new(), |h, (key, v)| {
        h.insert(Header {
            key,
            value: Some(v.as_bytes()),
        })
    })
}

/// CloudEvents 1.0 headers of type `ty` with a fresh event id.
pub fn ce_headers(ty: &str) -> OwnedHeaders {
    ce_headers_with("1.0", uuid::Uuid::now_v7(), ty)
}

/// A producer on the test broker.
pub fn producer() -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("producer")
}

/// Produces one record and waits for the broker's acknowledgement.
pub async fn send(
    producer: &FutureProducer,
    topic: &str,
    key: &str,
    headers: OwnedHeaders,
    value: &[u8],
) {
    producer
        .send(
            FutureRecord::to(topic)
                .key(key)
                .payload(value)
                .headers(headers),
            Duration::from_secs(10),
        )
        .await
        .expect("produce");
}

/// Produces one record with a producer of its own.
pub async fn produce(topic: &str, key: &str, headers: OwnedHeaders, value: &[u8]) {
    send(&producer(), topic, key, headers, value).await;
}

/// A verify stage alone on the test's database and topic prefix, with CSDLQG pointed at
/// a closed port (records fail or wait before any lookup) and `extra` settings. Returns
/// the process (killed on drop) and its admin base URL, once healthy.
pub async fn start_verify_only(
    db: &TestDb,
    prefix: &str,
    extra: &[(&'static str, &str)],
) -> (Proc, String) {
    let admin_port = free_port();
    let mut env = pipeline_env(db, prefix);
    env.push(("DOSSIER__ADMIN__ADDR", format!("127.0.0.1:{admin_port}")));
    env.push(("DOSSIER__CSDLQG__URL", "http://127.0.0.1:9/".into()));
    for (k, v) in extra {
        env.push((k, (*v).to_owned()));
    }
    let mut proc = Proc::spawn(&["verify"], &env);
    let admin = format!("http://127.0.0.1:{admin_port}");
    proc.wait_ready(&format!("{admin}/health"), Duration::from_secs(60))
        .await;
    (proc, admin)
}

/// A consumer of `topic` from its beginning, in a group of its own named `group`.
pub fn reader(group: &str, topic: &str) -> rdkafka::consumer::StreamConsumer {
    use rdkafka::consumer::Consumer;
    let consumer: rdkafka::consumer::StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    consumer
}
