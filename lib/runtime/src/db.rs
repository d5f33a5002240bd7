//! PostgreSQL: pool, database creation, migrations and the inbox.
//!
//! The inbox (`processed_event`) is how consumers stay idempotent under at-least-once
//! delivery: the first statement of every stage transaction claims the event id, and a
//! redelivered event finds its claim already committed and is skipped.

use std::time::Duration;

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres};
use uuid::Uuid;

use crate::config::DbArgs;

/// Begins a transaction in which PostgreSQL may not sort: for queue reads written as
/// an ordered index walk that stops at a limit (the outbox relay, the notification
/// claim). Queue tables are near empty or misjudged when analysed, and the plan made
/// then (read all, sort, keep the first) would read the whole backlog each round. The
/// setting travels with `BEGIN` (one simple query): no round trip of its own. Use with
/// `pool.begin_with`.
pub const BEGIN_WITHOUT_SORT: &str = "BEGIN; SET LOCAL enable_sort = off";

/// Creates the database when missing, connects, and applies pending migrations.
pub async fn connect_and_migrate(args: &DbArgs) -> anyhow::Result<PgPool> {
    let pool = connect(args).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Creates the database when missing and connects.
pub async fn connect(args: &DbArgs) -> anyhow::Result<PgPool> {
    let url = args.database_url.as_str();
    let exists = Postgres::database_exists(url).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot reach PostgreSQL at {}: {e} (is it running? `ops/stack up` starts it)",
            redact_url(url)
        )
    })?;
    if !exists {
        // Two processes may race to create it; the loser's error is fine if it exists now.
        if let Err(e) = Postgres::create_database(url).await
            && !Postgres::database_exists(url).await.unwrap_or(false)
        {
            anyhow::bail!("cannot create database {}: {e}", redact_url(url));
        }
        tracing::info!(database = %redact_url(url), "created database");
    }
    let pool = PgPoolOptions::new()
        .max_connections(args.db_max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", redact_url(url)))?;
    Ok(pool)
}

/// Applies the migrations embedded from `migrations/`.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../../migrations")
        .run(pool)
        .await
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Claims an event for a consumer. `false` means it was processed before: skip it.
pub async fn claim_event(
    tx: &mut PgConnection,
    consumer: &str,
    event_id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO processed_event (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(consumer)
    .bind(event_id)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether an event was already processed by a consumer (a cheap pre-check before
/// expensive work such as a CSDLQG lookup; the claim in the transaction is what counts).
pub async fn was_processed(pool: &PgPool, consumer: &str, event_id: Uuid) -> sqlx::Result<bool> {
    let row: Option<(i32,)> =
        sqlx::query_as("SELECT 1 FROM processed_event WHERE consumer = $1 AND event_id = $2")
            .bind(consumer)
            .bind(event_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.is_some())
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_removed_from_urls() {
        assert_eq!(
            super::redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app@db:5432/x"
        );
        assert_eq!(super::redact_url("postgres://db/x"), "postgres://db/x");
    }
}
