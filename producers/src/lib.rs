//! Producers: how dossiers enter the pipeline.
//!
//! # Layout
//! - [`intake`]: the portal-facing HTTP API. `POST /v1/dossiers` parses every field into
//!   domain types (listing every bad field at once), then writes the dossier and its
//!   `dossier.submitted.v1` event in one transaction (outbox) and answers `202` with
//!   the dossier id. `Idempotency-Key` makes a retried submission return the first
//!   result. The API describes itself at `/openapi.json`.
//! - [`generate`]: realistic synthetic submissions drawn from the CSDLQG simulator's
//!   population, with a chosen share of unknown applicants and wrong dates of birth.
//! - [`submit`]: sends submissions to an intake API with bounded concurrency and progress.

pub mod generate;
pub mod intake;
pub mod submit;
