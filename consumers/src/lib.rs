//! The pipeline stages. Each stage consumes one event type and, in one database
//! transaction, records its decision and the events it emits (outbox); only then does
//! the runtime store the consumed offset.
//!
//! # Layout
//! Every stage is a folder with the same files:
//! - `handle.rs`: the pure core, `decide(input, facts) -> Decision`, no I/O, table-tested;
//! - `shell.rs`: the [`Stage`](dossierflow_runtime::stage::Stage) implementation that
//!   loads the facts, calls the core and applies the decision in one transaction.
//!
//! | stage | consumes | emits |
//! |---|---|---|
//! | [`verify`] | `dossier.submitted.v1` | `dossier.verified.v1`, `dossier.status.v1` (refused) |
//! | [`enrich`] | `dossier.verified.v1` | `dossier.enriched.v1` |
//! | [`route`] | `dossier.enriched.v1` | `dossier.routed.v1`, `agency.<e-id>.dossiers.v1`, `dossier.status.v1` (received) or `dossier.triage.v1` |
//! | [`notify`] | `dossier.status.v1` | `notification.requested.v1` per channel |
//! | [`webhooks`] | `dossier.routed.v1` | signed HTTPS POSTs to agency webhooks (queued in `webhook_delivery`) |
//! | [`deadlines`] | the `dossier` table, every tick (no topic) | `dossier.overdue.v1`, `dossier.status.v1` (apology) |
//!
//! Stages never call each other; they share only the database schema and the contracts.

pub mod deadlines;
pub mod enrich;
pub mod facts;
pub mod notify;
pub mod personal_data;
pub mod route;
pub mod verify;
pub mod webhooks;

pub use facts::{Facts, load_catalog};
