//! The portal's side of the chaos test: submissions at a steady rate, each retried with
//! its idempotency key until the intake accepts it, however long the intake or its
//! database is down. A 4xx other than 429 is a test failure (the dossiers are valid).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use futures::StreamExt;
use serde_json::Value;
use uuid::Uuid;

/// The development portal token the intake admits by default.
pub const PORTAL_TOKEN: &str = "local-portal-token";

/// What the portal got for its submissions.
pub struct Submitted {
    /// Accepted dossier id → the body sent.
    pub accepted: HashMap<Uuid, Value>,
    /// Attempts beyond the first (the intake was down, restarting or refusing).
    pub retries: u64,
    /// Wall time from the first submission to the last acceptance.
    pub took: Duration,
}

/// Generates `n` dossiers (a few unknown to CSDLQG or with a wrong birth date: they end
/// refused or in triage, not dead-lettered) and submits them at `rate` per second.
pub async fn submit(
    api: &str,
    seed: u64,
    population_size: usize,
    n: usize,
    rate: f64,
    limit: Duration,
) -> Submitted {
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(seed, population_size, &catalog);
    let mix = Mix {
        unknown: 0.02,
        wrong_birth: 0.03,
    };
    let generated = generate(&pop, &catalog, n, seed, mix);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let url = format!("{api}/v1/dossiers");
    let retries = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let gap = Duration::from_secs_f64(1.0 / rate.max(0.1));
    let results: Vec<(Uuid, Value)> = futures::stream::iter(generated.into_iter().enumerate())
        .map(|(i, g)| {
            let (http, url, retries) = (http.clone(), url.clone(), retries.clone());
            async move {
                tokio::time::sleep_until((started + gap * i as u32).into()).await;
                let id =
                    submit_one(&http, &url, &g.body, &g.idempotency_key, &retries, limit).await;
                (id, g.body)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    Submitted {
        accepted: results.into_iter().collect(),
        retries: retries.load(Ordering::Relaxed),
        took: started.elapsed(),
    }
}

async fn submit_one(
    http: &reqwest::Client,
    url: &str,
    body: &Value,
    key: &str,
    retries: &AtomicU64,
    limit: Duration,
) -> Uuid {
    let started = Instant::now();
    let mut last: String;
    loop {
        let r = http
            .post(url)
            .bearer_auth(PORTAL_TOKEN)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {
                let v: Value = r.json().await.expect("accepted body");
                return v["dossier_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("dossier_id in the answer");
            }
            Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                last = format!("HTTP {}", r.status());
            }
            Ok(r) => {
                let status = r.status();
                panic!(
                    "a valid dossier was refused: {status} {}",
                    r.text().await.unwrap_or_default()
                );
            }
            Err(e) => {
                last = if e.is_timeout() {
                    "timeout"
                } else {
                    "connection"
                }
                .into()
            }
        }
        assert!(
            started.elapsed() < limit,
            "a submission was not accepted within {limit:?}: last {last}"
        );
        retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
