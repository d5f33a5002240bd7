//! Verify stage: checks the applicant of each submitted dossier against CSDLQG.
//!
//! Consumes `dossier.submitted.v1`. Emits `dossier.verified.v1` with the outcome and,
//! when the applicant is not found or does not match, a `dossier.status.v1` refusal
//! (status 3) naming the mismatched fields. The population record of a verified
//! applicant is staged in the database for the enrich stage, never put on a topic.
//!
//! Lookups go through the resilience layer (retries with a budget, rate limit, bounded
//! concurrency, circuit breaker, short cache), and every attempt is audited by the
//! layer's observer. Guarantees: many lookups run concurrently while each partition's
//! stored offset never passes its lowest unfinished record; while the circuit is open the
//! stage pauses consumption and the dossiers in flight wait, marked with a
//! `waiting_reason`; a lookup that still fails after its retries is deferred to the
//! stage's retry topics, then dead-lettered; an invalid applicant or a permanent CSDLQG
//! refusal (e.g. procedure not licensed) is dead-lettered at once.

mod handle;
mod shell;

pub use handle::{Applicant, Decision, decide, parse_applicant};
pub use shell::RECORD_DECISION;
pub use shell::{Gate, Verify, VerifyConfig, records_in_hand};
