//! System tests of `dossierflow bench` against the real broker and PostgreSQL, with tiny
//! counts: every record produced is consumed (no timing is asserted), the PostgreSQL
//! rows write every dossier, the pipeline parts finish every dossier they submit with
//! ordered latency percentiles and measured processes, and the JSON report holds the
//! sections of each part; the pipeline part also runs with everything in one process.

mod common;

use std::process::Command;

use common::{BIN, admin_url, brokers, require_broker};
use serde_json::Value;
use uuid::Uuid;

fn metric(row: &Value, name: &str) -> f64 {
    row["metrics"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["name"] == name))
        .and_then(|x| x["value"].as_f64())
        .unwrap_or_else(|| panic!("row {} has no metric {name}", row["label"]))
}

/// One bench run's output.
struct Run {
    table: String,
    stderr: String,
    report: Value,
}

/// Runs `dossierflow bench <args>` on the test broker (a topic prefix of its own) and
/// PostgreSQL; fails the test if the run fails.
fn run_bench(args: &[&str]) -> Run {
    require_broker();
    let dir = std::env::temp_dir().join(format!("dfbench-test-{}", Uuid::new_v4().simple()));
    let json = dir.join("report.json");
    let admin = admin_url();
    let server = admin.rsplit_once('/').expect("url has a database").0;
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let out = Command::new(BIN)
        .arg("bench")
        .args(args)
        .args(["--brokers", &brokers(), "--topic-prefix", &prefix])
        .args(["--pg-server", server])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run dossierflow bench");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "bench failed: {stderr}");
    let report =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report")).expect("JSON");
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        table: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        report,
    }
}

#[test]
fn bench_consumes_every_record_it_produces_and_writes_every_dossier() {
    let Run {
        table,
        stderr,
        report,
    } = run_bench(&[
        "--only",
        "broker,postgres",
        "--broker-records",
        "300",
        "--partitions",
        "3",
        "--time-limit",
        "60s",
        "--pg-writers",
        "2",
        "--pg-dossiers",
        "200",
        "--pg-batch",
        "50",
    ]);
    assert!(table.contains("== Broker ceiling"), "{table}");
    assert!(stderr.contains("bench: produce submitted.v1"), "{stderr}");

    let sections = report["sections"].as_array().expect("sections");
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0]["name"], "broker");
    let rows = sections[0]["rows"].as_array().expect("broker rows");
    assert_eq!(rows.len(), 6, "produce, consume, both for two event kinds");
    for row in rows {
        assert_eq!(metric(row, "produced"), 300.0, "{row}");
        assert_eq!(metric(row, "consumed"), metric(row, "produced"), "{row}");
        assert!(metric(row, "record bytes") > 300.0, "{row}");
    }
    assert_eq!(sections[1]["name"], "postgres");
    let rows = sections[1]["rows"].as_array().expect("postgres rows");
    assert_eq!(rows.len(), 4);
    for row in rows {
        assert_eq!(metric(row, "dossiers"), 200.0, "{row}");
    }
    // The bench database is dropped at the end.
    assert_dropped(&stderr);
}

/// The `bench` databases named in the progress lines no longer exist.
fn assert_dropped(stderr: &str) {
    let admin = admin_url();
    let created: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("bench: creating and migrating database "))
        .collect();
    assert!(
        !created.is_empty(),
        "database names in the progress: {stderr}"
    );
    for name in created {
        let check = Command::new("psql")
            .args([&admin, "-tAc"])
            .arg(format!(
                "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
            ))
            .output();
        if let Ok(check) = check {
            assert_eq!(
                String::from_utf8_lossy(&check.stdout).trim(),
                "0",
                "{name} left behind"
            );
        }
    }
}

#[test]
fn bench_pipeline_and_csdlqg_parts_finish_every_dossier_and_measure_each_process() {
    let Run {
        table,
        stderr,
        report,
    } = run_bench(&[
        // One relay (intake's) publishes every stage's events.
        "--only",
        "pipeline,csdlqg",
        "--pipeline-rates",
        "20",
        "--pipeline-dossiers",
        "30",
        "--pipeline-warm-up",
        "20",
        "--pipeline-relays",
        "1",
        "--csdlqg-dossiers",
        "20",
        "--csdlqg-max-in-flight",
        "4",
        "--csdlqg-latency",
        "50ms",
        "--sim-population",
        "2000",
        "--partitions",
        "3",
        "--time-limit",
        "180s",
    ]);
    assert!(table.contains("== Full pipeline"), "{table}");
    assert!(stderr.contains("bench: pipeline 20/s"), "{stderr}");

    let sections = report["sections"].as_array().expect("sections");
    let names: Vec<&str> = sections.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        ["pipeline", "pipeline-processes", "pipeline-db", "csdlqg"]
    );

    let rows = sections[0]["rows"].as_array().expect("pipeline rows");
    assert_eq!(rows.len(), 1, "one step: 20/s");
    let row = &rows[0];
    assert_eq!(row["label"], "20/s");
    assert_eq!(metric(row, "sent"), 30.0, "{row}");
    assert_eq!(metric(row, "final"), 30.0, "every dossier finished: {row}");
    assert_eq!(
        metric(row, "notified"),
        30.0,
        "every outcome notified: {row}"
    );
    assert_eq!(metric(row, "cut short"), 0.0, "{row}");
    assert!(metric(row, "done/s") > 0.0, "{row}");
    for kind in ["routed", "notified"] {
        let p = |q: &str| metric(row, &format!("{kind} {q}"));
        assert!(p("p50") > 0.0, "{row}");
        assert!(p("p50") <= p("p95") && p("p95") <= p("p99"), "{row}");
    }

    let procs = sections[1]["rows"].as_array().expect("process rows");
    for stage in ["intake", "verify", "enrich", "route", "notify", "webhooks"] {
        let row = procs
            .iter()
            .find(|r| r["label"] == format!("20/s: {stage}"))
            .unwrap_or_else(|| panic!("no process row for {stage}: {procs:?}"));
        assert!(metric(row, "CPU s") > 0.0, "{row}");
        assert!(metric(row, "CPU ms/dossier") > 0.0, "{row}");
        assert!(metric(row, "peak RSS MB") > 0.0, "{row}");
        assert!(metric(row, "RSS MB") > 0.0, "{row}");
    }
    // Every process together: the sum of the rows, per final dossier, and the rate at
    // which that cost fills the machine's cores.
    let all = procs
        .iter()
        .find(|r| r["label"] == "20/s: all processes")
        .unwrap_or_else(|| panic!("no total row: {procs:?}"));
    let sum: f64 = procs
        .iter()
        .filter(|r| r["label"] != "20/s: all processes")
        .map(|r| metric(r, "CPU s"))
        .sum();
    assert!((metric(all, "CPU s") - sum).abs() < 1e-6, "{all}");
    let per_dossier = metric(all, "CPU ms/dossier");
    assert!((per_dossier - sum * 1000.0 / 30.0).abs() < 1e-6, "{all}");
    let cores = metric(all, "cores");
    assert!(cores >= 1.0, "{all}");
    let rate = metric(all, "dossiers/s at this cost");
    assert!((rate - cores * 1000.0 / per_dossier).abs() < 1e-6, "{all}");

    let db = sections[2]["rows"].as_array().expect("database rows");
    assert_eq!(db.len(), 1, "one step: {db:?}");
    assert_eq!(db[0]["label"], "20/s");
    for (name, at_least) in [
        ("WAL kB", 1.0),
        ("rows written", 10.0),
        ("outbox", 2.0),
        ("notification", 1.0),
        ("dossier", 1.0),
    ] {
        assert!(metric(&db[0], name) >= at_least, "{name}: {}", db[0]);
    }
    // The warm-up's notifications (at least one per dossier) were analysed before the step.
    assert!(metric(&db[0], "stats rows") >= 20.0, "{}", db[0]);

    let rows = sections[3]["rows"].as_array().expect("csdlqg rows");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(metric(row, "dossiers"), 20.0, "{row}");
    assert_eq!(metric(row, "verified"), 20.0, "{row}");
    assert_eq!(metric(row, "C"), 4.0, "{row}");
    assert_eq!(metric(row, "cut short"), 0.0, "{row}");
    assert!(
        metric(row, "verified/s") > 0.0 && metric(row, "ratio") > 0.0,
        "{row}"
    );
    // 20 dossiers through C = 4 slots: lookups wait for a slot, so there is a steady
    // part (every slot busy) to measure.
    assert!(metric(row, "steady lookups/s") > 0.0, "{row}");
    assert!(metric(row, "steady ratio to C÷mean") > 0.0, "{row}");

    assert_dropped(&stderr);
}

#[test]
fn bench_pipeline_in_one_process_finishes_every_dossier() {
    let Run { stderr, report, .. } = run_bench(&[
        "--only",
        "pipeline",
        "--pipeline-layout",
        "one",
        "--pipeline-rates",
        "max",
        "--pipeline-dossiers",
        "30",
        "--pipeline-warm-up",
        "10",
        "--sim-population",
        "2000",
        "--partitions",
        "3",
        "--time-limit",
        "180s",
    ]);

    let sections = report["sections"].as_array().expect("sections");
    let row = &sections[0]["rows"][0];
    assert_eq!(row["label"], "max rate");
    assert_eq!(metric(row, "final"), 30.0, "every dossier finished: {row}");
    assert_eq!(metric(row, "notified"), 30.0, "{row}");
    assert_eq!(metric(row, "cut short"), 0.0, "{row}");
    let notes = sections[0]["notes"].to_string();
    assert!(
        notes.contains("processes: run (intake, every stage"),
        "{notes}"
    );

    // One pipeline process was measured, and no per-stage process.
    let procs = sections[1]["rows"].as_array().expect("process rows");
    let labels: Vec<&str> = procs.iter().filter_map(|r| r["label"].as_str()).collect();
    let run = procs
        .iter()
        .find(|r| r["label"] == "max rate: run")
        .unwrap_or_else(|| panic!("no process row for run: {labels:?}"));
    assert!(metric(run, "CPU s") > 0.0, "{run}");
    for stage in ["intake", "verify", "enrich", "route", "notify", "webhooks"] {
        assert!(
            !labels.contains(&format!("max rate: {stage}").as_str()),
            "{labels:?}"
        );
    }

    assert_dropped(&stderr);
}
