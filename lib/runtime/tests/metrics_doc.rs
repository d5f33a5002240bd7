//! The metric catalogue: `ops/METRICS.md` is up to date, and every metric follows the
//! naming and labelling conventions.

use std::collections::HashSet;

use dossierflow_runtime::catalogue::{MetricKind, markdown};
use dossierflow_runtime::telemetry::Metrics;

/// Label names a metric may carry: small closed sets only.
const ALLOWED_LABELS: &[&str] = &[
    "stage", "outcome", "reason", "level", "channel", "agency", "topic", "encoding", "version",
];

/// Name parts that mean a time: such a metric is in seconds and says so.
const TIME_WORDS: &[&str] = &["duration", "age", "latency", "time", "seconds"];

#[test]
fn metrics_md_is_generated_from_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ops/METRICS.md");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let generated = markdown(Metrics::new().catalogue());
    assert!(
        on_disk == generated,
        "ops/METRICS.md is out of date: run `cargo run -q -- metrics --markdown > ops/METRICS.md` \
         (i.e. `dossierflow metrics --markdown > ops/METRICS.md`) and commit the result"
    );
}

#[test]
fn every_metric_follows_the_conventions() {
    let metrics = Metrics::new();
    let docs = metrics.catalogue();
    assert!(
        docs.len() > 30,
        "the catalogue looks incomplete: {}",
        docs.len()
    );
    let mut seen = HashSet::new();
    for d in docs {
        let n = d.name;
        assert!(seen.insert(n), "{n} is registered twice");
        assert!(
            n.starts_with("dossier_"),
            "{n}: missing the dossier_ prefix"
        );
        assert!(
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{n}: use lowercase snake_case"
        );
        assert_eq!(
            d.kind == MetricKind::Counter,
            n.ends_with("_total"),
            "{n}: counters, and only counters, end in _total"
        );
        let base = n.strip_suffix("_total").unwrap_or(n);
        let timed = base.split('_').any(|w| TIME_WORDS.contains(&w));
        assert_eq!(
            timed,
            base.ends_with("_seconds"),
            "{n}: durations and ages end in _seconds (and only they do)"
        );
        assert_eq!(
            d.unit == "seconds",
            base.ends_with("_seconds"),
            "{n}: the unit is seconds exactly when the name ends in _seconds"
        );
        assert!(!d.unit.is_empty(), "{n}: unit is empty");
        assert!(!d.help.trim().is_empty(), "{n}: help is empty");
        let mut labels = HashSet::new();
        for l in d.labels {
            assert!(
                ALLOWED_LABELS.contains(l),
                "{n}: label {l} is not in the closed set"
            );
            assert!(labels.insert(l), "{n}: label {l} twice");
        }
    }
}

/// Empty families are not exposed; everything exposed is catalogued, with its type.
#[test]
fn the_exposition_lists_only_catalogued_metrics() {
    let metrics = Metrics::new();
    let text = metrics.encode();
    let exposed: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
        .collect();
    let expected: Vec<(String, String)> = metrics
        .catalogue()
        .iter()
        .map(|d| {
            let name = d.name.strip_suffix("_total").unwrap_or(d.name);
            (name.to_owned(), d.kind.as_str().to_owned())
        })
        .collect();
    assert!(
        exposed.len() >= 10,
        "unlabelled metrics are always exposed: {exposed:?}"
    );
    for family in &exposed {
        assert!(
            expected.contains(family),
            "{family:?} is not in the catalogue"
        );
    }
}
