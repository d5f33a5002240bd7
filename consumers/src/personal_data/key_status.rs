//! `keys status`: rows per key id per table, so an operator sees which old data keys and
//! index keys are still needed before removing them from the configuration.

use sqlx::{AssertSqlSafe, PgPool};

use super::rotate::{INDEX, SEALED, WEBHOOK_SECRETS};

/// Rows per key id in one table or column.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyCount {
    /// Report name of the table or column.
    pub table: String,
    /// Key id (`(plaintext)` for a webhook secret stored before sealing existed).
    pub key_id: String,
    /// Rows.
    pub rows: i64,
}

/// Rows per key id per table: which keys are still needed.
pub async fn key_status(pool: &PgPool) -> sqlx::Result<Vec<KeyCount>> {
    let mut parts: Vec<String> = SEALED
        .iter()
        .map(|t| {
            format!(
                "SELECT '{name}' AS t, {key} AS k, count(*) AS n FROM {table}
                  WHERE {key} IS NOT NULL GROUP BY {key}",
                name = t.name,
                key = t.key,
                table = t.table
            )
        })
        .collect();
    parts.push(format!(
        "SELECT CASE WHEN applicant_id_sealed IS NULL THEN '{INDEX} (ID purged)' ELSE '{INDEX}' END,
                applicant_id_index_key, count(*) FROM dossier
          WHERE applicant_id_index_key IS NOT NULL GROUP BY 1, 2"
    ));
    parts.push(format!(
        "SELECT '{WEBHOOK_SECRETS}', CASE WHEN webhook_secret LIKE 'sealed:%'
                THEN split_part(webhook_secret, ':', 2) ELSE '(plaintext)' END, count(*)
           FROM agency_endpoint WHERE webhook_secret IS NOT NULL GROUP BY 1, 2"
    ));
    let sql = format!(
        "SELECT t AS table, k AS key_id, n AS rows FROM ({}) s ORDER BY 1, 2",
        parts.join(" UNION ALL ")
    );
    sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await
}
