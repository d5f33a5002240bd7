//! Rows that live only while the pipeline works: `outbox` (deleted once the broker has
//! acknowledged the record) and `citizen_record_staging` (deleted by the enrich stage).
//! A dump taken at rest never sees them, but a backup, a replica or WAL taken meanwhile
//! does: these are sampled every few milliseconds while dossiers flow.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;

/// Transient tables and how one of their rows is read as text.
const TABLES: [(&str, &str); 2] = [
    ("outbox", "SELECT row_to_json(t)::text FROM outbox t"),
    (
        "citizen_record_staging",
        "SELECT row_to_json(t)::text FROM citizen_record_staging t",
    ),
];

/// A sampler running until [`Sampler::finish`].
pub struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<(String, BTreeSet<String>)>>,
}

impl Sampler {
    pub fn start(pool: PgPool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut seen: Vec<(String, BTreeSet<String>)> = TABLES
                .iter()
                .map(|(t, _)| ((*t).to_owned(), BTreeSet::new()))
                .collect();
            while !flag.load(Ordering::Relaxed) {
                for ((_, sql), (_, rows)) in TABLES.iter().zip(seen.iter_mut()) {
                    let got: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(*sql))
                        .fetch_all(&pool)
                        .await
                        .unwrap_or_default();
                    rows.extend(got);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            seen
        });
        Self { stop, task }
    }

    /// Stops sampling; returns per table every distinct row seen, one a line, and the
    /// number of rows.
    pub async fn finish(self) -> Vec<(String, String, usize)> {
        self.stop.store(true, Ordering::Relaxed);
        let seen = self.task.await.expect("the sampler task");
        seen.into_iter()
            .map(|(table, rows)| {
                let n = rows.len();
                (table, rows.into_iter().collect::<Vec<_>>().join("\n"), n)
            })
            .collect()
    }
}
