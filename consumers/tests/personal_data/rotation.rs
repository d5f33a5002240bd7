//! Key rotation: every sealed value and blind index moves to the active keys, the old
//! keys can then be removed, runs are idempotent, and lookups work mid-rotation.

use dossierflow_consumers::personal_data::{
    RotateOptions, RotationReport, dossiers_for_id, key_status, rotate,
};
use dossierflow_consumers::webhooks::{open_secret, seal_secret};
use dossierflow_domain::NationalId;
use dossierflow_runtime::crypto::Keyring;
use sqlx::PgPool;
use uuid::Uuid;

use super::common::{drop_db, fresh_db};
use super::seed::{
    ALICE, BOB, CAROL, both_ring, citizen_data, dossier, new_ring, old_ring, open_all, ring,
};

fn opts(batch: i64, dry_run: bool, max_batches: Option<u64>) -> RotateOptions {
    RotateOptions {
        batch,
        dry_run,
        max_batches,
    }
}

async fn run(pool: &PgPool, keys: &Keyring, o: RotateOptions) -> RotationReport {
    let mut seen = 0u64;
    let mut progress = |_: &str, _: u64| seen += 1;
    rotate(pool, keys, o, &mut progress).await.expect("rotate")
}

fn rotated(r: &RotationReport, table: &str) -> u64 {
    r.tables
        .iter()
        .find(|t| t.table == table)
        .map(|t| t.rotated)
        .expect("table in report")
}

/// A sealed outbox row (a submitted event waiting for the relay), AAD = its id.
async fn sealed_outbox_row(pool: &PgPool, keys: &Keyring) {
    let id = Uuid::now_v7();
    let (k, s) = keys
        .seal(b"{\"id_number\":\"025190012387\"}", id.as_bytes())
        .expect("seal");
    sqlx::query(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, source, payload, occurred_at, key_id, sealed)
         VALUES ($1, 'dossier', 'x', 'dossier.submitted.v1', 't', 's', '{\"sealed\":true}', now(), $2, $3)",
    )
    .bind(id)
    .bind(k)
    .bind(s)
    .execute(pool)
    .await
    .expect("outbox row");
}

#[tokio::test]
async fn rotation_moves_everything_to_the_new_keys_and_the_old_ones_can_go() {
    let (pool, name) = fresh_db("pd_rotate").await;
    let old = old_ring();
    let a = dossier(&pool, &old, ALICE, 2).await;
    dossier(&pool, &old, ALICE, 10).await;
    let b = dossier(&pool, &old, BOB, 4).await;
    dossier(&pool, &old, CAROL, 1).await;
    citizen_data(&pool, &old, a).await;
    citizen_data(&pool, &old, b).await;
    sealed_outbox_row(&pool, &old).await;
    let secret = seal_secret(&old, "000.00.13.H43", "hook-secret").expect("seal secret");
    sqlx::query("INSERT INTO agency_endpoint (agency_id, webhook_url, webhook_secret) VALUES ('000.00.13.H43', 'http://x', $1)")
        .bind(&secret)
        .execute(&pool)
        .await
        .expect("endpoint");
    let new = new_ring();
    assert_eq!(
        open_all(&pool, &new).await,
        (0, 9),
        "before: nothing opens under the new key alone"
    );

    // Dry run: counts, changes nothing.
    let both = both_ring();
    let dry = run(&pool, &both, opts(2, true, None)).await;
    assert_eq!(rotated(&dry, "dossier.applicant_id"), 4);
    assert_eq!(rotated(&dry, "dossier_citizen_data"), 2);
    assert_eq!(rotated(&dry, "citizen_record_staging"), 2);
    assert_eq!(rotated(&dry, "outbox"), 1);
    assert_eq!(rotated(&dry, "dossier.applicant_id_index"), 4);
    assert_eq!(rotated(&dry, "agency_endpoint.webhook_secret"), 1);
    assert_eq!(
        open_all(&pool, &new).await,
        (0, 9),
        "dry run changed nothing"
    );

    // The real run, in batches of 2 (several batches per table).
    let report = run(&pool, &both, opts(2, false, None)).await;
    assert_eq!(report.tables, dry.tables, "did what the dry run announced");
    assert!(report.complete());

    // The old keys removed: every value still opens, lookups still work.
    assert_eq!(open_all(&pool, &new).await, (9, 9));
    let stored: String = sqlx::query_scalar("SELECT webhook_secret FROM agency_endpoint")
        .fetch_one(&pool)
        .await
        .expect("secret");
    assert_eq!(
        open_secret(&new, "000.00.13.H43", &stored).expect("opens"),
        "hook-secret"
    );
    let alice = NationalId::parse(ALICE).expect("id");
    assert_eq!(
        dossiers_for_id(&pool, &new, &alice)
            .await
            .expect("lookup")
            .len(),
        2
    );
    let status = key_status(&pool).await.expect("status");
    assert!(
        status.iter().all(|c| c.key_id == "k2" || c.key_id == "i2"),
        "only the new keys remain in use: {status:?}"
    );

    // Idempotent: a second run has nothing to do.
    let again = run(&pool, &both, opts(2, false, None)).await;
    assert!(again.tables.iter().all(|t| t.rotated == 0 && t.failed == 0));
    drop_db(pool, &name).await;
}

#[tokio::test]
async fn lookup_works_mid_rotation_and_an_interrupted_run_resumes() {
    let (pool, name) = fresh_db("pd_midrot").await;
    let old = old_ring();
    let a1 = dossier(&pool, &old, ALICE, 2).await;
    let a2 = dossier(&pool, &old, ALICE, 2).await;
    dossier(&pool, &old, BOB, 2).await;
    let both = both_ring();
    // Interrupted after one batch of one row per table.
    let partial = run(&pool, &both, opts(1, false, Some(1))).await;
    assert_eq!(rotated(&partial, "dossier.applicant_id_index"), 1);
    let keys: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, applicant_id_index_key FROM dossier ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("index keys");
    assert_eq!(keys[0], (a1, "i2".to_owned()), "the first row moved");
    assert_eq!(keys[1], (a2, "i1".to_owned()), "the second did not yet");
    // Rows are mixed: the lookup tries every configured index key.
    let alice = NationalId::parse(ALICE).expect("id");
    let found = dossiers_for_id(&pool, &both, &alice).await.expect("lookup");
    assert_eq!(found.iter().map(|d| d.id).collect::<Vec<_>>(), vec![a1, a2]);
    // Resumed: finishes the rest and nothing more.
    let rest = run(&pool, &both, opts(1, false, None)).await;
    assert_eq!(rotated(&rest, "dossier.applicant_id_index"), 2);
    assert_eq!(rotated(&rest, "dossier.applicant_id"), 2);
    let found = dossiers_for_id(&pool, &new_ring(), &alice)
        .await
        .expect("lookup");
    assert_eq!(found.len(), 2, "all under the new index key now");
    drop_db(pool, &name).await;
}

#[tokio::test]
async fn values_that_do_not_open_are_reported_not_lost() {
    let (pool, name) = fresh_db("pd_rotfail").await;
    // Sealed under a key the rotating process does not have.
    let stray = ring(&[("k9", 2)], "k9", &[("i1", 11)], "i1");
    let d = dossier(&pool, &stray, ALICE, 2).await;
    // A purged sealed ID: its old-key index cannot be recomputed.
    let p = dossier(&pool, &old_ring(), BOB, 10).await;
    sqlx::query(
        "UPDATE dossier SET applicant_id_sealed = NULL, applicant_id_key_id = NULL WHERE id = $1",
    )
    .bind(p)
    .execute(&pool)
    .await
    .expect("purge");
    let report = run(&pool, &both_ring(), opts(10, false, None)).await;
    let t = |name: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == name)
            .cloned()
            .expect("table")
    };
    assert_eq!(t("dossier.applicant_id").failed, 1);
    assert_eq!(t("dossier.applicant_id_index").failed, 1);
    assert_eq!(t("dossier.applicant_id_index").stranded, 1);
    assert!(!report.complete(), "the command must not claim success");
    let (key,): (String,) = sqlx::query_as("SELECT applicant_id_key_id FROM dossier WHERE id = $1")
        .bind(d)
        .fetch_one(&pool)
        .await
        .expect("row");
    assert_eq!(key, "k9", "left as it was");
    drop_db(pool, &name).await;
}
