//! System test: the metric catalogue against a real `/metrics`. `run` handles 20
//! generated dossiers against the CSDLQG simulator on the real broker and PostgreSQL;
//! then every exposed family must be catalogued with the same type, every sample must
//! carry exactly the catalogue's labels, and the families this workload produces —
//! stage messages and durations, consumer lag, outbox, CSDLQG, notifications, build —
//! must be there with values.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use common::{TestDb, require_broker, start_app, start_sim};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use dossierflow_runtime::telemetry::{MetricDoc, Metrics};
use reqwest::Url;
use sqlx::PgPool;
use uuid::Uuid;

const DOSSIERS: usize = 20;
const SEED: u64 = 4242;
const POPULATION: usize = 500;
const STAGES: [&str; 4] = ["verify", "enrich", "route", "notify"];

/// One sample line: its family (from the preceding `# TYPE`), name, labels and value.
#[derive(Debug)]
struct Sample {
    family: String,
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exposed_metric_is_catalogued_and_the_workload_fills_the_expected_ones() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, POPULATION, &[]).await;
    let env = [("DOSSIER__KAFKA__STATS_INTERVAL", "1000")];
    let app = start_app("run", &db, &prefix, Some(&sim), &env).await;

    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, POPULATION, &catalog);
    let mix = Mix {
        unknown: 0.0,
        wrong_birth: 0.0,
    };
    let items = generate(&pop, &catalog, DOSSIERS, SEED, mix)
        .into_iter()
        .map(|g| Outgoing {
            body: g.body,
            idempotency_key: g.idempotency_key,
        })
        .collect();
    let api = Url::parse(&format!("{}/", app.api)).expect("url");
    for sent in submit_all(&api, items, 8, false).await.expect("submit") {
        assert!(matches!(sent, Sent::Accepted(_)), "not accepted: {sent:?}");
    }
    wait_until_routed(&db.pool().await, Duration::from_secs(120)).await;
    // One statistics interval (1 s) and one backlog measurement, with margin.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let metrics = Metrics::new();
    let docs: HashMap<&str, &MetricDoc> = metrics.catalogue().iter().map(|d| (d.name, d)).collect();
    let started = Instant::now();
    loop {
        let text = reqwest::get(format!("{}/metrics", app.admin))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let samples = check_against_catalogue(&text, &docs);
        let missing = missing_expectations(&samples);
        if missing.is_empty() {
            for s in samples
                .iter()
                .filter(|s| s.family.starts_with("dossier_consumer_lag"))
            {
                println!("{} {:?} = {}", s.name, s.labels, s.value);
            }
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "after 30 s, /metrics still lacks: {missing:#?}\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Checks every family and sample against the catalogue; returns the samples.
fn check_against_catalogue(text: &str, docs: &HashMap<&str, &MetricDoc>) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut family: Option<(&str, &MetricDoc)> = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').expect("TYPE line");
            // OpenMetrics: a counter family is `x`, its samples `x_total`.
            let catalogued = if ty == "counter" {
                format!("{name}_total")
            } else {
                name.to_owned()
            };
            let doc = docs
                .get(catalogued.as_str())
                .unwrap_or_else(|| panic!("{catalogued} is exposed but not in the catalogue"));
            assert_eq!(doc.kind.as_str(), ty, "{catalogued}: type differs");
            family = Some((name, doc));
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (fam, doc) = family.unwrap_or_else(|| panic!("sample before any TYPE: {line}"));
        let s = parse_sample(line, fam);
        let suffixes: &[&str] = match doc.kind.as_str() {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            _ => &[""],
        };
        assert!(
            suffixes.iter().any(|x| s.name == format!("{fam}{x}")),
            "sample {} does not belong to family {fam}",
            s.name
        );
        let mut names: Vec<&str> = s.labels.keys().map(String::as_str).collect();
        if s.name.ends_with("_bucket") {
            names.retain(|n| *n != "le");
        }
        let mut want: Vec<&str> = doc.labels.to_vec();
        want.sort_unstable();
        assert_eq!(names, want, "{line}: labels differ from the catalogue");
        samples.push(s);
    }
    assert!(
        text.trim_end().ends_with("# EOF"),
        "OpenMetrics ends with # EOF"
    );
    samples
}

/// `name{k="v",…} value`.
fn parse_sample(line: &str, family: &str) -> Sample {
    let (head, value) = line.rsplit_once(' ').expect("sample value");
    let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
    let (name, labels) = match head.split_once('{') {
        None => (head, BTreeMap::new()),
        Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').expect("}"))),
    };
    Sample {
        family: family.to_owned(),
        name: name.to_owned(),
        labels,
        value,
    }
}

fn parse_labels(mut s: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while !s.is_empty() {
        let (key, rest) = s.split_once("=\"").expect("label=\"");
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next().expect("closing quote") {
                (_, '\\') => value.extend(chars.next().map(|(_, c)| c)),
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        let previous = labels.insert(key.to_owned(), value);
        assert!(previous.is_none(), "label {key} twice");
        s = rest[end + 1..].trim_start_matches(',');
    }
    labels
}

/// What this workload must have produced, as a list of what is still missing.
fn missing_expectations(samples: &[Sample]) -> Vec<String> {
    let sum = |family: &str, filter: &dyn Fn(&Sample) -> bool| -> Option<f64> {
        let matching: Vec<f64> = samples
            .iter()
            .filter(|s| s.family == family && filter(s))
            .map(|s| s.value)
            .collect();
        (!matching.is_empty()).then(|| matching.iter().sum())
    };
    let stage_is = |stage: &'static str| move |s: &Sample| s.labels["stage"] == stage;
    let mut missing = Vec::new();
    let mut want = |what: String, ok: bool| {
        if !ok {
            missing.push(what);
        }
    };
    for stage in STAGES {
        let processed = sum("dossier_stage_messages", &|s| {
            stage_is(stage)(s) && s.labels["outcome"] == "processed"
        });
        want(format!("stage messages of {stage}"), processed > Some(0.0));
        let count = sum("dossier_stage_duration_seconds", &|s| {
            stage_is(stage)(s) && s.name.ends_with("_count")
        });
        want(format!("stage duration of {stage}"), count > Some(0.0));
        let lag = samples
            .iter()
            .filter(|s| s.family == "dossier_consumer_lag_messages" && stage_is(stage)(s))
            .collect::<Vec<_>>();
        want(
            format!("consumer lag messages of {stage} (≥ 0)"),
            !lag.is_empty() && lag.iter().all(|s| s.value >= 0.0),
        );
        let seconds = sum("dossier_consumer_lag_seconds", &stage_is(stage));
        want(
            format!("consumer lag seconds of {stage}"),
            seconds >= Some(0.0),
        );
    }
    let all = |_: &Sample| true;
    let checks = [
        (
            "dossier_outbox_published",
            sum("dossier_outbox_published", &all) > Some(0.0),
        ),
        (
            "dossier_outbox_backlog",
            sum("dossier_outbox_backlog", &all) >= Some(0.0),
        ),
        (
            "dossier_csdlqg_requests",
            sum("dossier_csdlqg_requests", &all) > Some(0.0),
        ),
        (
            "dossier_notification_sends",
            sum("dossier_notification_sends", &all) > Some(0.0),
        ),
        (
            "dossier_build_info",
            sum("dossier_build_info", &all) == Some(1.0),
        ),
    ];
    for (name, ok) in checks {
        want(name.to_owned(), ok);
    }
    missing
}

async fn wait_until_routed(pool: &PgPool, limit: Duration) {
    let started = Instant::now();
    loop {
        let (routed, pending): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM dossier WHERE stage = 'routed'),
                    (SELECT count(*) FROM dossier_event e WHERE e.type = 'dossier.status.v1' AND NOT EXISTS
                        (SELECT 1 FROM processed_event p WHERE p.consumer = 'notify' AND p.event_id = e.event_id))",
        )
        .fetch_one(pool)
        .await
        .unwrap_or((0, 1));
        if routed == DOSSIERS as i64 && pending == 0 {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "only {routed}/{DOSSIERS} dossiers routed ({pending} status changes not notified) after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
