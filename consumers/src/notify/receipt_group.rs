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

use std::collections::HashSet;

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

/// Applies receipts (distinct notifications) with one UPDATE, and reads the state of
/// those it did not change with one SELECT. Effects are in the order given.
pub async fn apply_receipts(
    pool: &PgPool,
    receipts: &[Receipt],
) -> sqlx::Result<Vec<ReceiptEffect>> {
    if receipts.is_empty() {
        return Ok(Vec::new());
    }
    // Rows are locked in id order, as the outcome records lock them (no deadlock).
    let mut sorted: Vec<&Receipt> = receipts.iter().collect();
    sorted.sort_by_key(|r| r.id);
    let ids: Vec<Uuid> = sorted.iter().map(|r| r.id).collect();
    let channels: Vec<&str> = sorted.iter().map(|r| r.channel.as_str()).collect();
    let states: Vec<&str> = sorted.iter().map(|r| r.state.as_str()).collect();
    let refs: Vec<Option<&str>> = sorted.iter().map(|r| r.provider_ref.as_deref()).collect();
    let changed: Vec<(Uuid, String)> = sqlx::query_as(
        "UPDATE notification n
            SET state = r.state, finished_at = now(), lease_until = NULL,
                provider_ref = COALESCE(n.provider_ref, r.provider_ref)
           FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[])
                AS r(id, channel, state, provider_ref)
          WHERE n.id = r.id AND n.channel = r.channel
            AND n.state IN ('queued', 'sending', 'sent')
      RETURNING n.id, n.channel",
    )
    .bind(&ids)
    .bind(&channels)
    .bind(&states)
    .bind(&refs)
    .fetch_all(pool)
    .await?;
    let changed: HashSet<(Uuid, &str)> = changed
        .iter()
        .map(|(id, channel)| (*id, channel.as_str()))
        .collect();
    let key = |i: usize| (ids[i], channels[i]);
    let rest: Vec<usize> = (0..receipts.len())
        .filter(|i| !changed.contains(&key(*i)))
        .collect();
    let mut current: Vec<(Uuid, String, String)> = Vec::new();
    if !rest.is_empty() {
        let rest_ids: Vec<Uuid> = rest.iter().map(|i| ids[*i]).collect();
        let rest_channels: Vec<&str> = rest.iter().map(|i| channels[*i]).collect();
        current = sqlx::query_as(
            "SELECT n.id, n.channel, n.state FROM notification n
               JOIN UNNEST($1::uuid[], $2::text[]) AS r(id, channel)
                 ON n.id = r.id AND n.channel = r.channel",
        )
        .bind(&rest_ids)
        .bind(&rest_channels)
        .fetch_all(pool)
        .await?;
    }
    Ok(receipts
        .iter()
        .map(|r| {
            let (id, channel) = (r.id, r.channel.as_str());
            if changed.contains(&(id, channel)) {
                return ReceiptEffect::Recorded;
            }
            match current.iter().find(|(c, ch, _)| *c == id && ch == channel) {
                Some((_, _, state)) => ReceiptEffect::Unchanged(state.clone()),
                None => ReceiptEffect::Unknown,
            }
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
