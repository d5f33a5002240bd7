//! `dossierflow webhook-sim`: an agency's webhook receiver, for tests and the demo.
//!
//! `POST /hook` checks the `X-Dossierflow-Signature` (HMAC and a 5-minute timestamp
//! window) and records the `Idempotency-Key`: a second delivery with the same key is
//! counted as a duplicate and answered 200. `POST /admin/config {"fail": true}` makes it
//! answer 503 until `{"fail": false}`; `GET /admin/stats` returns
//! `{received, duplicates, bad_signature, failed, dossiers, agencies}`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Args;
use dossierflow_consumers::webhooks::verify;
use dossierflow_runtime::config::LogFormat;
use dossierflow_runtime::{shutdown, telemetry};
use serde::{Deserialize, Serialize};

/// Largest accepted distance between the signature timestamp and now.
const TOLERANCE_S: i64 = 300;

/// Options of `webhook-sim`.
#[derive(Debug, Clone, Args)]
pub struct WebhookSimArgs {
    /// Listen address.
    #[arg(
        long,
        env = "DOSSIER__WEBHOOK_SIM__ADDR",
        default_value = "127.0.0.1:8090"
    )]
    addr: SocketAddr,
    /// The shared HMAC secret.
    #[arg(long, env = "DOSSIER__WEBHOOK_SIM__SECRET")]
    secret: String,
    /// Start in failure mode (answer 503).
    #[arg(long)]
    fail: bool,
}

#[derive(Debug, Default, Serialize)]
struct Stats {
    received: u64,
    duplicates: u64,
    bad_signature: u64,
    failed: u64,
    /// Dossier ids of first receipts, in order.
    dossiers: Vec<String>,
    /// The `agency_id` of each first receipt, in the same order.
    agencies: Vec<String>,
}

#[derive(Default)]
struct Inner {
    fail: bool,
    keys: HashSet<String>,
    stats: Stats,
}

#[derive(Clone)]
struct Sim {
    secret: Arc<Vec<u8>>,
    inner: Arc<Mutex<Inner>>,
}

#[derive(Deserialize)]
struct Config {
    fail: bool,
}

/// Serves the receiver until SIGTERM or SIGINT.
pub async fn run(a: WebhookSimArgs) -> anyhow::Result<()> {
    telemetry::init_logging(LogFormat::Pretty);
    let token = shutdown::on_signals();
    let sim = Sim {
        secret: Arc::new(a.secret.into_bytes()),
        inner: Arc::new(Mutex::new(Inner {
            fail: a.fail,
            ..Inner::default()
        })),
    };
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/admin/config", post(config))
        .route("/admin/stats", get(stats))
        .route("/health", get(|| async { "ok" }))
        .with_state(sim);
    let listener = tokio::net::TcpListener::bind(a.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "webhook receiver simulator listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(token.cancelled_owned())
        .await?;
    Ok(())
}

fn lock(sim: &Sim) -> std::sync::MutexGuard<'_, Inner> {
    // A panic while holding the lock cannot leave the counters inconsistent.
    sim.inner.lock().unwrap_or_else(|p| p.into_inner())
}

async fn hook(State(sim): State<Sim>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    let signed = header("x-dossierflow-signature")
        .is_some_and(|h| verify(h, &sim.secret, &body, now, TOLERANCE_S).is_ok());
    let mut inner = lock(&sim);
    if !signed {
        inner.stats.bad_signature += 1;
        return StatusCode::UNAUTHORIZED;
    }
    if inner.fail {
        inner.stats.failed += 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let Some(key) = header("idempotency-key") else {
        return StatusCode::BAD_REQUEST;
    };
    if !inner.keys.insert(key.to_owned()) {
        inner.stats.duplicates += 1;
        return StatusCode::OK;
    }
    inner.stats.received += 1;
    let body = serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default();
    let field = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    inner.stats.dossiers.push(field("dossier_id"));
    inner.stats.agencies.push(field("agency_id"));
    StatusCode::OK
}

async fn config(State(sim): State<Sim>, Json(c): Json<Config>) -> StatusCode {
    lock(&sim).fail = c.fail;
    StatusCode::NO_CONTENT
}

async fn stats(State(sim): State<Sim>) -> Json<serde_json::Value> {
    let inner = lock(&sim);
    Json(serde_json::to_value(&inner.stats).unwrap_or_default())
}
