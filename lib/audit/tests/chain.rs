//! The chain against a real PostgreSQL: appends verify, concurrent appends stay linear,
//! the triggers refuse changes, and tampering behind the triggers' back is located.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{TestDb, record};
use dossierflow_audit::{AuditKey, GENESIS_HASH, append, verify_chain};

const ID: &str = "025199001287";

#[tokio::test]
async fn appends_verify_and_link_from_genesis() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    let empty = verify_chain(&db.pool).await.unwrap();
    assert_eq!(
        (empty.rows, empty.first_broken, empty.head_hash),
        (0, None, None)
    );

    let mut seqs = Vec::new();
    for attempt in 1..=3 {
        seqs.push(append(&db.pool, &key, &record(ID, attempt)).await.unwrap());
    }
    // A rolled-back append leaves a gap in seq; the chain does not care.
    sqlx::query("SELECT nextval(pg_get_serial_sequence('lookup_audit', 'seq'))")
        .execute(&db.pool)
        .await
        .unwrap();
    seqs.push(append(&db.pool, &key, &record(ID, 4)).await.unwrap());
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(seqs[3] - seqs[2], 2, "the gap is there");

    let report = verify_chain(&db.pool).await.unwrap();
    assert_eq!(report.rows, 4);
    assert_eq!(report.first_broken, None, "{:?}", report.reason);
    assert_eq!(report.reason, None);
    let first: (String,) =
        sqlx::query_as("SELECT prev_hash FROM lookup_audit ORDER BY seq LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(first.0, GENESIS_HASH);
}

#[tokio::test]
async fn concurrent_appends_keep_one_linear_chain() {
    let db = TestDb::new().await;
    let key = Arc::new(AuditKey::from_secret(b"test-key"));
    let tasks = 8;
    let per_task: usize = std::env::var("AUDIT_BENCH_PER_TASK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let (pool, key) = (db.pool.clone(), Arc::clone(&key));
            tokio::spawn(async move {
                let id = format!("0010{t}9{:06}", t * 1000);
                for i in 0..per_task {
                    append(&pool, &key, &record(&id, i as i32 + 1))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    let elapsed = started.elapsed();
    let total = tasks * per_task;
    println!(
        "appended {total} rows from {tasks} tasks in {:.3} s: {:.0} rows/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    let report = verify_chain(&db.pool).await.unwrap();
    assert_eq!(report.rows, total as u64);
    assert_eq!(report.first_broken, None, "{:?}", report.reason);
}

#[tokio::test]
async fn triggers_refuse_update_delete_and_truncate() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    let seq = append(&db.pool, &key, &record(ID, 1)).await.unwrap();
    let attempts = [
        "UPDATE lookup_audit SET outcome = 'not_found' WHERE seq = $1",
        "DELETE FROM lookup_audit WHERE seq = $1",
    ];
    for sql in attempts {
        let err = sqlx::query(sql)
            .bind(seq)
            .execute(&db.pool)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let err = sqlx::query("TRUNCATE lookup_audit")
        .execute(&db.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let report = verify_chain(&db.pool).await.unwrap();
    assert_eq!((report.rows, report.first_broken), (1, None));
}

/// Disables the triggers as a superuser can, runs `sql`, and enables them again.
async fn behind_the_triggers(db: &TestDb, sql: &str, seq: i64) {
    sqlx::query("ALTER TABLE lookup_audit DISABLE TRIGGER ALL")
        .execute(&db.pool)
        .await
        .unwrap();
    let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(seq)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
    sqlx::query("ALTER TABLE lookup_audit ENABLE TRIGGER ALL")
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn tampering_is_located_at_the_changed_row() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    let mut seqs = Vec::new();
    for attempt in 1..=6 {
        seqs.push(append(&db.pool, &key, &record(ID, attempt)).await.unwrap());
    }
    let victim = seqs[3];
    behind_the_triggers(
        &db,
        "UPDATE lookup_audit SET outcome = 'not_found' WHERE seq = $1",
        victim,
    )
    .await;
    let report = verify_chain(&db.pool).await.unwrap();
    assert_eq!(report.rows, 6);
    assert_eq!(report.first_broken, Some(victim));
    assert!(
        report.reason.as_deref().unwrap().contains("row_hash"),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_deleted_row_breaks_the_next_link() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    let mut seqs = Vec::new();
    for attempt in 1..=5 {
        seqs.push(append(&db.pool, &key, &record(ID, attempt)).await.unwrap());
    }
    behind_the_triggers(&db, "DELETE FROM lookup_audit WHERE seq = $1", seqs[2]).await;
    let report = verify_chain(&db.pool).await.unwrap();
    assert_eq!(report.rows, 4);
    assert_eq!(report.first_broken, Some(seqs[3]));
    assert!(
        report.reason.as_deref().unwrap().contains("prev_hash"),
        "{report:?}"
    );
}
