//! Starting pipeline components: the intake API, the stages and the outbox relay.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use dossierflow_consumers::{
    Facts,
    enrich::Enrich,
    notify,
    route::Route,
    verify::{Verify, VerifyConfig},
};
use dossierflow_csdlqg::PopulationRegistry;
use dossierflow_producers::intake;
use dossierflow_runtime::commit_group::CommitGroups;
use dossierflow_runtime::stage::{self, Stage, StageContext};
use dossierflow_runtime::telemetry::{self, Health, Metrics};
use dossierflow_runtime::{db, kafka, outbox, shutdown};
use dossierflow_schemas::{SubmittedV1, topics};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use dossierflow_domain::Catalog;
use dossierflow_runtime::config::KafkaArgs;

use super::CommonArgs;
pub use super::components::Components;
pub use super::csdlqg::{CsdlqgArgs, lookups_from};
pub use super::deadlines::DeadlineArgs;
pub use super::intake::IntakeArgs;

/// Options of a single-component process.
#[derive(Debug, Clone, Args)]
pub struct ProcessArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub csdlqg: CsdlqgArgs,
    #[command(flatten)]
    pub intake: IntakeArgs,
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
    #[command(flatten)]
    pub retention: dossierflow_runtime::config::RetentionArgs,
    #[command(flatten)]
    pub webhooks: super::agency_webhooks::WebhookArgs,
    #[command(flatten)]
    pub notify: super::notify::NotifyArgs,
}

/// A started process: its tasks, and the intake address when it serves one.
pub struct Running {
    pub tasks: JoinSet<anyhow::Result<()>>,
    pub intake_addr: Option<SocketAddr>,
    pub pool: PgPool,
}

/// Runs the chosen components against a configured broker until SIGTERM.
pub async fn run_process(args: ProcessArgs, comps: Components) -> anyhow::Result<()> {
    telemetry::init_logging(args.common.telemetry.log_format);
    let Some(brokers) = args.common.kafka.brokers.clone() else {
        anyhow::bail!(
            "--brokers (or DOSSIER__KAFKA__BROKERS) is required; only `run` can start an embedded cluster"
        );
    };
    let shutdown = shutdown::on_signals();
    if comps.verify && args.csdlqg.csdlqg_url.is_none() {
        anyhow::bail!("--csdlqg-url (or DOSSIER__CSDLQG__URL) is required for the verify stage");
    }
    let running = start(&args, comps, &brokers, shutdown.clone(), true).await?;
    wait(running, shutdown).await
}

/// Every topic of the pipeline: the fixed ones, the verify stage's retry topics and one
/// per catalogue agency.
pub fn topic_names(kafka: &KafkaArgs, retry_levels: usize, catalog: &Catalog) -> Vec<String> {
    let retries = (1..=retry_levels).map(|level| {
        stage::retry_topic(
            kafka,
            <SubmittedV1 as dossierflow_schemas::Event>::TYPE,
            Verify::NAME,
            level,
        )
    });
    let fixed = topics::ALL.iter().map(|t| kafka.topic(t)).chain(retries);
    let agencies = catalog
        .agencies()
        .iter()
        .map(|a| kafka.topic(&topics::agency(a.id.as_str())));
    fixed.chain(agencies).collect()
}

/// Waits for shutdown, then for every task, with a deadline.
pub async fn wait(mut running: Running, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut failure = None;
    tokio::select! {
        biased;
        _ = shutdown.cancelled() => {}
        Some(res) = running.tasks.join_next() => {
            // A task that ends before shutdown is a failure: stop everything.
            if !shutdown.is_cancelled() { failure = Some(match res { Ok(Ok(())) => anyhow::anyhow!("a component stopped unexpectedly"), Ok(Err(e)) => e, Err(e) => e.into() }); }
            shutdown.cancel();
        }
    }
    let drain = async { while running.tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(8), drain)
        .await
        .is_err()
    {
        tracing::warn!("components did not stop within 8 s; aborting them");
        running.tasks.abort_all();
    }
    running.pool.close().await;
    match failure {
        Some(e) => Err(e),
        None => {
            tracing::info!("stopped cleanly");
            Ok(())
        }
    }
}

/// Starts the admin server, database, topics (unless `create_topics` is false: the
/// embedded cluster creates its own), relay and the chosen components.
pub async fn start(
    args: &ProcessArgs,
    comps: Components,
    brokers: &str,
    shutdown: CancellationToken,
    create_topics: bool,
) -> anyhow::Result<Running> {
    let c = &args.common;
    c.kafka
        .security
        .validate()
        .map_err(|e| anyhow::anyhow!("Kafka security settings: {e}"))?;
    let metrics = Metrics::new();
    let health = Health::default();
    telemetry::serve_admin(
        dossierflow_runtime::admin::AdminAccess::from_args(&c.telemetry)?,
        metrics.clone(),
        health.clone(),
        shutdown.clone(),
    )
    .await?;
    let pool = db::connect_and_migrate(&c.db).await?;
    let facts = Facts::load(c.catalog_dir.as_deref())?;
    if create_topics {
        let names = topic_names(&c.kafka, c.retry.retry_delays.0.len(), &facts.catalog);
        kafka::ensure_topics(brokers, &c.kafka.security, &names, c.kafka.partitions).await?;
    }
    let producer = kafka::producer(brokers, &c.kafka.security)?;
    let mut tasks = JoinSet::new();
    if !c.outbox.outbox_relay {
        tracing::info!("outbox relay off in this process: another process publishes its events");
    } else {
        let (pool, producer, metrics, outbox_args, token) = (
            pool.clone(),
            producer.clone(),
            metrics.clone(),
            c.outbox.clone(),
            shutdown.clone(),
        );
        // Sealed outbox rows (events with personal data) are opened with the data keys.
        let keys = Some(c.crypto.keyring()?);
        tasks.spawn(async move {
            outbox::relay(pool, producer, metrics, outbox_args, keys, token).await;
            Ok(())
        });
    }
    let ctx = StageContext {
        retry_delays: c.retry.retry_delays.0.clone(),
        dead_letter_limit: c.retry.dead_letter_limit(),
        concurrency: c.retry.stage_concurrency.max(1),
        guard: Arc::new(stage::DeadLetterGuard::new(c.retry.dead_letter_limit())),
        brokers: brokers.to_owned(),
        kafka: c.kafka.clone(),
        producer,
        metrics: metrics.clone(),
        shutdown: shutdown.clone(),
    };
    // Each stage groups the commits of the records it handles at the same time.
    let (group_pool, group_metrics, group_max) =
        (pool.clone(), metrics.clone(), c.retry.stage_commit_group);
    let commits = move |stage: &'static str| {
        CommitGroups::for_stage(group_pool.clone(), group_max, &group_metrics, stage)
    };
    // One resilience layer (one breaker, one rate limit, one audit) for the verify stage
    // and the portal's synchronous lookups of this process.
    let lookups = match &args.csdlqg.csdlqg_url {
        Some(_) if comps.verify || comps.intake => Some(lookups_from(
            &args.csdlqg,
            pool.clone(),
            metrics.clone(),
            shutdown.clone(),
        )?),
        _ => None,
    };
    if comps.verify {
        let lookups = lookups
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the verify stage needs --csdlqg-url"))?;
        let config = VerifyConfig {
            officer: args.csdlqg.csdlqg_officer.clone(),
            agency: args.csdlqg.csdlqg_agency.clone(),
            policy: args.csdlqg.policy(),
            concurrency: args.csdlqg.resilience.csdlqg_max_in_flight.max(1),
        };
        let verify = Verify {
            keys: c.crypto.keyring()?,
            commits: commits("verify"),
            gate: lookups.gate(),
            registry: lookups.registry.clone(),
            config,
            facts: facts.clone(),
            kafka: c.kafka.clone(),
        };
        spawn_stage(&mut tasks, verify, &ctx);
    }
    if comps.enrich {
        spawn_stage(
            &mut tasks,
            Enrich {
                keys: c.crypto.keyring()?,
                commits: commits("enrich"),
                facts: facts.clone(),
                kafka: c.kafka.clone(),
            },
            &ctx,
        );
    }
    if comps.route {
        spawn_stage(
            &mut tasks,
            Route {
                commits: commits("route"),
                facts: facts.clone(),
                kafka: c.kafka.clone(),
            },
            &ctx,
        );
    }
    if comps.notify {
        let stage = super::notify::start(
            &args.notify,
            &c.kafka,
            &mut tasks,
            commits("notify"),
            &metrics,
            &shutdown,
        )?;
        spawn_stage(&mut tasks, stage, &ctx);
    }
    let mut intake_addr = None;
    if comps.intake {
        let registry = lookups.map(|l| l.registry as Arc<dyn PopulationRegistry>);
        let state = super::intake::state(
            &args.intake,
            commits("intake"),
            &facts,
            c.kafka.clone(),
            metrics,
            registry,
            c.crypto.keyring()?,
        )?;
        let receipts = notify::receipts::router(notify::receipts::Receipts {
            pool: pool.clone(),
            auth: args.notify.receipt_auth()?,
            metrics: ctx.metrics.clone(),
        });
        let (addr, server) =
            intake::serve(args.intake.intake_addr, state, receipts, shutdown.clone()).await?;
        intake_addr = Some(addr);
        tasks.spawn(async move { server.await.map_err(anyhow::Error::from) });
    }
    // Webhooks: the enqueue stage, and one delivery worker per agency with a webhook.
    if comps.webhooks {
        let stage = super::agency_webhooks::start(
            &args.webhooks,
            &mut tasks,
            commits("webhooks"),
            c.crypto.keyring()?,
            ctx.metrics.clone(),
            shutdown.clone(),
        );
        spawn_stage(&mut tasks, stage, &ctx);
    }
    if comps.deadlines {
        let scheduler = dossierflow_consumers::deadlines::Scheduler {
            pool: pool.clone(),
            kafka: c.kafka.clone(),
            metrics: ctx.metrics.clone(),
            tick: args.deadlines.deadlines_tick,
        };
        tasks.spawn(scheduler.run(shutdown.clone()));
        // The scheduler also deletes CSDLQG-derived data past its retention period.
        let retention = dossierflow_consumers::personal_data::RetentionJob {
            pool: pool.clone(),
            policy: super::retention::retention_policy(&args.retention),
            tick: args.retention.retention_tick,
            metrics: Some(ctx.metrics.clone()),
        };
        tasks.spawn(retention.run(shutdown.clone()));
    }
    health.set_ready();
    Ok(Running {
        tasks,
        intake_addr,
        pool,
    })
}

fn spawn_stage<S: Stage>(tasks: &mut JoinSet<anyhow::Result<()>>, s: S, ctx: &StageContext) {
    let ctx = ctx.clone();
    tasks.spawn(stage::run(Arc::new(s), ctx));
}
