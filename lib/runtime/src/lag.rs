//! Consumer lag of the stage consumers.
//!
//! - `dossier_consumer_lag_messages{stage,topic}`: from librdkafka's statistics
//!   (`statistics.interval.ms`), the sum of `consumer_lag` over the partitions this
//!   consumer has been assigned (tracked from rebalance callbacks); partition -1 and
//!   negative lags are skipped (librdkafka reports -1 until the group has committed an
//!   offset for the partition, i.e. within `auto.commit.interval.ms` of the first record),
//!   so a topic whose partitions are all unknown reports 0.
//! - `dossier_consumer_lag_seconds{stage}`: now minus the timestamp of the record the
//!   stage's main consumer took last, set when it is taken; set to 0 when the statistics
//!   report no lag at all for that consumer (caught up: no record is waiting).
//!
//! Retry-topic consumers report their message lag (their own topic) but not the
//! seconds gauge: their records are delayed on purpose.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::statistics::Statistics;

use crate::labels::{StageLabel, StageTopic};
use crate::telemetry::Metrics;

/// The context of a stage consumer: knows its stage, its assignment and the metrics.
pub struct LagContext {
    stage: &'static str,
    main: bool,
    metrics: Arc<Metrics>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    assigned: BTreeSet<(String, i32)>,
    reported: BTreeSet<String>,
}

impl LagContext {
    /// The context of `stage`'s main consumer (`main`) or of one of its retry consumers.
    pub fn new(stage: &'static str, main: bool, metrics: Arc<Metrics>) -> Self {
        Self {
            stage,
            main,
            metrics,
            state: Mutex::new(State::default()),
        }
    }

    /// Records that the consumer took a record created at `timestamp_ms` (epoch ms).
    pub fn record_taken(&self, timestamp_ms: Option<i64>, now_ms: i64) {
        if let (true, Some(ts)) = (self.main, timestamp_ms) {
            let lag = (now_ms - ts).max(0) as f64 / 1000.0;
            self.set_seconds(lag);
        }
    }

    fn set_seconds(&self, value: f64) {
        self.metrics
            .consumer_lag_seconds
            .get_or_create(&StageLabel { stage: self.stage })
            .set(value);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a callback panicked mid-update; the data is usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Lag per topic over `assigned` partitions: the sum of the non-negative `consumer_lag`
/// values, 0 for a topic none of whose partitions report one.
pub fn lag_by_topic(
    stats: &Statistics,
    assigned: &BTreeSet<(String, i32)>,
) -> BTreeMap<String, i64> {
    let mut lags = BTreeMap::new();
    for (topic, partition) in assigned {
        let sum = lags.entry(topic.clone()).or_insert(0);
        if *partition < 0 {
            continue;
        }
        let lag = stats
            .topics
            .get(topic)
            .and_then(|t| t.partitions.get(partition))
            .map(|p| p.consumer_lag);
        if let Some(lag) = lag.filter(|l| *l >= 0) {
            *sum += lag;
        }
    }
    lags
}

impl ClientContext for LagContext {
    fn stats(&self, statistics: Statistics) {
        let mut state = self.state();
        let lags = lag_by_topic(&statistics, &state.assigned);
        let family = &self.metrics.consumer_lag_messages;
        for (topic, lag) in &lags {
            let labels = StageTopic {
                stage: self.stage,
                topic: topic.clone(),
            };
            family.get_or_create(&labels).set(*lag);
        }
        for gone in state.reported.iter().filter(|t| !lags.contains_key(*t)) {
            family.remove(&StageTopic {
                stage: self.stage,
                topic: gone.clone(),
            });
        }
        state.reported = lags.keys().cloned().collect();
        if self.main && lags.values().sum::<i64>() == 0 {
            self.set_seconds(0.0);
        }
    }
}

impl ConsumerContext for LagContext {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let mut state = self.state();
        match rebalance {
            Rebalance::Assign(list) => {
                for e in list.elements() {
                    state.assigned.insert((e.topic().to_owned(), e.partition()));
                }
            }
            Rebalance::Revoke(list) => {
                for e in list.elements() {
                    state
                        .assigned
                        .remove(&(e.topic().to_owned(), e.partition()));
                }
            }
            Rebalance::Error(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::statistics::{Partition, Topic};

    use super::*;

    fn stats(topic: &str, lags: &[(i32, i64)]) -> Statistics {
        let partitions = lags
            .iter()
            .map(|&(partition, consumer_lag)| {
                let p = Partition {
                    partition,
                    consumer_lag,
                    ..Partition::default()
                };
                (partition, p)
            })
            .collect();
        let mut s = Statistics::default();
        s.topics.insert(
            topic.to_owned(),
            Topic {
                topic: topic.to_owned(),
                partitions,
                ..Topic::default()
            },
        );
        s
    }

    #[test]
    fn sums_assigned_partitions_and_skips_unknown_lags() {
        let s = stats("a", &[(-1, 50), (0, 3), (1, -1), (2, 4), (3, 100)]);
        let assigned: BTreeSet<_> = [("a".to_owned(), 0), ("a".into(), 1), ("a".into(), 2)]
            .into_iter()
            .chain([("a".to_owned(), -1), ("b".to_owned(), 0)])
            .collect();
        let lags = lag_by_topic(&s, &assigned);
        assert_eq!(
            lags.get("a"),
            Some(&7),
            "partition 3 is not ours; -1 is skipped"
        );
        assert_eq!(lags.get("b"), Some(&0), "assigned but no statistics yet");
    }

    #[test]
    fn stats_set_the_gauges_and_zero_the_seconds_when_caught_up() {
        let metrics = Metrics::new();
        let ctx = LagContext::new("verify", true, metrics.clone());
        ctx.state().assigned.insert(("a".into(), 0));
        ctx.record_taken(Some(1_000), 3_500);
        let seconds = || {
            metrics
                .consumer_lag_seconds
                .get_or_create(&StageLabel { stage: "verify" })
                .get()
        };
        assert_eq!(seconds(), 2.5);
        ctx.stats(stats("a", &[(0, 2)]));
        assert_eq!(seconds(), 2.5, "still behind: keep the last record's age");
        let labels = StageTopic {
            stage: "verify",
            topic: "a".into(),
        };
        assert_eq!(
            metrics.consumer_lag_messages.get_or_create(&labels).get(),
            2
        );
        ctx.stats(stats("a", &[(0, 0)]));
        assert_eq!(seconds(), 0.0);
        assert_eq!(
            metrics.consumer_lag_messages.get_or_create(&labels).get(),
            0
        );
    }
}
