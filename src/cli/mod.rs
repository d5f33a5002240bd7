//! Command-line interface: one subcommand per process or tool.

mod agency_tokens;
mod agency_webhooks;
mod audit;
mod bench;
mod catalog;
mod citizen_dossiers;
mod components;
mod csdlqg;
mod deadlines;
mod demo;
mod dlq;
mod dlq_filter;
mod dlq_read;
mod dlq_redact;
mod dlq_redrive;
mod intake;
mod keys;
mod metrics;
mod notifications;
mod notify;
mod notify_sim;
mod observer;
mod pipeline;
mod replay;
mod replay_fold;
mod retention;
mod sim;
mod tools;
mod webhook_sim;

use clap::{Args, Parser, Subcommand};
use dossierflow_runtime::config::{
    CryptoArgs, DbArgs, KafkaArgs, OutboxArgs, RetryArgs, TelemetryArgs,
};

pub use pipeline::Components;

/// Event-driven pipeline for Vietnamese administrative-procedure dossiers.
#[derive(Debug, Parser)]
#[command(name = "dossierflow", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the portal-facing intake API (POST /v1/dossiers) and relay its outbox.
    Intake(pipeline::ProcessArgs),
    /// Run the verify stage: check applicants against CSDLQG.
    Verify(pipeline::ProcessArgs),
    /// Run the enrich stage: keep the citizen data each procedure needs.
    Enrich(pipeline::ProcessArgs),
    /// Run the route stage: assign the responsible agency, dossier code and due date.
    Route(pipeline::ProcessArgs),
    /// Run the notify stage: one notification per status change and channel.
    Notify(pipeline::ProcessArgs),
    /// Run webhook delivery: queue routed dossiers for agencies with a webhook and push
    /// them, signed, one worker per agency.
    Webhooks(pipeline::ProcessArgs),
    /// Run the due-date scheduler: mark overdue dossiers once and start the apology.
    Scheduler(pipeline::ProcessArgs),
    /// Issue an agency's pull-API token (printed once; only its SHA-256 digest is stored).
    AgencyToken(agency_tokens::AgencyTokenArgs),
    // [command: agency-token] / [command: agency-webhook] — agency endpoint administration.
    /// Set an agency's webhook URL and HMAC secret (generated and printed once unless
    /// --secret-env names a variable holding it).
    AgencyWebhook(agency_webhooks::AgencyWebhookArgs),
    /// Serve a webhook receiver simulator (signature check, idempotency keys, failure switch).
    WebhookSim(webhook_sim::WebhookSimArgs),
    /// Serve the notification-provider simulators (SMS, Zalo, national portal, portal
    /// webhook, operator alerts over HTTP; e-mail over SMTP) with fault injection.
    NotifySim(notify_sim::NotifySimArgs),
    /// Run the intake API and every stage in one process. Without --brokers it starts an
    /// embedded in-process Kafka cluster; without --csdlqg-url an in-process simulator.
    Run(demo::RunArgs),
    /// Create the database if missing and apply migrations.
    Migrate(MigrateArgs),
    /// Serve the CSDLQG SOAP simulator over a deterministic synthetic population.
    CsdlqgSim(sim::SimArgs),
    /// Validate the procedure/agency/unit catalogue, or load it into PostgreSQL.
    Catalog(catalog::CatalogArgs),
    /// Check the lookup audit's hash chain, or list one citizen's lookups.
    Audit(audit::AuditArgs),
    /// Create every topic of the pipeline (fixed topics and one per agency) if missing.
    Topics(tools::TopicsArgs),
    /// Send dossiers to an intake API, from a JSON file or generated.
    Submit(tools::SubmitArgs),
    /// Show a dossier's state and history.
    Status(tools::StatusArgs),
    /// Inspect the dead-letter topic: list (filters, --json), show one record with
    /// personal data masked, or redrive records to their original topic once each.
    Dlq(dlq::DlqArgs),
    /// Rebuild dossiers' state from their event history and report (or, with --apply,
    /// fix) every field where the dossier table differs.
    Replay(replay::ReplayArgs),
    /// Failed notifications: `requeue` sends them again with the same idempotency keys.
    Notifications(notifications::NotificationsArgs),
    /// Print the catalogue of every metric (`--markdown`: the content of ops/METRICS.md).
    Metrics(metrics::MetricsArgs),
    /// Data-subject access: list the dossiers held for the CMND/CCCD read from standard
    /// input (found by blind index; masked IDs only in the output).
    CitizenDossiers(citizen_dossiers::CitizenDossiersArgs),
    /// Data keys and blind-index keys: `rotate` moves every value to the active keys,
    /// `status` counts rows per key id per table.
    Keys(keys::KeysArgs),
    /// Retention of CSDLQG-derived personal data: `run` deletes what is past its period.
    Retention(retention::RetentionCmdArgs),
    /// Measure this machine's ceilings (broker, PostgreSQL) and the pipeline's throughput,
    /// latency and resource use (full pipeline, slow CSDLQG); write a report (issue #9).
    Bench(bench::BenchArgs),
}

/// Options of `migrate`.
#[derive(Debug, Args)]
struct MigrateArgs {
    #[command(flatten)]
    db: DbArgs,
}

impl Cli {
    /// Runs the chosen command to completion.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Intake(a) => pipeline::run_process(a, Components::INTAKE).await,
            Command::Verify(a) => pipeline::run_process(a, Components::VERIFY).await,
            Command::Enrich(a) => pipeline::run_process(a, Components::ENRICH).await,
            Command::Route(a) => pipeline::run_process(a, Components::ROUTE).await,
            Command::Notify(a) => pipeline::run_process(a, Components::NOTIFY).await,
            Command::Scheduler(a) => pipeline::run_process(a, Components::DEADLINES).await,
            Command::Webhooks(a) => pipeline::run_process(a, Components::WEBHOOKS).await,
            Command::AgencyWebhook(a) => agency_webhooks::configure(a).await,
            Command::WebhookSim(a) => webhook_sim::run(a).await,
            Command::NotifySim(a) => notify_sim::run(a).await,
            Command::Run(a) => demo::run(a).await,
            Command::AgencyToken(a) => agency_tokens::run(a).await,
            Command::Migrate(a) => {
                dossierflow_runtime::telemetry::init_logging(
                    dossierflow_runtime::config::LogFormat::Pretty,
                );
                dossierflow_runtime::db::connect_and_migrate(&a.db).await?;
                println!("migrations applied");
                Ok(())
            }
            Command::CsdlqgSim(a) => sim::run(a).await,
            Command::Topics(a) => tools::topics(a).await,
            Command::Catalog(a) => catalog::run(a).await,
            Command::Audit(a) => audit::run(a).await,
            Command::Submit(a) => tools::submit(a).await,
            Command::Status(a) => tools::status(a).await,
            Command::Dlq(a) => dlq::run(a).await,
            Command::Replay(a) => replay::run(a).await,
            Command::Notifications(a) => notifications::run(a).await,
            Command::Metrics(a) => metrics::run(a),
            Command::CitizenDossiers(a) => citizen_dossiers::run(a).await,
            Command::Keys(a) => keys::run(a).await,
            Command::Retention(a) => retention::run(a).await,
            Command::Bench(a) => bench::run(a).await,
        }
    }
}

/// Settings common to every long-running process.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    kafka: KafkaArgs,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    telemetry: TelemetryArgs,
    #[command(flatten)]
    outbox: OutboxArgs,
    #[command(flatten)]
    retry: RetryArgs,
    #[command(flatten)]
    crypto: CryptoArgs,
    /// Catalogue folder (procedures.json, agencies.json, units.json, legacy_map.json);
    /// the sample catalogue built into the binary when absent.
    #[arg(long, env = "DOSSIER__CATALOG__DIR")]
    catalog_dir: Option<std::path::PathBuf>,
}
