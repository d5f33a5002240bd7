//! Shared by the runtime's integration tests: a throw-away PostgreSQL database, created
//! and migrated by [`TestDb::create`] and dropped by [`TestDb::drop_now`], sample
//! events, and waiting for commit-group members.
// Each test crate uses only some of these.
#![allow(dead_code)]

use chrono::Utc;
use dossierflow_runtime::config::DbArgs;
use dossierflow_runtime::db;
use dossierflow_schemas::{ApplicantV1, Envelope, StatusV1, SubmittedV1};
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
    url: String,
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
            database_url: url.clone(),
            db_max_connections: 2,
        })
        .await
        .expect("database");
        Self { name, url, pool }
    }

    /// Another pool of `connections` on the same database.
    pub async fn pool_of(&self, connections: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(connections)
            .connect(&self.url)
            .await
            .expect("pool")
    }

    /// Inserts a submitted dossier `id` (events refer to it).
    pub async fn dossier(&self, id: Uuid) {
        sqlx::query(
            "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at)
             VALUES ($1, '1.001193', 1, 'submitted', '0251******87', now())",
        )
        .bind(id)
        .execute(&self.pool)
        .await
        .expect("dossier");
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

/// A `dossier.status.v1` event for `dossier_id` with status `code`.
pub fn status(dossier_id: Uuid, code: u8) -> Envelope<StatusV1> {
    Envelope::new(
        "/test",
        StatusV1 {
            dossier_id,
            dossier_code: None,
            status_code: code,
            status: format!("s{code}"),
            previous_code: None,
            reason: None,
            due_at: None,
            changed_at: Utc::now(),
        },
    )
}

/// A `dossier.submitted.v1` event for `dossier_id`: it carries personal data.
pub fn submitted(dossier_id: Uuid) -> Envelope<SubmittedV1> {
    Envelope::new(
        "/test",
        SubmittedV1 {
            dossier_id,
            procedure_code: "1.001193".into(),
            submitted_at: Utc::now(),
            applicant: ApplicantV1 {
                full_name: "Nguyễn Văn An".into(),
                id_number: "025190012387".into(),
                birth_date: "1990".into(),
                phone: None,
                email: None,
            },
            receiving_unit: None,
        },
    )
}

/// Waits (up to 10 s) until `n` members have joined `groups` and not finished.
pub async fn until_members(groups: &dossierflow_runtime::commit_group::CommitGroups, n: usize) {
    for _ in 0..2_000 {
        if groups.members() == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("expected {n} members, have {}", groups.members());
}
