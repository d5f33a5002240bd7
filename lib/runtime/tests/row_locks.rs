//! Row locks between stages on one dossier: rows that reference a dossier (history,
//! notifications) and the route stage's update that sets its code do not wait for each
//! other, and codes stay unique.

mod common;

use common::TestDb;
use uuid::Uuid;

#[tokio::test]
async fn setting_the_code_does_not_wait_for_a_reference_to_the_dossier() {
    let db = TestDb::create("row_locks").await;
    let (d, other) = (Uuid::new_v4(), Uuid::new_v4());
    db.dossier(d).await;
    db.dossier(other).await;
    // Another stage's open transaction references the dossier (FOR KEY SHARE on it).
    let mut history = db.pool.begin().await.expect("begin");
    sqlx::query(
        "INSERT INTO dossier_event (event_id, dossier_id, type, payload, occurred_at)
         VALUES ($1, $2, 'dossier.status.v1', '{}', now())",
    )
    .bind(Uuid::new_v4())
    .bind(d)
    .execute(&mut *history)
    .await
    .expect("history row");
    // The route stage's statements, which must not wait for it.
    let mut route = db.pool.begin().await.expect("begin");
    sqlx::query("SET LOCAL lock_timeout = '2s'")
        .execute(&mut *route)
        .await
        .expect("timeout");
    sqlx::query("SELECT status FROM dossier WHERE id = $1 FOR NO KEY UPDATE")
        .bind(d)
        .execute(&mut *route)
        .await
        .expect("row lock without waiting");
    sqlx::query("UPDATE dossier SET status = 2, dossier_code = 'C-1' WHERE id = $1")
        .bind(d)
        .execute(&mut *route)
        .await
        .expect("setting the code does not wait for the reference");
    route.commit().await.expect("commit");
    history.commit().await.expect("commit");
    // Still unique.
    let again = sqlx::query("UPDATE dossier SET dossier_code = 'C-1' WHERE id = $1")
        .bind(other)
        .execute(&db.pool)
        .await;
    let err = again.expect_err("a code is unique");
    assert_eq!(
        err.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("23505")
    );
    db.drop_now().await;
}
