//! Notify stage: turns every status change into one notification per channel.
//!
//! Consumes `dossier.status.v1`. For each status change it records one notification per
//! channel the dossier's contact data allows — the national public-service portal's
//! progress sync always, SMS when a mobile number is known, e-mail when an address is
//! known — and emits `notification.requested.v1` for each, for the channel senders.
//!
//! Guarantee: exactly one notification record per (dossier, status change, channel),
//! enforced by a unique key; the notification id is derived from the status event id
//! and the channel, so providers receive the same idempotency key on every retry.
//!
//! Groundwork for #6, not wired in yet: [`templates`] renders the versioned Vietnamese
//! message templates per status and channel, and [`sms`] counts SMS encodings and segments.

mod handle;
mod shell;
pub mod sms;
pub mod templates;

pub use handle::{Contact, Planned, notification_id, plan};
pub use shell::Notify;
