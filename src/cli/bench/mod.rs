//! `dossierflow bench`: the machine's own ceilings and the pipeline's performance,
//! measured in one run.
//!
//! Parts (issue #9): `broker` (raw produce/consume of event-sized records with the
//! pipeline's Kafka clients), `postgres` (our write pattern: intake's and a stage's
//! transaction per dossier, and intake's rows batched with UNNEST), `pipeline` (every
//! stage as its own process at maximum and fixed rates: throughput, latency percentiles,
//! CPU and memory per process) and `csdlqg` (the verify stage against a CSDLQG answering
//! in 200 ms). Each part adds [`report::Section`]s. Progress goes to stderr, the table to
//! stdout, the same numbers to a JSON file. Method and latest results: `BENCHMARKS.md`.

mod broker;
mod csdlqg;
mod dbwork;
mod load;
mod outcome;
mod pgbatch;
mod pgwrite;
mod pipeline;
mod pipeline_report;
mod postgres;
mod procs;
mod procstat;
mod progress;
mod records;
pub mod report;
mod routed;
mod stack;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use dossierflow_runtime::config::{KafkaArgs, LogFormat, parse_duration};

use report::{Report, Section};

/// A part of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// Broker ceiling: produce, consume, and both at once, of records the size of
    /// `dossier.submitted.v1` and `dossier.routed.v1` with their CloudEvents headers.
    Broker,
    /// PostgreSQL ceiling: intake's and the route stage's transaction per dossier with
    /// concurrent writers, and intake's rows for a batch of dossiers per transaction.
    Postgres,
    /// The full pipeline, one process per stage, at maximum and fixed rates: throughput,
    /// submit→routed and submit→notified percentiles, CPU and memory per process.
    Pipeline,
    /// The verify stage against a CSDLQG answering in `--csdlqg-latency`: verified
    /// dossiers per second against the ideal C ÷ latency.
    Csdlqg,
}

/// Options of `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Parts to run, comma-separated (default: all, in this order).
    #[arg(long, value_enum, value_delimiter = ',',
          default_values_t = [Part::Broker, Part::Postgres, Part::Pipeline, Part::Csdlqg])]
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
    /// Keep the bench databases (and the pipeline parts' process logs) instead of
    /// dropping them.
    #[arg(long)]
    keep_db: bool,
    /// Submission rates of the pipeline part, one step each: `max` (as fast as
    /// --pipeline-concurrency allows) or dossiers per second (open loop).
    #[arg(long, value_delimiter = ',', default_value = "max,200,500,1000", value_parser = load::parse_rate)]
    pipeline_rates: Vec<load::Rate>,
    /// Dossiers submitted per pipeline step (each step also stops at --time-limit).
    #[arg(long, default_value_t = 3000)]
    pipeline_dossiers: usize,
    /// Dossiers the pipeline part sends and completes before its first step, not
    /// counted; the database is then vacuumed and analysed, so that the steps run with
    /// the planner statistics a running system has.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pipeline_warm_up: u32,
    /// Submissions in flight at most (pipeline and csdlqg parts).
    #[arg(long, default_value_t = 64)]
    pipeline_concurrency: usize,
    /// Stage processes of the pipeline part that run an outbox relay: the first N of
    /// intake, verify, enrich, route, notify, webhooks (the others `--outbox-relay false`).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(1..=6))]
    pipeline_relays: u8,
    /// How the pipeline part spreads its components: `separate` (one process per stage)
    /// or `one` (`dossierflow run`: everything in one process, one relay).
    #[arg(long, value_enum, default_value = "separate")]
    pipeline_layout: pipeline::Layout,
    /// Citizens in the CSDLQG simulator's population; applicants are drawn from it.
    #[arg(long, default_value_t = 100_000)]
    sim_population: usize,
    /// The verify stage's CSDLQG concurrency limit C in the csdlqg part (the stage's
    /// --csdlqg-max-in-flight).
    #[arg(long, default_value_t = 32)]
    csdlqg_max_in_flight: usize,
    /// Median latency of the CSDLQG simulator in the csdlqg part.
    #[arg(long, default_value = "200ms", value_parser = parse_duration)]
    csdlqg_latency: Duration,
    /// 99th percentile of that latency (default: 3 × the median).
    #[arg(long, value_parser = parse_duration)]
    csdlqg_latency_p99: Option<Duration>,
    /// Dossiers verified in the csdlqg part.
    #[arg(long, default_value_t = 2000)]
    csdlqg_dossiers: usize,
    /// Upper bound of each single measurement (`60s`, `2m`): a broker or PostgreSQL row,
    /// a pipeline step (submission and completion), the csdlqg part's load and its
    /// verification. A row cut short reports the count it reached.
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
    // A failing part stops the run; the parts done so far are still reported.
    let mut failed = None;
    // Ctrl-C or SIGTERM stops the part in progress: dropping it kills its child
    // processes (their guards), and the parts done so far are still reported.
    let stop = dossierflow_runtime::shutdown::on_signals();
    for part in &a.only {
        let result = tokio::select! {
            r = run_part(&a, *part, &run_id) => r,
            () = stop.cancelled() => Err(anyhow::anyhow!(
                "interrupted: its processes were stopped; a bench database (dfbench_*) or topics may be left"
            )),
        };
        match result {
            Ok(sections) => report.sections.extend(sections),
            Err(e) => {
                failed = Some(e.context(format!("part {}", format!("{part:?}").to_lowercase())));
                break;
            }
        }
    }
    if report.sections.is_empty() {
        return failed.map_or(Ok(()), Err);
    }
    print!("{}", report.to_table());
    if let Some(dir) = a.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&a.json, report.to_json()?)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", a.json.display()))?;
    eprintln!("bench: report written to {}", a.json.display());
    failed.map_or(Ok(()), Err)
}

/// Runs one part and returns its sections.
async fn run_part(a: &BenchArgs, part: Part, run_id: &str) -> anyhow::Result<Vec<Section>> {
    Ok(match part {
        Part::Broker => {
            let plan = broker::BrokerPlan {
                brokers: brokers(a),
                security: a.kafka.security.clone(),
                prefix: format!("{}bench-{}.", a.kafka.topic_prefix, &run_id[..12]),
                partitions: a.kafka.partitions,
                records: a.broker_records,
                time_limit: a.time_limit,
            };
            vec![broker::run(&plan).await?]
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
            vec![postgres::run(&plan).await?]
        }
        Part::Pipeline => {
            let plan = pipeline::PipelinePlan {
                stack: stack_plan(a, run_id, "c"),
                rates: a.pipeline_rates.clone(),
                dossiers: a.pipeline_dossiers,
                warm_up: a.pipeline_warm_up as usize,
                concurrency: a.pipeline_concurrency.max(1),
                layout: a.pipeline_layout,
                relays: usize::from(a.pipeline_relays),
                time_limit: a.time_limit,
            };
            pipeline::run(&plan).await?
        }
        Part::Csdlqg => {
            let plan = csdlqg::CsdlqgPlan {
                stack: stack_plan(a, run_id, "d"),
                max_in_flight: a.csdlqg_max_in_flight.max(1),
                latency: a.csdlqg_latency,
                latency_p99: a.csdlqg_latency_p99,
                dossiers: a.csdlqg_dossiers,
                concurrency: a.pipeline_concurrency.max(1),
                time_limit: a.time_limit,
            };
            csdlqg::run(&plan).await?
        }
    })
}

/// The broker to use (default `127.0.0.1:9092`).
fn brokers(a: &BenchArgs) -> String {
    a.kafka
        .brokers
        .clone()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "127.0.0.1:9092".into())
}

/// A pipeline stack's settings: a topic prefix of its own (`<prefix>bench-<run>-<part>.`).
fn stack_plan(a: &BenchArgs, run_id: &str, part: &str) -> stack::StackPlan {
    stack::StackPlan {
        brokers: brokers(a),
        security: a.kafka.security.clone(),
        prefix: format!("{}bench-{}-{part}.", a.kafka.topic_prefix, &run_id[..12]),
        partitions: a.kafka.partitions,
        server: a.pg_server.clone(),
        keep_db: a.keep_db,
        population: a.sim_population.max(1),
    }
}
