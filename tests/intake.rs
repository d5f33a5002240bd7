//! System test: the intake API rejects bad input with a JSON body naming every bad
//! field, nothing from a rejected request reaches PostgreSQL or Kafka, and a retried
//! submission with the same Idempotency-Key returns the original result.

mod common;

use std::time::{Duration, Instant};

use common::{TestDb, require_broker, start_app};
use rdkafka::Message;
use serde_json::{Value, json};
use uuid::Uuid;

fn valid() -> Value {
    json!({
        "procedure_code": "1.001193",
        "applicant": {"full_name": "Trần Thị Bích Ngọc", "id_number": "025190000123", "birth_date": "20/04/1990", "phone": "+84 912 345 678"}
    })
}

fn fields(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_with_reasons_and_never_reaches_kafka() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let app = start_app(
        "intake",
        &db,
        &prefix,
        None,
        &[("DOSSIER__INTAKE__MAX_BODY_BYTES", "4096")],
    )
    .await;
    let url = format!("{}/v1/dossiers", app.api);
    let http = reqwest::Client::new();

    let doc: Value = http
        .get(format!("{}/openapi.json", app.api))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc}"
    );
    assert!(
        doc["paths"]["/v1/dossiers"]["post"]["responses"]["422"].is_object(),
        "422 documented"
    );

    let post = |body: String, ctype: &'static str| {
        http.post(&url)
            .bearer_auth(common::PORTAL_TOKEN)
            .header("content-type", ctype)
            .body(body)
            .send()
    };

    let r = post("{\"procedure_code\": ".into(), "application/json")
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"],
        "malformed_json"
    );

    let r = post(valid().to_string(), "text/plain").await.expect("post");
    assert_eq!(r.status(), 415);

    let r = post("x".repeat(5000), "application/json")
        .await
        .expect("post");
    assert_eq!(r.status(), 413);

    let r = post(
        json!({"procedure_code": "1.001193", "applicant": {}}).to_string(),
        "application/json",
    )
    .await
    .expect("post");
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    for f in [
        "applicant.full_name",
        "applicant.id_number",
        "applicant.birth_date",
    ] {
        assert!(
            fields(&body).contains(&f.to_owned()),
            "{f} not named in {body}"
        );
    }

    let mut bad = valid();
    bad["applicant"]["id_number"] = json!("0251900001");
    bad["applicant"]["birth_date"] = json!("1990-13-45");
    let r = post(bad.to_string(), "application/json")
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        fields(&body),
        vec!["applicant.id_number", "applicant.birth_date"],
        "{body}"
    );
    assert!(
        body["fields"][0]["message_vi"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(
        !body.to_string().contains("0251900001"),
        "errors must not echo the ID"
    );

    // A valid submission, retried with the same key, is accepted once.
    let send = |body: Value| {
        http.post(&url)
            .bearer_auth(common::PORTAL_TOKEN)
            .header("idempotency-key", "portal-req-1")
            .json(&body)
            .send()
    };
    let first: Value = send(valid())
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let again = send(valid()).await.expect("post");
    assert_eq!(again.status(), 202);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let again: Value = again.json().await.expect("json");
    assert_eq!(first["dossier_id"], again["dossier_id"]);
    let mut other = valid();
    other["applicant"]["phone"] = json!("0987654321");
    assert_eq!(
        send(other).await.expect("post").status(),
        422,
        "same key, different body"
    );

    let pool = db.pool().await;
    let (dossiers,): (i64,) = sqlx::query_as("SELECT count(*) FROM dossier")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(dossiers, 1, "only the valid submission is stored");
    let id = first["dossier_id"].as_str().expect("id").to_owned();
    assert_eq!(
        submitted_keys(&prefix).await,
        vec![id],
        "exactly the valid dossier reaches Kafka"
    );
}

async fn submitted_keys(prefix: &str) -> Vec<String> {
    let consumer = common::kafka::reader(
        &format!("{prefix}test-reader"),
        &format!("{prefix}dossier.submitted.v1"),
    );
    let mut keys = vec![];
    let until = Instant::now() + Duration::from_secs(8);
    while Instant::now() < until {
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_millis(500), consumer.recv()).await {
            keys.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
        }
    }
    keys
}

/// Retries racing each other: submissions arriving together share a group commit, so a
/// retry may meet its key's first use uncommitted in its own group. Every answer must
/// still be the original dossier, and only one is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_key_store_one_dossier() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let app = start_app("intake", &db, &prefix, None, &[]).await;
    let url = format!("{}/v1/dossiers", app.api);
    let http = reqwest::Client::new();
    let sends = (0..16).map(|_| {
        http.post(&url)
            .bearer_auth(common::PORTAL_TOKEN)
            .header("idempotency-key", "portal-burst-1")
            .json(&valid())
            .send()
    });
    let mut ids = Vec::new();
    for answer in futures::future::join_all(sends).await {
        let answer = answer.expect("post");
        assert_eq!(answer.status(), 202, "every retry is answered as accepted");
        let body: Value = answer.json().await.expect("json");
        ids.push(body["dossier_id"].as_str().expect("id").to_owned());
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "one dossier: {ids:?}");
    let pool = db.pool().await;
    let (dossiers,): (i64,) = sqlx::query_as("SELECT count(*) FROM dossier")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(dossiers, 1);
}
