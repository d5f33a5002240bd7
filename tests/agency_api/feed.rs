//! Issuing tokens, pulling an agency's feed page by page, waiting for the pipeline.

use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::common::{self, TestDb};

pub fn issue_token(db: &TestDb, agency: &str) -> String {
    let out = std::process::Command::new(common::BIN)
        .args(["agency-token", "--agency", agency])
        .env("DOSSIER__DATABASE__URL", &db.url)
        .output()
        .expect("run agency-token");
    assert!(out.status.success(), "agency-token failed: {out:?}");
    let token = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(
        token.len() >= 43,
        "a 32-byte base64url token, got {token:?}"
    );
    token
}

pub async fn pull_all(http: &Client, api: &str, agency: &str, token: &str) -> Vec<Value> {
    let mut all = vec![];
    let mut after: Option<String> = None;
    for _ in 0..100 {
        let mut url = format!("{api}/v1/agencies/{agency}/dossiers?limit=2");
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let req = http.get(url).bearer_auth(token);
        let page: Value = req
            .send()
            .await
            .expect("pull")
            .error_for_status()
            .expect("200")
            .json()
            .await
            .expect("json");
        let dossiers = page["dossiers"].as_array().expect("dossiers");
        assert!(dossiers.len() <= 2, "the limit is honoured");
        all.extend(dossiers.iter().cloned());
        after = page["next_cursor"].as_str().map(str::to_owned);
        if !page["has_more"].as_bool().expect("has_more") {
            return all;
        }
    }
    panic!("pagination did not end");
}

pub async fn wait_routed(pool: &PgPool, n: i64) {
    let started = Instant::now();
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM dossier WHERE stage IN ('routed', 'refused', 'triage')",
        )
        .fetch_one(pool)
        .await
        .unwrap_or(0);
        if done == n {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "only {done}/{n} dossiers final"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn status_update(
    http: &Client,
    api: &str,
    code: &str,
    token: &str,
    body: Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = http
        .post(format!("{api}/v1/dossiers/{code}/status"))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.expect("post status")
}

pub async fn wait_notified(pool: &PgPool, id: Uuid) {
    let started = Instant::now();
    loop {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notification WHERE dossier_id = $1 AND status_code = 4",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap_or(0);
        if n > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "status 4 was not notified"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
