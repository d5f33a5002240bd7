//! The providers' answers as the senders read them, from raw bytes: entry points for the
//! `notify_provider_answer` fuzz target in `fuzz/`. Not an API: the senders call the same
//! functions on the bodies they receive.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

use super::super::channel::Outcome;
use super::{http, national, sms, zalo};

/// A `2xx` body of the Zalo-style ZNS API: `None` when it is not of the documented shape
/// (the sender then retries with "malformed response").
pub fn zalo_answer(body: &[u8]) -> Option<Outcome> {
    serde_json::from_slice::<zalo::Answer>(body)
        .ok()
        .map(zalo::outcome)
}

/// A `2xx` body of the national portal (`DongBoHoSoMC` / `CapNhatTienDoHoSoMC`).
pub fn national_answer(body: &[u8]) -> Option<Outcome> {
    serde_json::from_slice::<national::Answer>(body)
        .ok()
        .map(|a| national::outcome(&a))
}

/// The message id of an SMS gateway's `2xx` body, if it has one.
pub fn sms_message_id(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<sms::Accepted>(body)
        .ok()
        .and_then(|a| a.message_id)
}

/// The outcome of a non-`2xx` status with this `Retry-After` value (`None` for `2xx` or
/// a status code outside 100..=999).
pub fn status_outcome(status: u16, retry_after: &[u8]) -> Option<Outcome> {
    let status = StatusCode::from_u16(status).ok()?;
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(retry_after) {
        headers.insert(RETRY_AFTER, value);
    }
    http::classify_status(status, &headers)
}

/// A provider-supplied code as it may appear in a reason (`?` when not plain).
pub fn plain_code(code: &str) -> &str {
    http::plain_code(code)
}
