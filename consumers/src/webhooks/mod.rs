//! Webhooks stage: pushes routed dossiers to agencies over HTTPS, without Kafka on the
//! agency side.
//!
//! Consumes `dossier.routed.v1`. When the dossier's agency has a webhook configured
//! (`agency_endpoint.webhook_url`), the [`Webhooks`] stage queues one
//! `webhook_delivery` row in the same transaction as its inbox claim; the row's payload
//! is the information-poor `RoutedV1` JSON (ids, code, due date — no personal data).
//!
//! [`supervise`] then runs **one worker per agency**, each polling only its own pending
//! rows (`FOR UPDATE SKIP LOCKED`) and POSTing them signed (`X-Dossierflow-Signature:
//! t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`) with the row id as
//! `Idempotency-Key`. A failure backs off exponentially with jitter per row; after the
//! attempt or age budget the row is marked `dead`. Because workers and rows are per
//! agency, a dead endpoint only delays its own deliveries.
//!
//! Webhook secrets are stored sealed with the data keyring ([`seal_secret`]).
//!
//! Guarantees: exactly one queued delivery per routed event; at-least-once delivery to
//! the endpoint with a stable idempotency key, so receivers can de-duplicate.

mod deliver;
mod handle;
mod secret;
mod shell;
mod sign;

pub use deliver::{DeliveryConfig, supervise};
pub use handle::{Attempt, Backoff, Step, delivery_id, next_step};
pub use secret::{open_secret, seal_secret};
pub use shell::Webhooks;
pub use sign::{SignatureError, sign, signature_header, verify};

/// Value of the `X-Dossierflow-Event` header.
pub const EVENT_HEADER_VALUE: &str = "dossier.routed.v1";
