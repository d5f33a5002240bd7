//! `dossierflow bench`: the machine's own ceilings, measured in one run.
//!
//! Parts (issue #9): `broker` (raw produce/consume of event-sized records with the
//! pipeline's Kafka clients) and `postgres` (our write pattern: intake's and a stage's
//! transaction per dossier, and intake's rows batched with UNNEST). Later parts (the full
//! pipeline at fixed rates, latency percentiles, CPU/RSS, the CSDLQG latency run) add a
//! [`report::Section`] each. Progress goes to stderr, the table to stdout, the same
//! numbers to a JSON file. Method and latest results: `BENCHMARKS.md`.

mod broker;
mod pgbatch;
mod pgwrite;
mod postgres;
mod progress;
mod records;
pub mod report;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use dossierflow_runtime::config::{KafkaArgs, LogFormat, parse_duration};

use report::Report;

/// A part of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// Broker ceiling: produce, consume, and both at once, of records the size of
    /// `dossier.submitted.v1` and `dossier.routed.v1` with their CloudEvents headers.
    Broker,
    /// PostgreSQL ceiling: intake's and the route stage's transaction per dossier with
    /// concurrent writers, and intake's rows for a batch of dossiers per transaction.
    Postgres,
}

/// Options of `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Parts to run, comma-separated (default: all, in this order).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Part::Broker, Part::Postgres])]
    only: Vec<Part>,
    /// Broker connection (default 127.0.0.1:9092), partitions of the bench topics (the
    /// pipeline's count) and client security, exactly as the pipeline reads them. The
    /// bench writes to fresh topics `<prefix>bench-<run>.<event type>` and deletes them.
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Records per broker measurement (produce, consume, produce+consume; per event kind).
    #[arg(long, default_value_t = 200_000)]
    broker_records: u64,
    /// PostgreSQL server (no database): the bench creates `dfbench_<random>` there, runs
    /// the migrations into it and drops it at the end.
    #[arg(
        long,
        env = "DOSSIER__BENCH__PG_SERVER",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    pg_server: String,
    /// Concurrent PostgreSQL writers (one connection each).
    #[arg(long, default_value_t = 8)]
    pg_writers: usize,
    /// Dossiers written per PostgreSQL measurement.
    #[arg(long, default_value_t = 20_000)]
    pg_dossiers: u64,
    /// Dossiers per transaction in the batched (UNNEST) measurement.
    #[arg(long, default_value_t = 100)]
    pg_batch: usize,
    /// Keep the bench database instead of dropping it.
    #[arg(long)]
    keep_db: bool,
    /// Upper bound of each single measurement (`60s`, `2m`); a row cut short reports
    /// the count it reached.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    time_limit: Duration,
    /// Where to write the report as JSON.
    #[arg(long, default_value = "target/bench/latest.json")]
    json: PathBuf,
}

/// Runs the chosen parts, prints the table and writes the JSON.
pub async fn run(a: BenchArgs) -> anyhow::Result<()> {
    dossierflow_runtime::telemetry::init_logging_with(LogFormat::Pretty, "warn,sqlx::query=error");
    let mut report = Report {
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .to_owned(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        sections: Vec::new(),
    };
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    for part in &a.only {
        let section = match part {
            Part::Broker => {
                let plan = broker::BrokerPlan {
                    brokers: a
                        .kafka
                        .brokers
                        .clone()
                        .filter(|b| !b.is_empty())
                        .unwrap_or_else(|| "127.0.0.1:9092".into()),
                    security: a.kafka.security.clone(),
                    prefix: format!("{}bench-{}.", a.kafka.topic_prefix, &run_id[..12]),
                    partitions: a.kafka.partitions,
                    records: a.broker_records,
                    time_limit: a.time_limit,
                };
                broker::run(&plan).await?
            }
            Part::Postgres => {
                let plan = postgres::PgPlan {
                    server: a.pg_server.clone(),
                    writers: a.pg_writers.max(1),
                    dossiers: a.pg_dossiers,
                    batch: a.pg_batch.max(1),
                    time_limit: a.time_limit,
                    keep_db: a.keep_db,
                };
                postgres::run(&plan).await?
            }
        };
        report.sections.push(section);
    }
    print!("{}", report.to_table());
    if let Some(dir) = a.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&a.json, report.to_json()?)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", a.json.display()))?;
    eprintln!("bench: report written to {}", a.json.display());
    Ok(())
}
