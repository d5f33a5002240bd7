//! The stage loop against the real broker (`DOSSIER_TEST_BROKERS`): records of different
//! dossiers are handled concurrently, records of one dossier one after another in offset
//! order, and the stored offset never passes a record still being handled.
//!
//! One partition, three records: A1 (held by the test), B1, A2. B1 must finish while A1
//! is held (fails without stage concurrency); A2 must not start until A1 has finished
//! (fails without per-key order); the group's committed offset stays at 0 while A1 is
//! held (fails if offsets were stored out of order) and reaches 3 afterwards.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::kafka::{self, KafkaSecurity};
use dossierflow_runtime::stage::{
    self, DeadLetterGuard, DeadLetterLimit, Delivery, Stage, StageContext, StageError,
};
use dossierflow_runtime::telemetry::Metrics;
use dossierflow_schemas::{Envelope, Event, StatusV1};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::FutureRecord;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Logs `start`/`end` of each record as (dossier, status code); holds A1 until released.
struct Probe {
    held: Uuid,
    gate: Semaphore,
    log: Mutex<Vec<(&'static str, Uuid, u8)>>,
}

impl Probe {
    fn log(&self) -> Vec<(&'static str, Uuid, u8)> {
        self.log.lock().expect("log").clone()
    }

    fn push(&self, what: &'static str, e: &StatusV1) {
        self.log
            .lock()
            .expect("log")
            .push((what, e.dossier_id, e.status_code));
    }
}

#[async_trait::async_trait]
impl Stage for Probe {
    type Input = StatusV1;
    const NAME: &'static str = "probe";

    async fn handle(&self, event: &Envelope<StatusV1>, _: Delivery) -> Result<(), StageError> {
        self.push("start", &event.data);
        if event.data.dossier_id == self.held && event.data.status_code == 1 {
            let _permit = self.gate.acquire().await.map_err(anyhow::Error::from)?;
        }
        self.push("end", &event.data);
        Ok(())
    }

    fn concurrency(&self) -> Option<usize> {
        Some(4)
    }
}

async fn until(what: &str, probe: &Probe, done: impl Fn(&[(&str, Uuid, u8)]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(&probe.log()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn committed(brokers: &str, group: &str, topic: &str) -> Option<i64> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()
        .expect("offset reader");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let got = c
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    match got.find_partition(topic, 0).map(|p| p.offset()) {
        Some(Offset::Offset(o)) => Some(o),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_dossiers_pass_a_held_record_and_the_same_dossier_waits() {
    let brokers = std::env::var("DOSSIER_TEST_BROKERS")
        .expect("DOSSIER_TEST_BROKERS must name the test broker (ops/stack up starts it)");
    let kafka_args = KafkaArgs {
        brokers: Some(brokers.clone()),
        topic_prefix: format!("stageorder-{}.", Uuid::new_v4().simple()),
        partitions: 1,
        stats_interval: Duration::ZERO,
        security: KafkaSecurity::default(),
    };
    let topic = kafka_args.topic(StatusV1::TYPE);
    let group = kafka_args.group(Probe::NAME);
    let security = KafkaSecurity::default();
    kafka::ensure_topics(&brokers, &security, std::slice::from_ref(&topic), 1)
        .await
        .expect("topic");
    let producer = kafka::producer(&brokers, &security).expect("producer");
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    for ev in [
        common::status(a, 1),
        common::status(b, 1),
        common::status(a, 2),
    ] {
        let (key, value) = (ev.key(), ev.value());
        let headers =
            ev.headers()
                .into_iter()
                .fold(rdkafka::message::OwnedHeaders::new(), |h, (key, v)| {
                    h.insert(rdkafka::message::Header {
                        key,
                        value: Some(v.as_bytes()),
                    })
                });
        let record = FutureRecord::to(&topic)
            .partition(0)
            .key(&key)
            .payload(&value)
            .headers(headers);
        producer
            .send(record, Duration::from_secs(15))
            .await
            .expect("produce");
    }
    let probe = Arc::new(Probe {
        held: a,
        gate: Semaphore::new(0),
        log: Mutex::new(Vec::new()),
    });
    let shutdown = CancellationToken::new();
    let ctx = StageContext {
        brokers: brokers.clone(),
        kafka: kafka_args,
        producer,
        metrics: Metrics::new(),
        shutdown: shutdown.clone(),
        retry_delays: Vec::new(),
        dead_letter_limit: DeadLetterLimit::default(),
        guard: Arc::new(DeadLetterGuard::new(DeadLetterLimit::default())),
        concurrency: 1,
    };
    let running = tokio::spawn(stage::run(probe.clone(), ctx));

    until("B1 to finish while A1 is held", &probe, |log| {
        log.contains(&("end", b, 1))
    })
    .await;
    // A2 came after A1 in the partition: it must still be waiting. Auto-commit runs
    // every second, so two seconds show what the group would resume from after a crash.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log = probe.log();
    assert!(log.contains(&("start", a, 1)), "A1 is being handled");
    assert!(!log.contains(&("end", a, 1)), "A1 is held");
    assert!(
        !log.contains(&("start", a, 2)),
        "A2 started before A1 finished: {log:?}"
    );
    let held_at = committed(&brokers, &group, &topic);
    assert!(
        held_at.is_none_or(|o| o == 0),
        "offset passed the held record: {held_at:?}"
    );

    probe.gate.add_permits(1);
    until("A2 to finish", &probe, |log| log.contains(&("end", a, 2))).await;
    let log = probe.log();
    let at = |e: (&'static str, Uuid, u8)| log.iter().position(|x| *x == e).expect("logged");
    assert!(at(("end", a, 1)) < at(("start", a, 2)), "order: {log:?}");
    assert_eq!(log.len(), 6, "each record handled once: {log:?}");

    shutdown.cancel();
    running.await.expect("join").expect("stage");
    assert_eq!(committed(&brokers, &group, &topic), Some(3));
}
