//! System test: a portal that publishes `dossier.submitted.v1` straight to Kafka (no
//! intake call) gets the same protection at rest as the intake gives: the verify stage,
//! which creates the dossier row, stores the applicant ID sealed and blind-indexed,
//! never in clear.

mod common;

use std::time::{Duration, Instant};

use common::kafka::{self, ce_headers, start_verify_only};
use common::{TestDb, require_broker};
use dossierflow_runtime::config::{DEV_INDEX_KEYS, DEV_KEYS};
use dossierflow_runtime::crypto::Keyring;
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
    // CSDLQG is unreachable: the stage records the dossier and waits for it.
    let (_verify, _admin) = start_verify_only(&db, &prefix, &[]).await;

    let dossier = Uuid::now_v7();
    let payload = serde_json::json!({
        "dossier_id": dossier, "procedure_code": "1.001193",
        "submitted_at": "2026-11-27T07:00:00Z",
        "applicant": {"full_name": "Đỗ Văn Hùng", "id_number": ID, "birth_date": "1990"}
    })
    .to_string();
    let headers = ce_headers("dossier.submitted.v1");
    let topic = format!("{prefix}dossier.submitted.v1");
    kafka::produce(&topic, &dossier.to_string(), headers, payload.as_bytes()).await;

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
