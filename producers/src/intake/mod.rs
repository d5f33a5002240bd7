//! The intake HTTP API for the portal.
//!
//! `POST /v1/dossiers` → parse every field → one transaction (dossier row, idempotency
//! key, `dossier.submitted.v1` and a status-1 event in the outbox) → `202` with the id.
//! Nothing reaches Kafka unless that transaction committed; the outbox relay of any
//! dossierflow process publishes it. `GET /v1/dossiers/{id}` reports progress without
//! personal data. Both require a portal client's bearer token (`auth`).
//! `/openapi.json` is generated from the handlers' annotations.
//!
//! Agencies (bearer token issued by `dossierflow agency-token`) pull their routed
//! dossiers from `GET /v1/agencies/{id}/dossiers` and report progress with
//! `POST /v1/dossiers/{code}/status`; citizens follow a dossier with
//! `GET /v1/dossiers/by-code/{code}` and an ownership proof.

pub mod agency_auth;
mod api;
pub mod auth;
mod body;
mod by_code;
mod lookup;
mod pull;
mod status_store;
mod status_update;
mod store;
pub mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use dossierflow_csdlqg::PopulationRegistry;
use dossierflow_domain::{Catalog, WorkingCalendar};
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::config::KafkaArgs;
use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::telemetry::Metrics;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub use api::{AcceptedBody, ApiDoc, DossierView, ErrorBody, SubmissionBody};
pub use auth::{OfficerLimit, PortalAuth, PortalClient};
pub use by_code::{CitizenDossierView, HistoryEntry};
pub use lookup::{LookupAnswer, LookupBody};
pub use pull::{AgencyDossier, AgencyPage};
pub use status_update::{StatusUpdateBody, StatusUpdated};
pub use store::{last4, view};

/// Everything the handlers need.
#[derive(Clone)]
pub struct IntakeState {
    /// The database, through group commits: submissions accepted together share one
    /// ([`IntakeState::pool`] for everything else).
    pub commits: CommitGroups,
    /// Procedure and agency catalogue, for validation.
    pub catalog: Arc<Catalog>,
    /// Topic names.
    pub kafka: KafkaArgs,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Largest accepted body, in bytes.
    pub max_body_bytes: usize,
    /// Working calendar: due dates move when a supplement pause ends.
    pub calendar: Arc<WorkingCalendar>,
    /// CSDLQG behind the resilience layer and audit, for synchronous lookups.
    pub lookups: Option<Arc<dyn PopulationRegistry>>,
    /// Portal clients allowed to look citizens up.
    pub portal_auth: Arc<PortalAuth>,
    /// Per-officer lookup rate.
    pub officer_limit: Arc<OfficerLimit>,
    /// How long a synchronous lookup may take before answering "unavailable".
    pub lookup_deadline: Duration,
    /// Data keys, to open the sealed citizen data agencies pull.
    pub keys: Keyring,
}

impl IntakeState {
    /// The database pool (the one the commit groups use).
    pub fn pool(&self) -> &PgPool {
        self.commits.pool()
    }
}

/// The API routes. Submissions and progress reads require a portal client's bearer
/// token ([`auth::require_portal_client`]); the other endpoints carry their own
/// credentials (agency tokens, ownership proofs, receipt tokens) or none (`/health`,
/// `/openapi.json`).
pub fn router(state: IntakeState) -> Router {
    let portal = || {
        axum::middleware::from_fn_with_state(state.portal_auth.clone(), auth::require_portal_client)
    };
    Router::new()
        .route("/v1/dossiers", post(api::submit).route_layer(portal()))
        .route(
            "/v1/dossiers/{id}",
            get(api::get_dossier).route_layer(portal()),
        )
        .route("/v1/dossiers/by-code/{code}", get(by_code::by_code))
        .route(
            "/v1/dossiers/{code}/status",
            post(status_update::update_status),
        )
        .route("/v1/agencies/{id}/dossiers", get(pull::pull))
        .route("/v1/citizen-lookups", post(lookup::citizen_lookup))
        .route("/openapi.json", get(api::openapi))
        .route("/health", get(|| async { "ok\n" }))
        .with_state(state)
}

/// Binds `addr` and serves the API, plus the `extra` routes other components publish on
/// the same listener (delivery receipts), until `shutdown`. Returns the bound address and
/// the server task.
pub async fn serve(
    addr: SocketAddr,
    state: IntakeState,
    extra: Router,
    shutdown: CancellationToken,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind intake address {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let app = router(state).merge(extra);
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned());
        if let Err(e) = server.await {
            tracing::error!(error = %e, "intake server stopped");
        }
    });
    tracing::info!(%bound, "intake API listening (POST /v1/dossiers, GET /openapi.json)");
    Ok((bound, task))
}
