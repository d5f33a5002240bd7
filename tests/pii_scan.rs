//! System test for issue #8: no full personal ID number leaks into the logs, the database
//! or the notifications.
//!
//! The CSDLQG simulator and `run` (debug logging, stdout and stderr captured to a file,
//! the provider simulators served in-process) take a broad workload through every path
//! that touches personal data: generated dossiers with unknown applicants and wrong birth
//! dates, a replayed and a conflicting idempotency key, invalid submissions carrying full
//! IDs, synchronous citizen lookups, agencies pulling their dossiers (sealed citizen data
//! opened) and reporting status, by-code lookups with right and wrong proofs, and the
//! SMS / e-mail / Zalo / portal notifications. Once everything is final and `run` has
//! stopped on SIGTERM, the log, a plain `pg_dump --data-only` and every message the
//! providers received are scanned for each full ID used (CCCD, CMND, relatives' too) and
//! for each applicant's full name next to their birth date. A failure lists the source
//! (log, `table <name>.<column>`, provider channel), the line and a masked form.
//!
//! `PII_SCAN_KEEP=<dir>` keeps the scanned log and dump there for a human look.

#[path = "pii_scan/agency.rs"]
mod agency;
mod common;
#[allow(dead_code)]
#[path = "agency_api/feed.rs"]
mod feed;
#[path = "pii_scan/inflight.rs"]
mod inflight;
#[path = "pii_scan/scan.rs"]
mod scan;
#[path = "pii_scan/workload.rs"]
mod workload;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{Proc, Sim, TestDb, free_port, require_broker, start_sim};
use scan::{Hit, Needles, scan_dump, scan_text, strip_ansi};
use uuid::Uuid;

/// The log must stay readable: debug logging, but not a flood.
const MAX_LOG_BYTES: u64 = 50 * 1024 * 1024;

/// `pg_dump --data-only --no-owner` of the test database, as text.
fn dump(db: &TestDb) -> String {
    let out = Command::new("pg_dump")
        .args([
            "--data-only",
            "--no-owner",
            "--host=127.0.0.1",
            "--username=postgres",
            "--dbname",
            &db.name,
        ])
        .output()
        .expect("run pg_dump (PostgreSQL client tools installed?)");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the dump is UTF-8")
}

/// `run` with debug logging captured to a temp file, the CSDLQG simulator `sim` and the
/// provider simulators in-process.
struct Run {
    app: Proc,
    api: String,
    log: PathBuf,
}

async fn start_run(db: &TestDb, sim: &Sim) -> Run {
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let (api_port, admin_port) = (free_port(), free_port());
    let mut env = common::pipeline_env(db, &prefix);
    env.retain(|(k, _)| *k != "RUST_LOG");
    env.push(("RUST_LOG", "debug,rdkafka=info,sqlx=info".into()));
    env.push(("NO_COLOR", "1".into()));
    env.push(("DOSSIER__INTAKE__ADDR", format!("127.0.0.1:{api_port}")));
    env.push(("DOSSIER__ADMIN__ADDR", format!("127.0.0.1:{admin_port}")));
    env.push(("DOSSIER__CSDLQG__URL", format!("{}/", sim.url)));
    let log = std::env::temp_dir().join(format!("dossierflow-pii-{}.log", Uuid::new_v4()));
    let mut app = Proc::spawn_logged(&["run"], &env, &log);
    app.wait_ready(
        &format!("http://127.0.0.1:{admin_port}/health"),
        Duration::from_secs(60),
    )
    .await;
    Run {
        app,
        api: format!("http://127.0.0.1:{api_port}"),
        log,
    }
}

/// Fails listing every hit (masked) and how many came from each source.
fn fail_on(hits: &[Hit]) {
    if hits.is_empty() {
        return;
    }
    let mut by_source: BTreeMap<&str, usize> = BTreeMap::new();
    for h in hits {
        *by_source.entry(h.source.as_str()).or_default() += 1;
    }
    let shown: Vec<String> = hits.iter().take(60).map(Hit::to_string).collect();
    panic!(
        "{} personal-data hits; per source {by_source:?}; first ones:\n{}",
        hits.len(),
        shown.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_full_id_number_reaches_the_log_the_database_or_the_notifications() {
    require_broker();
    let db = TestDb::new();
    let sim = start_sim(workload::SEED, workload::POPULATION, &[]).await;
    let Run { mut app, api, log } = start_run(&db, &sim).await;
    let pool = db.pool().await;

    let mut needles = Needles::default();
    let submitted = workload::submit(&api, &mut needles).await;
    agency::wait_final(&pool, submitted.bodies.len()).await;
    let done = agency::drive(&api, &db, &pool, &submitted.bodies).await;
    let notifications = agency::wait_notifications(&pool, done.status_updates / 2).await;
    let so_far = std::fs::read_to_string(&log).expect("read the log");
    let providers = agency::providers_addr(&strip_ansi(&so_far))
        .expect("`run` logs the address of its in-process provider simulators");
    let messages = agency::provider_messages(&providers).await;
    pool.close().await;

    let status = app.terminate(Duration::from_secs(30));
    assert!(
        status.is_some(),
        "`run` did not stop within 30 s of SIGTERM"
    );
    let log_bytes = std::fs::metadata(&log).expect("log metadata").len();
    let text = strip_ansi(&String::from_utf8_lossy(
        &std::fs::read(&log).expect("read the log"),
    ));
    let _ = std::fs::remove_file(&log);
    assert!(
        log_bytes < MAX_LOG_BYTES,
        "the debug log is {log_bytes} bytes, over {MAX_LOG_BYTES}: too verbose to keep"
    );
    assert!(
        text.contains("DEBUG"),
        "the log is at debug level (RUST_LOG honoured)"
    );
    let dumped = dump(&db);
    // Positive controls: the dump is this workload's database, the log saw the requests.
    let masked = submitted
        .bodies
        .values()
        .filter_map(|b| b["applicant"]["id_number"].as_str())
        .filter(|id| dumped.contains(&scan::mask_id(id)))
        .count();
    assert!(
        masked * 10 >= submitted.bodies.len() * 9,
        "the dump holds the masked IDs of the dossiers ({masked}/{})",
        submitted.bodies.len()
    );
    assert!(
        dumped.contains("COPY public.lookup_audit"),
        "the dump has the lookup audit"
    );
    if let Some(dir) = std::env::var_os("PII_SCAN_KEEP") {
        // For a human look at what was scanned (contains personal data of the synthetic
        // population only).
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("pii_scan.log"), &text).expect("keep the log");
        std::fs::write(dir.join("pii_scan.sql"), &dumped).expect("keep the dump");
    }

    let mut hits: Vec<Hit> = scan_text("log", &text, &needles);
    hits.extend(scan_dump(&dumped, &needles));
    let mut message_count = 0;
    for (channel, body, n) in &messages {
        message_count += n;
        hits.extend(scan_text(&format!("notify {channel}"), body, &needles));
    }
    println!(
        "pii_scan: {} dossiers accepted, {} submissions rejected, {} citizen lookups; \
         {} agencies pulled {} dossiers, {} status updates, {} by-code lookups; \
         {notifications} notifications, {message_count} provider messages",
        submitted.bodies.len(),
        submitted.rejected,
        submitted.lookups,
        done.agencies,
        done.pulled,
        done.status_updates,
        done.by_code,
    );
    println!(
        "pii_scan: log {log_bytes} bytes ({} lines), dump {} bytes ({} lines), \
         {} full IDs and {} name+birth pairs scanned, {} hits",
        text.lines().count(),
        dumped.len(),
        dumped.lines().count(),
        needles.id_count(),
        needles.person_count(),
        hits.len()
    );
    fail_on(&hits);
}

/// The rows that exist only while dossiers flow (see `pii_scan/inflight.rs`), sampled
/// during a submission burst and scanned like the dump.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_full_id_number_sits_in_transient_rows_while_dossiers_flow() {
    require_broker();
    let db = TestDb::new();
    let sim = start_sim(workload::SEED, workload::POPULATION, &[]).await;
    let Run { mut app, api, log } = start_run(&db, &sim).await;
    let pool = db.pool().await;
    let sampler = inflight::Sampler::start(pool.clone());
    let mut needles = Needles::default();
    let submitted = workload::submit(&api, &mut needles).await;
    agency::wait_final(&pool, submitted.bodies.len()).await;
    let sampled = sampler.finish().await;
    app.terminate(Duration::from_secs(30));
    let _ = std::fs::remove_file(&log);
    let mut hits = vec![];
    for (table, rows, n) in &sampled {
        println!("pii_scan: {n} distinct {table} rows sampled in flight");
        hits.extend(scan_text(
            &format!("table {table} (in flight)"),
            rows,
            &needles,
        ));
    }
    println!(
        "pii_scan: {} full IDs scanned in transient rows, {} hits",
        needles.id_count(),
        hits.len()
    );
    fail_on(&hits);
}
