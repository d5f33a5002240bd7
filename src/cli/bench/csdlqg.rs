//! Part d: the verify stage against a slow CSDLQG. The simulator answers after a
//! log-normal latency (median `--csdlqg-latency`, default 200 ms); the verify stage may
//! keep C = `--csdlqg-max-in-flight` lookups in flight, so it can verify at most about
//! C ÷ median dossiers per second. The bench first lets intake accept and publish every
//! dossier (verify not running yet), then starts the verify process and measures how fast
//! it drains that backlog: from the start of the first lookup (its `lookup_audit` row's
//! time minus its latency) to the last `dossier.verified.v1` written. The lookup cache is
//! off (`DOSSIER__CSDLQG__CACHE_TTL=0s`) so every dossier costs one lookup.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dossierflow_domain::Catalog;
use dossierflow_producers::generate::{Mix, population};

use super::load::{self, Load};
use super::progress::{Progress, counter};
use super::report::{Row, Section};
use super::stack::{SEED, Stack, StackPlan};

/// Settings of part d.
#[derive(Debug, Clone)]
pub struct CsdlqgPlan {
    /// Where the stack runs.
    pub stack: StackPlan,
    /// The verify stage's CSDLQG concurrency limit C.
    pub max_in_flight: usize,
    /// The simulator's median latency.
    pub latency: Duration,
    /// The simulator's 99th percentile (default: 3 × the median).
    pub latency_p99: Option<Duration>,
    /// Dossiers verified.
    pub dossiers: usize,
    /// Submissions in flight at most while loading the backlog.
    pub concurrency: usize,
    /// Upper bound of the load and, separately, of the verification.
    pub time_limit: Duration,
}

/// Runs intake and the simulator, loads the backlog, runs verify, measures.
pub async fn run(plan: &CsdlqgPlan) -> anyhow::Result<Vec<Section>> {
    let mut stack = Stack::create(plan.stack.clone(), "csdlqg").await?;
    let result = measure(plan, &mut stack).await;
    stack.finish(result.is_ok()).await;
    result
}

async fn measure(plan: &CsdlqgPlan, stack: &mut Stack) -> anyhow::Result<Vec<Section>> {
    stack.start_csdlqg_sim(plan.latency, plan.latency_p99)?;
    stack.start_stage("intake", &[])?;
    stack.wait_healthy().await?;
    let catalog = Catalog::embedded()?;
    let pop = population(SEED, plan.stack.population, &catalog);
    // Every applicant known and matching: one successful lookup per dossier.
    let none = Mix {
        unknown: 0.0,
        wrong_birth: 0.0,
    };
    let items = load::dossiers(&pop, &catalog, plan.dossiers, SEED + 2_000, none);
    let sent = counter();
    let progress = Progress::start(
        "csdlqg: loading the backlog".into(),
        vec![("accepted", sent.clone())],
    );
    let deadline = Instant::now() + plan.time_limit;
    let load = Load {
        rate: None,
        concurrency: plan.concurrency,
        deadline,
    };
    let submitted = load::submit(&stack.api, items, &load, &sent).await?;
    let n = submitted.accepted.len() as i64;
    // Published: the intake's outbox is empty.
    loop {
        let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox")
            .fetch_one(&stack.pool)
            .await?;
        if left == 0 {
            break;
        }
        if Instant::now() >= deadline {
            anyhow::bail!("intake did not publish the {n} dossiers within --time-limit");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(progress);

    let c = plan.max_in_flight.max(1);
    stack.start_stage(
        "verify",
        &[
            ("DOSSIER__CSDLQG__MAX_IN_FLIGHT", c.to_string()),
            ("DOSSIER__CSDLQG__CACHE_TTL", "0s".into()),
        ],
    )?;
    stack.wait_healthy().await?;
    let verified = counter();
    let progress = Progress::start(
        format!("csdlqg: verify, C={c}"),
        vec![("verified", verified.clone())],
    );
    let deadline = Instant::now() + plan.time_limit;
    let complete = loop {
        let (done,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM dossier WHERE verification IS NOT NULL")
                .fetch_one(&stack.pool)
                .await?;
        verified.store(done as u64, Ordering::Relaxed);
        if done >= n {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
        stack.children.check_alive()?;
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    drop(progress);

    let (first_ms, mean_ms, p50_ms, lookups): (Option<f64>, Option<f64>, Option<f64>, i64) =
        sqlx::query_as(
            "SELECT (EXTRACT(EPOCH FROM min(at - latency_ms * interval '1 millisecond')) * 1000)::float8,
                    avg(latency_ms)::float8,
                    (percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms))::float8,
                    count(*)
               FROM lookup_audit WHERE channel = 'pipeline'",
        )
        .fetch_one(&stack.pool)
        .await?;
    let (last_ms, done): (Option<f64>, i64) = sqlx::query_as(
        "SELECT (EXTRACT(EPOCH FROM max(recorded_at)) * 1000)::float8, count(DISTINCT dossier_id)
           FROM dossier_event WHERE type = 'dossier.verified.v1'",
    )
    .fetch_one(&stack.pool)
    .await?;
    // The steady part: from the first lookup's start to the last one's. Throughout it
    // some dossier still waited for a slot, so all C slots could be busy; after it the
    // last lookups drain and fewer than C run (a tail no concurrency can fill).
    let (steady_secs, steady_done): (Option<f64>, i64) = sqlx::query_as(
        "WITH l AS (SELECT at - latency_ms * interval '1 millisecond' AS started, at AS ended
                      FROM lookup_audit WHERE channel = 'pipeline'),
              w AS (SELECT min(started) AS a, max(started) AS b FROM l)
         SELECT EXTRACT(EPOCH FROM (w.b - w.a))::float8,
                count(*) FILTER (WHERE l.ended <= w.b)
           FROM l CROSS JOIN w GROUP BY w.a, w.b",
    )
    .fetch_optional(&stack.pool)
    .await?
    .unwrap_or((None, 0));
    let steady = match steady_secs {
        Some(s) if s > 0.0 => steady_done as f64 / s,
        _ => 0.0,
    };
    let secs = match (first_ms, last_ms) {
        (Some(a), Some(b)) if b > a => (b - a) / 1000.0,
        _ => 0.0,
    };
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let median_s = plan.latency.as_secs_f64().max(1e-6);
    let ideal = c as f64 / median_s;
    let mean_s = mean_ms.unwrap_or(0.0) / 1000.0;
    let mut row = Row::new(format!("C={c}, median {} ms", plan.latency.as_millis()))
        .metric("C", c as f64)
        .metric("median ms", plan.latency.as_millis() as f64)
        .metric("dossiers", n as f64)
        .metric("verified", done as f64)
        .metric("lookups", lookups as f64)
        .metric("secs", secs)
        .metric("verified/s", rate)
        .metric("ideal/s", ideal)
        .metric("ratio", rate / ideal)
        .metric("lookup p50 ms", p50_ms.unwrap_or(0.0))
        .metric("lookup mean ms", mean_ms.unwrap_or(0.0));
    if mean_s > 0.0 {
        row = row.metric("ratio to C÷mean", rate / (c as f64 / mean_s));
    }
    row = row
        .metric("steady lookups/s", steady)
        .metric("steady ratio", steady / ideal);
    if mean_s > 0.0 {
        row = row.metric("steady ratio to C÷mean", steady / (c as f64 / mean_s));
    }
    let row = row.metric("cut short", if complete { 0.0 } else { 1.0 });

    let mut section = Section::new(
        "csdlqg",
        "CSDLQG latency: verify throughput at concurrency C",
    );
    let p99 = plan.latency_p99.unwrap_or(plan.latency * 3);
    section.notes.extend([
        format!(
            "csdlqg-sim: log-normal latency, median {:?}, p99 {p99:?}; verify process with \
             DOSSIER__CSDLQG__MAX_IN_FLIGHT={c} and the lookup cache off; {n} dossiers of \
             known applicants published before verify starts; brokers {}, {} partitions",
            plan.latency, plan.stack.brokers, plan.stack.partitions
        ),
        "secs = start of the first lookup (lookup_audit.at − latency) → last \
         dossier.verified.v1 written; ideal/s = C ÷ median latency; the log-normal's mean \
         is above its median, so C ÷ mean (ratio to C÷mean) is the tighter bound"
            .into(),
        "steady = lookups that ended between the first lookup's start and the last one's, \
         ÷ that time: while some dossier still waited for a slot, without the drain at the \
         end, when fewer than C lookups are left to run"
            .into(),
    ]);
    section.rows.push(row);
    Ok(vec![section])
}
