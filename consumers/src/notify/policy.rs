//! The pure core of sending: what happens to a notification after one provider attempt,
//! and what a delivery receipt may change.
//!
//! The default retry policy follows GOV.UK Notify: a send that keeps failing for a
//! technical reason is tried up to 48 times, about 5 minutes apart (4 hours in all), then
//! ends `technical-failure`. A provider's refusal (invalid number, SMTP 5xx) ends
//! `permanent-failure` at once: retrying cannot help.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use super::channel::{NotifyChannel, Outcome};

/// Terminal states of a notification (GOV.UK Notify's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// The provider delivered it (or, for e-mail and the portals, accepted it for good).
    Delivered,
    /// The provider refused it: invalid number or address, a validation error.
    PermanentFailure,
    /// We could not hand it to the provider within the retry budget.
    TechnicalFailure,
    /// The provider could not deliver it for a while (phone off, inbox full), or no
    /// receipt came within the receipt timeout.
    TemporaryFailure,
}

impl Terminal {
    /// The state stored in the database and accepted in receipts.
    pub fn as_str(self) -> &'static str {
        match self {
            Terminal::Delivered => "delivered",
            Terminal::PermanentFailure => "permanent-failure",
            Terminal::TechnicalFailure => "technical-failure",
            Terminal::TemporaryFailure => "temporary-failure",
        }
    }

    /// The metric label (Prometheus style, underscores).
    pub fn label(self) -> &'static str {
        match self {
            Terminal::Delivered => "delivered",
            Terminal::PermanentFailure => "permanent_failure",
            Terminal::TechnicalFailure => "technical_failure",
            Terminal::TemporaryFailure => "temporary_failure",
        }
    }

    /// The state a receipt reports: `delivered`, `permanent-failure` or
    /// `temporary-failure` (a provider cannot report our technical failure).
    pub fn from_receipt(s: &str) -> Option<Terminal> {
        match s {
            "delivered" => Some(Terminal::Delivered),
            "permanent-failure" => Some(Terminal::PermanentFailure),
            "temporary-failure" => Some(Terminal::TemporaryFailure),
            _ => None,
        }
    }
}

/// Retry policy of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Pause between two attempts (±10 % jitter).
    pub interval: Duration,
    /// Attempts before `technical-failure`.
    pub max_attempts: u32,
    /// Longest `Retry-After` honoured.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(300),
            max_attempts: 48,
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The pause after a failed attempt: the interval with `jitter` in `[0, 1)` spreading
    /// it by ±10 %, or the provider's `Retry-After` when that is longer (up to the cap).
    pub fn delay(&self, retry_after: Option<Duration>, jitter: f64) -> Duration {
        let spread = self.interval.mul_f64(0.9 + 0.2 * jitter.clamp(0.0, 1.0));
        match retry_after {
            Some(ra) => spread.max(ra.min(self.max_retry_after)),
            None => spread,
        }
    }
}

/// Settings of the channel workers.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Retry policy of every channel unless overridden in `retry_per_channel`.
    pub retry: RetryPolicy,
    /// Per-channel retry policies.
    pub retry_per_channel: HashMap<NotifyChannel, RetryPolicy>,
    /// Rows claimed per round.
    pub batch: i64,
    /// Provider requests in flight per channel.
    pub concurrency: usize,
    /// How long a claimed row is reserved for its worker.
    pub lease: Duration,
    /// Sleep when nothing is due.
    pub poll: Duration,
    /// Provider requests per second, per channel (absent: unlimited).
    pub rates: HashMap<NotifyChannel, NonZeroU32>,
    /// Sends per Vietnamese calendar day, per channel (absent: unlimited).
    pub daily_caps: HashMap<NotifyChannel, i64>,
    /// How long to wait for a delivery receipt before `temporary-failure`.
    pub receipt_timeout: Duration,
    /// Consecutive transient failures that raise the operator alert.
    pub alert_after: u32,
    /// Where operator alerts are POSTed, if anywhere.
    pub alert_url: Option<String>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            retry_per_channel: HashMap::new(),
            batch: 64,
            concurrency: 8,
            lease: Duration::from_secs(120),
            poll: Duration::from_millis(250),
            rates: HashMap::new(),
            daily_caps: HashMap::new(),
            receipt_timeout: Duration::from_secs(72 * 3600),
            alert_after: 10,
            alert_url: None,
        }
    }
}

/// The next state of a notification after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Accepted; wait for the delivery receipt.
    AwaitReceipt,
    /// Try again after this pause.
    RetryIn(Duration),
    /// Finished.
    Final(Terminal),
}

/// Decides the next state: `attempts` counts this attempt, `jitter` is in `[0, 1)`.
pub fn next(outcome: &Outcome, attempts: u32, policy: &RetryPolicy, jitter: f64) -> Next {
    match outcome {
        Outcome::Accepted { .. } => Next::AwaitReceipt,
        Outcome::Delivered { .. } => Next::Final(Terminal::Delivered),
        Outcome::Rejected { .. } => Next::Final(Terminal::PermanentFailure),
        Outcome::Retry { .. } if attempts >= policy.max_attempts => {
            Next::Final(Terminal::TechnicalFailure)
        }
        Outcome::Retry { retry_after, .. } => Next::RetryIn(policy.delay(*retry_after, jitter)),
    }
}

/// Whether an attempt's outcome counts as a failure of the channel (for the operator
/// alert): transient failures do; a refusal of one message does not.
pub fn is_channel_failure(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Retry { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn retry(after: Option<u64>) -> Outcome {
        Outcome::Retry {
            reason: "HTTP 503".into(),
            retry_after: after.map(S),
        }
    }

    #[test]
    fn outcomes_map_to_states() {
        let p = RetryPolicy::default();
        let accepted = Outcome::Accepted { provider_ref: None };
        let delivered = Outcome::Delivered { provider_ref: None };
        let rejected = Outcome::Rejected {
            reason: "SMTP 550".into(),
        };
        assert_eq!(next(&accepted, 1, &p, 0.5), Next::AwaitReceipt);
        assert_eq!(
            next(&delivered, 48, &p, 0.5),
            Next::Final(Terminal::Delivered)
        );
        assert_eq!(
            next(&rejected, 1, &p, 0.5),
            Next::Final(Terminal::PermanentFailure)
        );
        assert_eq!(next(&retry(None), 1, &p, 0.5), Next::RetryIn(S(300)));
        assert_eq!(next(&retry(None), 47, &p, 0.5), Next::RetryIn(S(300)));
        assert_eq!(
            next(&retry(None), 48, &p, 0.5),
            Next::Final(Terminal::TechnicalFailure)
        );
    }

    #[test]
    fn delays_spread_by_ten_percent_and_honour_retry_after_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(None, 0.0), S(270));
        assert!(p.delay(None, 0.999) <= S(330) && p.delay(None, 0.999) > S(329));
        assert_eq!(
            p.delay(Some(S(10)), 0.5),
            S(300),
            "shorter Retry-After ignored"
        );
        assert_eq!(p.delay(Some(S(900)), 0.5), S(900));
        assert_eq!(p.delay(Some(S(86_400)), 0.5), S(3_600), "capped");
    }

    #[test]
    fn receipts_cannot_claim_our_technical_failure() {
        for t in [
            Terminal::Delivered,
            Terminal::PermanentFailure,
            Terminal::TemporaryFailure,
        ] {
            assert_eq!(Terminal::from_receipt(t.as_str()), Some(t));
        }
        assert_eq!(Terminal::from_receipt("technical-failure"), None);
        assert_eq!(Terminal::from_receipt("Delivered"), None);
        assert!(is_channel_failure(&retry(None)));
        assert!(!is_channel_failure(&Outcome::Rejected {
            reason: "x".into()
        }));
    }
}
