//! Metrics of status notifications: queued, attempts, terminal outcomes, provider latency,
//! queue age, daily-cap use, failing channels and SMS segments.
//!
//! Labels are the channel (`sms`, `email`, `zalo`, `portal_webhook`, `national_portal`)
//! and closed outcome sets: never a dossier, a recipient or a message.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::{
    counter::Counter, family::Family, gauge::Gauge, histogram::Histogram,
};

use crate::catalogue::{Area, Catalogue};
use crate::labels::{ChannelLabel, LabelNames, label_names};

/// A channel and an outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelOutcome {
    /// Notification channel.
    pub channel: &'static str,
    /// Outcome from a closed set.
    pub outcome: &'static str,
}

/// An SMS encoding.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EncodingLabel {
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
}

label_names! {
    ChannelOutcome => ["channel", "outcome"];
    EncodingLabel => ["encoding"];
}

fn send_buckets() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ])
}

/// The notification metrics.
pub struct NotifyMetrics {
    /// Notifications ending in a terminal state, by channel and state
    /// (`delivered`, `permanent_failure`, `technical_failure`, `temporary_failure`).
    pub sends: Family<ChannelOutcome, Counter>,
    /// Provider requests by channel and result (`accepted`, `delivered`, `retry`, `rejected`).
    pub attempts: Family<ChannelOutcome, Counter>,
    /// Provider request latency per channel.
    pub send_duration: Family<ChannelLabel, Histogram, fn() -> Histogram>,
    /// Age of the oldest notification waiting to be sent, per channel, in seconds.
    pub queue_age: Family<ChannelLabel, Gauge>,
    /// Notifications waiting to be sent (queued or in flight), per channel.
    pub queue_depth: Family<ChannelLabel, Gauge>,
    /// Sends counted against today's cap (Asia/Ho_Chi_Minh day), per channel.
    pub daily_used: Family<ChannelLabel, Gauge>,
    /// The configured daily cap per channel.
    pub daily_cap: Family<ChannelLabel, Gauge>,
    /// 1 while a channel has failed `--notify-alert-after` attempts in a row.
    pub channel_failing: Family<ChannelLabel, Gauge>,
    /// Delivery receipts by channel and result (`recorded`, `unchanged`, `rejected`).
    pub receipts: Family<ChannelOutcome, Counter>,
    /// SMS segments sent, by encoding.
    pub sms_segments: Family<EncodingLabel, Counter>,
}

impl NotifyMetrics {
    /// Creates the metrics and registers them in `c`.
    pub fn register(c: &mut Catalogue) -> Self {
        const A: Area = Area::Notifications;
        Self {
            sends: c.add(
                (
                    A,
                    "dossier_notification_sends_total",
                    "notifications",
                    "Notifications ending in a terminal state, by channel and state",
                ),
                Family::default(),
            ),
            attempts: c.add(
                (
                    A,
                    "dossier_notification_attempts_total",
                    "requests",
                    "Provider requests by channel and result",
                ),
                Family::default(),
            ),
            send_duration: c.add(
                (
                    A,
                    "dossier_notification_send_duration_seconds",
                    "seconds",
                    "Provider request latency per channel",
                ),
                Family::new_with_constructor(send_buckets),
            ),
            queue_age: c.add(
                (
                    A,
                    "dossier_notification_queue_age_seconds",
                    "seconds",
                    "Age of the oldest notification waiting to be sent, per channel",
                ),
                Family::default(),
            ),
            queue_depth: c.add(
                (
                    A,
                    "dossier_notification_queue_depth",
                    "notifications",
                    "Notifications waiting to be sent, per channel",
                ),
                Family::default(),
            ),
            daily_used: c.add(
                (
                    A,
                    "dossier_notification_daily_used",
                    "notifications",
                    "Sends counted against today's cap, per channel",
                ),
                Family::default(),
            ),
            daily_cap: c.add(
                (
                    A,
                    "dossier_notification_daily_cap",
                    "notifications",
                    "Configured daily cap per channel",
                ),
                Family::default(),
            ),
            channel_failing: c.add(
                (
                    A,
                    "dossier_notification_channel_failing",
                    "1",
                    "1 while a channel keeps failing (operator alert raised)",
                ),
                Family::default(),
            ),
            receipts: c.add(
                (
                    A,
                    "dossier_notification_receipts_total",
                    "receipts",
                    "Delivery receipts by channel and result",
                ),
                Family::default(),
            ),
            sms_segments: c.add(
                (
                    A,
                    "dossier_sms_segments_total",
                    "segments",
                    "SMS segments sent, by encoding",
                ),
                Family::default(),
            ),
        }
    }
}
