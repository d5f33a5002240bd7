//! Tests of the SMS gateway, the Zalo API, receipts and alerts over real sockets.

use std::time::Duration;

use serde_json::{Value, json};

use crate::SimConfig;
use crate::test_support::{receiver, start};

fn sms_body(to: &str) -> Value {
    json!({"to": to, "text": "Hồ sơ đã được tiếp nhận", "encoding": "ucs2",
           "segments": 1, "reference": "k"})
}

#[tokio::test]
async fn sms_accepts_once_then_answers_duplicates() {
    let sim = start(SimConfig {
        sms_key: Some("key".into()),
        ..SimConfig::default()
    })
    .await;
    let auth = [("authorization", "Bearer key"), ("idempotency-key", "n-1")];
    let (s1, b1) = sim
        .post("/sms/send", &auth, &sms_body("+84912345678"))
        .await;
    assert_eq!(s1, 202);
    assert_eq!(b1["status"], "accepted");
    let (s2, b2) = sim
        .post("/sms/send", &auth, &sms_body("+84912345678"))
        .await;
    assert_eq!(s2, 200);
    assert_eq!(b2["message_id"], b1["message_id"]);
    let st = sim.stats("sms").await;
    assert_eq!(
        (st["requests"].as_u64(), st["accepted"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(st["duplicates"], 1);
    assert_eq!(sim.get("/admin/keys?channel=sms").await, json!(["n-1"]));
    let msgs = sim.get("/admin/messages?channel=sms&limit=5").await;
    assert_eq!(msgs[0]["to"], "+84912345678");
    assert_eq!(msgs[0]["segments"], 1);
    assert_eq!(msgs[0]["idempotency_key"], "n-1");
}

#[tokio::test]
async fn sms_refuses_bad_numbers_missing_fields_and_bad_keys() {
    let sim = start(SimConfig {
        sms_key: Some("key".into()),
        ..SimConfig::default()
    })
    .await;
    let ok = [("authorization", "Bearer key"), ("idempotency-key", "a")];
    let (s, b) = sim.post("/sms/send", &ok, &sms_body("0912345678")).await;
    assert_eq!((s, b), (400, json!({"error": "invalid_number"})));
    let (s, _) = sim
        .post("/sms/send", &ok, &json!({"to": "+84912345678"}))
        .await;
    assert_eq!(s, 400);
    let wrong = [("authorization", "Bearer nope"), ("idempotency-key", "b")];
    let (s, _) = sim
        .post("/sms/send", &wrong, &sms_body("+84912345678"))
        .await;
    assert_eq!(s, 401);
    let no_key = [("authorization", "Bearer key")];
    let (s, _) = sim
        .post("/sms/send", &no_key, &sms_body("+84912345678"))
        .await;
    assert_eq!(s, 400);
    let st = sim.stats("sms").await;
    assert_eq!(st["accepted"], 0);
    assert_eq!(st["rejected"], 4);
    assert_eq!(sim.get("/admin/keys?channel=sms").await, json!([]));
}

#[tokio::test]
async fn receipts_arrive_with_token_and_are_retried_after_503() {
    let (url, seen) = receiver(1).await;
    let sim = start(SimConfig {
        receipt_url: Some(url),
        receipt_token_sms: Some("rt-sms".into()),
        receipt_token_zalo: Some("rt-zalo".into()),
        receipt_retry_pause: Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await;
    let (s, b) = sim
        .post(
            "/sms/send",
            &[("idempotency-key", "sms-1")],
            &sms_body("+84912345678"),
        )
        .await;
    assert_eq!(s, 202);
    sim.wait_counter("sms", "receipts_sent", 1).await;
    let zalo = json!({"phone": "84912345678", "template_id": "received",
                      "template_data": {"dossier_code": "X"}});
    sim.fault(json!({"channel": "zalo", "receipt_status": "permanent-failure"}))
        .await;
    let (_, z) = sim
        .post(
            "/zalo/message/template",
            &[("idempotency-key", "z-1")],
            &zalo,
        )
        .await;
    sim.wait_counter("zalo", "receipts_sent", 1).await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3, "one 503, its retry, then zalo: {seen:?}");
    assert_eq!(seen[0], seen[1], "a retry resends the same receipt");
    let (path, auth, body) = &seen[1];
    assert_eq!(path, "/v1/notification-receipts/sms");
    assert_eq!(auth, "Bearer rt-sms");
    assert_eq!(body["reference"], "sms-1");
    assert_eq!(body["message_id"], b["message_id"]);
    assert_eq!(body["status"], "delivered");
    assert!(
        body["completed_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let (path, auth, body) = &seen[2];
    assert_eq!(path, "/v1/notification-receipts/zalo");
    assert_eq!(auth, "Bearer rt-zalo");
    assert_eq!(body["status"], "permanent-failure");
    assert_eq!(body["message_id"], z["data"]["msg_id"]);
}

#[tokio::test]
async fn receipts_give_up_on_4xx_and_unreachable_receivers() {
    let sim = start(SimConfig {
        receipt_url: Some("http://127.0.0.1:9".into()),
        receipt_retries: 2,
        receipt_retry_pause: Duration::from_millis(10),
        ..SimConfig::default()
    })
    .await;
    let (s, _) = sim
        .post(
            "/sms/send",
            &[("idempotency-key", "x")],
            &sms_body("+84912345678"),
        )
        .await;
    assert_eq!(s, 202);
    sim.wait_counter("sms", "receipts_failed", 1).await;
    assert_eq!(sim.stats("sms").await["receipts_sent"], 0);
}

#[tokio::test]
async fn zalo_error_codes() {
    let sim = start(SimConfig {
        zalo_token: Some("zt".into()),
        ..SimConfig::default()
    })
    .await;
    let body = |phone: &str| {
        json!({"phone": phone, "template_id": "received",
               "template_data": {"dossier_code": "X"}, "tracking_id": "t"})
    };
    let good = [("access_token", "zt"), ("idempotency-key", "z1")];
    let (s, b) = sim
        .post(
            "/zalo/message/template",
            &[("access_token", "bad"), ("idempotency-key", "z0")],
            &body("84912345678"),
        )
        .await;
    assert_eq!((s, b["error"].as_i64()), (200, Some(-124)));
    let (s, b) = sim
        .post("/zalo/message/template", &good, &body("0912345678"))
        .await;
    assert_eq!((s, b["error"].as_i64()), (200, Some(-108)));
    assert_eq!(b["message"], "Phone number is invalid");
    let (s, b) = sim
        .post("/zalo/message/template", &good, &body("84912345678"))
        .await;
    assert_eq!((s, b["error"].as_i64()), (200, Some(0)));
    let id = b["data"]["msg_id"].clone();
    assert!(id.is_string());
    let (_, again) = sim
        .post("/zalo/message/template", &good, &body("84912345678"))
        .await;
    assert_eq!(again["data"]["msg_id"], id);
    let st = sim.stats("zalo").await;
    assert_eq!(
        (st["accepted"].as_u64(), st["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(st["rejected"], 2);
    let msgs = sim.get("/admin/messages?channel=zalo").await;
    assert_eq!(msgs[0]["template_data"]["dossier_code"], "X");
}

#[tokio::test]
async fn alerts_are_stored_in_order_and_health_answers() {
    let sim = start(SimConfig::default()).await;
    for state in ["failing", "recovered"] {
        let alert = json!({"alert": "notification_channel_failing", "channel": "sms",
            "state": state, "consecutive_failures": 10, "last_error": "HTTP 503",
            "at": "2026-11-27T10:00:00Z"});
        let (s, _) = sim.post("/alerts", &[], &alert).await;
        assert_eq!(s, 200);
    }
    let alerts = sim.get("/admin/alerts").await;
    assert_eq!(alerts[0]["state"], "failing");
    assert_eq!(alerts[1]["state"], "recovered");
    let health = sim
        .client
        .get(sim.url("/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.text().await.expect("text"), "ok");
}
