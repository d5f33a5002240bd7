//! `/admin/...`: counters, stored messages, accepted idempotency keys, operator alerts,
//! national-portal dossier order and fault injection.

use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::http::answer;
use crate::state::{Channel, Fault, FaultMode, ReceiptStatus, Sim};

/// Default and largest `limit` of `GET /admin/messages`.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;

/// The admin routes.
pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/admin/stats", get(stats))
        .route("/admin/messages", get(messages))
        .route("/admin/keys", get(keys))
        .route("/admin/alerts", get(alerts))
        .route("/admin/dossiers", get(dossiers))
        .route("/admin/faults", get(faults).post(set_fault))
}

#[derive(Deserialize)]
struct ChannelQuery {
    channel: Channel,
    limit: Option<usize>,
}

/// A fault change; absent fields keep their values, except that a change without
/// `for_seconds` is permanent.
#[derive(Deserialize)]
struct FaultRequest {
    channel: Channel,
    mode: Option<FaultMode>,
    for_seconds: Option<f64>,
    receipt_status: Option<ReceiptStatus>,
    latency_ms: Option<u64>,
}

async fn stats(State(sim): State<Sim>) -> Json<Value> {
    let st = sim.lock();
    let channels: Map<String, Value> = Channel::ALL
        .iter()
        .map(|&c| {
            let counters = serde_json::to_value(&st.get(c).counters).unwrap_or_default();
            (c.name().to_owned(), counters)
        })
        .collect();
    Json(json!({ "channels": channels }))
}

async fn messages(State(sim): State<Sim>, Query(q): Query<ChannelQuery>) -> Json<Value> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let st = sim.lock();
    let stored = &st.get(q.channel).messages;
    let skip = stored.len().saturating_sub(limit);
    Json(Value::Array(stored.iter().skip(skip).cloned().collect()))
}

async fn keys(State(sim): State<Sim>, Query(q): Query<ChannelQuery>) -> Json<Vec<String>> {
    Json(sim.lock().get(q.channel).keys.clone())
}

async fn alerts(State(sim): State<Sim>) -> Json<Vec<Value>> {
    Json(sim.lock().alerts.clone())
}

async fn dossiers(State(sim): State<Sim>) -> Json<Value> {
    Json(serde_json::to_value(&sim.lock().dossiers).unwrap_or_default())
}

fn describe(channel: Channel, fault: &mut Fault) -> Value {
    let mode = fault.current();
    let remaining = fault
        .until
        .map(|u| u.saturating_duration_since(Instant::now()).as_secs_f64());
    json!({
        "channel": channel,
        "mode": mode,
        "remaining_seconds": remaining,
        "receipt_status": fault.receipt_status,
        "latency_ms": u64::try_from(fault.latency.as_millis()).unwrap_or(u64::MAX),
    })
}

async fn faults(State(sim): State<Sim>) -> Json<Value> {
    let mut st = sim.lock();
    let all: Vec<Value> = Channel::ALL
        .iter()
        .map(|&c| describe(c, &mut st.ch(c).fault))
        .collect();
    Json(Value::Array(all))
}

async fn set_fault(State(sim): State<Sim>, Json(r): Json<FaultRequest>) -> Response {
    let until = match r.for_seconds {
        None => None,
        Some(s) if s.is_finite() && s > 0.0 => Some(Instant::now() + Duration::from_secs_f64(s)),
        Some(_) => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"error": "for_seconds must be a positive number"}),
            );
        }
    };
    let mut st = sim.lock();
    let fault = &mut st.ch(r.channel).fault;
    if let Some(mode) = r.mode {
        fault.mode = mode;
        fault.until = until;
    }
    if let Some(status) = r.receipt_status {
        fault.receipt_status = status;
    }
    if let Some(ms) = r.latency_ms {
        fault.latency = Duration::from_millis(ms);
    }
    let described = describe(r.channel, fault);
    drop(st);
    tracing::info!(channel = r.channel.name(), config = %described, "fault configuration changed");
    answer(StatusCode::OK, described)
}

#[cfg(test)]
#[path = "faults_tests.rs"]
mod tests;
