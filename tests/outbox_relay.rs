//! System tests of the outbox relays, every process a real one on the real broker and
//! PostgreSQL:
//! - `DOSSIER__OUTBOX__RELAY=false` keeps a process from publishing, and a relay in
//!   another process publishes its events, because the outbox is one table;
//! - one relay leads and publishes every row while the others stand by, and a standby
//!   leads once the leader exits;
//! - a standby publishes rows the leader leaves behind, and only once they are older
//!   than `DOSSIER__OUTBOX__TAKEOVER`.

mod common;

use std::time::{Duration, Instant};

use common::{App, TestDb, metric, require_broker, start_app};
use dossierflow_runtime::outbox::lead::LEADER_LOCK;
use sqlx::{Connection, PgConnection, PgPool};
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

/// Waits until nothing of `dossier` is left in the outbox.
async fn published(pool: &PgPool, dossier: Uuid, what: &str) {
    let until = Instant::now() + Duration::from_secs(30);
    while waiting(pool, dossier).await > 0 {
        assert!(Instant::now() < until, "{what}: not published within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Rows the process at `admin` has published.
async fn by(admin: &str) -> f64 {
    metric(admin, "dossier_outbox_published_total").await
}

/// Waits until the process's leadership gauge reads `want`.
async fn leading(app: &App, want: f64, what: &str) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let now = metric(&app.admin, "dossier_outbox_relay_leading").await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < until,
            "{what}: leadership gauge {now}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_relay_leads_and_a_standby_takes_over_when_the_leader_exits() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let enrich = start_app("enrich", &db, &prefix, None, &[]).await;
    leading(&enrich, 1.0, "the first relay").await;
    // A long takeover age: this standby publishes nothing the leader could still take.
    let slow = [("DOSSIER__OUTBOX__TAKEOVER", "60s")];
    let intake = start_app("intake", &db, &prefix, None, &slow).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    leading(&intake, 0.0, "the second relay").await;

    let pool = db.pool().await;
    let first = common::portal::submit(&intake.api, "025190000123").await;
    published(&pool, first, "intake's events, by the leader").await;
    assert_eq!(
        by(&intake.admin).await,
        0.0,
        "the standby published fresh rows"
    );
    assert!(
        by(&enrich.admin).await >= 1.0,
        "the leader published nothing"
    );

    drop(enrich);
    leading(&intake, 1.0, "the standby after the leader exited").await;
    let second = common::portal::submit(&intake.api, "025190000124").await;
    published(&pool, second, "events after the leader exited").await;
    assert!(
        by(&intake.admin).await >= 1.0,
        "the new leader published nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_publishes_only_rows_the_leader_left_behind() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    // This test holds the leader's lock and publishes nothing: a stuck leader. The lock
    // is the database's, so the database is created first (the app finds it there).
    let mut admin = PgConnection::connect(&common::admin_url())
        .await
        .expect("connect");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {}", db.name)))
        .execute(&mut admin)
        .await
        .expect("create database");
    admin.close().await.expect("close");
    let mut stuck = PgConnection::connect(&db.url).await.expect("connect");
    let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LEADER_LOCK)
        .fetch_one(&mut stuck)
        .await
        .expect("lock");
    assert!(held);
    let takeover = [("DOSSIER__OUTBOX__TAKEOVER", "3s")];
    let intake = start_app("intake", &db, &prefix, None, &takeover).await;
    let pool = db.pool().await;
    let dossier = common::portal::submit(&intake.api, "025190000125").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        waiting(&pool, dossier).await >= 1,
        "a standby published rows younger than the takeover age"
    );
    published(&pool, dossier, "rows the stuck leader left").await;
    leading(&intake, 0.0, "a relay while another session holds the lock").await;
    stuck.close().await.expect("release");
}
