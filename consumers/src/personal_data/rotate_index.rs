//! Blind-index rotation: recompute `dossier.applicant_id_index` under the active index
//! key for every row indexed under another key, from the sealed applicant ID (opened
//! under whichever data key sealed it). Rows whose sealed ID retention already purged
//! cannot be recomputed: they are counted as stranded.

use dossierflow_runtime::crypto::Keyring;
use sqlx::PgPool;
use uuid::Uuid;

use super::rotate::{INDEX, RotateOptions, TableRotation};

/// Recomputes blind indexes in batches; see the module documentation.
pub(super) async fn rotate_index(
    pool: &PgPool,
    keys: &Keyring,
    opts: RotateOptions,
    progress: &mut (dyn FnMut(&str, u64) + Send),
) -> anyhow::Result<TableRotation> {
    let active = keys
        .index_active_id()
        .ok_or_else(|| anyhow::anyhow!("no blind-index key is configured"))?
        .to_owned();
    let (stranded,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM dossier
          WHERE applicant_id_index_key <> $1 AND applicant_id_sealed IS NULL",
    )
    .bind(&active)
    .fetch_one(pool)
    .await?;
    let mut out = TableRotation {
        table: INDEX,
        stranded: u64::try_from(stranded).unwrap_or_default(),
        ..TableRotation::default()
    };
    if opts.dry_run {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM dossier
              WHERE applicant_id_index_key IS DISTINCT FROM $1 AND applicant_id_sealed IS NOT NULL",
        )
        .bind(&active)
        .fetch_one(pool)
        .await?;
        out.rotated = u64::try_from(n).unwrap_or_default();
        return Ok(out);
    }
    let batch = opts.batch.max(1);
    let mut after = Uuid::nil();
    let mut batches = 0u64;
    loop {
        if opts.max_batches.is_some_and(|m| batches >= m) {
            return Ok(out);
        }
        let mut tx = pool.begin().await?;
        let rows: Vec<(Uuid, String, Vec<u8>, Option<String>)> = sqlx::query_as(
            "SELECT id, applicant_id_key_id, applicant_id_sealed, applicant_id_index_key FROM dossier
              WHERE applicant_id_index_key IS DISTINCT FROM $1 AND applicant_id_sealed IS NOT NULL
                AND id > $2
              ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED",
        )
        .bind(&active)
        .bind(after)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last().map(|r| r.0) else {
            tx.rollback().await?;
            return Ok(out);
        };
        let full = rows.len() as i64 >= batch;
        for (id, key_id, sealed, old_index_key) in rows {
            let index = keys
                .open(&key_id, &sealed, id.as_bytes())
                .ok()
                .and_then(|plain| String::from_utf8(plain).ok())
                .and_then(|digits| keys.blind_index(&digits).ok());
            let Some((index_key, value)) = index else {
                out.failed += 1;
                continue;
            };
            out.rotated += sqlx::query(
                "UPDATE dossier SET applicant_id_index = $2, applicant_id_index_key = $3
                  WHERE id = $1 AND applicant_id_index_key IS NOT DISTINCT FROM $4",
            )
            .bind(id)
            .bind(value)
            .bind(index_key)
            .bind(old_index_key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        after = last;
        batches += 1;
        progress(INDEX, out.rotated);
        if !full {
            return Ok(out);
        }
    }
}
