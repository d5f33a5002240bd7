//! Due-date scheduler settings.

use std::time::Duration;

use clap::Args;
use dossierflow_runtime::config::parse_duration;

/// Due-date scheduler settings.
#[derive(Debug, Clone, Args)]
pub struct DeadlineArgs {
    /// Time between two scans for overdue dossiers (e.g. `30s`, `500ms`).
    #[arg(long, env = "DOSSIER__DEADLINES__TICK", default_value = "30s", value_parser = parse_duration)]
    pub deadlines_tick: Duration,
}
