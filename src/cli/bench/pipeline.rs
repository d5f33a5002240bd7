//! Part c: the full pipeline as separate processes ([`super::stack`]: intake, verify,
//! enrich, route, notify, webhooks), or all in one `run` process (`--pipeline-layout
//! one`); CSDLQG simulator at zero latency, notification
//! providers and agency webhooks simulated), fed by the bench at maximum rate and at
//! fixed rates ([`super::load`]). Per step: throughput, submit→routed and
//! submit→notified percentiles ([`super::outcome`]), CPU and memory per process
//! ([`super::procstat`]), and database work per dossier ([`super::dbwork`]).

use std::time::{Duration, Instant};

use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, population};
use dossierflow_producers::submit::Outgoing;
use uuid::Uuid;

use super::dbwork::{self, Snapshot};
use super::load::{self, Load, Rate};
use super::outcome::{self, percentile};
use super::pipeline_report::{sections, total_row, usage_row};
use super::procstat::{Meter, Usage, clock_tick};
use super::progress::{Progress, counter};
use super::report::{Row, Section};
use super::routed::routed_times;
use super::stack::{SEED, Stack, StackPlan};

/// The stage processes, in the order a dossier crosses them.
pub const STAGES: [&str; 6] = ["intake", "verify", "enrich", "route", "notify", "webhooks"];
/// The warm-up step's label; its database work is not measured.
const WARM_UP_LABEL: &str = "warm-up";
/// Applicants refused by CSDLQG (unknown, wrong birth date), as the chaos test's portal.
const MIX: Mix = Mix {
    unknown: 0.02,
    wrong_birth: 0.03,
};

/// How the pipeline's components are spread over processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// One process per stage ([`STAGES`]), as a fleet is deployed.
    Separate,
    /// `dossierflow run`: intake, every stage and the scheduler in one process, with one
    /// outbox relay, as a small node is deployed.
    One,
}

/// Settings of part c.
#[derive(Debug, Clone)]
pub struct PipelinePlan {
    /// Where the stack runs.
    pub stack: StackPlan,
    /// One step per rate, in order.
    pub rates: Vec<Rate>,
    /// Dossiers per step.
    pub dossiers: usize,
    /// Dossiers sent and completed before the first step, not counted; then the
    /// database is vacuumed and analysed.
    pub warm_up: usize,
    /// Submissions in flight at most.
    pub concurrency: usize,
    /// How the components are spread over processes.
    pub layout: Layout,
    /// How many stage processes (the first of [`STAGES`]) run an outbox relay, when
    /// separate.
    pub relays: usize,
    /// Upper bound of each step (submission and completion).
    pub time_limit: Duration,
}

/// Starts the stack, runs the warm-up and every step, stops the stack; returns the
/// latency section, the per-process section and the database-work section.
pub async fn run(plan: &PipelinePlan) -> anyhow::Result<Vec<Section>> {
    let mut stack = Stack::create(plan.stack.clone(), "pipeline").await?;
    let result = steps(plan, &mut stack).await;
    stack.finish(result.is_ok()).await;
    result
}

async fn steps(plan: &PipelinePlan, stack: &mut Stack) -> anyhow::Result<Vec<Section>> {
    stack.start_csdlqg_sim(Duration::ZERO, None)?;
    stack.start_providers().await?;
    match plan.layout {
        Layout::Separate => {
            for (i, stage) in STAGES.into_iter().enumerate() {
                let relay = ("DOSSIER__OUTBOX__RELAY", (i < plan.relays).to_string());
                stack.start_stage(stage, &[relay])?;
            }
        }
        Layout::One => stack.start_stage("run", &[])?,
    }
    eprintln!("bench: waiting for the simulators and stages to be healthy");
    stack.wait_healthy().await?;
    let catalog = Catalog::embedded()?;
    let pop = population(SEED, plan.stack.population, &catalog);
    let (tick, tick_read) = clock_tick();
    let (mut lat, mut procs) = sections(plan, stack, tick, tick_read);
    let mut db = Section::new("pipeline-db", "Full pipeline: database work per dossier");
    db.notes = dbwork::notes();

    let items = load::dossiers(&pop, &catalog, plan.warm_up, SEED + 1_000, MIX);
    let warm = step(plan, stack, items, None, WARM_UP_LABEL, tick).await?;
    if !warm.complete {
        anyhow::bail!("the pipeline did not finish the warm-up dossiers within --time-limit");
    }
    // A running system's tables have statistics (autovacuum keeps them). Without them
    // the stages' cached plans stay those of empty tables: sequential scans of tables
    // that grow by thousands of rows within the step.
    eprintln!("bench: VACUUM ANALYZE after the warm-up, as autovacuum would have run");
    sqlx::raw_sql("VACUUM ANALYZE").execute(&stack.pool).await?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut behind: Vec<Uuid> = Vec::new();
    for (i, rate) in plan.rates.iter().enumerate() {
        if !behind.is_empty() {
            // The previous step was cut short: let it drain (not measured) first.
            let (done, open) = (counter(), counter());
            let until = Instant::now() + plan.time_limit;
            if !outcome::wait_done(&stack.pool, &behind, until, &done, &open).await? {
                lat.notes.push(format!(
                    "step {} started while the previous one was still draining",
                    rate.label()
                ));
            }
        }
        let items = load::dossiers(&pop, &catalog, plan.dossiers, SEED + 1 + i as u64, MIX);
        let s = step(plan, stack, items, rate.per_second(), &rate.label(), tick).await?;
        behind = if s.complete { Vec::new() } else { s.ids };
        lat.rows.push(s.row);
        db.rows.extend(s.db);
        for u in &s.usage {
            procs
                .rows
                .push(usage_row(&rate.label(), u, s.secs, s.finished));
        }
        procs.rows.push(total_row(
            &rate.label(),
            &s.usage,
            s.secs,
            s.finished,
            cores,
        ));
    }
    Ok(vec![lat, procs, db])
}

/// One step's outcome.
struct Step {
    row: Row,
    db: Option<Row>,
    usage: Vec<Usage>,
    secs: f64,
    /// Dossiers final in the step.
    finished: usize,
    complete: bool,
    ids: Vec<Uuid>,
}

async fn step(
    plan: &PipelinePlan,
    stack: &mut Stack,
    items: Vec<Outgoing>,
    rate: Option<f64>,
    label: &str,
    tick: f64,
) -> anyhow::Result<Step> {
    stack.children.check_alive()?;
    let measure_db = label != WARM_UP_LABEL;
    let db_before = if measure_db {
        Some(Snapshot::take(&stack.pool).await?)
    } else {
        None
    };
    let meter = Meter::start(stack.targets().0, tick);
    let deadline = Instant::now() + plan.time_limit;
    let (sent, finished, open) = (counter(), counter(), counter());
    let progress = Progress::with_gauges(
        format!("pipeline {label}"),
        vec![("accepted", sent.clone()), ("final", finished.clone())],
        vec![("open work", open.clone())],
    );
    let load = Load {
        rate,
        concurrency: plan.concurrency,
        deadline,
    };
    let submitted = load::submit(&stack.api, items, &load, &sent).await?;
    let ids: Vec<Uuid> = submitted.accepted.keys().copied().collect();
    let complete = outcome::wait_done(&stack.pool, &ids, deadline, &finished, &open).await?;
    let (secs, usage) = meter.finish();
    drop(progress);
    stack.children.check_alive()?;
    let topic = format!("{}dossier.routed.v1", plan.stack.prefix);
    let routed = routed_times(
        &plan.stack.brokers,
        &plan.stack.security,
        &topic,
        Duration::from_secs(60),
    )
    .await?;
    let l = outcome::latencies(&stack.pool, &submitted.accepted, &routed).await?;
    let span = ((l.last_finish_ms - submitted.first_ms) / 1000.0).max(1e-9);
    // The target rate is in the label; at `max` nothing lags by definition.
    let mut row = Row::new(label)
        .metric("sent", submitted.accepted.len() as f64)
        .metric("sent/s", submitted.rate())
        .metric("lag ms", submitted.max_lag_ms);
    let not_accepted = submitted.rejected + submitted.failed;
    if not_accepted + submitted.unsent > 0 {
        row = row
            .metric("not accepted", not_accepted as f64)
            .metric("unsent", submitted.unsent as f64);
    }
    row = row
        .metric("final", l.finished as f64)
        .metric("notified", l.notified as f64)
        .metric("secs", if l.finished > 0 { span } else { 0.0 })
        .metric(
            "done/s",
            if l.finished > 0 {
                l.finished as f64 / span
            } else {
                0.0
            },
        );
    for (name, v) in [("routed", &l.to_routed), ("notified", &l.to_notified)] {
        for p in [50.0, 95.0, 99.0] {
            row = row.metric(&format!("{name} p{p}"), percentile(v, p));
        }
    }
    if l.missing_routed > 0 {
        row = row.metric("routed unseen", l.missing_routed as f64);
    }
    row = row.metric("cut short", if complete { 0.0 } else { 1.0 });
    let db = match db_before {
        Some(before) => {
            eprintln!(
                "bench: waiting {}s for PostgreSQL's row counts to settle",
                dbwork::SETTLE.as_secs()
            );
            tokio::time::sleep(dbwork::SETTLE).await;
            let after = Snapshot::take(&stack.pool).await?;
            Some(dbwork::per_dossier(
                label,
                &before,
                &after,
                submitted.accepted.len(),
            ))
        }
        None => None,
    };
    Ok(Step {
        row,
        db,
        usage,
        secs,
        finished: l.finished,
        complete,
        ids,
    })
}
