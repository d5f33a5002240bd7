//! The SMS gateway client: request shape, segment accounting and outcomes.

use dossierflow_consumers::notify::channel::Outcome;
use dossierflow_consumers::notify::senders::{SendersConfig, SmsConfig};
use dossierflow_consumers::notify::sms::segments;
use dossierflow_domain::Status;
use dossierflow_runtime::notify_metrics::EncodingLabel;
use dossierflow_runtime::telemetry::Metrics;

use super::{Reply, check_http_failures, message, no_channels, one, provider, refused_base};

fn config(base: &str, fold: bool) -> SendersConfig {
    SendersConfig {
        sms: Some(SmsConfig {
            url: format!("{base}/sms/send"),
            api_key: "key-1".into(),
            fold_diacritics: fold,
        }),
        ..no_channels()
    }
}

fn segments_sent(metrics: &Metrics, encoding: &'static str) -> u64 {
    metrics
        .notify
        .sms_segments
        .get_or_create(&EncodingLabel { encoding })
        .get()
}

#[tokio::test]
async fn accepted_message_is_the_documented_request() {
    let (base, log) = provider(Reply::new(
        202,
        r#"{"message_id": "sms-1", "status": "accepted"}"#,
    ))
    .await;
    let metrics = Metrics::new();
    let sender = one(&config(&base, false), metrics.clone());
    let msg = message(Status::Received);
    let outcome = sender.send(&msg).await;
    assert_eq!(
        outcome,
        Outcome::Accepted {
            provider_ref: Some("sms-1".into())
        }
    );
    let log = log.lock().expect("log");
    let req = &log[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/sms/send");
    assert_eq!(req.header("authorization"), "Bearer key-1");
    assert_eq!(req.header("idempotency-key"), msg.id.to_string());
    assert_eq!(req.header("content-type"), "application/json");
    let body = req.json();
    assert_eq!(body["to"], "+84912345678");
    assert_eq!(body["reference"], msg.id.to_string());
    let text = body["text"].as_str().expect("text");
    assert!(text.contains("Đăng ký khai sinh"), "{text}");
    assert!(text.contains("000.00.92.H55-230206-0001"), "{text}");
    assert_eq!(body["encoding"], "ucs2");
    let expected = segments(text).segments;
    assert_eq!(body["segments"], expected);
    assert_eq!(segments_sent(&metrics, "ucs2"), u64::from(expected));
    assert_eq!(segments_sent(&metrics, "gsm7"), 0);
}

#[tokio::test]
async fn folded_text_is_gsm7_and_a_repeat_is_accepted() {
    let (base, log) = provider(Reply::new(
        200,
        r#"{"message_id": "sms-1", "status": "accepted"}"#,
    ))
    .await;
    let metrics = Metrics::new();
    let sender = one(&config(&base, true), metrics.clone());
    let outcome = sender.send(&message(Status::Received)).await;
    assert_eq!(
        outcome,
        Outcome::Accepted {
            provider_ref: Some("sms-1".into())
        }
    );
    let body = log.lock().expect("log")[0].json();
    assert_eq!(body["encoding"], "gsm7");
    assert!(
        body["text"]
            .as_str()
            .expect("text")
            .contains("Dang ky khai sinh")
    );
    assert_eq!(
        segments_sent(&metrics, "gsm7"),
        body["segments"].as_u64().expect("n")
    );
}

#[tokio::test]
async fn failures_are_classified_and_not_counted() {
    let metrics = Metrics::new();
    check_http_failures(|base| config(base, false), &message(Status::Received)).await;
    let sender = one(&config(&refused_base(), false), metrics.clone());
    sender.send(&message(Status::Received)).await;
    let (base, _log) = provider(Reply::new(503, "")).await;
    let sender = one(&config(&base, false), metrics.clone());
    sender.send(&message(Status::Received)).await;
    assert_eq!(segments_sent(&metrics, "ucs2"), 0);
}

#[tokio::test]
async fn unsendable_messages_make_no_request() {
    let (base, log) = provider(Reply::new(202, "{}")).await;
    let sender = one(&config(&base, false), Metrics::new());
    let mut msg = message(Status::Received);
    msg.recipient.phone = None;
    assert_eq!(sender.send(&msg).await, super::rejected("no phone number"));
    let mut msg = message(Status::Received);
    msg.context.due_date = None;
    assert_eq!(
        sender.send(&msg).await,
        super::rejected("template: missing variable")
    );
    assert!(log.lock().expect("log").is_empty());
}
