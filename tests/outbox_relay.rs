//! System test: `DOSSIER__OUTBOX__RELAY=false` keeps a process from publishing, and a
//! relay in another process publishes its events, because the outbox is one table.

mod common;

use std::time::{Duration, Instant};

use common::{TestDb, require_broker, start_app};
use sqlx::PgPool;
use uuid::Uuid;

async fn waiting(pool: &PgPool, dossier: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE aggregateid = $1")
        .bind(dossier.to_string())
        .fetch_one(pool)
        .await
        .expect("outbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_without_a_relay_leaves_its_events_to_another_processs_relay() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let off = [("DOSSIER__OUTBOX__RELAY", "false")];
    let intake = start_app("intake", &db, &prefix, None, &off).await;
    let dossier = common::portal::submit(&intake.api, "025190000123").await;
    let pool = db.pool().await;

    // Several idle polls of a relay (20 ms) would have emptied it by now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let left = waiting(&pool, dossier).await;
    assert!(left >= 1, "intake published although its relay is off");

    let _enrich = start_app("enrich", &db, &prefix, None, &[]).await;
    let until = Instant::now() + Duration::from_secs(30);
    while waiting(&pool, dossier).await > 0 {
        assert!(
            Instant::now() < until,
            "another process's relay did not publish intake's events"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
