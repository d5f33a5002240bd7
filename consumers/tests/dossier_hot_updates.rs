//! The verify and enrich stages' updates of a dossier are HOT updates: no index covers
//! the columns they set, and pages keep room for the new row version (migration 0020).

mod common;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The columns `verify::shell::record_decision` and the enrich stage's update set. (The
/// `finished_at` trigger leaves that indexed column as it was: NULL until a final status.)
const STAGE_COLUMNS: [&str; 7] = [
    "stage",
    "verification",
    "mismatch_fields",
    "status",
    "waiting_reason",
    "waiting_since",
    "updated_at",
];

async fn updates(pool: &PgPool, at_least: i64) -> (i64, i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got: (i64, i64) = sqlx::query_as(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'dossier'",
        )
        .fetch_one(pool)
        .await
        .expect("stats");
        if got.0 >= at_least || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn no_dossier_index_covers_a_column_the_stages_set() {
    let (pool, name) = common::fresh_db("dossier_idx").await;
    // Key columns, expressions and predicates all count: a change to any of them makes
    // the update write index entries.
    let defs: Vec<String> = sqlx::query_scalar(
        "SELECT split_part(indexdef, ' USING ', 2) FROM pg_indexes WHERE tablename = 'dossier'",
    )
    .fetch_all(&pool)
    .await
    .expect("indexes");
    assert!(defs.len() >= 5, "the dossier's indexes: {defs:?}");
    for def in &defs {
        let words: Vec<&str> = def
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        for column in &STAGE_COLUMNS {
            assert!(!words.contains(column), "{column} is indexed: {def}");
        }
    }
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn verify_and_enrich_updates_write_no_index_entries() {
    let (pool, name) = common::fresh_db("dossier_hot").await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(common::dossier(&pool).await);
    }
    let admin = std::env::var("DOSSIER_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = format!("{}/{name}", admin.rsplit_once('/').expect("db in url").0);
    let own = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("connect");
    for id in &ids {
        // The statements of verify (a verified applicant) and enrich.
        sqlx::query(
            "UPDATE dossier SET stage = 'verified', verification = 'verified', mismatch_fields = '{}',
                    status = CASE WHEN false THEN 3 ELSE status END,
                    waiting_reason = NULL, waiting_since = NULL, updated_at = now()
              WHERE id = $1",
        )
        .bind(id)
        .execute(&own)
        .await
        .expect("verify's update");
        sqlx::query("UPDATE dossier SET stage = 'enriched', updated_at = now() WHERE id = $1")
            .bind(id)
            .execute(&own)
            .await
            .expect("enrich's update");
    }
    // Closing ends the backend, which flushes its statistics.
    own.close().await;
    assert_eq!(updates(&pool, 40).await, (40, 40), "every update is HOT");
    common::drop_db(pool, &name).await;
}
