//! Group commit: records a stage handles at the same time share one PostgreSQL
//! transaction, and so one commit (one WAL flush), instead of paying one each.
//!
//! A stage handler calls [`CommitGroups::begin`] where it used to call `pool.begin()`,
//! works through the [`GroupTx`] as through a transaction, and calls
//! [`GroupTx::commit`], which returns only once the **group's** transaction has
//! committed. So the stage loop still stores an offset only after the record's work is
//! durable.
//!
//! How a group forms (no timer, so nothing waits when the stage is idle):
//! - handlers that begin while a group is open join it, up to `max` members. They run
//!   one at a time on the group's connection. The first member of a transaction works
//!   at its top level; each later one in a savepoint of its own. A member that fails, or
//!   returns without committing, rolls back alone (the first one by rolling back the
//!   still empty transaction and beginning it again); the others go on. A kept
//!   savepoint is not released (the next one nests inside it, a round trip less per
//!   record). A lone record, the common case on a quiet stage, so costs `BEGIN`, its
//!   work and `COMMIT`: no savepoint, no subtransaction;
//! - when a member finishes and nobody else has joined, the group closes and commits.
//!   An idle stage commits each record at once; a busy one commits many together;
//! - a new group runs statements only once every member of the previous group is done
//!   (that group may still be committing). Two groups of one process therefore never
//!   wait for each other's row locks, and no lock cycle can pass through this queue,
//!   where PostgreSQL could not see it. Other cycles PostgreSQL detects and breaks;
//! - if the commit fails, every member gets the error and its record is retried. The
//!   inbox claim in each member's work makes that safe.
//!
//! With `max` 1 every record is a transaction of its own, as without groups.
//!
//! `max` stays below 64: a transaction with more writing subtransactions overflows
//! PostgreSQL's per-backend subtransaction cache and slows every other backend.

mod member;

use std::sync::{Arc, Mutex};

use prometheus_client::metrics::histogram::Histogram;
use sqlx::{Executor, PgPool, Postgres, Transaction};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard, watch};

use crate::telemetry::{Metrics, StageLabel};
use member::{Joining, Undo, undo_pending};

pub use member::GroupTx;

/// The largest group allowed (see the module notes on subtransactions).
pub const MAX_GROUP: usize = 60;

/// Why a member's work was not committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// A statement of the group's transaction handling (begin, savepoint, undo) failed.
    #[error("group transaction: {0}")]
    Db(#[from] sqlx::Error),
    /// The group's commit failed; nothing of the group was written.
    #[error("group commit failed: {0}")]
    Group(Arc<str>),
}

/// Hands out places in commit groups on one pool. Cheap to clone.
#[derive(Clone)]
pub struct CommitGroups {
    shared: Arc<Shared>,
}

struct Shared {
    pool: PgPool,
    max: usize,
    state: Mutex<State>,
    sizes: Option<Histogram>,
}

#[derive(Default)]
struct State {
    /// The group new members join.
    open: Option<Arc<Group>>,
    /// Becomes `true` when every member of the newest group is done.
    last_executed: Option<watch::Receiver<bool>>,
    /// Members that joined and have not left.
    members: usize,
}

/// The group's transaction and what is in it.
struct Slot {
    tx: Transaction<'static, Postgres>,
    /// No member's work is kept in the transaction: the next member needs no savepoint.
    fresh: bool,
    /// What a member that left without committing asks to be undone, before the
    /// connection is used again.
    pending: Undo,
}

type Outcome = Option<Result<(), Arc<str>>>;

struct Group {
    conn: Arc<AsyncMutex<Option<Slot>>>,
    prev: Option<watch::Receiver<bool>>,
    counts: Mutex<Counts>,
    executed: watch::Sender<bool>,
    done: watch::Sender<Outcome>,
}

#[derive(Default)]
struct Counts {
    joined: usize,
    left: usize,
    sealed: bool,
}

impl CommitGroups {
    /// Groups of at most `max` members (clamped to 1..=[`MAX_GROUP`]; 1 commits each
    /// record alone).
    pub fn new(pool: PgPool, max: usize) -> Self {
        Self::build(pool, max, None)
    }

    /// Groups for `stage`, their sizes observed in `dossier_stage_commit_group_size`.
    pub fn for_stage(pool: PgPool, max: u32, metrics: &Metrics, stage: &'static str) -> Self {
        let sizes = metrics
            .stage_commit_group
            .get_or_create(&StageLabel { stage })
            .clone();
        Self::build(pool, max as usize, Some(sizes))
    }

    fn build(pool: PgPool, max: usize, sizes: Option<Histogram>) -> Self {
        let shared = Shared {
            pool,
            max: max.clamp(1, MAX_GROUP),
            state: Mutex::new(State::default()),
            sizes,
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The pool the groups use.
    pub fn pool(&self) -> &PgPool {
        &self.shared.pool
    }

    /// Members that joined a group and have not finished their part yet.
    pub fn members(&self) -> usize {
        let state = lock(&self.shared.state);
        state.members
    }

    /// Joins the open group (or opens one) and waits for this member's turn on its
    /// connection. The work done through the result is the group transaction's first
    /// part, or a savepoint in it, and is kept or rolled back alone.
    pub async fn begin(&self) -> Result<GroupTx, CommitError> {
        let mut joining = Joining {
            shared: self.shared.clone(),
            group: self.join(),
            armed: true,
        };
        let group = joining.group.clone();
        if let Some(prev) = &group.prev {
            // A closed channel means the previous group is gone: nothing to wait for.
            let _ = prev.clone().wait_for(|executed| *executed).await;
        }
        let mut guard = group.conn.clone().lock_owned().await;
        if guard.is_none() {
            let tx = self.shared.pool.begin().await?;
            *guard = Some(Slot {
                tx,
                fresh: true,
                pending: Undo::Nothing,
            });
        }
        let mut slot = match OwnedMutexGuard::try_map(guard, Option::as_mut) {
            Ok(slot) => slot,
            Err(_) => return Err(CommitError::Group("group transaction missing".into())),
        };
        undo_pending(&mut slot).await?;
        // Only the work of earlier members needs protecting from this one's failure.
        let bare = slot.fresh;
        if bare {
            slot.fresh = false;
        } else {
            (&mut *slot.tx).execute("SAVEPOINT member").await?;
        }
        joining.armed = false;
        Ok(GroupTx {
            slot,
            group,
            shared: self.shared.clone(),
            released: false,
            bare,
        })
    }

    fn join(&self) -> Arc<Group> {
        let mut state = lock(&self.shared.state);
        state.members += 1;
        if let Some(open) = &state.open {
            let mut c = lock(&open.counts);
            c.joined += 1;
            let group = open.clone();
            if c.joined >= self.shared.max {
                c.sealed = true;
                drop(c);
                state.open = None;
            }
            return group;
        }
        let (executed, last) = watch::channel(false);
        // Alone (max 1), each record is a transaction of its own, run concurrently.
        let prev = if self.shared.max > 1 {
            state.last_executed.replace(last)
        } else {
            None
        };
        let group = Arc::new(Group {
            conn: Arc::new(AsyncMutex::new(None)),
            prev,
            counts: Mutex::new(Counts {
                joined: 1,
                left: 0,
                sealed: self.shared.max == 1,
            }),
            executed,
            done: watch::channel(None).0,
        });
        if self.shared.max > 1 {
            state.open = Some(group.clone());
        }
        group
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means a thread panicked mid-update; the counts are still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}
