//! System test of `dossierflow bench` against the real broker and PostgreSQL, with tiny
//! counts: every record produced is consumed (no timing is asserted), the PostgreSQL
//! rows write every dossier, and the JSON report holds one section per part.

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

#[test]
fn bench_consumes_every_record_it_produces_and_writes_every_dossier() {
    require_broker();
    let dir = std::env::temp_dir().join(format!("dfbench-test-{}", Uuid::new_v4().simple()));
    let json = dir.join("report.json");
    let admin = admin_url();
    let server = admin.rsplit_once('/').expect("url has a database").0;
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let out = Command::new(BIN)
        .args([
            "bench",
            "--only",
            "broker,postgres",
            "--broker-records",
            "300",
        ])
        .args([
            "--partitions",
            "3",
            "--time-limit",
            "60s",
            "--pg-writers",
            "2",
        ])
        .args(["--pg-dossiers", "200", "--pg-batch", "50"])
        .args(["--brokers", &brokers(), "--topic-prefix", &prefix])
        .args(["--pg-server", server])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run dossierflow bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("== Broker ceiling"), "{table}");
    assert!(stderr.contains("bench: produce submitted.v1"), "{stderr}");

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report")).expect("JSON");
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
    let created = stderr
        .lines()
        .find_map(|l| l.strip_prefix("bench: creating and migrating database "))
        .expect("database name in the progress");
    let check = Command::new("psql")
        .args([&admin, "-tAc"])
        .arg(format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{created}'"
        ))
        .output();
    if let Ok(check) = check {
        assert_eq!(
            String::from_utf8_lossy(&check.stdout).trim(),
            "0",
            "{created} left behind"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
