//! Events with personal data wait in the outbox sealed: the row holds no ID, name or
//! birth date in clear, only the sealed form opens it, and the plain `append` refuses them.

mod common;

use chrono::Utc;
use dossierflow_runtime::config::DEV_KEYS;
use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::outbox;
use dossierflow_schemas::{ApplicantV1, Envelope, SubmittedV1};
use uuid::Uuid;

const ID: &str = "025190012387";
const NAME: &str = "Nguyễn Thị Minh Châu";

#[tokio::test]
async fn submitted_events_are_sealed_in_the_outbox() {
    let test_db = common::TestDb::create("outbox").await;
    let pool = test_db.pool.clone();
    let keys = Keyring::parse(DEV_KEYS, "dev").expect("keys");
    let event = Envelope::new(
        "/test",
        SubmittedV1 {
            dossier_id: Uuid::now_v7(),
            procedure_code: "1.001193".into(),
            submitted_at: Utc::now(),
            applicant: ApplicantV1 {
                full_name: NAME.into(),
                id_number: ID.into(),
                birth_date: "20/04/1990".into(),
                phone: None,
                email: None,
            },
            receiving_unit: None,
        },
    );
    let mut tx = pool.begin().await.expect("tx");
    let refused = outbox::append(&mut tx, "dossier.submitted.v1", &event).await;
    assert!(
        refused.is_err(),
        "the plain append must refuse personal data"
    );
    tx.rollback().await.expect("rollback");

    sqlx::query(
        "INSERT INTO dossier (id, procedure_code, status, stage, applicant_id_masked, submitted_at)
         VALUES ($1, '1.001193', 1, 'submitted', '0251******87', now())",
    )
    .bind(event.data.dossier_id)
    .execute(&pool)
    .await
    .expect("dossier");
    let mut tx = pool.begin().await.expect("tx");
    outbox::append_sealed(&mut tx, "dossier.submitted.v1", &event, &keys)
        .await
        .expect("sealed append");
    tx.commit().await.expect("commit");
    let (payload, key_id, sealed): (serde_json::Value, String, Vec<u8>) =
        sqlx::query_as("SELECT payload, key_id, sealed FROM outbox WHERE id = $1")
            .bind(event.id)
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_eq!(payload, serde_json::json!({ "sealed": true }));
    let text = String::from_utf8_lossy(&sealed);
    assert!(
        !text.contains(ID) && !text.contains(NAME),
        "sealed bytes hold plaintext"
    );
    let opened = keys
        .open(&key_id, &sealed, event.id.as_bytes())
        .expect("opens");
    let back: SubmittedV1 = serde_json::from_slice(&opened).expect("json");
    assert_eq!(back, event.data);
    assert!(
        keys.open(&key_id, &sealed, Uuid::new_v4().as_bytes())
            .is_err(),
        "bound to its row id"
    );
    let history: String =
        sqlx::query_scalar("SELECT payload::text FROM dossier_event WHERE event_id = $1")
            .bind(event.id)
            .fetch_one(&pool)
            .await
            .expect("history");
    assert!(
        !history.contains(ID) && !history.contains(NAME),
        "{history}"
    );

    test_db.drop_now().await;
}
