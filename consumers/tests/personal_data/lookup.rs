//! Blind index: the sealed ID is not in clear, and a lookup finds exactly the citizen's
//! dossiers.

use dossierflow_consumers::personal_data::dossiers_for_id;
use dossierflow_domain::NationalId;

use super::common::{drop_db, fresh_db};
use super::seed::{ALICE, BOB, CAROL, dossier, old_ring};

fn nid(s: &str) -> NationalId {
    NationalId::parse(s).expect("valid id")
}

#[tokio::test]
async fn the_sealed_id_is_not_plaintext_and_opens_for_its_dossier_only() {
    let (pool, name) = fresh_db("pd_sealed").await;
    let keys = old_ring();
    let a = dossier(&pool, &keys, ALICE, 1).await;
    let b = dossier(&pool, &keys, BOB, 1).await;
    // The whole row as PostgreSQL prints it (bytea in hex) and the raw column bytes.
    let (text, sealed, key_id): (String, Vec<u8>, String) = sqlx::query_as(
        "SELECT d::text, applicant_id_sealed, applicant_id_key_id FROM dossier d WHERE id = $1",
    )
    .bind(a)
    .fetch_one(&pool)
    .await
    .expect("row");
    assert!(!text.contains(ALICE), "the full ID is not in the row");
    assert!(
        !sealed.windows(ALICE.len()).any(|w| w == ALICE.as_bytes()),
        "the sealed bytes do not contain the ID"
    );
    assert!(text.contains("0251******87"), "the masked ID stays");
    assert_eq!(
        keys.open(&key_id, &sealed, a.as_bytes()).expect("opens"),
        ALICE.as_bytes()
    );
    assert!(
        keys.open(&key_id, &sealed, b.as_bytes()).is_err(),
        "dossier id is the associated data"
    );
    drop_db(pool, &name).await;
}

#[tokio::test]
async fn lookup_by_blind_index_finds_the_citizen_and_no_one_else() {
    let (pool, name) = fresh_db("pd_lookup").await;
    let keys = old_ring();
    let a1 = dossier(&pool, &keys, ALICE, 2).await;
    let a2 = dossier(&pool, &keys, ALICE, 10).await;
    let b = dossier(&pool, &keys, BOB, 2).await;
    let found = dossiers_for_id(&pool, &keys, &nid(ALICE))
        .await
        .expect("lookup");
    let ids: Vec<_> = found.iter().map(|d| d.id).collect();
    assert_eq!(ids, vec![a1, a2], "both of Alice's dossiers, oldest first");
    assert!(
        found
            .iter()
            .all(|d| d.applicant_id_masked == "0251******87")
    );
    let found = dossiers_for_id(&pool, &keys, &nid(BOB))
        .await
        .expect("lookup");
    assert_eq!(found.iter().map(|d| d.id).collect::<Vec<_>>(), vec![b]);
    assert!(
        dossiers_for_id(&pool, &keys, &nid(CAROL))
            .await
            .expect("lookup")
            .is_empty(),
        "no dossier for an ID never submitted"
    );
    // The index is keyed: the same ID under another index key finds nothing.
    let other = super::seed::ring(&[("k1", 1)], "k1", &[("i2", 12)], "i2");
    assert!(
        dossiers_for_id(&pool, &other, &nid(ALICE))
            .await
            .expect("lookup")
            .is_empty(),
        "a plain or differently keyed hash does not match"
    );
    drop_db(pool, &name).await;
}
