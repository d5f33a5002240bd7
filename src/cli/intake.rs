//! Intake API settings and state: submissions and the portal's synchronous lookups.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use dossierflow_consumers::Facts;
use dossierflow_csdlqg::PopulationRegistry;
use dossierflow_producers::intake::{IntakeState, OfficerLimit, PortalAuth};
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::config::{KafkaArgs, parse_duration};
use dossierflow_runtime::crypto::Keyring;
use dossierflow_runtime::telemetry::Metrics;

/// Intake API settings.
#[derive(Debug, Clone, Args)]
pub struct IntakeArgs {
    /// Address of the intake API (port 0 picks a free port).
    #[arg(long, env = "DOSSIER__INTAKE__ADDR", default_value = "127.0.0.1:8080")]
    pub intake_addr: SocketAddr,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "DOSSIER__INTAKE__MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    max_body_bytes: usize,
    /// Portal clients allowed to call /v1/citizen-lookups: `name:sha256(token)`,
    /// comma-separated. The default admits the local token `local-portal-token`.
    #[arg(
        long,
        env = "DOSSIER__INTAKE__PORTAL_TOKENS",
        default_value = "local-portal:ada62053c54053662b36c900448bddcc29773c03881598d333f2d89d2476cfe0"
    )]
    portal_tokens: String,
    /// Synchronous lookups each officer may make per minute.
    #[arg(
        long,
        env = "DOSSIER__INTAKE__OFFICER_LOOKUPS_PER_MINUTE",
        default_value_t = 30
    )]
    officer_lookups_per_minute: u32,
    /// How long a synchronous lookup may take before answering "unavailable".
    #[arg(long, env = "DOSSIER__INTAKE__LOOKUP_DEADLINE", default_value = "3s", value_parser = parse_duration)]
    lookup_deadline: Duration,
}

/// The intake's shared state from its settings.
pub fn state(
    args: &IntakeArgs,
    commits: CommitGroups,
    facts: &Facts,
    kafka: KafkaArgs,
    metrics: Arc<Metrics>,
    lookups: Option<Arc<dyn PopulationRegistry>>,
    keys: Keyring,
) -> anyhow::Result<IntakeState> {
    let portal_auth = PortalAuth::parse(&args.portal_tokens)
        .map_err(|e| anyhow::anyhow!("--portal-tokens: {e}"))?;
    Ok(IntakeState {
        commits,
        catalog: facts.catalog.clone(),
        calendar: facts.calendar.clone(),
        kafka,
        metrics,
        max_body_bytes: args.max_body_bytes,
        lookups,
        portal_auth: Arc::new(portal_auth),
        officer_limit: Arc::new(OfficerLimit::per_minute(args.officer_lookups_per_minute)),
        lookup_deadline: args.lookup_deadline,
        keys,
    })
}
