//! A member of a commit group: its place while it waits, its part of the transaction,
//! and leaving, after which the last member of a closed group commits it.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::{Executor, PgConnection};
use tokio::sync::OwnedMappedMutexGuard;

use super::{CommitError, Group, Shared, Slot, lock};

/// A member's place in a group while it waits for its turn; leaves if dropped.
pub(super) struct Joining {
    pub(super) shared: Arc<Shared>,
    pub(super) group: Arc<Group>,
    pub(super) armed: bool,
}

impl Drop for Joining {
    fn drop(&mut self) {
        if self.armed {
            leave(&self.shared, &self.group);
        }
    }
}

/// One member's part of a group transaction. Dereferences to the connection; dropping it
/// without [`GroupTx::commit`] rolls back this member's work only.
pub struct GroupTx {
    pub(super) slot: OwnedMappedMutexGuard<Option<Slot>, Slot>,
    pub(super) group: Arc<Group>,
    pub(super) shared: Arc<Shared>,
    pub(super) released: bool,
    /// Works at the transaction's top level, without a savepoint (the first member).
    pub(super) bare: bool,
}

impl GroupTx {
    /// Keeps this member's work and waits for the group's commit.
    pub async fn commit(mut self) -> Result<(), CommitError> {
        // A savepoint stays open: the next member's nests inside it (one round trip less
        // per record), and a member that fails rolls back to its own, the newest.
        self.released = true;
        let mut done = self.group.done.subscribe();
        drop(self);
        let outcome = done
            .wait_for(Option::is_some)
            .await
            .map_err(|_| CommitError::Group("the group ended without an outcome".into()))?;
        match outcome.as_ref() {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(CommitError::Group(e.clone())),
            None => Err(CommitError::Group("no outcome".into())),
        }
    }
}

impl Deref for GroupTx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.slot.tx
    }
}

impl DerefMut for GroupTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.slot.tx
    }
}

impl Drop for GroupTx {
    fn drop(&mut self) {
        if !self.released {
            // Done by whoever uses the connection next, before anything else.
            self.slot.pending = if self.bare {
                Undo::Transaction
            } else {
                Undo::Savepoint
            };
        }
        leave(&self.shared, &self.group);
    }
}

/// Counts a member out; the last member of a closed group starts its commit.
fn leave(shared: &Arc<Shared>, group: &Arc<Group>) {
    let last = {
        let mut state = lock(&shared.state);
        state.members -= 1;
        let mut c = lock(&group.counts);
        c.left += 1;
        if c.left == c.joined && !c.sealed {
            c.sealed = true;
            if state.open.as_ref().is_some_and(|o| Arc::ptr_eq(o, group)) {
                state.open = None;
            }
        }
        c.sealed && c.left == c.joined
    };
    if last {
        let (shared, group) = (shared.clone(), group.clone());
        // Spawned: `leave` runs in `Drop`, and the member's guard is released just after.
        // Without a runtime (it is gone) nobody waits for the outcome, and the
        // transaction is rolled back when its connection is dropped.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { finish(&shared, &group).await });
        }
    }
}

/// Lets the next group run, then commits this one and tells its members.
async fn finish(shared: &Shared, group: &Group) {
    group.executed.send_replace(true);
    let joined = lock(&group.counts).joined;
    let slot = group.conn.lock().await.take();
    let result = match slot {
        None => Ok(()), // no member got as far as beginning: nothing to commit
        // A first member that failed leaves nothing kept: roll back, nothing to commit.
        Some(slot) if slot.pending == Undo::Transaction => slot.tx.rollback().await,
        Some(mut slot) => match undo_pending(&mut slot).await {
            Ok(()) => slot.tx.commit().await,
            Err(e) => Err(e),
        },
    };
    if let Err(e) = &result {
        tracing::warn!(error = %e, members = joined, "group commit failed; its records will be retried");
    }
    if let Some(sizes) = &shared.sizes {
        sizes.observe(joined as f64);
    }
    group
        .done
        .send_replace(Some(result.map_err(|e| Arc::from(e.to_string()))));
}

/// What a member that left without committing asks to be undone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Undo {
    /// Nothing: no member left work unfinished.
    Nothing,
    /// A later member's savepoint: roll back to it; the earlier members' work stays.
    Savepoint,
    /// The first member's work, all the transaction holds: begin the transaction again.
    Transaction,
}

/// Undoes the work a member left unfinished.
pub(super) async fn undo_pending(slot: &mut Slot) -> sqlx::Result<()> {
    let sql = match slot.pending {
        Undo::Nothing => return Ok(()),
        Undo::Savepoint => "ROLLBACK TO SAVEPOINT member; RELEASE SAVEPOINT member",
        // One round trip; the connection stays in a transaction, as `tx` expects.
        Undo::Transaction => "ROLLBACK; BEGIN",
    };
    (&mut *slot.tx).execute(sql).await?;
    if slot.pending == Undo::Transaction {
        slot.fresh = true;
    }
    slot.pending = Undo::Nothing;
    Ok(())
}
