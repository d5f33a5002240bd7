//! `dossierflow audit verify|find`: check the lookup audit's hash chain, or list the
//! lookups of one citizen (the ID is read from standard input, never from the command
//! line, so it does not land in shell history or process listings).

use std::io::Read;

use clap::{Args, Subcommand};
use dossierflow_audit::{AuditKey, find_by_id, verify_chain};
use dossierflow_runtime::config::DbArgs;
use dossierflow_runtime::db;

/// Options of `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Walk the hash chain; exit 1 and name the first broken row if it does not verify.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the lookups of the citizen whose ID is given on standard input.
    Find {
        #[command(flatten)]
        db: DbArgs,
        /// Key of the searchable ID digest (the same as the pipeline's).
        #[arg(
            long,
            env = "DOSSIER__AUDIT__KEY",
            default_value = "local-audit-key",
            hide_default_value = true
        )]
        audit_key: String,
    },
}

pub async fn run(args: AuditArgs) -> anyhow::Result<()> {
    match args.action {
        Action::Verify { db } => {
            let pool = db::connect_and_migrate(&db).await?;
            let report = verify_chain(&pool).await?;
            match report.first_broken {
                None => {
                    println!(
                        "audit chain verified: {} rows, head {}",
                        report.rows,
                        report.head_hash.as_deref().unwrap_or("-")
                    );
                    Ok(())
                }
                Some(seq) => anyhow::bail!(
                    "audit chain BROKEN at row {seq}: {} ({} rows checked)",
                    report.reason.as_deref().unwrap_or("hash mismatch"),
                    report.rows
                ),
            }
        }
        Action::Find { db, audit_key } => {
            let mut id = String::new();
            std::io::stdin().read_to_string(&mut id)?;
            let pool = db::connect_and_migrate(&db).await?;
            let rows = find_by_id(
                &pool,
                &AuditKey::from_secret(audit_key.as_bytes()),
                id.trim(),
            )
            .await?;
            for r in &rows {
                println!(
                    "{}  {}  actor={} unit={} procedure={} dossier={} attempt={} outcome={} returned=[{}]",
                    r.seq,
                    r.at.to_rfc3339(),
                    r.actor,
                    r.unit,
                    r.purpose_procedure,
                    r.purpose_dossier
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into()),
                    r.attempt,
                    r.outcome,
                    r.fields_returned.join(",")
                );
            }
            eprintln!("{} lookup(s)", rows.len());
            Ok(())
        }
    }
}
