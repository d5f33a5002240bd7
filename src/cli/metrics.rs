//! `dossierflow metrics`: the metric catalogue, as text or as `ops/METRICS.md`.

use clap::Args;
use dossierflow_runtime::catalogue;
use dossierflow_runtime::telemetry::Metrics;

/// Options of `metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Print `ops/METRICS.md` (one Markdown table per area) instead of the plain list.
    #[arg(long)]
    markdown: bool,
}

/// Prints the catalogue of every metric a dossierflow process exposes.
pub fn run(args: MetricsArgs) -> anyhow::Result<()> {
    let metrics = Metrics::new();
    let docs = metrics.catalogue();
    if args.markdown {
        print!("{}", catalogue::markdown(docs));
    } else {
        print!("{}", catalogue::text(docs));
    }
    Ok(())
}
