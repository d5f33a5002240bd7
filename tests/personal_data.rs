//! System test of personal data at rest (issue #8) through the real binary: intake seals
//! the applicant ID and writes its blind index in the dossier row; `citizen-dossiers`
//! reads the ID from standard input (not argv) and prints masked IDs only; `keys rotate`
//! and `keys status` move data to new keys so the old ones can be removed; `retention
//! run` deletes what is past its period.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{BIN, TestDb, require_broker, start_app};
use dossierflow_runtime::config::{DEV_INDEX_KEYS, DEV_KEYS};
use dossierflow_runtime::crypto::Keyring;
use uuid::Uuid;

const ALICE: &str = "025190012387";
const BOB: &str = "025190012388";
/// Second keys (32 bytes of 2 and of 12, base64).
const K2: &str = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
const I2: &str = "i2:DAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw=";

fn dev_ring() -> Keyring {
    Keyring::parse(DEV_KEYS, "dev")
        .and_then(|k| k.with_index_keys(DEV_INDEX_KEYS, "dev-index"))
        .expect("dev keys")
}

/// Runs the binary with `stdin` and the environment; returns its output.
fn cli(args: &[&str], env: &[(&str, String)], stdin: &str) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn dossierflow");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("output")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Inserts a dossier as intake does (sealed ID, blind index) under `keys`.
async fn seed(pool: &sqlx::PgPool, keys: &Keyring, id_digits: &str, status: i16) -> Uuid {
    let id = Uuid::now_v7();
    let (k, s) = keys
        .seal(id_digits.as_bytes(), id.as_bytes())
        .expect("seal");
    let (ik, ix) = keys.blind_index(id_digits).expect("index");
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at,
                              applicant_id_sealed, applicant_id_key_id, applicant_id_index, applicant_id_index_key)
         VALUES ($1, '1.001193', $2, 'routed', '0251******87', now(), $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(status)
    .bind(s)
    .bind(k)
    .bind(ix)
    .bind(ik)
    .execute(pool)
    .await
    .expect("seed");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_lookup_and_retention_commands_without_the_broker() {
    let db = TestDb::new();
    let base = vec![("DOSSIER__DATABASE__URL", db.url.clone())];
    let migrated = cli(&["migrate"], &base, "");
    assert!(migrated.status.success(), "{}", text(&migrated));
    let pool = db.pool().await;
    let a = seed(&pool, &dev_ring(), ALICE, 10).await;
    let b = seed(&pool, &dev_ring(), BOB, 4).await;

    // The ID on argv is refused: it would land in shell history and `ps`.
    let argv = cli(&["citizen-dossiers", ALICE], &base, "");
    assert!(
        !argv.status.success(),
        "an ID on the command line is refused"
    );

    // Rotate to k2 / i2 (old keys still configured), two rows per table in batches of 1.
    let mut both = base.clone();
    both.push(("DOSSIER__CRYPTO__KEYS", format!("{DEV_KEYS},{K2}")));
    both.push(("DOSSIER__CRYPTO__ACTIVE_KEY", "k2".into()));
    both.push((
        "DOSSIER__CRYPTO__INDEX_KEYS",
        format!("{DEV_INDEX_KEYS},{I2}"),
    ));
    both.push(("DOSSIER__CRYPTO__ACTIVE_INDEX_KEY", "i2".into()));
    let dry = cli(&["keys", "rotate", "--dry-run"], &both, "");
    assert!(dry.status.success(), "{}", text(&dry));
    let rotated = cli(&["keys", "rotate", "--batch", "1"], &both, "");
    let out = String::from_utf8_lossy(&rotated.stdout).into_owned();
    assert!(rotated.status.success(), "{}", text(&rotated));
    for line in ["dossier.applicant_id ", "dossier.applicant_id_index "] {
        let row = out
            .lines()
            .find(|l| l.starts_with(line))
            .expect("table line");
        assert_eq!(row.split_whitespace().nth(1), Some("2"), "{out}");
    }

    // Only the new keys configured: status shows only them, lookup still finds Alice.
    let mut new = base.clone();
    new.push(("DOSSIER__CRYPTO__KEYS", K2.into()));
    new.push(("DOSSIER__CRYPTO__ACTIVE_KEY", "k2".into()));
    new.push(("DOSSIER__CRYPTO__INDEX_KEYS", I2.into()));
    new.push(("DOSSIER__CRYPTO__ACTIVE_INDEX_KEY", "i2".into()));
    let status = cli(&["keys", "status"], &new, "");
    let status_out = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(status.status.success(), "{}", text(&status));
    assert!(
        status_out.contains(" k2 ") && status_out.contains(" i2 "),
        "{status_out}"
    );
    assert!(
        !status_out.contains(" dev "),
        "nothing left under the old key: {status_out}"
    );
    let found = cli(&["citizen-dossiers"], &new, &format!("{ALICE}\n"));
    let all = text(&found);
    assert!(found.status.success(), "{all}");
    assert!(
        all.contains(&a.to_string()) && all.contains("0251******87"),
        "{all}"
    );
    assert!(
        !all.contains(&b.to_string()),
        "Bob's dossier is not Alice's: {all}"
    );
    assert!(!all.contains(ALICE), "the full ID is never printed: {all}");

    // Retention: Alice's returned dossier finished 40 days ago loses its sealed ID.
    sqlx::query("UPDATE dossier SET finished_at = now() - interval '40 days' WHERE id = $1")
        .bind(a)
        .execute(&pool)
        .await
        .expect("backdate");
    let run = cli(&["retention", "run"], &base, "");
    let run_out = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "{}", text(&run));
    assert!(
        run_out
            .lines()
            .any(|l| l.contains("dossier.applicant_id_sealed") && l.trim_end().ends_with(" 1")),
        "{run_out}"
    );
    let (sealed_a, sealed_b): (bool, bool) = sqlx::query_as(
        "SELECT (SELECT applicant_id_sealed IS NULL FROM dossier WHERE id = $1),
                (SELECT applicant_id_sealed IS NULL FROM dossier WHERE id = $2)",
    )
    .bind(a)
    .bind(b)
    .fetch_one(&pool)
    .await
    .expect("sealed");
    assert!(
        sealed_a && !sealed_b,
        "only the final dossier past its period"
    );
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_stores_the_applicant_id_sealed_and_blind_indexed() {
    require_broker();
    let db = TestDb::new();
    let prefix = format!("t{}.", Uuid::new_v4().simple());
    let app = start_app("intake", &db, &prefix, None, &[]).await;
    let mut ids = Vec::new();
    for id_number in [ALICE, BOB] {
        ids.push(common::portal::submit(&app.api, id_number).await);
    }
    let pool = db.pool().await;
    let (row, sealed, key, index, index_key): (String, Vec<u8>, String, String, String) =
        sqlx::query_as(
            "SELECT d::text, applicant_id_sealed, applicant_id_key_id, applicant_id_index,
                    applicant_id_index_key FROM dossier d WHERE id = $1",
        )
        .bind(ids[0])
        .fetch_one(&pool)
        .await
        .expect("dossier row");
    assert!(!row.contains(ALICE), "no full ID in the row: {row}");
    assert!(!sealed.windows(ALICE.len()).any(|w| w == ALICE.as_bytes()));
    let keys = dev_ring();
    assert_eq!(
        keys.open(&key, &sealed, ids[0].as_bytes()).expect("opens"),
        ALICE.as_bytes()
    );
    assert_eq!((index_key, index), keys.blind_index(ALICE).expect("index"));
    let base = vec![("DOSSIER__DATABASE__URL", db.url.clone())];
    let found = cli(&["citizen-dossiers"], &base, ALICE);
    let all = text(&found);
    assert!(found.status.success(), "{all}");
    assert!(
        all.contains(&ids[0].to_string()) && !all.contains(&ids[1].to_string()),
        "{all}"
    );
    assert!(!all.contains(ALICE), "{all}");
    pool.close().await;
}
