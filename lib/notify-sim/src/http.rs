//! The HTTP listener: routes, the shared fault gate, the SMS gateway, the Zalo
//! ZNS-style API and the operator-alert receiver.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::state::{Admission, Channel, FaultMode, Sim};
use crate::{admin, portal, receipts};

/// Builds the router of every HTTP endpoint.
pub(crate) fn router(sim: Sim) -> Router {
    Router::new()
        .route("/sms/send", post(sms))
        .route("/zalo/message/template", post(zalo))
        .route("/dvcqg/DongBoHoSoMC", post(portal::dong_bo))
        .route("/dvcqg/CapNhatTienDoHoSoMC", post(portal::cap_nhat))
        .route("/portal/webhook", post(portal::webhook))
        .route("/alerts", post(alert))
        .route("/health", get(|| async { "ok" }))
        .merge(admin::routes())
        .with_state(sim)
}

/// A JSON answer.
pub(crate) fn answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A header's value as text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `Authorization: Bearer <expected>` is present (always true without a key).
pub(crate) fn bearer_ok(headers: &HeaderMap, expected: Option<&str>) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    header(headers, "authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == expected)
}

/// Counts the request, adds the channel's latency and applies its fault mode: returns
/// the faulted answer (counted `failed`), or `None` when the request proceeds.
pub(crate) async fn gate(
    sim: &Sim,
    channel: Channel,
    refusal: impl FnOnce() -> Response,
) -> Option<Response> {
    let (mode, latency) = sim.begin(channel);
    sim.pause(latency).await;
    let answer = match mode {
        FaultMode::Ok => return None,
        FaultMode::Fail => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "service_unavailable"}),
        ),
        FaultMode::Reject => refusal(),
        FaultMode::Timeout => {
            sim.pause(sim.config.timeout_hold).await;
            answer(StatusCode::GATEWAY_TIMEOUT, json!({"error": "timeout"}))
        }
    };
    sim.count(channel, |c| c.failed += 1);
    tracing::debug!(channel = channel.name(), ?mode, "fault-injected answer");
    Some(answer)
}

/// A fresh provider message id.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn parse_object(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// `+84` followed by nine digits.
fn valid_sms_number(s: &str) -> bool {
    s.strip_prefix("+84")
        .is_some_and(|d| d.len() == 9 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// `84` followed by nine digits.
fn valid_zalo_phone(s: &str) -> bool {
    s.strip_prefix("84")
        .is_some_and(|d| d.len() == 9 && d.bytes().all(|b| b.is_ascii_digit()))
}

fn validate_sms(body: &[u8]) -> Result<Value, &'static str> {
    let m = parse_object(body).ok_or("invalid_json")?;
    let to = m.get("to").and_then(Value::as_str).ok_or("missing_to")?;
    let text = m
        .get("text")
        .and_then(Value::as_str)
        .ok_or("missing_text")?;
    let encoding = m.get("encoding").and_then(Value::as_str);
    let encoding = encoding.ok_or("missing_encoding")?;
    let segments = m.get("segments").and_then(Value::as_u64);
    let segments = segments.ok_or("missing_segments")?;
    if !valid_sms_number(to) {
        return Err("invalid_number");
    }
    if encoding != "gsm7" && encoding != "ucs2" {
        return Err("invalid_encoding");
    }
    if segments == 0 {
        return Err("invalid_segments");
    }
    Ok(json!({
        "to": to, "text": text, "encoding": encoding, "segments": segments,
        "reference": m.get("reference").cloned().unwrap_or(Value::Null),
    }))
}

async fn sms(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let ch = Channel::Sms;
    let refusal = || answer(StatusCode::BAD_REQUEST, json!({"error": "invalid_number"}));
    if let Some(r) = gate(&sim, ch, refusal).await {
        return r;
    }
    if !bearer_ok(&headers, sim.config.sms_key.as_deref()) {
        sim.count(ch, |c| c.rejected += 1);
        return answer(StatusCode::UNAUTHORIZED, json!({"error": "unauthorized"}));
    }
    let Some(key) = header(&headers, "idempotency-key") else {
        sim.count(ch, |c| c.rejected += 1);
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "missing_idempotency_key"}),
        );
    };
    match sim.admit(ch, key, || new_id("sms"), |_| validate_sms(&body)) {
        Admission::Accepted(id) => {
            tracing::debug!(channel = "sms", key, "accepted");
            receipts::schedule(&sim, ch, key, &id);
            answer(
                StatusCode::ACCEPTED,
                json!({"message_id": id, "status": "accepted"}),
            )
        }
        Admission::Duplicate(id) => answer(
            StatusCode::OK,
            json!({"message_id": id, "status": "accepted"}),
        ),
        Admission::Invalid(e) => answer(StatusCode::BAD_REQUEST, json!({"error": e})),
    }
}

fn zns_error(code: i64, message: &str) -> Response {
    answer(StatusCode::OK, json!({"error": code, "message": message}))
}

fn validate_zalo(body: &[u8]) -> Result<Value, (i64, &'static str)> {
    let invalid = (-100, "Invalid parameter");
    let m = parse_object(body).ok_or(invalid)?;
    let phone = m.get("phone").and_then(Value::as_str).ok_or(invalid)?;
    let template_id = m.get("template_id").and_then(Value::as_str);
    let template_id = template_id.ok_or(invalid)?;
    let data = m.get("template_data").filter(|d| d.is_object());
    let data = data.ok_or(invalid)?;
    if !valid_zalo_phone(phone) {
        return Err((-108, "Phone number is invalid"));
    }
    Ok(json!({
        "phone": phone, "template_id": template_id, "template_data": data,
        "tracking_id": m.get("tracking_id").cloned().unwrap_or(Value::Null),
    }))
}

async fn zalo(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let ch = Channel::Zalo;
    let refusal = || zns_error(-108, "Phone number is invalid");
    if let Some(r) = gate(&sim, ch, refusal).await {
        return r;
    }
    if let Some(token) = sim.config.zalo_token.as_deref()
        && header(&headers, "access_token") != Some(token)
    {
        sim.count(ch, |c| c.rejected += 1);
        return zns_error(-124, "access token invalid");
    }
    let Some(key) = header(&headers, "idempotency-key") else {
        sim.count(ch, |c| c.rejected += 1);
        return zns_error(-100, "Idempotency-Key header is required");
    };
    let success = |id: String| {
        answer(
            StatusCode::OK,
            json!({"error": 0, "message": "Success", "data": {"msg_id": id}}),
        )
    };
    match sim.admit(ch, key, || new_id("zns"), |_| validate_zalo(&body)) {
        Admission::Accepted(id) => {
            tracing::debug!(channel = "zalo", key, "accepted");
            receipts::schedule(&sim, ch, key, &id);
            success(id)
        }
        Admission::Duplicate(id) => success(id),
        Admission::Invalid((code, message)) => zns_error(code, message),
    }
}

async fn alert(State(sim): State<Sim>, body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) if v.is_object() => {
            tracing::info!(
                alert = v["alert"].as_str().unwrap_or(""),
                channel = v["channel"].as_str().unwrap_or(""),
                state = v["state"].as_str().unwrap_or(""),
                "operator alert received"
            );
            sim.lock().alerts.push(v);
            answer(StatusCode::OK, json!({"status": "received"}))
        }
        _ => answer(StatusCode::BAD_REQUEST, json!({"error": "invalid_json"})),
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
