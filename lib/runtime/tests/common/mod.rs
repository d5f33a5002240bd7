//! A throw-away PostgreSQL database for the runtime's integration tests: created and
//! migrated by [`TestDb::create`], dropped by [`TestDb::drop_now`].

use dossierflow_runtime::config::DbArgs;
use dossierflow_runtime::db;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

/// The server's maintenance database (`DOSSIER_TEST_PG_ADMIN_URL`).
fn admin_url() -> String {
    std::env::var("DOSSIER_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, migrated database named `dftest_<tag>_<uuid>`.
pub struct TestDb {
    name: String,
    /// A pool on it (two connections).
    pub pool: PgPool,
}

impl TestDb {
    /// Creates and migrates the database.
    pub async fn create(tag: &str) -> Self {
        let name = format!("dftest_{tag}_{}", Uuid::new_v4().simple());
        let url = format!(
            "{}/{name}",
            admin_url().rsplit_once('/').expect("db in url").0
        );
        let pool = db::connect_and_migrate(&DbArgs {
            database_url: url,
            db_max_connections: 2,
        })
        .await
        .expect("database");
        Self { name, pool }
    }

    /// Closes the pool and drops the database.
    pub async fn drop_now(self) {
        self.pool.close().await;
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin_url())
            .await
            .expect("admin");
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await;
    }
}
