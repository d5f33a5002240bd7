//! [`GroupAppender`]: many concurrent callers, few transactions.
//!
//! Every append takes the chain's global lock, so one transaction per lookup caps the
//! whole province at the rate of one commit after another. The appender queues the
//! records of concurrent callers and writes whatever has queued up while the previous
//! group was being committed as one group ([`append_many`]): one lock, one commit, many
//! rows. A caller still gets its answer only once its row is committed, so nothing about
//! *when* a lookup is logged changes; under no load a group is a single record and costs
//! what [`append`](crate::append) costs. The queue is bounded: when the database falls
//! behind, callers wait (back-pressure) instead of memory growing.

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::store::{MAX_BATCH, append_many};
use crate::{AuditError, AuditKey, LookupRecord};

/// Records waiting for their group, at most; callers beyond it wait for room.
const QUEUE: usize = 4 * MAX_BATCH;

type Reply = oneshot::Sender<Result<i64, AuditError>>;

/// Hands records to one writer task that appends them in groups.
#[derive(Clone)]
pub struct GroupAppender {
    tx: mpsc::Sender<(LookupRecord, Reply)>,
}

impl GroupAppender {
    /// Starts the writer task on the current Tokio runtime. It stops when every clone of
    /// the appender is dropped, after writing what was queued.
    pub fn start(pool: PgPool, key: AuditKey) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(pool, key, rx));
        Self { tx }
    }

    /// Appends one record and returns its `seq` once its group is committed. An invalid
    /// record is refused at once and never delays or fails anyone else's.
    pub async fn append(&self, rec: LookupRecord) -> Result<i64, AuditError> {
        rec.validate()?;
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((rec, reply))
            .await
            .map_err(|_| AuditError::Stopped)?;
        answer.await.map_err(|_| AuditError::Stopped)?
    }
}

async fn write_groups(pool: PgPool, key: AuditKey, mut rx: mpsc::Receiver<(LookupRecord, Reply)>) {
    let mut group = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut group, MAX_BATCH).await > 0 {
        let (records, replies): (Vec<_>, Vec<_>) = group.drain(..).unzip();
        match append_many(&pool, &key, &records).await {
            Ok(seqs) => {
                for (reply, seq) in replies.into_iter().zip(seqs) {
                    let _ = reply.send(Ok(seq));
                }
            }
            // Records were validated before queuing, so this is the database: every
            // caller of the group gets the same (transient or not) error.
            Err(e) => {
                let message = e.to_string();
                let transient = e.is_transient();
                for reply in replies {
                    let _ = reply.send(Err(AuditError::Group {
                        message: message.clone(),
                        transient,
                    }));
                }
            }
        }
    }
}
