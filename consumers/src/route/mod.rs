//! Route stage: hands each enriched dossier to the agency responsible for it.
//!
//! Consumes `dossier.enriched.v1`. Chooses the agency from the receiving unit picked at
//! submission, else from the procedure's level: province-level procedures go to their
//! executing department, commune-level ones to the commune of the applicant's permanent
//! residence (legacy pre-2025 units mapped to current ones). On reception it assigns the
//! dossier code (one database counter per agency and day) and the due date (working
//! calendar), then emits `dossier.routed.v1`, the same record on the agency's own topic
//! `agency.<e-id>.dossiers.v1`, and a status change to 2 (received).
//! A dossier that cannot be routed goes to `dossier.triage.v1` with the reason.

pub mod codes;
mod handle;
mod shell;

pub use handle::{Target, choose, due_date, reception_day};
pub use shell::Route;
