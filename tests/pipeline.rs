//! System test: the real `dossierflow` binary (all stages) and the real CSDLQG simulator
//! process against the real broker and PostgreSQL. 200 dossiers — known applicants,
//! unknown ones, wrong dates of birth — go in through the intake API; every one must
//! reach a final state with the right verification outcome, every routed dossier must
//! appear exactly once on its agency's topic, every status change must produce exactly
//! one notification per channel, and SIGTERM must stop the process cleanly within 10 s.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{TestDb, require_broker, start_app, start_sim};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Expected, Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, Sent, submit_all};
use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{Consumer, StreamConsumer};
use reqwest::Url;
use sqlx::PgPool;
use uuid::Uuid;

/// id, stage, verification, agency, status, mismatched fields.
type DossierRow = (
    Uuid,
    String,
    Option<String>,
    Option<String>,
    i16,
    Vec<String>,
);

const DOSSIERS: usize = 200;
const SEED: u64 = 77;
const POPULATION: usize = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_dossiers_flow_end_to_end_exactly_once() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, POPULATION, &[]).await;
    let mut app = start_app("run", &db, &prefix, Some(&sim), &[]).await;

    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, POPULATION, &catalog);
    let generated = generate(
        &pop,
        &catalog,
        DOSSIERS,
        SEED,
        Mix {
            unknown: 0.15,
            wrong_birth: 0.15,
        },
    );
    for kind in [Expected::Verified, Expected::NotFound, Expected::Mismatch] {
        assert!(
            generated.iter().any(|g| g.expected == kind),
            "the sample must contain {kind:?}"
        );
    }
    let items = generated
        .iter()
        .map(|g| Outgoing {
            body: g.body.clone(),
            idempotency_key: g.idempotency_key.clone(),
        })
        .collect();
    let api = Url::parse(&format!("{}/", app.api)).expect("url");
    let sent = submit_all(&api, items, 16, false).await.expect("submit");
    let expected: HashMap<Uuid, Expected> = sent
        .iter()
        .zip(&generated)
        .map(|(s, g)| match s {
            Sent::Accepted(id) => (*id, g.expected),
            other => panic!("submission not accepted: {other:?}"),
        })
        .collect();

    let pool = db.pool().await;
    wait_until_final(&pool, DOSSIERS as i64, Duration::from_secs(120)).await;

    let rows: Vec<DossierRow> = sqlx::query_as(
        "SELECT id, stage, verification, agency_id, status, mismatch_fields FROM dossier",
    )
    .fetch_all(&pool)
    .await
    .expect("dossiers");
    assert_eq!(rows.len(), DOSSIERS);
    let mut routed: HashMap<Uuid, String> = HashMap::new();
    for (id, stage, verification, agency, status, mismatched) in &rows {
        let want = expected[id];
        assert_eq!(verification.as_deref(), Some(want.as_str()), "dossier {id}");
        match want {
            Expected::Verified => {
                assert_eq!(stage, "routed", "verified dossier {id} must be routed");
                assert_eq!(*status, 2);
                routed.insert(*id, agency.clone().expect("agency"));
            }
            _ => {
                assert_eq!(stage, "refused", "dossier {id}");
                assert_eq!(*status, 3);
            }
        }
        match want {
            Expected::Mismatch => assert_eq!(mismatched, &["birth_date"], "dossier {id}"),
            _ => assert!(mismatched.is_empty(), "dossier {id}: {mismatched:?}"),
        }
    }

    let delivered = read_agency_topics(&prefix, routed.len()).await;
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    for (id, topic) in &delivered {
        *seen.entry(*id).or_default() += 1;
        let agency = routed
            .get(id)
            .unwrap_or_else(|| panic!("{id} delivered but not routed"));
        assert_eq!(
            topic,
            &format!("{prefix}agency.{agency}.dossiers.v1"),
            "delivered to the wrong agency"
        );
    }
    assert_eq!(
        seen.len(),
        routed.len(),
        "every routed dossier reaches its agency"
    );
    assert!(
        seen.values().all(|&n| n == 1),
        "no dossier is delivered twice"
    );

    assert_one_notification_per_status_and_channel(&pool).await;

    let metrics = reqwest::get(format!("{}/metrics", app.admin))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for stage in ["verify", "enrich", "route", "notify"] {
        let line =
            format!("dossier_stage_messages_total{{stage=\"{stage}\",outcome=\"processed\"}}");
        assert!(metrics.contains(&line), "{line} missing from /metrics");
        // The stage committed through commit groups (members counted per group).
        let sum = format!("dossier_stage_commit_group_size_sum{{stage=\"{stage}\"}} ");
        let members: f64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(sum.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{sum} missing from /metrics"));
        assert!(
            members >= 1.0,
            "{stage} committed no record through a group"
        );
    }
    for g in &generated {
        let id = g.body["applicant"]["id_number"].as_str().expect("id");
        assert!(
            !metrics.contains(id),
            "an applicant ID leaked into /metrics"
        );
    }

    let status = app
        .proc
        .terminate(Duration::from_secs(10))
        .expect("dossierflow must exit within 10 s of SIGTERM");
    assert!(status.success(), "dossierflow exited with {status}");
}

async fn wait_until_final(pool: &PgPool, n: i64, limit: Duration) {
    let started = Instant::now();
    loop {
        let (done, pending): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM dossier WHERE stage IN ('routed', 'refused', 'triage')),
                    (SELECT count(*) FROM dossier_event e WHERE e.type = 'dossier.status.v1' AND NOT EXISTS
                        (SELECT 1 FROM processed_event p WHERE p.consumer = 'notify' AND p.event_id = e.event_id))",
        )
        .fetch_one(pool)
        .await
        .unwrap_or((0, 1));
        if done == n && pending == 0 {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "only {done}/{n} dossiers final ({pending} status changes not notified) after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Reads every agency topic of this test from the beginning until `expected` records
/// arrived, then 3 s more so that a duplicate would be seen.
async fn read_agency_topics(prefix: &str, expected: usize) -> Vec<(Uuid, String)> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", common::brokers())
        .set("group.id", format!("{prefix}test-agency-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("topic.metadata.refresh.interval.ms", "1000")
        .create()
        .expect("consumer");
    let catalog = Catalog::embedded().expect("catalogue");
    let topics: Vec<String> = catalog
        .agencies()
        .iter()
        .map(|a| format!("{prefix}agency.{}.dossiers.v1", a.id))
        .collect();
    let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer.subscribe(&refs).expect("subscribe");
    let mut out = vec![];
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut quiet_until: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if quiet_until.is_some_and(|q| now > q) || now > deadline {
            break;
        }
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_millis(500), consumer.recv()).await {
            let key = std::str::from_utf8(m.key().expect("key")).expect("utf8");
            out.push((
                Uuid::parse_str(key).expect("dossier id key"),
                m.topic().to_owned(),
            ));
        }
        if out.len() >= expected && quiet_until.is_none() {
            quiet_until = Some(Instant::now() + Duration::from_secs(3));
        }
    }
    out
}

async fn assert_one_notification_per_status_and_channel(pool: &PgPool) {
    let statuses: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
        "SELECT e.event_id, d.contact FROM dossier_event e JOIN dossier d ON d.id = e.dossier_id WHERE e.type = 'dossier.status.v1'",
    )
    .fetch_all(pool)
    .await
    .expect("status events");
    assert!(
        statuses.len() >= DOSSIERS * 2,
        "each dossier has at least two status changes"
    );
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT status_event_id, channel FROM notification")
            .fetch_all(pool)
            .await
            .expect("notifications");
    let mut by_event: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (event, channel) in rows {
        by_event.entry(event).or_default().push(channel);
    }
    for (event, contact) in statuses {
        // `run` serves every provider in-process: the portals always, the citizen's
        // channels as chosen (default: SMS and e-mail where contact data exists).
        let mut want = vec!["national_portal".to_owned(), "portal_webhook".to_owned()];
        let chosen = |c: &str| match contact["channels"].as_array() {
            Some(list) => list.iter().any(|x| x == c),
            None => c != "zalo",
        };
        if contact["phone"].is_string() && chosen("sms") {
            want.push("sms".into());
        }
        if contact["email"].is_string() && chosen("email") {
            want.push("email".into());
        }
        if contact["phone"].is_string() && chosen("zalo") {
            want.push("zalo".into());
        }
        let mut got = by_event.remove(&event).unwrap_or_default();
        got.sort();
        want.sort();
        assert_eq!(
            got, want,
            "status event {event} must have one notification per channel"
        );
    }
    assert!(
        by_event.is_empty(),
        "notifications without a status event: {by_event:?}"
    );
}
