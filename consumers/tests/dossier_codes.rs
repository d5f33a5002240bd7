//! Dossier codes from PostgreSQL: eight concurrent tasks, some of whose transactions roll
//! back, get codes with no duplicate and no gap.

mod common;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use dossierflow_consumers::route::codes::next_code;
use dossierflow_domain::AgencyId;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_code_generation_has_no_duplicate_and_no_gap() {
    let (pool, name) = common::fresh_db("codes").await;
    let agency = AgencyId::parse("000.01.30.H43").expect("agency");
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");

    let mut tasks = Vec::new();
    for task in 0..8u32 {
        let (pool, agency) = (pool.clone(), agency.clone());
        tasks.push(tokio::spawn(async move {
            let mut kept = Vec::new();
            for i in 0..25u32 {
                let mut tx = pool.begin().await.expect("begin");
                let code = next_code(&mut tx, &agency, day).await.expect("code");
                // Every fifth transaction fails after taking a number: it must give it back.
                if (task + i) % 5 == 0 {
                    tx.rollback().await.expect("rollback");
                } else {
                    tx.commit().await.expect("commit");
                    kept.push(code);
                }
            }
            kept
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.extend(t.await.expect("task"));
    }
    let seqs: BTreeSet<u32> = codes.iter().map(|c| c.seq()).collect();
    assert_eq!(seqs.len(), codes.len(), "duplicate sequence numbers");
    let expected: BTreeSet<u32> = (1..=codes.len() as u32).collect();
    assert_eq!(seqs, expected, "gap in sequence numbers");
    assert!(
        codes
            .iter()
            .all(|c| c.to_string().starts_with("000.01.30.H43-261127-"))
    );

    // Another day or agency starts again at 1.
    let mut conn = pool.acquire().await.expect("conn");
    let next_day = next_code(&mut conn, &agency, day.succ_opt().expect("day"))
        .await
        .expect("code");
    assert_eq!(next_day.seq(), 1);
    drop(conn);
    common::drop_db(pool, &name).await;
}
