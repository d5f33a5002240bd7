//! The metric catalogue: every metric is registered through [`Catalogue::add`], which
//! also records its name as exposed, type, unit, label names and help.
//!
//! The catalogue is what `dossierflow metrics` prints and what `ops/METRICS.md` is
//! generated from; tests check it against the conventions and against a real `/metrics`.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::{Metric, Registry};

use crate::labels::LabelNames;

/// A metric's OpenMetrics type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Monotonic counter (exposed with `_total`).
    Counter,
    /// Value that goes up and down.
    Gauge,
    /// Distribution (`_bucket`, `_sum`, `_count`).
    Histogram,
}

impl MetricKind {
    /// The type as written in `# TYPE` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// The part of the system a metric describes (one table of `ops/METRICS.md` each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The consume → handle → commit loops.
    Stages,
    /// Kafka consumers (lag).
    Consumers,
    /// The transactional outbox relay.
    Outbox,
    /// CSDLQG lookups and their resilience layer.
    Csdlqg,
    /// The lookup audit.
    Audit,
    /// Agencies, webhooks and due dates.
    Agencies,
    /// The intake API.
    Intake,
    /// Status notifications.
    Notifications,
    /// Build information.
    Build,
}

impl Area {
    /// Every area, in documentation order.
    pub const ALL: [Area; 9] = [
        Area::Stages,
        Area::Consumers,
        Area::Outbox,
        Area::Csdlqg,
        Area::Audit,
        Area::Agencies,
        Area::Intake,
        Area::Notifications,
        Area::Build,
    ];

    /// The heading of the area's table.
    pub fn title(self) -> &'static str {
        match self {
            Area::Stages => "Pipeline stages",
            Area::Consumers => "Kafka consumers",
            Area::Outbox => "Outbox",
            Area::Csdlqg => "CSDLQG",
            Area::Audit => "Audit",
            Area::Agencies => "Agencies, webhooks and deadlines",
            Area::Intake => "Intake",
            Area::Notifications => "Notifications",
            Area::Build => "Build",
        }
    }
}

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricDoc {
    /// Name as exposed (counters with `_total`; histograms without `_bucket`).
    pub name: &'static str,
    /// OpenMetrics type.
    pub kind: MetricKind,
    /// Unit of the value (`seconds`, `messages`, `1` for flags and info).
    pub unit: &'static str,
    /// Label names, in encoding order.
    pub labels: &'static [&'static str],
    /// What it measures.
    pub help: &'static str,
    /// The part of the system it describes.
    pub area: Area,
}

/// How a metric is described before registration: area, exposed name, unit, help.
pub type Spec = (Area, &'static str, &'static str, &'static str);

/// A metric that can go into the catalogue: its label names are known from its type.
pub trait Documented: Metric + TypedMetric + Clone {
    /// Label names of its samples.
    const LABELS: &'static [&'static str];
}

impl<N, A> Documented for Counter<N, A>
where
    Counter<N, A>: Metric + Clone,
{
    const LABELS: &'static [&'static str] = &[];
}

impl<N, A> Documented for Gauge<N, A>
where
    Gauge<N, A>: Metric + Clone,
{
    const LABELS: &'static [&'static str] = &[];
}

impl Documented for Histogram {
    const LABELS: &'static [&'static str] = &[];
}

impl<S: LabelNames, M: TypedMetric, C> Documented for Family<S, M, C>
where
    Family<S, M, C>: Metric + Clone,
{
    const LABELS: &'static [&'static str] = S::LABELS;
}

/// The registry and the entries recorded while registering into it.
#[derive(Debug, Default)]
pub struct Catalogue {
    registry: Registry,
    docs: Vec<MetricDoc>,
}

impl Catalogue {
    /// Registers `metric` under `spec` and returns it (the registry keeps a clone).
    ///
    /// # Panics
    /// When the metric type is not a counter, gauge or histogram, or a counter's name
    /// does not end in `_total`: both are programming errors caught by every test.
    pub fn add<M: Documented>(&mut self, spec: Spec, metric: M) -> M {
        let (area, name, unit, help) = spec;
        let kind = match M::TYPE {
            MetricType::Counter => MetricKind::Counter,
            MetricType::Gauge => MetricKind::Gauge,
            MetricType::Histogram => MetricKind::Histogram,
            other => panic!("{name}: unsupported metric type {other:?}"),
        };
        let registered = match kind {
            // The encoder appends `_total` to counters itself.
            MetricKind::Counter => name
                .strip_suffix("_total")
                .unwrap_or_else(|| panic!("counter {name} must end in _total")),
            _ => name,
        };
        self.registry.register(registered, help, metric.clone());
        self.docs.push(MetricDoc {
            name,
            kind,
            unit,
            labels: M::LABELS,
            help,
            area,
        });
        metric
    }

    /// The registry to encode.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Every entry, in registration order.
    pub fn docs(&self) -> &[MetricDoc] {
        &self.docs
    }
}

/// The catalogue as text: one metric a line, name, type, unit, labels and help.
pub fn text(docs: &[MetricDoc]) -> String {
    let width = docs.iter().map(|d| d.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for d in docs {
        out.push_str(&format!(
            "{:width$}  {:9}  {:13}  {:15}  {}\n",
            d.name,
            d.kind.as_str(),
            d.unit,
            if d.labels.is_empty() {
                "-".to_owned()
            } else {
                d.labels.join(",")
            },
            d.help
        ));
    }
    out
}

/// `ops/METRICS.md`: a header, then one table per area.
pub fn markdown(docs: &[MetricDoc]) -> String {
    let mut out = String::from(
        "# Metrics\n\n\
         <!-- Generated by `dossierflow metrics --markdown > ops/METRICS.md`: do not edit. -->\n\n\
         Generated by `dossierflow metrics --markdown > ops/METRICS.md` from the registrations \
         in `lib/runtime/src/`, and checked by a test (`lib/runtime/tests/metrics_doc.rs`): \
         after adding or changing a metric, run that command again.\n\n\
         Every process serves these on its admin port (`/metrics`, OpenMetrics text). \
         Counters end in `_total`, durations and ages in `_seconds`; labels come from small \
         closed sets, never a dossier id or personal data.\n",
    );
    for area in Area::ALL {
        let rows: Vec<&MetricDoc> = docs.iter().filter(|d| d.area == area).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n## {}\n\n| Metric | Type | Labels | Meaning |\n|---|---|---|---|\n",
            area.title()
        ));
        for d in rows {
            let labels: Vec<String> = d.labels.iter().map(|l| format!("`{l}`")).collect();
            let unit = match d.unit {
                "1" => String::new(),
                u => format!(". *Unit: {u}.*"),
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {}{} |\n",
                d.name,
                d.kind.as_str(),
                if labels.is_empty() {
                    "—".to_owned()
                } else {
                    labels.join(", ")
                },
                d.help.replace('|', "\\|"),
                unit
            ));
        }
    }
    out
}
