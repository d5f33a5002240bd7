//! Verify stage: checks the applicant of each submitted dossier against CSDLQG.
//!
//! Consumes `dossier.submitted.v1`. Emits `dossier.verified.v1` with the outcome and,
//! when the applicant is not found or does not match, a `dossier.status.v1` refusal
//! (status 3). The population record of a verified applicant is staged in the database
//! for the enrich stage, never put on a topic. Every lookup is audited (who, for which
//! procedure, which fields, which outcome; no values).
//!
//! Guarantees: a lookup that fails transiently is retried and the record is not
//! committed; a permanently failing lookup or an invalid applicant is dead-lettered.

mod handle;
mod shell;

pub use handle::{Applicant, Decision, decide, parse_applicant};
pub use shell::{Gate, Verify, VerifyConfig};
