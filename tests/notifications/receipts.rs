//! Delivery receipts at the API edge: malformed receipts get `400` with a reason and are
//! logged without the personal data they carry; tokens are per channel; a receipt
//! finishes its notification once and later receipts change nothing.

use std::time::{Duration, Instant};

use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{self, Proc, TestDb, free_port, require_broker, start_sim};
use crate::providers::{self, SMS_RECEIPT_TOKEN, ZALO_RECEIPT_TOKEN};

const SEED: u64 = 17;
/// Personal data planted in malformed receipts; none may reach the log.
const PLANTED: [&str; 3] = ["0912345678", "025190012387", "Nguyễn Văn An"];

async fn post(
    http: &Client,
    url: &str,
    token: Option<&str>,
    ctype: &str,
    body: String,
) -> (StatusCode, Value) {
    let mut req = http.post(url).header("content-type", ctype).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("post receipt");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_receipts_get_400_and_leave_no_personal_data_in_the_log() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, 500, &[]).await;
    let (api_port, admin_port) = (free_port(), free_port());
    let mut env = common::pipeline_env(&db, &prefix);
    env.retain(|(k, _)| *k != "RUST_LOG");
    env.push(("RUST_LOG", "info".into()));
    env.push(("DOSSIER__INTAKE__ADDR", format!("127.0.0.1:{api_port}")));
    env.push(("DOSSIER__ADMIN__ADDR", format!("127.0.0.1:{admin_port}")));
    env.push(("DOSSIER__CSDLQG__URL", format!("{}/", sim.url)));
    // Every provider at a port nobody listens on: notifications stay queued.
    env.extend(providers::pipeline_env(free_port(), free_port(), "60s", 48));
    let log = std::env::temp_dir().join(format!("dossierflow-receipts-{}.log", Uuid::new_v4()));
    let mut app = Proc::spawn_logged(&["run"], &env, &log);
    app.wait_ready(
        &format!("http://127.0.0.1:{admin_port}/health"),
        Duration::from_secs(60),
    )
    .await;
    let api = format!("http://127.0.0.1:{api_port}");
    let http = Client::new();

    // One dossier with a phone and default channels: its SMS waits for a provider.
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, 500, &catalog);
    let mix = Mix {
        unknown: 0.0,
        wrong_birth: 0.0,
    };
    let g = generate(&pop, &catalog, 50, SEED, mix)
        .into_iter()
        .find(|g| {
            g.body["applicant"].get("phone").is_some()
                && g.body["applicant"].get("notify_channels").is_none()
        })
        .expect("a dossier with a phone");
    let r = http
        .post(format!("{api}/v1/dossiers"))
        .bearer_auth(common::PORTAL_TOKEN)
        .header("Idempotency-Key", &g.idempotency_key)
        .json(&g.body)
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let dossier: Uuid = r.json::<Value>().await.expect("json")["dossier_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let pool = db.pool().await;
    let started = Instant::now();
    let sms: Uuid = loop {
        let id: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM notification WHERE dossier_id = $1 AND channel = 'sms'",
        )
        .bind(dossier)
        .fetch_optional(&pool)
        .await
        .expect("query");
        if let Some(id) = id {
            break id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the SMS of the submission is planned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let url = format!("{api}/v1/notification-receipts/sms");
    let json_ct = "application/json";
    let good = |status: &str| {
        json!({ "reference": sms, "message_id": "gw-1", "status": status }).to_string()
    };
    assert_eq!(
        post(&http, &url, None, json_ct, good("delivered")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(
            &http,
            &url,
            Some(ZALO_RECEIPT_TOKEN),
            json_ct,
            good("delivered")
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED,
        "another channel's token"
    );
    assert_eq!(
        post(
            &http,
            &url,
            Some(SMS_RECEIPT_TOKEN),
            "text/plain",
            good("delivered")
        )
        .await
        .0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let fax = format!("{api}/v1/notification-receipts/fax");
    assert_eq!(
        post(
            &http,
            &fax,
            Some(SMS_RECEIPT_TOKEN),
            json_ct,
            good("delivered")
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let malformed = [
        json!({ "reference": PLANTED[0], "status": "delivered", "msisdn": PLANTED[0] }).to_string(),
        format!("not json {} {}", PLANTED[1], PLANTED[2]),
        json!({ "reference": [PLANTED[1]], "status": "delivered", "name": PLANTED[2] }).to_string(),
        json!({ "reference": sms, "status": format!("sent to {}", PLANTED[0]) }).to_string(),
        json!({ "status": "delivered", "to": PLANTED[0] }).to_string(),
    ];
    for body in malformed {
        let (status, answer) =
            post(&http, &url, Some(SMS_RECEIPT_TOKEN), json_ct, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"], "malformed_receipt");
        let reason = answer["message"].as_str().expect("a reason");
        assert!(
            !reason.is_empty() && PLANTED.iter().all(|p| !reason.contains(p)),
            "{reason}"
        );
    }
    let unknown = json!({ "reference": Uuid::new_v4(), "status": "delivered" }).to_string();
    assert_eq!(
        post(&http, &url, Some(SMS_RECEIPT_TOKEN), json_ct, unknown)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // A good receipt finishes the notification once; later ones change nothing.
    let (status, answer) = post(
        &http,
        &url,
        Some(SMS_RECEIPT_TOKEN),
        json_ct,
        good("delivered"),
    )
    .await;
    assert_eq!(
        (status, answer["changed"].clone()),
        (StatusCode::OK, json!(true))
    );
    let (status, answer) = post(
        &http,
        &url,
        Some(SMS_RECEIPT_TOKEN),
        json_ct,
        good("permanent-failure"),
    )
    .await;
    assert_eq!(
        (status, answer["changed"].clone(), answer["state"].clone()),
        (StatusCode::OK, json!(false), json!("delivered"))
    );
    let state: String = sqlx::query_scalar("SELECT state FROM notification WHERE id = $1")
        .bind(sms)
        .fetch_one(&pool)
        .await
        .expect("state");
    assert_eq!(state, "delivered");

    app.terminate(Duration::from_secs(20));
    let text = std::fs::read_to_string(&log).expect("log");
    let _ = std::fs::remove_file(&log);
    assert!(
        text.matches("rejected a malformed delivery receipt")
            .count()
            >= 5,
        "each rejection is logged"
    );
    let a = &g.body["applicant"];
    let own = [
        a["phone"].as_str(),
        a["id_number"].as_str(),
        a["full_name"].as_str(),
    ];
    for secret in PLANTED.iter().copied().chain(own.into_iter().flatten()) {
        assert!(
            !text.contains(secret),
            "the log contains personal data ({} chars)",
            secret.len()
        );
    }
}
