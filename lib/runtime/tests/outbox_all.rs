//! `outbox::append_all` against a real PostgreSQL: one statement writes every event to
//! the outbox and the history, in the given order, with the same columns as `append`;
//! events with personal data are refused.

mod common;

use chrono::Utc;
use dossierflow_runtime::outbox;
use dossierflow_schemas::{Envelope, RoutedV1, StatusV1};
use uuid::Uuid;

type OutboxRow = (Uuid, String, String, String, serde_json::Value);

#[tokio::test]
async fn append_all_writes_like_append_in_order_and_refuses_personal_data() {
    let test_db = common::TestDb::create("outbox_all").await;
    let pool = test_db.pool.clone();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let events: Vec<_> = (1..=4u8)
        .map(|code| common::status(if code % 2 == 0 { a } else { b }, code))
        .collect();
    let single = common::status(a, 9);
    for id in [a, b] {
        test_db.dossier(id).await;
    }
    let mut tx = pool.begin().await.expect("tx");
    outbox::append_all(&mut tx, "t.status", &events)
        .await
        .expect("append_all");
    outbox::append(&mut tx, "t.status", &single)
        .await
        .expect("append");
    outbox::append_all::<StatusV1>(&mut tx, "t.status", &[])
        .await
        .expect("nothing to do");
    tx.commit().await.expect("commit");

    let rows: Vec<OutboxRow> = sqlx::query_as(
        "SELECT id, aggregateid, topic, type, payload FROM outbox ORDER BY created_at",
    )
    .fetch_all(&pool)
    .await
    .expect("outbox");
    let expected: Vec<OutboxRow> = events
        .iter()
        .chain(std::iter::once(&single))
        .map(|e| {
            let payload = serde_json::to_value(&e.data).expect("json");
            (e.id, e.key(), "t.status".into(), e.ty.clone(), payload)
        })
        .collect();
    assert_eq!(rows, expected, "same rows as `append`, in the given order");
    let history: Vec<(Uuid, Uuid)> =
        sqlx::query_as("SELECT event_id, dossier_id FROM dossier_event ORDER BY seq")
            .fetch_all(&pool)
            .await
            .expect("history");
    let want: Vec<(Uuid, Uuid)> = expected
        .iter()
        .zip(events.iter().chain(std::iter::once(&single)))
        .map(|(row, e)| (row.0, e.data.dossier_id))
        .collect();
    assert_eq!(history, want, "one history row per event, in order");

    let submitted = common::submitted(a);
    let mut tx = pool.begin().await.expect("tx");
    let refused = outbox::append_all(&mut tx, "t.submitted", &[submitted]).await;
    assert!(
        refused.is_err(),
        "personal data must go through append_sealed"
    );
    tx.rollback().await.expect("rollback");

    test_db.drop_now().await;
}

/// An outbox row without its id, and whether the id is the event's own.
type Written = (
    String,
    String,
    String,
    String,
    serde_json::Value,
    String,
    bool,
);

async fn written(pool: &sqlx::PgPool, ids: &[Uuid]) -> (Vec<Written>, Vec<serde_json::Value>) {
    let outbox: Vec<Written> = sqlx::query_as(
        "SELECT aggregatetype, aggregateid, topic, type, payload, source || occurred_at::text,
                id = ANY($1) FROM outbox ORDER BY created_at, id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .expect("outbox");
    let history: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('id', event_id, 'd', dossier_id, 't', type, 'p', payload,
                                   'at', occurred_at) FROM dossier_event ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .expect("history");
    (outbox, history)
}

#[tokio::test]
async fn a_batch_of_mixed_events_writes_like_append_and_append_copy() {
    let test_db = common::TestDb::create("outbox_batch").await;
    let pool = test_db.pool.clone();
    let dossier = Uuid::now_v7();
    test_db.dossier(dossier).await;
    let routed = Envelope::new(
        "/test",
        RoutedV1 {
            dossier_id: dossier,
            dossier_code: "000.00.92.H55-261128-0001".into(),
            agency_id: "000.00.92.H55".into(),
            procedure_code: "1.001193".into(),
            received_at: Utc::now(),
            due_at: Utc::now(),
        },
    );
    let status = common::status(dossier, 2);
    let ids = [routed.id, status.id];

    let mut tx = pool.begin().await.expect("tx");
    outbox::append(&mut tx, "t.routed", &routed)
        .await
        .expect("append");
    outbox::append_copy(&mut tx, "t.agency", &routed)
        .await
        .expect("copy");
    outbox::append(&mut tx, "t.status", &status)
        .await
        .expect("append");
    tx.commit().await.expect("commit");
    let one_by_one = written(&pool, &ids).await;
    assert_eq!(one_by_one.0.len(), 3);
    assert_eq!(one_by_one.1.len(), 2, "the copy has no history row");
    for table in ["outbox", "dossier_event"] {
        let sql = format!("DELETE FROM {table}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .expect("clear");
    }

    let mut batch = outbox::Batch::new();
    batch.add("t.routed", &routed).expect("add");
    let copy = batch.add_copy("t.agency", &routed).expect("add copy");
    batch.add("t.status", &status).expect("add");
    assert_eq!(batch.len(), 3);
    let mut tx = pool.begin().await.expect("tx");
    batch.write(&mut tx).await.expect("batch");
    outbox::Batch::new()
        .write(&mut tx)
        .await
        .expect("empty batch");
    tx.commit().await.expect("commit");
    assert!(!ids.contains(&copy), "the copy has an id of its own");
    assert_eq!(
        written(&pool, &ids).await,
        one_by_one,
        "the same rows, in the same order, as one statement each"
    );

    let submitted = common::submitted(dossier);
    assert!(
        outbox::Batch::new().add("t.submitted", &submitted).is_err(),
        "personal data must go through append_sealed"
    );
    test_db.drop_now().await;
}
