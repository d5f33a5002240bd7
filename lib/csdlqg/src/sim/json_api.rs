//! The province-gateway JSON API: `POST /v1/tra-cuu-cong-dan`.
//!
//! Same checks and order as the SOAP handler; errors are `{"maLoi", "moTa"}`:
//! `401` without an acceptable bearer token (HTTP 401), `400` for a malformed
//! body (HTTP 400, naming the field, never its value), `004` for an
//! unlicensed procedure (HTTP 403), and the injected faults with their HTTP
//! status as `maLoi`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::SimState;
use super::faults::Outcome;
use super::server::injected;
use crate::wire::json::{self, JsonRequest};

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json::write_error(code, message))).into_response()
}

/// `Authorization: Bearer <token>`: non-empty, and the configured one if any.
fn bearer_ok(headers: &HeaderMap, expected: Option<&str>) -> bool {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match (token, expected) {
        (Some(token), Some(expected)) => token == expected,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Handles one JSON lookup.
pub(super) async fn lookup(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = match state.gate(true).await {
        Ok(config) => config,
        Err(inj) => {
            return injected(inj, |status, message| {
                error(status, status.as_str(), message)
            });
        }
    };
    if !bearer_ok(&headers, config.bearer_token.as_deref()) {
        state.answered(Outcome::Unauthorised);
        let message = "Authorization: Bearer <token> is required";
        return error(StatusCode::UNAUTHORIZED, "401", message);
    }
    let req: JsonRequest = match serde_json::from_slice(&body) {
        Ok(req) => req,
        Err(_) => {
            state.answered(Outcome::BadRequest);
            return error(
                StatusCode::BAD_REQUEST,
                "400",
                "request body is not valid JSON",
            );
        }
    };
    let id = match json::validate(&req) {
        Ok(id) => id,
        Err(e) => {
            state.answered(Outcome::BadRequest);
            return error(StatusCode::BAD_REQUEST, "400", &e.to_string());
        }
    };
    if config.unauthorised_procedures.contains(&req.ma_dvc) {
        state.answered(Outcome::Unauthorised);
        let message = "Thủ tục chưa được cấp quyền khai thác CSDLQG về dân cư";
        return error(StatusCode::FORBIDDEN, "004", message);
    }
    let records = state.lookup(&req.ma_yeu_cau, id);
    Json(json::write_citizens(&records)).into_response()
}
