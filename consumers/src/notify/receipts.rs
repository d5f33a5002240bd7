//! The delivery-receipt callback: `POST /v1/notification-receipts/{channel}`.
//!
//! SMS and Zalo providers accept a message first and report its fate later. A receipt
//! names the notification by the idempotency key it was sent with (`reference`) and says
//! `delivered`, `permanent-failure` or `temporary-failure`. Receipts are idempotent: a
//! second receipt for a finished notification changes nothing and is answered `200`.
//!
//! Every rejection says why (`400` malformed, `401` bad token, `404` unknown channel or
//! reference, `413` too large, `415` not JSON) and is logged with the reason only: never
//! the body, which may carry a phone number or other personal data.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use dossierflow_runtime::telemetry::{ChannelOutcome, Metrics};
use dossierflow_runtime::tokens::BearerDigests;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::channel::NotifyChannel;
use super::policy::Terminal;
use super::queue::ReceiptEffect;
use super::receipt_group::{NotRecorded, Receipt, ReceiptGroup};

/// Largest receipt accepted, in bytes.
pub const MAX_RECEIPT_BYTES: usize = 16 * 1024;

/// What the receipt handler needs.
#[derive(Clone)]
pub struct Receipts {
    /// Database pool.
    pub pool: PgPool,
    /// Receipt senders' tokens, one client per channel (`sms:<digest>,zalo:<digest>`).
    pub auth: Arc<BearerDigests>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
}

/// The receipt routes, to merge into the public API. Starts the task that applies
/// concurrent receipts in groups, so it must be called inside the Tokio runtime.
pub fn router(state: Receipts) -> Router {
    let group = ReceiptGroup::start(state.pool.clone());
    Router::new()
        .route("/v1/notification-receipts/{channel}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_RECEIPT_BYTES))
        .with_state(Handler { state, group })
}

/// The handler's state: the caller's, and the group writer.
#[derive(Clone)]
struct Handler {
    state: Receipts,
    group: ReceiptGroup,
}

/// A receipt as providers send it. Unknown fields are ignored (providers add their own).
#[derive(Debug, Deserialize)]
struct ReceiptBody {
    reference: String,
    status: String,
    #[serde(default)]
    message_id: Option<String>,
}

fn answer(status: StatusCode, error: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": error, "message": message });
    (status, Json(body)).into_response()
}

/// Explains a JSON error without quoting the body: serde's "invalid type" and "invalid
/// value" messages echo the offending value, which may be personal data.
fn explain(e: &serde_json::Error) -> String {
    let at = format!("line {} column {}", e.line(), e.column());
    let text = e.to_string();
    match e.classify() {
        serde_json::error::Category::Data
            if text.starts_with("missing field") || text.starts_with("unknown field") =>
        {
            text
        }
        serde_json::error::Category::Data => format!("a field has the wrong type ({at})"),
        serde_json::error::Category::Eof => "the body ends too early".to_owned(),
        _ => format!("the body is not valid JSON ({at})"),
    }
}

/// Parses and checks a receipt body. Public only for the fuzz targets in `fuzz/`.
#[doc(hidden)]
pub fn parse(body: &[u8]) -> Result<(Uuid, Terminal, Option<String>), String> {
    let r: ReceiptBody = serde_json::from_slice(body).map_err(|e| explain(&e))?;
    let id = Uuid::parse_str(r.reference.trim())
        .map_err(|_| "reference must be the notification id (a UUID)".to_owned())?;
    let state = Terminal::from_receipt(&r.status).ok_or_else(|| {
        "status must be delivered, permanent-failure or temporary-failure".to_owned()
    })?;
    if r.message_id.as_ref().is_some_and(|m| m.len() > 200) {
        return Err("message_id is longer than 200 characters".into());
    }
    Ok((id, state, r.message_id))
}

async fn receive(
    State(Handler { state: s, group }): State<Handler>,
    Path(channel): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(ch) = NotifyChannel::parse(&channel).filter(|c| c.has_receipts()) else {
        return answer(
            StatusCode::NOT_FOUND,
            "unknown_channel",
            "receipts are accepted for sms and zalo",
        );
    };
    let count = |outcome| {
        s.metrics
            .notify
            .receipts
            .get_or_create(&ChannelOutcome {
                channel: ch.as_str(),
                outcome,
            })
            .inc();
    };
    if s.auth.authenticate(&headers).as_deref() != Some(ch.as_str()) {
        count("unauthorized");
        tracing::warn!(channel = %ch, "rejected a delivery receipt: missing or wrong token");
        return answer(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token of this channel's provider is required",
        );
    }
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json {
        count("rejected");
        return answer(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "receipts must be sent as application/json",
        );
    }
    // Read here rather than by an extractor, so that the token and the content type
    // are checked first and an oversized body gets a JSON answer like every rejection.
    let Ok(body) = to_bytes(body, MAX_RECEIPT_BYTES).await else {
        count("rejected");
        return answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            &format!("receipts are at most {MAX_RECEIPT_BYTES} bytes"),
        );
    };
    let (id, state, provider_ref) = match parse(&body) {
        Ok(p) => p,
        Err(reason) => {
            count("rejected");
            tracing::warn!(channel = %ch, reason = %reason, "rejected a malformed delivery receipt");
            return answer(StatusCode::BAD_REQUEST, "malformed_receipt", &reason);
        }
    };
    let receipt = Receipt {
        channel: ch.as_str().to_owned(),
        id,
        state,
        provider_ref,
    };
    match group.apply(receipt).await {
        Ok(ReceiptEffect::Recorded) => {
            count("recorded");
            s.metrics
                .notify
                .sends
                .get_or_create(&ChannelOutcome {
                    channel: ch.as_str(),
                    outcome: state.label(),
                })
                .inc();
            let body = serde_json::json!({ "state": state.as_str(), "changed": true });
            (StatusCode::OK, Json(body)).into_response()
        }
        Ok(ReceiptEffect::Unchanged(current)) => {
            count("unchanged");
            let body = serde_json::json!({ "state": current, "changed": false });
            (StatusCode::OK, Json(body)).into_response()
        }
        Ok(ReceiptEffect::Unknown) => {
            count("unknown");
            answer(
                StatusCode::NOT_FOUND,
                "unknown_reference",
                "no notification with this reference on this channel",
            )
        }
        Err(NotRecorded) => {
            // The writer task logged the database error once for its group.
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the receipt could not be recorded; send it again",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_receipts_are_explained_without_echoing_values() {
        let id = Uuid::now_v7();
        let ok = format!(r#"{{"reference":"{id}","status":"delivered","extra":1}}"#);
        assert_eq!(
            parse(ok.as_bytes()).map(|p| (p.0, p.1)),
            Ok((id, Terminal::Delivered))
        );
        let cases: [(&str, &str); 6] = [
            ("{", "ends too early"),
            ("not json 0912345678", "not valid JSON"),
            (r#"{"status":"delivered"}"#, "missing field `reference`"),
            (r#"{"reference":0912345678,"status":"x"}"#, "not valid JSON"),
            (
                r#"{"reference":["0912345678"],"status":"delivered"}"#,
                "wrong type",
            ),
            (
                r#"{"reference":"0912345678","status":"delivered"}"#,
                "a UUID",
            ),
        ];
        for (body, want) in cases {
            let err = parse(body.as_bytes()).expect_err(body);
            assert!(err.contains(want), "{body}: {err}");
            assert!(
                !err.contains("0912345678"),
                "{body}: the reason echoes the body: {err}"
            );
        }
        let bad_status = format!(r#"{{"reference":"{id}","status":"technical-failure"}}"#);
        assert!(parse(bad_status.as_bytes()).is_err());
    }
}
