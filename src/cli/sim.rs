//! `dossierflow csdlqg-sim`: the CSDLQG SOAP simulator as a process or an in-process task.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use dossierflow_csdlqg::sim::{SimConfig, SimState, serve};
use dossierflow_domain::Catalog;
use dossierflow_producers::generate::population;
use dossierflow_runtime::config::{LogFormat, parse_duration};
use dossierflow_runtime::{shutdown, telemetry};
use tokio_util::sync::CancellationToken;

/// Options of `csdlqg-sim`.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Listen address.
    #[arg(long, env = "DOSSIER__SIM__ADDR", default_value = "127.0.0.1:8081")]
    addr: SocketAddr,
    /// Population seed (the same seed gives the same citizens).
    #[arg(long, env = "DOSSIER__SIM__SEED", default_value_t = 2023)]
    seed: u64,
    /// Number of citizens.
    #[arg(long, env = "DOSSIER__SIM__POPULATION", default_value_t = 10_000)]
    population: usize,
    /// Median added latency per answer.
    #[arg(long, env = "DOSSIER__SIM__LATENCY", default_value = "0ms", value_parser = parse_duration)]
    latency: Duration,
    /// Fraction of requests answered 503 (0.0–1.0).
    #[arg(long, env = "DOSSIER__SIM__FAILURE_RATE", default_value_t = 0.0)]
    failure_rate: f64,
    /// Log format.
    #[arg(long, env = "DOSSIER__LOG__FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
}

/// Serves the simulator on a free loopback port until `shutdown`.
pub async fn spawn_in_process(
    seed: u64,
    size: usize,
    catalog: &Catalog,
    shutdown: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let state = SimState::new(population(seed, size, catalog), SimConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = serve(listener, state, shutdown.cancelled_owned()).await {
            tracing::error!(error = %e, "CSDLQG simulator stopped");
        }
    });
    Ok(addr)
}

pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    telemetry::init_logging(args.log_format);
    let token = shutdown::on_signals();
    let catalog = Catalog::embedded()?;
    let config = SimConfig {
        latency: args.latency,
        failure_rate: args.failure_rate,
        unauthorised_procedures: vec![],
    };
    let state = SimState::new(population(args.seed, args.population, &catalog), config);
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", args.addr))?;
    tracing::info!(addr = %listener.local_addr()?, citizens = args.population, seed = args.seed,
        "CSDLQG simulator listening (POST / TraCuuThongTinCongDan, POST /admin/config, GET /admin/stats)");
    serve(listener, state, token.cancelled_owned()).await?;
    Ok(())
}
