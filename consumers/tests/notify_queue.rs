//! The notification send queue against PostgreSQL: leases instead of locks, per-dossier
//! order within a channel, outcomes that never overwrite a receipt, idempotent receipts,
//! expiring receipts, and the daily cap.

mod common;

use std::time::Duration;

use dossierflow_consumers::notify::policy::{Next, Terminal};
use dossierflow_consumers::notify::queue::{
    Attempted, ReceiptEffect, backlog, claim, expire_receipts, record_all, refund, reserve, today,
};
use dossierflow_consumers::notify::receipt_group::{Receipt, apply_receipts};
use sqlx::PgPool;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(60);

/// One outcome through `record_all`.
async fn record(
    pool: &PgPool,
    id: Uuid,
    next: &Next,
    provider_ref: Option<&str>,
    error: Option<&str>,
) -> sqlx::Result<bool> {
    let row = Attempted {
        id,
        next: next.clone(),
        provider_ref: provider_ref.map(Into::into),
        error: error.map(Into::into),
    };
    Ok(record_all(pool, &[row]).await?[0])
}

/// One receipt through `apply_receipts`.
async fn apply_receipt(
    pool: &PgPool,
    channel: &str,
    id: Uuid,
    state: Terminal,
    provider_ref: Option<&str>,
) -> sqlx::Result<ReceiptEffect> {
    let receipt = Receipt {
        channel: channel.into(),
        id,
        state,
        provider_ref: provider_ref.map(Into::into),
    };
    Ok(apply_receipts(pool, &[receipt]).await?.remove(0))
}

async fn state(pool: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT state FROM notification WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("state")
}

#[tokio::test]
async fn claims_lease_rows_in_order_per_dossier_and_channel() {
    let (pool, name) = common::fresh_db("nq_order").await;
    let d = common::dossier(&pool).await;
    let first = common::notification(&pool, d, "sms").await;
    let second = common::notification(&pool, d, "sms").await;
    common::notification(&pool, d, "email").await;

    let got = claim(&pool, "sms", 10, LEASE).await.expect("claim");
    let ids: Vec<Uuid> = got.iter().map(|c| c.id).collect();
    assert_eq!(ids, [first], "the second SMS waits for the first");
    assert_eq!(got[0].attempts, 1);
    assert_eq!(got[0].contact["phone"], "0912345678");
    assert!(
        claim(&pool, "sms", 10, LEASE)
            .await
            .expect("claim")
            .is_empty(),
        "leased rows are not claimed twice"
    );
    assert_eq!(
        claim(&pool, "email", 10, LEASE).await.expect("claim").len(),
        1,
        "channels are independent queues"
    );

    // A retry keeps the order: the second SMS still waits.
    let retry = Next::RetryIn(Duration::ZERO);
    assert!(
        record(&pool, first, &retry, None, Some("HTTP 503"))
            .await
            .expect("record")
    );
    let again = claim(&pool, "sms", 10, LEASE).await.expect("claim");
    assert_eq!(again.iter().map(|c| c.id).collect::<Vec<_>>(), [first]);
    assert_eq!(again[0].attempts, 2);
    // Accepted: the next one may go while the first awaits its receipt.
    assert!(
        record(&pool, first, &Next::AwaitReceipt, Some("gw-1"), None)
            .await
            .expect("record")
    );
    assert_eq!(state(&pool, first).await, "sent");
    let next: Vec<Uuid> = claim(&pool, "sms", 10, LEASE)
        .await
        .expect("claim")
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(next, [second]);
    let (depth, _) = backlog(&pool, "sms").await.expect("backlog");
    assert_eq!(depth, 1, "only the leased second SMS is waiting");
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again_and_a_receipt_beats_a_late_outcome() {
    let (pool, name) = common::fresh_db("nq_lease").await;
    let d = common::dossier(&pool).await;
    let id = common::notification(&pool, d, "sms").await;
    assert_eq!(
        claim(&pool, "sms", 1, Duration::ZERO)
            .await
            .expect("claim")
            .len(),
        1
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = claim(&pool, "sms", 1, LEASE).await.expect("claim");
    assert_eq!(
        (again.len(), again[0].attempts),
        (1, 2),
        "a dead worker's row is retried"
    );

    // The provider's receipt arrives before the worker records the acceptance.
    let effect = apply_receipt(&pool, "sms", id, Terminal::Delivered, Some("gw-9")).await;
    assert_eq!(effect.expect("receipt"), ReceiptEffect::Recorded);
    assert!(
        !record(&pool, id, &Next::AwaitReceipt, Some("gw-9"), None)
            .await
            .expect("record"),
        "a late outcome changes nothing"
    );
    assert_eq!(state(&pool, id).await, "delivered");
    let again = apply_receipt(&pool, "sms", id, Terminal::PermanentFailure, None).await;
    assert_eq!(
        again.expect("receipt"),
        ReceiptEffect::Unchanged("delivered".into())
    );
    let other = apply_receipt(&pool, "zalo", id, Terminal::Delivered, None).await;
    assert_eq!(
        other.expect("receipt"),
        ReceiptEffect::Unknown,
        "a receipt names its own channel's notification"
    );
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn final_outcomes_and_missing_receipts_end_the_right_state() {
    let (pool, name) = common::fresh_db("nq_final").await;
    let d = common::dossier(&pool).await;
    let rejected = common::notification(&pool, common::dossier(&pool).await, "sms").await;
    let waiting = common::notification(&pool, d, "sms").await;
    assert_eq!(
        claim(&pool, "sms", 10, LEASE).await.expect("claim").len(),
        2
    );
    let permanent = Next::Final(Terminal::PermanentFailure);
    assert!(
        record(&pool, rejected, &permanent, None, Some("HTTP 400"))
            .await
            .expect("record")
    );
    assert!(
        record(&pool, waiting, &Next::AwaitReceipt, Some("gw"), None)
            .await
            .expect("record")
    );
    assert_eq!(state(&pool, rejected).await, "permanent-failure");
    assert_eq!(
        expire_receipts(&pool, "sms", Duration::from_secs(3600))
            .await
            .expect("expire"),
        0
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        expire_receipts(&pool, "sms", Duration::from_millis(1))
            .await
            .expect("expire"),
        1
    );
    assert_eq!(state(&pool, waiting).await, "temporary-failure");
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn the_daily_cap_grants_no_more_than_the_cap_and_refunds_return_sends() {
    let (pool, name) = common::fresh_db("nq_cap").await;
    let day = today();
    assert_eq!(
        reserve(&pool, "sms", day, 64, 100).await.expect("reserve"),
        (64, 64)
    );
    assert_eq!(
        reserve(&pool, "sms", day, 64, 100).await.expect("reserve"),
        (36, 100)
    );
    assert_eq!(
        reserve(&pool, "sms", day, 64, 100).await.expect("reserve"),
        (0, 100),
        "cap reached"
    );
    assert_eq!(
        reserve(&pool, "email", day, 10, 100)
            .await
            .expect("reserve"),
        (10, 10),
        "caps are per channel"
    );
    refund(&pool, "sms", day, 30).await.expect("refund");
    assert_eq!(
        reserve(&pool, "sms", day, 64, 100).await.expect("reserve"),
        (30, 100)
    );
    let tomorrow = day.succ_opt().expect("date");
    assert_eq!(
        reserve(&pool, "sms", tomorrow, 5, 100)
            .await
            .expect("reserve"),
        (5, 5),
        "a new day starts at zero"
    );
    common::drop_db(pool, &name).await;
}

#[tokio::test]
async fn a_round_is_recorded_at_once_and_an_earlier_receipt_still_wins() {
    let (pool, name) = common::fresh_db("nq_all").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let d = common::dossier(&pool).await;
        ids.push(common::notification(&pool, d, "sms").await);
    }
    assert_eq!(
        claim(&pool, "sms", 10, LEASE).await.expect("claim").len(),
        3
    );
    let effect = apply_receipt(&pool, "sms", ids[1], Terminal::Delivered, Some("gw-2")).await;
    assert_eq!(effect.expect("receipt"), ReceiptEffect::Recorded);
    let row = |id, next, provider_ref: Option<&str>, error: Option<&str>| Attempted {
        id,
        next,
        provider_ref: provider_ref.map(Into::into),
        error: error.map(Into::into),
    };
    let results = [
        row(
            ids[0],
            Next::RetryIn(Duration::ZERO),
            None,
            Some("HTTP 503"),
        ),
        row(ids[1], Next::AwaitReceipt, Some("gw-2"), None),
        row(
            ids[2],
            Next::Final(Terminal::PermanentFailure),
            None,
            Some("HTTP 400"),
        ),
    ];
    let recorded = record_all(&pool, &results).await.expect("record_all");
    assert_eq!(recorded, [true, false, true], "the receipt came first");
    let rows: Vec<(String, Option<String>, Option<String>, bool)> = sqlx::query_as(
        "SELECT state, last_error, provider_ref, finished_at IS NOT NULL
           FROM notification WHERE id = ANY($1) ORDER BY id",
    )
    .bind(&ids)
    .fetch_all(&pool)
    .await
    .expect("rows");
    let want = |s: &str, e: Option<&str>, r: Option<&str>, f| {
        (s.to_owned(), e.map(Into::into), r.map(Into::into), f)
    };
    assert_eq!(
        rows,
        [
            want("queued", Some("HTTP 503"), None, false),
            want("delivered", None, Some("gw-2"), true),
            want("permanent-failure", Some("HTTP 400"), None, true),
        ]
    );
    assert!(record_all(&pool, &[]).await.expect("nothing").is_empty());
    common::drop_db(pool, &name).await;
}
