//! The national portal and the one-stop portal webhook: request shape and outcomes.

use dossierflow_consumers::notify::channel::Outcome;
use dossierflow_consumers::notify::senders::{
    NationalPortalConfig, PortalWebhookConfig, SendersConfig,
};
use dossierflow_consumers::webhooks::verify;
use dossierflow_domain::Status;
use dossierflow_runtime::telemetry::Metrics;

use super::{Reply, check_http_failures, message, no_channels, one, provider, rejected};

const SECRET: &str = "whsec-test";

fn national(base: &str) -> SendersConfig {
    SendersConfig {
        national_portal: Some(NationalPortalConfig {
            url: format!("{base}/dvcqg"),
            token: "dvc-token".into(),
        }),
        ..no_channels()
    }
}

fn webhook(base: &str) -> SendersConfig {
    SendersConfig {
        portal_webhook: Some(PortalWebhookConfig {
            url: format!("{base}/hooks/status"),
            secret: SECRET.into(),
        }),
        ..no_channels()
    }
}

const OK: &str = r#"{"error_code": "0", "message": "Thành công"}"#;

#[tokio::test]
async fn first_status_is_synced_with_dong_bo_ho_so() {
    let (base, log) = provider(Reply::new(200, OK)).await;
    let sender = one(&national(&base), Metrics::new());
    let mut msg = message(Status::Submitted);
    msg.dossier_code = None;
    msg.due_at = None;
    let delivered = Outcome::Delivered { provider_ref: None };
    assert_eq!(sender.send(&msg).await, delivered);
    let log = log.lock().expect("log");
    let req = &log[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/dvcqg/DongBoHoSoMC");
    assert_eq!(req.header("authorization"), "Bearer dvc-token");
    assert_eq!(req.header("idempotency-key"), msg.id.to_string());
    assert_eq!(
        req.json(),
        serde_json::json!({
            "MaHoSoNoiBo": msg.dossier_id.to_string(),
            "MaTTHC": "1.001193",
            "TrangThaiHoSo": "1",
            "ThoiDiemCapNhat": "20230306142745",
            "NgayNopHoSo": "20230306142745",
            "IdempotencyKey": msg.id.to_string(),
        })
    );
}

#[tokio::test]
async fn later_statuses_update_progress() {
    let (base, log) = provider(Reply::new(200, OK)).await;
    let sender = one(&national(&base), Metrics::new());
    let mut msg = message(Status::Received);
    msg.reason = Some("Đã tiếp nhận đủ hồ sơ".into());
    let delivered = Outcome::Delivered { provider_ref: None };
    assert_eq!(sender.send(&msg).await, delivered);
    let log = log.lock().expect("log");
    assert_eq!(log[0].path, "/dvcqg/CapNhatTienDoHoSoMC");
    let body = log[0].json();
    assert_eq!(body["MaHoSo"], "000.00.92.H55-230206-0001");
    assert_eq!(body["TrangThaiHoSo"], "2");
    assert_eq!(body["NgayHenTra"], "20230327142745");
    assert_eq!(body["NoiDungXuLy"], "Đã tiếp nhận đủ hồ sơ");
}

#[tokio::test]
async fn national_error_code_is_rejected() {
    let (base, _log) = provider(Reply::new(
        200,
        r#"{"error_code": "-1", "message": "Không tìm thấy hồ sơ"}"#,
    ))
    .await;
    let sender = one(&national(&base), Metrics::new());
    assert_eq!(
        sender.send(&message(Status::Received)).await,
        rejected("portal error -1")
    );
}

#[tokio::test]
async fn national_failures_are_classified() {
    check_http_failures(national, &message(Status::Received)).await;
}

#[tokio::test]
async fn webhook_is_signed_status_json() {
    let (base, log) = provider(Reply::new(204, "")).await;
    let sender = one(&webhook(&base), Metrics::new());
    let msg = message(Status::Received);
    let delivered = Outcome::Delivered { provider_ref: None };
    assert_eq!(sender.send(&msg).await, delivered);
    let log = log.lock().expect("log");
    let req = &log[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/hooks/status");
    assert_eq!(req.header("idempotency-key"), msg.id.to_string());
    assert_eq!(req.header("x-dossierflow-event"), "dossier.status.v1");
    assert_eq!(req.header("content-type"), "application/json");
    let now = chrono::Utc::now().timestamp();
    let signature = req.header("x-dossierflow-signature");
    verify(signature, SECRET.as_bytes(), &req.body, now, 60).expect("valid signature");
    assert!(verify(signature, b"other", &req.body, now, 60).is_err());
    assert_eq!(
        req.json(),
        serde_json::json!({
            "dossier_id": msg.dossier_id.to_string(),
            "dossier_code": "000.00.92.H55-230206-0001",
            "status_code": 2,
            "status": "received",
            "changed_at": "2023-03-06T07:27:45Z",
            "due_at": "2023-03-27T07:27:45Z",
            "reason": null,
            "notification_id": msg.id.to_string(),
        })
    );
}

#[tokio::test]
async fn webhook_failures_are_classified() {
    check_http_failures(webhook, &message(Status::Received)).await;
}
