//! Delivery receipts in groups, against PostgreSQL: each receipt gets the effect it
//! would get alone, concurrent receipts share statements, and two receipts for one
//! notification are applied one after the other.

mod common;

use std::time::Duration;

use dossierflow_consumers::notify::policy::Terminal;
use dossierflow_consumers::notify::queue::{ReceiptEffect, claim};
use dossierflow_consumers::notify::receipt_group::{Receipt, ReceiptGroup, apply_receipts};
use uuid::Uuid;

fn receipt(channel: &str, id: Uuid, state: Terminal) -> Receipt {
    Receipt {
        channel: channel.into(),
        id,
        state,
        provider_ref: Some(format!("gw-{}", id.simple())),
    }
}

#[tokio::test]
async fn each_receipt_of_a_group_gets_its_own_effect() {
    let (pool, name) = common::fresh_db("rg_effects").await;
    let d = common::dossier(&pool).await;
    let open = common::notification(&pool, d, "sms").await;
    let done = common::notification(&pool, d, "zalo").await;
    let first = apply_receipts(&pool, &[receipt("zalo", done, Terminal::PermanentFailure)])
        .await
        .expect("receipt");
    assert_eq!(first, [ReceiptEffect::Recorded]);
    let group = [
        receipt("sms", open, Terminal::Delivered),
        receipt("zalo", done, Terminal::Delivered),
        receipt("sms", Uuid::now_v7(), Terminal::Delivered),
        receipt("zalo", open, Terminal::Delivered),
    ];
    let effects = apply_receipts(&pool, &group).await.expect("group");
    assert_eq!(
        effects,
        [
            ReceiptEffect::Recorded,
            ReceiptEffect::Unchanged("permanent-failure".into()),
            ReceiptEffect::Unknown,
            ReceiptEffect::Unknown,
        ],
        "recorded, already final, no such id, another channel's id"
    );
    let (state, provider_ref): (String, Option<String>) =
        sqlx::query_as("SELECT state, provider_ref FROM notification WHERE id = $1")
            .bind(open)
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_eq!(state, "delivered");
    assert_eq!(provider_ref, Some(format!("gw-{}", open.simple())));
    assert!(apply_receipts(&pool, &[]).await.expect("none").is_empty());
    common::drop_db(pool, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_receipts_share_commits_and_repeats_come_second() {
    let (pool, name) = common::fresh_db("rg_concurrent").await;
    let mut ids = Vec::new();
    for _ in 0..200 {
        let d = common::dossier(&pool).await;
        ids.push(common::notification(&pool, d, "sms").await);
    }
    let claimed = claim(&pool, "sms", 500, Duration::from_secs(60))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 200);
    let group = ReceiptGroup::start(pool.clone());
    // Every notification gets `delivered`; the first 20 also get a second receipt.
    let mut calls = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        calls.push((*id, receipt("sms", *id, Terminal::Delivered)));
        if i < 20 {
            calls.push((*id, receipt("sms", *id, Terminal::TemporaryFailure)));
        }
    }
    let answers = futures::future::join_all(calls.into_iter().map(|(id, r)| {
        let group = group.clone();
        async move { (id, group.apply(r).await.expect("recorded")) }
    }))
    .await;
    for (i, id) in ids.iter().enumerate() {
        let mine: Vec<&ReceiptEffect> = answers
            .iter()
            .filter(|(a, _)| a == id)
            .map(|(_, e)| e)
            .collect();
        let recorded = mine
            .iter()
            .filter(|e| ***e == ReceiptEffect::Recorded)
            .count();
        assert_eq!(recorded, 1, "exactly one receipt changes notification {i}");
        assert_eq!(mine.len(), if i < 20 { 2 } else { 1 });
    }
    // now() is the transaction's start: fewer distinct values than rows means shared
    // commits. One receipt at a time would give 200.
    let commits: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT finished_at) FROM notification WHERE finished_at IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    assert!(commits < 200, "{commits} commits for 200 notifications");
    drop(group);
    common::drop_db(pool, &name).await;
}
