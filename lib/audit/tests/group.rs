//! Grouped appends against a real PostgreSQL: many concurrent callers share
//! transactions, the chain stays linear and verifiable, an invalid record fails alone,
//! and a batch keeps its order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::time::Instant;

use common::{TestDb, record};
use dossierflow_audit::{AuditError, AuditKey, GroupAppender, append, append_many, verify_chain};

#[tokio::test]
async fn concurrent_callers_share_transactions_and_keep_one_linear_chain() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    // Rows written before the appender starts: the groups must link to them.
    append(&db.pool, &key, &record("025199001287", 1))
        .await
        .unwrap();
    let appender = GroupAppender::start(db.pool.clone(), key);
    let callers = 400usize;
    let started = Instant::now();
    let handles: Vec<_> = (0..callers)
        .map(|i| {
            let appender = appender.clone();
            tokio::spawn(async move {
                let id = format!("00109{:07}", i);
                appender.append(record(&id, 1)).await.unwrap()
            })
        })
        .collect();
    let mut seqs = HashSet::new();
    for h in handles {
        assert!(
            seqs.insert(h.await.unwrap()),
            "every caller gets its own seq"
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "grouped: {callers} rows in {elapsed:.3} s: {:.0} rows/s",
        callers as f64 / elapsed
    );
    let report = verify_chain(&db.pool).await.unwrap();
    assert_eq!(report.rows, callers as u64 + 1);
    assert_eq!(report.first_broken, None, "{:?}", report.reason);
    // A group is written in one transaction, so its rows share the commit's `at`.
    let (groups,): (i64,) = sqlx::query_as("SELECT count(DISTINCT at) FROM lookup_audit")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(
        (groups as usize) < callers,
        "{callers} concurrent appends took {groups} transactions: nothing was grouped"
    );
}

#[tokio::test]
async fn an_invalid_record_is_refused_alone_and_never_reaches_the_group() {
    let db = TestDb::new().await;
    let appender = GroupAppender::start(db.pool.clone(), AuditKey::from_secret(b"k"));
    let mut bad = record("025199001287", 1);
    bad.outcome = "not an identifier".into();
    let good = appender.append(record("025199001287", 2));
    let (bad, good) = tokio::join!(appender.append(bad), good);
    assert!(
        matches!(bad, Err(AuditError::InvalidField { .. })),
        "{bad:?}"
    );
    good.expect("a valid record beside an invalid one is written");
    assert_eq!(verify_chain(&db.pool).await.unwrap().rows, 1);
}

#[tokio::test]
async fn a_batch_is_appended_in_order_as_consecutive_links() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    let recs: Vec<_> = (1..=5).map(|a| record("025199001287", a)).collect();
    let seqs = append_many(&db.pool, &key, &recs).await.unwrap();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let attempts: Vec<(i32,)> = sqlx::query_as("SELECT attempt FROM lookup_audit ORDER BY seq")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        attempts.into_iter().map(|(a,)| a).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    let report = verify_chain(&db.pool).await.unwrap();
    assert_eq!((report.rows, report.first_broken), (5, None));
    // One invalid record fails the whole batch and writes nothing.
    let mut recs = recs;
    recs[2].id_digits = "12".into();
    assert!(append_many(&db.pool, &key, &recs).await.is_err());
    assert_eq!(verify_chain(&db.pool).await.unwrap().rows, 5);
}
