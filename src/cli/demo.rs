//! `dossierflow run`: the whole pipeline in one process, with a zero-install demo mode.
//!
//! Without `--brokers` it starts librdkafka's in-process mock cluster and says so; without
//! `--csdlqg-url` it serves the CSDLQG simulator on a loopback port, and without any
//! notification provider it serves the provider simulators (SMS, e-mail over SMTP, Zalo,
//! both portals) in-process and sends every channel there. With `--demo N` it
//! submits N generated dossiers through its own intake API and prints a live summary
//! until every dossier reaches a final state.

use std::time::{Duration, Instant};

use clap::Args;
use dossierflow_producers::generate::{Mix, generate};
use dossierflow_producers::submit::{LOCAL_PORTAL_TOKEN, Outgoing, Sent, submit_all_as};
use dossierflow_runtime::tokens::Secret;
use dossierflow_runtime::{shutdown, telemetry};
use rdkafka::mocking::MockCluster;
use reqwest::Url;
use sqlx::PgPool;

use super::pipeline::{self, Components, ProcessArgs};
use super::sim;

/// Options of `run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    process: ProcessArgs,
    /// Submit this many generated dossiers, print a live summary, and exit when all are done.
    #[arg(long)]
    demo: Option<usize>,
    /// Seed of the simulator population and of generated dossiers.
    #[arg(long, default_value_t = 2023)]
    seed: u64,
    /// Size of the in-process simulator's population.
    #[arg(long, default_value_t = 10_000)]
    population: usize,
    /// How long `--demo` waits for every dossier to finish before giving up.
    #[arg(long, default_value = "10m", value_parser = dossierflow_runtime::config::parse_duration)]
    demo_timeout: Duration,
    /// The portal token `--demo` submits with (one of `DOSSIER__INTAKE__PORTAL_TOKENS`);
    /// the default is the local development token the default configuration admits.
    #[arg(long = "demo-portal-token", env = "DOSSIER__SUBMIT__PORTAL_TOKEN", default_value = LOCAL_PORTAL_TOKEN, hide_env_values = true)]
    portal_token: Secret,
}

pub async fn run(mut args: RunArgs) -> anyhow::Result<()> {
    let format = args.process.common.telemetry.log_format;
    match args.demo {
        // Keep the live summary readable: warnings only, unless RUST_LOG says otherwise.
        Some(_) => telemetry::init_logging_with(format, "warn"),
        None => telemetry::init_logging(format),
    }
    let shutdown = shutdown::on_signals();
    let kafka = args.process.common.kafka.clone();
    let catalog = dossierflow_consumers::load_catalog(args.process.common.catalog_dir.as_deref())?;
    // Kept alive for the whole run: dropping it stops the embedded cluster.
    let mut _embedded = None;
    let brokers = match kafka.brokers.clone() {
        Some(b) => b,
        None => {
            if !kafka.security.is_plaintext() {
                anyhow::bail!(
                    "DOSSIER__KAFKA__SECURITY_PROTOCOL is set but no --brokers: the embedded cluster speaks plaintext only"
                );
            }
            let cluster = MockCluster::new(1)
                .map_err(|e| anyhow::anyhow!("cannot start the embedded Kafka cluster: {e}"))?;
            for name in &pipeline::topic_names(
                &kafka,
                args.process.common.retry.retry_delays.0.len(),
                &catalog,
            ) {
                cluster
                    .create_topic(name, kafka.partitions, 1)
                    .map_err(|e| anyhow::anyhow!("embedded cluster: cannot create {name}: {e}"))?;
            }
            let b = cluster.bootstrap_servers();
            tracing::warn!(brokers = %b, "no --brokers given: using an EMBEDDED in-process Kafka cluster (demo only; nothing survives the process)");
            _embedded = Some(cluster);
            b
        }
    };
    let embedded = _embedded.is_some();
    args.process.common.kafka.brokers = Some(brokers.clone());
    if args.process.csdlqg.csdlqg_url.is_none() {
        let addr =
            sim::spawn_in_process(args.seed, args.population, &catalog, shutdown.clone()).await?;
        tracing::info!(%addr, "no --csdlqg-url given: serving the CSDLQG simulator in-process");
        args.process.csdlqg.csdlqg_url = Some(Url::parse(&format!("http://{addr}/"))?);
    }
    // The in-process providers send receipts to the intake API, so its port must be known
    // before it starts: for `:0` a free port is chosen here, outside the range client
    // sockets take theirs from (`ports`), so that none can take it before intake binds.
    if args.process.intake.intake_addr.port() == 0 {
        let port = dossierflow_runtime::ports::free_port()?;
        args.process.intake.intake_addr.set_port(port);
    }
    let intake = args.process.intake.intake_addr;
    if let Some(addr) =
        super::notify_sim::spawn_for_run(&mut args.process.notify, intake, shutdown.clone()).await?
    {
        tracing::info!(%addr, "no notification provider given: serving the provider simulators in-process");
    }
    let running = pipeline::start(
        &args.process,
        Components::ALL,
        &brokers,
        shutdown.clone(),
        !embedded,
    )
    .await?;
    if let (Some(n), Some(addr)) = (args.demo, running.intake_addr) {
        let pool = running.pool.clone();
        let token = shutdown.clone();
        let timeout = args.demo_timeout;
        let plan = Demo {
            n,
            seed: args.seed,
            size: args.population,
            addr,
            timeout,
            embedded,
            catalog,
            token: args.portal_token.clone(),
        };
        tokio::spawn(async move {
            match demo(plan, &pool).await {
                Ok(()) => {}
                Err(e) => eprintln!("demo failed: {e:#}"),
            }
            token.cancel();
        });
    }
    pipeline::wait(running, shutdown).await
}

/// What `--demo` does.
struct Demo {
    n: usize,
    seed: u64,
    size: usize,
    addr: std::net::SocketAddr,
    timeout: Duration,
    embedded: bool,
    catalog: dossierflow_domain::Catalog,
    token: Secret,
}

async fn demo(plan: Demo, pool: &PgPool) -> anyhow::Result<()> {
    let Demo {
        n,
        seed,
        size,
        addr,
        timeout,
        embedded,
        catalog,
        token,
    } = plan;
    let population = dossierflow_producers::generate::population(seed, size, &catalog);
    let items: Vec<Outgoing> = generate(
        &population,
        &catalog,
        n,
        seed ^ chrono::Utc::now().timestamp() as u64,
        Mix::default(),
    )
    .into_iter()
    .map(|g| Outgoing {
        body: g.body,
        idempotency_key: g.idempotency_key,
    })
    .collect();
    let started = Instant::now();
    let since = chrono::Utc::now();
    let api = Url::parse(&format!("http://{addr}/"))?;
    let submitter =
        tokio::spawn(async move { submit_all_as(&api, token.expose(), items, 32, false).await });
    let mut last = 0i64;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let c = counts(pool, since).await?;
        let rate = c.finished - last;
        last = c.finished;
        println!(
            "[{:>4.0}s] submitted {:>6} | verified {:>6} | enriched {:>6} | routed {:>6} | refused {:>5} | triage {:>4} | messages delivered {:>6} | {:>4} done/s",
            started.elapsed().as_secs_f64(),
            c.submitted,
            c.verified,
            c.enriched,
            c.routed,
            c.refused,
            c.triage,
            c.delivered,
            rate
        );
        if submitter.is_finished()
            && c.submitted as usize >= n
            && c.finished >= c.submitted
            && c.pending_notifications == 0
            && c.open_notifications == 0
        {
            break;
        }
        if started.elapsed() > timeout {
            anyhow::bail!("not every dossier finished within {timeout:?}");
        }
    }
    let sent = submitter.await??;
    let rejected = sent
        .iter()
        .filter(|s| !matches!(s, Sent::Accepted(_)))
        .count();
    let c = counts(pool, since).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "\nDone: {} dossiers in {secs:.1} s ({:.0}/s end to end): {} routed to their agency, {} refused after CSDLQG verification, {} in manual triage; {} notifications, {} delivered; {} rejected at intake.",
        c.submitted,
        c.submitted as f64 / secs,
        c.routed,
        c.refused,
        c.triage,
        c.notified,
        c.delivered,
        rejected
    );
    if embedded {
        println!(
            "Broker: EMBEDDED in-process cluster (demo only). Use --brokers 127.0.0.1:9092 after `ops/stack up` for a real one."
        );
    }
    Ok(())
}

struct Counts {
    submitted: i64,
    verified: i64,
    enriched: i64,
    routed: i64,
    refused: i64,
    triage: i64,
    finished: i64,
    notified: i64,
    delivered: i64,
    open_notifications: i64,
    pending_notifications: i64,
}

async fn counts(pool: &PgPool, since: chrono::DateTime<chrono::Utc>) -> anyhow::Result<Counts> {
    let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*),
                count(*) FILTER (WHERE verification IS NOT NULL),
                count(*) FILTER (WHERE stage IN ('enriched', 'routed', 'triage')),
                count(*) FILTER (WHERE stage = 'routed'),
                count(*) FILTER (WHERE stage = 'refused'),
                count(*) FILTER (WHERE stage = 'triage'),
                (SELECT count(*) FROM notification n JOIN dossier d2 ON d2.id = n.dossier_id WHERE d2.submitted_at >= $1),
                (SELECT count(*) FROM notification n JOIN dossier d2 ON d2.id = n.dossier_id
                  WHERE d2.submitted_at >= $1 AND n.state = 'delivered'),
                (SELECT count(*) FROM notification n JOIN dossier d2 ON d2.id = n.dossier_id
                  WHERE d2.submitted_at >= $1 AND n.state IN ('queued', 'sending', 'sent')),
                (SELECT count(*) FROM dossier_event e JOIN dossier d3 ON d3.id = e.dossier_id
                  WHERE d3.submitted_at >= $1 AND e.type = 'dossier.status.v1'
                    AND NOT EXISTS (SELECT 1 FROM processed_event p WHERE p.consumer = 'notify' AND p.event_id = e.event_id))
         FROM dossier WHERE submitted_at >= $1",
    )
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok(Counts {
        submitted: row.0,
        verified: row.1,
        enriched: row.2,
        routed: row.3,
        refused: row.4,
        triage: row.5,
        finished: row.3 + row.4 + row.5,
        notified: row.6,
        delivered: row.7,
        open_notifications: row.8,
        pending_notifications: row.9,
    })
}
