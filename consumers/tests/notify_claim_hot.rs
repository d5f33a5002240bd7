//! A notification claim is a HOT update: it changes no indexed column, so PostgreSQL
//! writes no index entry for it (migration 0019), and a leased row still behaves as a
//! claimed one.

mod common;

use std::time::Duration;

use dossierflow_consumers::notify::policy::Next;
use dossierflow_consumers::notify::queue::{Attempted, claim, record_all};
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(60);

/// Claims up to `n` SMS on a connection of its own and closes it (so its statistics are
/// flushed); returns how many were claimed.
async fn claims_from_own_connection(name: &str, n: i64) -> usize {
    let own = common::own_pool(name).await;
    let claimed = claim(&own, "sms", n, LEASE).await.expect("claim").len();
    // Closing ends the backend, which flushes its statistics.
    own.close().await;
    claimed
}

#[tokio::test]
async fn claims_write_no_index_entries_and_leased_rows_are_still_claimed() {
    let (pool, name) = common::fresh_db("nq_hot").await;
    let reloptions: Option<Vec<String>> =
        sqlx::query_scalar("SELECT reloptions FROM pg_class WHERE relname = 'notification'")
            .fetch_one(&pool)
            .await
            .expect("reloptions");
    assert_eq!(reloptions, Some(vec!["fillfactor=70".to_string()]));

    let mut ids = Vec::new();
    // Few enough rows that every new version fits on their page without waiting for
    // pruning: what is measured is whether an indexed column forces a non-HOT update.
    for _ in 0..8 {
        let d = common::dossier(&pool).await;
        ids.push(common::notification(&pool, d, "sms").await);
    }
    let never_claimed = common::notification(&pool, common::dossier(&pool).await, "email").await;
    assert_eq!(claims_from_own_connection(&name, 100).await, 8);
    let (updated, hot) = common::updates(&pool, "notification", 8).await;
    assert_eq!((updated, hot), (8, 8), "every claim is a HOT update");

    let state: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT state FROM notification WHERE channel = 'sms'")
            .fetch_all(&pool)
            .await
            .expect("states");
    assert_eq!(state, ["queued"], "a leased row stays queued");
    assert!(
        claim(&pool, "sms", 100, LEASE)
            .await
            .expect("claim")
            .is_empty(),
        "a leased row is not claimed again"
    );

    // The lease is what lets an outcome be recorded: the claimed row takes it, the row
    // nobody claimed does not.
    let outcome = |id: Uuid| Attempted {
        id,
        next: Next::AwaitReceipt,
        provider_ref: Some("gw-1".into()),
        error: None,
    };
    let recorded = record_all(&pool, &[outcome(ids[0]), outcome(never_claimed)])
        .await
        .expect("record");
    assert_eq!(recorded, [true, false]);
    let states: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, state FROM notification WHERE id = ANY($1) ORDER BY id")
            .bind([ids[0], never_claimed])
            .fetch_all(&pool)
            .await
            .expect("states");
    assert_eq!(
        states,
        [
            (ids[0], "sent".to_string()),
            (never_claimed, "queued".to_string())
        ]
    );
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn rows_an_older_release_left_sending_are_claimed_once_their_lease_expires() {
    let (pool, name) = common::fresh_db("nq_legacy").await;
    let d = common::dossier(&pool).await;
    let live = common::notification(&pool, d, "sms").await;
    let expired = common::notification(&pool, common::dossier(&pool).await, "sms").await;
    sqlx::query(
        "UPDATE notification SET state = 'sending', attempts = 1,
                lease_until = now() + CASE WHEN id = $1 THEN interval '1 hour'
                                           ELSE interval '-1 second' END",
    )
    .bind(live)
    .execute(&pool)
    .await
    .expect("legacy rows");
    let got = claim(&pool, "sms", 10, LEASE).await.expect("claim");
    let got: Vec<(Uuid, i32)> = got.iter().map(|c| (c.id, c.attempts)).collect();
    assert_eq!(
        got,
        [(expired, 2)],
        "only the expired legacy lease is taken"
    );
    let state: String = sqlx::query_scalar("SELECT state FROM notification WHERE id = $1")
        .bind(expired)
        .fetch_one(&pool)
        .await
        .expect("state");
    assert_eq!(state, "queued");
    let recorded = record_all(
        &pool,
        &[Attempted {
            id: live,
            next: Next::RetryIn(Duration::ZERO),
            provider_ref: None,
            error: Some("HTTP 503".into()),
        }],
    )
    .await
    .expect("record");
    assert_eq!(
        recorded,
        [true],
        "an older worker's lease can still be recorded"
    );
    common::drop_db(pool, &name).await;
}
