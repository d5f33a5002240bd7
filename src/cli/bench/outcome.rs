//! When a pipeline step is complete, and what its dossiers' latencies were — computed
//! afterwards from durable data, not live.
//!
//! Complete: every accepted dossier is final (`routed`, `refused` or `triage`), none of
//! their events waits in the outbox, the notify stage has planned every status change
//! and the webhooks stage every routed event (their inbox rows), and no notification or
//! webhook delivery of theirs is still open (`queued`/`sending`/`sent` awaiting a
//! receipt; `pending`). Latencies: submit time from the bench's clock; routed time from
//! the routed record's Kafka timestamp ([`super::routed`]); notified time = when a
//! provider first accepted a notification of the dossier's outcome (its final status:
//! 2 received or 3 refused), `sent_at` for channels with delivery receipts, otherwise
//! `finished_at` of the `delivered` row.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use uuid::Uuid;

use super::progress::Counter;

/// Stages in which a dossier has left the pipeline.
const FINAL: &str = "('routed', 'refused', 'triage')";

/// Polls until the dossiers `ids` are complete (see the module) or `deadline`; keeps
/// `finished` at the number of final ones and, once all are final, `open` at the work
/// still open for them. Returns whether they completed.
pub async fn wait_done(
    pool: &PgPool,
    ids: &[Uuid],
    deadline: Instant,
    finished: &Counter,
    open: &Counter,
) -> anyhow::Result<bool> {
    let keys: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    loop {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM dossier WHERE id = ANY($1) AND stage IN {FINAL}"
        )))
        .bind(ids)
        .fetch_one(pool)
        .await?;
        finished.store(n as u64, Ordering::Relaxed);
        if n as usize >= ids.len() {
            let left = open_work(pool, ids, &keys).await?;
            open.store(left.max(0) as u64, Ordering::Relaxed);
            if left == 0 {
                return Ok(true);
            }
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Outbox rows, unplanned status changes, unqueued routed events, open notifications and
/// pending webhook deliveries of these dossiers.
async fn open_work(pool: &PgPool, ids: &[Uuid], keys: &[String]) -> anyhow::Result<i64> {
    let (open,): (i64,) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM outbox WHERE aggregateid = ANY($2))
              + (SELECT count(*) FROM dossier_event e
                  WHERE e.dossier_id = ANY($1)
                    AND e.type IN ('dossier.status.v1', 'dossier.routed.v1')
                    AND NOT EXISTS (SELECT 1 FROM processed_event p
                                     WHERE p.event_id = e.event_id
                                       AND p.consumer = CASE e.type WHEN 'dossier.status.v1'
                                                        THEN 'notify' ELSE 'webhooks' END))
              + (SELECT count(*) FROM notification
                  WHERE dossier_id = ANY($1) AND state IN ('queued', 'sending', 'sent'))
              + (SELECT count(*) FROM webhook_delivery
                  WHERE dossier_id = ANY($1) AND state = 'pending')",
    )
    .bind(ids)
    .bind(keys)
    .fetch_one(pool)
    .await?;
    Ok(open)
}

/// A step's latencies and counts.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    /// Final dossiers.
    pub finished: usize,
    /// Routed dossiers.
    pub routed: usize,
    /// Dossiers whose outcome was accepted by a provider.
    pub notified: usize,
    /// Routed dossiers without a routed record on the topic.
    pub missing_routed: usize,
    /// submit → routed, ms, sorted.
    pub to_routed: Vec<f64>,
    /// submit → outcome notified, ms, sorted.
    pub to_notified: Vec<f64>,
    /// When the last dossier finished (UTC epoch ms; routed time or final status).
    pub last_finish_ms: f64,
}

/// Latencies of the `submitted` dossiers (id → submit time, UTC ms) given the routed
/// records' times.
pub async fn latencies(
    pool: &PgPool,
    submitted: &HashMap<Uuid, f64>,
    routed_at: &HashMap<Uuid, f64>,
) -> anyhow::Result<Latencies> {
    let ids: Vec<Uuid> = submitted.keys().copied().collect();
    let rows: Vec<(Uuid, String, Option<f64>, Option<f64>)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT d.id, d.stage,
                    (EXTRACT(EPOCH FROM coalesce(d.finished_at, d.updated_at)) * 1000)::float8,
                    (SELECT (EXTRACT(EPOCH FROM min(coalesce(n.sent_at, n.finished_at))) * 1000)::float8
                       FROM notification n
                      WHERE n.dossier_id = d.id AND n.status_code = d.status
                        AND n.state IN ('sent', 'delivered'))
               FROM dossier d
              WHERE d.id = ANY($1) AND d.stage IN {FINAL}"
        )))
        .bind(&ids)
        .fetch_all(pool)
        .await?;
    let mut l = Latencies::default();
    for (id, stage, final_ms, notified_ms) in rows {
        let Some(&sent) = submitted.get(&id) else {
            continue;
        };
        l.finished += 1;
        let mut finish = final_ms;
        if stage == "routed" {
            l.routed += 1;
            match routed_at.get(&id) {
                Some(&at) => {
                    l.to_routed.push(at - sent);
                    finish = Some(at);
                }
                None => l.missing_routed += 1,
            }
        }
        if let Some(at) = finish {
            l.last_finish_ms = l.last_finish_ms.max(at);
        }
        if let Some(at) = notified_ms {
            l.notified += 1;
            l.to_notified.push(at - sent);
        }
    }
    l.to_routed.sort_by(f64::total_cmp);
    l.to_notified.sort_by(f64::total_cmp);
    Ok(l)
}

/// The nearest-rank percentile `p` (0–100) of sorted values; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        assert_eq!(percentile(&[1.0, 2.0], 0.0), 1.0);
    }
}
