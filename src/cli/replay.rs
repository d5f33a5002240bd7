//! `dossierflow replay [--dossier ID] [--apply]`: rebuild each dossier's state from its
//! event history (see [`super::replay_fold`]), compare it with the `dossier` row and
//! print every difference (field, stored, replayed: codes, stages and dates only, no
//! personal data). With `--apply` the replayed values are written, one transaction per
//! dossier, after re-checking the row under a lock.

use chrono::{DateTime, Utc};
use clap::Args;
use dossierflow_runtime::config::DbArgs;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::replay_fold::{Difference, DossierState, diff, fold};

/// Options of `replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Replay only this dossier (UUID); every dossier when absent.
    #[arg(long)]
    dossier: Option<Uuid>,
    /// Write the replayed values where they differ (one transaction per dossier).
    #[arg(long)]
    apply: bool,
    #[command(flatten)]
    db: DbArgs,
}

type Row = (
    i16,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

const SELECT: &str = "SELECT status, stage, verification, dossier_code, agency_id, received_at,
                             due_at, overdue_at FROM dossier WHERE id = $1";

async fn stored(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> sqlx::Result<Option<DossierState>> {
    let sql = if lock {
        format!("{SELECT} FOR UPDATE")
    } else {
        SELECT.to_owned()
    };
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| DossierState {
        status: r.0,
        stage: r.1,
        verification: r.2,
        dossier_code: r.3,
        agency_id: r.4,
        received_at: r.5,
        due_at: r.6,
        overdue_at: r.7,
    }))
}

async fn history(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Vec<(String, serde_json::Value)>> {
    sqlx::query_as("SELECT type, payload FROM dossier_event WHERE dossier_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(conn)
        .await
}

/// What replaying one dossier found.
enum Found {
    /// No event in its history sets a column.
    NoHistory,
    /// Stored and replayed state, and where they differ.
    Compared(DossierState, Vec<Difference>),
}

async fn compare(conn: &mut PgConnection, id: Uuid, lock: bool) -> anyhow::Result<Found> {
    let Some(stored) = stored(conn, id, lock).await? else {
        anyhow::bail!("no dossier {id}");
    };
    let events = history(conn, id).await?;
    let Some(replayed) = fold(&events)? else {
        return Ok(Found::NoHistory);
    };
    let d = diff(&stored, &replayed);
    Ok(Found::Compared(replayed, d))
}

async fn apply(pool: &PgPool, id: Uuid) -> anyhow::Result<usize> {
    let mut tx = pool.begin().await?;
    let Found::Compared(s, d) = compare(&mut tx, id, true).await? else {
        return Ok(0);
    };
    if d.is_empty() {
        return Ok(0);
    }
    sqlx::query(
        "UPDATE dossier SET status = $2, stage = $3, verification = $4, dossier_code = $5,
                agency_id = $6, received_at = $7, due_at = $8, overdue_at = $9, updated_at = now()
          WHERE id = $1",
    )
    .bind(id)
    .bind(s.status)
    .bind(&s.stage)
    .bind(&s.verification)
    .bind(&s.dossier_code)
    .bind(&s.agency_id)
    .bind(s.received_at)
    .bind(s.due_at)
    .bind(s.overdue_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(d.len())
}

/// Runs `replay`.
pub async fn run(a: ReplayArgs) -> anyhow::Result<()> {
    let pool = dossierflow_runtime::db::connect(&a.db).await?;
    let ids: Vec<Uuid> = match a.dossier {
        Some(id) => vec![id],
        None => {
            sqlx::query_scalar("SELECT id FROM dossier ORDER BY id")
                .fetch_all(&pool)
                .await?
        }
    };
    let (mut skipped, mut differing, mut differences, mut applied, mut failed) = (0, 0, 0, 0, 0);
    let mut conn = pool.acquire().await?;
    for (i, id) in ids.iter().enumerate() {
        if (i + 1) % 1000 == 0 {
            eprintln!("{}/{} dossiers replayed", i + 1, ids.len());
        }
        let found = match compare(&mut conn, *id, false).await {
            Ok(found) => found,
            Err(e) if a.dossier.is_some() => return Err(e),
            Err(e) => {
                failed += 1;
                eprintln!("dossier {id}: cannot replay: {e:#}");
                continue;
            }
        };
        let d = match found {
            Found::NoHistory => {
                skipped += 1;
                continue;
            }
            Found::Compared(_, d) if d.is_empty() => continue,
            Found::Compared(_, d) => d,
        };
        differing += 1;
        differences += d.len();
        for x in &d {
            println!(
                "{id}  {:<13} stored {:<32} replayed {}",
                x.field, x.stored, x.replayed
            );
        }
        if a.apply {
            match apply(&pool, *id).await {
                Ok(_) => applied += 1,
                Err(e) => {
                    failed += 1;
                    eprintln!("dossier {id}: replayed values not written: {e:#}");
                }
            }
        }
    }
    print!(
        "dossiers {}, skipped {skipped} (no state history), differing {differing}, differences {differences}",
        ids.len()
    );
    if a.apply {
        print!(", applied {applied}");
    }
    println!(", failed {failed}");
    if failed > 0 {
        anyhow::bail!("{failed} dossier(s) could not be replayed or fixed (see above)");
    }
    Ok(())
}
