//! No plaintext ID is stored; lookups are found by keyed HMAC and only with the right key;
//! IDs are masked as first 4 + last 2 digits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, record};
use dossierflow_audit::{AuditError, AuditKey, CHANNEL_PORTAL_SYNC, append, find_by_id};

const CCCD_A: &str = "025199001287";
const CCCD_B: &str = "079203004561";
const CMND: &str = "012345678";

/// The whole table as PostgreSQL renders it in text, one row per line.
async fn table_text(db: &TestDb) -> String {
    let (text,): (Option<String>,) =
        sqlx::query_as("SELECT string_agg(t::text, E'\\n' ORDER BY seq) FROM lookup_audit t")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    text.unwrap_or_default()
}

#[tokio::test]
async fn stored_rows_hold_no_full_id_and_are_masked() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    for id in [CCCD_A, CCCD_B, CMND] {
        append(&db.pool, &key, &record(id, 1)).await.unwrap();
    }
    let text = table_text(&db).await;
    assert_eq!(text.lines().count(), 3);
    for id in [CCCD_A, CCCD_B, CMND] {
        assert!(!text.contains(id), "full ID {id} found in the table");
    }
    let masks: Vec<(String,)> = sqlx::query_as("SELECT id_masked FROM lookup_audit ORDER BY seq")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let masks: Vec<_> = masks.into_iter().map(|m| m.0).collect();
    assert_eq!(masks, ["0251******87", "0792******61", "0123***78"]);
}

#[tokio::test]
async fn find_by_id_uses_the_hmac_and_needs_the_key() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    let mut mine = Vec::new();
    for attempt in 1..=2 {
        mine.push(
            append(&db.pool, &key, &record(CCCD_A, attempt))
                .await
                .unwrap(),
        );
        append(&db.pool, &key, &record(CCCD_B, attempt))
            .await
            .unwrap();
    }
    let mut sync = record(CCCD_A, 1);
    sync.channel = CHANNEL_PORTAL_SYNC;
    sync.dossier_id = None;
    sync.actor = "citizen-self".to_owned();
    mine.push(append(&db.pool, &key, &sync).await.unwrap());

    let found = find_by_id(&db.pool, &key, CCCD_A).await.unwrap();
    assert_eq!(found.iter().map(|r| r.seq).collect::<Vec<_>>(), mine);
    assert!(found.iter().all(|r| r.id_masked == "0251******87"));
    assert_eq!(found[2].channel, "portal_sync");
    assert_eq!(found[2].purpose_dossier, None);
    assert_eq!(found[0].fields_requested, ["full_name", "birth_date"]);
    assert_eq!(find_by_id(&db.pool, &key, CMND).await.unwrap().len(), 0);

    let other = AuditKey::from_secret(b"another-key");
    assert!(
        find_by_id(&db.pool, &other, CCCD_A)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        find_by_id(&db.pool, &key, "0251").await,
        Err(AuditError::InvalidId)
    ));
}

#[tokio::test]
async fn records_that_would_leak_are_refused_before_the_database() {
    let db = TestDb::new().await;
    let key = AuditKey::from_secret(b"test-key");
    let mut leaky = record(CCCD_A, 1);
    leaky.request_id = format!("req-{CCCD_A}");
    let err = append(&db.pool, &key, &leaky).await.unwrap_err();
    assert!(matches!(
        err,
        AuditError::IdInPlaintext {
            column: "request_id"
        }
    ));
    assert!(!err.to_string().contains(CCCD_A), "{err}");

    let mut values = record(CCCD_A, 1);
    values.fields_returned = vec!["Nguyễn Văn An".to_owned()];
    assert!(matches!(
        append(&db.pool, &key, &values).await,
        Err(AuditError::InvalidField {
            field: "fields_returned",
            ..
        })
    ));
    assert_eq!(table_text(&db).await, "");
}
