//! System test of hostile input (issue #8, part 2) against the real binary, broker and
//! PostgreSQL: every API endpoint that takes input rejects a wrong content type,
//! malformed JSON, an oversized body (the configured limit), unknown fields and invalid
//! values with a JSON error that says why, and applies nothing; every Kafka stage
//! dead-letters records of an unknown envelope version, another event type or version, or
//! a payload with unknown fields, with headers giving the reason, and keeps going.
//!
//! `docs/hostile-input.md` maps each rule and endpoint to the test that proves it; the
//! rules already proven elsewhere (tests/intake.rs, tests/citizen_lookup.rs,
//! tests/agency_api.rs, tests/notifications/receipts.rs, tests/dead_letter.rs) are not
//! repeated here.

#[path = "hostile_input/agency.rs"]
mod agency;
mod common;
#[path = "hostile_input/events.rs"]
mod events;
#[allow(dead_code)]
#[path = "agency_api/feed.rs"]
mod feed;
#[path = "hostile_input/portal.rs"]
mod portal;

use std::time::{Duration, Instant};

use common::{TestDb, require_broker, start_app, start_sim};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_runtime::tokens::BearerDigests;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// The portal token the default configuration accepts.
pub const PORTAL_TOKEN: &str = "local-portal-token";
/// The SMS provider's receipt token configured for these tests.
pub const SMS_RECEIPT_TOKEN: &str = "hostile-receipt-token-sms";
/// The body limit configured for these tests.
pub const MAX_BODY: usize = 4096;
const SEED: u64 = 29;
const POPULATION: usize = 400;

/// Asserts a rejection: its status, a JSON body with this `error` code and a non-empty
/// `message`; returns the body.
pub async fn rejected(r: reqwest::Response, status: u16, error: &str, what: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "{what}: status");
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ctype.starts_with("application/json"), "{what}: {ctype}");
    let body: Value = r.json().await.expect("a JSON error body");
    assert_eq!(body["error"], error, "{what}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: a message says why: {body}"
    );
    body
}

/// The `(field, code)` pairs of a 422 body.
pub fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
                    (s("field"), s("code"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Submits `n` valid generated dossiers with the portal token; returns their ids.
pub async fn submit_valid(http: &Client, api: &str, n: usize, seed: u64) -> Vec<Uuid> {
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(seed, POPULATION, &catalog);
    let mix = Mix {
        unknown: 0.0,
        wrong_birth: 0.0,
    };
    let mut ids = vec![];
    for g in generate(&pop, &catalog, n, seed, mix) {
        let r = http
            .post(format!("{api}/v1/dossiers"))
            .bearer_auth(PORTAL_TOKEN)
            .header("Idempotency-Key", &g.idempotency_key)
            .json(&g.body)
            .send()
            .await
            .expect("submit");
        assert_eq!(r.status(), StatusCode::ACCEPTED, "a valid dossier");
        let body: Value = r.json().await.expect("json");
        ids.push(
            body["dossier_id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("uuid"),
        );
    }
    ids
}

/// Waits until every dossier in `ids` is in a final pipeline stage.
pub async fn wait_final(pool: &PgPool, ids: &[Uuid], limit: Duration) {
    let started = Instant::now();
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM dossier WHERE id = ANY($1) AND stage IN ('routed', 'refused', 'triage')",
        )
        .bind(ids)
        .fetch_one(pool)
        .await
        .unwrap_or(0);
        if done == ids.len() as i64 {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "only {done}/{} dossiers final after {limit:?}",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_rejects_hostile_input_with_a_clear_error() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, POPULATION, &[]).await;
    let receipts = format!("sms:{}", BearerDigests::digest_hex(SMS_RECEIPT_TOKEN));
    let limit = MAX_BODY.to_string();
    let extra = [
        ("DOSSIER__INTAKE__MAX_BODY_BYTES", limit.as_str()),
        ("DOSSIER__NOTIFY__RECEIPT_CLIENTS", receipts.as_str()),
        // A provider of our own configured (at a port nobody listens on), so that `run`
        // does not serve its simulators with their own receipt tokens.
        ("DOSSIER__NOTIFY__SMS_URL", "http://127.0.0.1:9/sms/send"),
        ("DOSSIER__NOTIFY__SMS_KEY", "unused-sms-key"),
    ];
    let app = start_app("run", &db, &prefix, Some(&sim), &extra).await;
    let http = Client::new();

    portal::check_submissions(&http, &app.api).await;
    portal::check_lookups(&http, &app.api).await;
    portal::check_progress_reads(&http, &app.api).await;

    let ids = submit_valid(&http, &app.api, 4, SEED).await;
    let pool = db.pool().await;
    wait_final(&pool, &ids, Duration::from_secs(120)).await;
    agency::check_status_updates(&http, &app.api, &db, &pool).await;
    agency::check_pulls(&http, &app.api, &db, &pool).await;
    agency::check_receipts(&http, &app.api).await;

    let (dossiers,): (i64,) = sqlx::query_as("SELECT count(*) FROM dossier")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(dossiers, 4, "no rejected submission was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stage_dead_letters_unknown_versions_and_keeps_going() {
    events::dead_letters_unknown_versions_and_keeps_going().await;
}
