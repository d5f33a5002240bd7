//! Tests of fault injection on the HTTP channels: each mode, per channel, timed
//! reversion and added latency.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::SimConfig;
use crate::test_support::{Harness, start};

/// A valid request of each HTTP channel: (channel, path, body).
fn requests() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "sms",
            "/sms/send",
            json!({"to": "+84912345678", "text": "t",
            "encoding": "gsm7", "segments": 1}),
        ),
        (
            "zalo",
            "/zalo/message/template",
            json!({"phone": "84912345678",
            "template_id": "received", "template_data": {}}),
        ),
        (
            "national_portal",
            "/dvcqg/DongBoHoSoMC",
            json!({
            "MaHoSoNoiBo": "0b8f8c9e-3c55-4d4f-9a43-1f0a4e1d2c3b", "TrangThaiHoSo": "1",
            "ThoiDiemCapNhat": "20230306142745"}),
        ),
        (
            "portal_webhook",
            "/portal/webhook",
            json!({"dossier_id": "d"}),
        ),
    ]
}

async fn send(sim: &Harness, path: &str, key: &str, body: &Value) -> (u16, Value) {
    sim.post(path, &[("idempotency-key", key)], body).await
}

#[tokio::test]
async fn fail_and_reject_answer_per_channel_without_recording_keys() {
    let sim = start(SimConfig::default()).await;
    let refusals = [
        (400, json!({"error": "invalid_number"})),
        (
            200,
            json!({"error": -108, "message": "Phone number is invalid"}),
        ),
        (
            200,
            json!({"error_code": "1", "message": "Hồ sơ bị từ chối"}),
        ),
        (422, json!({"error": "rejected"})),
    ];
    for ((channel, path, body), refusal) in requests().into_iter().zip(refusals) {
        let v = sim.fault(json!({"channel": channel, "mode": "fail"})).await;
        assert_eq!(v["mode"], "fail");
        assert_eq!(send(&sim, path, "k", &body).await.0, 503, "{channel}");
        // Another channel is unaffected by this channel's fault.
        let other = if channel == "sms" {
            "/zalo/message/template"
        } else {
            "/sms/send"
        };
        let other_body = if channel == "sms" {
            &requests()[1].2
        } else {
            &requests()[0].2
        };
        let (s, _) = send(&sim, other, &format!("other-{channel}"), other_body).await;
        assert!(
            s == 200 || s == 202,
            "{channel} fault leaked into {other}: {s}"
        );
        sim.fault(json!({"channel": channel, "mode": "reject"}))
            .await;
        assert_eq!(send(&sim, path, "k", &body).await, refusal, "{channel}");
        let keys = sim.get(&format!("/admin/keys?channel={channel}")).await;
        assert!(
            !keys.as_array().expect("array").contains(&json!("k")),
            "{channel}"
        );
        sim.fault(json!({"channel": channel, "mode": "ok"})).await;
        let (s, _) = send(&sim, path, "k", &body).await;
        assert!(s == 200 || s == 202, "{channel} after ok: {s}");
        let st = sim.stats(channel).await;
        assert_eq!(st["failed"], 2, "{channel}: {st}");
        assert_eq!(
            st["accepted"].as_u64(),
            Some(1 + u64::from(channel == "zalo"))
        );
    }
}

#[tokio::test]
async fn timeout_holds_the_request_then_answers_504() {
    let sim = start(SimConfig {
        timeout_hold: Duration::from_millis(800),
        ..SimConfig::default()
    })
    .await;
    for (channel, path, body) in requests() {
        sim.fault(json!({"channel": channel, "mode": "timeout"}))
            .await;
        let started = Instant::now();
        let (s, _) = send(&sim, path, "t", &body).await;
        assert_eq!(s, 504, "{channel}");
        assert!(started.elapsed() >= Duration::from_millis(800), "{channel}");
        assert_eq!(sim.stats(channel).await["failed"], 1);
    }
    // A client with a shorter timeout sees a timeout.
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let err = quick
        .post(sim.url("/sms/send"))
        .header("idempotency-key", "q")
        .json(&requests()[0].2)
        .send()
        .await
        .expect_err("held");
    assert!(err.is_timeout());
}

#[tokio::test]
async fn for_seconds_reverts_by_itself_and_latency_is_added() {
    let sim = start(SimConfig::default()).await;
    let (_, path, body) = requests().remove(0);
    let v = sim
        .fault(json!({"channel": "sms", "mode": "fail", "for_seconds": 0.6}))
        .await;
    assert!(
        v["remaining_seconds"]
            .as_f64()
            .is_some_and(|r| r > 0.0 && r <= 0.6)
    );
    assert_eq!(send(&sim, path, "r", &body).await.0, 503);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(send(&sim, path, "r", &body).await.0, 202);
    let all = sim.get("/admin/faults").await;
    assert_eq!(all[0]["mode"], "ok");
    sim.fault(json!({"channel": "sms", "latency_ms": 300}))
        .await;
    let started = Instant::now();
    assert_eq!(send(&sim, path, "r2", &body).await.0, 202);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let (s, _) = sim
        .post(
            "/admin/faults",
            &[],
            &json!({"channel": "fax", "mode": "fail"}),
        )
        .await;
    assert!(s >= 400, "unknown channel must be refused");
}
