//! Outcomes, receipts and receipt expiries lock notification rows in id order whatever
//! plan PostgreSQL gives their UPDATE, so two of them sharing rows wait for each other
//! and never deadlock. The pool under test is made to read the table in heap order,
//! with a heap order that is not the id order; a row a blocker holds must stop the
//! statement before it locks any row with a larger id.

mod common;

use std::str::FromStr;
use std::time::Duration;

use dossierflow_consumers::notify::policy::{Next, Terminal};
use dossierflow_consumers::notify::queue::{Attempted, expire_receipts, record_all};
use dossierflow_consumers::notify::receipt_group::{Receipt, apply_receipts};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

const SMALL: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);
const LARGE: Uuid = Uuid::from_u128(0xffff_ffff_ffff_7fff_bfff_ffff_ffff_fffe);

/// A database whose `notification` holds 1,000 rows (analysed) with LARGE written
/// before SMALL, both in `state` with `lease_until` and `sent_at` set; and a pool on it
/// that never uses an index scan, so its UPDATE joins read the table in heap order.
async fn setup(label: &str, state: &str) -> (PgPool, PgPool, String) {
    let (pool, name) = common::fresh_db(label).await;
    for id in [LARGE, SMALL] {
        let d = common::dossier(&pool).await;
        sqlx::query(
            "INSERT INTO notification (id, dossier_id, status_event_id, channel, status_code,
                                       template, facts, state, lease_until, sent_at)
             VALUES ($1, $2, gen_random_uuid(), 'sms', 1, 'submitted', '{}', $3,
                     now() + interval '1 hour', now() - interval '1 hour')",
        )
        .bind(id)
        .bind(d)
        .bind(state)
        .execute(&pool)
        .await
        .expect("row");
    }
    let d = common::dossier(&pool).await;
    sqlx::query(
        "INSERT INTO notification (id, dossier_id, status_event_id, channel, status_code,
                                   template, facts, state, finished_at)
         SELECT gen_random_uuid(), $1, gen_random_uuid(), 'email', k, 'submitted', '{}',
                'delivered', now()
           FROM generate_series(1, 1000) AS k",
    )
    .bind(d)
    .execute(&pool)
    .await
    .expect("filler");
    sqlx::query("ANALYZE notification")
        .execute(&pool)
        .await
        .expect("analyze");
    let options = PgConnectOptions::from_str(&common::db_url(&name))
        .expect("url")
        .options([
            ("enable_indexscan", "off"),
            ("enable_bitmapscan", "off"),
            ("enable_nestloop", "off"),
            ("enable_mergejoin", "off"),
        ]);
    let heap_order = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .expect("pool");
    (pool, heap_order, name)
}

/// Runs `statement` while another transaction holds SMALL; once the statement waits,
/// LARGE must still be free. Then the holder commits and the statement finishes.
async fn locks_small_before_large<F, T>(pool: &PgPool, statement: F) -> T
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut holder = pool.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM notification WHERE id = $1 FOR UPDATE")
        .bind(SMALL)
        .execute(&mut *holder)
        .await
        .expect("hold SMALL");
    let running = tokio::spawn(statement);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .expect("pg_locks");
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the statement never waited for SMALL"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut probe = pool.begin().await.expect("begin");
    let large_free = sqlx::query("SELECT 1 FROM notification WHERE id = $1 FOR UPDATE NOWAIT")
        .bind(LARGE)
        .execute(&mut *probe)
        .await;
    probe.rollback().await.expect("rollback");
    holder.commit().await.expect("release SMALL");
    let out = running.await.expect("statement");
    assert!(
        large_free.is_ok(),
        "LARGE was locked while SMALL was awaited: {large_free:?}"
    );
    out
}

#[tokio::test]
async fn outcomes_lock_in_id_order() {
    let (pool, heap_order, name) = setup("lock_outcome", "queued").await;
    let results: Vec<Attempted> = [LARGE, SMALL]
        .into_iter()
        .map(|id| Attempted {
            id,
            next: Next::Final(Terminal::Delivered),
            provider_ref: None,
            error: None,
        })
        .collect();
    let recorded = locks_small_before_large(&pool, async move {
        record_all(&heap_order, &results).await.expect("record")
    })
    .await;
    assert_eq!(recorded, [true, true]);
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn receipts_lock_in_id_order() {
    let (pool, heap_order, name) = setup("lock_receipt", "sent").await;
    let receipts: Vec<Receipt> = [LARGE, SMALL]
        .into_iter()
        .map(|id| Receipt {
            channel: "sms".into(),
            id,
            state: Terminal::Delivered,
            provider_ref: None,
        })
        .collect();
    let effects = locks_small_before_large(&pool, async move {
        apply_receipts(&heap_order, &receipts).await.expect("apply")
    })
    .await;
    assert_eq!(effects.len(), 2);
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn expiries_lock_in_id_order() {
    let (pool, heap_order, name) = setup("lock_expiry", "sent").await;
    let expired = locks_small_before_large(&pool, async move {
        expire_receipts(&heap_order, "sms", Duration::from_secs(60))
            .await
            .expect("expire")
    })
    .await;
    assert_eq!(expired, 2);
    common::drop_db(pool, &name).await;
}
