//! Delivery receipts applied in groups: one statement and one commit for the receipts
//! that arrive together.
//!
//! Providers post one receipt per message, so under load a commit each made receipts
//! the largest remaining source of single-row commits (`ops/pg-sample`, BENCHMARKS.md).
//! [`ReceiptGroup`] queues concurrent receipts and applies whatever has queued while the
//! previous group was being written. A caller gets its answer only once its receipt is
//! committed, so what the provider is told does not change. Two receipts for the same
//! notification never share a group: the second is applied after the first, as it would
//! be one at a time.

use std::collections::{HashMap, HashSet};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::policy::Terminal;
use super::queue::ReceiptEffect;

/// Receipts applied with one statement, at most.
const MAX_GROUP: usize = 256;

/// One delivery receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The channel whose provider sent it.
    pub channel: String,
    /// The notification (its idempotency key).
    pub id: Uuid,
    /// The state it reports.
    pub state: Terminal,
    /// The provider's message id, if given.
    pub provider_ref: Option<String>,
}

/// Applies receipts (distinct notifications) with one statement: the UPDATE, and the
/// state of those it did not change. Effects are in the order given.
pub async fn apply_receipts(
    pool: &PgPool,
    receipts: &[Receipt],
) -> sqlx::Result<Vec<ReceiptEffect>> {
    if receipts.is_empty() {
        return Ok(Vec::new());
    }
    // Rows are locked in id order before the UPDATE, as outcomes and expiries lock them
    // (`queue`'s module documentation): no deadlock whatever the UPDATE's plan.
    let ids: Vec<Uuid> = receipts.iter().map(|r| r.id).collect();
    let channels: Vec<&str> = receipts.iter().map(|r| r.channel.as_str()).collect();
    let states: Vec<&str> = receipts.iter().map(|r| r.state.as_str()).collect();
    let refs: Vec<Option<&str>> = receipts.iter().map(|r| r.provider_ref.as_deref()).collect();
    // The outer SELECT sees the rows as they were before the UPDATE: their state is
    // only used for the receipts that changed nothing.
    let rows: Vec<(Uuid, String, bool, Option<String>)> = sqlx::query_as(
        "WITH r AS (SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[])
                                AS r(id, channel, state, provider_ref)),
              locked AS MATERIALIZED (
                SELECT id FROM notification WHERE id = ANY($1) ORDER BY id FOR UPDATE),
              changed AS (
                UPDATE notification n
                   SET state = r.state, finished_at = now(), lease_until = NULL,
                       provider_ref = COALESCE(n.provider_ref, r.provider_ref)
                  FROM r, locked l
                 WHERE n.id = r.id AND l.id = n.id AND n.channel = r.channel
                   AND n.state IN ('queued', 'sending', 'sent')
             RETURNING n.id, n.channel)
         SELECT r.id, r.channel, c.id IS NOT NULL, n.state
           FROM r
           LEFT JOIN changed c ON c.id = r.id AND c.channel = r.channel
           LEFT JOIN notification n ON n.id = r.id AND n.channel = r.channel",
    )
    .bind(&ids)
    .bind(&channels)
    .bind(&states)
    .bind(&refs)
    .fetch_all(pool)
    .await?;
    let by_key: HashMap<(Uuid, &str), (bool, Option<&String>)> = rows
        .iter()
        .map(|(id, channel, changed, state)| ((*id, channel.as_str()), (*changed, state.as_ref())))
        .collect();
    Ok(receipts
        .iter()
        .map(|r| match by_key.get(&(r.id, r.channel.as_str())) {
            Some((true, _)) => ReceiptEffect::Recorded,
            Some((false, Some(state))) => ReceiptEffect::Unchanged((*state).clone()),
            _ => ReceiptEffect::Unknown,
        })
        .collect())
}

/// The database could not apply the group; the provider should send the receipt again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the receipt could not be recorded")]
pub struct NotRecorded;

type Reply = oneshot::Sender<Result<ReceiptEffect, NotRecorded>>;

/// Hands receipts to one writer task that applies them in groups.
#[derive(Clone)]
pub struct ReceiptGroup {
    tx: mpsc::Sender<(Receipt, Reply)>,
}

impl ReceiptGroup {
    /// Starts the writer task on the current Tokio runtime; it stops when every clone is
    /// dropped, after applying what was queued.
    pub fn start(pool: PgPool) -> Self {
        let (tx, rx) = mpsc::channel(4 * MAX_GROUP);
        tokio::spawn(write_groups(pool, rx));
        Self { tx }
    }

    /// Applies one receipt and answers once its group is committed.
    pub async fn apply(&self, receipt: Receipt) -> Result<ReceiptEffect, NotRecorded> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((receipt, reply))
            .await
            .map_err(|_| NotRecorded)?;
        answer.await.map_err(|_| NotRecorded)?
    }
}

async fn write_groups(pool: PgPool, mut rx: mpsc::Receiver<(Receipt, Reply)>) {
    let mut waiting: Vec<(Receipt, Reply)> = Vec::new();
    loop {
        if waiting.is_empty() && rx.recv_many(&mut waiting, MAX_GROUP).await == 0 {
            return;
        }
        // Take more if more have queued meanwhile, without waiting for them.
        while waiting.len() < MAX_GROUP
            && let Ok(next) = rx.try_recv()
        {
            waiting.push(next);
        }
        // The first receipt of each notification goes now; a repeat waits for the next group.
        let mut seen = HashSet::new();
        let (group, later): (Vec<_>, Vec<_>) = waiting
            .drain(..)
            .partition(|(r, _)| seen.insert((r.channel.clone(), r.id)));
        waiting = later;
        let (receipts, replies): (Vec<Receipt>, Vec<Reply>) = group.into_iter().unzip();
        match apply_receipts(&pool, &receipts).await {
            Ok(effects) => {
                for (reply, effect) in replies.into_iter().zip(effects) {
                    let _ = reply.send(Ok(effect));
                }
            }
            Err(e) => {
                tracing::error!(receipts = receipts.len(), error = %e, "could not record delivery receipts");
                for reply in replies {
                    let _ = reply.send(Err(NotRecorded));
                }
            }
        }
    }
}
