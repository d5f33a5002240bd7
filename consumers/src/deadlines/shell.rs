//! I/O shell of the due-date scheduler: the tick loop, the advisory lock, the marking
//! transaction and the gauge.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::outbox;
use dossierflow_runtime::telemetry::{AgencyLabel, Metrics};
use dossierflow_schemas::{Envelope, topics};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::handle::{Candidate, Decision, decide, finished_codes, gauge_values};

const SOURCE: &str = "/dossierflow/deadlines";

/// Advisory-lock key of the scheduler ("dossierflow deadlines"): only the instance
/// holding it in its transaction marks dossiers during a tick.
pub const LOCK_KEY: i64 = 0x0D05_51E2_DEAD_0001;

/// Dossiers marked per transaction; a full batch is followed at once by the next.
const BATCH: i64 = 500;

/// The due-date scheduler.
pub struct Scheduler {
    /// Database pool.
    pub pool: PgPool,
    /// Topic names.
    pub kafka: KafkaArgs,
    /// Metrics (`overdue` gauge).
    pub metrics: Arc<Metrics>,
    /// Time between ticks.
    pub tick: Duration,
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Whether this instance held the lock (otherwise another instance did the marking).
    pub leader: bool,
    /// Dossiers marked overdue.
    pub marked: usize,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    dossier_code: Option<String>,
    agency_id: Option<String>,
    status: i16,
    due_at: Option<DateTime<Utc>>,
}

impl Scheduler {
    /// Ticks until `shutdown`. A failed tick (database unavailable…) is logged and
    /// retried at the next tick: nothing was marked, since its transaction rolled back.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut reported = BTreeSet::new();
        let mut interval = tokio::time::interval(self.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tracing::info!(
            tick_ms = self.tick.as_millis() as u64,
            "due-date scheduler started"
        );
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = interval.tick() => {}
            }
            match self.tick_once().await {
                Ok(r) if r.marked > 0 => {
                    tracing::info!(marked = r.marked, "dossiers marked overdue");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "due-date scan failed; will retry next tick"),
            }
            match self.refresh_gauge(&reported).await {
                Ok(agencies) => reported = agencies,
                Err(e) => tracing::warn!(error = %e, "overdue gauge refresh failed"),
            }
        }
    }

    /// Marks overdue dossiers if this instance gets the lock; batches until done.
    pub async fn tick_once(&self) -> sqlx::Result<TickReport> {
        let mut report = TickReport::default();
        loop {
            let (leader, marked, full) = self.mark_batch().await?;
            report.leader |= leader;
            report.marked += marked;
            if !leader || !full {
                return Ok(report);
            }
        }
    }

    /// One transaction: take the lock, mark a batch, append its events.
    /// Returns (lock held, dossiers marked, batch was full).
    async fn mark_batch(&self) -> sqlx::Result<(bool, usize, bool)> {
        let mut tx = self.pool.begin().await?;
        let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            tx.rollback().await?;
            return Ok((false, 0, false));
        }
        // Rows another stage is changing right now are skipped and seen next tick, so
        // the status event never reports a status that is being replaced.
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, dossier_code, agency_id, status, due_at FROM dossier
             WHERE due_at < now() AND overdue_at IS NULL AND status <> ALL($1)
               AND dossier_code IS NOT NULL AND agency_id IS NOT NULL
             ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(finished_codes())
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let full = rows.len() as i64 == BATCH;
        let now = Utc::now();
        let mut marked = 0;
        for row in rows {
            let candidate = Candidate {
                dossier_id: row.id,
                dossier_code: row.dossier_code,
                agency_id: row.agency_id,
                status: row.status,
                due_at: row.due_at,
            };
            let Decision::Overdue { overdue, status } = decide(&candidate, now) else {
                continue;
            };
            // `overdue_at IS NULL` again: the lock already excludes a second marker, this
            // keeps "one event per dossier" true even without it.
            let updated = sqlx::query(
                "UPDATE dossier SET overdue_at = $2, updated_at = now()
                 WHERE id = $1 AND overdue_at IS NULL",
            )
            .bind(overdue.dossier_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                continue;
            }
            let topic = self.kafka.topic(topics::OVERDUE);
            outbox::append(&mut tx, &topic, &Envelope::new(SOURCE, overdue)).await?;
            let topic = self.kafka.topic(topics::STATUS);
            outbox::append(&mut tx, &topic, &Envelope::new(SOURCE, status)).await?;
            marked += 1;
        }
        tx.commit().await?;
        Ok((true, marked, full))
    }

    /// Sets the per-agency gauge of overdue unfinished dossiers; returns the agencies
    /// that have some, for resetting the ones that drop to zero next time.
    pub async fn refresh_gauge(
        &self,
        previous: &BTreeSet<String>,
    ) -> sqlx::Result<BTreeSet<String>> {
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT agency_id, count(*) FROM dossier
             WHERE overdue_at IS NOT NULL AND agency_id IS NOT NULL AND status <> ALL($1)
             GROUP BY agency_id",
        )
        .bind(finished_codes())
        .fetch_all(&self.pool)
        .await?;
        let values = gauge_values(previous, &counts);
        for (agency, n) in &values {
            self.metrics
                .overdue
                .get_or_create(&AgencyLabel {
                    agency: agency.clone(),
                })
                .set(*n);
        }
        Ok(counts.into_iter().map(|(a, _)| a).collect())
    }
}
