//! Chaos system test: nothing lost, nothing doubled while everything breaks.
//!
//! Every stage runs as its own process, on a private nisshi broker (durable `postgres://`
//! storage) and a private PostgreSQL cluster, with the CSDLQG, notification-provider and
//! agency-webhook simulators as real HTTP (and SMTP) servers. While the portal submits
//! dossiers, the test SIGKILLs and restarts each stage in turn, kills and restarts the
//! broker, crash-restarts PostgreSQL, takes CSDLQG away and makes the SMS gateway and
//! the national portal fail. Then it lets the pipeline drain and checks, printing a
//! table: every dossier submitted is in a final state, every routed dossier reached its
//! agency exactly once, every status change was notified exactly once per channel, and
//! no record was dead-lettered.
//!
//! Size (environment): `DOSSIER_CHAOS_DOSSIERS` (default 300), `DOSSIER_CHAOS_RATE`
//! (submissions per second, default 6), `DOSSIER_CHAOS_ROUNDS` (complete fault rotations
//! at least, default 1), `DOSSIER_CHAOS_PAUSE` (seconds between faults, default 2),
//! `DOSSIER_CHAOS_DRAIN_LIMIT` (seconds to wait for the pipeline to drain, default 600).
//! tests/CHAOS.md records a 10,000-dossier run and the command for it.

mod common;
#[allow(dead_code)]
#[path = "agency_api/feed.rs"]
mod feed;
#[allow(dead_code)]
#[path = "notifications/providers.rs"]
mod providers;
#[allow(dead_code)]
#[path = "notifications/traffic.rs"]
mod traffic;

#[path = "chaos/cluster.rs"]
mod cluster;
#[path = "chaos/faults.rs"]
mod faults;
#[path = "chaos/fleet.rs"]
mod fleet;
#[path = "chaos/load.rs"]
mod load;
#[path = "chaos/report.rs"]
mod report;
#[path = "chaos/verdict.rs"]
mod verdict;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BIN, Proc, TestDb, free_port};
use dossierflow_domain::Catalog;

const SEED: u64 = 4242;
const POPULATION: usize = 5_000;
const HOOK_SECRET: &str = "chaos-hook-secret";

fn setting(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `dossierflow` to completion with `env`; fails the test on a non-zero exit.
fn run_cli(args: &[&str], env: &[(&str, &str)]) {
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run dossierflow");
    assert!(
        out.status.success(),
        "dossierflow {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_is_lost_or_doubled_while_processes_broker_database_and_providers_fail() {
    assert!(
        std::process::Command::new("nisshi")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "nisshi is not installed: run the tests with `ops/stack test` (it installs it)"
    );
    let n = setting("DOSSIER_CHAOS_DOSSIERS", 300.0) as usize;
    let rate = setting("DOSSIER_CHAOS_RATE", 6.0);
    let rounds = setting("DOSSIER_CHAOS_ROUNDS", 1.0) as usize;
    let pause = Duration::from_secs_f64(setting("DOSSIER_CHAOS_PAUSE", 2.0));
    let started = Instant::now();

    // Infrastructure of our own: restarting it disturbs no other test.
    let pg = Arc::new(cluster::PrivatePg::start());
    let db_url = pg.url("dossierflow");
    let broker_db = TestDb::new();
    let admin = sqlx::PgPool::connect(&common::admin_url())
        .await
        .expect("admin connection");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {}",
        broker_db.name
    )))
    .execute(&admin)
    .await
    .expect("broker database");
    let broker = cluster::Broker::start(broker_db.url.clone());
    let brokers = broker.addr();
    let logs = std::env::temp_dir().join(format!("dfchaos-logs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&logs).expect("log dir");

    // The agencies' webhook receiver, registered for every agency of the catalogue.
    run_cli(&["migrate"], &[("DOSSIER__DATABASE__URL", &db_url)]);
    let hook_port = free_port();
    let hook_addr = format!("127.0.0.1:{hook_port}");
    let hook_url = format!("http://{hook_addr}");
    let mut hook = Proc::spawn(
        &["webhook-sim", "--addr", &hook_addr, "--secret", HOOK_SECRET],
        &[],
    );
    hook.wait_ready(&format!("{hook_url}/health"), Duration::from_secs(30))
        .await;
    let catalog = Catalog::embedded().expect("catalogue");
    for agency in catalog.agencies() {
        run_cli(
            &[
                "agency-webhook",
                "--agency",
                agency.id.as_str(),
                "--url",
                &format!("{hook_url}/hook"),
                "--secret-env",
                "CHAOS_HOOK_SECRET",
            ],
            &[
                ("DOSSIER__DATABASE__URL", &db_url),
                ("CHAOS_HOOK_SECRET", HOOK_SECRET),
            ],
        );
    }

    let csdlqg = faults::Csdlqg::start(free_port(), SEED, POPULATION).await;
    let (intake_port, http, smtp) = (free_port(), free_port(), free_port());
    let api = format!("http://127.0.0.1:{intake_port}");
    let mut env: Vec<(String, String)> = vec![
        ("DOSSIER__KAFKA__BROKERS", brokers.clone()),
        ("DOSSIER__KAFKA__TOPIC_PREFIX", "chaos.".into()),
        ("DOSSIER__KAFKA__PARTITIONS", "3".into()),
        ("DOSSIER__DATABASE__URL", db_url.clone()),
        ("RUST_LOG", "warn,dossierflow=info".into()),
        (
            "DOSSIER__CSDLQG__URL",
            format!("http://127.0.0.1:{}/", csdlqg.port),
        ),
        ("DOSSIER__RETRY__DELAYS", "3s,10s,30s".into()),
        ("DOSSIER__WEBHOOK__BACKOFF_BASE", "500ms".into()),
        ("DOSSIER__WEBHOOK__BACKOFF_CAP", "2s".into()),
        ("DOSSIER__WEBHOOK__POLL", "100ms".into()),
        ("DOSSIER__WEBHOOK__TIMEOUT", "2s".into()),
        ("DOSSIER__WEBHOOK__MAX_ATTEMPTS", "1000".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(
        providers::pipeline_env(http, smtp, "2s", 500)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    let fleet = fleet::Fleet::start(env, &logs, intake_port);
    fleet.wait_healthy(Duration::from_secs(180)).await;
    let sim_n = providers::start(http, smtp, &api).await;
    println!(
        "chaos: {n} dossiers at {rate}/s, at least {rounds} fault rotation(s); logs in {}",
        logs.display()
    );

    // Submissions and faults at the same time.
    let limit = Duration::from_secs(1_800);
    let submitting = tokio::spawn({
        let api = api.clone();
        async move { load::submit(&api, SEED, POPULATION, n, rate, limit).await }
    });
    let mut targets = faults::Targets {
        fleet: fleet.clone(),
        broker: Arc::new(Mutex::new(broker)),
        pg: pg.clone(),
        csdlqg,
        providers: sim_n.url.clone(),
    };
    let mut tally = BTreeMap::new();
    let rotation = faults::rotation();
    let mut injected = 0;
    while !submitting.is_finished() || injected < rounds * rotation.len() {
        tokio::time::sleep(pause).await;
        faults::inject(
            &mut targets,
            &rotation[injected % rotation.len()],
            &mut tally,
        )
        .await;
        injected += 1;
    }
    let submitted = submitting.await.expect("submissions");
    let chaos_took = started.elapsed();

    // Drain, still supervising (a process may exit on its own).
    let supervising = tokio::spawn({
        let fleet = fleet.clone();
        async move {
            loop {
                fleet.supervise_once();
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    });
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&db_url)
        .await
        .expect("pipeline database");
    let drain_limit = Duration::from_secs_f64(setting("DOSSIER_CHAOS_DRAIN_LIMIT", 600.0));
    let drained = verdict::wait_drained(&pool, &submitted.accepted, drain_limit).await;
    supervising.abort();

    let outcome = report::Outcome {
        n,
        submitted,
        chaos_took,
        drained,
        tally,
        restarts: fleet.counts(),
    };
    let v = report::judge(&outcome, &pool, &brokers, &hook_url, &sim_n).await;
    // Printed (shown with --nocapture or on failure) and kept in a file that
    // `ops/stack test` prints, so CI logs show the table of every run.
    let text = format!("{}{}", report::render(&outcome), v.render());
    println!("{text}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("chaos-report.md");
    std::fs::write(&path, &text).expect("write the chaos report");
    v.assert_all();
    fleet.stop();
    drop(hook);
}
