//! The classification shared by the HTTP senders: a `reqwest` result becomes either a
//! successful (`2xx`) response to read further, or an [`Outcome`].
//!
//! | answer | outcome |
//! |---|---|
//! | `2xx` | success: the sender reads the body |
//! | `408`, `429`, `5xx`, anything else not `4xx` | `Retry("HTTP <code>")`, with `Retry-After` seconds when given |
//! | other `4xx` | `Rejected("HTTP <code>")` |
//! | timeout | `Retry("timeout")` |
//! | connection error | `Retry("connection failed")` |
//! | any other transport error | `Retry("request failed")` |
//!
//! Reasons never carry a response body or a URL (`reqwest` errors print the URL, so they
//! are never formatted).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use super::super::channel::Outcome;

/// Reason for a `2xx` body that does not have the documented shape.
pub(crate) const MALFORMED: &str = "malformed response";

/// Sends `request` and classifies the answer: `Ok` for a `2xx` response, else the outcome.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, Outcome> {
    let response = request.send().await.map_err(|e| transport_error(&e))?;
    match classify_status(response.status(), response.headers()) {
        None => Ok(response),
        Some(outcome) => Err(outcome),
    }
}

/// Reads a `2xx` body as JSON of type `T`: a transport error while reading is classified
/// like one while sending; a body of another shape is `Retry("malformed response")`.
pub(crate) async fn read_json<T: DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, Outcome> {
    let bytes = response.bytes().await.map_err(|e| transport_error(&e))?;
    serde_json::from_slice(&bytes).map_err(|_| Outcome::Retry {
        reason: MALFORMED.to_owned(),
        retry_after: None,
    })
}

/// The outcome of a non-`2xx` status, or `None` for `2xx`.
pub(crate) fn classify_status(status: StatusCode, headers: &HeaderMap) -> Option<Outcome> {
    if status.is_success() {
        return None;
    }
    let reason = format!("HTTP {}", status.as_u16());
    let retryable = matches!(
        status,
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
    ) || !status.is_client_error();
    Some(if retryable {
        Outcome::Retry {
            reason,
            retry_after: retry_after(headers),
        }
    } else {
        Outcome::Rejected { reason }
    })
}

/// The `Retry-After` header in its delay-seconds form (an HTTP date is ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The outcome of a transport error: always a retry, with a fixed reason.
pub(crate) fn transport_error(e: &reqwest::Error) -> Outcome {
    let reason = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    Outcome::Retry {
        reason: reason.to_owned(),
        retry_after: None,
    }
}

/// A provider-supplied code, kept only if it is short and plain (digits, letters, `-`,
/// `_`), so a provider cannot smuggle text into our reasons; otherwise `?`.
pub(crate) fn plain_code(code: &str) -> &str {
    let ok = !code.is_empty()
        && code.len() <= 16
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { code } else { "?" }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn status(code: u16, retry: Option<&'static str>) -> Option<Outcome> {
        let mut headers = HeaderMap::new();
        if let Some(r) = retry {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(r));
        }
        classify_status(StatusCode::from_u16(code).expect("status"), &headers)
    }

    fn retry(reason: &str, after: Option<u64>) -> Option<Outcome> {
        Some(Outcome::Retry {
            reason: reason.into(),
            retry_after: after.map(Duration::from_secs),
        })
    }

    #[test]
    fn statuses_classify_per_the_provider_doc() {
        assert_eq!(status(200, None), None);
        assert_eq!(status(202, None), None);
        assert_eq!(status(204, None), None);
        assert_eq!(status(429, Some("7")), retry("HTTP 429", Some(7)));
        assert_eq!(status(429, None), retry("HTTP 429", None));
        assert_eq!(status(408, None), retry("HTTP 408", None));
        assert_eq!(status(503, Some(" 30 ")), retry("HTTP 503", Some(30)));
        assert_eq!(status(500, None), retry("HTTP 500", None));
        assert_eq!(status(302, None), retry("HTTP 302", None));
        assert_eq!(
            status(400, Some("5")),
            Some(Outcome::Rejected {
                reason: "HTTP 400".into()
            })
        );
        assert_eq!(
            status(401, None),
            Some(Outcome::Rejected {
                reason: "HTTP 401".into()
            })
        );
    }

    #[test]
    fn retry_after_as_a_date_is_ignored() {
        let got = status(503, Some("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(got, retry("HTTP 503", None));
    }

    #[test]
    fn provider_codes_are_kept_only_when_plain() {
        assert_eq!(plain_code("-108"), "-108");
        assert_eq!(plain_code("E_42"), "E_42");
        assert_eq!(plain_code("0912345678 is wrong"), "?");
        assert_eq!(plain_code(""), "?");
        assert_eq!(plain_code("12345678901234567"), "?");
    }
}
