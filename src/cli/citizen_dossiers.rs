//! `dossierflow citizen-dossiers`: data-subject access — which dossiers do we hold for
//! this ID? The ID is read from standard input, never from the command line (it would
//! land in shell history and process listings), and is found through the blind index
//! under every configured index key. The output shows the masked ID only.

use std::io::Read;

use clap::Args;
use dossierflow_consumers::personal_data::dossiers_for_id;
use dossierflow_domain::{NationalId, Status};
use dossierflow_runtime::config::{CryptoArgs, DbArgs};
use dossierflow_runtime::db;

/// Options of `citizen-dossiers`.
#[derive(Debug, Args)]
pub struct CitizenDossiersArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    crypto: CryptoArgs,
}

/// Reads the ID from stdin and prints the dossiers held for it.
pub async fn run(args: CitizenDossiersArgs) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    // The error names the rule, never the value.
    let id = NationalId::parse(&input).map_err(|_| {
        anyhow::anyhow!("standard input is not a CMND (9 digits) or CCCD (12 digits) number")
    })?;
    input.clear();
    let keys = args.crypto.keyring()?;
    let pool = db::connect_and_migrate(&args.db).await?;
    let rows = dossiers_for_id(&pool, &keys, &id).await?;
    println!(
        "{:<36}  {:<26}  {:<10}  {:<22}  {:<9}  {:<12}  submitted",
        "dossier", "code", "procedure", "status", "stage", "id"
    );
    for r in &rows {
        let status = u8::try_from(r.status)
            .ok()
            .and_then(Status::from_code)
            .map(|s| format!("{} {}", r.status, s.as_str()))
            .unwrap_or_else(|| r.status.to_string());
        println!(
            "{:<36}  {:<26}  {:<10}  {:<22}  {:<9}  {:<12}  {}",
            r.id,
            r.dossier_code.as_deref().unwrap_or("-"),
            r.procedure_code,
            status,
            r.stage,
            r.applicant_id_masked,
            r.submitted_at.to_rfc3339()
        );
    }
    eprintln!("{} dossier(s) held for {}", rows.len(), id.masked());
    Ok(())
}
