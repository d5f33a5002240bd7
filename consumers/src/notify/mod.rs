//! Notify stage and channel workers: every status change becomes one notification per
//! channel, each sent exactly once in effect.
//!
//! **Planning** ([`Notify`], consuming `dossier.status.v1`): one `notification` row per
//! channel that is configured and that the dossier's contact data and the citizen's
//! preferences allow — the national portal's progress sync and the one-stop portal's
//! webhook always, SMS / e-mail / Zalo for the citizen when a template exists for the
//! change ([`templates::template_for`]). The row keeps the change's facts
//! ([`record::Facts`]), and `notification.requested.v1` is emitted for each, in the same
//! transaction as the inbox claim.
//!
//! **Sending** ([`worker::supervise`]): one worker per channel drains only that channel's
//! queue (its own retry queue), with a lease instead of row locks, a rate limit and a daily
//! cap, through the channel's [`channel::Sender`] ([`senders`]). Retries follow
//! [`policy::RetryPolicy`] (default: 48 attempts 5 minutes apart); terminal states are
//! `delivered`, `permanent-failure`, `technical-failure` and `temporary-failure`.
//! Receipts ([`receipt_group`]) finish notifications the provider accepted. A later
//! status waits for an earlier unsent one of its dossier on the same channel, and is not
//! due while it waits ([`order`]), so a provider outage does not slow the claims.
//!
//! **Exactly-once effect**: the unique key (dossier, status event, channel) makes planning
//! idempotent; the notification id is UUIDv5(status event id, channel) and is sent to the
//! provider as the idempotency key on every attempt, so a retry after a lost answer is
//! recognised by the provider rather than delivered twice.

pub mod alert;
pub mod channel;
pub mod groups;
mod handle;
pub mod order;
pub mod policy;
pub mod queue;
pub mod receipt_group;
pub mod receipts;
pub mod record;
pub mod senders;
mod shell;
pub mod sms;
pub mod templates;
pub mod worker;

pub use handle::{Contact, Planned, notification_id, plan};
pub use shell::Notify;
