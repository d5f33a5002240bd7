//! Database work per dossier in part c: WAL bytes and row versions written per table,
//! read from PostgreSQL before and after each step.
//!
//! Seconds depend on the machine (the same build measured 3× apart on two machines of one
//! kind); these counts do not, so they show what a change saved even where timings
//! cannot be compared. WAL comes from `pg_current_wal_lsn()` (exact, but the whole
//! server's); rows from `pg_stat_user_tables` of the bench's own database. Backends
//! publish their row counts at most once a second, and an idle one only after
//! [`SETTLE`], so the step's closing reading waits that long first.

use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::PgPool;

use super::report::Row;

/// How long a backend may keep row counts unpublished once idle (PostgreSQL's
/// `PGSTAT_IDLE_INTERVAL` is 10 s), plus a margin.
pub const SETTLE: Duration = Duration::from_secs(11);

/// Tables shown on their own; the rest are summed as `other`.
const SHOWN: [&str; 5] = [
    "outbox",
    "notification",
    "dossier_event",
    "processed_event",
    "dossier",
];

/// Cumulative counters at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// WAL position, in bytes from the server's start of WAL.
    pub wal: i64,
    /// Per table: rows inserted, updated (HOT included), updated HOT, deleted.
    pub tables: BTreeMap<String, [i64; 4]>,
    /// Rows of `notification` in the planner's statistics (`pg_class.reltuples`; -1
    /// when the table was never vacuumed or analysed).
    pub stats_rows: f64,
}

impl Snapshot {
    /// Reads the counters of the database `pool` is connected to.
    pub async fn take(pool: &PgPool) -> anyhow::Result<Self> {
        let (wal,): (i64,) =
            sqlx::query_as("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::int8")
                .fetch_one(pool)
                .await?;
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT relname::text, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del
               FROM pg_stat_user_tables",
        )
        .fetch_all(pool)
        .await?;
        let tables = rows
            .into_iter()
            .map(|(t, ins, upd, hot, del)| (t, [ins, upd, hot, del]))
            .collect();
        let (stats_rows,): (f64,) = sqlx::query_as(
            "SELECT coalesce(max(reltuples), -1)::float8 FROM pg_class
              WHERE relname = 'notification' AND relkind = 'r'",
        )
        .fetch_one(pool)
        .await?;
        Ok(Self {
            wal,
            tables,
            stats_rows,
        })
    }
}

/// The work between two snapshots, per dossier, as a report row: WAL kB, row versions
/// written (inserted + updated + deleted) in all and per shown table, and the share of
/// updates that were HOT (no index entry written).
pub fn per_dossier(label: &str, before: &Snapshot, after: &Snapshot, dossiers: usize) -> Row {
    let n = dossiers.max(1) as f64;
    let mut per_table: BTreeMap<&str, i64> = BTreeMap::new();
    let (mut total, mut updates, mut hot) = (0i64, 0i64, 0i64);
    for (table, now) in &after.tables {
        let was = before.tables.get(table).copied().unwrap_or_default();
        let d: Vec<i64> = now.iter().zip(was).map(|(a, b)| (a - b).max(0)).collect();
        let written = d[0] + d[1] + d[3];
        total += written;
        updates += d[1];
        hot += d[2];
        let key = SHOWN
            .iter()
            .find(|s| **s == table.as_str())
            .copied()
            .unwrap_or("other");
        *per_table.entry(key).or_default() += written;
    }
    let mut row = Row::new(label)
        .metric(
            "WAL kB",
            (after.wal - before.wal).max(0) as f64 / 1024.0 / n,
        )
        .metric("rows written", total as f64 / n);
    for name in SHOWN.iter().chain(["other"].iter()) {
        let v = per_table.get(name).copied().unwrap_or(0);
        row = row.metric(name, v as f64 / n);
    }
    let hot_share = if updates > 0 {
        100.0 * hot as f64 / updates as f64
    } else {
        0.0
    };
    row.metric("HOT %", hot_share)
        .metric("stats rows", before.stats_rows)
}

/// The notes that go with the section.
pub fn notes() -> Vec<String> {
    vec![
        "per dossier of the step: WAL kB = WAL written by the whole server (pg_current_wal_lsn), \
         rows written = row versions inserted + updated + deleted in the bench's database \
         (pg_stat_user_tables), in all and per table; HOT % = updates that wrote no index entry; \
         stats rows = notification rows in the planner's statistics at the step's start \
         (pg_class.reltuples, -1 = never analysed), not per dossier"
            .into(),
        format!(
            "read before the step and {}s after it ends (backends publish row counts late); \
             counts, unlike seconds, compare across machines",
            SETTLE.as_secs()
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(wal: i64, tables: &[(&str, [i64; 4])]) -> Snapshot {
        Snapshot {
            wal,
            tables: tables.iter().map(|(t, c)| ((*t).to_owned(), *c)).collect(),
            stats_rows: wal as f64,
        }
    }

    #[test]
    fn work_is_the_difference_per_dossier() {
        let before = snap(
            10 * 1024,
            &[("outbox", [5, 0, 0, 5]), ("dossier", [1, 2, 1, 0])],
        );
        let after = snap(
            10 * 1024 + 4 * 2048,
            &[
                ("outbox", [13, 0, 0, 11]),
                ("dossier", [3, 8, 2, 0]),
                ("lookup_audit", [2, 0, 0, 0]),
            ],
        );
        let row = per_dossier("max rate", &before, &after, 2);
        assert_eq!(row.get("WAL kB"), Some(4.0));
        // outbox 8 + 6, dossier 2 + 6, other 2: 24 rows over 2 dossiers.
        assert_eq!(row.get("rows written"), Some(12.0));
        assert_eq!(row.get("outbox"), Some(7.0));
        assert_eq!(row.get("dossier"), Some(4.0));
        assert_eq!(row.get("other"), Some(1.0));
        assert_eq!(row.get("notification"), Some(0.0));
        // 6 updates, 1 of them HOT.
        let hot = row.get("HOT %").unwrap_or_default();
        assert!((hot - 100.0 / 6.0).abs() < 1e-9, "{hot}");
        // Statistics as they were when the step started, not a difference.
        assert_eq!(row.get("stats rows"), Some(10.0 * 1024.0));
    }
}
