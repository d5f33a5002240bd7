//! HTTP side of the simulator (axum): routes, the SOAP handler and the admin API.
//!
//! Order of checks for a SOAP request: the fault gate (outage 503, rate limit
//! 429, latency, injected timeout/5xx/429, see `faults`), then authentication
//! headers (401), body shape (400 SOAP fault), procedure licence (500 SOAP
//! fault with vendor code `004`, as SOAP 1.1 sends faults), and finally the
//! lookup by ID (200, possibly empty). The JSON API (`json_api`) follows the
//! same order.

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

use super::faults::{Injected, Outcome};
use super::{SimConfig, SimState, SimStats, json_api};
use crate::wire::{request, response};

/// The simulator's routes over `state`.
pub fn router(state: SimState) -> Router {
    Router::new()
        .route("/", post(soap))
        .route("/TraCuuThongTinCongDan", post(soap))
        .route("/v1/tra-cuu-cong-dan", post(json_api::lookup))
        .route("/health", get(|| async { "ok" }))
        .route(
            "/admin/config",
            post(patch_config).put(replace_config).get(get_config),
        )
        .route("/admin/stats", get(stats).delete(reset_stats))
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

/// The answer to an injected failure; `body` renders status + message in the
/// protocol's error form.
pub(super) fn injected(inj: Injected, body: impl Fn(StatusCode, &str) -> Response) -> Response {
    let (status, message, retry_after) = match inj {
        Injected::Outage => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Hệ thống đang bảo trì",
            None,
        ),
        Injected::RateLimited(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            "Vượt quá số yêu cầu cho phép",
            Some(secs),
        ),
        Injected::TooManyRequests => (
            StatusCode::TOO_MANY_REQUESTS,
            "Vượt quá số yêu cầu cho phép",
            Some(1),
        ),
        Injected::Timeout => (StatusCode::GATEWAY_TIMEOUT, "Hết thời gian chờ", None),
        Injected::ServerError(500) => (StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống", None),
        Injected::ServerError(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Hệ thống đang bận, vui lòng thử lại sau",
            Some(1),
        ),
    };
    let mut resp = body(status, message);
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
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
    let config = match state.gate(false).await {
        Ok(config) => config,
        Err(inj) => {
            return injected(inj, |status, message| {
                fault(status, "Server", message, None)
            });
        }
    };
    if !authenticated(&headers) {
        state.answered(Outcome::Unauthorised);
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
            state.answered(Outcome::BadRequest);
            let message = format!("Invalid TraCuuThongTinCongDan request: {reason}");
            return fault(StatusCode::BAD_REQUEST, "Client", &message, None);
        }
    };
    if config.unauthorised_procedures.contains(&req.procedure_code) {
        state.answered(Outcome::Unauthorised);
        return fault(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Client",
            "Thủ tục chưa được cấp quyền khai thác CSDLQG về dân cư",
            Some("004"),
        );
    }
    let records = state.lookup(&req.request_id, &req.id);
    xml(StatusCode::OK, response::write_citizens(&records))
}

impl SimState {
    /// The records held for `id` (zero or one), counted and logged without personal data.
    pub(super) fn lookup(&self, request_id: &str, id: &str) -> Vec<crate::CitizenRecord> {
        let population = self.population();
        let records: Vec<_> = population
            .find(id)
            .map(|p| population.record(p))
            .into_iter()
            .collect();
        let found = !records.is_empty();
        self.answered(if found {
            Outcome::Ok
        } else {
            Outcome::NotFound
        });
        tracing::debug!(request_id, found, "Simulator answered a citizen lookup.");
        records
    }
}

fn refused(e: &super::ConfigError) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response()
}

/// Applies a partial config (JSON merge patch) to the current one.
async fn patch_config(
    State(state): State<SimState>,
    Json(patch): Json<serde_json::Value>,
) -> Response {
    match state.config().merged(&patch) {
        Ok(config) => {
            state.set_config(config.clone());
            Json(config).into_response()
        }
        Err(e) => refused(&e),
    }
}

/// Replaces the config; missing fields take their defaults.
async fn replace_config(State(state): State<SimState>, Json(config): Json<SimConfig>) -> Response {
    if let Err(e) = config.validate() {
        return refused(&e);
    }
    state.set_config(config.clone());
    Json(config).into_response()
}

async fn get_config(State(state): State<SimState>) -> Json<SimConfig> {
    Json(state.config())
}

async fn stats(State(state): State<SimState>) -> Json<SimStats> {
    Json(state.stats())
}

async fn reset_stats(State(state): State<SimState>) -> StatusCode {
    state.reset_stats();
    StatusCode::NO_CONTENT
}
