//! A dossier's notifications on one channel go out in order, and the rows waiting
//! behind an unsent one stay out of the claim's way.
//!
//! The claim ([`super::queue::claim`]) walks the channel's due rows in `next_attempt_at`
//! order and probes each for being its dossier's head (its earliest open notification).
//! A row waiting behind a head is due but not claimable. While the provider is down,
//! every head backs off, so without care every waiting row is due and each claim round
//! probes all of them before it finds a head: a round costs the size of the backlog,
//! just when the backlog is large (the CI outage test logged about 200 claims over a
//! second).
//!
//! So a waiting row is never due before its head:
//! - [`enqueue`] gives a new row its head's `next_attempt_at` when that is later than now;
//! - [`postpone_waiting`] moves the waiting rows of a head that backs off to the head's
//!   next attempt.
//!
//! A waiting row is never made later than its head's next attempt, and a head is claimed
//! no earlier than that, so when the head ends its successor is already due: no
//! notification is delayed. The one exception: a receipt that ends a head while it backs
//! off (a provider that timed out but delivered) leaves its successors waiting until the
//! time the head's retry was due, at most one retry delay. And a row planned while its
//! head is with the provider, committed after the retry's postponement read the table,
//! stays due until the head's next retry: it is never claimed early (the claim still sees
//! the head), it only costs a probe per round.

use std::collections::HashSet;

use sqlx::PgConnection;
use uuid::Uuid;

use super::templates::TEMPLATE_VERSION;

/// One row to plan: notification id, channel, template.
pub type NewRow<'a> = (Uuid, &'a str, &'a str);

/// The status change the rows are planned for.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// Dossier id.
    pub dossier_id: Uuid,
    /// The status event's id.
    pub status_event_id: Uuid,
    /// The national status code.
    pub status_code: i16,
    /// The facts the templates render.
    pub facts: &'a serde_json::Value,
}

/// Inserts one notification per row for `change`, in the order given; a row already in
/// the table (a replayed status event) is left as it is. Returns the ids inserted now.
pub async fn enqueue(
    conn: &mut PgConnection,
    change: Change<'_>,
    rows: &[NewRow<'_>],
) -> sqlx::Result<HashSet<Uuid>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let channels: Vec<&str> = rows.iter().map(|r| r.1).collect();
    let templates: Vec<&str> = rows.iter().map(|r| r.2).collect();
    // The subquery is one index probe per row (the dossier's open rows on the channel);
    // `GREATEST` ignores the NULL of a dossier with nothing open on the channel.
    let inserted: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO notification (id, dossier_id, status_event_id, channel, status_code, template,
                                   facts, template_version, next_attempt_at)
         SELECT p.id, $4, $5, p.channel, $6, p.template, $7, $8,
                GREATEST(now(), (SELECT max(o.next_attempt_at) FROM notification o
                                  WHERE o.channel = p.channel AND o.dossier_id = $4
                                    AND o.state IN ('queued', 'sending')))
           FROM UNNEST($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS p(id, channel, template, ord)
          ORDER BY p.ord
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(&ids)
    .bind(&channels)
    .bind(&templates)
    .bind(change.dossier_id)
    .bind(change.status_event_id)
    .bind(change.status_code)
    .bind(change.facts)
    .bind(TEMPLATE_VERSION)
    .fetch_all(conn)
    .await?;
    Ok(inserted.into_iter().collect())
}

/// Moves the open rows waiting behind each of `heads` (rows just put back in the queue
/// to be retried) to that head's next attempt. Returns how many rows moved.
///
/// The rows are locked in id order first, as every other multi-row update of the table
/// locks them (`queue`'s module documentation).
pub async fn postpone_waiting(conn: &mut PgConnection, heads: &[Uuid]) -> sqlx::Result<u64> {
    if heads.is_empty() {
        return Ok(0);
    }
    let moved = sqlx::query(
        "WITH h AS (SELECT channel, dossier_id, seq, next_attempt_at FROM notification
                     WHERE id = ANY($1) AND state = 'queued' AND lease_until IS NULL),
              later AS MATERIALIZED (
                SELECT w.id, max(h.next_attempt_at) AS at
                  FROM notification w
                  JOIN h ON w.channel = h.channel AND w.dossier_id = h.dossier_id AND w.seq > h.seq
                 WHERE w.state IN ('queued', 'sending') AND w.lease_until IS NULL
                   AND w.next_attempt_at < h.next_attempt_at
                 GROUP BY w.id),
              locked AS MATERIALIZED (
                SELECT id FROM notification WHERE id IN (SELECT id FROM later)
                 ORDER BY id FOR UPDATE)
         UPDATE notification w SET next_attempt_at = l.at
           FROM later l, locked k
          WHERE w.id = l.id AND k.id = w.id AND w.lease_until IS NULL
            AND w.next_attempt_at < l.at",
    )
    .bind(heads)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected())
}
