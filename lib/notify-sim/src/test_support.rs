//! Test helpers: a simulator on loopback ports, JSON requests to it, and a scripted
//! receipt receiver.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::{SimConfig, spawn};

/// A running simulator, stopped when dropped.
pub(crate) struct Harness {
    pub http: SocketAddr,
    pub smtp: SocketAddr,
    pub client: reqwest::Client,
    token: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// Starts a simulator with `config`.
pub(crate) async fn start(config: SimConfig) -> Harness {
    let token = CancellationToken::new();
    let (http, smtp) = spawn(config, token.clone()).await.expect("spawn sim");
    Harness {
        http,
        smtp,
        client: reqwest::Client::new(),
        token,
    }
}

impl Harness {
    /// The URL of `path` on the HTTP listener.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// POSTs `body` with `headers`; returns the status and the JSON answer (Null if none).
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
        let mut r = self.client.post(self.url(path)).json(body);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// GETs a JSON document.
    pub async fn get(&self, path: &str) -> Value {
        let resp = self.client.get(self.url(path)).send().await.expect("get");
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.expect("json")
    }

    /// One channel's counters.
    pub async fn stats(&self, channel: &str) -> Value {
        self.get("/admin/stats").await["channels"][channel].clone()
    }

    /// Sets a fault; returns the answer.
    pub async fn fault(&self, body: Value) -> Value {
        let (status, v) = self.post("/admin/faults", &[], &body).await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// Polls until `channel`'s counter `field` reaches `want` (or panics after 5 s).
    pub async fn wait_counter(&self, channel: &str, field: &str, want: u64) {
        for _ in 0..250 {
            if self.stats(channel).await[field].as_u64() == Some(want) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "{channel}.{field} never reached {want}: {}",
            self.stats(channel).await
        );
    }
}

/// A receipt seen by [`receiver`]: the path, the Authorization header and the body.
pub(crate) type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

#[derive(Clone)]
struct Script {
    seen: Seen,
    failures: Arc<Mutex<u32>>,
}

async fn receive(
    State(s): State<Script>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.seen
        .lock()
        .expect("lock")
        .push((uri.path().to_owned(), auth, body));
    let mut failures = s.failures.lock().expect("lock");
    if *failures > 0 {
        *failures -= 1;
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

/// A receipt receiver answering 503 to the first `failures` requests, then 200.
pub(crate) async fn receiver(failures: u32) -> (String, Seen) {
    let script = Script {
        seen: Seen::default(),
        failures: Arc::new(Mutex::new(failures)),
    };
    let app = axum::Router::new()
        .route("/v1/notification-receipts/{channel}", post(receive))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/"), script.seen)
}
