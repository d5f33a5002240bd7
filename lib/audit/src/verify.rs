//! [`verify_chain`]: walks `lookup_audit` in `seq` order and checks every link and hash.

use serde::Serialize;
use sqlx::PgPool;

use crate::chain::{GENESIS_HASH, row_hash};
use crate::store::COLUMNS;
use crate::{AuditError, AuditRow};

/// Rows read per round trip; bounds memory whatever the table size.
const PAGE: i64 = 1000;

/// Result of [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Rows walked (all of them, even past a break).
    pub rows: u64,
    /// `seq` of the first row whose link or hash does not match; `None` when intact.
    pub first_broken: Option<i64>,
    /// Why that row does not match.
    pub reason: Option<String>,
    /// `row_hash` of the last row: store it elsewhere to detect later truncation of the end.
    pub head_hash: Option<String>,
}

/// Checks the whole chain: the first row links to [`GENESIS_HASH`], every other row's
/// `prev_hash` equals the previous row's stored `row_hash`, and every `row_hash`
/// recomputes from its row. Reads one consistent snapshot (REPEATABLE READ, read only),
/// so concurrent appends neither disturb nor are half-seen.
pub async fn verify_chain(pool: &PgPool) -> Result<ChainReport, AuditError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let mut report = ChainReport {
        rows: 0,
        first_broken: None,
        reason: None,
        head_hash: None,
    };
    let mut after = i64::MIN;
    loop {
        let page: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM lookup_audit WHERE seq > $1 ORDER BY seq LIMIT {PAGE}"
        )))
        .bind(after)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in &page {
            let expected_prev = report.head_hash.as_deref().unwrap_or(GENESIS_HASH);
            if report.first_broken.is_none()
                && let Some(reason) = check(row, expected_prev)
            {
                report.first_broken = Some(row.seq);
                report.reason = Some(reason);
            }
            report.rows += 1;
            report.head_hash = Some(row.row_hash.clone());
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Why `row` does not fit after a row whose stored hash is `expected_prev`, if it does not.
fn check(row: &AuditRow, expected_prev: &str) -> Option<String> {
    if row.prev_hash != expected_prev {
        return Some(if expected_prev == GENESIS_HASH {
            "first row's prev_hash is not the genesis hash (64 zeros)".to_owned()
        } else {
            "prev_hash does not match the previous row's row_hash \
             (a row was inserted, removed or rewritten before this one)"
                .to_owned()
        });
    }
    if row_hash(&row.canonical()) != row.row_hash {
        return Some("row_hash does not match the row's contents (the row was altered)".to_owned());
    }
    None
}
