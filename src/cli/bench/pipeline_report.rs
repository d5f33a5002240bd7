//! Part c's report sections: the notes that say how the pipeline ran, and one row per
//! process and step for CPU and memory.

use super::pipeline::{Layout, PipelinePlan, STAGES};
use super::procstat::Usage;
use super::report::{Row, Section};
use super::stack::Stack;

/// One process's row for a step in which `finished` dossiers became final.
pub fn usage_row(step: &str, u: &Usage, secs: f64, finished: usize) -> Row {
    let mut row = Row::new(format!("{step}: {}", u.name))
        .metric("CPU s", u.cpu_s)
        .metric("CPU %", 100.0 * u.cpu_s / secs.max(1e-9))
        .metric("CPU ms/dossier", per_dossier_ms(u.cpu_s, finished));
    if let Some(mb) = u.peak_mb {
        row = row.metric("peak RSS MB", mb);
    }
    if let Some(mb) = u.rss_mb {
        row = row.metric("RSS MB", mb);
    }
    row.metric("step secs", secs)
}

/// The step's row for every measured process together (the simulators and the bench's
/// load generator included, about 0.6 ms a dossier): the CPU one dossier cost, and the
/// rate at which that cost would fill every core of the machine (`cores`), the ceiling
/// the cost sets, whatever the broker's and PostgreSQL's throughput allow.
pub fn total_row(step: &str, usage: &[Usage], secs: f64, finished: usize, cores: usize) -> Row {
    let cpu_s: f64 = usage.iter().map(|u| u.cpu_s).sum();
    let ms = per_dossier_ms(cpu_s, finished);
    Row::new(format!("{step}: all processes"))
        .metric("CPU s", cpu_s)
        .metric("CPU %", 100.0 * cpu_s / secs.max(1e-9))
        .metric("CPU ms/dossier", ms)
        .metric("cores", cores as f64)
        .metric(
            "dossiers/s at this cost",
            if ms > 0.0 {
                cores as f64 * 1000.0 / ms
            } else {
                0.0
            },
        )
        .metric("step secs", secs)
}

fn per_dossier_ms(cpu_s: f64, finished: usize) -> f64 {
    if finished == 0 {
        0.0
    } else {
        cpu_s * 1000.0 / finished as f64
    }
}

pub fn sections(
    plan: &PipelinePlan,
    stack: &Stack,
    tick: f64,
    tick_read: bool,
) -> (Section, Section) {
    let p = &plan.stack;
    let mut lat = Section::new("pipeline", "Full pipeline: throughput and latency (ms)");
    lat.notes.extend([
        format!(
            "processes: {}; csdlqg-sim at 0 ms latency, {} citizens; notify-sim (every \
             channel, delivery receipts); webhook-sim for every agency; brokers {}, {} \
             partitions",
            match plan.layout {
                Layout::Separate => format!(
                    "{} (one each; the first {} run an outbox relay)",
                    STAGES.join(", "),
                    plan.relays
                ),
                Layout::One => "run (intake, every stage and the scheduler in one process, \
                                one outbox relay)"
                    .to_owned(),
            },
            p.population,
            p.brokers,
            p.partitions
        ),
        format!(
            "open loop, at most {} submissions in flight, up to {} dossiers and {:?} per step; \
             submit time = scheduled send time (lag ms: worst send behind schedule); 2 % of \
             applicants unknown to CSDLQG and 3 % with a wrong birth date (refused); {} \
             warm-up dossiers first, not counted, then VACUUM ANALYZE",
            plan.concurrency, plan.dossiers, plan.time_limit, plan.warm_up
        ),
        "routed = Kafka timestamp of dossier.routed.v1; notified = first provider acceptance \
         of the outcome notification (received or refused); secs = first submit → last \
         final; done/s = final ÷ secs; a step is complete when every dossier is final and \
         its notifications and webhook deliveries are finished (cut short = 1: not within \
         the time limit, counts as reached)"
            .into(),
    ]);
    let mut procs = Section::new(
        "pipeline-processes",
        "Full pipeline: CPU and memory per process",
    );
    let tick_note = if tick_read {
        "read with getconf"
    } else {
        "ASSUMED: getconf failed"
    };
    procs.notes.push(format!(
        "CPU s = utime+stime over the step (CLK_TCK {tick}, {tick_note}); CPU % of one core; \
         peak RSS = VmHWM since the step started (reset through clear_refs); RSS = VmRSS at \
         the step's end; CPU ms/dossier = CPU s ÷ dossiers final in the step; all processes \
         = the rows above together (simulators and this bench's load included), and the \
         dossiers/s at which that cost fills every core (the ceiling the cost sets on this \
         machine)"
    ));
    if !stack.targets().1 {
        procs.notes.push(format!(
            "broker left out: no single nisshi process names {} on its command line",
            p.brokers
        ));
    }
    procs.notes.push(
        "postgres = every process named postgres (the whole server, other databases \
         included; backends that exited during the step are not counted)"
            .into(),
    );
    (lat, procs)
}
