//! `dossierflow notifications requeue`: only the chosen channel's failed notifications go
//! back to the queue, with a fresh attempt budget and the same id; delivered ones never.

use std::process::Command;

use uuid::Uuid;

use crate::common::{BIN, TestDb};

fn cli(db: &TestDb, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["notifications", "requeue"])
        .args(args)
        .env("DOSSIER__DATABASE__URL", &db.url)
        .output()
        .expect("run dossierflow");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn requeue_resends_only_the_chosen_failed_notifications() {
    let db = TestDb::new();
    // The first command creates and migrates the database.
    let (ok, text) = cli(&db, &["--channel", "sms", "--dry-run"]);
    assert!(ok && text.contains("would requeue 0"), "{text}");
    let pool = db.pool().await;
    let dossier = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at)
         VALUES ($1, '1.001', 2, 'routed', '0251******87', now())",
    )
    .bind(dossier)
    .execute(&pool)
    .await
    .expect("dossier");
    let rows = [
        ("sms", "technical-failure", "2 hours"),
        ("sms", "technical-failure", "1 minute"),
        ("sms", "delivered", "1 minute"),
        ("email", "technical-failure", "1 minute"),
    ];
    let mut ids = vec![];
    for (channel, state, ago) in rows {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO notification (id, dossier_id, status_event_id, channel, status_code, template,
                                       state, attempts, finished_at)
             VALUES ($1, $2, $3, $4, 2, 'received', $5, 48, now() - $6::interval)",
        )
        .bind(id)
        .bind(dossier)
        .bind(Uuid::now_v7())
        .bind(channel)
        .bind(state)
        .bind(ago)
        .execute(&pool)
        .await
        .expect("notification");
        ids.push(id);
    }
    let state = |id: Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (String, i32)>(
                "SELECT state, attempts FROM notification WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("state")
        }
    };

    let (ok, text) = cli(&db, &["--channel", "sms", "--since", "30m", "--dry-run"]);
    assert!(ok && text.contains("would requeue 1"), "{text}");
    assert_eq!(
        state(ids[1]).await.0,
        "technical-failure",
        "a dry run changes nothing"
    );
    let (ok, text) = cli(&db, &["--channel", "sms", "--since", "30m"]);
    assert!(ok && text.contains("requeued 1"), "{text}");
    assert_eq!(state(ids[1]).await, ("queued".to_owned(), 0));
    assert_eq!(
        state(ids[0]).await.0,
        "technical-failure",
        "older than --since"
    );
    assert_eq!(
        state(ids[2]).await.0,
        "delivered",
        "delivered is never requeued"
    );
    assert_eq!(
        state(ids[3]).await.0,
        "technical-failure",
        "another channel"
    );
    let (ok, text) = cli(&db, &["--channel", "sms"]);
    assert!(ok && text.contains("requeued 1"), "{text}");
    assert_eq!(state(ids[0]).await.0, "queued");

    let (ok, text) = cli(&db, &["--channel", "fax"]);
    assert!(!ok && text.contains("--channel"), "{text}");
    let (ok, text) = cli(&db, &["--channel", "sms", "--state", "delivered"]);
    assert!(
        !ok && text.contains("only technical-failure or temporary-failure"),
        "{text}"
    );
}
