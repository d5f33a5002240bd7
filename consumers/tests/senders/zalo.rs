//! The Zalo-style ZNS client: request shape and outcomes.

use std::collections::BTreeMap;

use dossierflow_consumers::notify::channel::Outcome;
use dossierflow_consumers::notify::senders::{SendersConfig, ZaloConfig};
use dossierflow_domain::Status;
use dossierflow_runtime::telemetry::Metrics;

use super::{Reply, check_http_failures, message, no_channels, one, provider, rejected};

fn config(base: &str) -> SendersConfig {
    SendersConfig {
        zalo: Some(ZaloConfig {
            url: format!("{base}/zalo/message/template"),
            access_token: "zalo-token".into(),
            template_ids: BTreeMap::from([("received".to_owned(), "231456".to_owned())]),
        }),
        ..no_channels()
    }
}

#[tokio::test]
async fn accepted_message_is_the_documented_request() {
    let (base, log) = provider(Reply::new(
        200,
        r#"{"error": 0, "message": "Success", "data": {"msg_id": "z-1"}}"#,
    ))
    .await;
    let sender = one(&config(&base), Metrics::new());
    let msg = message(Status::Received);
    assert_eq!(
        sender.send(&msg).await,
        Outcome::Accepted {
            provider_ref: Some("z-1".into())
        }
    );
    let log = log.lock().expect("log");
    let req = &log[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/zalo/message/template");
    assert_eq!(req.header("access_token"), "zalo-token");
    assert_eq!(req.header("idempotency-key"), msg.id.to_string());
    assert_eq!(
        req.json(),
        serde_json::json!({
            "phone": "84912345678",
            "template_id": "231456",
            "template_data": {
                "dossier_code": "000.00.92.H55-230206-0001",
                "procedure_name": "Đăng ký khai sinh",
                "status_name_vi": "Được tiếp nhận",
                "due_date": "27/03/2023",
            },
            "tracking_id": msg.id.to_string(),
        })
    );
}

#[tokio::test]
async fn negative_error_code_is_rejected() {
    let (base, _log) = provider(Reply::new(
        200,
        r#"{"error": -108, "message": "Phone number is invalid"}"#,
    ))
    .await;
    let sender = one(&config(&base), Metrics::new());
    assert_eq!(
        sender.send(&message(Status::Received)).await,
        rejected("ZNS -108")
    );
}

#[tokio::test]
async fn failures_are_classified() {
    check_http_failures(config, &message(Status::Received)).await;
}

#[tokio::test]
async fn template_outside_our_set_makes_no_request() {
    let (base, log) = provider(Reply::new(200, r#"{"error": 0}"#)).await;
    let sender = one(&config(&base), Metrics::new());
    let mut msg = message(Status::Received);
    msg.template = "birthday".into();
    assert_eq!(
        sender.send(&msg).await,
        rejected("template: unknown template")
    );
    assert!(log.lock().expect("log").is_empty());
}
