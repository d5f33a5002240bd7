//! Retention: CSDLQG-derived data is deleted only past its period and only for final
//! dossiers; leftover staged records go after their own bound; the dossier row keeps its
//! masked ID and blind index.

use std::time::Duration;

use dossierflow_consumers::personal_data::{
    RetentionPolicy, RetentionReport, dossiers_for_id, run_retention,
};
use dossierflow_domain::NationalId;
use sqlx::PgPool;
use uuid::Uuid;

use super::common::{drop_db, fresh_db};
use super::seed::{ALICE, BOB, CAROL, citizen_data, dossier, old_ring};

const DAY: u64 = 86_400;

fn policy() -> RetentionPolicy {
    RetentionPolicy {
        citizen_data_after: Duration::from_secs(30 * DAY),
        staging_after: Duration::from_secs(7 * DAY),
        batch: 1,
    }
}

async fn exec(pool: &PgPool, sql: &'static str, id: Uuid) {
    sqlx::query(sql)
        .bind(id)
        .execute(pool)
        .await
        .expect("update");
}

/// (citizen data row, staged record, sealed ID) still present.
async fn held(pool: &PgPool, id: Uuid) -> (bool, bool, bool) {
    sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM dossier_citizen_data WHERE dossier_id = $1),
                EXISTS (SELECT 1 FROM citizen_record_staging WHERE dossier_id = $1),
                (SELECT applicant_id_sealed IS NOT NULL FROM dossier WHERE id = $1)",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("held")
}

#[tokio::test]
async fn retention_deletes_only_data_past_its_period_of_final_dossiers() {
    let (pool, name) = fresh_db("pd_retention").await;
    let keys = old_ring();
    // Returned 40 days ago: past the 30-day period.
    let old_final = dossier(&pool, &keys, ALICE, 10).await;
    citizen_data(&pool, &keys, old_final).await;
    exec(
        &pool,
        "UPDATE dossier SET finished_at = now() - interval '40 days' WHERE id = $1",
        old_final,
    )
    .await;
    // Refused 5 days ago: within the period.
    let recent_final = dossier(&pool, &keys, BOB, 3).await;
    citizen_data(&pool, &keys, recent_final).await;
    exec(
        &pool,
        "UPDATE dossier SET finished_at = now() - interval '5 days' WHERE id = $1",
        recent_final,
    )
    .await;
    // Still processing, submitted and last changed a year ago: not final, kept.
    let open = dossier(&pool, &keys, CAROL, 4).await;
    citizen_data(&pool, &keys, open).await;
    exec(&pool, "UPDATE dossier SET submitted_at = now() - interval '1 year', updated_at = now() - interval '1 year' WHERE id = $1", open).await;
    // Processing, its staged record left 10 days ago (past the 7-day staging bound).
    let stale = dossier(&pool, &keys, CAROL, 4).await;
    citizen_data(&pool, &keys, stale).await;
    exec(&pool, "UPDATE citizen_record_staging SET created_at = now() - interval '10 days' WHERE dossier_id = $1", stale).await;

    let expected = RetentionReport {
        citizen_data: 1,
        staging: 2,
        sealed_ids: 1,
    };
    let dry = run_retention(&pool, &policy(), true)
        .await
        .expect("dry run");
    assert_eq!(dry, expected);
    assert_eq!(
        held(&pool, old_final).await,
        (true, true, true),
        "dry run deletes nothing"
    );

    let done = run_retention(&pool, &policy(), false).await.expect("run");
    assert_eq!(done, expected);
    assert_eq!(
        held(&pool, old_final).await,
        (false, false, false),
        "past its period"
    );
    assert_eq!(
        held(&pool, recent_final).await,
        (true, true, true),
        "within its period"
    );
    assert_eq!(held(&pool, open).await, (true, true, true), "not final");
    assert_eq!(
        held(&pool, stale).await,
        (true, false, true),
        "only the stale staged record"
    );
    // The dossier row stays findable with its masked ID (blind index kept).
    let found = dossiers_for_id(&pool, &keys, &NationalId::parse(ALICE).expect("id"))
        .await
        .expect("lookup");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].applicant_id_masked, "0251******87");
    // Nothing left to do.
    let again = run_retention(&pool, &policy(), false).await.expect("again");
    assert_eq!(again, RetentionReport::default());
    drop_db(pool, &name).await;
}

#[tokio::test]
async fn finished_at_follows_the_status() {
    let (pool, name) = fresh_db("pd_finished").await;
    let keys = old_ring();
    let d = dossier(&pool, &keys, ALICE, 4).await;
    let at = |pool: PgPool| async move {
        let (v,): (Option<chrono::DateTime<chrono::Utc>>,) =
            sqlx::query_as("SELECT finished_at FROM dossier WHERE id = $1")
                .bind(d)
                .fetch_one(&pool)
                .await
                .expect("finished_at");
        v
    };
    assert_eq!(at(pool.clone()).await, None, "processing is not final");
    exec(&pool, "UPDATE dossier SET status = 9 WHERE id = $1", d).await;
    assert_eq!(
        at(pool.clone()).await,
        None,
        "completed (result ready) is not final"
    );
    exec(&pool, "UPDATE dossier SET status = 10 WHERE id = $1", d).await;
    let first = at(pool.clone()).await.expect("returned is final");
    assert!((chrono::Utc::now() - first).num_seconds().abs() < 60);
    exec(
        &pool,
        "UPDATE dossier SET stage = 'routed', updated_at = now() WHERE id = $1",
        d,
    )
    .await;
    assert_eq!(at(pool.clone()).await, Some(first), "other updates keep it");
    let refused = dossier(&pool, &keys, BOB, 3).await;
    let (v,): (Option<chrono::DateTime<chrono::Utc>>,) =
        sqlx::query_as("SELECT finished_at FROM dossier WHERE id = $1")
            .bind(refused)
            .fetch_one(&pool)
            .await
            .expect("finished_at");
    assert!(
        v.is_some(),
        "inserted final (refused at verification) counts too"
    );
    drop_db(pool, &name).await;
}

#[tokio::test]
async fn the_scheduler_job_runs_the_rules_and_counts_the_rows() {
    let (pool, name) = fresh_db("pd_retjob").await;
    let keys = old_ring();
    let d = dossier(&pool, &keys, ALICE, 8).await;
    citizen_data(&pool, &keys, d).await;
    exec(
        &pool,
        "UPDATE dossier SET finished_at = now() - interval '40 days' WHERE id = $1",
        d,
    )
    .await;
    let metrics = dossierflow_runtime::telemetry::Metrics::new();
    let job = dossierflow_consumers::personal_data::RetentionJob {
        pool: pool.clone(),
        policy: policy(),
        tick: Duration::from_millis(50),
        metrics: Some(metrics.clone()),
    };
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(job.run(stop.clone()));
    let started = std::time::Instant::now();
    while held(&pool, d).await != (false, false, false) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "job did not run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    task.await.expect("join").expect("job");
    assert_eq!(
        metrics.retention_deleted.get(),
        3,
        "citizen data, staged record, sealed ID"
    );
    drop_db(pool, &name).await;
}
