//! System test of the verify stage's retry topics: a lookup that still fails after its
//! in-process retries is deferred to `…verify-retry-1`, then `-2`, then dead-lettered with
//! the attempt count; one whose CSDLQG recovers meanwhile is verified from a retry topic.

mod common;

use std::time::{Duration, Instant};

use common::{TestDb, headers_of, metric, require_broker, start_app, start_sim};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use rdkafka::Message;
use reqwest::Url;
use serde_json::json;
use uuid::Uuid;

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_lookups_walk_the_retry_topics_then_the_dead_letter_topic() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(8, 1000, &["--error-5xx-rate", "1.0"]).await;
    let sim_url = sim.url.clone();
    let extra = [
        ("DOSSIER__RETRY__DELAYS", "1s,2s"),
        ("DOSSIER__CSDLQG__ATTEMPTS", "2"),
        ("DOSSIER__CSDLQG__CACHE_TTL", "0"),
        // Keep the breaker out of it: this test is about failures of single dossiers.
        ("DOSSIER__CSDLQG__BREAKER_MIN_CALLS", "1000000"),
        ("DOSSIER__CSDLQG__BREAKER_CONSECUTIVE", "0"),
    ];
    let app = start_app("run", &db, &prefix, Some(&sim), &extra).await;
    let admin = app.admin.clone();
    let api = Url::parse(&format!("{}/", app.api)).expect("url");
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(8, 1000, &catalog);
    let mix = Mix {
        unknown: 0.0,
        wrong_birth: 0.0,
    };
    let mut two = generate(&pop, &catalog, 2, 8, mix)
        .into_iter()
        .map(|g| Outgoing {
            body: g.body,
            idempotency_key: g.idempotency_key,
        });
    let send = async |item: Outgoing| match submit_all(&api, vec![item], 1, false)
        .await
        .expect("submit")
        .remove(0)
    {
        Sent::Accepted(id) => id,
        other => panic!("{other:?}"),
    };

    // Dossier A fails on every attempt: retry-1, retry-2, then the dead-letter topic.
    let a = send(two.next().expect("a")).await;
    let dead = "dossier_dead_letters_total{stage=\"verify\",reason=\"csdlqg_transient\"}";
    wait_for("A dead-lettered", Duration::from_secs(30), async || {
        metric(&admin, dead).await == 1.0
    })
    .await;
    assert_eq!(
        metric(
            &admin,
            "dossier_retry_published_total{stage=\"verify\",level=\"1\"}"
        )
        .await,
        1.0
    );
    assert_eq!(
        metric(
            &admin,
            "dossier_retry_published_total{stage=\"verify\",level=\"2\"}"
        )
        .await,
        1.0
    );
    let consumer = common::kafka::reader(
        &format!("{prefix}dlq-reader"),
        &format!("{prefix}dossier.dlq.v1"),
    );
    let m = tokio::time::timeout(Duration::from_secs(20), consumer.recv())
        .await
        .expect("a DLQ record")
        .expect("record");
    let headers = headers_of(&m);
    assert_eq!(m.key(), Some(a.to_string().as_bytes()));
    assert_eq!(
        headers["dlq_attempts"], "3",
        "main topic + two retry topics"
    );
    assert_eq!(headers["dlq_error_class"], "csdlqg_transient");
    assert_eq!(
        headers["dlq_original_topic"],
        format!("{prefix}dossier.submitted.v1")
    );
    assert!(headers.contains_key("dlq_first_failed_at") && headers.contains_key("ce_id"));
    let pool = db.pool().await;
    let (waiting,): (Option<String>,) =
        sqlx::query_as("SELECT waiting_reason FROM dossier WHERE id = $1")
            .bind(a)
            .fetch_one(&pool)
            .await
            .expect("a");
    assert!(waiting.is_some(), "A shows why it waits");

    // Dossier B is deferred, then CSDLQG recovers before its retry is due.
    let b = send(two.next().expect("b")).await;
    let level1 = "dossier_retry_published_total{stage=\"verify\",level=\"1\"}";
    wait_for("B deferred", Duration::from_secs(20), async || {
        metric(&admin, level1).await == 2.0
    })
    .await;
    reqwest::Client::new()
        .post(format!("{sim_url}/admin/config"))
        .json(&json!({"error_rates": {"server_error": 0.0}}))
        .send()
        .await
        .expect("recover");
    wait_for(
        "B verified from the retry topic",
        Duration::from_secs(20),
        async || {
            let row: Option<(Option<String>, Option<String>)> =
                sqlx::query_as("SELECT verification, waiting_reason FROM dossier WHERE id = $1")
                    .bind(b)
                    .fetch_optional(&pool)
                    .await
                    .expect("b");
            matches!(row, Some((Some(v), None)) if v == "verified")
        },
    )
    .await;
    assert_eq!(metric(&admin, dead).await, 1.0, "B was not dead-lettered");
}
