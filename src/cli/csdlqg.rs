//! CSDLQG client settings and construction.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use dossierflow_csdlqg::{PopulationRegistry, SoapClient, SoapConfig};
use dossierflow_domain::DiacriticPolicy;
use dossierflow_runtime::config::parse_duration;
use reqwest::Url;

/// Name comparison policy for CSDLQG matching.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum NamePolicy {
    /// Case-insensitive, accents must match.
    Strict,
    /// Case- and diacritic-insensitive (đ = d).
    FoldDiacritics,
}

/// How to reach CSDLQG.
#[derive(Debug, Clone, Args)]
pub struct CsdlqgArgs {
    /// SOAP endpoint of TraCuuThongTinCongDan. `run` starts an in-process simulator when absent.
    #[arg(long, env = "DOSSIER__CSDLQG__URL")]
    pub csdlqg_url: Option<Url>,
    /// Per-attempt timeout.
    #[arg(long, env = "DOSSIER__CSDLQG__TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    csdlqg_timeout: Duration,
    /// Integration-service code (MaTichHop).
    #[arg(long, env = "DOSSIER__CSDLQG__MA_TICH_HOP", default_value = "037")]
    csdlqg_ma_tich_hop: String,
    /// Agency e-identifier sent as MaDonVi.
    #[arg(long, env = "DOSSIER__CSDLQG__AGENCY", default_value = "000.00.00.H43")]
    pub csdlqg_agency: String,
    /// Officer code sent as MaCanBo and recorded in the lookup audit.
    #[arg(long, env = "DOSSIER__CSDLQG__OFFICER", default_value = "dossierflow")]
    pub csdlqg_officer: String,
    /// Username for the Authorization header.
    #[arg(long, env = "DOSSIER__CSDLQG__USERNAME", default_value = "dossierflow")]
    csdlqg_username: String,
    /// Shared secret for the Authorization signature.
    #[arg(
        long,
        env = "DOSSIER__CSDLQG__SECRET",
        default_value = "local-secret",
        hide_default_value = true
    )]
    csdlqg_secret: String,
    /// ApiKey header.
    #[arg(
        long,
        env = "DOSSIER__CSDLQG__API_KEY",
        default_value = "local-api-key",
        hide_default_value = true
    )]
    csdlqg_api_key: String,
    /// X-Road-Client header.
    #[arg(
        long,
        env = "DOSSIER__CSDLQG__X_ROAD_CLIENT",
        default_value = "VN/GOV/000.00.00.H43/dossierflow"
    )]
    csdlqg_x_road_client: String,
    /// How names are compared with the population record.
    #[arg(long, env = "DOSSIER__CSDLQG__NAME_POLICY", value_enum, default_value_t = NamePolicy::Strict)]
    name_policy: NamePolicy,
}

impl CsdlqgArgs {
    /// The configured name comparison policy.
    pub fn policy(&self) -> DiacriticPolicy {
        match self.name_policy {
            NamePolicy::Strict => DiacriticPolicy::Strict,
            NamePolicy::FoldDiacritics => DiacriticPolicy::FoldDiacritics,
        }
    }
}

/// The SOAP client for the configured endpoint.
pub fn registry_from(args: &CsdlqgArgs) -> anyhow::Result<Arc<dyn PopulationRegistry>> {
    let Some(url) = args.csdlqg_url.clone() else {
        anyhow::bail!("--csdlqg-url (or DOSSIER__CSDLQG__URL) is required");
    };
    let client = SoapClient::new(SoapConfig {
        endpoint: url,
        ma_tich_hop: args.csdlqg_ma_tich_hop.clone(),
        ma_don_vi: args.csdlqg_agency.clone(),
        ma_can_bo: args.csdlqg_officer.clone(),
        username: args.csdlqg_username.clone(),
        secret: args.csdlqg_secret.clone(),
        x_road_client: args.csdlqg_x_road_client.clone(),
        api_key: args.csdlqg_api_key.clone(),
        timeout: args.csdlqg_timeout,
    })
    .map_err(|e| anyhow::anyhow!("cannot configure the CSDLQG client: {e}"))?;
    Ok(Arc::new(client))
}
