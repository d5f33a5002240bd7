//! The verify and enrich stages' updates of a dossier are HOT updates: no index covers
//! the columns they set, and pages keep room for the new row version (migration 0020).

mod common;

use dossierflow_consumers::enrich::MARK_ENRICHED;
use dossierflow_consumers::verify::RECORD_DECISION;

/// The columns [`RECORD_DECISION`] and [`MARK_ENRICHED`] set. (The
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
    // Few enough rows that every new version fits on their page without waiting for
    // pruning: what is measured is whether an index forces a non-HOT update.
    for _ in 0..5 {
        ids.push(common::dossier(&pool).await);
    }
    let own = common::own_pool(&name).await;
    for id in &ids {
        // The stages' own statements: verify (a verified applicant), then enrich.
        sqlx::query(RECORD_DECISION)
            .bind(id)
            .bind("verified")
            .bind("verified")
            .bind(Vec::<String>::new())
            .bind(false)
            .execute(&own)
            .await
            .expect("verify's update");
        sqlx::query(MARK_ENRICHED)
            .bind(id)
            .execute(&own)
            .await
            .expect("enrich's update");
    }
    // Closing ends the backend, which flushes its statistics.
    own.close().await;
    assert_eq!(
        common::updates(&pool, "dossier", 10).await,
        (10, 10),
        "every update is HOT"
    );
    common::drop_db(pool, &name).await;
}
