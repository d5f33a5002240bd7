//! System test: a portal that publishes `dossier.submitted.v1` straight to Kafka (no
//! intake call) gets the same protection at rest as the intake gives: the verify stage,
//! which creates the dossier row, stores the applicant ID sealed and blind-indexed,
//! never in clear.

mod common;

use std::time::{Duration, Instant};

use common::{Proc, TestDb, free_port, pipeline_env, require_broker};
use dossierflow_runtime::config::{DEV_INDEX_KEYS, DEV_KEYS};
use dossierflow_runtime::crypto::Keyring;
use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use uuid::Uuid;

const ID: &str = "001203004567";

/// Sealed ID, its key id, blind index, index key id.
type Row = (
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dossier_published_to_kafka_is_stored_with_its_id_sealed_and_indexed() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let admin_port = free_port();
    let mut env = pipeline_env(&db, &prefix);
    env.push(("DOSSIER__ADMIN__ADDR", format!("127.0.0.1:{admin_port}")));
    // CSDLQG is unreachable: the stage records the dossier and waits for it.
    env.push(("DOSSIER__CSDLQG__URL", "http://127.0.0.1:9/".into()));
    let mut verify = Proc::spawn(&["verify"], &env);
    verify
        .wait_ready(
            &format!("http://127.0.0.1:{admin_port}/health"),
            Duration::from_secs(60),
        )
        .await;

    let dossier = Uuid::now_v7();
    let payload = serde_json::json!({
        "dossier_id": dossier, "procedure_code": "1.001193",
        "submitted_at": "2026-11-27T07:00:00Z",
        "applicant": {"full_name": "Đỗ Văn Hùng", "id_number": ID, "birth_date": "1990"}
    })
    .to_string();
    let event_id = Uuid::now_v7().to_string();
    let headers = [
        ("ce_specversion", "1.0"),
        ("ce_id", event_id.as_str()),
        ("ce_source", "/portal"),
        ("ce_type", "dossier.submitted.v1"),
        ("ce_time", "2026-11-27T07:00:00Z"),
        ("content-type", "application/json"),
    ]
    .into_iter()
    .fold(OwnedHeaders::new(), |h, (key, v)| {
        h.insert(Header {
            key,
            value: Some(v.as_bytes()),
        })
    });
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", common::brokers())
        .create()
        .expect("producer");
    producer
        .send(
            FutureRecord::to(&format!("{prefix}dossier.submitted.v1"))
                .key(&dossier.to_string())
                .payload(&payload)
                .headers(headers),
            Duration::from_secs(10),
        )
        .await
        .expect("produce");

    let pool = db.pool().await;
    let started = Instant::now();
    let row: Row = loop {
        let r = sqlx::query_as(
            "SELECT applicant_id_sealed, applicant_id_key_id, applicant_id_index, applicant_id_index_key
               FROM dossier WHERE id = $1",
        )
        .bind(dossier)
        .fetch_optional(&pool)
        .await;
        if let Ok(Some(row)) = r {
            break row;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the verify stage did not record the dossier within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (Some(sealed), Some(key_id), Some(index), Some(index_key)) = row else {
        panic!("the verify stage stored the dossier without its sealed ID and blind index");
    };
    let ring = Keyring::parse(DEV_KEYS, "dev")
        .and_then(|k| k.with_index_keys(DEV_INDEX_KEYS, "dev-index"))
        .expect("dev keys");
    assert!(
        !sealed.windows(ID.len()).any(|w| w == ID.as_bytes()),
        "the ID is not stored in clear"
    );
    let opened = ring
        .open(&key_id, &sealed, dossier.as_bytes())
        .expect("opens with its dossier id");
    assert_eq!(opened, ID.as_bytes());
    assert_eq!(
        (index_key.clone(), index),
        ring.blind_index(ID).expect("index"),
        "blind index under the active index key"
    );
    let dump: String =
        sqlx::query_scalar("SELECT row_to_json(d)::text FROM dossier d WHERE id = $1")
            .bind(dossier)
            .fetch_one(&pool)
            .await
            .expect("row as text");
    assert!(!dump.contains(ID), "no column holds the full ID");
}
