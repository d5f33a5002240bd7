//! The verify and enrich stages' updates of a dossier are HOT updates: no index covers
//! the columns they set, and pages keep room for the new row version (migration 0020).

mod common;

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
    let own = common::own_pool(&name).await;
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
    assert_eq!(
        common::updates(&pool, "dossier", 40).await,
        (40, 40),
        "every update is HOT"
    );
    common::drop_db(pool, &name).await;
}
