//! System test of the lookup audit (Law 91/2025 processing log): one row per CSDLQG
//! attempt, a hash chain that `dossierflow audit verify` checks and that a tampered row
//! breaks, and no full ID number of the test population in any log or table (the
//! citizen data kept for dossiers is sealed and opens with the configured key).

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{BIN, Proc, TestDb, free_port, pipeline_env, require_broker};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, generate, population};
use dossierflow_producers::submit::{Outgoing, submit_all};
use reqwest::Url;
use serde_json::Value;
use uuid::Uuid;

const SEED: u64 = 99;
const SIZE: usize = 3_000;
const DOSSIERS: usize = 120;

fn audit_verify(db: &TestDb) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["audit", "verify"])
        .env("DOSSIER__DATABASE__URL", &db.url)
        .output()
        .expect("run");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attempt_is_audited_in_a_verifiable_chain_without_plaintext_ids() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let logs = std::env::temp_dir().join(format!("dfaudit-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs).expect("log dir");
    let (sim_port, api_port, admin_port) = (free_port(), free_port(), free_port());
    let sim_url = format!("http://127.0.0.1:{sim_port}");
    let mut sim = Proc::spawn_logged(
        &[
            "csdlqg-sim",
            "--addr",
            &format!("127.0.0.1:{sim_port}"),
            "--seed",
            &SEED.to_string(),
            "--population",
            &SIZE.to_string(),
            "--error-5xx-rate",
            "0.1",
        ],
        &[("RUST_LOG", "debug".into())],
        &logs.join("sim.log"),
    );
    sim.wait_ready(&format!("{sim_url}/health"), Duration::from_secs(60))
        .await;
    let mut env = pipeline_env(&db, &prefix);
    env.retain(|(k, _)| *k != "RUST_LOG");
    env.push((
        "RUST_LOG",
        "debug,rdkafka=info,sqlx=info,hyper=info,reqwest=info,h2=info".into(),
    ));
    env.push(("DOSSIER__CSDLQG__URL", format!("{sim_url}/")));
    env.push(("DOSSIER__INTAKE__ADDR", format!("127.0.0.1:{api_port}")));
    env.push(("DOSSIER__ADMIN__ADDR", format!("127.0.0.1:{admin_port}")));
    env.push(("DOSSIER__CSDLQG__CACHE_TTL", "0".into()));
    let mut app = Proc::spawn_logged(&["run"], &env, &logs.join("app.log"));
    app.wait_ready(
        &format!("http://127.0.0.1:{admin_port}/health"),
        Duration::from_secs(60),
    )
    .await;

    let catalog = Catalog::embedded().expect("catalogue");
    let pop = population(SEED, SIZE, &catalog);
    let generated = generate(&pop, &catalog, DOSSIERS, SEED, Mix::default());
    let ids: HashSet<String> = generated
        .iter()
        .map(|g| {
            g.body["applicant"]["id_number"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let items = generated
        .iter()
        .map(|g| Outgoing {
            body: g.body.clone(),
            idempotency_key: g.idempotency_key.clone(),
        })
        .collect();
    submit_all(
        &Url::parse(&format!("http://127.0.0.1:{api_port}/")).expect("url"),
        items,
        8,
        false,
    )
    .await
    .expect("submit");

    let pool = db.pool().await;
    let started = Instant::now();
    loop {
        let (done,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM dossier WHERE stage IN ('routed', 'refused', 'triage')",
        )
        .fetch_one(&pool)
        .await
        .expect("count");
        if done == DOSSIERS as i64 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{done}/{DOSSIERS} final"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // One audit row per attempt that reached CSDLQG.
    let stats: Value = reqwest::get(format!("{sim_url}/admin/stats"))
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    let (rows, retried): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE attempt > 1) FROM lookup_audit")
            .fetch_one(&pool)
            .await
            .expect("audit");
    assert_eq!(
        rows,
        stats["requests"].as_i64().expect("requests"),
        "one audit row per attempt"
    );
    assert!(
        retried > 0,
        "10 % errors cause retries, each audited with its attempt number"
    );
    let (ok, out) = audit_verify(&db);
    assert!(ok, "chain verifies: {out}");

    // No full ID in any log or (non-exempt) table.
    drop(app);
    drop(sim);
    for log in ["app.log", "sim.log"] {
        let text = std::fs::read_to_string(logs.join(log)).expect("log");
        assert!(text.len() > 1000, "{log} has content");
        let leaked = ids.iter().filter(|id| text.contains(id.as_str())).count();
        assert_eq!(leaked, 0, "{leaked} full ID numbers in {log}");
    }
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
            .fetch_all(&pool)
            .await
            .expect("tables");
    for (table,) in &tables {
        let dump: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT row_to_json(t)::text FROM {table} t"
        )))
        .fetch_all(&pool)
        .await
        .expect("dump");
        let text: String = dump.into_iter().map(|(r,)| r).collect();
        let leaked = ids.iter().filter(|id| text.contains(id.as_str())).count();
        assert_eq!(leaked, 0, "{leaked} full ID numbers in table {table}");
    }

    // The citizen data kept for dossiers is sealed, and opens with the configured key.
    let sealed: Vec<(Uuid, String, Vec<u8>)> =
        sqlx::query_as("SELECT dossier_id, key_id, sealed FROM dossier_citizen_data")
            .fetch_all(&pool)
            .await
            .expect("sealed");
    assert!(!sealed.is_empty(), "some dossiers were enriched");
    let ring =
        dossierflow_runtime::crypto::Keyring::parse(dossierflow_runtime::config::DEV_KEYS, "dev")
            .expect("dev key");
    for (dossier, key_id, blob) in &sealed {
        let plain = ring
            .open(key_id, blob, dossier.as_bytes())
            .expect("opens with its dossier id");
        let fields: Value = serde_json::from_slice(&plain).expect("json");
        assert!(
            fields.get("full_name").is_some(),
            "{dossier}: the procedure's fields are inside"
        );
    }

    // Tampering with one row breaks the chain at that row.
    let (seq,): (i64,) =
        sqlx::query_as("SELECT seq FROM lookup_audit ORDER BY seq OFFSET 5 LIMIT 1")
            .fetch_one(&pool)
            .await
            .expect("row");
    sqlx::query("ALTER TABLE lookup_audit DISABLE TRIGGER ALL")
        .execute(&pool)
        .await
        .expect("disable");
    sqlx::query("UPDATE lookup_audit SET outcome = CASE WHEN outcome = 'found' THEN 'not_found' ELSE 'found' END WHERE seq = $1")
        .bind(seq)
        .execute(&pool)
        .await
        .expect("tamper");
    sqlx::query("ALTER TABLE lookup_audit ENABLE TRIGGER ALL")
        .execute(&pool)
        .await
        .expect("enable");
    let (ok, out) = audit_verify(&db);
    assert!(!ok, "a tampered chain must not verify");
    assert!(
        out.contains(&format!("row {seq}")),
        "names the tampered row {seq}: {out}"
    );
    let _ = std::fs::remove_dir_all(&logs);
}
