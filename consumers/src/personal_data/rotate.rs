//! Key rotation: re-seal every sealed value that is not under the active data key and
//! recompute every blind index that is not under the active index key.
//!
//! Each table is walked in primary-key order, one transaction per batch, with
//! `FOR UPDATE SKIP LOCKED` (a row a stage holds right now is left for the next run) and
//! an update guarded by the old key id, so runs are idempotent and resumable: a value
//! already under the active key is never touched, and an interrupted run continues
//! where rows still carry an old key. A value that does not open (key not configured,
//! tampered row) is counted as failed and left as it is. Plaintext lives only inside
//! [`Keyring::reseal`] and never reaches a log or an error.

use crate::webhooks;
use dossierflow_runtime::crypto::Keyring;
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

/// A table whose rows hold `(key id, nonce ‖ ciphertext)` sealed with the row's uuid as
/// associated data.
pub(super) struct Sealed {
    /// Name shown in reports.
    pub(super) name: &'static str,
    pub(super) table: &'static str,
    pub(super) pk: &'static str,
    pub(super) key: &'static str,
    pub(super) blob: &'static str,
}

/// Every uuid-keyed sealed column, in rotation order.
pub(super) const SEALED: [Sealed; 4] = [
    Sealed {
        name: "dossier.applicant_id",
        table: "dossier",
        pk: "id",
        key: "applicant_id_key_id",
        blob: "applicant_id_sealed",
    },
    Sealed {
        name: "dossier_citizen_data",
        table: "dossier_citizen_data",
        pk: "dossier_id",
        key: "key_id",
        blob: "sealed",
    },
    Sealed {
        name: "citizen_record_staging",
        table: "citizen_record_staging",
        pk: "dossier_id",
        key: "key_id",
        blob: "sealed",
    },
    Sealed {
        name: "outbox",
        table: "outbox",
        pk: "id",
        key: "key_id",
        blob: "sealed",
    },
];

/// Name of the blind-index "table" in reports.
pub const INDEX: &str = "dossier.applicant_id_index";
/// Name of the webhook-secret table in reports.
pub const WEBHOOK_SECRETS: &str = "agency_endpoint.webhook_secret";

/// How to rotate.
#[derive(Debug, Clone, Copy)]
pub struct RotateOptions {
    /// Rows per transaction.
    pub batch: i64,
    /// Count what would change, change nothing.
    pub dry_run: bool,
    /// Stop each table after this many batches (tests, throttled runs); `None`: all.
    pub max_batches: Option<u64>,
}

/// What rotation did (or, dry run, would do) to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableRotation {
    /// Report name of the table or column.
    pub table: &'static str,
    /// Values re-sealed (or indexes recomputed); dry run: values to do.
    pub rotated: u64,
    /// Values that did not open (key not configured, tampered) and stay as they are.
    pub failed: u64,
    /// Blind indexes under an old key whose sealed ID was already purged by retention:
    /// they cannot be recomputed, so that old index key must stay configured.
    pub stranded: u64,
}

/// The whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// One entry per table, in rotation order.
    pub tables: Vec<TableRotation>,
}

impl RotationReport {
    /// Whether every value is now under the active keys (no failure, nothing stranded).
    pub fn complete(&self) -> bool {
        self.tables.iter().all(|t| t.failed == 0 && t.stranded == 0)
    }
}

/// Rotates every table; `progress(table, rows so far)` is called after each batch.
pub async fn rotate(
    pool: &PgPool,
    keys: &Keyring,
    opts: RotateOptions,
    progress: &mut (dyn FnMut(&str, u64) + Send),
) -> anyhow::Result<RotationReport> {
    let mut report = RotationReport::default();
    for t in &SEALED {
        report
            .tables
            .push(rotate_sealed(pool, keys, t, opts, progress).await?);
    }
    report
        .tables
        .push(super::rotate_index::rotate_index(pool, keys, opts, progress).await?);
    report
        .tables
        .push(rotate_webhook_secrets(pool, keys, opts).await?);
    Ok(report)
}

async fn rotate_sealed(
    pool: &PgPool,
    keys: &Keyring,
    t: &Sealed,
    opts: RotateOptions,
    progress: &mut (dyn FnMut(&str, u64) + Send),
) -> anyhow::Result<TableRotation> {
    let active = keys.active_id();
    let mut out = TableRotation {
        table: t.name,
        ..TableRotation::default()
    };
    if opts.dry_run {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {} IS NOT NULL AND {} <> $1",
            t.table, t.key, t.key
        );
        let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(sql))
            .bind(active)
            .fetch_one(pool)
            .await?;
        out.rotated = u64::try_from(n).unwrap_or_default();
        return Ok(out);
    }
    let select = format!(
        "SELECT {pk}, {key}, {blob} FROM {table}
          WHERE {key} IS NOT NULL AND {key} <> $1 AND {pk} > $2
          ORDER BY {pk} LIMIT $3 FOR UPDATE SKIP LOCKED",
        pk = t.pk,
        key = t.key,
        blob = t.blob,
        table = t.table
    );
    let update = format!(
        "UPDATE {table} SET {key} = $2, {blob} = $3 WHERE {pk} = $1 AND {key} = $4",
        pk = t.pk,
        key = t.key,
        blob = t.blob,
        table = t.table
    );
    let mut after = Uuid::nil();
    let mut batches = 0u64;
    loop {
        if opts.max_batches.is_some_and(|m| batches >= m) {
            return Ok(out);
        }
        let mut tx = pool.begin().await?;
        let rows: Vec<(Uuid, String, Vec<u8>)> = sqlx::query_as(AssertSqlSafe(select.clone()))
            .bind(active)
            .bind(after)
            .bind(opts.batch.max(1))
            .fetch_all(&mut *tx)
            .await?;
        let Some(last) = rows.last().map(|r| r.0) else {
            tx.rollback().await?;
            return Ok(out);
        };
        let full = rows.len() as i64 >= opts.batch.max(1);
        for (pk, key_id, blob) in rows {
            match keys.reseal(&key_id, &blob, pk.as_bytes()) {
                Ok(Some((new_key, new_blob))) => {
                    out.rotated += sqlx::query(AssertSqlSafe(update.clone()))
                        .bind(pk)
                        .bind(new_key)
                        .bind(new_blob)
                        .bind(&key_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                Ok(None) => {}
                Err(_) => out.failed += 1,
            }
        }
        tx.commit().await?;
        after = last;
        batches += 1;
        progress(t.name, out.rotated);
        if !full {
            return Ok(out);
        }
    }
}

/// Webhook secrets (`sealed:<key id>:<hex>`, few rows): one transaction.
async fn rotate_webhook_secrets(
    pool: &PgPool,
    keys: &Keyring,
    opts: RotateOptions,
) -> anyhow::Result<TableRotation> {
    let mut out = TableRotation {
        table: WEBHOOK_SECRETS,
        ..TableRotation::default()
    };
    let active_prefix = format!("sealed:{}:", keys.active_id());
    let mut tx = pool.begin().await?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT agency_id, webhook_secret FROM agency_endpoint
          WHERE webhook_secret LIKE 'sealed:%' AND NOT starts_with(webhook_secret, $1)
          ORDER BY agency_id FOR UPDATE SKIP LOCKED",
    )
    .bind(&active_prefix)
    .fetch_all(&mut *tx)
    .await?;
    for (agency, stored) in rows {
        if opts.dry_run {
            out.rotated += 1;
            continue;
        }
        let resealed = webhooks::open_secret(keys, &agency, &stored)
            .and_then(|secret| webhooks::seal_secret(keys, &agency, &secret));
        match resealed {
            Ok(new) => {
                out.rotated += sqlx::query(
                    "UPDATE agency_endpoint SET webhook_secret = $2, updated_at = now()
                      WHERE agency_id = $1 AND webhook_secret = $3",
                )
                .bind(&agency)
                .bind(new)
                .bind(&stored)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            Err(_) => out.failed += 1,
        }
    }
    tx.commit().await?;
    Ok(out)
}
