//! The chaos run's outcome: the checks against the database, the broker and every
//! simulator, and the summary tables (faults injected, process restarts, timings).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::faults::Tally;
use crate::load::Submitted;
use crate::providers::Providers;
use crate::verdict::{self, Verdict};

const CHANNELS: [&str; 5] = ["national_portal", "portal_webhook", "sms", "email", "zalo"];

/// What happened during the run.
pub struct Outcome {
    pub n: usize,
    pub submitted: Submitted,
    pub chaos_took: Duration,
    pub drained: Duration,
    pub tally: BTreeMap<String, Tally>,
    pub restarts: BTreeMap<&'static str, (u32, u32)>,
}

/// Every check of the run, as table rows.
pub async fn judge(
    o: &Outcome,
    pool: &PgPool,
    brokers: &str,
    hook_url: &str,
    providers: &Providers,
) -> Verdict {
    let mut v = Verdict::default();
    let accepted = &o.submitted.accepted;
    v.0.push((
        "dossiers submitted and accepted".into(),
        format!("{} of {}", accepted.len(), o.n),
        accepted.len() == o.n,
    ));
    let rows: Vec<(Uuid, String, Option<String>)> =
        sqlx::query_as("SELECT id, stage, agency_id FROM dossier")
            .fetch_all(pool)
            .await
            .expect("dossiers");
    let stages: HashMap<Uuid, String> = rows.iter().map(|r| (r.0, r.1.clone())).collect();
    let final_ = rows
        .iter()
        .filter(|r| ["routed", "refused", "triage"].contains(&r.1.as_str()))
        .count();
    let known = accepted.keys().filter(|id| stages.contains_key(id)).count();
    v.0.push((
        "dossiers in a final state (= submitted)".into(),
        format!(
            "{final_} final of {} stored, {known} of the accepted",
            rows.len()
        ),
        final_ == o.n && rows.len() == o.n && known == o.n,
    ));
    let mut by_stage: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *by_stage.entry(r.1.as_str()).or_default() += 1;
    }
    v.0.push(("final states".into(), format!("{by_stage:?}"), true));

    let dead = verdict::topic_records(brokers, "chaos.dossier.dlq.v1");
    v.0.push(("dead-letter records".into(), dead.to_string(), dead == 0));

    let routed: HashMap<Uuid, String> = rows
        .iter()
        .filter(|r| r.1 == "routed")
        .filter_map(|r| Some((r.0, r.2.clone()?)))
        .collect();
    let hooks = verdict::hooks(hook_url).await;
    verdict::check_hooks(&mut v, &routed, &hooks);

    let expected = verdict::expected_notifications(&stages, accepted);
    let counts: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT channel, state, count(*) FROM notification GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .expect("notification counts");
    for channel in CHANNELS {
        let want = expected.get(channel).copied().unwrap_or(0);
        let of = |state: Option<&str>| -> i64 {
            counts
                .iter()
                .filter(|c| c.0 == channel && state.is_none_or(|s| c.1 == s))
                .map(|c| c.2)
                .sum()
        };
        let (all, delivered) = (of(None), of(Some("delivered")));
        let ids: HashSet<Uuid> =
            sqlx::query_scalar("SELECT id FROM notification WHERE channel = $1")
                .bind(channel)
                .fetch_all(pool)
                .await
                .expect("ids")
                .into_iter()
                .collect();
        let keys = providers.keys(channel).await;
        let stats = providers.stats(channel).await;
        let accepted_n = stats["accepted"].as_u64().unwrap_or(0) as usize;
        v.0.push((
            format!("{channel}: notified exactly once per status change"),
            format!(
                "expected {want}, queued {all}, delivered {delivered}, provider accepted {accepted_n}, redeliveries absorbed {}",
                stats["duplicates"]
            ),
            all == want && delivered == want && keys == ids && accepted_n == ids.len(),
        ));
    }
    v
}

/// The summary tables, as Markdown.
pub fn render(o: &Outcome) -> String {
    let mut out =
        String::from("\n| fault | injected | total down (s) | worst time to healthy (s) |\n");
    out.push_str("|---|---:|---:|---:|\n");
    for (fault, t) in &o.tally {
        out.push_str(&format!(
            "| {fault} | {} | {:.1} | {:.1} |\n",
            t.count,
            t.down.as_secs_f64(),
            t.worst_recovery.as_secs_f64()
        ));
    }
    out.push_str("\n| stage process | SIGKILLed by the test | exited by itself, restarted |\n");
    out.push_str("|---|---:|---:|\n");
    for (stage, (killed, exited)) in &o.restarts {
        out.push_str(&format!("| {stage} | {killed} | {exited} |\n"));
    }
    out.push_str(&format!(
        "\n{} dossiers; submissions took {:.0} s with {} retried attempts; chaos phase {:.0} s; drained {:.0} s after the last fault\n",
        o.n,
        o.submitted.took.as_secs_f64(),
        o.submitted.retries,
        o.chaos_took.as_secs_f64(),
        o.drained.as_secs_f64()
    ));
    out
}
