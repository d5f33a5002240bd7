//! `dossierflow agency-token --agency <e-id>`: issue an agency's pull-API token.
//!
//! The token (32 random bytes, base64url) is printed once; only its SHA-256 digest is
//! stored in `agency_endpoint.token_sha256`. Issuing again replaces the previous token,
//! which stops working at once.

use clap::Args;
use dossierflow_domain::AgencyId;
use dossierflow_producers::intake::PortalAuth;
use dossierflow_runtime::config::DbArgs;
use dossierflow_runtime::crypto::random_token;
use dossierflow_runtime::db;

/// Options of `agency-token`.
#[derive(Debug, Args)]
pub struct AgencyTokenArgs {
    /// The agency's e-identifier, e.g. `000.00.92.H55`.
    #[arg(long)]
    agency: String,
    #[command(flatten)]
    db: DbArgs,
}

/// Issues the token, stores its digest and prints it.
pub async fn run(args: AgencyTokenArgs) -> anyhow::Result<()> {
    let agency = AgencyId::parse(&args.agency)
        .map_err(|e| anyhow::anyhow!("--agency {:?}: {e}", args.agency))?;
    let pool = db::connect_and_migrate(&args.db).await?;
    let token = random_token();
    sqlx::query(
        "INSERT INTO agency_endpoint (agency_id, token_sha256, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (agency_id) DO UPDATE SET token_sha256 = EXCLUDED.token_sha256, updated_at = now()",
    )
    .bind(agency.as_str())
    .bind(PortalAuth::digest_hex(&token))
    .execute(&pool)
    .await
    .map_err(|e| anyhow::anyhow!("cannot store the token digest: {e}"))?;
    println!("{token}");
    eprintln!(
        "token issued for agency {}: it is shown only this once; any previous token no longer works",
        agency.as_str()
    );
    Ok(())
}
