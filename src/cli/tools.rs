//! Tools: `submit` (send dossiers) and `status` (show one dossier).

use std::path::PathBuf;

use clap::Args;
use dossierflow_producers::generate::{Mix, generate};
use dossierflow_producers::submit::{LOCAL_PORTAL_TOKEN, Outgoing, Sent, submit_all_as};
use dossierflow_runtime::config::DbArgs;
use dossierflow_runtime::db;
use reqwest::Url;
use uuid::Uuid;

/// Options of `submit`.
#[derive(Debug, Clone, Args)]
pub struct SubmitArgs {
    /// Intake API base URL.
    #[arg(
        long,
        env = "DOSSIER__SUBMIT__API",
        default_value = "http://127.0.0.1:8080/"
    )]
    api: Url,
    /// The portal client's bearer token the intake API knows by its SHA-256 digest
    /// (`DOSSIER__INTAKE__PORTAL_TOKENS`); the default is the local development token.
    #[arg(
        long,
        env = "DOSSIER__SUBMIT__PORTAL_TOKEN",
        default_value = LOCAL_PORTAL_TOKEN,
        hide_env_values = true
    )]
    portal_token: dossierflow_runtime::tokens::Secret,
    /// A JSON file holding one submission object or an array of them.
    #[arg(
        long,
        conflicts_with = "generate",
        required_unless_present = "generate"
    )]
    file: Option<PathBuf>,
    /// Generate this many realistic submissions from the simulator population.
    #[arg(long)]
    generate: Option<usize>,
    /// Seed for generation (use the simulator's seed so applicants exist there).
    #[arg(long, default_value_t = 2023)]
    seed: u64,
    /// Simulator population size (must match the simulator's).
    #[arg(long, default_value_t = 10_000)]
    population: usize,
    /// Share of generated applicants unknown to CSDLQG.
    #[arg(long, default_value_t = 0.1)]
    unknown: f64,
    /// Share of generated applicants with a wrong date of birth.
    #[arg(long, default_value_t = 0.1)]
    wrong_birth: f64,
    /// Requests in flight.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

pub async fn submit(a: SubmitArgs) -> anyhow::Result<()> {
    let items: Vec<Outgoing> = match (&a.file, a.generate) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", path.display()))?;
            let list = match value {
                serde_json::Value::Array(v) => v,
                other => vec![other],
            };
            list.into_iter()
                .map(|body| Outgoing {
                    body,
                    idempotency_key: Uuid::now_v7().to_string(),
                })
                .collect()
        }
        (None, Some(n)) => {
            let catalog = dossierflow_domain::Catalog::embedded()?;
            let pop = dossierflow_producers::generate::population(a.seed, a.population, &catalog);
            let mix = Mix {
                unknown: a.unknown,
                wrong_birth: a.wrong_birth,
            };
            generate(&pop, &catalog, n, a.seed, mix)
                .into_iter()
                .map(|g| Outgoing {
                    body: g.body,
                    idempotency_key: g.idempotency_key,
                })
                .collect()
        }
        (None, None) => anyhow::bail!("give --file or --generate"),
    };
    let total = items.len();
    eprintln!("sending {total} submission(s) to {}", a.api);
    let results =
        submit_all_as(&a.api, a.portal_token.expose(), items, a.concurrency, true).await?;
    let mut accepted = 0;
    for (i, r) in results.iter().enumerate() {
        match r {
            Sent::Accepted(id) => {
                accepted += 1;
                println!("{id}");
            }
            Sent::Rejected(status, body) => eprintln!("#{i}: rejected with HTTP {status}: {body}"),
            Sent::Failed(e) => eprintln!("#{i}: failed: {e}"),
        }
    }
    eprintln!("{accepted} accepted, {} not accepted", total - accepted);
    if accepted < total {
        anyhow::bail!("{} submission(s) were not accepted", total - accepted)
    }
    Ok(())
}

/// Options of `status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Dossier id (UUID).
    dossier_id: Uuid,
    #[command(flatten)]
    db: DbArgs,
}

pub async fn status(a: StatusArgs) -> anyhow::Result<()> {
    let pool = db::connect(&a.db).await?;
    let Some(v) = dossierflow_producers::intake::view(&pool, a.dossier_id).await? else {
        anyhow::bail!("no dossier {}", a.dossier_id);
    };
    let (status, stage, verification, code, agency, due) = (
        v.status,
        v.stage,
        v.verification,
        v.dossier_code,
        v.agency_id,
        v.due_at,
    );
    let procedure = v.procedure_code;
    let name = dossierflow_domain::Status::from_code(status as u8)
        .map(|s| s.name_vi())
        .unwrap_or("?");
    println!("dossier      {}", a.dossier_id);
    println!("procedure    {procedure}");
    println!("status       {status} ({name})");
    println!("stage        {stage}");
    println!("verification {}", verification.as_deref().unwrap_or("-"));
    println!("code         {}", code.as_deref().unwrap_or("-"));
    println!("agency       {}", agency.as_deref().unwrap_or("-"));
    println!(
        "due          {}",
        due.map(|d| d
            .with_timezone(&dossierflow_domain::vn_offset())
            .format("%d/%m/%Y %H:%M:%S")
            .to_string())
            .unwrap_or("-".into())
    );
    let events: Vec<(String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT type, occurred_at FROM dossier_event WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(a.dossier_id)
    .fetch_all(&pool)
    .await?;
    println!("history");
    for (ty, at) in events {
        println!(
            "  {}  {ty}",
            at.with_timezone(&dossierflow_domain::vn_offset())
                .format("%d/%m/%Y %H:%M:%S%.3f")
        );
    }
    Ok(())
}

/// Options of `topics`.
#[derive(Debug, Clone, Args)]
pub struct TopicsArgs {
    #[command(flatten)]
    kafka: dossierflow_runtime::config::KafkaArgs,
    #[command(flatten)]
    retry: dossierflow_runtime::config::RetryArgs,
}

/// Creates every topic of the pipeline that does not exist yet.
pub async fn topics(a: TopicsArgs) -> anyhow::Result<()> {
    let Some(brokers) = a.kafka.brokers.as_deref() else {
        anyhow::bail!("--brokers (or DOSSIER__KAFKA__BROKERS) is required");
    };
    let catalog = dossierflow_domain::Catalog::embedded()?;
    let names = super::pipeline::topic_names(&a.kafka, a.retry.retry_delays.0.len(), &catalog);
    let security = &a.kafka.security;
    dossierflow_runtime::kafka::ensure_topics(brokers, security, &names, a.kafka.partitions)
        .await?;
    println!("{} topics present on {brokers}", names.len());
    Ok(())
}
