//! CSDLQG client settings and construction.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use dossierflow_audit::AuditKey;
use dossierflow_consumers::verify::Gate;
use dossierflow_csdlqg::{
    BreakerConfig, GatewayClient, GatewayConfig, PopulationRegistry, ProcedureMap,
    ResilienceConfig, Resilient, SoapClient, SoapConfig,
};
use dossierflow_runtime::telemetry::Metrics;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::observer::LookupTelemetry;
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

/// Which CSDLQG API to speak.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Adapter {
    /// C06-style SOAP `TraCuuThongTinCongDan`.
    Soap,
    /// Province gateway JSON (bearer token).
    Gateway,
}

/// How hard to try and how much to ask of CSDLQG.
#[derive(Debug, Clone, Args)]
pub struct ResilienceArgs {
    /// Attempts per lookup in process (exponential back-off, full jitter, Retry-After honoured).
    #[arg(long, env = "DOSSIER__CSDLQG__ATTEMPTS", default_value_t = 4)]
    csdlqg_attempts: u32,
    /// Retries may not exceed this fraction of first attempts (retry budget).
    #[arg(long, env = "DOSSIER__CSDLQG__RETRY_BUDGET", default_value_t = 0.2)]
    csdlqg_retry_budget: f64,
    /// Contracted request rate per second (0: unlimited).
    #[arg(long, env = "DOSSIER__CSDLQG__RATE_LIMIT", default_value_t = 0)]
    csdlqg_rate_limit: u32,
    /// Calls in flight at most.
    #[arg(long, env = "DOSSIER__CSDLQG__MAX_IN_FLIGHT", default_value_t = 32)]
    pub csdlqg_max_in_flight: usize,
    /// How long the circuit stays open before a probe.
    #[arg(long, env = "DOSSIER__CSDLQG__OPEN_FOR", default_value = "5s", value_parser = parse_duration)]
    csdlqg_open_for: Duration,
    /// Transient failures in a row that open the circuit (0: off).
    #[arg(
        long,
        env = "DOSSIER__CSDLQG__BREAKER_CONSECUTIVE",
        default_value_t = 20
    )]
    csdlqg_breaker_consecutive: u32,
    /// Calls in the breaker's window before it may open.
    #[arg(long, env = "DOSSIER__CSDLQG__BREAKER_MIN_CALLS", default_value_t = 20)]
    csdlqg_breaker_min_calls: u32,
    /// Identical lookups within this time are answered once (0: off).
    #[arg(long, env = "DOSSIER__CSDLQG__CACHE_TTL", default_value = "30s", value_parser = parse_duration)]
    csdlqg_cache_ttl: Duration,
}

impl ResilienceArgs {
    fn config(&self) -> ResilienceConfig {
        let d = ResilienceConfig::default();
        ResilienceConfig {
            attempts: self.csdlqg_attempts.max(1),
            retry_budget_ratio: self.csdlqg_retry_budget,
            rate_limit_per_second: self.csdlqg_rate_limit,
            max_in_flight: self.csdlqg_max_in_flight,
            cache_ttl: self.csdlqg_cache_ttl,
            breaker: BreakerConfig {
                open_for: self.csdlqg_open_for,
                min_calls: self.csdlqg_breaker_min_calls,
                consecutive_failures: self.csdlqg_breaker_consecutive,
                ..d.breaker.clone()
            },
            ..d
        }
    }
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
    /// Which API to speak: the C06 SOAP service or a province gateway's JSON API.
    #[arg(long, env = "DOSSIER__CSDLQG__ADAPTER", value_enum, default_value_t = Adapter::Soap)]
    csdlqg_adapter: Adapter,
    /// Bearer token for the province gateway.
    #[arg(
        long,
        env = "DOSSIER__CSDLQG__TOKEN",
        default_value = "local-gateway-token",
        hide_default_value = true
    )]
    csdlqg_token: String,
    /// Secret key of the lookup audit's searchable ID digest (HMAC-SHA256).
    #[arg(
        long,
        env = "DOSSIER__AUDIT__KEY",
        default_value = "local-audit-key",
        hide_default_value = true
    )]
    audit_key: String,
    /// Per-province `MaDVC` codes: `national=madvc,…` (unmapped procedures are sent as is).
    #[arg(long, env = "DOSSIER__CSDLQG__PROCEDURE_MAP", default_value = "")]
    csdlqg_procedure_map: String,
    #[command(flatten)]
    pub resilience: ResilienceArgs,
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

/// The population register as every component uses it: the configured adapter behind
/// the resilience layer, observed by the lookup audit and the metrics.
#[derive(Clone)]
pub struct Lookups {
    /// Retries, budget, rate limit, concurrency, breaker and cache around the adapter.
    pub registry: Arc<Resilient<Arc<dyn PopulationRegistry>>>,
}

impl Lookups {
    /// `Some(remaining)` while the circuit is open.
    pub fn gate(&self) -> Gate {
        let r = self.registry.clone();
        Arc::new(move || r.open_remaining())
    }
}

/// Builds the configured adapter, wraps it and starts sampling its gauges.
pub fn lookups_from(
    args: &CsdlqgArgs,
    pool: PgPool,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> anyhow::Result<Lookups> {
    let map = ProcedureMap::<()>::parse(&args.csdlqg_procedure_map)
        .map_err(|e| anyhow::anyhow!("--csdlqg-procedure-map: {e}"))?;
    let adapter: Arc<dyn PopulationRegistry> =
        Arc::new(ProcedureMap::new(adapter_from(args)?, map));
    let observer = Arc::new(LookupTelemetry::new(
        pool,
        AuditKey::from_secret(args.audit_key.as_bytes()),
        metrics.clone(),
    ));
    let config = args.resilience.config();
    metrics
        .csdlqg_concurrency_limit
        .set(config.max_in_flight as i64);
    let registry = Arc::new(Resilient::new(adapter, config, observer));
    let sampled = registry.clone();
    tokio::spawn(async move {
        loop {
            metrics.csdlqg_in_flight.set(sampled.in_flight() as i64);
            metrics
                .csdlqg_circuit_state
                .set(i64::from(sampled.breaker_state().as_number()));
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    });
    Ok(Lookups { registry })
}

/// The configured adapter: C06 SOAP or the province gateway's JSON API.
fn adapter_from(args: &CsdlqgArgs) -> anyhow::Result<Arc<dyn PopulationRegistry>> {
    let Some(url) = args.csdlqg_url.clone() else {
        anyhow::bail!("--csdlqg-url (or DOSSIER__CSDLQG__URL) is required");
    };
    let configure = |e: dossierflow_csdlqg::LookupError| {
        anyhow::anyhow!("cannot configure the CSDLQG client: {e}")
    };
    Ok(match args.csdlqg_adapter {
        Adapter::Soap => Arc::new(
            SoapClient::new(SoapConfig {
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
            .map_err(configure)?,
        ),
        Adapter::Gateway => Arc::new(
            GatewayClient::new(GatewayConfig {
                endpoint: url,
                bearer_token: args.csdlqg_token.clone(),
                timeout: args.csdlqg_timeout,
                ma_don_vi: args.csdlqg_agency.clone(),
                ma_can_bo: args.csdlqg_officer.clone(),
                ma_tich_hop: args.csdlqg_ma_tich_hop.clone(),
            })
            .map_err(configure)?,
        ),
    })
}
