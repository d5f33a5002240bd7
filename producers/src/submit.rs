//! Sends submissions to an intake API with bounded concurrency, retries and progress,
//! authenticated with a portal client's bearer token.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::{StatusCode, Url};
use uuid::Uuid;

use crate::intake::AcceptedBody;

/// One submission to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// JSON body.
    pub body: serde_json::Value,
    /// Idempotency key: retries reuse it, so nothing is submitted twice.
    pub idempotency_key: String,
}

/// The result of one submission.
#[derive(Debug, Clone)]
pub enum Sent {
    /// Accepted with this dossier id.
    Accepted(Uuid),
    /// Rejected by the API with this status and body.
    Rejected(u16, String),
    /// Could not be delivered after retries.
    Failed(String),
}

/// The portal token the default intake configuration admits (client `local-portal`):
/// for local runs, the demo and tests only.
pub const LOCAL_PORTAL_TOKEN: &str = "local-portal-token";

/// [`submit_all_as`] with the local development token [`LOCAL_PORTAL_TOKEN`].
pub async fn submit_all(
    api: &Url,
    items: Vec<Outgoing>,
    concurrency: usize,
    progress: bool,
) -> anyhow::Result<Vec<Sent>> {
    submit_all_as(api, LOCAL_PORTAL_TOKEN, items, concurrency, progress).await
}

/// Posts every submission to `{api}/v1/dossiers` with `Authorization: Bearer <token>`,
/// `concurrency` at a time, retrying connection errors and 5xx answers with the same
/// idempotency key (a `401` is a rejection, not retried). Prints progress to stderr
/// every second when `progress` is set. Results keep the input order.
pub async fn submit_all_as(
    api: &Url,
    token: &str,
    items: Vec<Outgoing>,
    concurrency: usize,
    progress: bool,
) -> anyhow::Result<Vec<Sent>> {
    let url = api.join("v1/dossiers")?;
    let token: Arc<str> = Arc::from(token);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let done = Arc::new(AtomicUsize::new(0));
    let total = items.len();
    let started = Instant::now();
    let reporter = progress.then(|| {
        let done = done.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let n = done.load(Ordering::Relaxed);
                let rate = n as f64 / started.elapsed().as_secs_f64();
                eprintln!("submitted {n}/{total} ({rate:.0}/s)");
            }
        })
    });
    let results = futures::stream::iter(items)
        .map(|item| {
            let (client, url, done) = (client.clone(), url.clone(), done.clone());
            let token = token.clone();
            async move {
                let r = send_one(&client, &url, &token, &item).await;
                done.fetch_add(1, Ordering::Relaxed);
                r
            }
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    if let Some(r) = reporter {
        r.abort();
    }
    Ok(results)
}

/// Posts one submission to `url` (the full `…/v1/dossiers` address) with the portal
/// `token`, retrying connection errors and 5xx answers up to five times with the same
/// idempotency key (200 ms × 2ⁿ apart). Used by [`submit_all_as`] and by callers that
/// pace submissions themselves (`dossierflow bench`).
pub async fn send_one(client: &reqwest::Client, url: &Url, token: &str, item: &Outgoing) -> Sent {
    let mut last = String::new();
    for attempt in 0..6u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
        }
        let resp = client
            .post(url.clone())
            .bearer_auth(token)
            .header("idempotency-key", &item.idempotency_key)
            .json(&item.body)
            .send()
            .await;
        match resp {
            Ok(r) if r.status() == StatusCode::ACCEPTED => {
                return match r.json::<AcceptedBody>().await {
                    Ok(b) => Sent::Accepted(b.dossier_id),
                    Err(e) => Sent::Failed(format!("unreadable 202 body: {e}")),
                };
            }
            Ok(r) if r.status().is_server_error() => last = format!("HTTP {}", r.status()),
            Ok(r) => {
                let status = r.status().as_u16();
                return Sent::Rejected(status, r.text().await.unwrap_or_default());
            }
            Err(e) => last = e.to_string(),
        }
    }
    Sent::Failed(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;

    /// An intake stand-in that accepts only `Bearer right`.
    async fn intake() -> Url {
        let app = axum::Router::new().route(
            "/v1/dossiers",
            post(|headers: HeaderMap| async move {
                let ok = headers
                    .get("authorization")
                    .is_some_and(|v| v.as_bytes() == b"Bearer right");
                let body = serde_json::json!({"dossier_id": Uuid::nil(), "status_code": 1,
                    "status": "submitted", "submitted_at": "2026-11-27T00:00:00Z"});
                match ok {
                    true => (StatusCode::ACCEPTED, axum::Json(body)),
                    false => (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({}))),
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Url::parse(&format!("http://{addr}/")).expect("url")
    }

    #[tokio::test]
    async fn submissions_carry_the_portal_token() {
        let api = intake().await;
        let item = Outgoing {
            body: serde_json::json!({}),
            idempotency_key: "k".into(),
        };
        let sent = submit_all_as(&api, "right", vec![item.clone()], 1, false)
            .await
            .expect("submit");
        assert!(matches!(sent[..], [Sent::Accepted(_)]), "{sent:?}");
        let sent = submit_all_as(&api, "wrong", vec![item], 1, false)
            .await
            .expect("submit");
        assert!(matches!(sent[..], [Sent::Rejected(401, _)]), "{sent:?}");
    }
}
