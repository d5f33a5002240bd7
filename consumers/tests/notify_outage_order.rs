//! During a provider outage every dossier's first SMS backs off, and the SMS planned
//! after it must wait. The waiting rows must not be due: the claim probes every due row
//! it walks, so due rows that cannot be claimed make each round cost the size of the
//! backlog. When the provider recovers, each waiting row goes out as soon as the one
//! before it ends, and never before.

mod common;

use std::time::Duration;

use dossierflow_consumers::notify::order::{Change, enqueue};
use dossierflow_consumers::notify::policy::Next;
use dossierflow_consumers::notify::queue::{Attempted, claim, record_all};
use sqlx::PgPool;
use uuid::Uuid;

const DOSSIERS: usize = 200;
const LEASE: Duration = Duration::from_secs(60);
const BACKOFF: Duration = Duration::from_secs(2);

/// Plans one SMS of status `code` for every dossier, through the notify stage's insert.
async fn plan_sms(pool: &PgPool, dossiers: &[Uuid], code: i16) {
    let facts = serde_json::json!({});
    for &dossier_id in dossiers {
        let mut conn = pool.acquire().await.expect("conn");
        let change = Change {
            dossier_id,
            status_event_id: Uuid::now_v7(),
            status_code: code,
            facts: &facts,
        };
        let new = enqueue(&mut conn, change, &[(Uuid::now_v7(), "sms", "submitted")])
            .await
            .expect("enqueue");
        assert_eq!(new.len(), 1, "the row is new");
    }
}

/// Open SMS rows whose next attempt is due: the rows the claim's index walk visits.
async fn due(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM notification
          WHERE channel = 'sms' AND state IN ('queued', 'sending') AND next_attempt_at <= now()",
    )
    .fetch_one(pool)
    .await
    .expect("due")
}

/// Claims every claimable SMS; returns the status codes claimed and their ids.
async fn claim_all(pool: &PgPool) -> (Vec<i16>, Vec<Uuid>) {
    let got = claim(pool, "sms", 10_000, LEASE).await.expect("claim");
    let ids: Vec<Uuid> = got.iter().map(|c| c.id).collect();
    let codes: Vec<i16> =
        sqlx::query_scalar("SELECT status_code FROM notification WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await
            .expect("codes");
    (codes, ids)
}

/// Records the same outcome for every row.
async fn record(pool: &PgPool, ids: &[Uuid], next: Next) {
    let rows: Vec<Attempted> = ids
        .iter()
        .map(|&id| Attempted {
            id,
            next: next.clone(),
            provider_ref: None,
            error: None,
        })
        .collect();
    let recorded = record_all(pool, &rows).await.expect("record");
    assert!(recorded.iter().all(|r| *r), "every outcome is recorded");
}

#[tokio::test]
async fn rows_waiting_behind_a_backing_off_sms_are_not_due_and_follow_it_at_once() {
    let (pool, name) = common::fresh_db("nq_outage").await;
    let mut dossiers = Vec::with_capacity(DOSSIERS);
    for _ in 0..DOSSIERS {
        dossiers.push(common::dossier(&pool).await);
    }

    // The first SMS of every dossier is claimed; the second is planned while the first
    // is with the provider, which then fails: the first backs off.
    plan_sms(&pool, &dossiers, 1).await;
    let (codes, heads) = claim_all(&pool).await;
    assert_eq!(codes.len(), DOSSIERS, "every first SMS is claimed");
    plan_sms(&pool, &dossiers, 2).await;
    // Due now: the leased first SMS and the second behind it.
    assert_eq!(
        due(&pool).await,
        2 * DOSSIERS as i64,
        "the second SMS waits, due"
    );
    record(&pool, &heads, Next::RetryIn(BACKOFF)).await;
    // A third SMS is planned while the first backs off.
    plan_sms(&pool, &dossiers, 3).await;

    assert_eq!(
        due(&pool).await,
        0,
        "no row waiting behind a backing-off SMS is due"
    );
    assert!(claim_all(&pool).await.0.is_empty(), "nothing is claimable");

    // The provider is back: the first SMS goes out again when its retry is due, and
    // before the ones behind it.
    tokio::time::sleep(BACKOFF + Duration::from_millis(300)).await;
    let (codes, heads) = claim_all(&pool).await;
    assert_eq!(codes.len(), DOSSIERS, "every first SMS is retried");
    assert!(codes.iter().all(|c| *c == 1), "only first SMS: {codes:?}");

    // Once it is sent, the next one is claimable at once, not a backoff later.
    record(&pool, &heads, Next::AwaitReceipt).await;
    let (codes, heads) = claim_all(&pool).await;
    assert_eq!(codes.len(), DOSSIERS, "every second SMS follows at once");
    assert!(codes.iter().all(|c| *c == 2), "only second SMS: {codes:?}");
    record(&pool, &heads, Next::AwaitReceipt).await;
    let (codes, _) = claim_all(&pool).await;
    assert_eq!(codes.len(), DOSSIERS, "then every third SMS");
    assert!(codes.iter().all(|c| *c == 3), "only third SMS: {codes:?}");

    common::drop_db(pool, &name).await;
}
