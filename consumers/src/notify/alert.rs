//! The operator alert of a channel: raised after `alert_after` transient failures in a
//! row, cleared by the first success. It is an `error` log line, the
//! `dossier_notification_channel_failing` gauge, and an optional JSON POST to an alert
//! webhook (see docs/notification-providers.md, "Operator alerts").

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use dossierflow_runtime::telemetry::{ChannelLabel, Metrics};

use super::channel::{NotifyChannel, Outcome};
use super::policy::is_channel_failure;
use super::worker::WorkerConfig;

/// A channel's run of failures and whether its alert is raised.
pub struct ChannelHealth {
    channel: NotifyChannel,
    alert_after: u32,
    alert_url: Option<String>,
    http: reqwest::Client,
    metrics: Arc<Metrics>,
    consecutive: AtomicU32,
    failing: AtomicBool,
}

/// A change of a channel's alert state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The alert was raised after this many failures in a row.
    Failing(u32),
    /// The channel works again after this many failures in a row.
    Recovered(u32),
}

impl ChannelHealth {
    /// A healthy channel.
    pub fn new(
        channel: NotifyChannel,
        config: &WorkerConfig,
        http: reqwest::Client,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            channel,
            alert_after: config.alert_after.max(1),
            alert_url: config.alert_url.clone(),
            http,
            metrics,
            consecutive: AtomicU32::new(0),
            failing: AtomicBool::new(false),
        }
    }

    /// Counts one attempt's outcome; returns the transition it caused, if any. A refusal
    /// of one message says nothing about the channel and changes nothing.
    pub fn transition(&self, outcome: &Outcome) -> Option<Transition> {
        if is_channel_failure(outcome) {
            let n = self.consecutive.fetch_add(1, Ordering::SeqCst) + 1;
            (n >= self.alert_after && !self.failing.swap(true, Ordering::SeqCst))
                .then_some(Transition::Failing(n))
        } else if matches!(outcome, Outcome::Rejected { .. }) {
            None
        } else {
            let n = self.consecutive.swap(0, Ordering::SeqCst);
            self.failing
                .swap(false, Ordering::SeqCst)
                .then_some(Transition::Recovered(n))
        }
    }

    /// Counts an outcome and, on a transition, logs, sets the gauge and POSTs the alert.
    pub fn observe(&self, outcome: &Outcome, error: Option<&str>) {
        let Some(t) = self.transition(outcome) else {
            return;
        };
        let (state, n) = match t {
            Transition::Failing(n) => {
                tracing::error!(channel = %self.channel, consecutive_failures = n, last_error = error.unwrap_or(""),
                    "ALERT: a notification channel keeps failing; its messages stay queued and are retried");
                ("failing", n)
            }
            Transition::Recovered(n) => {
                tracing::warn!(channel = %self.channel, "notification channel recovered");
                ("recovered", n)
            }
        };
        let label = ChannelLabel {
            channel: self.channel.as_str(),
        };
        let raised = i64::from(state == "failing");
        self.metrics
            .notify
            .channel_failing
            .get_or_create(&label)
            .set(raised);
        let Some(url) = self.alert_url.clone() else {
            return;
        };
        let body = serde_json::json!({
            "alert": "notification_channel_failing",
            "channel": self.channel.as_str(),
            "state": state,
            "consecutive_failures": n,
            "last_error": error,
            "at": chrono::Utc::now(),
        });
        let (http, channel) = (self.http.clone(), self.channel);
        tokio::spawn(async move {
            for _ in 0..5 {
                match http.post(&url).json(&body).send().await {
                    Ok(r) if r.status().is_success() => return,
                    _ => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            }
            tracing::warn!(channel = %channel, "could not deliver an operator alert to the alert webhook");
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(after: u32) -> ChannelHealth {
        let config = WorkerConfig {
            alert_after: after,
            ..WorkerConfig::default()
        };
        ChannelHealth::new(
            NotifyChannel::Sms,
            &config,
            reqwest::Client::new(),
            Metrics::new(),
        )
    }

    #[test]
    fn the_alert_rises_once_after_n_failures_and_clears_on_success() {
        let h = health(3);
        let fail = Outcome::Retry {
            reason: "HTTP 503".into(),
            retry_after: None,
        };
        let refused = Outcome::Rejected {
            reason: "HTTP 400".into(),
        };
        let ok = Outcome::Accepted { provider_ref: None };
        assert_eq!(h.transition(&fail), None);
        assert_eq!(
            h.transition(&refused),
            None,
            "a refusal neither counts nor resets"
        );
        assert_eq!(h.transition(&fail), None);
        assert_eq!(h.transition(&fail), Some(Transition::Failing(3)));
        assert_eq!(h.transition(&fail), None, "raised once");
        assert_eq!(h.transition(&ok), Some(Transition::Recovered(4)));
        assert_eq!(h.transition(&ok), None);
        assert_eq!(h.transition(&fail), None, "the count starts again");
    }
}
