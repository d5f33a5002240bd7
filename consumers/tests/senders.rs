//! The notification senders against small in-test providers: an axum server per HTTP
//! test (recording each request, answering as scripted) and a scripted SMTP responder.
//! Each sender must send exactly the documented request (`docs/notification-providers.md`)
//! and turn every kind of answer into the documented outcome.

#[path = "senders/email.rs"]
mod email;
#[path = "senders/portals.rs"]
mod portals;
#[path = "senders/sms.rs"]
mod sms;
#[path = "senders/zalo.rs"]
mod zalo;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use dossierflow_consumers::notify::channel::{Message, Outcome, Recipient, Sender};
use dossierflow_consumers::notify::senders::{SendersConfig, build};
use dossierflow_consumers::notify::templates::{MessageContext, Templates};
use dossierflow_domain::Status;
use dossierflow_runtime::telemetry::Metrics;
use uuid::Uuid;

/// The request timeout of the senders under test.
pub const TIMEOUT: Duration = Duration::from_millis(300);

/// The sample dossier code.
pub const CODE: &str = "000.00.92.H55-230206-0001";

/// A request the provider received.
pub struct Recorded {
    /// Request method.
    pub method: Method,
    /// Request path, without the query.
    pub path: String,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header's value, or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// How the provider answers every request.
#[derive(Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Response body.
    pub body: &'static str,
    /// `Retry-After` header, if any.
    pub retry_after: Option<&'static str>,
    /// How long to wait before answering.
    pub delay: Duration,
}

impl Reply {
    /// Answers `status` with `body` at once.
    pub fn new(status: u16, body: &'static str) -> Self {
        Self {
            status,
            body,
            retry_after: None,
            delay: Duration::ZERO,
        }
    }
}

type Log = Arc<Mutex<Vec<Recorded>>>;

async fn answer(
    State((reply, log)): State<(Reply, Log)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    log.lock().expect("log").push(Recorded {
        method,
        path: uri.path().to_owned(),
        headers,
        body: body.to_vec(),
    });
    tokio::time::sleep(reply.delay).await;
    let status = StatusCode::from_u16(reply.status).expect("status");
    let mut response = (status, reply.body).into_response();
    if let Some(r) = reply.retry_after {
        response
            .headers_mut()
            .insert("retry-after", r.parse().expect("header"));
    }
    response
}

/// A provider answering `reply`; returns its base URL and its request log.
pub async fn provider(reply: Reply) -> (String, Log) {
    let log: Log = Arc::default();
    let app = Router::new()
        .fallback(answer)
        .with_state((reply, log.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), log)
}

/// A base URL on which nothing listens.
pub fn refused_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// A configuration with no channel.
pub fn no_channels() -> SendersConfig {
    SendersConfig {
        sms: None,
        email: None,
        zalo: None,
        portal_webhook: None,
        national_portal: None,
        request_timeout: TIMEOUT,
    }
}

/// The single sender `config` enables.
pub fn one(config: &SendersConfig, metrics: Arc<Metrics>) -> Arc<dyn Sender> {
    let templates = Arc::new(Templates::embedded().expect("templates"));
    let mut senders = build(config, templates, metrics).expect("build");
    assert_eq!(senders.len(), 1);
    senders.pop().expect("sender")
}

/// A sample message: dossier received, due 27/03/2023.
pub fn message(status: Status) -> Message {
    let at = Utc
        .with_ymd_and_hms(2023, 3, 6, 7, 27, 45)
        .single()
        .expect("date");
    let due = Utc
        .with_ymd_and_hms(2023, 3, 27, 7, 27, 45)
        .single()
        .expect("date");
    Message {
        id: Uuid::now_v7(),
        dossier_id: Uuid::now_v7(),
        dossier_code: Some(CODE.into()),
        procedure_code: "1.001193".into(),
        status,
        changed_at: at,
        submitted_at: at,
        due_at: Some(due),
        reason: None,
        template: "received".into(),
        context: MessageContext {
            dossier_code: Some(CODE.into()),
            procedure_name: "Đăng ký khai sinh".into(),
            status_name_vi: "Được tiếp nhận".into(),
            due_date: NaiveDate::from_ymd_opt(2023, 3, 27),
            ..MessageContext::default()
        },
        recipient: Recipient {
            phone: Some("0912345678".into()),
            email: Some("an.nguyen@example.vn".into()),
        },
    }
}

/// A `Retry` outcome.
pub fn retry(reason: &str, after: Option<u64>) -> Outcome {
    Outcome::Retry {
        reason: reason.into(),
        retry_after: after.map(Duration::from_secs),
    }
}

/// A `Rejected` outcome.
pub fn rejected(reason: &str) -> Outcome {
    Outcome::Rejected {
        reason: reason.into(),
    }
}

/// Checks the failure answers every HTTP sender shares: `400` → rejected, `429` with
/// `Retry-After`, `503`, a slow provider and a refused connection → retry. `config` makes
/// the sender's configuration from a provider's base URL.
pub async fn check_http_failures(config: impl Fn(&str) -> SendersConfig, msg: &Message) {
    let mut too_many = Reply::new(429, "{}");
    too_many.retry_after = Some("7");
    let mut slow = Reply::new(200, "{}");
    slow.delay = TIMEOUT * 5;
    let cases = [
        (
            Reply::new(400, r#"{"error": "invalid_number"}"#),
            rejected("HTTP 400"),
        ),
        (too_many, retry("HTTP 429", Some(7))),
        (
            Reply::new(503, "down for 0912345678"),
            retry("HTTP 503", None),
        ),
        (slow, retry("timeout", None)),
    ];
    for (reply, expected) in cases {
        let status = reply.status;
        let (base, log) = provider(reply).await;
        let sender = one(&config(&base), Metrics::new());
        assert_eq!(sender.send(msg).await, expected, "answer {status}");
        assert_eq!(log.lock().expect("log").len(), 1, "answer {status}");
    }
    let sender = one(&config(&refused_base()), Metrics::new());
    assert_eq!(sender.send(msg).await, retry("connection failed", None));
}
