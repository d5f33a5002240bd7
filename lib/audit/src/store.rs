//! Writing and reading `lookup_audit`: [`append`], [`find_by_id`], [`AuditRow`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::chain::{CanonicalRow, GENESIS_HASH, row_hash};
use crate::{AuditError, AuditKey, LookupRecord, mask_id};

/// Key of the transaction-level advisory lock that serialises appends
/// (`pg_advisory_xact_lock`): the ASCII bytes of `lkaudit1`. Any other user of
/// advisory locks in the same database must avoid this value.
pub const APPEND_LOCK_KEY: i64 = 0x6c6b_6175_6469_7431;

/// The stored columns, in table order.
pub(crate) const COLUMNS: &str = "seq, at, actor, unit, purpose_dossier, purpose_procedure, \
     channel, request_id, attempt, id_masked, id_hmac, fields_requested, fields_returned, \
     outcome, latency_ms, prev_hash, row_hash";

/// One stored row of `lookup_audit`, as it is in the table. Holds no plaintext ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    /// Position in the chain (gaps are possible; order is what counts).
    pub seq: i64,
    /// When the row was appended (database clock, microseconds).
    pub at: DateTime<Utc>,
    /// Officer code or `citizen-self`.
    pub actor: String,
    /// Agency e-identifier.
    pub unit: String,
    /// Dossier the lookup served, if any.
    pub purpose_dossier: Option<Uuid>,
    /// Procedure code the lookup served.
    pub purpose_procedure: String,
    /// `pipeline` or `portal_sync`.
    pub channel: String,
    /// `MaYeuCau`.
    pub request_id: String,
    /// Attempt number, from 1.
    pub attempt: i32,
    /// First 4 and last 2 digits of the ID.
    pub id_masked: String,
    /// `hex(HMAC-SHA256(key, ID))`.
    pub id_hmac: String,
    /// Names of the fields requested.
    pub fields_requested: Vec<String>,
    /// Names of the fields returned.
    pub fields_returned: Vec<String>,
    /// Outcome of the attempt.
    pub outcome: String,
    /// Latency of the attempt, in milliseconds.
    pub latency_ms: i32,
    /// The previous row's `row_hash` ([`GENESIS_HASH`] for the first row).
    pub prev_hash: String,
    /// SHA-256 of this row's canonical serialisation.
    pub row_hash: String,
}

impl AuditRow {
    /// Every column but `row_hash`, ready to hash.
    pub fn canonical(&self) -> CanonicalRow<'_> {
        CanonicalRow {
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            unit: &self.unit,
            purpose_dossier: self.purpose_dossier,
            purpose_procedure: &self.purpose_procedure,
            channel: &self.channel,
            request_id: &self.request_id,
            attempt: self.attempt,
            id_masked: &self.id_masked,
            id_hmac: &self.id_hmac,
            fields_requested: &self.fields_requested,
            fields_returned: &self.fields_returned,
            outcome: &self.outcome,
            latency_ms: self.latency_ms,
            prev_hash: &self.prev_hash,
        }
    }
}

/// Appends one lookup attempt to the chain in its own transaction and returns its `seq`.
///
/// Runs apart from any stage transaction on purpose: a lookup that happened is logged
/// even if the stage later rolls back, and the global lock is held only for this append.
pub async fn append(pool: &PgPool, key: &AuditKey, rec: &LookupRecord) -> Result<i64, AuditError> {
    let seqs = append_many(pool, key, std::slice::from_ref(rec)).await?;
    seqs.first().copied().ok_or(AuditError::InvalidField {
        field: "records",
        rule: "one row was expected back",
    })
}

/// Most rows written by one [`append_many`] statement (17 parameters each, far below
/// PostgreSQL's 65,535).
pub const MAX_BATCH: usize = 512;

/// Appends several attempts, in the given order, as consecutive links of the chain in
/// one transaction (one lock, one head read, one multi-row insert, one commit) and
/// returns their `seq`s. Every record is validated first: one invalid record fails the
/// call and nothing is written.
pub async fn append_many(
    pool: &PgPool,
    key: &AuditKey,
    recs: &[LookupRecord],
) -> Result<Vec<i64>, AuditError> {
    let mut prepared = Vec::with_capacity(recs.len());
    for rec in recs {
        rec.validate()?;
        prepared.push((rec, mask_id(&rec.id_digits)?, key.id_hmac(&rec.id_digits)?));
    }
    let mut seqs = Vec::with_capacity(recs.len());
    for chunk in prepared.chunks(MAX_BATCH) {
        seqs.extend(append_chunk(pool, chunk).await?);
    }
    Ok(seqs)
}

async fn append_chunk(
    pool: &PgPool,
    chunk: &[(&LookupRecord, String, String)],
) -> Result<Vec<i64>, AuditError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(APPEND_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    // A separate statement on purpose: under READ COMMITTED its snapshot is taken after
    // the lock is granted, so it sees the previous holder's committed rows. `seq`s are
    // drawn here, under the lock, so seq order is chain order.
    let (first, at, head): (i64, DateTime<Utc>, Option<String>) = sqlx::query_as(
        "SELECT nextval(pg_get_serial_sequence('lookup_audit', 'seq')), clock_timestamp(), \
                (SELECT row_hash FROM lookup_audit ORDER BY seq DESC LIMIT 1)",
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut seqs = vec![first];
    if chunk.len() > 1 {
        let more: Vec<(i64,)> = sqlx::query_as(
            "SELECT nextval(pg_get_serial_sequence('lookup_audit', 'seq')) FROM generate_series(2, $1)",
        )
        .bind(chunk.len() as i64)
        .fetch_all(&mut *tx)
        .await?;
        seqs.extend(more.into_iter().map(|(s,)| s));
    }
    let mut prev_hash = head.unwrap_or_else(|| GENESIS_HASH.to_owned());
    let mut rows = Vec::with_capacity(chunk.len());
    for ((rec, id_masked, id_hmac), &seq) in chunk.iter().zip(&seqs) {
        let hash = row_hash(&CanonicalRow {
            seq,
            at,
            actor: &rec.actor,
            unit: &rec.unit,
            purpose_dossier: rec.dossier_id,
            purpose_procedure: &rec.procedure,
            channel: rec.channel,
            request_id: &rec.request_id,
            attempt: rec.attempt,
            id_masked,
            id_hmac,
            fields_requested: &rec.fields_requested,
            fields_returned: &rec.fields_returned,
            outcome: &rec.outcome,
            latency_ms: rec.latency_ms,
            prev_hash: &prev_hash,
        });
        rows.push((
            seq,
            *rec,
            id_masked,
            id_hmac,
            std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        ));
    }
    let mut insert = sqlx::QueryBuilder::new(format!("INSERT INTO lookup_audit ({COLUMNS}) "));
    insert.push_values(&rows, |mut b, (seq, rec, masked, hmac, prev, hash)| {
        b.push_bind(*seq)
            .push_bind(at)
            .push_bind(&rec.actor)
            .push_bind(&rec.unit)
            .push_bind(rec.dossier_id)
            .push_bind(&rec.procedure)
            .push_bind(rec.channel)
            .push_bind(&rec.request_id)
            .push_bind(rec.attempt)
            .push_bind(*masked)
            .push_bind(*hmac)
            .push_bind(&rec.fields_requested)
            .push_bind(&rec.fields_returned)
            .push_bind(&rec.outcome)
            .push_bind(rec.latency_ms)
            .push_bind(prev)
            .push_bind(hash);
    });
    insert.build().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(seqs)
}

/// Every lookup of one citizen, oldest first, found through `id_hmac` under `key`.
/// Rows hashed under another key are not found (by design).
pub async fn find_by_id(
    pool: &PgPool,
    key: &AuditKey,
    id_digits: &str,
) -> Result<Vec<AuditRow>, AuditError> {
    let id_hmac = key.id_hmac(id_digits)?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM lookup_audit WHERE id_hmac = $1 ORDER BY seq"
    )))
    .bind(id_hmac)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}
