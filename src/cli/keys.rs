//! `dossierflow keys rotate | status`: move every sealed value to the active data key and
//! every blind index to the active index key (batches, progress, idempotent, resumable),
//! or count rows per key id per table to see which old keys are still needed.
//!
//! Procedure (docs/personal-data.md): add the new key to `DOSSIER__CRYPTO__KEYS` (or
//! `__INDEX_KEYS`) and make it active everywhere, run `keys rotate` until it reports
//! nothing left, check `keys status`, then remove the old key.

use clap::{Args, Subcommand};
use dossierflow_consumers::personal_data::{RotateOptions, key_status, rotate};
use dossierflow_runtime::config::{CryptoArgs, DbArgs};
use dossierflow_runtime::db;

/// Options of `keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Re-seal values not under the active data key and recompute blind indexes not
    /// under the active index key; prints counts per table.
    Rotate {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        crypto: CryptoArgs,
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch: i64,
        /// Count what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Rows per key id per table (which keys are still in use).
    Status {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        crypto: CryptoArgs,
    },
}

/// Runs `keys rotate` or `keys status`.
pub async fn run(args: KeysArgs) -> anyhow::Result<()> {
    match args.action {
        Action::Rotate {
            db,
            crypto,
            batch,
            dry_run,
        } => {
            let keys = crypto.keyring()?;
            let pool = db::connect_and_migrate(&db).await?;
            eprintln!(
                "active data key {:?}, active index key {:?}{}",
                keys.active_id(),
                keys.index_active_id().unwrap_or("-"),
                if dry_run { " (dry run)" } else { "" }
            );
            let opts = RotateOptions {
                batch,
                dry_run,
                max_batches: None,
            };
            let mut progress = |table: &str, n: u64| eprintln!("  {table}: {n} so far");
            let report = rotate(&pool, &keys, opts, &mut progress).await?;
            let verb = if dry_run { "to rotate" } else { "rotated" };
            println!(
                "{:<40}  {:>10}  {:>8}  {:>8}",
                "table", verb, "failed", "stranded"
            );
            for t in &report.tables {
                println!(
                    "{:<40}  {:>10}  {:>8}  {:>8}",
                    t.table, t.rotated, t.failed, t.stranded
                );
            }
            if !report.complete() {
                anyhow::bail!(
                    "some values are not under the active keys: failed ones did not open \
                     (key missing from the configuration?); stranded blind indexes lost \
                     their sealed ID to retention and need their old index key kept"
                );
            }
            Ok(())
        }
        Action::Status { db, crypto } => {
            let keys = crypto.keyring()?;
            let pool = db::connect_and_migrate(&db).await?;
            println!(
                "configured data keys {:?} (active {:?}); index keys {:?} (active {:?})",
                keys.data_key_ids(),
                keys.active_id(),
                keys.index_key_ids(),
                keys.index_active_id().unwrap_or("-")
            );
            println!("{:<52}  {:<16}  {:>10}", "table", "key id", "rows");
            for c in key_status(&pool).await? {
                println!("{:<52}  {:<16}  {:>10}", c.table, c.key_id, c.rows);
            }
            Ok(())
        }
    }
}
