//! Test support: a fresh PostgreSQL database per test with every migration applied, and
//! a record factory.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use dossierflow_audit::{CHANNEL_PIPELINE, LookupRecord};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

/// Admin URL: `DOSSIER_TEST_PG_ADMIN_URL`, or the local trust superuser.
pub fn admin_url() -> String {
    std::env::var("DOSSIER_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database of its own, dropped (with `FORCE`) when this value is dropped.
pub struct TestDb {
    name: String,
    /// Pool on the test database (10 connections: enough for 8 concurrent appenders).
    pub pool: PgPool,
}

impl TestDb {
    /// Creates `dftest_audit_<uuid>` and applies all migrations.
    pub async fn new() -> Self {
        let name = format!("dftest_audit_{}", Uuid::new_v4().simple());
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin_url())
            .await
            .expect("connect admin database");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let base = admin_url();
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("admin URL has no database part"),
        };
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect(&url)
            .await
            .expect("connect test database");
        sqlx::migrate!("../../migrations")
            .run(&pool)
            .await
            .expect("apply migrations");
        Self { name, pool }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop cannot be async: drop the database on a private runtime in a thread.
        // The pool is not closed there (its connections belong to the test's runtime,
        // which is blocked here); `WITH (FORCE)` ends them.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(admin) = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&admin_url())
                    .await
                {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await;
                }
            })
        })
        .join();
    }
}

/// A valid pipeline lookup of `id_digits` for attempt `attempt`.
pub fn record(id_digits: &str, attempt: i32) -> LookupRecord {
    LookupRecord {
        actor: "canbo.h43.001".to_owned(),
        unit: "000.00.13.H43".to_owned(),
        dossier_id: Some(Uuid::new_v4()),
        procedure: "1.004036".to_owned(),
        channel: CHANNEL_PIPELINE,
        request_id: format!("037-{}", Uuid::new_v4().simple()),
        attempt,
        id_digits: id_digits.to_owned(),
        fields_requested: vec!["full_name".to_owned(), "birth_date".to_owned()],
        fields_returned: vec!["full_name".to_owned()],
        outcome: "found".to_owned(),
        latency_ms: 42,
    }
}
