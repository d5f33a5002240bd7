//! Retention of CSDLQG-derived personal data (Law 91/2025 storage limitation).
//!
//! Once a dossier has been final (refused, withdrawn, stopped, returned: `finished_at`,
//! kept by a trigger) for longer than the period, the job deletes its
//! `dossier_citizen_data` row (the procedure's fields from CSDLQG), any staged CSDLQG
//! record left for it, and its sealed applicant ID. A staged record the enrich stage
//! never consumed is deleted after its own bound whatever the dossier's status. The
//! dossier row itself stays with the masked ID, the last 4 digits (ownership proof) and
//! the blind index (data-subject access keeps finding it): see `docs/personal-data.md`.
//!
//! Deletions run in batches (`FOR UPDATE SKIP LOCKED`, one transaction each), so several
//! schedulers may run it at once and nothing a stage holds is touched mid-transaction.

use std::sync::Arc;
use std::time::Duration;

use dossierflow_runtime::telemetry::Metrics;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::final_codes;

/// How long data is kept.
#[derive(Debug, Clone, Copy)]
pub struct RetentionPolicy {
    /// After a dossier became final: citizen data, staged record, sealed ID.
    pub citizen_data_after: Duration,
    /// After being staged: a staged CSDLQG record whatever the dossier's status.
    pub staging_after: Duration,
    /// Rows per transaction.
    pub batch: i64,
}

/// Rows deleted (dry run: rows that would be).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// `dossier_citizen_data` rows deleted.
    pub citizen_data: u64,
    /// `citizen_record_staging` rows deleted.
    pub staging: u64,
    /// Sealed applicant IDs removed from `dossier`.
    pub sealed_ids: u64,
}

impl RetentionReport {
    /// Total rows affected.
    pub fn total(&self) -> u64 {
        self.citizen_data + self.staging + self.sealed_ids
    }
}

/// One retention rule: the rows it selects and what it does with them. `$1` final
/// status codes, `$2` the period in seconds, `$3` the staging bound (staging only),
/// then the batch size.
struct Rule {
    from: &'static str,
    key: &'static str,
    uses_staging_bound: bool,
    apply: &'static str,
}

const RULES: [Rule; 3] = [
    // The procedure's fields from CSDLQG, for final dossiers past the period.
    Rule {
        from: "FROM dossier_citizen_data c JOIN dossier d ON d.id = c.dossier_id
                WHERE d.status = ANY($1) AND d.finished_at < now() - make_interval(secs => $2)",
        key: "c.dossier_id",
        uses_staging_bound: false,
        apply: "DELETE FROM dossier_citizen_data WHERE dossier_id IN",
    },
    // Staged CSDLQG records: of final dossiers past the period, or older than the bound.
    Rule {
        from: "FROM citizen_record_staging c JOIN dossier d ON d.id = c.dossier_id
                WHERE (d.status = ANY($1) AND d.finished_at < now() - make_interval(secs => $2))
                   OR c.created_at < now() - make_interval(secs => $3)",
        key: "c.dossier_id",
        uses_staging_bound: true,
        apply: "DELETE FROM citizen_record_staging WHERE dossier_id IN",
    },
    // The sealed applicant ID of final dossiers past the period (masked ID, last 4
    // digits and blind index stay).
    Rule {
        from: "FROM dossier c
                WHERE c.applicant_id_sealed IS NOT NULL
                  AND c.status = ANY($1) AND c.finished_at < now() - make_interval(secs => $2)",
        key: "c.id",
        uses_staging_bound: false,
        apply: "UPDATE dossier SET applicant_id_sealed = NULL, applicant_id_key_id = NULL WHERE id IN",
    },
];

/// Runs the retention rules once; with `dry_run`, only counts.
pub async fn run_retention(
    pool: &PgPool,
    policy: &RetentionPolicy,
    dry_run: bool,
) -> sqlx::Result<RetentionReport> {
    let finals = final_codes();
    let after = policy.citizen_data_after.as_secs_f64();
    let staging_after = policy.staging_after.as_secs_f64();
    let batch = policy.batch.max(1);
    let mut done = [0u64; 3];
    for (rule, done) in RULES.iter().zip(done.iter_mut()) {
        let limit = if rule.uses_staging_bound { "$4" } else { "$3" };
        let sql = if dry_run {
            format!("SELECT count(*) {}", rule.from)
        } else {
            format!(
                "{} (SELECT {} {} LIMIT {limit} FOR UPDATE OF c SKIP LOCKED)",
                rule.apply, rule.key, rule.from
            )
        };
        loop {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&finals)
                .bind(after);
            if rule.uses_staging_bound {
                q = q.bind(staging_after);
            }
            if dry_run {
                let row = q.fetch_one(pool).await?;
                let n: i64 = sqlx::Row::try_get(&row, 0)?;
                *done = u64::try_from(n).unwrap_or_default();
                break;
            }
            let n = q.bind(batch).execute(pool).await?.rows_affected();
            *done += n;
            if n < u64::try_from(batch).unwrap_or(1) {
                break;
            }
        }
    }
    Ok(RetentionReport {
        citizen_data: done[0],
        staging: done[1],
        sealed_ids: done[2],
    })
}

/// The periodic job the scheduler runs.
pub struct RetentionJob {
    /// Database pool.
    pub pool: PgPool,
    /// Periods and batch size.
    pub policy: RetentionPolicy,
    /// Time between runs.
    pub tick: Duration,
    /// Metrics (rows deleted per table), when the process exposes them.
    pub metrics: Option<Arc<Metrics>>,
}

impl RetentionJob {
    /// Runs the rules every tick until `shutdown`; a failed run is retried next tick.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut interval = tokio::time::interval(self.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = interval.tick() => {}
            }
            match run_retention(&self.pool, &self.policy, false).await {
                Ok(r) => {
                    if r.total() > 0 {
                        tracing::info!(
                            citizen_data = r.citizen_data,
                            staging = r.staging,
                            sealed_ids = r.sealed_ids,
                            "retention: personal data past its period deleted"
                        );
                    }
                    if let Some(m) = &self.metrics {
                        m.retention_deleted.inc_by(r.total());
                    }
                }
                Err(e) => tracing::warn!(error = %e, "retention run failed; will retry next tick"),
            }
        }
    }
}
