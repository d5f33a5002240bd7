//! Transactional outbox: events are written in the same transaction as the state change
//! they describe, then a relay publishes them and deletes them once acknowledged.
//!
//! Guarantee: an event exists on Kafka if and only if its transaction committed (at
//! least once: a crash between acknowledgement and delete re-sends it, and consumers
//! de-duplicate on the event id). Every process runs a relay; `FOR UPDATE SKIP LOCKED`
//! lets several relays share the table without sending a row twice concurrently. One
//! of them leads and publishes fresh rows; the others take only rows the leader left
//! behind ([`lead`]).
//!
//! The relay also measures, at most once a second, the rows waiting
//! (`dossier_outbox_backlog`) and the age of the oldest (`dossier_outbox_oldest_age_seconds`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dossierflow_schemas::envelope::attribute_headers;
use futures::future::join_all;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::OutboxArgs;
use crate::crypto::Keyring;
use crate::telemetry::Metrics;

mod batch;
pub mod lead;
mod write;
pub use batch::Batch;
pub use write::{append, append_all, append_copy, append_sealed};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    aggregateid: String,
    r#type: String,
    topic: String,
    source: String,
    payload: serde_json::Value,
    occurred_at: DateTime<Utc>,
    key_id: Option<String>,
    sealed: Option<Vec<u8>>,
}

impl Row {
    /// The record value: the payload, opened first when it was sealed.
    fn value(&self, keys: Option<&Keyring>) -> anyhow::Result<Vec<u8>> {
        match (&self.sealed, &self.key_id) {
            (None, _) => Ok(self.payload.to_string().into_bytes()),
            (Some(blob), Some(key_id)) => {
                let keys = keys.ok_or_else(|| {
                    anyhow::anyhow!(
                        "outbox row {} is sealed but this relay has no data keys",
                        self.id
                    )
                })?;
                keys.open(key_id, blob, self.id.as_bytes())
                    .map_err(|e| anyhow::anyhow!("outbox row {} does not open: {e}", self.id))
            }
            (Some(_), None) => Err(anyhow::anyhow!(
                "outbox row {} is sealed without a key id",
                self.id
            )),
        }
    }
}

/// Publishes outbox rows until `shutdown`, then drains what is left once.
pub async fn relay(
    pool: PgPool,
    producer: FutureProducer,
    metrics: Arc<Metrics>,
    args: OutboxArgs,
    keys: Option<Keyring>,
    shutdown: CancellationToken,
) {
    let mut failures = 0u32;
    let mut measured: Option<Instant> = None;
    let mut lead = lead::Lead::new(pool.clone(), args.outbox_takeover);
    loop {
        let stopping = shutdown.is_cancelled();
        if measured.is_none_or(|at| at.elapsed() >= BACKLOG_EVERY) {
            measured = Some(Instant::now());
            measure_backlog(&pool, &metrics).await;
        }
        let older_than = lead.scope(&metrics).await;
        let batch = args.outbox_batch;
        match relay_once(&pool, &producer, batch, keys.as_ref(), older_than).await {
            Ok(n) => {
                failures = 0;
                metrics.outbox_published.inc_by(n as u64);
                if stopping && n == 0 {
                    return;
                }
                if n == 0 {
                    // A standby has nothing to do until the leader falls behind.
                    let idle = match older_than {
                        None => args.outbox_idle_poll,
                        Some(_) => lead::CHECK_EVERY,
                    };
                    tokio::select! {
                        _ = tokio::time::sleep(idle) => {}
                        _ = shutdown.cancelled() => {}
                    }
                }
            }
            Err(e) => {
                failures += 1;
                metrics.outbox_errors.inc();
                tracing::warn!(error = %e, failures, "outbox relay round failed; will retry");
                if stopping && failures >= 3 {
                    tracing::warn!("leaving unpublished outbox rows for the next start");
                    return;
                }
                let delay = Duration::from_millis(100 * 2u64.pow(failures.min(6)));
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// How often the relay measures the backlog, at most.
const BACKLOG_EVERY: Duration = Duration::from_secs(1);

/// Sets the backlog gauges: rows waiting and the age of the oldest one.
async fn measure_backlog(pool: &PgPool, metrics: &Metrics) {
    let row: sqlx::Result<(i64, Option<f64>)> = sqlx::query_as(
        "SELECT count(*), EXTRACT(EPOCH FROM now() - min(created_at))::float8 FROM outbox",
    )
    .fetch_one(pool)
    .await;
    match row {
        Ok((rows, age)) => {
            metrics.outbox_backlog.set(rows);
            metrics.outbox_oldest_age.set(age.unwrap_or(0.0).max(0.0));
        }
        // The relay round that follows reports the outage.
        Err(e) => tracing::debug!(error = %e, "cannot measure the outbox backlog"),
    }
}

/// The relay takes the oldest rows by walking `outbox_created_idx` and stops after
/// `batch`. The outbox is a queue: usually near empty when autovacuum analyses it, then
/// thousands of rows deep in a burst or after a broker outage. A plan made for the
/// empty table (read all, sort, keep `batch`), cached in the connection's prepared
/// statement until the next analyse, would read and sort the whole backlog every round;
/// the relay's transaction therefore forbids sorting.
const RELAY_BEGIN: &str = crate::db::BEGIN_WITHOUT_SORT;

/// A round's select: the oldest rows, after `$filter`, walked in `created_at` order.
macro_rules! relay_select {
    ($filter:literal) => {
        concat!(
            "SELECT id, aggregateid, type, topic, source, payload, occurred_at, key_id, sealed
               FROM outbox ",
            $filter,
            " ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED"
        )
    };
}

/// The leader's round: the oldest rows.
const RELAY_SELECT: &str = relay_select!("");

/// A standby's round: the same walk, over rows older than $2 milliseconds. A statement
/// of its own rather than the leader's with a nullable cutoff (`$2 IS NULL OR …`): in
/// four alternating bench pairs the build with that form cost PostgreSQL 0.4–0.7 ms
/// more CPU per dossier than the build before it (split again: +0.7 and −0.3 ms, within
/// the noise). Not a proven cause, as both forms settle on a generic plan after five
/// rounds (`pg_prepared_statements`); this form is the one measured longest.
const STANDBY_SELECT: &str =
    relay_select!("WHERE created_at < now() - $2 * interval '1 millisecond'");

/// The select of a round that publishes rows older than `older_than` (all: `None`).
fn select_for(older_than: Option<Duration>) -> (&'static str, Option<i64>) {
    match older_than {
        None => (RELAY_SELECT, None),
        Some(age) => (
            STANDBY_SELECT,
            Some(i64::try_from(age.as_millis()).unwrap_or(i64::MAX)),
        ),
    }
}

/// The generic plan PostgreSQL makes for a relay round's select (`EXPLAIN`, text), the
/// one a connection caches after a few rounds, under the relay's settings, for a leader
/// (`older_than` `None`) or a standby; nothing is locked. The tests check it on an
/// empty, analysed outbox.
pub async fn relay_plan(
    pool: &PgPool,
    batch: i64,
    older_than: Option<Duration>,
) -> sqlx::Result<String> {
    let mut tx = pool.begin_with(RELAY_BEGIN).await?;
    sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
        .execute(&mut *tx)
        .await?;
    let (select, cutoff) = select_for(older_than);
    let explain = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {select}"))).bind(batch);
    let lines: Vec<String> = match cutoff {
        None => explain.fetch_all(&mut *tx).await?,
        Some(ms) => explain.bind(ms).fetch_all(&mut *tx).await?,
    };
    tx.rollback().await?;
    Ok(lines.join("\n"))
}

/// One round: lock a batch (only rows older than `older_than` when given), publish it,
/// delete what was acknowledged.
async fn relay_once(
    pool: &PgPool,
    producer: &FutureProducer,
    batch: i64,
    keys: Option<&Keyring>,
    older_than: Option<Duration>,
) -> anyhow::Result<usize> {
    let mut tx = pool.begin_with(RELAY_BEGIN).await?;
    let (select, cutoff) = select_for(older_than);
    let query = sqlx::query_as(select).bind(batch);
    let rows: Vec<Row> = match cutoff {
        None => query.fetch_all(&mut *tx).await?,
        Some(ms) => query.bind(ms).fetch_all(&mut *tx).await?,
    };
    if rows.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    // A row that does not open stops the round before anything is sent: it stays, in
    // order, and the error (a key missing from this process's keyring) is reported.
    let values: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| r.value(keys))
        .collect::<anyhow::Result<_>>()?;
    let sends = rows.iter().zip(&values).map(|(row, value)| {
        let mut headers = OwnedHeaders::new();
        for (name, v) in attribute_headers(row.id, &row.source, &row.r#type, row.occurred_at) {
            headers = headers.insert(Header {
                key: name,
                value: Some(v.as_bytes()),
            });
        }
        let record = FutureRecord::to(&row.topic)
            .key(&row.aggregateid)
            .payload(value)
            .headers(headers);
        producer.send(record, Timeout::After(Duration::from_secs(30)))
    });
    let results = join_all(sends).await;
    let mut sent = Vec::with_capacity(rows.len());
    let mut first_error = None;
    for (row, result) in rows.iter().zip(results) {
        match result {
            Ok(_) => sent.push(row.id),
            Err((e, _)) => {
                first_error.get_or_insert(e);
            }
        }
    }
    sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
        .bind(&sent)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    match first_error {
        Some(e) => Err(anyhow::anyhow!(
            "{} of {} records not acknowledged: {e}",
            rows.len() - sent.len(),
            rows.len()
        )),
        None => Ok(sent.len()),
    }
}
