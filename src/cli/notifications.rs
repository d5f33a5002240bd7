//! `dossierflow notifications requeue`: send failed notifications again.
//!
//! After a long provider outage, notifications that exhausted their retries end
//! `technical-failure`. Once the provider is back, an operator requeues them: they go back
//! to `queued` with a fresh attempt budget and keep their id, so the provider receives the
//! same idempotency key and drops any copy it already has. Delivered notifications are
//! never touched.

use clap::{Args, Subcommand};
use dossierflow_consumers::notify::channel::NotifyChannel;
use dossierflow_runtime::config::DbArgs;
use dossierflow_runtime::db;

use super::dlq_filter::parse_instant;

/// Options of `notifications`.
#[derive(Debug, Args)]
pub struct NotificationsArgs {
    #[command(subcommand)]
    command: NotificationsCommand,
}

/// What to do with notifications.
#[derive(Debug, Subcommand)]
enum NotificationsCommand {
    /// Queue failed notifications of one channel again (same idempotency keys).
    Requeue(RequeueArgs),
}

/// Options of `notifications requeue`.
#[derive(Debug, Args)]
struct RequeueArgs {
    /// Channel: sms, email, zalo, portal_webhook or national_portal.
    #[arg(long)]
    channel: String,
    /// Final state to requeue: technical-failure or temporary-failure (never delivered
    /// or permanent-failure: those are outcomes, not faults).
    #[arg(long, default_value = "technical-failure")]
    state: String,
    /// Only notifications that ended at or after this time (RFC 3339, or 90s/15m/2h/7d ago).
    #[arg(long)]
    since: Option<String>,
    /// Count only; change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs `notifications`.
pub async fn run(a: NotificationsArgs) -> anyhow::Result<()> {
    let NotificationsCommand::Requeue(r) = a.command;
    let channel = NotifyChannel::parse(&r.channel).ok_or_else(|| {
        anyhow::anyhow!(
            "--channel {:?}: expected sms, email, zalo, portal_webhook or national_portal",
            r.channel
        )
    })?;
    if !matches!(r.state.as_str(), "technical-failure" | "temporary-failure") {
        anyhow::bail!(
            "--state {:?}: only technical-failure or temporary-failure can be requeued",
            r.state
        );
    }
    let since = match &r.since {
        Some(s) => Some(
            parse_instant(s, chrono::Utc::now()).map_err(|e| anyhow::anyhow!("--since: {e}"))?,
        ),
        None => None,
    };
    let pool = db::connect_and_migrate(&r.db).await?;
    let filter = "channel = $1 AND state = $2 AND ($3::timestamptz IS NULL OR finished_at >= $3)";
    let n: i64 = if r.dry_run {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM notification WHERE {filter}"
        )))
        .bind(channel.as_str())
        .bind(&r.state)
        .bind(since)
        .fetch_one(&pool)
        .await?
    } else {
        let sql = format!(
            "UPDATE notification SET state = 'queued', attempts = 0, next_attempt_at = now(),
                    lease_until = NULL, finished_at = NULL
              WHERE {filter}"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(channel.as_str())
            .bind(&r.state)
            .bind(since)
            .execute(&pool)
            .await?
            .rows_affected() as i64
    };
    let verb = if r.dry_run {
        "would requeue"
    } else {
        "requeued"
    };
    println!(
        "{verb} {n} {} notification(s) of channel {channel}",
        r.state
    );
    Ok(())
}
