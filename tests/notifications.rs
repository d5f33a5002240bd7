//! System test of status notifications against real processes: the pipeline (`run`),
//! the CSDLQG simulator and the notification-provider simulator (HTTP SMS gateway,
//! Zalo-style API, national portal, portal webhook, and a real SMTP server).
//!
//! 1,000 dossiers go through four status changes (submitted, received, processing,
//! completed) while the SMS gateway fails for 5 minutes. Every other channel delivers
//! everything before the outage ends; afterwards every notification ends `delivered`,
//! and each provider holds exactly the expected idempotency keys, none twice.

mod common;
#[allow(dead_code)]
#[path = "agency_api/feed.rs"]
mod feed;
#[path = "notifications/providers.rs"]
mod providers;
#[path = "notifications/receipts.rs"]
mod receipts;
#[path = "notifications/requeue.rs"]
mod requeue;
#[path = "notifications/traffic.rs"]
mod traffic;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use common::{TestDb, free_port, metric, require_broker, start_app, start_sim};
use uuid::Uuid;

const SEED: u64 = 606;
const POPULATION: usize = 3_000;
const DOSSIERS: usize = 1_000;
/// The acceptance criterion: one provider failing for 5 minutes.
const OUTAGE: Duration = Duration::from_secs(300);
const CHANNELS: [&str; 5] = ["national_portal", "portal_webhook", "sms", "email", "zalo"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_notification_is_delivered_once_per_channel_through_a_five_minute_sms_outage() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, POPULATION, &[]).await;
    let (http, smtp) = (free_port(), free_port());
    // Retries every 10 s, 48 attempts: 8 minutes of budget, the 5-minute outage fits.
    let env = providers::pipeline_env(http, smtp, "10s", 48);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = start_app("run", &db, &prefix, Some(&sim), &env).await;
    let sim_n = providers::start(http, smtp, &app.api).await;
    let pool = db.pool().await;

    sim_n.fault("sms", "fail", Some(OUTAGE.as_secs())).await;
    let outage = Instant::now();
    let expected = traffic::run(&app.api, &db, &pool, SEED, POPULATION, DOSSIERS).await;
    println!("expected notifications per channel: {expected:?}");

    // Every channel but SMS delivers everything while SMS is still down.
    let others_done = traffic::wait_finished(&pool, &expected, &["sms"], OUTAGE).await;
    let elapsed = outage.elapsed();
    assert!(
        elapsed < OUTAGE,
        "the other channels must not wait for SMS: they finished {elapsed:?} into the outage"
    );
    let sms_so_far = sim_n.stats("sms").await;
    assert_eq!(sms_so_far["accepted"], 0, "SMS is down: {sms_so_far}");
    assert!(
        sms_so_far["failed"].as_u64().unwrap_or(0) > 0,
        "SMS was tried during the outage"
    );
    let alerts = sim_n.alerts().await;
    assert!(
        alerts.contains(&("sms".into(), "failing".into())),
        "the operator is alerted while SMS keeps failing: {alerts:?}"
    );
    assert_eq!(
        metric(
            &app.admin,
            "dossier_notification_channel_failing{channel=\"sms\"}"
        )
        .await,
        1.0
    );
    println!(
        "other channels: all delivered {others_done:?} after the last status update was accepted, {elapsed:?} into the outage"
    );

    // After the outage, SMS drains from its own retry queue.
    traffic::wait_finished(&pool, &expected, &[], OUTAGE + Duration::from_secs(180)).await;
    let total = outage.elapsed();
    println!(
        "everything delivered {total:?} after the outage began, {:?} after it ended",
        total.saturating_sub(OUTAGE)
    );
    assert!(
        outage.elapsed() >= OUTAGE,
        "SMS cannot finish during its outage"
    );

    let states: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT channel, state, count(*) FROM notification GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .expect("states");
    println!(
        "{:<16} {:>10} {:>10} {:>10} {:>10}",
        "channel", "expected", "delivered", "provider", "duplicates"
    );
    let mut got = BTreeMap::new();
    for (channel, state, n) in &states {
        assert_eq!(
            state, "delivered",
            "{channel}: {n} notifications ended {state}"
        );
        got.insert(channel.clone(), *n as usize);
    }
    assert_eq!(
        got, expected,
        "one notification per status change and channel"
    );
    for channel in CHANNELS {
        let ids: HashSet<Uuid> =
            sqlx::query_scalar("SELECT id FROM notification WHERE channel = $1")
                .bind(channel)
                .fetch_all(&pool)
                .await
                .expect("ids")
                .into_iter()
                .collect();
        let keys = sim_n.keys(channel).await;
        let stats = sim_n.stats(channel).await;
        println!(
            "{channel:<16} {:>10} {:>10} {:>10} {:>10}",
            expected.get(channel).copied().unwrap_or(0),
            ids.len(),
            keys.len(),
            stats["duplicates"]
        );
        assert_eq!(
            keys, ids,
            "{channel}: the provider received exactly our notifications"
        );
        assert_eq!(
            stats["duplicates"], 0,
            "{channel}: nothing sent twice: {stats}"
        );
        assert_eq!(
            stats["accepted"].as_u64(),
            Some(ids.len() as u64),
            "{channel}: {stats}"
        );
        let delivered = metric(
            &app.admin,
            &format!(
                "dossier_notification_sends_total{{channel=\"{channel}\",outcome=\"delivered\"}}"
            ),
        )
        .await;
        assert_eq!(
            delivered as usize,
            ids.len(),
            "{channel}: the sends metric counts each once"
        );
    }
    let national = sim_n.stats("national_portal").await;
    assert_eq!(
        national["out_of_order"], 0,
        "progress reaches the portal in order: {national}"
    );
    let alerts = sim_n.alerts().await;
    assert!(
        alerts.contains(&("sms".into(), "recovered".into())),
        "the operator hears of the recovery: {alerts:?}"
    );
}
