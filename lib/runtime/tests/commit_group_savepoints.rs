//! Savepoints in group commit, on a real PostgreSQL: the first member of a group's
//! transaction works without one (a lone record pays `BEGIN`, its work and `COMMIT`
//! only), later members each have their own, and a first member that fails still rolls
//! back alone while the members after it commit together.

mod common;

use common::{TestDb, until_members};
use dossierflow_runtime::commit_group::{CommitError, CommitGroups};
use sqlx::{PgConnection, PgPool};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

async fn setup() -> (TestDb, CommitGroups, PgPool) {
    let db = TestDb::create("commit_savepoints").await;
    sqlx::raw_sql("CREATE TABLE member_row (k int PRIMARY KEY, xid bigint NOT NULL)")
        .execute(&db.pool)
        .await
        .expect("table");
    let groups = CommitGroups::new(db.pool_of(4).await, 32);
    let reader = db.pool.clone();
    (db, groups, reader)
}

/// Whether the connection's transaction has a savepoint named `member`. Releasing it
/// fails when there is none; a savepoint of the probe's own undoes that failure.
async fn has_member_savepoint(conn: &mut PgConnection) -> bool {
    let run = |sql: &'static str| sqlx::raw_sql(sql);
    run("SAVEPOINT probe")
        .execute(&mut *conn)
        .await
        .expect("probe");
    let released = run("RELEASE SAVEPOINT member").execute(&mut *conn).await;
    if released.is_err() {
        run("ROLLBACK TO SAVEPOINT probe; RELEASE SAVEPOINT probe")
            .execute(&mut *conn)
            .await
            .expect("undo the probe");
    }
    released.is_ok()
}

async fn insert(conn: &mut PgConnection, k: i32) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO member_row VALUES ($1, txid_current())")
        .bind(k)
        .execute(conn)
        .await
        .map(drop)
}

/// A member that inserts row `k`, reports whether it had a savepoint, and commits.
fn later_member(groups: &CommitGroups, k: i32) -> JoinHandle<Result<bool, CommitError>> {
    let groups = groups.clone();
    tokio::spawn(async move {
        let mut tx = groups.begin().await?;
        insert(&mut tx, k).await?;
        let savepoint = has_member_savepoint(&mut tx).await;
        tx.commit().await?;
        Ok(savepoint)
    })
}

/// A member that inserts row 0, waits for `hold`, then fails.
fn failing_member(
    groups: &CommitGroups,
    hold: oneshot::Receiver<()>,
) -> JoinHandle<Result<(), CommitError>> {
    let groups = groups.clone();
    tokio::spawn(async move {
        let mut tx = groups.begin().await?;
        insert(&mut tx, 0).await?;
        hold.await.expect("released");
        sqlx::query("SELECT 1 / 0").execute(&mut *tx).await?;
        unreachable!("division by zero fails");
    })
}

#[tokio::test]
async fn only_members_after_the_first_have_a_savepoint() {
    let (db, groups, reader) = setup().await;
    let mut first = groups.begin().await.expect("first member");
    assert!(
        !has_member_savepoint(&mut first).await,
        "the first member of a transaction works at its top level"
    );
    insert(&mut first, 0).await.expect("insert 0");
    let later: Vec<_> = (1..3).map(|k| later_member(&groups, k)).collect();
    until_members(&groups, 3).await;
    first.commit().await.expect("first committed");
    for t in later {
        let savepoint = t.await.expect("task").expect("committed");
        assert!(savepoint, "a later member has a savepoint of its own");
    }
    let xids: Vec<(i32, i64)> = sqlx::query_as("SELECT k, xid FROM member_row ORDER BY k")
        .fetch_all(&reader)
        .await
        .expect("rows");
    assert_eq!(xids.len(), 3);
    assert!(xids.iter().all(|r| r.1 == xids[0].1), "one group: {xids:?}");
    db.drop_now().await;
}

#[tokio::test]
async fn a_first_member_that_fails_rolls_back_alone() {
    let (db, groups, reader) = setup().await;
    let (release, hold) = oneshot::channel::<()>();
    let failing = failing_member(&groups, hold);
    until_members(&groups, 1).await;
    let later: Vec<_> = (1..4).map(|k| later_member(&groups, k)).collect();
    until_members(&groups, 4).await;
    release.send(()).expect("release");
    let failed: Result<(), CommitError> = failing.await.expect("task");
    assert!(matches!(failed, Err(CommitError::Db(_))), "{failed:?}");
    let mut savepoints = Vec::new();
    for t in later {
        savepoints.push(t.await.expect("task").expect("committed"));
    }
    // The transaction began again: the next member was its first, the rest nested.
    assert_eq!(
        savepoints.iter().filter(|s| !**s).count(),
        1,
        "{savepoints:?}"
    );
    let rows: Vec<(i32, i64)> = sqlx::query_as("SELECT k, xid FROM member_row ORDER BY k")
        .fetch_all(&reader)
        .await
        .expect("rows");
    let keys: Vec<i32> = rows.iter().map(|r| r.0).collect();
    assert_eq!(keys, [1, 2, 3], "the failed first member left nothing");
    assert!(rows.iter().all(|r| r.1 == rows[0].1), "one transaction");
    // Alone again: a failing lone member leaves the groups usable.
    let mut lone = groups.begin().await.expect("lone");
    insert(&mut lone, 9).await.expect("insert 9");
    drop(lone);
    let t = later_member(&groups, 10).await.expect("task");
    assert!(
        !t.expect("committed"),
        "a fresh transaction after the rollback"
    );
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM member_row WHERE k IN (9, 10)")
        .fetch_one(&reader)
        .await
        .expect("count");
    assert_eq!(
        n, 1,
        "the dropped lone member's row is gone, the next one's kept"
    );
    db.drop_now().await;
}
