//! System test of the bad-deploy protection: a stage that would dead-letter most of what
//! it reads stops instead, exits non-zero, and leaves the rest of the records in Kafka.
//! 30 undecodable records reach the verify stage with a window of 20 and a minimum of
//! 10: exactly 9 are dead-lettered (the 10th would make 10 of 10), then the process stops.

mod common;

use std::time::{Duration, Instant};

use common::kafka::{self, ce_headers, start_verify_only};
use common::{BIN, TestDb, pipeline_env, require_broker};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_that_would_dead_letter_everything_stops_instead() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let limits = [
        ("DOSSIER__RETRY__DEAD_LETTER_WINDOW", "20"),
        ("DOSSIER__RETRY__DEAD_LETTER_MIN", "10"),
    ];
    // CSDLQG is never called: every record fails before a lookup.
    let (mut app, _admin) = start_verify_only(&db, &prefix, &limits).await;

    let producer = kafka::producer();
    let topic = format!("{prefix}dossier.submitted.v1");
    for _ in 0..30 {
        let headers = ce_headers("dossier.submitted.v1");
        kafka::send(&producer, &topic, "bad", headers, b"{not json").await;
    }

    // The stage stops by itself, with an error.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = app.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the stage kept running while every record failed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        !status.success(),
        "a stopped stage exits non-zero: {status}"
    );

    // Exactly the 9 dead letters the guard allowed; the other 21 records stay in Kafka.
    let out = std::process::Command::new(BIN)
        .args(["dlq", "list", "--json"])
        .envs(pipeline_env(&db, &prefix))
        .output()
        .expect("dlq list");
    assert!(
        out.status.success(),
        "dlq list: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(listed, 9, "dead letters written before the stage stopped");
}
