//! Every Kafka stage of `dossierflow run` dead-letters records of an unknown CloudEvents
//! version, of another event type or version, and v1 payloads with a field v1 does not
//! have, with the reason in the headers; then valid dossiers still flow to the end.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::Message;
use reqwest::Client;
use uuid::Uuid;

use crate::common::kafka;
use crate::common::{self, TestDb, require_broker, start_app, start_sim};
use crate::{submit_valid, wait_final};

/// Each stage and the topic it reads.
const STAGES: [(&str, &str); 5] = [
    ("verify", "dossier.submitted.v1"),
    ("enrich", "dossier.verified.v1"),
    ("route", "dossier.enriched.v1"),
    ("webhooks", "dossier.routed.v1"),
    ("notify", "dossier.status.v1"),
];

/// (case, CloudEvents version, type, payload, dead-letter class, words of the reason).
type Case = (
    &'static str,
    &'static str,
    String,
    &'static str,
    &'static str,
    &'static str,
);

/// Each hostile record: a case name, the envelope version and type (from the topic's
/// type), the payload, and the class and words its dead letter must carry.
fn cases(ty: &str) -> [Case; 3] {
    let v2 = ty.replace(".v1", ".v2");
    [
        (
            "spec2",
            "2.0",
            ty.to_owned(),
            "{}",
            "undecodable",
            "ce_specversion",
        ),
        (
            "type2",
            "1.0",
            v2,
            "{}",
            "wrong_type",
            "unexpected event type",
        ),
        (
            "field2",
            "1.0",
            ty.to_owned(),
            r#"{"schema_version": 2}"#,
            "undecodable",
            "schema_version",
        ),
    ]
}

pub async fn dead_letters_unknown_versions_and_keeps_going() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(31, 400, &[]).await;
    let mut app = start_app("run", &db, &prefix, Some(&sim), &[]).await;
    let producer = kafka::producer();
    // key → (stage, class, words)
    let mut want: HashMap<String, (&str, &str, &str)> = HashMap::new();
    for (stage, topic) in STAGES {
        for (case, spec, ty, payload, class, words) in cases(topic) {
            let key = format!("hostile-{stage}-{case}");
            let full_topic = format!("{prefix}{topic}");
            let headers = kafka::ce_headers_with(spec, Uuid::now_v7(), &ty);
            kafka::send(&producer, &full_topic, &key, headers, payload.as_bytes()).await;
            want.insert(key, (stage, class, words));
        }
    }

    // The stages keep going: valid dossiers submitted after the hostile records finish.
    let http = Client::new();
    let ids = submit_valid(&http, &app.api, 3, 31).await;
    let pool = db.pool().await;
    wait_final(&pool, &ids, Duration::from_secs(120)).await;
    let notified: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT dossier_id) FROM notification WHERE dossier_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_one(&pool)
    .await
    .expect("notifications");
    assert!(
        notified > 0,
        "the notify stage planned notifications after its dead letters"
    );

    let consumer = common::kafka::reader(
        &format!("{prefix}hostile-dlq-reader"),
        &format!("{prefix}dossier.dlq.v1"),
    );
    let mut seen: HashMap<String, (String, String, String)> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < want.len() && Instant::now() < deadline {
        let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(1), consumer.recv()).await else {
            continue;
        };
        let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
        let h = common::headers_of(&m);
        let get = |k: &str| h.get(k).cloned().unwrap_or_default();
        seen.insert(
            key,
            (
                get("dlq_stage"),
                get("dlq_error_class"),
                get("dlq_error_message"),
            ),
        );
    }
    for (key, (stage, class, words)) in &want {
        let (got_stage, got_class, message) = seen
            .get(key)
            .unwrap_or_else(|| panic!("{key} was not dead-lettered; seen {seen:?}"));
        assert_eq!(
            (got_stage.as_str(), got_class.as_str()),
            (*stage, *class),
            "{key}"
        );
        assert!(
            message.contains(words),
            "{key}: the reason {message:?} names {words:?}"
        );
    }
    assert!(
        seen.keys().all(|k| k.starts_with("hostile-")),
        "no valid dossier was dead-lettered: {:?}",
        seen.keys().collect::<Vec<_>>()
    );
    assert!(
        app.proc.0.try_wait().expect("wait").is_none(),
        "the process is still running"
    );
    for (stage, _) in STAGES {
        let line = format!("dossier_dead_letters_total{{stage=\"{stage}\",reason=\"wrong_type\"}}");
        assert_eq!(common::metric(&app.admin, &line).await, 1.0, "{line}");
    }
}
