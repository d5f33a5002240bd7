//! Tests of the national portal and the portal webhook over real sockets.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::valid_timestamp;
use crate::SimConfig;
use crate::test_support::start;

const DOSSIER: &str = "0b8f8c9e-3c55-4d4f-9a43-1f0a4e1d2c3b";

fn national(status: &str, at: &str) -> Value {
    json!({"MaHoSoNoiBo": DOSSIER, "MaTTHC": "1.001193", "TrangThaiHoSo": status,
           "ThoiDiemCapNhat": at, "NgayNopHoSo": "20230306142745"})
}

#[test]
fn timestamps_must_be_real_dates() {
    assert!(valid_timestamp("20230306142745"));
    assert!(!valid_timestamp("20230230142745"), "30 February");
    assert!(!valid_timestamp("2023-03-06 14:2"));
    assert!(!valid_timestamp("202303061427450"));
}

#[tokio::test]
async fn national_portal_validates_and_keeps_status_order() {
    let sim = start(SimConfig {
        portal_token: Some("pt".into()),
        ..SimConfig::default()
    })
    .await;
    let auth = |key: &'static str| [("authorization", "Bearer pt"), ("idempotency-key", key)];
    let (s, b) = sim
        .post(
            "/dvcqg/CapNhatTienDoHoSoMC",
            &auth("k0"),
            &national("3", "20231306142745"),
        )
        .await;
    assert_eq!((s, b["error_code"].as_str()), (200, Some("1")));
    assert!(
        b["message"]
            .as_str()
            .is_some_and(|m| m.contains("ThoiDiemCapNhat"))
    );
    let (_, b) = sim
        .post(
            "/dvcqg/DongBoHoSoMC",
            &auth("k0"),
            &national("11", "20230306142745"),
        )
        .await;
    assert_eq!(b["error_code"], "1");
    let (s, _) = sim
        .post(
            "/dvcqg/DongBoHoSoMC",
            &[("idempotency-key", "k9")],
            &national("1", "20230306142745"),
        )
        .await;
    assert_eq!(s, 401);
    // An update before the first sync: accepted but out of order.
    let (_, b) = sim
        .post(
            "/dvcqg/CapNhatTienDoHoSoMC",
            &auth("k2"),
            &national("2", "20230306150000"),
        )
        .await;
    assert_eq!(b["error_code"], "0");
    let (_, b) = sim
        .post(
            "/dvcqg/DongBoHoSoMC",
            &auth("k1"),
            &national("1", "20230306142745"),
        )
        .await;
    assert_eq!(
        (b["error_code"].as_str(), b["message"].as_str()),
        (Some("0"), Some("Thành công"))
    );
    let (_, b) = sim
        .post(
            "/dvcqg/CapNhatTienDoHoSoMC",
            &auth("k3"),
            &national("4", "20230307090000"),
        )
        .await;
    assert_eq!(b["error_code"], "0");
    // A repeat is answered the same and not recorded again.
    let (_, b) = sim
        .post(
            "/dvcqg/CapNhatTienDoHoSoMC",
            &auth("k3"),
            &national("4", "20230307090000"),
        )
        .await;
    assert_eq!(b["error_code"], "0");
    let st = sim.stats("national_portal").await;
    assert_eq!(st["out_of_order"], 1);
    assert_eq!(st["accepted"], 3);
    assert_eq!(st["duplicates"], 1);
    assert_eq!(st["rejected"], 3);
    assert_eq!(
        sim.get("/admin/dossiers").await[DOSSIER],
        json!(["2", "1", "4"])
    );
    let msgs = sim.get("/admin/messages?channel=national_portal").await;
    assert_eq!(msgs[1]["operation"], "DongBoHoSoMC");
    assert_eq!(msgs[1]["body"]["MaTTHC"], "1.001193");
}

fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn portal_webhook_checks_signatures() {
    let sim = start(SimConfig {
        portal_webhook_secret: Some("s3cret".into()),
        ..SimConfig::default()
    })
    .await;
    let body = json!({"dossier_id": DOSSIER, "status": "received", "notification_id": "w1"});
    let bytes = serde_json::to_vec(&body).expect("json");
    let now = chrono::Utc::now().timestamp();
    let send = |sig: String, key: &'static str| {
        let request = sim
            .client
            .post(sim.url("/portal/webhook"))
            .header("content-type", "application/json")
            .header("x-dossierflow-signature", sig)
            .header("x-dossierflow-event", "dossier.status.v1")
            .header("idempotency-key", key)
            .body(bytes.clone());
        async move { request.send().await.expect("send").status().as_u16() }
    };
    assert_eq!(send(sign("s3cret", now, &bytes), "w1").await, 200);
    assert_eq!(send(sign("s3cret", now, &bytes), "w1").await, 200);
    assert_eq!(send(sign("wrong", now, &bytes), "w2").await, 401);
    assert_eq!(send(sign("s3cret", now - 301, &bytes), "w3").await, 401);
    assert_eq!(send("t=1,v1=zz".to_owned(), "w4").await, 401);
    let st = sim.stats("portal_webhook").await;
    assert_eq!(st["bad_signature"], 3);
    assert_eq!(
        (st["accepted"].as_u64(), st["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    let msgs = sim.get("/admin/messages?channel=portal_webhook").await;
    assert_eq!(msgs[0]["body"]["dossier_id"], DOSSIER);
    assert_eq!(msgs[0]["event"], "dossier.status.v1");
    assert_eq!(
        sim.get("/admin/keys?channel=portal_webhook").await,
        json!(["w1"])
    );
}
