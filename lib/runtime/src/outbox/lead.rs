//! Which relay publishes fresh rows: one leader per database, chosen with a PostgreSQL
//! advisory lock, while every other relay stands by.
//!
//! Every process runs a relay, so that no configuration can leave events unpublished.
//! But relays that all take every row compete for the same rows and send small batches:
//! in the bench, six such relays finished 12–23 % fewer dossiers a second. So the relay
//! holding the lock (`pg_try_advisory_lock`, on a connection of its own) publishes
//! every row, and the others publish only rows older than the takeover age: nothing
//! while the leader keeps up, and the backlog with it when it does not (a stuck leader,
//! a burst).
//!
//! Leadership is a matter of cost, never of correctness: two relays that both believe
//! they lead are as safe as before (`FOR UPDATE SKIP LOCKED`). A leader that exits or
//! loses its connection frees the lock, and a standby takes it within [`CHECK_EVERY`].

use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool};

use crate::telemetry::Metrics;

/// The advisory lock key of the leading relay (`"dflowRly"` in ASCII). Advisory locks
/// are per database, so deployments sharing a server do not compete.
pub const LEADER_LOCK: i64 = 0x6466_6c6f_7752_6c79;

/// How often a relay checks its leadership: a standby tries the lock, the leader
/// checks that its lock connection is still alive.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// How long one check may take (connect, then the lock or a ping).
const CHECK_LIMIT: Duration = Duration::from_secs(5);

/// One relay's view of the leadership.
pub struct Lead {
    pool: PgPool,
    takeover: Duration,
    conn: Option<PgConnection>,
    leading: bool,
    checked: Option<Instant>,
}

impl Lead {
    /// A relay on `pool` that, while standing by, publishes rows older than `takeover`;
    /// `takeover` zero turns leadership off (this relay publishes every row).
    pub fn new(pool: PgPool, takeover: Duration) -> Self {
        Self {
            pool,
            takeover,
            conn: None,
            leading: false,
            checked: None,
        }
    }

    /// The rows this relay publishes now: `None` all of them (it leads, or leadership
    /// is off), `Some(age)` only those older than `age` (it stands by).
    pub async fn scope(&mut self, metrics: &Metrics) -> Option<Duration> {
        if self.takeover.is_zero() {
            metrics.outbox_relay_leading.set(1);
            return None;
        }
        if self.checked.is_none_or(|at| at.elapsed() >= CHECK_EVERY) {
            self.checked = Some(Instant::now());
            let was = self.leading;
            // A hung server must not hold up the relay's rounds: past the limit this
            // relay stands by and starts afresh on a new connection.
            self.leading = match tokio::time::timeout(CHECK_LIMIT, self.check()).await {
                Ok(leading) => leading,
                Err(_) => {
                    tracing::warn!("outbox relay: the leader lock check timed out");
                    self.conn = None;
                    false
                }
            };
            if self.leading != was {
                tracing::info!(
                    leading = self.leading,
                    "outbox relay {} the leader",
                    if self.leading {
                        "became"
                    } else {
                        "is no longer"
                    }
                );
            }
            metrics.outbox_relay_leading.set(i64::from(self.leading));
        }
        (!self.leading).then_some(self.takeover)
    }

    /// Whether this relay holds the lock now; takes it if it is free.
    async fn check(&mut self) -> bool {
        if self.conn.is_none() {
            match PgConnection::connect_with(&self.pool.connect_options()).await {
                Ok(conn) => self.conn = Some(conn),
                Err(e) => {
                    tracing::debug!(error = %e, "outbox relay: no connection for the leader lock");
                    return false;
                }
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        let result = if self.leading {
            // The lock lives as long as this session: a live session still holds it.
            conn.ping().await.map(|()| true)
        } else {
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(LEADER_LOCK)
                .fetch_one(&mut *conn)
                .await
        };
        match result {
            Ok(held) => held,
            Err(e) => {
                // A broken session has lost the lock with it; start afresh next time.
                tracing::warn!(error = %e, "outbox relay: the leader lock's connection failed");
                self.conn = None;
                false
            }
        }
    }
}
