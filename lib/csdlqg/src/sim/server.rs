//! HTTP side of the simulator (axum).
//!
//! Order of checks for a SOAP request: count it, wait the injected latency,
//! maybe answer 503, then authentication headers (401), body shape (400 SOAP
//! fault), procedure licence (500 SOAP fault with vendor code `004`, as SOAP
//! 1.1 sends faults), and finally the lookup by ID (200, possibly empty).

use std::future::Future;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{SimConfig, SimState};
use crate::wire::{request, response};

/// The simulator's routes over `state`.
pub fn router(state: SimState) -> Router {
    Router::new()
        .route("/", post(soap))
        .route("/TraCuuThongTinCongDan", post(soap))
        .route("/health", get(|| async { "ok" }))
        .route("/admin/config", post(set_config).get(get_config))
        .route("/admin/stats", get(stats))
        .with_state(state)
}

/// Serves [`router`] on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: SimState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

fn xml(status: StatusCode, body: String) -> Response {
    let content_type = HeaderValue::from_static("application/xml; charset=utf-8");
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn fault(status: StatusCode, code: &str, message: &str, vendor: Option<&str>) -> Response {
    xml(status, response::write_fault(code, message, vendor))
}

/// `Authorization: Basic base64(user:64 hex)` and a non-empty `ApiKey`.
fn authenticated(headers: &HeaderMap) -> bool {
    let api_key = headers
        .get("ApiKey")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().is_empty());
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|pair| {
            pair.split_once(':').is_some_and(|(user, hash)| {
                !user.is_empty() && hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
            })
        });
    api_key && basic
}

async fn soap(State(state): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    state.count_request();
    let config = state.config();
    let (delay, fail) = state.draw_faults(&config);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if fail {
        let mut resp = fault(
            StatusCode::SERVICE_UNAVAILABLE,
            "Server",
            "Hệ thống đang bận, vui lòng thử lại sau",
            None,
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return resp;
    }
    if !authenticated(&headers) {
        return fault(
            StatusCode::UNAUTHORIZED,
            "Client",
            "Authorization and ApiKey headers are required",
            None,
        );
    }
    let parsed = std::str::from_utf8(&body)
        .map_err(|_| "body is not UTF-8".to_owned())
        .and_then(|text| request::parse(text).map_err(|e| e.to_string()));
    let req = match parsed {
        Ok(req) => req,
        Err(reason) => {
            let message = format!("Invalid TraCuuThongTinCongDan request: {reason}");
            return fault(StatusCode::BAD_REQUEST, "Client", &message, None);
        }
    };
    if config.unauthorised_procedures.contains(&req.procedure_code) {
        return fault(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Client",
            "Thủ tục chưa được cấp quyền khai thác CSDLQG về dân cư",
            Some("004"),
        );
    }
    let population = state.population();
    let records: Vec<_> = population
        .find(&req.id)
        .map(|p| population.record(p))
        .into_iter()
        .collect();
    tracing::debug!(
        request_id = %req.request_id,
        found = !records.is_empty(),
        "Simulator answered a citizen lookup."
    );
    xml(StatusCode::OK, response::write_citizens(&records))
}

async fn set_config(State(state): State<SimState>, Json(config): Json<SimConfig>) -> Response {
    if !(0.0..=1.0).contains(&config.failure_rate) {
        let msg = "failure_rate must be between 0 and 1";
        return (StatusCode::UNPROCESSABLE_ENTITY, msg).into_response();
    }
    state.set_config(config.clone());
    Json(config).into_response()
}

async fn get_config(State(state): State<SimState>) -> Json<SimConfig> {
    Json(state.config())
}

async fn stats(State(state): State<SimState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "requests": state.requests() }))
}
