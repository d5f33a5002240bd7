//! System test: webhook push delivery without Kafka on the agency side. Two
//! `webhook-sim` receivers for two agencies, one failing at first: the healthy agency
//! receives all its dossiers promptly while the other's endpoint is down; after it
//! recovers it receives every one of its dossiers exactly once (no duplicate
//! idempotency key), and no signature is refused.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::{BIN, Proc, TestDb, free_port, metric, require_broker, start_app, start_sim};
use dossierflow_domain::{Catalog, Level};
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use reqwest::Url;
use serde_json::{Value, json};
use uuid::Uuid;

const SEED: u64 = 91;
const POPULATION: usize = 1_000;
const PER_AGENCY: usize = 15;
/// The acceptance criterion: an endpoint failing for two minutes, then recovering.
const FAILURE_WINDOW: Duration = Duration::from_secs(120);

struct Receiver {
    _proc: Proc,
    url: String,
}

async fn start_receiver(secret: &str, fail: bool) -> Receiver {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec!["webhook-sim", "--addr", &addr, "--secret", secret];
    if fail {
        args.push("--fail");
    }
    let mut proc = Proc::spawn(&args, &[]);
    let url = format!("http://{addr}");
    proc.wait_ready(&format!("{url}/health"), Duration::from_secs(30))
        .await;
    Receiver { _proc: proc, url }
}

async fn stats(r: &Receiver) -> Value {
    reqwest::get(format!("{}/admin/stats", r.url))
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats json")
}

fn configure(db: &TestDb, agency: &str, url: &str, secret: &str) {
    let out = std::process::Command::new(BIN)
        .args(["agency-webhook", "--agency", agency, "--url", url])
        .args(["--secret-env", "TEST_HOOK_SECRET"])
        .env("DOSSIER__DATABASE__URL", &db.url)
        .env("TEST_HOOK_SECRET", secret)
        .output()
        .expect("agency-webhook");
    assert!(
        out.status.success(),
        "agency-webhook failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until `r` has received `n` dossiers; returns the time it took.
async fn wait_received(r: &Receiver, n: u64, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let s = stats(r).await;
        if s["received"].as_u64() == Some(n) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{} received {s} within {limit:?}, want {n}",
            r.url
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_delays_only_its_own_agency_and_nothing_is_doubled() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());

    // Pick the two province agencies that receive most generated dossiers.
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, POPULATION, &catalog);
    let generated = generate(
        &pop,
        &catalog,
        400,
        SEED,
        Mix {
            unknown: 0.0,
            wrong_birth: 0.0,
        },
    );
    let mut by_agency: HashMap<String, Vec<Outgoing>> = HashMap::new();
    for g in &generated {
        let code = g.body["procedure_code"].as_str().expect("procedure code");
        let p = catalog
            .procedures()
            .iter()
            .find(|p| p.code.as_str() == code)
            .expect("known procedure");
        if p.level == Level::Province
            && let Some(a) = p.agencies.first()
        {
            by_agency
                .entry(a.as_str().to_owned())
                .or_default()
                .push(Outgoing {
                    body: g.body.clone(),
                    idempotency_key: g.idempotency_key.clone(),
                });
        }
    }
    let mut agencies: Vec<(String, Vec<Outgoing>)> = by_agency.into_iter().collect();
    agencies.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    assert!(agencies.len() >= 2, "two province agencies in the sample");
    let (healthy_id, mut healthy_items) = agencies.remove(0);
    let (failing_id, mut failing_items) = agencies.remove(0);
    healthy_items.truncate(PER_AGENCY);
    failing_items.truncate(PER_AGENCY);
    let (n_healthy, n_failing) = (healthy_items.len(), failing_items.len());
    println!(
        "healthy agency {healthy_id}: {n_healthy} dossiers; failing agency {failing_id}: {n_failing}"
    );

    let healthy = start_receiver("healthy-secret", false).await;
    let failing = start_receiver("failing-secret", true).await;
    configure(
        &db,
        &healthy_id,
        &format!("{}/hook", healthy.url),
        "healthy-secret",
    );
    configure(
        &db,
        &failing_id,
        &format!("{}/hook", failing.url),
        "failing-secret",
    );

    let secrets: Vec<(String,)> = sqlx::query_as("SELECT webhook_secret FROM agency_endpoint")
        .fetch_all(&db.pool().await)
        .await
        .expect("secrets");
    assert!(
        secrets
            .iter()
            .all(|(s,)| s.starts_with("sealed:") && !s.contains("-secret")),
        "secrets are stored sealed"
    );

    let sim = start_sim(SEED, POPULATION, &[]).await;
    let app = start_app(
        "run",
        &db,
        &prefix,
        Some(&sim),
        &[
            ("DOSSIER__WEBHOOK__BACKOFF_BASE", "500ms"),
            ("DOSSIER__WEBHOOK__BACKOFF_CAP", "2s"),
            ("DOSSIER__WEBHOOK__POLL", "100ms"),
            ("DOSSIER__WEBHOOK__TIMEOUT", "2s"),
            // Two minutes at a 2 s cap is about 60 attempts: stay inside the budget.
            ("DOSSIER__WEBHOOK__MAX_ATTEMPTS", "500"),
        ],
    )
    .await;

    let mut items = healthy_items;
    items.extend(failing_items);
    let api = Url::parse(&format!("{}/", app.api)).expect("url");
    let submitted = Instant::now();
    let sent = submit_all(&api, items, 8, false).await.expect("submit");
    assert!(
        sent.iter().all(|s| matches!(s, Sent::Accepted(_))),
        "{sent:?}"
    );

    let healthy_took = wait_received(&healthy, n_healthy as u64, Duration::from_secs(30)).await;
    println!("healthy agency: all {n_healthy} dossiers received {healthy_took:?} after submission");
    let f = stats(&failing).await;
    assert_eq!(f["received"], 0, "the failing endpoint answered 503: {f}");

    let pool = db.pool().await;
    let (p50, max): (f64, f64) = sqlx::query_as(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), max(d) FROM (
           SELECT EXTRACT(EPOCH FROM delivered_at - created_at)::float8 AS d
           FROM webhook_delivery WHERE agency_id = $1 AND state = 'delivered') x",
    )
    .bind(&healthy_id)
    .fetch_one(&pool)
    .await
    .expect("latency");
    println!(
        "healthy agency: queued→delivered p50 {:.0} ms, max {:.0} ms",
        p50 * 1e3,
        max * 1e3
    );

    tokio::time::sleep(FAILURE_WINDOW.saturating_sub(submitted.elapsed())).await;
    let f = stats(&failing).await;
    assert!(
        f["failed"].as_u64().unwrap_or(0) > 0,
        "deliveries were attempted while down: {f}"
    );
    let (pending,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM webhook_delivery WHERE agency_id = $1 AND state = 'pending' AND attempts > 0",
    )
    .bind(&failing_id)
    .fetch_one(&pool)
    .await
    .expect("pending");
    println!(
        "failing agency after {:?}: {f}; {pending} rows pending with failed attempts",
        submitted.elapsed()
    );
    assert!(metric(&app.admin, "dossier_webhook_deliveries_total{agency=\"").await > 0.0);

    reqwest::Client::new()
        .post(format!("{}/admin/config", failing.url))
        .json(&json!({ "fail": false }))
        .send()
        .await
        .expect("recover");
    let recovered_took = wait_received(&failing, n_failing as u64, Duration::from_secs(30)).await;
    println!("failing agency: all {n_failing} dossiers received {recovered_took:?} after recovery");

    tokio::time::sleep(Duration::from_secs(2)).await;
    for (r, id, n) in [
        (&healthy, &healthy_id, n_healthy),
        (&failing, &failing_id, n_failing),
    ] {
        let s = stats(r).await;
        assert_eq!(s["received"].as_u64(), Some(n as u64), "{id}: {s}");
        assert_eq!(s["duplicates"], 0, "{id}: no idempotency key twice: {s}");
        assert_eq!(s["bad_signature"], 0, "{id}: {s}");
        let dossiers: HashSet<&str> = s["dossiers"]
            .as_array()
            .expect("dossiers")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let routed: Vec<(Uuid,)> = sqlx::query_as("SELECT id FROM dossier WHERE agency_id = $1")
            .bind(id)
            .fetch_all(&pool)
            .await
            .expect("routed");
        let want: HashSet<String> = routed.iter().map(|(u,)| u.to_string()).collect();
        assert_eq!(dossiers.len(), n, "{id}: distinct dossiers");
        assert!(
            want.iter().all(|w| dossiers.contains(w.as_str())),
            "{id}: every routed dossier arrives"
        );
    }
    let (dead,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM webhook_delivery WHERE state <> 'delivered'")
            .fetch_one(&pool)
            .await
            .expect("undelivered");
    assert_eq!(dead, 0, "every queued delivery is delivered");
}
