//! Due-date scheduler against PostgreSQL: two instances ticking at once mark each overdue
//! unfinished dossier exactly once, leave finished and not-yet-due ones alone, and keep
//! the per-agency gauge right.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use dossierflow_consumers::deadlines::{OVERDUE_REASON, Scheduler};
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::telemetry::{AgencyLabel, Metrics};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const A: &str = "000.01.30.H43";
const B: &str = "000.02.30.H43";

async fn insert(pool: &PgPool, n: u32, agency: &str, status: i16, due_in_secs: i64) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, dossier_code, agency_id,
                              applicant_id_masked, submitted_at, received_at, due_at)
         VALUES ($1, '1.001', $2, 'routed', $3, $4, '0251******87', now(), now(), $5)",
    )
    .bind(id)
    .bind(status)
    .bind(format!("{agency}-261127-{n:04}"))
    .bind(agency)
    .bind(Utc::now() + chrono::Duration::seconds(due_in_secs))
    .execute(pool)
    .await
    .expect("insert dossier");
    id
}

/// Events per (dossier, type) in the history, and per type in the outbox.
async fn events(pool: &PgPool) -> (BTreeMap<(Uuid, String), i64>, BTreeMap<String, i64>) {
    let history: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT dossier_id, type, count(*) FROM dossier_event GROUP BY dossier_id, type",
    )
    .fetch_all(pool)
    .await
    .expect("history");
    let outbox: Vec<(String, i64)> =
        sqlx::query_as("SELECT type, count(*) FROM outbox GROUP BY type")
            .fetch_all(pool)
            .await
            .expect("outbox");
    (
        history.into_iter().map(|(d, t, n)| ((d, t), n)).collect(),
        outbox.into_iter().collect(),
    )
}

fn gauge(metrics: &Metrics, agency: &str) -> i64 {
    metrics
        .overdue
        .get_or_create(&AgencyLabel {
            agency: agency.to_owned(),
        })
        .get()
}

fn scheduler(pool: &PgPool, metrics: &std::sync::Arc<Metrics>) -> Scheduler {
    Scheduler {
        pool: pool.clone(),
        kafka: KafkaArgs {
            brokers: None,
            topic_prefix: String::new(),
            partitions: 1,
            stats_interval: Duration::ZERO,
            security: Default::default(),
        },
        metrics: metrics.clone(),
        tick: Duration::from_millis(200),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deadlines_two_instances_mark_each_overdue_dossier_once() {
    let (pool, name) = common::fresh_db("deadlines").await;

    // Overdue and unfinished: received, processing, supplement, payment.
    let mut overdue = Vec::new();
    for (n, (agency, status)) in [(A, 2), (A, 4), (A, 5), (B, 6), (B, 4)]
        .into_iter()
        .enumerate()
    {
        overdue.push(insert(&pool, n as u32 + 1, agency, status, -3600).await);
    }
    // Overdue but finished: refused, withdrawn, stopped, completed, returned.
    let mut quiet = Vec::new();
    for (n, status) in [3, 7, 8, 9, 10].into_iter().enumerate() {
        quiet.push(insert(&pool, n as u32 + 20, A, status, -3600).await);
    }
    // Unfinished, not yet due.
    quiet.push(insert(&pool, 30, A, 4, 3600).await);
    quiet.push(insert(&pool, 31, B, 2, 3600).await);

    let (m1, m2) = (Metrics::new(), Metrics::new());
    let shutdown = CancellationToken::new();
    let t1 = tokio::spawn(scheduler(&pool, &m1).run(shutdown.clone()));
    let t2 = tokio::spawn(scheduler(&pool, &m2).run(shutdown.clone()));
    // A dossier that falls due while the schedulers run is caught at a later tick.
    let late = insert(&pool, 40, B, 4, 1).await;
    overdue.push(late);
    tokio::time::sleep(Duration::from_millis(2200)).await;

    let (history, outbox) = events(&pool).await;
    for id in &overdue {
        assert_eq!(
            history.get(&(*id, "dossier.overdue.v1".into())),
            Some(&1),
            "{id}"
        );
        assert_eq!(
            history.get(&(*id, "dossier.status.v1".into())),
            Some(&1),
            "{id}"
        );
    }
    for id in &quiet {
        assert!(!history.keys().any(|(d, _)| d == id), "{id} got an event");
    }
    assert_eq!(outbox.get("dossier.overdue.v1"), Some(&6));
    assert_eq!(outbox.get("dossier.status.v1"), Some(&6));
    let (reason, code): (String, i32) = sqlx::query_as(
        "SELECT payload->>'reason', (payload->>'status_code')::int FROM dossier_event
         WHERE dossier_id = $1 AND type = 'dossier.status.v1'",
    )
    .bind(overdue[1])
    .fetch_one(&pool)
    .await
    .expect("status event");
    assert_eq!((reason.as_str(), code), (OVERDUE_REASON, 4));
    let marked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dossier WHERE overdue_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(marked, 6);
    for m in [&m1, &m2] {
        assert_eq!((gauge(m, A), gauge(m, B)), (3, 3));
    }

    // Agency B finishes its overdue dossiers: its gauge drops to 0, no new event.
    sqlx::query("UPDATE dossier SET status = 9 WHERE agency_id = $1 AND overdue_at IS NOT NULL")
        .bind(B)
        .execute(&pool)
        .await
        .expect("complete");
    tokio::time::sleep(Duration::from_millis(600)).await;
    for m in [&m1, &m2] {
        assert_eq!((gauge(m, A), gauge(m, B)), (3, 0));
    }
    assert_eq!(events(&pool).await.1.get("dossier.overdue.v1"), Some(&6));

    shutdown.cancel();
    for t in [t1, t2] {
        tokio::time::timeout(Duration::from_secs(2), t)
            .await
            .expect("stops on shutdown")
            .expect("task")
            .expect("ok");
    }
    common::drop_db(pool, &name).await;
}
