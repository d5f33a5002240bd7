//! Group commit on a real PostgreSQL: members that begin together share one transaction
//! and one commit, a failing member rolls back alone, a failed commit fails every member,
//! and a group runs only after the previous one's members are done.

mod common;

use std::time::Duration;

use common::{TestDb, until_members};
use dossierflow_runtime::commit_group::{CommitError, CommitGroups};
use sqlx::PgPool;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Rows written by members: their key, the transaction that wrote them and a sequence
/// number taken when the member ran.
const TABLE: &str =
    "CREATE TABLE member_row (k int PRIMARY KEY, xid bigint NOT NULL, seq bigint NOT NULL);
                     CREATE SEQUENCE member_seq";

/// What a member does after inserting its row.
#[derive(Clone, Copy, PartialEq)]
enum Then {
    Commit,
    Fail,
    Drop,
}

async fn setup(max: usize) -> (TestDb, CommitGroups, PgPool) {
    let db = TestDb::create("commit_groups").await;
    sqlx::raw_sql(TABLE).execute(&db.pool).await.expect("table");
    let groups = CommitGroups::new(db.pool_of(4).await, max);
    let reader = db.pool.clone();
    (db, groups, reader)
}

/// A member inserting row `k`; it waits for `hold` (if any) before finishing, then
/// checks from another connection that its row is visible once `commit` returned.
fn member(
    groups: &CommitGroups,
    reader: &PgPool,
    k: i32,
    then: Then,
    hold: Option<oneshot::Receiver<()>>,
) -> JoinHandle<Result<(), CommitError>> {
    let (groups, reader) = (groups.clone(), reader.clone());
    tokio::spawn(async move {
        let mut tx = groups.begin().await?;
        sqlx::query("INSERT INTO member_row VALUES ($1, txid_current(), nextval('member_seq'))")
            .bind(k)
            .execute(&mut *tx)
            .await?;
        if let Some(hold) = hold {
            hold.await.expect("released");
        }
        match then {
            Then::Commit => {
                tx.commit().await?;
                let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM member_row WHERE k = $1")
                    .bind(k)
                    .fetch_one(&reader)
                    .await
                    .expect("count");
                assert_eq!(n, 1, "row {k} is visible to others once commit returned");
                Ok(())
            }
            Then::Fail => {
                sqlx::query("SELECT 1 / 0").execute(&mut *tx).await?;
                unreachable!("division by zero fails");
            }
            Then::Drop => Ok(()),
        }
    })
}

/// (k, xid, seq) of every row, by k.
async fn rows(pool: &PgPool) -> Vec<(i32, i64, i64)> {
    sqlx::query_as("SELECT k, xid, seq FROM member_row ORDER BY k")
        .fetch_all(pool)
        .await
        .expect("rows")
}

/// Starts member 0 holding its turn, then `others`, and waits until all have joined.
async fn held_group(
    groups: &CommitGroups,
    reader: &PgPool,
    others: &[(i32, Then)],
) -> (
    oneshot::Sender<()>,
    Vec<JoinHandle<Result<(), CommitError>>>,
) {
    let (release, hold) = oneshot::channel();
    let mut tasks = vec![member(groups, reader, 0, Then::Commit, Some(hold))];
    until_members(groups, 1).await;
    for &(k, then) in others {
        tasks.push(member(groups, reader, k, then, None));
    }
    until_members(groups, 1 + others.len()).await;
    (release, tasks)
}

#[tokio::test]
async fn members_that_begin_together_share_one_commit() {
    let (db, groups, reader) = setup(32).await;
    let others: Vec<_> = (1..5).map(|k| (k, Then::Commit)).collect();
    let (release, tasks) = held_group(&groups, &reader, &others).await;
    release.send(()).expect("release");
    for t in tasks {
        t.await.expect("task").expect("committed");
    }
    let rows = rows(&reader).await;
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter().all(|r| r.1 == rows[0].1),
        "one transaction: {rows:?}"
    );
    // Idle: a lone member commits at once, in a transaction of its own.
    member(&groups, &reader, 9, Then::Commit, None)
        .await
        .expect("task")
        .expect("committed");
    let lone = self::rows(&reader).await;
    assert_ne!(lone[5].1, rows[0].1);
    assert_eq!(groups.members(), 0);
    db.drop_now().await;
}

#[tokio::test]
async fn a_member_that_fails_or_drops_rolls_back_alone() {
    let (db, groups, reader) = setup(32).await;
    let others = [
        (1, Then::Fail),
        (2, Then::Commit),
        (3, Then::Drop),
        (4, Then::Commit),
    ];
    let (release, tasks) = held_group(&groups, &reader, &others).await;
    release.send(()).expect("release");
    let results: Vec<_> = futures_join(tasks).await;
    assert!(results[0].is_ok() && results[2].is_ok() && results[4].is_ok());
    assert!(
        matches!(results[1], Err(CommitError::Db(_))),
        "{:?}",
        results[1]
    );
    let rows = rows(&reader).await;
    let keys: Vec<i32> = rows.iter().map(|r| r.0).collect();
    assert_eq!(
        keys,
        [0, 2, 4],
        "the failed and the dropped member left nothing"
    );
    assert!(rows.iter().all(|r| r.1 == rows[0].1), "one transaction");
    db.drop_now().await;
}

#[tokio::test]
async fn a_failed_commit_fails_every_member_and_writes_nothing() {
    let (db, groups, reader) = setup(32).await;
    // Checked only at commit: two members inserting the same value pass their statements.
    sqlx::raw_sql(
        "CREATE TABLE once (v int, CONSTRAINT once_v UNIQUE (v) DEFERRABLE INITIALLY DEFERRED)",
    )
    .execute(&reader)
    .await
    .expect("table");
    let (release, hold) = oneshot::channel::<()>();
    let first = insert_once(&groups, Some(hold));
    until_members(&groups, 1).await;
    let second = insert_once(&groups, None);
    until_members(&groups, 2).await;
    release.send(()).expect("release");
    for t in [first, second] {
        let r = t.await.expect("task");
        assert!(matches!(r, Err(CommitError::Group(_))), "{r:?}");
    }
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM once")
        .fetch_one(&reader)
        .await
        .expect("count");
    assert_eq!(n, 0);
    // The groups are usable again afterwards.
    member(&groups, &reader, 7, Then::Commit, None)
        .await
        .expect("task")
        .expect("committed");
    db.drop_now().await;
}

#[tokio::test]
async fn a_full_group_closes_and_the_next_runs_after_it() {
    let (db, groups, reader) = setup(2).await;
    let others = [(1, Then::Commit), (2, Then::Commit), (3, Then::Commit)];
    let (release, tasks) = held_group(&groups, &reader, &others).await;
    // While member 0 holds the first group, nobody else runs a statement (sequences are
    // not transactional: another connection sees every nextval at once).
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (last,): (i64,) = sqlx::query_as("SELECT last_value FROM member_seq")
            .fetch_one(&reader)
            .await
            .expect("sequence");
        assert_eq!(last, 1, "a member ran while the first group was held");
    }
    release.send(()).expect("release");
    for r in futures_join(tasks).await {
        r.expect("committed");
    }
    let rows = rows(&reader).await;
    let mut xids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    xids.sort();
    xids.dedup();
    assert_eq!(xids.len(), 2, "two groups of two: {rows:?}");
    // Every statement of the first group ran before any of the second.
    let seqs = |xid: i64| rows.iter().filter(move |r| r.1 == xid).map(|r| r.2);
    let first = if seqs(xids[0]).any(|s| s == 1) {
        xids[0]
    } else {
        xids[1]
    };
    let second = if first == xids[0] { xids[1] } else { xids[0] };
    assert_eq!(seqs(first).count(), 2);
    assert!(
        seqs(first).max() < seqs(second).min(),
        "groups interleaved: {rows:?}"
    );
    db.drop_now().await;
}

/// A member inserting 1 into `once`, waiting for `hold` (if any) before committing.
fn insert_once(
    groups: &CommitGroups,
    hold: Option<oneshot::Receiver<()>>,
) -> JoinHandle<Result<(), CommitError>> {
    let groups = groups.clone();
    tokio::spawn(async move {
        let mut tx = groups.begin().await?;
        sqlx::query("INSERT INTO once VALUES (1)")
            .execute(&mut *tx)
            .await?;
        if let Some(hold) = hold {
            hold.await.expect("released");
        }
        tx.commit().await
    })
}

async fn futures_join(
    tasks: Vec<JoinHandle<Result<(), CommitError>>>,
) -> Vec<Result<(), CommitError>> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}
