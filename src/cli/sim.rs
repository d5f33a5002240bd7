//! `dossierflow csdlqg-sim`: the CSDLQG simulator (SOAP and province-gateway JSON)
//! as a process or an in-process task.
//!
//! Faults set here are the starting config; `POST /admin/config` changes them
//! at runtime (partial JSON, missing fields keep their values).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use dossierflow_csdlqg::sim::{ErrorRates, OutageWindow, SimConfig, SimState, serve};
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
    #[arg(long, env = "DOSSIER__SIM__POPULATION", default_value_t = 100_000)]
    population: usize,
    /// Median added latency per answer (log-normal).
    #[arg(long, env = "DOSSIER__SIM__LATENCY", default_value = "0ms", value_parser = parse_duration)]
    latency: Duration,
    /// 99th percentile of the added latency (default: 3 × the median).
    #[arg(long, env = "DOSSIER__SIM__LATENCY_P99", value_parser = parse_duration)]
    latency_p99: Option<Duration>,
    /// Fraction of requests answered 503 (0.0–1.0; legacy form of --error-5xx-rate).
    #[arg(long, env = "DOSSIER__SIM__FAILURE_RATE", default_value_t = 0.0)]
    failure_rate: f64,
    /// Fraction of requests held for --timeout-hold, then answered 504.
    #[arg(long, env = "DOSSIER__SIM__ERROR_TIMEOUT_RATE", default_value_t = 0.0)]
    error_timeout_rate: f64,
    /// Fraction of requests answered 500 or 503.
    #[arg(
        long = "error-5xx-rate",
        env = "DOSSIER__SIM__ERROR_5XX_RATE",
        default_value_t = 0.0
    )]
    error_5xx_rate: f64,
    /// Fraction of requests answered 429 with `Retry-After: 1`.
    #[arg(
        long = "error-429-rate",
        env = "DOSSIER__SIM__ERROR_429_RATE",
        default_value_t = 0.0
    )]
    error_429_rate: f64,
    /// How long an injected timeout holds the request.
    #[arg(long, env = "DOSSIER__SIM__TIMEOUT_HOLD", default_value = "30s", value_parser = parse_duration)]
    timeout_hold: Duration,
    /// Lookups admitted per second; the rest are answered 429.
    #[arg(long, env = "DOSSIER__SIM__RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// Scheduled outages since start, e.g. `10s-20s,60s-90s`.
    #[arg(long, env = "DOSSIER__SIM__OUTAGE_WINDOWS", value_parser = parse_windows)]
    outage_windows: Option<Windows>,
    /// Log format.
    #[arg(long, env = "DOSSIER__LOG__FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
}

/// Outage windows as given on the command line (a newtype so clap takes the
/// whole list as one value).
#[derive(Debug, Clone)]
struct Windows(Vec<OutageWindow>);

/// `start-end` pairs of durations separated by commas: `10s-20s,60s-90s`.
fn parse_windows(s: &str) -> Result<Windows, String> {
    s.split(',')
        .filter(|w| !w.trim().is_empty())
        .map(|w| {
            let (start, end) = w
                .split_once('-')
                .ok_or_else(|| format!("{w:?}: expected start-end, e.g. 10s-20s"))?;
            let window = OutageWindow {
                start: parse_duration(start)?,
                end: parse_duration(end)?,
            };
            if window.start >= window.end {
                return Err(format!("{w:?}: the window must end after it starts"));
            }
            Ok(window)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Windows)
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
        latency_p99: args.latency_p99,
        failure_rate: args.failure_rate,
        error_rates: ErrorRates {
            timeout: args.error_timeout_rate,
            server_error: args.error_5xx_rate,
            too_many_requests: args.error_429_rate,
        },
        timeout_hold: args.timeout_hold,
        outage_windows: args.outage_windows.map(|w| w.0).unwrap_or_default(),
        rate_limit_per_second: args.rate_limit,
        ..SimConfig::default()
    };
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("csdlqg-sim: {e}"))?;
    let started = std::time::Instant::now();
    let citizens = population(args.seed, args.population, &catalog);
    tracing::info!(
        citizens = citizens.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "Synthetic population generated."
    );
    let state = SimState::new(citizens, config);
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", args.addr))?;
    tracing::info!(addr = %listener.local_addr()?, citizens = args.population, seed = args.seed,
        "CSDLQG simulator listening (POST / TraCuuThongTinCongDan, POST /v1/tra-cuu-cong-dan, POST /admin/config, GET /admin/stats)");
    serve(listener, state, token.cancelled_owned()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_windows_parse() {
        let w = parse_windows("10s-20s, 1m-1m").err();
        assert!(w.is_some(), "1m-1m is empty");
        let Ok(Windows(w)) = parse_windows("10s-20s,500ms-1s") else {
            panic!("valid windows refused")
        };
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].start, Duration::from_secs(10));
        assert_eq!(w[1].end, Duration::from_secs(1));
        assert!(parse_windows("10s").is_err());
    }
}
