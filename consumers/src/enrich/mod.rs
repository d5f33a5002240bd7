//! Enrich stage: keeps only the citizen data the dossier's procedure needs.
//!
//! Consumes `dossier.verified.v1`. For a verified applicant it reads the staged
//! population record, extracts the fields the procedure declares in the catalogue
//! (codes mapped to names, legacy administrative units mapped to current ones), stores
//! them with the dossier, **deletes the staged record**, and emits `dossier.enriched.v1`
//! carrying field names and the current residence commune, never values.
//! Refused dossiers (not found, mismatch) are final and are only marked processed.
//!
//! The kept fields are sealed at rest (AES-256-GCM, dossier id as associated data, key
//! id stored for rotation); only their names are stored in clear. Ethnicity and religion
//! are sensitive data (Law 91/2025): kept only when the procedure declares them, with
//! their codes mapped to names, and sealed like the rest.

mod handle;
mod shell;

pub use handle::{Enrichment, decide, field_name};
pub use shell::Enrich;
pub use shell::MARK_ENRICHED;
