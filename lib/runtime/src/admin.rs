//! The admin HTTP server every process runs: `/metrics` (OpenMetrics) and `/health`.
//!
//! `/health` is always open (liveness and readiness probes). `/metrics` requires a
//! scraper's bearer token when `DOSSIER__ADMIN__TOKENS` is configured (`name:sha256hex`,
//! a list separate from the portal clients'); without tokens it is open, which is only
//! allowed on a loopback address: a process asked to serve an open `/metrics` on any
//! other address refuses to start unless `DOSSIER__ADMIN__ALLOW_OPEN=true` says the
//! network already restricts who reaches it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use tokio_util::sync::CancellationToken;

use crate::config::TelemetryArgs;
use crate::telemetry::Metrics;
use crate::tokens::BearerDigests;

/// Readiness shared with the admin server: flips to ready once start-up is complete.
#[derive(Clone, Default)]
pub struct Health(Arc<AtomicBool>);

impl Health {
    /// Marks the process ready.
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }
    fn ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Where the admin server listens and who may read `/metrics`.
#[derive(Debug, Clone)]
pub struct AdminAccess {
    /// Listening address.
    pub addr: SocketAddr,
    /// Scrapers' token digests; `None`: `/metrics` is open.
    pub scrapers: Option<Arc<BearerDigests>>,
}

impl AdminAccess {
    /// Checks the settings: tokens parse, and an open `/metrics` is only served on a
    /// loopback address unless `allow_open` is set.
    pub fn new(addr: SocketAddr, tokens: &str, allow_open: bool) -> anyhow::Result<Self> {
        let digests = BearerDigests::parse(tokens)
            .map_err(|e| anyhow::anyhow!("DOSSIER__ADMIN__TOKENS: {e}"))?;
        if digests.is_empty() && !addr.ip().is_loopback() && !allow_open {
            anyhow::bail!(
                "refusing to serve an open /metrics on {addr}, which is not a loopback address: \
                 set DOSSIER__ADMIN__TOKENS (name:sha256hex of each scraper's bearer token), \
                 or DOSSIER__ADMIN__ALLOW_OPEN=true when the network restricts access"
            );
        }
        Ok(Self {
            addr,
            scrapers: (!digests.is_empty()).then(|| Arc::new(digests)),
        })
    }

    /// From the process's telemetry settings.
    pub fn from_args(args: &TelemetryArgs) -> anyhow::Result<Self> {
        Self::new(args.admin_addr, &args.admin_tokens, args.admin_allow_open)
    }
}

/// Binds the admin port and serves `/metrics` and `/health` until `shutdown`.
/// Returns the bound address (useful with port 0).
pub async fn serve_admin(
    access: AdminAccess,
    metrics: Arc<Metrics>,
    health: Health,
    shutdown: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let addr = access.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind admin address {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let protected = access.scrapers.is_some();
    let app = router(access, metrics, health);
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned());
        if let Err(e) = server.await {
            tracing::error!(error = %e, "admin server stopped");
        }
    });
    tracing::info!(%bound, metrics_token_required = protected, "admin server listening (/metrics, /health)");
    Ok(bound)
}

/// The admin routes: `/metrics` behind the scrapers' tokens when configured, `/health`.
pub fn router(access: AdminAccess, metrics: Arc<Metrics>, health: Health) -> Router {
    let mut metrics_route = get(metrics_handler);
    if let Some(scrapers) = access.scrapers {
        metrics_route = metrics_route.route_layer(axum::middleware::from_fn_with_state(
            scrapers,
            require_scraper,
        ));
    }
    Router::new()
        .route("/metrics", metrics_route)
        .with_state(metrics)
        .merge(
            Router::new()
                .route("/health", get(health_handler))
                .with_state(health),
        )
}

async fn require_scraper(
    State(scrapers): State<Arc<BearerDigests>>,
    request: Request,
    next: Next,
) -> Response {
    if scrapers.authenticate(request.headers()).is_none() {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            "send Authorization: Bearer <metrics token>\n",
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    next.run(request).await
}

async fn metrics_handler(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
}

async fn health_handler(State(h): State<Health>) -> impl IntoResponse {
    if h.ready() {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting\n")
    }
}

#[cfg(test)]
#[path = "admin_tests.rs"]
mod tests;
