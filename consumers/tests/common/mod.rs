//! A fresh, migrated PostgreSQL database per test, dropped afterwards, rows to fill it,
//! and the server's update counts (HOT or not) for a table.
// Each test crate uses only some of these.
#![allow(dead_code)]

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

fn admin_url() -> String {
    std::env::var("DOSSIER_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates and migrates `dftest_<label>_<uuid>`; returns its pool and name.
pub async fn fresh_db(label: &str) -> (PgPool, String) {
    let name = format!("dftest_{label}_{}", uuid::Uuid::new_v4().simple());
    let args = dossierflow_runtime::config::DbArgs {
        database_url: db_url(&name),
        db_max_connections: 8,
    };
    let pool = dossierflow_runtime::db::connect_and_migrate(&args)
        .await
        .expect("database");
    (pool, name)
}

/// The URL of database `name` on the test server.
pub fn db_url(name: &str) -> String {
    format!(
        "{}/{name}",
        admin_url().rsplit_once('/').expect("db in url").0
    )
}

/// A one-connection pool on database `name`, for work whose statistics a test reads:
/// closing it ends the backend, which flushes them (see [`updates`]).
pub async fn own_pool(name: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(1)
        .connect(&db_url(name))
        .await
        .expect("connect")
}

/// Row versions of `table` updated, and how many of them were HOT (wrote no index
/// entry), once the server shows at least `at_least` updates or 20 s have passed.
/// Backends publish their counts late, at the latest when they exit.
pub async fn updates(pool: &PgPool, table: &str, at_least: i64) -> (i64, i64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got: (i64, i64) = sqlx::query_as(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = $1",
        )
        .bind(table)
        .fetch_one(pool)
        .await
        .expect("stats");
        if got.0 >= at_least || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Closes `pool` and drops its database.
pub async fn drop_db(pool: PgPool, name: &str) {
    pool.close().await;
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin_url())
        .await
        .expect("admin");
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await;
}

/// A submitted dossier with a phone contact.
pub async fn dossier(pool: &PgPool) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at, contact)
         VALUES ($1, '1.001', 1, 'submitted', '0251******87', now(), '{\"phone\": \"0912345678\"}')",
    )
    .bind(id)
    .execute(pool)
    .await
    .expect("insert dossier");
    id
}

/// A queued `submitted` notification of `dossier` on `channel`.
pub async fn notification(pool: &PgPool, dossier: Uuid, channel: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO notification (id, dossier_id, status_event_id, channel, status_code, template, facts)
         VALUES ($1, $2, $3, $4, 1, 'submitted', '{}')",
    )
    .bind(id)
    .bind(dossier)
    .bind(Uuid::now_v7())
    .bind(channel)
    .execute(pool)
    .await
    .expect("insert notification");
    id
}
