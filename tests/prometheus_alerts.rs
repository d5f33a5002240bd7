//! System test with a real Prometheus server: it scrapes the running pipeline's admin
//! port and evaluates the repository's own rule files (`ops/prometheus/rules/`). A CSDLQG
//! outage must make `CsdlqgCircuitOpen` fire, seen through Prometheus's HTTP API, and the
//! alert must resolve by itself after the outage ends.
//!
//! Needs `prometheus` on the PATH (`ops/stack test` installs Debian's package).

mod common;

use std::time::{Duration, Instant};

use common::{Proc, TestDb, free_port, require_broker, start_app, start_sim};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, submit_all};
use reqwest::Url;
use serde_json::{Value, json};
use uuid::Uuid;

const SEED: u64 = 77;
const POPULATION: usize = 1_000;
const ALERT: &str = "CsdlqgCircuitOpen";

/// A Prometheus server scraping `target` every second and evaluating the repository's
/// rules every second.
fn start_prometheus(target: &str, dir: &std::path::Path) -> (Proc, String) {
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/ops/prometheus/rules");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - {rules}/alerts.yml\n  - {rules}/recording.yml\n\
         scrape_configs:\n  - job_name: dossierflow\n    static_configs:\n      - targets: ['{target}']\n"
    );
    let file = dir.join("prometheus.yml");
    std::fs::write(&file, config).expect("prometheus config");
    let port = free_port();
    let child = std::process::Command::new("prometheus")
        .arg(format!("--config.file={}", file.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("prometheus is not installed: run the tests with `ops/stack test` (it installs Debian's prometheus package)");
    (Proc(child), format!("http://127.0.0.1:{port}"))
}

/// The state of `ALERT` in Prometheus (`pending`, `firing`), or `None` when inactive.
async fn alert_state(prom: &str) -> Option<String> {
    let body: Value = reqwest::get(format!("{prom}/api/v1/alerts"))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body["data"]["alerts"]
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == ALERT)
        .and_then(|a| a["state"].as_str().map(str::to_owned))
}

/// Waits until `want(state)` holds; returns how long it took.
async fn wait_alert(
    prom: &str,
    limit: Duration,
    what: &str,
    want: impl Fn(Option<&str>) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let state = alert_state(prom).await;
        if want(state.as_deref()) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{ALERT} not {what} within {limit:?} (state {state:?})"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_circuit_open_alert_fires_in_prometheus_during_an_outage_and_resolves_after() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, POPULATION, &[]).await;
    // Open for 45 s: longer than the alert's `for: 30s`, so no half-open probe interrupts
    // the pending period; after the outage the first probe closes the circuit.
    let env = [
        ("DOSSIER__CSDLQG__OPEN_FOR", "45s"),
        ("DOSSIER__CSDLQG__ATTEMPTS", "1"),
    ];
    let app = start_app("run", &db, &prefix, Some(&sim), &env).await;
    let dir = std::env::temp_dir().join(format!("dossierflow-prom-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let target = app.admin.trim_start_matches("http://").to_owned();
    let (_prom, prom) = start_prometheus(&target, &dir);
    common::wait_http_ok(&format!("{prom}/-/ready"), Duration::from_secs(60)).await;

    // Prometheus scrapes the pipeline and sees a closed circuit: no alert.
    let started = Instant::now();
    loop {
        let q: Value = reqwest::get(format!(
            "{prom}/api/v1/query?query=dossier_csdlqg_circuit_state"
        ))
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
        if let Some(v) = q["data"]["result"][0]["value"][1].as_str() {
            assert_eq!(v, "0", "the circuit starts closed");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Prometheus never scraped the pipeline: {q}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(alert_state(&prom).await, None);

    // Outage, with dossiers arriving so that verification fails and the breaker opens.
    let http = reqwest::Client::new();
    let config = format!("{}/admin/config", sim.url);
    http.post(&config)
        .json(&json!({"outage": true}))
        .send()
        .await
        .expect("outage on");
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, POPULATION, &catalog);
    let mix = Mix {
        unknown: 0.0,
        wrong_birth: 0.0,
    };
    let items: Vec<Outgoing> = generate(&pop, &catalog, 60, SEED, mix)
        .into_iter()
        .map(|g| Outgoing {
            body: g.body,
            idempotency_key: g.idempotency_key,
        })
        .collect();
    submit_all(
        &Url::parse(&format!("{}/", app.api)).expect("url"),
        items,
        8,
        false,
    )
    .await
    .expect("submit");
    let fired = wait_alert(&prom, Duration::from_secs(120), "firing", |s| {
        s == Some("firing")
    })
    .await;
    println!("{ALERT} firing {fired:?} after the outage began");
    assert!(
        fired >= Duration::from_secs(30),
        "the alert waits its `for: 30s` ({fired:?})"
    );

    // Recovery: the half-open probe succeeds, the circuit closes, the alert resolves.
    http.post(&config)
        .json(&json!({"outage": false}))
        .send()
        .await
        .expect("outage off");
    let resolved = wait_alert(&prom, Duration::from_secs(120), "resolved", |s| s.is_none()).await;
    println!("{ALERT} resolved {resolved:?} after the outage ended");
    let _ = std::fs::remove_dir_all(&dir);
}
