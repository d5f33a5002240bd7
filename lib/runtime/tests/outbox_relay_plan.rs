//! The outbox relay's select keeps its index walk on a real PostgreSQL when the
//! statistics say the outbox is empty, as they usually do between bursts: the plan made
//! then is the one a connection caches and reuses while a backlog builds. The generic
//! plan is checked, for the leading relay's round and for a standby's.

mod common;

use std::time::Duration;

use dossierflow_runtime::outbox;

#[tokio::test]
async fn the_relay_walks_the_created_at_index_even_when_statistics_say_empty() {
    let test_db = common::TestDb::create("relay_plan").await;
    sqlx::raw_sql("VACUUM ANALYZE outbox")
        .execute(&test_db.pool)
        .await
        .expect("analyse the empty outbox");
    // The leader's round, and a standby's (only rows older than the takeover age).
    for older_than in [None, Some(Duration::from_secs(5))] {
        let plan = outbox::relay_plan(&test_db.pool, 100, older_than)
            .await
            .expect("explain");
        assert!(
            plan.contains("Index Scan using outbox_created_idx"),
            "the relay ({older_than:?}) walks the oldest rows in order:\n{plan}"
        );
        assert!(
            !plan.contains("Sort") && !plan.contains("Seq Scan"),
            "no scan and sort of the whole outbox ({older_than:?}):\n{plan}"
        );
    }
    test_db.drop_now().await;
}
