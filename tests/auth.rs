//! System test: authentication of the intake API's portal clients and of the admin
//! port's scrapers, against the real binary, broker and PostgreSQL.
//!
//! - `POST /v1/dossiers` and `GET /v1/dossiers/{id}` answer `401` (JSON error body,
//!   `WWW-Authenticate: Bearer`) without a token or with an unknown one, and accept either
//!   of a client's two tokens during a rotation; `dossierflow submit` sends its
//!   `--portal-token`; the served OpenAPI document declares the requirement.
//! - `/metrics` needs a scraper token when `DOSSIER__ADMIN__TOKENS` is set; `/health`
//!   stays open; an open `/metrics` on a non-loopback address refuses to start.
//! - Kafka security settings this build cannot speak stop the process at start-up with
//!   an error naming the `kafka-tls` feature.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{BIN, TestDb, free_port, require_broker, start_app};
use dossierflow_runtime::tokens::BearerDigests;
use serde_json::{Value, json};
use uuid::Uuid;

const OLD: &str = "portal-token-2026-q3";
const NEW: &str = "portal-token-2026-q4";
const SCRAPER: &str = "prometheus-scrape-token";

fn submission() -> Value {
    json!({
        "procedure_code": "1.001193",
        "applicant": {"full_name": "Trần Thị Bích Ngọc", "id_number": "025190000123",
                      "birth_date": "20/04/1990", "phone": "0912345678"}
    })
}

/// Checks a `401` answer: status, challenge and the API's JSON error body.
async fn assert_unauthenticated(r: reqwest::Response, what: &str) {
    assert_eq!(r.status(), 401, "{what}");
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer"),
        "{what}"
    );
    let body: Value = r.json().await.expect("json error body");
    assert_eq!(body["error"], "unauthenticated", "{what}: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_and_admin_endpoints_require_their_tokens() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    // One client in the middle of a rotation: its old and new tokens are both valid.
    let portal = format!(
        "portal:{},portal:{}",
        BearerDigests::digest_hex(OLD),
        BearerDigests::digest_hex(NEW)
    );
    let admin = format!("prometheus:{}", BearerDigests::digest_hex(SCRAPER));
    let app = start_app(
        "intake",
        &db,
        &prefix,
        None,
        &[
            ("DOSSIER__INTAKE__PORTAL_TOKENS", portal.as_str()),
            ("DOSSIER__ADMIN__TOKENS", admin.as_str()),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/dossiers", app.api);
    let post = |token: Option<&'static str>, key: &'static str| {
        let mut req = http
            .post(&url)
            .header("idempotency-key", key)
            .json(&submission());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };

    let r = post(None, "k0").await.expect("post");
    assert_unauthenticated(r, "no token").await;
    let r = post(Some("not-a-token"), "k1").await.expect("post");
    assert_unauthenticated(r, "wrong token").await;
    // The development token is not configured here, so it is just another wrong token.
    let r = post(Some(common::PORTAL_TOKEN), "k2").await.expect("post");
    assert_unauthenticated(r, "unconfigured dev token").await;

    let mut ids = vec![];
    for (token, key) in [(OLD, "k3"), (NEW, "k4")] {
        let r = post(Some(token), key).await.expect("post");
        assert_eq!(r.status(), 202, "rotated token {token}");
        let body: Value = r.json().await.expect("json");
        ids.push(body["dossier_id"].as_str().expect("id").to_owned());
    }
    let pool = db.pool().await;
    let (stored,): (i64,) = sqlx::query_as("SELECT count(*) FROM dossier")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(stored, 2, "refused requests store nothing");

    let view = format!("{}/v1/dossiers/{}", app.api, ids[0]);
    let r = http.get(&view).send().await.expect("get");
    assert_unauthenticated(r, "GET without token").await;
    let r = http
        .get(&view)
        .bearer_auth("nope")
        .send()
        .await
        .expect("get");
    assert_unauthenticated(r, "GET with a wrong token").await;
    let r = http.get(&view).bearer_auth(NEW).send().await.expect("get");
    assert_eq!(r.status(), 200);

    // `dossierflow submit` authenticates with --portal-token (or its env variable).
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/producers/samples/submissions.json"
    );
    let submit = |token: &str| {
        Command::new(BIN)
            .args([
                "submit",
                "--api",
                &format!("{}/", app.api),
                "--file",
                sample,
            ])
            .env("DOSSIER__SUBMIT__PORTAL_TOKEN", token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run submit")
    };
    assert!(submit(OLD).success(), "submit with a configured token");
    assert!(
        !submit("wrong").success(),
        "submit with a wrong token fails"
    );

    // The served document declares the bearer requirement and the 401.
    let doc: Value = http
        .get(format!("{}/openapi.json", app.api))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    for (path, method) in [("/v1/dossiers", "post"), ("/v1/dossiers/{id}", "get")] {
        let op = &doc["paths"][path][method];
        assert!(op["security"][0]["portal_token"].is_array(), "{path}: {op}");
        assert!(op["responses"]["401"].is_object(), "{path}: 401");
    }

    // Admin port: /metrics behind the scraper token, /health open.
    let metrics = format!("{}/metrics", app.admin);
    let r = http.get(&metrics).send().await.expect("get");
    assert_eq!(r.status(), 401, "metrics without a token");
    let r = http
        .get(&metrics)
        .bearer_auth(OLD)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401, "a portal token is not a scraper token");
    let r = http
        .get(&metrics)
        .bearer_auth(SCRAPER)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("text").contains("dossier_"));
    let r = http
        .get(format!("{}/health", app.admin))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200, "probes need no token");
}

/// Runs `dossierflow` expecting it to stop on its own; returns its stderr.
fn refused(args: &[&str], env: &[(&str, String)]) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let Ok(out) = rx.recv_timeout(Duration::from_secs(20)) else {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("dossierflow {args:?} kept running: it should have refused to start");
    };
    let out = out.expect("output");
    assert!(!out.status.success(), "{args:?} must exit non-zero");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_open_metrics_endpoint_beyond_loopback_refuses_to_start() {
    let db = TestDb::new();
    let env = vec![
        ("DOSSIER__KAFKA__BROKERS", "127.0.0.1:9".to_owned()),
        ("DOSSIER__DATABASE__URL", db.url.clone()),
        (
            "DOSSIER__INTAKE__ADDR",
            format!("127.0.0.1:{}", free_port()),
        ),
        ("DOSSIER__ADMIN__ADDR", format!("0.0.0.0:{}", free_port())),
    ];
    let stderr = refused(&["intake"], &env);
    assert!(
        stderr.contains("refusing to serve an open /metrics")
            && stderr.contains("DOSSIER__ADMIN__TOKENS"),
        "{stderr}"
    );
}

#[test]
fn kafka_tls_settings_without_the_feature_stop_at_start_up() {
    if cfg!(feature = "kafka-tls") {
        return; // a TLS build accepts them (unit tests cover the mapping)
    }
    let env = vec![
        ("DOSSIER__KAFKA__SECURITY_PROTOCOL", "sasl_ssl".to_owned()),
        ("DOSSIER__KAFKA__SASL_MECHANISM", "SCRAM-SHA-512".to_owned()),
        ("DOSSIER__KAFKA__SASL_USERNAME", "dossierflow".to_owned()),
        ("DOSSIER__KAFKA__SASL_PASSWORD", "s3cret-pass".to_owned()),
    ];
    let stderr = refused(&["topics", "--brokers", "127.0.0.1:9"], &env);
    assert!(stderr.contains("--features kafka-tls"), "{stderr}");
    assert!(
        !stderr.contains("s3cret-pass"),
        "the password is never printed"
    );
}
