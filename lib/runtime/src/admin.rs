//! The admin HTTP server every process runs: `/metrics` (OpenMetrics) and `/health`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use tokio_util::sync::CancellationToken;

use crate::telemetry::Metrics;

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

/// Binds the admin port and serves `/metrics` and `/health` until `shutdown`.
/// Returns the bound address (useful with port 0).
pub async fn serve_admin(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    health: Health,
    shutdown: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind admin address {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .with_state(metrics)
        .merge(
            Router::new()
                .route("/health", get(health_handler))
                .with_state(health),
        );
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned());
        if let Err(e) = server.await {
            tracing::error!(error = %e, "admin server stopped");
        }
    });
    tracing::info!(%bound, "admin server listening (/metrics, /health)");
    Ok(bound)
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
