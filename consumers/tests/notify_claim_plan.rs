//! The claim against a deep backlog: it walks the due index in order and stops at its
//! limit, rather than reading, testing and sorting every due row (a cost that grows with
//! the backlog), and it still claims only each dossier's earliest unsent notification.

mod common;

use std::time::Duration;

use dossierflow_consumers::notify::queue::{claim, claim_plan};
use uuid::Uuid;

const DOSSIERS: i64 = 1500;

#[tokio::test]
async fn a_deep_backlog_is_claimed_in_order_without_sorting_it() {
    let (pool, name) = common::fresh_db("nq_plan").await;
    // Two queued SMS per dossier, the first due earlier: half the due rows wait for an
    // earlier one, which is what misleads the planner.
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at, contact)
         SELECT gen_random_uuid(), '1.001', 1, 'submitted', '0251******87', now(), '{\"phone\": \"0912345678\"}'
           FROM generate_series(1, $1)",
    )
    .bind(DOSSIERS)
    .execute(&pool)
    .await
    .expect("dossiers");
    sqlx::query(
        "INSERT INTO notification (id, dossier_id, status_event_id, channel, status_code, template,
                                   facts, next_attempt_at)
         SELECT gen_random_uuid(), d.id, gen_random_uuid(), 'sms', k, 'submitted', '{}',
                now() - make_interval(secs => (3 - k) * 600 + random() * 300)
           FROM dossier d, generate_series(1, 2) AS k
          ORDER BY d.id, k",
    )
    .execute(&pool)
    .await
    .expect("notifications");
    sqlx::query("ANALYZE notification")
        .execute(&pool)
        .await
        .expect("analyze");

    let plan = claim_plan(&pool, "sms", 64).await.expect("plan");
    assert!(
        plan.contains("Index Scan using notification_due"),
        "the claim walks the due index: {plan}"
    );
    assert!(
        !plan.contains("Sort"),
        "the claim sorts the whole backlog: {plan}"
    );

    let got = claim(&pool, "sms", 64, Duration::from_secs(60))
        .await
        .expect("claim");
    assert_eq!(got.len(), 64, "a full round is claimed");
    let ids: Vec<Uuid> = got.iter().map(|c| c.id).collect();
    let (heads, earliest): (i64, bool) = sqlx::query_as(
        "WITH c AS (SELECT * FROM notification WHERE id = ANY($1))
         SELECT (SELECT count(*) FROM c WHERE c.status_code = 1),
                (SELECT max(next_attempt_at) FROM c)
                  <= (SELECT min(next_attempt_at) FROM notification
                       WHERE lease_until IS NULL AND status_code = 1)",
    )
    .bind(&ids)
    .fetch_one(&pool)
    .await
    .expect("check");
    assert_eq!(
        heads, 64,
        "only each dossier's first notification is claimed"
    );
    assert!(earliest, "the earliest due heads are claimed first");
    common::drop_db(pool, &name).await;
}
