//! `outbox::append_all` against a real PostgreSQL: one statement writes every event to
//! the outbox and the history, in the given order, with the same columns as `append`;
//! events with personal data are refused.

mod common;

use chrono::Utc;
use dossierflow_runtime::outbox;
use dossierflow_schemas::{ApplicantV1, Envelope, StatusV1, SubmittedV1};
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
        sqlx::query(
            "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at)
             VALUES ($1, '1.001193', 1, 'submitted', '0251******87', now())",
        )
        .bind(id)
        .execute(&pool)
        .await
        .expect("dossier");
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

    let submitted = Envelope::new(
        "/test",
        SubmittedV1 {
            dossier_id: a,
            procedure_code: "1.001193".into(),
            submitted_at: Utc::now(),
            applicant: ApplicantV1 {
                full_name: "Nguyễn Văn An".into(),
                id_number: "025190012387".into(),
                birth_date: "1990".into(),
                phone: None,
                email: None,
            },
            receiving_unit: None,
        },
    );
    let mut tx = pool.begin().await.expect("tx");
    let refused = outbox::append_all(&mut tx, "t.submitted", &[submitted]).await;
    assert!(
        refused.is_err(),
        "personal data must go through append_sealed"
    );
    tx.rollback().await.expect("rollback");

    test_db.drop_now().await;
}
