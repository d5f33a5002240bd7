//! `dossierflow retention run [--dry-run]`: delete CSDLQG-derived personal data past its
//! retention period now (the scheduler also runs it every `DOSSIER__RETENTION__TICK`).

use clap::{Args, Subcommand};
use dossierflow_consumers::personal_data::{RetentionPolicy, run_retention};
use dossierflow_runtime::config::{DbArgs, RetentionArgs};
use dossierflow_runtime::db;

/// The retention rules' settings from the command line / environment.
pub fn retention_policy(a: &RetentionArgs) -> RetentionPolicy {
    RetentionPolicy {
        citizen_data_after: a.citizen_data_after,
        staging_after: a.staging_after,
        batch: a.retention_batch,
    }
}

/// Options of `retention`.
#[derive(Debug, Args)]
pub struct RetentionCmdArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Apply the retention rules once and print the rows deleted per table.
    Run {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        retention: RetentionArgs,
        /// Count what would be deleted; delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs `retention run`.
pub async fn run(args: RetentionCmdArgs) -> anyhow::Result<()> {
    let Action::Run {
        db,
        retention,
        dry_run,
    } = args.action;
    let pool = db::connect_and_migrate(&db).await?;
    let report = run_retention(&pool, &retention_policy(&retention), dry_run).await?;
    let verb = if dry_run { "would delete" } else { "deleted" };
    println!("{verb}:");
    println!("  dossier_citizen_data        {}", report.citizen_data);
    println!("  citizen_record_staging      {}", report.staging);
    println!("  dossier.applicant_id_sealed {}", report.sealed_ids);
    Ok(())
}
