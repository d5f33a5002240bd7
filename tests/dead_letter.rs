//! System test: a stage dead-letters records it can never handle — undecodable, of the
//! wrong type or version, or with invalid data — with headers saying why, and keeps going.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::kafka::{self, ce_headers, start_verify_only};
use common::{TestDb, require_broker};
use rdkafka::Message;
use rdkafka::message::OwnedHeaders;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_records_are_dead_lettered_with_reasons() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    // CSDLQG is never called: every record below fails before a lookup.
    let (mut app, admin) = start_verify_only(&db, &prefix, &[]).await;
    let producer = kafka::producer();
    let topic = format!("{prefix}dossier.submitted.v1");
    let bad_applicant = serde_json::json!({
        "dossier_id": Uuid::now_v7(), "procedure_code": "1.001193", "submitted_at": "2026-11-27T07:00:00Z",
        "applicant": {"full_name": "Lê Văn Tám", "id_number": "123", "birth_date": "1990"}
    })
    .to_string();
    let cases: [(&str, OwnedHeaders, String); 4] = [
        (
            "not-json",
            ce_headers("dossier.submitted.v1"),
            "{not json".into(),
        ),
        (
            "wrong-type",
            ce_headers("dossier.submitted.v2"),
            "{}".into(),
        ),
        ("no-headers", OwnedHeaders::new(), "{}".into()),
        (
            "bad-applicant",
            ce_headers("dossier.submitted.v1"),
            bad_applicant,
        ),
    ];
    for (key, headers, value) in cases {
        kafka::send(&producer, &topic, key, headers, value.as_bytes()).await;
    }

    let consumer = common::kafka::reader(
        &format!("{prefix}dlq-reader"),
        &format!("{prefix}dossier.dlq.v1"),
    );
    let mut classes: HashMap<String, String> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while classes.len() < 4 && Instant::now() < deadline {
        let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(1), consumer.recv()).await else {
            continue;
        };
        let headers = common::headers_of(&m);
        assert_eq!(headers.get("dlq_original_topic"), Some(&topic));
        assert_eq!(headers.get("dlq_stage").map(String::as_str), Some("verify"));
        for h in [
            "dlq_original_partition",
            "dlq_original_offset",
            "dlq_consumer_group",
            "dlq_error_message",
            "dlq_failed_at",
        ] {
            assert!(
                headers.get(h).is_some_and(|v| !v.is_empty()),
                "header {h} missing"
            );
        }
        assert!(
            !headers["dlq_error_message"].contains("123\""),
            "no value quoted in the reason"
        );
        let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
        classes.insert(key, headers["dlq_error_class"].clone());
    }
    let expected: HashMap<String, String> = [
        ("not-json", "undecodable"),
        ("wrong-type", "wrong_type"),
        ("no-headers", "undecodable"),
        ("bad-applicant", "invalid_applicant"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(classes, expected);

    let metrics = reqwest::get(format!("{admin}/metrics"))
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("dossier_dead_letters_total{stage=\"verify\",reason=\"undecodable\"} 2"),
        "{metrics}"
    );
    let status = app
        .terminate(Duration::from_secs(10))
        .expect("exits on SIGTERM");
    assert!(status.success());
}
