//! Dossiers through four status changes, the notifications each should cause, and
//! waiting for the notifications to finish.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use futures::StreamExt;
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::common::TestDb;
use crate::feed;

/// Citizen channels a submission asks for, from its body alone (the rule stated in the
/// intake API docs: the chosen list, or SMS and e-mail where contact data exists).
pub fn citizen_channels(body: &Value) -> Vec<&'static str> {
    let a = &body["applicant"];
    let (phone, email) = (a.get("phone").is_some(), a.get("email").is_some());
    let chosen = a["notify_channels"]
        .as_array()
        .map(|l| l.iter().filter_map(|c| c.as_str()).collect::<Vec<_>>());
    let wants = |c: &str| chosen.as_ref().map_or(c != "zalo", |l| l.contains(&c));
    let mut out = vec![];
    if phone && wants("sms") {
        out.push("sms");
    }
    if email && wants("email") {
        out.push("email");
    }
    if phone && wants("zalo") {
        out.push("zalo");
    }
    out
}

/// Submits `n` dossiers, waits for the pipeline, moves every routed dossier to processing
/// then completed through the agency API; returns the notifications expected per channel.
pub async fn run(
    api: &str,
    db: &TestDb,
    pool: &PgPool,
    seed: u64,
    population_size: usize,
    n: usize,
) -> BTreeMap<String, usize> {
    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(seed, population_size, &catalog);
    let mix = Mix {
        unknown: 0.0,
        wrong_birth: 0.0,
    };
    let generated = generate(&pop, &catalog, n, seed, mix);
    let items = generated
        .iter()
        .map(|g| Outgoing {
            body: g.body.clone(),
            idempotency_key: g.idempotency_key.clone(),
        })
        .collect();
    let url = Url::parse(&format!("{api}/")).expect("url");
    let sent = submit_all(&url, items, 16, false).await.expect("submit");
    let bodies: HashMap<Uuid, &Value> = sent
        .iter()
        .zip(&generated)
        .map(|(s, g)| match s {
            Sent::Accepted(id) => (*id, &g.body),
            other => panic!("not accepted: {other:?}"),
        })
        .collect();
    feed::wait_routed(pool, n as i64).await;

    let rows: Vec<(Uuid, String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT id, stage, agency_id, dossier_code FROM dossier")
            .fetch_all(pool)
            .await
            .expect("dossiers");
    let routed = rows.iter().filter(|r| r.1 == "routed").count();
    assert!(
        routed * 10 >= n * 9,
        "most dossiers are routed: {routed}/{n}"
    );
    let mut tokens = HashMap::new();
    let mut updates = vec![];
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for (id, stage, agency, code) in &rows {
        // Status changes per final stage: the portals hear of each, the citizen of each
        // change with a template (processing has none).
        let (changes, citizen) = match stage.as_str() {
            "routed" => (4, 3),
            "refused" => (2, 2),
            _ => (1, 1),
        };
        *expected.entry("national_portal".into()).or_default() += changes;
        *expected.entry("portal_webhook".into()).or_default() += changes;
        for c in citizen_channels(bodies[id]) {
            *expected.entry(c.into()).or_default() += citizen;
        }
        if let (Some(agency), Some(code), "routed") = (agency, code, stage.as_str()) {
            let token = tokens
                .entry(agency.clone())
                .or_insert_with(|| feed::issue_token(db, agency))
                .clone();
            updates.push((code.clone(), token));
        }
    }
    let http = Client::new();
    let done: Vec<()> = futures::stream::iter(updates)
        .map(|(code, token)| {
            let http = http.clone();
            async move {
                for status in ["processing", "completed"] {
                    let body = json!({ "status": status, "officer": "CB-07" });
                    let r = feed::status_update(&http, api, &code, &token, body, None).await;
                    assert_eq!(r.status(), StatusCode::OK, "{status} for {code}");
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    println!(
        "{} dossiers, {} moved to processing and completed",
        rows.len(),
        done.len()
    );
    expected
}

/// Waits until every expected notification outside `skip` exists and is finished
/// (no longer queued, in flight or awaiting a receipt); returns how long it took.
pub async fn wait_finished(
    pool: &PgPool,
    expected: &BTreeMap<String, usize>,
    skip: &[&str],
    limit: Duration,
) -> Duration {
    let want: i64 = expected
        .iter()
        .filter(|(c, _)| !skip.contains(&c.as_str()))
        .map(|(_, n)| *n as i64)
        .sum();
    let skip: Vec<String> = skip.iter().map(|s| (*s).to_owned()).collect();
    let started = Instant::now();
    loop {
        let (finished, open): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE state NOT IN ('queued', 'sending', 'sent')),
                    count(*) FILTER (WHERE state IN ('queued', 'sending', 'sent'))
               FROM notification WHERE NOT channel = ANY($1)",
        )
        .bind(&skip)
        .fetch_one(pool)
        .await
        .expect("notification states");
        if finished >= want && open == 0 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{finished}/{want} notifications (outside {skip:?}) finished, {open} open, after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
