//! The `notification` table as each channel's send queue: claim with a lease, record an
//! outcome, apply a delivery receipt, expire missing receipts, count the daily cap.
//!
//! A claim gives rows a lease (`lease_until`) and commits at once, so no row lock is held
//! while a provider is called; a worker that dies leaves rows whose lease expires and
//! which are claimed again (the provider sees the same idempotency key). A leased row
//! stays `queued`: a claim changes no indexed column, so PostgreSQL can make it a HOT
//! update, with no new index entries (migration 0019). Every later update is guarded by
//! the state it expects, so a receipt that arrives before the worker records the
//! provider's answer wins, and nothing moves out of a final state.
//!
//! Outcomes, receipts and expiries lock their rows in id order before they update them
//! (`SELECT … ORDER BY id FOR UPDATE` in a materialised CTE). The order of the ids
//! passed in decides nothing: the UPDATE's plan does (a hash join locks in heap
//! order), and two statements locking shared rows in different orders deadlock, each
//! costing PostgreSQL's `deadlock_timeout` (1 s) and a failed statement.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use super::policy::Next;
use super::record::vietnam;

/// A claimed notification: id, dossier, template, attempts (this one included), facts,
/// the dossier's contact JSON.
#[derive(Debug, sqlx::FromRow)]
pub struct Claimed {
    /// Notification id.
    pub id: Uuid,
    /// Dossier id.
    pub dossier_id: Uuid,
    /// Template name.
    pub template: String,
    /// Attempts including this one.
    pub attempts: i32,
    /// Stored facts (`None` for rows planned before facts existed).
    pub facts: Option<serde_json::Value>,
    /// The dossier's contact data.
    pub contact: serde_json::Value,
}

/// Claims up to `limit` due rows of `channel` for `lease`. A row waits while an earlier
/// notification of the same dossier on the same channel is still unsent, so each
/// recipient sees statuses in order.
pub async fn claim(
    pool: &PgPool,
    channel: &str,
    limit: i64,
    lease: Duration,
) -> sqlx::Result<Vec<Claimed>> {
    let mut tx = pool.begin_with(CLAIM_BEGIN).await?;
    let claimed = sqlx::query_as(CLAIM)
        .bind(channel)
        .bind(limit)
        .bind(lease.as_secs_f64())
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// The plan PostgreSQL chooses for [`claim`] now (`EXPLAIN`, text), under the same
/// settings; nothing is claimed. The tests check it against a deep backlog.
pub async fn claim_plan(pool: &PgPool, channel: &str, limit: i64) -> sqlx::Result<String> {
    let mut tx = pool.begin_with(CLAIM_BEGIN).await?;
    let lines: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {CLAIM}")))
        .bind(channel)
        .bind(limit)
        .bind(60.0f64)
        .fetch_all(&mut *tx)
        .await?;
    tx.rollback().await?;
    Ok(lines.join("\n"))
}

/// The claim walks `notification_due` in order and stops at `limit`. Left to itself, the
/// planner misjudges how many due rows are their dossier's head (it guesses 0.5 %; about
/// half are) and prefers to read every due row, test each, sort and keep the first:
/// 25 ms a round with 3,000 queued instead of 1.5 ms, growing with the backlog, so the
/// further behind the queue, the slower it drains. Forbidding the sort for this one
/// transaction leaves the ordered index scan as the only plan, at no round trip of its
/// own.
const CLAIM_BEGIN: &str = dossierflow_runtime::db::BEGIN_WITHOUT_SORT;

// A row is claimable when it is due, holds no live lease, and is its dossier's earliest
// unsent notification on this channel (a later status waits for an earlier one). The
// due rows are walked in `notification_due` order and each is checked with a
// correlated `min(seq)`, one probe of `notification_heads` per row, so a round costs
// about what it claims, not the size of the backlog. (An anti-join lets the planner,
// misled by stale statistics right after a burst, compare every pair.) The conditions
// are re-checked on the latest row version when it is locked, so a row another worker
// claimed after this statement's snapshot is skipped, never claimed twice; a
// predecessor another worker holds is still open, so the order is kept. The claim sets
// `state` to the value it already has ('queued'): an unchanged value does not stop a
// HOT update, and rows an older release left in 'sending' become 'queued' again.
const CLAIM: &str = "WITH due AS (
         SELECT n.id FROM notification n
          WHERE n.channel = $1 AND n.state IN ('queued', 'sending')
            AND (n.lease_until IS NULL OR n.lease_until < now())
            AND n.next_attempt_at <= now()
            AND n.seq = (SELECT min(p.seq) FROM notification p
                          WHERE p.channel = $1 AND p.dossier_id = n.dossier_id
                            AND p.state IN ('queued', 'sending'))
          ORDER BY n.next_attempt_at
          LIMIT $2
          FOR UPDATE OF n SKIP LOCKED)
     UPDATE notification n
        SET state = 'queued', attempts = n.attempts + 1,
            lease_until = now() + make_interval(secs => $3)
       FROM due, dossier d
      WHERE n.id = due.id AND d.id = n.dossier_id
  RETURNING n.id, n.dossier_id, n.template, n.attempts, n.facts, d.contact";

/// The result of one attempt, to be recorded with [`record_all`].
#[derive(Debug, Clone, PartialEq)]
pub struct Attempted {
    /// Notification id (a row this worker holds a lease on).
    pub id: Uuid,
    /// What happens next.
    pub next: Next,
    /// The provider's reference, when it took the message.
    pub provider_ref: Option<String>,
    /// Why the attempt failed, without personal data.
    pub error: Option<String>,
}

/// Records attempts' results on rows this worker holds, with one statement and one
/// commit (a commit each made these updates most of the database's commits); a second
/// statement in the same transaction when some are retried. Returns, per result and in
/// order, whether it was recorded: `false` when the row is no longer leased (a receipt
/// came first and ended it, or it was never claimed).
pub async fn record_all(pool: &PgPool, results: &[Attempted]) -> sqlx::Result<Vec<bool>> {
    if results.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = pool.acquire().await?;
    if !results.iter().any(|r| matches!(r.next, Next::RetryIn(_))) {
        let updated = update_outcomes(&mut conn, results).await?;
        return Ok(results.iter().map(|r| updated.contains(&r.id)).collect());
    }
    let mut tx = conn.begin().await?;
    let updated = update_outcomes(&mut tx, results).await?;
    // Rows put back to be retried take the rows waiting behind them along
    // (`order::postpone_waiting`), so a provider outage does not leave those due.
    let retried: Vec<Uuid> = results
        .iter()
        .filter(|r| matches!(r.next, Next::RetryIn(_)) && updated.contains(&r.id))
        .map(|r| r.id)
        .collect();
    super::order::postpone_waiting(&mut tx, &retried).await?;
    tx.commit().await?;
    Ok(results.iter().map(|r| updated.contains(&r.id)).collect())
}

/// The outcome `UPDATE` of [`record_all`]; returns the ids it recorded.
async fn update_outcomes(
    conn: &mut PgConnection,
    results: &[Attempted],
) -> sqlx::Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(results.len());
    let (mut states, mut delays) = (Vec::new(), Vec::new());
    let (mut refs, mut errors) = (Vec::new(), Vec::new());
    for r in results {
        let (state, delay) = match r.next {
            Next::AwaitReceipt => ("sent", 0.0),
            Next::RetryIn(d) => ("queued", d.as_secs_f64()),
            Next::Final(t) => (t.as_str(), 0.0),
        };
        ids.push(r.id);
        states.push(state);
        delays.push(delay);
        refs.push(r.provider_ref.clone());
        errors.push(r.error.clone());
    }
    // Rows are locked in id order first, as receipts and expiries lock them: two
    // statements that share rows wait for each other instead of deadlocking, whatever
    // plan the UPDATE gets.
    sqlx::query_scalar(
        "WITH locked AS MATERIALIZED (
                SELECT id FROM notification WHERE id = ANY($1) ORDER BY id FOR UPDATE)
         UPDATE notification n
            SET state = r.state, lease_until = NULL, last_error = r.error,
                provider_ref = COALESCE(r.provider_ref, n.provider_ref),
                next_attempt_at = now() + make_interval(secs => r.delay),
                sent_at = CASE WHEN r.state = 'sent' THEN now() ELSE n.sent_at END,
                finished_at = CASE WHEN r.state IN ('queued', 'sent') THEN NULL ELSE now() END
           FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[])
                AS r(id, state, provider_ref, error, delay), locked l
          WHERE n.id = r.id AND l.id = n.id AND n.state IN ('queued', 'sending')
            AND n.lease_until IS NOT NULL
      RETURNING n.id",
    )
    .bind(&ids)
    .bind(&states)
    .bind(&refs)
    .bind(&errors)
    .bind(&delays)
    .fetch_all(conn)
    .await
}

/// What a receipt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptEffect {
    /// The notification moved to the receipt's state.
    Recorded,
    /// The notification was already final (in this state); nothing changed.
    Unchanged(String),
    /// No notification with this id on this channel.
    Unknown,
}

/// Ends `temporary-failure` every notification of `channel` accepted more than `timeout`
/// ago whose receipt never came. Returns how many.
pub async fn expire_receipts(pool: &PgPool, channel: &str, timeout: Duration) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "WITH locked AS MATERIALIZED (
                SELECT id FROM notification
                 WHERE channel = $1 AND state = 'sent'
                   AND sent_at < now() - make_interval(secs => $2)
                 ORDER BY id FOR UPDATE)
         UPDATE notification n
            SET state = 'temporary-failure', finished_at = now(),
                last_error = 'no delivery receipt within the receipt timeout'
           FROM locked l
          WHERE n.id = l.id AND n.state = 'sent'",
    )
    .bind(channel)
    .bind(timeout.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Today in Vietnam: the day daily caps count.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&vietnam()).date_naive()
}

/// Reserves up to `want` sends of `channel` against `cap` for `day`; returns how many were
/// granted and the day's use after the reservation.
pub async fn reserve(
    pool: &PgPool,
    channel: &str,
    day: NaiveDate,
    want: i64,
    cap: i64,
) -> sqlx::Result<(i64, i64)> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO notification_daily_use (channel, day) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(channel)
    .bind(day)
    .execute(&mut *tx)
    .await?;
    let granted: (i64, i64) = sqlx::query_as(
        "WITH cur AS (SELECT used FROM notification_daily_use
                       WHERE channel = $1 AND day = $2 FOR UPDATE)
         UPDATE notification_daily_use u
            SET used = u.used + LEAST($3, GREATEST($4 - cur.used, 0))
           FROM cur
          WHERE u.channel = $1 AND u.day = $2
      RETURNING LEAST($3, GREATEST($4 - cur.used, 0)), u.used",
    )
    .bind(channel)
    .bind(day)
    .bind(want)
    .bind(cap)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(granted)
}

/// Gives back `n` reserved sends that were not used (nothing due, or the attempt failed).
pub async fn refund(pool: &PgPool, channel: &str, day: NaiveDate, n: i64) -> sqlx::Result<()> {
    if n > 0 {
        sqlx::query(
            "UPDATE notification_daily_use SET used = GREATEST(used - $3, 0)
              WHERE channel = $1 AND day = $2",
        )
        .bind(channel)
        .bind(day)
        .bind(n)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Notifications of `channel` waiting to be sent, and the age of the oldest in seconds.
pub async fn backlog(pool: &PgPool, channel: &str) -> sqlx::Result<(i64, f64)> {
    let (n, age): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*), EXTRACT(EPOCH FROM now() - min(created_at))::float8
           FROM notification WHERE channel = $1 AND state IN ('queued', 'sending')",
    )
    .bind(channel)
    .fetch_one(pool)
    .await?;
    Ok((n, age.unwrap_or(0.0)))
}
