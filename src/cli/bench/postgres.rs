//! Part b: PostgreSQL's ceiling for our write pattern, on a database of its own
//! (`dfbench_<random>`, migrated with the real migrations, dropped at the end).
//!
//! Four rows, each with `writers` concurrent connections: the commit floor (a one-row
//! insert per transaction), intake's transaction per dossier, the route stage's
//! transaction per dossier (on the dossiers just written), and intake's rows for
//! `batch` dossiers per transaction with UNNEST.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dossierflow_runtime::config::{DEV_INDEX_KEYS, DEV_KEYS, DbArgs};
use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::db;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::pgbatch::intake_batch;
use super::pgwrite::{Dossier, intake_one, route_one};
use super::progress::{Counter, Progress, counter};
use super::report::{Row, Section};

/// Settings of the PostgreSQL part.
#[derive(Debug, Clone)]
pub struct PgPlan {
    /// Server URL without a database (`postgres://postgres@127.0.0.1:5432`).
    pub server: String,
    /// Concurrent writers (one connection each).
    pub writers: usize,
    /// Dossiers per row.
    pub dossiers: u64,
    /// Dossiers per transaction in the batched row.
    pub batch: usize,
    /// Upper bound of each row.
    pub time_limit: Duration,
    /// Keep the bench database (for inspection) instead of dropping it.
    pub keep_db: bool,
}

/// Runs the four rows on a fresh database, then drops it.
pub async fn run(plan: &PgPlan) -> anyhow::Result<Section> {
    let server = plan.server.trim_end_matches('/');
    let name = format!("dfbench_{}", Uuid::new_v4().simple());
    let args = DbArgs {
        database_url: format!("{server}/{name}"),
        db_max_connections: plan.writers as u32 + 1,
    };
    eprintln!("bench: creating and migrating database {name}");
    let pool = db::connect_and_migrate(&args).await?;
    let settings = server_settings(&pool).await;
    let result = rows(plan, &pool).await;
    pool.close().await;
    if plan.keep_db {
        eprintln!("bench: kept database {name}");
    } else if let Err(e) = super::stack::drop_database(server, &name).await {
        eprintln!("bench: could not drop database {name}: {e:#}");
    }
    let mut section = Section::new("postgres", "PostgreSQL ceiling: our write pattern");
    section.notes.push(format!(
        "{} concurrent writers, up to {} dossiers per row, time limit {:?} per row, batch {}",
        plan.writers, plan.dossiers, plan.time_limit, plan.batch
    ));
    section.notes.push(
        "intake: idempotency key + dossier + 2 history events + 2 outbox rows (1 sealed); \
         route: inbox claim + SELECT FOR UPDATE + UPDATE + 2 history events + 3 outbox rows"
            .into(),
    );
    section.notes.push(format!(
        "server settings as found: {settings}; the relay's reads and deletes are not part \
         of this load"
    ));
    section.rows = result?;
    Ok(section)
}

async fn rows(plan: &PgPlan, pool: &PgPool) -> anyhow::Result<Vec<Row>> {
    let keys =
        Arc::new(Keyring::parse(DEV_KEYS, "dev")?.with_index_keys(DEV_INDEX_KEYS, "dev-index")?);
    let mut rows = Vec::new();

    // The floor: one single-row insert per transaction (the cost of a durable commit).
    sqlx::query("CREATE TABLE bench_commit (n bigint NOT NULL)")
        .execute(pool)
        .await?;
    let label = "commit floor, 1-row insert/tx";
    let (n, secs) = drive(plan, pool, label, 1, |pool, i| async move {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO bench_commit (n) VALUES ($1)")
            .bind(i as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await?;
    rows.push(tx_row(label, plan.writers, n, n, secs));

    // Intake, one dossier per transaction; remember the ids for the stage row.
    let ids = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (k, ids2) = (keys.clone(), ids.clone());
    let (n, secs) = drive(plan, pool, "intake, 1 dossier/tx", 1, move |pool, i| {
        let (k, ids) = (k.clone(), ids2.clone());
        async move {
            let d = Dossier::new(i)?;
            intake_one(&pool, &k, &d).await?;
            ids.lock().unwrap_or_else(|p| p.into_inner()).push(d.id);
            Ok(())
        }
    })
    .await?;
    rows.push(tx_row("intake, 1 dossier/tx", plan.writers, n, n, secs));

    // The route stage's transaction on each dossier just written.
    let ids: Arc<Vec<Uuid>> = Arc::new(std::mem::take(
        &mut *ids.lock().unwrap_or_else(|p| p.into_inner()),
    ));
    let stage_plan = PgPlan {
        dossiers: plan.dossiers.min(ids.len() as u64),
        ..plan.clone()
    };
    let (n, secs) = drive(
        &stage_plan,
        pool,
        "route stage, 1 dossier/tx",
        1,
        move |pool, i| {
            let ids = ids.clone();
            async move {
                let id = ids
                    .get(i as usize)
                    .copied()
                    .ok_or_else(|| anyhow::anyhow!("no dossier {i}"))?;
                route_one(&pool, id, i).await
            }
        },
    )
    .await?;
    rows.push(tx_row(
        "route stage, 1 dossier/tx",
        plan.writers,
        n,
        n,
        secs,
    ));

    // Intake's rows for a batch of dossiers per transaction.
    let batch = plan.batch.max(1) as u64;
    let label = format!("intake, {batch} dossiers/tx (UNNEST)");
    let k = keys.clone();
    let (n, secs) = drive(plan, pool, &label, batch, move |pool, i| {
        let k = k.clone();
        async move {
            let dossiers: Vec<Dossier> = (i..i + batch)
                .map(Dossier::new)
                .collect::<anyhow::Result<_>>()?;
            intake_batch(&pool, &k, &dossiers).await
        }
    })
    .await?;
    rows.push(tx_row(&label, plan.writers, n, n / batch, secs));
    Ok(rows)
}

fn tx_row(label: &str, writers: usize, dossiers: u64, txs: u64, secs: f64) -> Row {
    let secs_nz = secs.max(1e-9);
    Row::new(label)
        .metric("writers", writers as f64)
        .metric("dossiers", dossiers as f64)
        .metric("seconds", secs)
        .metric("tx/s", txs as f64 / secs_nz)
        .metric("dossiers/s", dossiers as f64 / secs_nz)
        .metric(
            "ms/tx",
            if txs == 0 {
                0.0
            } else {
                secs * 1000.0 * writers as f64 / txs as f64
            },
        )
}

/// Runs `work(pool, first_index)` from `plan.writers` tasks until `plan.dossiers`
/// dossiers (in steps of `step`) are written or the time limit passes. Returns the
/// dossiers written and the seconds taken.
async fn drive<F, Fut>(
    plan: &PgPlan,
    pool: &PgPool,
    label: &str,
    step: u64,
    work: F,
) -> anyhow::Result<(u64, f64)>
where
    F: Fn(PgPool, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let done: Counter = counter();
    let _progress = Progress::start(label.to_owned(), vec![("dossiers", done.clone())]);
    let started = Instant::now();
    let deadline = started + plan.time_limit;
    let mut tasks = JoinSet::new();
    for _ in 0..plan.writers.max(1) {
        let (next, done, work, pool) = (next.clone(), done.clone(), work.clone(), pool.clone());
        let total = plan.dossiers;
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(step, Ordering::Relaxed);
                if i + step > total || Instant::now() >= deadline {
                    return anyhow::Ok(());
                }
                work(pool.clone(), i).await?;
                done.fetch_add(step, Ordering::Relaxed);
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    Ok((
        done.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    ))
}

/// The server settings that bound commit throughput, as `name=value` pairs.
async fn server_settings(pool: &PgPool) -> String {
    let rows: sqlx::Result<Vec<(String, String)>> = sqlx::query_as(
        "SELECT name, setting FROM pg_settings WHERE name IN
           ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay',
            'shared_buffers')
         ORDER BY name",
    )
    .fetch_all(pool)
    .await;
    match rows {
        Ok(rows) => rows
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
        Err(e) => format!("(unreadable: {e})"),
    }
}
