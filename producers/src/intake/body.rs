//! Reading a JSON request body the same way on every endpoint that takes one.
//!
//! The checks, in order, and their answers (the ones `POST /v1/dossiers` gives too):
//! a `Content-Type` other than `application/json` is `415 unsupported_media_type`; a body
//! longer than the configured limit (`DOSSIER__INTAKE__MAX_BODY_BYTES`) is
//! `413 body_too_large`; bytes that are not JSON are `400 malformed_json`, with the line
//! and column only (never the body, which may carry personal data).

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::api::error;
use super::validate::{FieldError, vi_message};

/// Whether the request says its body is JSON (`application/json`, any parameters).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads the body as JSON, or answers with the error response.
pub async fn read_json(headers: &HeaderMap, body: Body, limit: usize) -> Result<Value, Response> {
    read_json_bytes(headers, body, limit).await.map(|(_, v)| v)
}

/// Like [`read_json`], also returning the bytes as received (the submission's
/// idempotency check hashes them).
pub async fn read_json_bytes(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<(axum::body::Bytes, Value), Response> {
    if !is_json(headers) {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send Content-Type: application/json",
            vec![],
        ));
    }
    let Ok(bytes) = to_bytes(body, limit).await else {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body exceeds {limit} bytes"),
            vec![],
        ));
    };
    let value = serde_json::from_slice(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!(
                "the body is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
            vec![],
        )
    })?;
    Ok((bytes, value))
}

/// One `unknown_field` error for every key of `obj` not in `known`, so that a typo in a
/// field name is reported rather than silently ignored.
pub fn unknown_fields(obj: &Map<String, Value>, known: &[&str]) -> Vec<FieldError> {
    obj.keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| FieldError {
            field: k.clone(),
            code: "unknown_field",
            message: "unknown field (typo?)".into(),
            message_vi: vi_message("unknown_field"),
        })
        .collect()
}

/// `Err` with one `unknown_field` error for every key of a JSON object that is not in
/// `known` (names separated by spaces); `Ok` for any other value.
pub fn known_fields_only(value: &Value, known: &str) -> Result<(), Vec<FieldError>> {
    let known: Vec<&str> = known.split(' ').collect();
    let unknown = value.as_object().map(|o| unknown_fields(o, &known));
    match unknown {
        Some(errors) if !errors.is_empty() => Err(errors),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(ctype: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(c) = ctype {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(c).expect("ascii"),
            );
        }
        h
    }

    async fn status(ctype: Option<&str>, body: &'static str, limit: usize) -> Option<u16> {
        let r = read_json(&headers(ctype), Body::from(body), limit).await;
        r.err().map(|r| r.status().as_u16())
    }

    #[tokio::test]
    async fn content_type_size_and_syntax_are_checked_in_that_order() {
        let json = Some("application/json");
        assert_eq!(status(None, "{}", 10).await, Some(415));
        assert_eq!(status(Some("text/plain"), "{}", 10).await, Some(415));
        assert_eq!(
            status(Some("application/json-patch"), "{}", 10).await,
            Some(415)
        );
        assert_eq!(
            status(Some("text/plain"), "{", 1).await,
            Some(415),
            "type first"
        );
        assert_eq!(status(json, "{\"a\": 12345}", 5).await, Some(413));
        assert_eq!(
            status(json, "{\"a\": ", 1).await,
            Some(413),
            "size before syntax"
        );
        assert_eq!(status(json, "{\"a\": ", 100).await, Some(400));
        let ok = read_json(
            &headers(Some("Application/JSON; charset=utf-8")),
            Body::from("{\"a\": 1}"),
            100,
        )
        .await;
        assert_eq!(ok.ok(), Some(serde_json::json!({"a": 1})));
    }

    #[test]
    fn unknown_fields_are_named() {
        let obj = serde_json::json!({"status": "x", "stauts": "y", "officer": "z"});
        let errs = unknown_fields(obj.as_object().expect("object"), &["status", "officer"]);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            (errs[0].field.as_str(), errs[0].code),
            ("stauts", "unknown_field")
        );
        assert!(known_fields_only(&obj, "status stauts officer").is_ok());
        let errs = known_fields_only(&obj, "status officer").map_err(|e| e.len());
        assert_eq!(errs, Err(1));
        assert!(known_fields_only(&serde_json::json!([1]), "status").is_ok());
    }
}
