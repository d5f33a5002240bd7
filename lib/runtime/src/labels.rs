//! Metric label sets: small closed sets only (stage, outcome, reason, channel, agency,
//! topic), never a dossier id or personal data.
//!
//! Each set declares its label names in [`LabelNames::LABELS`], next to its fields, so the
//! metric catalogue can list them (an empty family cannot tell); a unit test checks the
//! declaration against the set's real encoding.

use prometheus_client::encoding::EncodeLabelSet;

/// The label names a label set encodes, in encoding order.
pub trait LabelNames {
    /// Label names, as exposed.
    const LABELS: &'static [&'static str];
}

/// Implements [`LabelNames`] for a label set.
macro_rules! label_names {
    ($($ty:ty => [$($name:literal),*];)*) => {
        $(impl LabelNames for $ty {
            const LABELS: &'static [&'static str] = &[$($name),*];
        })*
    };
}
pub(crate) use label_names;

label_names! {
    StageOutcome => ["stage", "outcome"];
    StageLabel => ["stage"];
    StageTopic => ["stage", "topic"];
    DeadLetterLabels => ["stage", "reason"];
    RetryLabels => ["stage", "level"];
    OutcomeLabel => ["outcome"];
    ChannelLabel => ["channel"];
    AgencyLabel => ["agency"];
    AgencyOutcome => ["agency", "outcome"];
    BuildLabels => ["version"];
}

/// Labels of per-stage message counters.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageOutcome {
    /// Stage name.
    pub stage: &'static str,
    /// `processed`, `duplicate`, `dead_lettered` or `retried`.
    pub outcome: &'static str,
}

/// Label of per-stage histograms.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    /// Stage name.
    pub stage: &'static str,
}

/// Labels of per-consumer Kafka gauges.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageTopic {
    /// Stage name.
    pub stage: &'static str,
    /// Full topic name (with the deployment's prefix).
    pub topic: String,
}

/// Labels of dead-letter counters.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeadLetterLabels {
    /// Stage name.
    pub stage: &'static str,
    /// Error class (`undecodable`, `wrong_type`, `invalid`, …).
    pub reason: &'static str,
}

/// Labels of retry-topic publishes.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RetryLabels {
    /// Stage name.
    pub stage: &'static str,
    /// Retry topic level (1-based).
    pub level: u32,
}

/// A single `outcome` label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// Outcome name from a closed set.
    pub outcome: &'static str,
}

/// A single `channel` label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabel {
    /// Notification channel.
    pub channel: &'static str,
}

/// A single `agency` label (agency e-identifiers are a closed, catalogue-defined set).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AgencyLabel {
    /// Agency e-identifier.
    pub agency: String,
}

/// Labels of agency-facing counters.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AgencyOutcome {
    /// Agency e-identifier.
    pub agency: String,
    /// Outcome from a closed set.
    pub outcome: &'static str,
}

/// Labels of the build-info gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    /// Crate version.
    pub version: &'static str,
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::hash::Hash;

    use prometheus_client::encoding::text::encode;
    use prometheus_client::metrics::{counter::Counter, family::Family};
    use prometheus_client::registry::Registry;

    use super::*;
    use crate::notify_metrics::{ChannelOutcome, EncodingLabel};

    /// The label names of `sample` as the exposition encodes them.
    fn encoded<L>(sample: L) -> Vec<String>
    where
        L: EncodeLabelSet + LabelNames + Clone + Hash + Eq + Debug + Send + Sync + 'static,
    {
        let family: Family<L, Counter> = Family::default();
        family.get_or_create(&sample).inc();
        let mut registry = Registry::default();
        registry.register("x", "x", family);
        let mut text = String::new();
        encode(&mut text, &registry).expect("encode");
        let line = text
            .lines()
            .find(|l| l.starts_with("x_total{"))
            .expect("sample line");
        let inner = &line[line.find('{').expect("{") + 1..line.find('}').expect("}")];
        let names: Vec<String> = inner
            .split(',')
            .map(|kv| kv.split('=').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            names,
            L::LABELS,
            "{sample:?}: LABELS disagrees with the encoding"
        );
        names
    }

    #[test]
    fn declared_label_names_match_the_encoding() {
        let (s, o) = ("verify", "processed");
        encoded(StageOutcome {
            stage: s,
            outcome: o,
        });
        encoded(StageLabel { stage: s });
        encoded(StageTopic {
            stage: s,
            topic: "t.dossier.submitted.v1".into(),
        });
        encoded(DeadLetterLabels {
            stage: s,
            reason: "invalid",
        });
        encoded(RetryLabels { stage: s, level: 1 });
        encoded(OutcomeLabel { outcome: o });
        encoded(ChannelLabel { channel: "sms" });
        encoded(AgencyLabel {
            agency: "000.00.01.H29".into(),
        });
        encoded(AgencyOutcome {
            agency: "000.00.01.H29".into(),
            outcome: o,
        });
        encoded(BuildLabels { version: "0.1.0" });
        encoded(ChannelOutcome {
            channel: "sms",
            outcome: o,
        });
        encoded(EncodingLabel { encoding: "gsm7" });
    }
}
