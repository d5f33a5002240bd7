//! Append-only, hash-chained processing log of CSDLQG lookups (Law 91/2025).
//!
//! Every lookup attempt against the National Population Database — by the pipeline or by
//! the portal sync — is recorded as one row of `lookup_audit`: who (`actor`, `unit`),
//! for which purpose (dossier, procedure), through which channel, which fields were
//! requested and returned (names, never values), the outcome and the latency.
//!
//! # Guarantees
//!
//! - **No plaintext personal data.** The citizen's ID is used only to build a mask
//!   (`0251******87`) and a keyed HMAC-SHA256 ([`AuditKey`]) that lets an operator find
//!   every lookup of one citizen ([`find_by_id`]) without the ID being stored. [`append`]
//!   refuses a record whose text fields contain the full ID or whose field names or outcome
//!   are not plain identifiers.
//! - **Append-only.** Database triggers refuse UPDATE, DELETE and TRUNCATE. A superuser can
//!   disable triggers, so every row also carries `row_hash` = SHA-256 of its canonical
//!   serialisation including `prev_hash`, the previous row's hash; [`verify_chain`] walks
//!   the chain and reports the first row that does not match.
//! - **One linear chain.** Appends from any number of tasks and processes are serialised by
//!   a transaction-level advisory lock ([`APPEND_LOCK_KEY`]); `seq` is drawn under that
//!   lock, so seq order is chain order. [`GroupAppender`] takes the lock once for all the
//!   records that queued up meanwhile, so the lock bounds commits, not lookups. Rolled-back appends leave gaps in `seq`, which is
//!   fine: the chain links rows by hash, not by number.
//!
//! Truncating the *end* of the chain cannot be seen from inside the table: keep the head
//! hash ([`ChainReport::head_hash`]) somewhere else (e.g. a daily report) to detect it.
//!
//! # Layout
//!
//! - `key`: [`AuditKey`], ID masking and HMAC.
//! - `record`: [`LookupRecord`], what a caller logs, and its validation.
//! - `chain`: the canonical serialisation and [`row_hash`].
//! - `store`: [`append`], [`append_many`], [`find_by_id`], [`AuditRow`].
//! - `group`: [`GroupAppender`], which writes concurrent callers' records as one group.
//! - `verify`: [`verify_chain`], [`ChainReport`].

mod chain;
mod group;
mod key;
mod record;
mod store;
mod verify;

pub use chain::{CanonicalRow, GENESIS_HASH, row_hash};
pub use group::GroupAppender;
pub use key::{AuditKey, mask_id};
pub use record::{CHANNEL_PIPELINE, CHANNEL_PORTAL_SYNC, LookupRecord};
pub use store::{APPEND_LOCK_KEY, AuditRow, MAX_BATCH, append, append_many, find_by_id};
pub use verify::{ChainReport, verify_chain};

/// Why an audit operation failed. Messages name columns and rules, never values.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The ID is not 9 or 12 ASCII digits (CMND or CCCD).
    #[error("the citizen ID must be 9 or 12 ASCII digits")]
    InvalidId,
    /// The channel is not one of [`CHANNEL_PIPELINE`], [`CHANNEL_PORTAL_SYNC`].
    #[error("the channel must be `pipeline` or `portal_sync`")]
    InvalidChannel,
    /// A field of the record breaks a rule (empty, not an identifier, out of range).
    #[error("invalid `{field}`: {rule}")]
    InvalidField {
        /// The record field at fault.
        field: &'static str,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The full ID appears in a column that would be stored in plain text.
    #[error("the full citizen ID appears in `{column}`; refusing to store it")]
    IdInPlaintext {
        /// The record field at fault.
        column: &'static str,
    },
    /// The database refused or could not be reached.
    #[error("audit database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The group this record was written with failed (the database's error, as text:
    /// every caller of the group gets a copy).
    #[error("audit database error: {message}")]
    Group {
        /// The database error.
        message: String,
        /// Whether it was transient.
        transient: bool,
    },
    /// The appender's writer task is gone (shutdown).
    #[error("the audit appender has stopped")]
    Stopped,
}

impl AuditError {
    /// Whether retrying later may succeed (the database is down or overloaded), as
    /// opposed to a bad record or a bug, which retrying cannot fix.
    pub fn is_transient(&self) -> bool {
        if let Self::Group { transient, .. } = self {
            return *transient;
        }
        matches!(
            self,
            Self::Database(
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
            )
        ) || matches!(self, Self::Stopped)
    }
}
