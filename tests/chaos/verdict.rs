//! The chaos test's verdict: after the faults stop and the pipeline drains, everything
//! submitted is in a final state, every routed dossier reached its agency once, every
//! status change was notified once per channel, and nothing valid was dead-lettered.
//! Each check is a table row; the test fails on any row marked FAIL.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::traffic::citizen_channels;

/// Rows of (check, value, passed).
#[derive(Default)]
pub struct Verdict(pub Vec<(String, String, bool)>);

impl Verdict {
    fn check(&mut self, name: &str, value: String, ok: bool) {
        self.0.push((name.to_owned(), value, ok));
    }
    fn info(&mut self, name: &str, value: String) {
        self.0.push((name.to_owned(), value, true));
    }

    /// The checks as a Markdown table.
    pub fn render(&self) -> String {
        let mut out = String::from("\n| check | value | result |\n|---|---|---|\n");
        for (name, value, ok) in &self.0 {
            let result = if *ok { "ok" } else { "FAIL" };
            out.push_str(&format!("| {name} | {value} | {result} |\n"));
        }
        out
    }

    /// Fails the test if any check failed.
    pub fn assert_all(&self) {
        let failed: Vec<&String> = self.0.iter().filter(|r| !r.2).map(|r| &r.0).collect();
        assert!(failed.is_empty(), "chaos checks failed: {failed:?}");
    }
}

/// Notifications each dossier should cause per channel, from its final stage and its
/// submission alone: the portals hear of every status change, the citizen of each on
/// the channels the submission chose (submitted and received, or refused).
pub fn expected_notifications(
    stages: &HashMap<Uuid, String>,
    bodies: &HashMap<Uuid, Value>,
) -> BTreeMap<String, i64> {
    let mut want = BTreeMap::new();
    for (id, stage) in stages {
        let changes = if stage == "triage" { 1 } else { 2 };
        for portal in ["national_portal", "portal_webhook"] {
            *want.entry(portal.to_owned()).or_default() += changes;
        }
        for c in citizen_channels(&bodies[id]) {
            *want.entry(c.to_owned()).or_default() += changes;
        }
    }
    want
}

/// The final stage of every dossier.
pub async fn stages(pool: &PgPool) -> sqlx::Result<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, stage FROM dossier")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Waits (up to `limit`) until the pipeline has drained: every dossier final, the outbox
/// empty, every webhook delivered, and every expected notification created and finished
/// (the notify stage's Kafka backlog is invisible to the database, so the count of
/// notifications must reach what the final states call for). Returns the time it took.
pub async fn wait_drained(
    pool: &PgPool,
    bodies: &HashMap<Uuid, Value>,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    let n = bodies.len() as i64;
    let mut last = String::new();
    let mut printed = Instant::now();
    loop {
        let q = "SELECT
            (SELECT count(*) FROM dossier WHERE stage IN ('routed', 'refused', 'triage')),
            (SELECT count(*) FROM webhook_delivery WHERE state <> 'delivered'),
            (SELECT count(*) FROM notification WHERE state IN ('queued', 'sending', 'sent')),
            (SELECT count(*) FROM outbox),
            (SELECT count(*) FROM notification)";
        let r: Result<(i64, i64, i64, i64, i64), _> = sqlx::query_as(q).fetch_one(pool).await;
        if let Ok((done, hooks, open, outbox, notes)) = r {
            last = format!(
                "{done}/{n} final, {hooks} webhooks and {open} notifications open, {notes} notifications, {outbox} outbox rows"
            );
            if done == n && hooks == 0 && open == 0 && outbox == 0 {
                let want: i64 = match stages(pool).await {
                    Ok(s) => expected_notifications(&s, bodies).values().sum(),
                    Err(_) => -1,
                };
                if notes == want {
                    return started.elapsed();
                }
                last.push_str(&format!(" of {want} expected"));
            }
        }
        if started.elapsed() > limit {
            println!("not drained after {limit:?}: {last}");
            return started.elapsed();
        }
        if printed.elapsed() >= Duration::from_secs(30) {
            println!("chaos: draining: {last}");
            printed = Instant::now();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Records on `topic` (sum over partitions of high − low watermark).
pub fn topic_records(brokers: &str, topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("chaos-count-{}", Uuid::new_v4()))
        .create()
        .expect("consumer");
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let mut total = 0;
    for t in md.topics() {
        for p in t.partitions() {
            let (lo, hi) = consumer
                .fetch_watermarks(topic, p.id(), Duration::from_secs(10))
                .expect("watermarks");
            total += hi - lo;
        }
    }
    total
}

/// The webhook receiver's first deliveries, duplicates, and the agency of each dossier.
pub struct Hooks {
    pub by_dossier: HashMap<String, Vec<String>>,
    pub duplicates: u64,
}

pub async fn hooks(url: &str) -> Hooks {
    let s: Value = reqwest::get(format!("{url}/admin/stats"))
        .await
        .expect("webhook stats")
        .json()
        .await
        .expect("json");
    let mut by_dossier: HashMap<String, Vec<String>> = HashMap::new();
    let list = |k: &str| s[k].as_array().cloned().unwrap_or_default();
    for (d, a) in list("dossiers").iter().zip(list("agencies").iter()) {
        by_dossier
            .entry(d.as_str().unwrap_or_default().to_owned())
            .or_default()
            .push(a.as_str().unwrap_or_default().to_owned());
    }
    Hooks {
        by_dossier,
        duplicates: s["duplicates"].as_u64().unwrap_or(0),
    }
}

/// The webhook checks: each routed dossier arrived once, at its own agency.
pub fn check_hooks(v: &mut Verdict, routed: &HashMap<Uuid, String>, h: &Hooks) {
    let delivered_once = routed
        .iter()
        .filter(|(id, agency)| h.by_dossier.get(&id.to_string()) == Some(&vec![(*agency).clone()]))
        .count();
    v.check(
        "routed dossiers delivered to their agency exactly once",
        format!("{delivered_once} of {}", routed.len()),
        delivered_once == routed.len(),
    );
    let ids: HashSet<String> = routed.keys().map(Uuid::to_string).collect();
    let stray = h.by_dossier.keys().filter(|d| !ids.contains(*d)).count();
    v.check(
        "webhook deliveries of dossiers not routed",
        stray.to_string(),
        stray == 0,
    );
    v.info(
        "webhook redeliveries absorbed by the Idempotency-Key",
        h.duplicates.to_string(),
    );
}
