//! System test of the dead-letter tools and replay, through the real binary, broker and
//! database: `dlq list` filters, `dlq show` masks personal data and survives a payload
//! that is not JSON, `dlq redrive` republishes a record once (the second run redrives
//! nothing) and the redriven event is processed, and `replay` finds, fixes and then no
//! longer finds a corrupted dossier row.

mod common;
#[path = "dlq_tools/support.rs"]
mod support;

use std::time::Duration;

use common::{TestDb, pipeline_env, require_broker, start_app, start_sim};
use serde_json::json;
use support::{ce_headers, cli, cli_ok, produce, routed_dossier, table_rows, wait_for};
use uuid::Uuid;

const SEED: u64 = 47;
const SIZE: usize = 2_000;

/// Planted personal data that must never be printed.
const PLANTED_ID: &str = "0251900045";
const PLANTED_NAME: &str = "Plantedname";
const PLANTED_PHONE: &str = "0912345678";
const PLANTED_EMAIL: &str = "planted.person@example.vn";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_shown_redriven_once_and_dossiers_replayed() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let sim = start_sim(SEED, SIZE, &[]).await;
    let app = start_app("run", &db, &prefix, Some(&sim), &[]).await;
    let env = pipeline_env(&db, &prefix);
    let pool = db.pool().await;
    let routed = routed_dossier(&app.api, &pool, SEED, SIZE).await;

    // (a) A well-formed status event for a dossier that does not exist yet: notify
    // dead-letters it. (b) A record that is not JSON: route dead-letters it. And a
    // submission with personal data and an invalid ID: verify dead-letters it.
    let (ghost, event_id) = (Uuid::now_v7(), Uuid::now_v7());
    let status = json!({"dossier_id": ghost, "status_code": 1, "status": "submitted",
                        "changed_at": "2026-11-27T07:00:00Z"});
    produce(
        &format!("{prefix}dossier.status.v1"),
        &ghost.to_string(),
        ce_headers(event_id, "dossier.status.v1"),
        status.to_string().as_bytes(),
    )
    .await;
    produce(
        &format!("{prefix}dossier.enriched.v1"),
        "not-json",
        ce_headers(Uuid::now_v7(), "dossier.enriched.v1"),
        b"{not json",
    )
    .await;
    let planted = Uuid::now_v7();
    let submission = json!({"dossier_id": planted, "procedure_code": "1.001193",
        "submitted_at": "2026-11-27T07:00:00Z",
        "applicant": {"full_name": format!("Trần Thị {PLANTED_NAME}"), "id_number": PLANTED_ID,
                      "birth_date": "15/04/1990", "phone": PLANTED_PHONE, "email": PLANTED_EMAIL}});
    produce(
        &format!("{prefix}dossier.submitted.v1"),
        &planted.to_string(),
        ce_headers(Uuid::now_v7(), "dossier.submitted.v1"),
        submission.to_string().as_bytes(),
    )
    .await;

    // (c) All three reach the DLQ.
    let lines = wait_for("three dead letters", Duration::from_secs(90), || async {
        let out = cli_ok(&env, &["dlq", "list", "--json"]).await;
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        (lines.len() >= 3).then_some(lines)
    })
    .await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    let by_key = |key: &str| {
        lines
            .iter()
            .find(|l| l["key"] == key)
            .unwrap_or_else(|| panic!("no dead letter with key {key}: {lines:?}"))
            .clone()
    };
    let (ghost_dl, junk_dl, planted_dl) = (
        by_key(&ghost.to_string()),
        by_key("not-json"),
        by_key(&planted.to_string()),
    );
    assert_eq!(ghost_dl["dlq_stage"], "notify");
    assert_eq!(ghost_dl["dlq_error_class"], "unknown_dossier");
    assert_eq!(junk_dl["dlq_stage"], "route");
    assert_eq!(junk_dl["dlq_error_class"], "undecodable");
    assert_eq!(planted_dl["dlq_error_class"], "invalid_applicant");

    // (d) The table lists exactly the notify record.
    let out = cli_ok(&env, &["dlq", "list", "--stage", "notify"]).await;
    eprintln!("dlq list --stage notify:\n{out}");
    let rows = table_rows(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert!(
        rows[0].contains(&ghost.to_string()) && rows[0].contains("unknown_dossier"),
        "{out}"
    );
    assert!(out.contains("1 record(s)"), "{out}");
    let out = cli_ok(
        &env,
        &["dlq", "list", "--reason", "undecodable", "--since", "1h"],
    )
    .await;
    assert_eq!(table_rows(&out).len(), 1, "{out}");
    let out = cli_ok(&env, &["dlq", "list", "--until", "1h"]).await;
    assert_eq!(
        table_rows(&out).len(),
        0,
        "nothing failed over an hour ago: {out}"
    );

    // `dlq show` masks the planted personal data and never prints it raw.
    let id = planted_dl["id"].as_str().expect("id");
    let out = cli_ok(&env, &["dlq", "show", id]).await;
    eprintln!("dlq show {id}:\n{out}");
    for raw in [
        PLANTED_ID,
        PLANTED_NAME,
        PLANTED_PHONE,
        PLANTED_EMAIL,
        "15/04/1990",
    ] {
        assert!(!out.contains(raw), "{raw} printed by dlq show:\n{out}");
    }
    assert!(out.contains("\"full_name\": \"T. T. P.\""), "{out}");
    assert!(out.contains("\"birth_date\": \"1990\""), "{out}");
    assert!(out.contains("dlq_stage: verify"), "{out}");
    // (h) A payload that is not JSON: length and hex preview.
    let id = junk_dl["id"].as_str().expect("id");
    let out = cli_ok(&env, &["dlq", "show", id]).await;
    eprintln!("dlq show {id}:\n{out}");
    assert!(out.contains("not JSON, 9 bytes"), "{out}");
    assert!(out.contains("7b 6e 6f 74 20 6a 73 6f 6e"), "{out}");
    let (ok, _, err) = cli(&env, &["dlq", "show", "0:999999"]).await;
    assert!(!ok && err.contains("0:999999"), "{err}");

    // (e) The dossier appears; (f) the redrive republishes the event once, and notify
    // processes it this time.
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at)
         VALUES ($1, '1.001193', 1, 'submitted', '0251******87', now())",
    )
    .bind(ghost)
    .execute(&pool)
    .await
    .expect("insert dossier");
    let dry = cli_ok(&env, &["dlq", "redrive", "--stage", "notify", "--dry-run"]).await;
    assert!(
        dry.contains("matched 1, would redrive 1, already redriven 0, failed 0"),
        "{dry}"
    );
    let out = cli_ok(&env, &["dlq", "redrive", "--stage", "notify"]).await;
    assert!(
        out.contains("matched 1, redriven 1, already redriven 0, failed 0"),
        "{out}"
    );
    wait_for(
        "the redriven event processed",
        Duration::from_secs(60),
        || async {
            sqlx::query_scalar::<_, i32>(
                "SELECT 1 FROM processed_event WHERE consumer = 'notify' AND event_id = $1",
            )
            .bind(event_id)
            .fetch_optional(&pool)
            .await
            .expect("query")
        },
    )
    .await;
    // (g) A second run redrives nothing.
    let out = cli_ok(&env, &["dlq", "redrive", "--stage", "notify"]).await;
    assert!(
        out.contains("matched 1, redriven 0, already redriven 1, failed 0"),
        "{out}"
    );
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM dlq_redrive")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 1);

    // Replay: the pipeline's rows replay cleanly; a corrupted one shows exactly its two
    // corrupted fields, `--apply` fixes them, and then nothing differs.
    let out = cli_ok(&env, &["replay"]).await;
    assert!(out.contains("differences 0"), "{out}");
    let (code,): (String,) = sqlx::query_as("SELECT dossier_code FROM dossier WHERE id = $1")
        .bind(routed)
        .fetch_one(&pool)
        .await
        .expect("code");
    sqlx::query("UPDATE dossier SET status = 4, dossier_code = 'CORRUPT-0001' WHERE id = $1")
        .bind(routed)
        .execute(&pool)
        .await
        .expect("corrupt");
    let out = cli_ok(&env, &["replay"]).await;
    eprintln!("replay:\n{out}");
    let diffs: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with(&routed.to_string()))
        .collect();
    assert_eq!(diffs.len(), 2, "{out}");
    assert!(
        diffs[0].contains("status")
            && diffs[0].contains("4 (processing)")
            && diffs[0].contains("2 (received)"),
        "{out}"
    );
    assert!(
        diffs[1].contains("dossier_code")
            && diffs[1].contains("CORRUPT-0001")
            && diffs[1].contains(&code),
        "{out}"
    );
    assert!(out.contains("differing 1, differences 2"), "{out}");
    let out = cli_ok(&env, &["replay", "--apply"]).await;
    assert!(out.contains("applied 1, failed 0"), "{out}");
    let fixed: (i16, String) =
        sqlx::query_as("SELECT status, dossier_code FROM dossier WHERE id = $1")
            .bind(routed)
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_eq!(fixed, (2, code));
    let out = cli_ok(&env, &["replay", "--dossier", &routed.to_string()]).await;
    assert!(out.contains("differing 0, differences 0"), "{out}");
    drop(app);
}
