//! Metric label sets: small closed sets only (stage, outcome, reason, channel, agency),
//! never a dossier id or personal data.

use prometheus_client::encoding::EncodeLabelSet;

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
